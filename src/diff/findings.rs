//! Drift findings: the changes from the live catalog to the YAML, each named by kind and object
//! with what the YAML says and what the database has. A view of `diff`, so `schema diff` and
//! `schema generate` read differences the same way.

use super::describe::{check_text, column_text, columns, comment_text, hint, index_text, key_text, table_text};
pub use super::kind::Kind;
pub use super::unmanaged::{ignore_rule, Unmanaged};
use super::{Change, ColumnChanges, Key, KeyKind, TableChange, ViewChanges};
use crate::model::{display_key, Column, Difference, Grant, Project, Table, View};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// `ns.table`, or `ns.table.column` / `ns.table.index` for what belongs to a table or view.
    pub object: String,
    /// What the YAML says; None when the YAML has no such thing.
    pub expected: Option<String>,
    /// What the database has; None when it has no such thing.
    pub actual: Option<String>,
    /// For `unmodelled`, the property that differs; for `unmanaged`, what kind of object it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// What to change: the YAML key that holds it, or the `ignore:` entry that accepts it.
    pub hint: String,
    /// The table or view the finding is about, and the column or index within it: where to
    /// point in the YAML.
    #[serde(skip)]
    pub owner: String,
    #[serde(skip)]
    pub item: Option<String>,
}

impl Finding {
    /// One line: `kind object (property): expected X, found Y`.
    pub fn summary(&self) -> String {
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "nothing".into());
        let property = self.property.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
        let line = format!(
            "{} {}{property}: expected {}, found {}",
            self.kind,
            self.object,
            or_none(&self.expected),
            or_none(&self.actual)
        );
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// What the catalog shows beyond the model: columns of types the YAML cannot express (table,
/// column, type as printed) and materialized views the server cannot refresh (name, why).
#[derive(Default)]
pub struct Extras<'a> {
    pub foreign_types: &'a [(String, String, String)],
    pub broken: &'a [(String, String)],
    /// What the model does not hold, already stripped of what `ignore:` lists.
    pub unmanaged: &'a [Unmanaged],
}

