//! Changes and findings in words: the plan's line for each change, what each side of a finding
//! has, and where the YAML holds it.

use super::findings::Kind;
use super::keys::deferrable_text;
use super::{Change, ColumnChanges, Key, TableChange};
use crate::model::{display_key, sibling_key, Action, Column, Deferrable, Domain, Grant, Index, Sequence, Table, View};

pub(super) fn table_text(t: &Table) -> String {
    let n = t.columns.len();
    format!("table ({n} column{})", if n == 1 { "" } else { "s" })
}

pub(super) fn columns(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

pub(super) fn check_text(k: &Key) -> String {
    format!("CHECK ({})", k.check.as_deref().unwrap_or_default())
}

/// A key's columns and what it does beyond them, in the server's words (defaults left out).
pub(super) fn key_text(k: &Key) -> String {
    let nulls = if k.nulls_not_distinct { "NULLS NOT DISTINCT " } else { "" };
    let mut text = format!("{nulls}{}", columns(&k.columns));
    if let Some((table, refs)) = &k.references {
        text.push_str(&format!(" REFERENCES {table} {}", columns(refs)));
        if k.match_full {
            text.push_str(" MATCH FULL");
        }
        for (on, action) in [("UPDATE", k.on_update), ("DELETE", k.on_delete)] {
            if action != Action::NoAction {
                text.push_str(&format!(" ON {on} {}", action.sql()));
            }
        }
    }
    if k.deferrable != Deferrable::No {
        text.push_str(&format!(" {}", k.deferrable.sql()));
    }
    text
}

pub fn column_text(c: &Column) -> String {
    let mut text = c.ty.to_string();
    let attrs = c.postgres.text();
    if !attrs.is_empty() {
        text.push_str(&format!(" {attrs}"));
    }
    if let Some(i) = c.identity {
        text.push_str(&format!(" IDENTITY({}, {})", i.seed, i.step));
        let options = c.postgres.identity_text();
        if !options.is_empty() {
            text.push_str(&format!(" {options}"));
        }
    }
    if let Some(d) = &c.default {
        text.push_str(&format!(" DEFAULT {d}"));
    }
    if !c.nullable {
        text.push_str(" NOT NULL");
    }
    text
}

/// An index in the server's order of words (defaults left out).
pub(super) fn index_text(i: &Index) -> String {
    let unique = if i.unique { "UNIQUE " } else { "" };
    let using = i.using.as_ref().map(|m| format!("USING {m} ")).unwrap_or_default();
    let keys: Vec<String> = i.columns.iter().map(ToString::to_string).collect();
    let mut text = format!("{unique}{using}{}", columns(&keys));
    if !i.include.is_empty() {
        text.push_str(&format!(" INCLUDE {}", columns(&i.include)));
    }
    if i.nulls_not_distinct {
        text.push_str(" NULLS NOT DISTINCT");
    }
    if !i.with.is_empty() {
        let with: Vec<String> = i.with.iter().map(|(k, v)| format!("{k}={v}")).collect();
        text.push_str(&format!(" WITH {}", columns(&with)));
    }
    if let Some(p) = &i.predicate {
        text.push_str(&format!(" WHERE {p}"));
    }
    text
}

pub(super) fn comment_text(c: &Option<String>) -> String {
    c.clone().unwrap_or_else(|| "none".into())
}

/// Where the YAML holds what a finding of `kind` is about, or what else to do.
pub(super) fn hint(kind: Kind) -> &'static str {
    match kind {
        Kind::MissingTable
        | Kind::MissingView
        | Kind::MissingEnum
        | Kind::MissingSequence
        | Kind::MissingDomain
        | Kind::MissingExtension
        | Kind::MissingColumn
        | Kind::MissingIndex => "the YAML declares it: run `schema migrate`, or remove it from the YAML",
        Kind::ExtraTable
        | Kind::ExtraView
        | Kind::ExtraEnum
        | Kind::ExtraSequence
        | Kind::ExtraDomain
        | Kind::ExtraExtension => "declare it in the YAML, or name it in `ignore:`",
        Kind::SequenceOptions => "`sequences:` in schema.yaml",
        Kind::Domain => "`domains:` in schema.yaml",
        Kind::ExtraColumn => "declare it under the table's `columns:`, or drop it",
        Kind::ExtraIndex => "declare it under the table's `indexes:`, or drop it",
        Kind::RenamedColumn => "`renamed_from:` on the column, or rename it back",
        Kind::EnumValues => "`enums:` in schema.yaml",
        Kind::ViewKind => "`view:`, `materialized_view:` or `late_binding:`",
        Kind::ColumnType => "the column's `type:`",
        Kind::Nullability => "the column's `nullable:`",
        Kind::Default => "the column's `default:`",
        Kind::Identity => "the column's `identity:`",
        Kind::PrimaryKey => "`primary_key:` (of the table or a column)",
        Kind::UniqueKey => "`unique:` (of the table or a column)",
        Kind::ForeignKey => "`foreign_keys:` or a column's `references:`",
        Kind::Index => "the table's `indexes:`",
        Kind::ViewBody => "the view's `sql:`",
        Kind::MvState => "run `schema refresh`; a view the server cannot refresh must be recreated",
        Kind::Comment => "`description:`",
        Kind::Grant => "`grants:` (the project's or the object's)",
        Kind::CheckConstraint => "the table's `check_constraints:`",
        Kind::ColumnPosition => "list the columns in the database's order, or rebuild the table in the YAML's",
        Kind::Trigger | Kind::Policy | Kind::RowLevelSecurity | Kind::Rule | Kind::Unmodelled | Kind::Unmanaged => {
            "the YAML cannot express it; name it in `ignore:` to accept it"
        }
        // The driver that owns the property gives it with the difference.
        Kind::Attribute(_) => "",
    }
}

impl Change {
    /// One line per change for listings (`generate --check`), in the words of the YAML; the
    /// driver that owns a property gives its words.
    pub fn describe(&self, ns: &str) -> Vec<String> {
        let kind = |v: &View| v.kind_name();
        let q = |key: &str| display_key(ns, key);
        match self {
            Change::AddNamespace { name } => vec![format!("create schema {name}")],
            Change::AddTable { table } => vec![format!("create table {}", q(&table.name))],
            Change::DropTable { table } => vec![format!("drop table {}", q(&table.name))],
            Change::AddView { view } => vec![format!("create {} {}", kind(view), q(&view.name))],
            Change::DropView { view } => vec![format!("drop {} {}", kind(view), q(&view.name))],
            Change::ModifyView { to, .. } => vec![format!("change {} {}", kind(to), q(&to.name))],
            Change::RefreshProcedure { to: Some(name), .. } => vec![format!("create or replace procedure {}", q(name))],
            Change::RefreshProcedure { from, .. } => {
                vec![format!("remove procedure {}", q(from.as_deref().unwrap_or_default()))]
            }
            Change::ModifyTable(d) => d.changes.iter().flat_map(|c| c.describe(ns, &d.to.name)).collect(),
            Change::AddEnum { name, values } => vec![format!("create enum type {} ({})", q(name), values.join(", "))],
            Change::DropEnum { name, .. } => vec![format!("drop enum type {}", q(name))],
            Change::ModifyEnum { name, to, .. } => vec![format!("change enum type {} to ({})", q(name), to.join(", "))],
            Change::Sequence { name, from, to } => vec![sequence_text(&q(name), from.is_some(), to.as_ref())],
            Change::Domain { name, from, to } => vec![domain_text(&q(name), from.as_ref(), to.as_ref())],
            Change::Extension { name, create } => vec![extension_text(&q(name), *create)],
        }
    }
}