/// The findings of `changes` = `diff(live, desired)`. `project` is the whole YAML (all phases),
/// to say when an unmanaged object is declared in a phase that is not enabled.
pub fn findings(project: &Project, desired: &Project, changes: &[Change], extras: &Extras) -> Vec<Finding> {
    let mut f = Findings { namespace: &desired.namespace, list: Vec::new() };
    let foreign = |t: &str, c: &str| extras.foreign_types.iter().any(|(ft, fc, _)| ft == t && fc == c);
    for change in changes {
        match change {
            Change::AddEnum { name, values } => f.add(Kind::MissingEnum, name, None, Some(values.join(", ")), None),
            Change::ModifyEnum { name, from, to } => {
                f.add(Kind::EnumValues, name, None, Some(to.join(", ")), Some(from.join(", ")))
            }
            Change::Extension { name, create: true } => {
                f.add(Kind::MissingExtension, name, None, Some(name.clone()), None)
            }
            Change::Extension { name, create: false } => {
                f.add(Kind::ExtraExtension, name, None, None, Some(name.clone()))
            }
            Change::Sequence { name, from, to } => {
                let kind = match (from, to) {
                    (None, _) => Kind::MissingSequence,
                    (_, None) => Kind::ExtraSequence,
                    _ => Kind::SequenceOptions,
                };
                f.add(kind, name, None, to.map(|s| s.to_string()), from.map(|s| s.to_string()))
            }
            Change::Domain { name, from, to } => {
                let kind = match (from, to) {
                    (None, _) => Kind::MissingDomain,
                    (_, None) => Kind::ExtraDomain,
                    _ => Kind::Domain,
                };
                let text = |d: &Option<crate::model::Domain>| d.as_ref().map(|d| d.definition());
                f.add(kind, name, None, text(to), text(from))
            }
            _ => {}
        }
    }
    for change in changes {
        match change {
            Change::AddTable { table } => f.add(Kind::MissingTable, &table.name, None, Some(table_text(table)), None),
            Change::ModifyTable(d) => table(&mut f, &d.to, &d.changes, &foreign),
            _ => {}
        }
    }
    for (t, c, printed) in extras.foreign_types {
        match desired.table(t).and_then(|d| d.column(c)) {
            Some(d) => f.add(Kind::ColumnType, t, Some(c), Some(d.ty.to_string()), Some(printed.clone())),
            None if desired.table(t).is_some() => f.add(Kind::ExtraColumn, t, Some(c), None, Some(printed.clone())),
            None => {}
        }
    }
    for u in extras.unmanaged {
        let grants = match (desired.table(&u.table), desired.view(&u.table)) {
            (Some(t), _) => &t.grants,
            (None, Some(v)) => &v.grants,
            // An object the YAML cannot hold at all, an enum or a sequence; on an extra table or
            // view, that finding says it all.
            (None, None)
                if u.kind == Kind::Unmanaged
                    || u.is_schema()
                    || desired.enums.contains_key(&u.table)
                    || desired.sequences.contains_key(&u.table)
                    || desired.domains.contains_key(&u.table) =>
            {
                &None
            }
            (None, None) => continue,
        };
        let expected = match u.kind {
            Kind::RowLevelSecurity => Some("disabled".into()),
            _ if u.is_grant() && grants.is_none() => continue,
            _ => u.expected.clone(),
        };
        f.add(u.kind, &u.table, u.item.as_deref(), expected, Some(u.definition.clone()));
        if let Some(last) = f.list.last_mut() {
            if u.is_schema() {
                last.object = u.table.clone();
            }
            last.property = u.property.clone();
            last.hint = format!("the YAML cannot express it; to accept it, add `{}` to `ignore:`", u.rule());
        }
    }
    for change in changes {
        match change {
            Change::AddView { view } => f.add(Kind::MissingView, &view.name, None, Some(view.kind_name().into()), None),
            Change::ModifyView { from, to, changed } => self::view(&mut f, to, from, *changed),
            _ => {}
        }
    }
    for (name, why) in extras.broken {
        if desired.view(name).is_some() {
            f.add(Kind::MvState, name, None, Some("populated and refreshable".into()), Some(why.clone()));
        }
    }
    // Unmanaged objects last; one the YAML declares in a phase that is not enabled says so.
    let not_enabled = |name: &str| {
        let phase = project.table(name).map(|t| t.phase).or_else(|| project.view(name).map(|v| v.phase));
        phase.map(|p| format!("nothing (phase {p} is not enabled)"))
    };
    for change in changes {
        if let Change::DropTable { table } = change {
            f.add(Kind::ExtraTable, &table.name, None, not_enabled(&table.name), Some(table_text(table)));
        }
    }
    for change in changes {
        if let Change::DropEnum { name, values } = change {
            f.add(Kind::ExtraEnum, name, None, None, Some(values.join(", ")));
        }
    }
    for change in changes {
        if let Change::DropView { view } = change {
            let kind = Some(view.kind_name().into());
            f.add(Kind::ExtraView, &view.name, None, not_enabled(&view.name), kind);
        }
    }
    f.list
}

/// One finding per table whose columns, those both sides have, stand in another order in the
/// database than in the YAML: COPY and INSERT without a column list load by position.
pub fn column_positions(live: &Project, desired: &Project) -> Vec<Finding> {
    let mut f = Findings { namespace: &desired.namespace, list: Vec::new() };
    let tables = desired.tables_by_name();
    for l in &live.tables {
        let Some(d) = tables.get(l.name.as_str()) else { continue };
        let order = |of: &Table, other: &Table| -> Vec<String> {
            of.columns.iter().filter(|c| other.column(&c.name).is_some()).map(|c| c.name.clone()).collect()
        };
        let (want, have) = (order(d, l), order(l, d));
        if want != have {
            f.add(Kind::ColumnPosition, &l.name, None, Some(want.join(", ")), Some(have.join(", ")));
        }
    }
    f.list
}

struct Findings<'a> {
    namespace: &'a str,
    list: Vec<Finding>,
}

impl Findings<'_> {
    fn add(&mut self, kind: Kind, owner: &str, item: Option<&str>, expected: Option<String>, actual: Option<String>) {
        let object = match item {
            Some(item) => format!("{}.{item}", display_key(self.namespace, owner)),
            None => display_key(self.namespace, owner),
        };
        let (owner, item) = (owner.to_string(), item.map(str::to_string));
        let hint = hint(kind).to_string();
        self.list.push(Finding { kind, object, expected, actual, property: None, hint, owner, item });
    }

    /// A key of both sides whose `property` differs, named as the YAML names it.
    fn key(&mut self, owner: &str, key: &Key, property: &str, expected: Option<String>, actual: Option<String>) {
        let kind = match key.kind {
            KeyKind::Primary => Kind::PrimaryKey,
            KeyKind::Unique => Kind::UniqueKey,
            KeyKind::Foreign => Kind::ForeignKey,
            KeyKind::Check => Kind::CheckConstraint,
        };
        self.add(kind, owner, Some(&key.name), expected, actual);
        if let Some(f) = self.list.last_mut() {
            f.property = Some(property.to_string());
        }
    }

    /// One finding per grantee: what the YAML grants and the database lacks, then the reverse.
    fn grants(&mut self, owner: &str, extra: &[Grant], missing: &[Grant]) {
        for g in missing {
            self.add(Kind::Grant, owner, None, Some(g.to_string()), None);
        }
        for g in extra {
            self.add(Kind::Grant, owner, None, None, Some(g.to_string()));
        }
    }

    /// One `attribute` finding per PostgreSQL property that differs (`changed`), each value as
    /// `show` gives it: (the YAML's, the database's).
    fn properties(
        &mut self,
        owner: &str,
        item: Option<&str>,
        changed: &[&'static str],
        show: impl Fn(&str) -> (String, String),
    ) {
        for property in changed {
            let (expected, actual) = show(property);
            self.add(Kind::Attribute("attribute"), owner, item, Some(expected), Some(actual));
            if let Some(f) = self.list.last_mut() {
                f.property = Some(property.to_string());
                f.hint = crate::dialect::postgres::attrs::hint(property).to_string();
            }
        }
    }

    /// What differs in a driver's own properties, in its words.
    fn attributes(&mut self, owner: &str, item: Option<&str>, differences: Vec<Difference>) {
        for d in differences {
            self.add(Kind::Attribute(d.kind), owner, item, Some(d.expected), Some(d.actual));
            self.list.last_mut().expect("just added").hint = d.hint.into();
        }
    }

    /// YAML value first, database value second.
    fn pair<T>(&mut self, kind: Kind, owner: &str, item: Option<&str>, d: T, l: T, show: impl Fn(T) -> String) {
        self.add(kind, owner, item, Some(show(d)), Some(show(l)));
    }
}