impl TableChange {
    fn describe(&self, ns: &str, key: &str) -> Vec<String> {
        let t = display_key(ns, key);
        let index_key = |name: &str| display_key(ns, &sibling_key(key, name));
        let line = match self {
            TableChange::ModifyColumn { from, to, changed } => {
                let mut what = Vec::new();
                if changed.has(ColumnChanges::TYPE) {
                    what.push(format!("{} -> {}", from.ty, to.ty));
                }
                if changed.has(ColumnChanges::NULLABILITY) {
                    what.push(if to.nullable { "drop not null" } else { "set not null" }.to_string());
                }
                if changed.has(ColumnChanges::DEFAULT) {
                    what.push(format!("default {}", to.default.as_deref().unwrap_or("none")));
                }
                if changed.has(ColumnChanges::IDENTITY) {
                    what.push("identity".into());
                }
                if changed.has(ColumnChanges::REDSHIFT) {
                    what.extend(from.redshift.plan(&to.redshift));
                }
                if changed.has(ColumnChanges::COMMENT) {
                    what.push("description".into());
                }
                what.extend(from.postgres.changed(&to.postgres).into_iter().map(str::to_string));
                format!("alter column {t}.{}: {}", to.name, what.join(", "))
            }
            TableChange::RenameColumn { from, to } => format!("rename column {t}.{from} to {to}"),
            TableChange::AddColumn { column } => format!("add column {t}.{}", column.name),
            TableChange::DropColumn { column } => format!("drop column {t}.{}", column.name),
            TableChange::AddKey { key } => format!("add {} on {t}", key.describe()),
            TableChange::DropKey { key } => format!("drop {} on {t}", key.describe()),
            TableChange::RenameKey { from, key } => format!("rename constraint {from} on {t} to {}", key.name),
            TableChange::AlterKey { to, .. } => format!("alter {} on {t}: {}", to.describe(), deferrable_text(to)),
            TableChange::AddIndex { index } => format!("create index {} on {t}", index.name),
            TableChange::DropIndex { index } => format!("drop index {}", index_key(&index.name)),
            TableChange::ModifyIndex { to, .. } => format!("change index {}", index_key(&to.name)),
            TableChange::Redshift { from, to } => return from.plan(to, &t),
            TableChange::Postgres { from, to } => format!("set {} of {t}", from.changed(to).join(", ")),
            TableChange::Comment { .. } => format!("comment on {t}"),
            TableChange::AddRows { rows } => format!("insert {} row(s) into {t}", rows.len()),
            TableChange::DeleteRows { rows } => format!("delete {} row(s) from {t}", rows.len()),
            TableChange::Grants { revoke, grant } => grants_text(&t, revoke, grant),
        };
        vec![line]
    }
}

/// `change grants on ns.t: revoke INSERT from role etl; grant SELECT to group analysts`.
pub fn grants_text(object: &str, revoke: &[Grant], grant: &[Grant]) -> String {
    let revoked = revoke.iter().map(|g| format!("revoke {} from {}", g.privilege_list(), g.to));
    let granted = grant.iter().map(|g| format!("grant {g}"));
    format!("change grants on {object}: {}", revoked.chain(granted).collect::<Vec<_>>().join("; "))
}

/// `create extension x` or `drop extension x`: the plan's line and the operation's, alike.
pub fn extension_text(name: &str, create: bool) -> String {
    format!("{} extension {name}", if create { "create" } else { "drop" })
}

/// `create domain x`, `change domain x (default, CHECK constraints)` or `drop domain x`.
pub fn domain_text(name: &str, from: Option<&Domain>, to: Option<&Domain>) -> String {
    match (from, to) {
        (None, _) => format!("create domain {name}"),
        (Some(a), Some(b)) => format!("change domain {name} ({})", a.changed(b).join(", ")),
        (_, None) => format!("drop domain {name}"),
    }
}

/// `create sequence x (AS bigint ...)`, `change sequence x to (...)` or `drop sequence x`: the
/// plan's line and the operation's, alike.
pub fn sequence_text(name: &str, exists: bool, to: Option<&Sequence>) -> String {
    match (exists, to) {
        (false, Some(s)) => format!("create sequence {name} ({s})"),
        (true, Some(s)) => format!("change sequence {name} to ({s})"),
        (_, None) => format!("drop sequence {name}"),
    }
}