fn table(f: &mut Findings, d: &Table, changes: &[TableChange], foreign: &dyn Fn(&str, &str) -> bool) {
    let name = d.name.as_str();
    for change in changes {
        if let TableChange::ModifyColumn { from, to, changed } = change {
            column(f, name, to, from, *changed);
        }
    }
    // A column the YAML wants and one the database has instead, of the same definition: renamed.
    let mut extra: Vec<&Column> = changes
        .iter()
        .filter_map(|c| match c {
            TableChange::DropColumn { column } => Some(column),
            _ => None,
        })
        .collect();
    for change in changes {
        let TableChange::AddColumn { column: dc } = change else { continue };
        if foreign(name, &dc.name) {
            continue;
        }
        let same = |c: &&Column| {
            (&c.ty, c.nullable, &c.default, c.identity, &c.postgres)
                == (&dc.ty, dc.nullable, &dc.default, dc.identity, &dc.postgres)
        };
        let candidates: Vec<usize> = extra.iter().enumerate().filter(|(_, c)| same(c)).map(|(i, _)| i).collect();
        if let [only] = candidates[..] {
            let renamed = extra.remove(only);
            f.add(Kind::RenamedColumn, name, Some(&dc.name), Some(dc.name.clone()), Some(renamed.name.clone()));
        } else {
            f.add(Kind::MissingColumn, name, Some(&dc.name), Some(column_text(dc)), None);
        }
    }
    for lc in extra {
        f.add(Kind::ExtraColumn, name, Some(&lc.name), None, Some(column_text(lc)));
    }
    for change in changes {
        if let TableChange::RenameColumn { from, to } = change {
            f.add(Kind::RenamedColumn, name, Some(to), Some(to.clone()), Some(from.clone()));
        }
    }
    keys(f, name, changes);
    for change in changes {
        match change {
            TableChange::AddIndex { index } => {
                f.add(Kind::MissingIndex, name, Some(&index.name), Some(index_text(index)), None)
            }
            TableChange::DropIndex { index } => {
                f.add(Kind::ExtraIndex, name, Some(&index.name), None, Some(index_text(index)))
            }
            TableChange::ModifyIndex { from, to } => f.pair(Kind::Index, name, Some(&to.name), to, from, index_text),
            TableChange::Redshift { from, to } => f.attributes(name, None, from.differences(to)),
            TableChange::Postgres { from, to } => {
                f.properties(name, None, &from.changed(to), |p| (to.shown(p), from.shown(p)))
            }
            TableChange::Comment { from, to } => f.pair(Kind::Comment, name, None, to, from, comment_text),
            TableChange::Grants { revoke, grant } => f.grants(name, revoke, grant),
            _ => {}
        }
    }
}

/// A key the database has in another form (named or behaving otherwise: renamed, altered, or
/// dropped and added again) is one finding naming it and the properties that differ. Otherwise a
/// changed primary key is one finding; CHECK constraints compare by name; unique and foreign keys
/// are sets, one finding per key on one side only.
fn keys(f: &mut Findings, name: &str, changes: &[TableChange]) {
    let (mut adds, mut drops) = (Vec::new(), Vec::new());
    for change in changes {
        match change {
            TableChange::AddKey { key } => adds.push(key),
            TableChange::DropKey { key } => drops.push(key),
            TableChange::RenameKey { from, key } => {
                f.key(name, key, "name", Some(key.name.clone()), Some(from.clone()));
            }
            TableChange::AlterKey { from, to } => {
                f.key(name, to, "deferrable", Some(key_text(to)), Some(key_text(from)))
            }
            _ => {}
        }
    }
    adds.retain(|a| {
        let Some(at) = drops.iter().position(|d| a.kind != KeyKind::Check && d.same_target(a)) else { return true };
        let d = drops.remove(at);
        f.key(name, a, &d.differences(a).join(", "), Some(key_text(a)), Some(key_text(d)));
        false
    });
    let on = |kind: KeyKind, list: &[&Key]| -> Vec<Key> {
        list.iter().filter(|k| k.kind == kind).map(|k| (*k).clone()).collect()
    };
    let (want, have) = (on(KeyKind::Primary, &adds), on(KeyKind::Primary, &drops));
    if !want.is_empty() || !have.is_empty() {
        let show = |k: Option<&Key>| k.map_or("none".to_string(), |k| columns(&k.columns));
        f.add(Kind::PrimaryKey, name, None, Some(show(want.first())), Some(show(have.first())));
    }
    // CHECK constraints by name: one finding for a name on both sides.
    let (want, have) = (on(KeyKind::Check, &adds), on(KeyKind::Check, &drops));
    for k in &want {
        let other = have.iter().find(|h| h.name == k.name).map(check_text);
        f.add(Kind::CheckConstraint, name, Some(&k.name), Some(check_text(k)), other);
    }
    for k in have.iter().filter(|h| !want.iter().any(|k| k.name == h.name)) {
        f.add(Kind::CheckConstraint, name, Some(&k.name), None, Some(check_text(k)));
    }
    for (kind, finding) in [(KeyKind::Unique, Kind::UniqueKey), (KeyKind::Foreign, Kind::ForeignKey)] {
        for k in on(kind, &adds) {
            f.add(finding, name, None, Some(key_text(&k)), None);
        }
        for k in on(kind, &drops) {
            f.add(finding, name, None, None, Some(key_text(&k)));
        }
    }
}

fn column(f: &mut Findings, table: &str, d: &Column, l: &Column, changed: ColumnChanges) {
    let at = Some(d.name.as_str());
    let has = |c| changed.has(c);
    if has(ColumnChanges::TYPE) {
        f.pair(Kind::ColumnType, table, at, &d.ty, &l.ty, |t| t.to_string());
    }
    if has(ColumnChanges::NULLABILITY) {
        f.pair(Kind::Nullability, table, at, d.nullable, l.nullable, |n| if n { "NULL" } else { "NOT NULL" }.into());
    }
    if has(ColumnChanges::DEFAULT) {
        f.pair(Kind::Default, table, at, &d.default, &l.default, |x| x.clone().unwrap_or_else(|| "none".into()));
    }
    if has(ColumnChanges::IDENTITY) {
        f.pair(Kind::Identity, table, at, d.identity, l.identity, |i| match i {
            Some(i) => format!("identity({}, {})", i.seed, i.step),
            None => "none".into(),
        });
    }
    if has(ColumnChanges::REDSHIFT) {
        f.attributes(table, at, l.redshift.differences(&d.redshift));
    }
    if has(ColumnChanges::COMMENT) {
        f.pair(Kind::Comment, table, at, &d.description, &l.description, comment_text);
    }
    if has(ColumnChanges::POSTGRES) {
        let mut changed = l.postgres.changed(&d.postgres);
        // Where only one side has an identity, the `identity` finding says it all.
        if d.identity.is_none() || l.identity.is_none() {
            changed.retain(|p| !crate::dialect::postgres::attrs::IDENTITY_WORDS.contains(p));
        }
        f.properties(table, at, &changed, |p| (d.postgres.shown(p), l.postgres.shown(p)));
    }
}

fn view(f: &mut Findings, d: &View, l: &View, changed: ViewChanges) {
    let name = d.name.as_str();
    if changed.kind || changed.binding {
        f.pair(Kind::ViewKind, name, None, d, l, |v| v.kind_name().into());
    }
    if changed.body {
        f.pair(Kind::ViewBody, name, None, &d.sql, &l.sql, |s| s.clone());
    }
    if changed.redshift && d.materialized && l.materialized {
        f.attributes(name, None, l.redshift.differences(&d.redshift));
    }
    if changed.indexes {
        let mut changes = Vec::new();
        super::indexes(&mut changes, &l.indexes, &d.indexes);
        for change in &changes {
            match change {
                TableChange::AddIndex { index } => {
                    f.add(Kind::MissingIndex, name, Some(&index.name), Some(index_text(index)), None)
                }
                TableChange::DropIndex { index } => {
                    f.add(Kind::ExtraIndex, name, Some(&index.name), None, Some(index_text(index)))
                }
                TableChange::ModifyIndex { from, to } => {
                    f.pair(Kind::Index, name, Some(&to.name), to, from, index_text)
                }
                _ => {}
            }
        }
    }
    if changed.comment {
        f.pair(Kind::Comment, name, None, &d.description, &l.description, comment_text);
    }
    if changed.postgres {
        f.properties(name, None, &l.postgres.changed(&d.postgres), |p| (d.postgres.shown(p), l.postgres.shown(p)));
    }
    if let Some((revoke, grant)) = super::grants(&l.grants, &d.grants) {
        f.grants(name, &revoke, &grant);
    }
}
