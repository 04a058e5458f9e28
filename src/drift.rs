//! Desired (the enabled phases of the YAML) against live (the catalog of the managed namespace):
//! findings, each naming the object, the kind of difference, what the YAML says and what the
//! database has, plus a unified diff of the canonical DDL of both sides. What a dialect's
//! catalog cannot show is taken from the YAML before comparing, so it never counts as drift.

use crate::catalog::{self, Live, Unknown};
use crate::error::Result;
use crate::generate;
use crate::model::*;
use serde::Serialize;
use similar::TextDiff;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    MissingTable,
    ExtraTable,
    MissingView,
    ExtraView,
    /// A view where the YAML has a materialized view, or the reverse.
    ViewKind,
    MissingColumn,
    ExtraColumn,
    /// A missing and an extra column of the same definition: most likely renamed by hand.
    RenamedColumn,
    ColumnType,
    Nullability,
    Default,
    Identity,
    PrimaryKey,
    UniqueKey,
    ForeignKey,
    MissingIndex,
    ExtraIndex,
    Index,
    Distribution,
    SortKey,
    Encoding,
    Backup,
    ViewBody,
    MvOptions,
    /// A materialized view the server can no longer refresh.
    MvState,
    Comment,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = serde_json::to_value(self).expect("a unit variant");
        f.write_str(name.as_str().unwrap_or_default())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// `ns.table`, or `ns.table.column` / `ns.table.index` for what belongs to a table or view.
    pub object: String,
    /// What the YAML says; None when the YAML has no such thing.
    pub expected: Option<String>,
    /// What the database has; None when it has no such thing.
    pub actual: Option<String>,
    /// The table or view the finding is about, and the column or index within it: where to
    /// point in the YAML.
    #[serde(skip)]
    pub owner: String,
    #[serde(skip)]
    pub item: Option<String>,
}

pub struct Report {
    pub findings: Vec<Finding>,
    /// Unified diff of the canonical DDL, live (`-`) against desired (`+`); empty if equal.
    pub diff: String,
    pub warnings: Vec<String>,
    /// Round trips to the server.
    pub queries: usize,
}

/// Compares the enabled phases of `project` with the database.
pub fn diff(client: &mut ::postgres::Client, dialect: Dialect, project: &Project) -> Result<Report> {
    let enabled = project.enabled();
    let (live, desired) = catalog::read(client, dialect, &enabled.namespace, Some(&enabled))?;
    Ok(report(project, &desired.expect("asked for"), live, dialect))
}

/// The report on `live` against `desired`, the enabled phases of `project` as the catalog
/// module normalised them.
pub fn report(project: &Project, desired: &Project, mut live: Live, dialect: Dialect) -> Report {
    let unmanaged = |name: &str| desired.table(name).is_none() && desired.view(name).is_none();
    let ignored = |name: &str| unmanaged(name) && project.ignore.iter().any(|pattern| glob(pattern, name));
    live.project.tables.retain(|t| !ignored(&t.name));
    live.project.views.retain(|v| !ignored(&v.name));

    let seen = overlay(desired, &live, dialect);
    let findings = compare(project, desired, &seen, &live);
    let mut warnings = std::mem::take(&mut live.warnings);
    let diff = match (canonical(&seen, dialect), canonical(desired, dialect)) {
        (Ok(a), Ok(b)) if a == b => String::new(),
        (Ok(a), Ok(b)) => {
            TextDiff::from_lines(&a, &b).unified_diff().context_radius(3).header("live", "desired").to_string()
        }
        (Err(e), _) | (_, Err(e)) => {
            warnings.push(format!("no DDL diff: {e}"));
            String::new()
        }
    };
    Report { findings, diff, warnings, queries: live.queries }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => name
            .strip_prefix(head)
            .is_some_and(|rest| (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))),
    }
}

/// The live project with what its catalog cannot show taken from the YAML, and columns in the
/// YAML's order (a column added later sits last in the database; order is not drift).
fn overlay(desired: &Project, live: &Live, dialect: Dialect) -> Project {
    let unknown = |object: &str, what: Unknown| live.unknown.contains(&(object.to_string(), what));
    let mut seen = live.project.clone();
    for t in &mut seen.tables {
        let Some(d) = desired.table(&t.name) else { continue };
        match dialect {
            Dialect::Postgres => {
                (t.distribution, t.sort_key, t.backup) = (d.distribution.clone(), d.sort_key.clone(), d.backup);
                for c in &mut t.columns {
                    c.encode = d.column(&c.name).and_then(|dc| dc.encode.clone());
                }
            }
            Dialect::Redshift => {
                t.indexes = d.indexes.clone();
                if unknown(&t.name, Unknown::Backup) {
                    t.backup = d.backup;
                }
                if unknown(&t.name, Unknown::SortKey) && d.sort_key.kind == SortKind::None {
                    t.sort_key = d.sort_key.clone();
                }
                // Columns the YAML leaves without an encoding get whatever Redshift picks, unless
                // the YAML wants ENCODE AUTO and the catalog shows the table is not on it.
                let auto_unknown = unknown(&t.name, Unknown::EncodeAuto);
                for c in &mut t.columns {
                    let declared = d.column(&c.name).and_then(|dc| dc.encode.as_ref());
                    if declared.is_none() && (auto_unknown || !d.encode_auto()) {
                        c.encode = None;
                    }
                }
            }
        }
        order_like(&mut t.columns, &d.columns, |a, b| a.name == b.name);
        order_like(&mut t.unique, &d.unique, |a, b| a == b);
        order_like(&mut t.foreign_keys, &d.foreign_keys, |a, b| a == b);
        order_like(&mut t.indexes, &d.indexes, |a, b| a.name == b.name);
    }
    for v in &mut seen.views {
        let Some(d) = desired.view(&v.name) else { continue };
        match dialect {
            Dialect::Postgres => {
                (v.backup, v.auto_refresh) = (d.backup, d.auto_refresh);
                (v.distribution, v.sort_key) = (d.distribution.clone(), d.sort_key.clone());
            }
            Dialect::Redshift => {
                v.indexes = d.indexes.clone();
                if unknown(&v.name, Unknown::Backup) {
                    v.backup = d.backup;
                }
                if unknown(&v.name, Unknown::AutoRefresh) {
                    v.auto_refresh = d.auto_refresh;
                }
            }
        }
        order_like(&mut v.indexes, &d.indexes, |a, b| a.name == b.name);
    }
    seen
}

/// Puts the items the YAML also has in the YAML's order, the others after them.
fn order_like<T>(live: &mut [T], desired: &[T], same: impl Fn(&T, &T) -> bool) {
    live.sort_by_key(|l| desired.iter().position(|d| same(l, d)).unwrap_or(usize::MAX));
}

/// The DDL of a project without its reference rows and refresh procedure (the catalog holds
/// neither): what the unified diff compares.
fn canonical(project: &Project, dialect: Dialect) -> Result<String> {
    let mut p = Project { refresh_procedure: None, ..project.clone() };
    p.tables.iter_mut().for_each(|t| t.rows.clear());
    generate::render_project(&p, dialect)
}

struct Findings {
    namespace: String,
    list: Vec<Finding>,
}

impl Findings {
    fn add(&mut self, kind: Kind, owner: &str, item: Option<&str>, expected: Option<String>, actual: Option<String>) {
        let object = match item {
            Some(item) => format!("{}.{owner}.{item}", self.namespace),
            None => format!("{}.{owner}", self.namespace),
        };
        let (owner, item) = (owner.to_string(), item.map(str::to_string));
        self.list.push(Finding { kind, object, expected, actual, owner, item });
    }

    /// A finding when the two sides differ.
    fn differ<T: PartialEq>(
        &mut self,
        kind: Kind,
        owner: &str,
        item: Option<&str>,
        d: T,
        l: T,
        show: impl Fn(T) -> String,
    ) {
        if d != l {
            self.add(kind, owner, item, Some(show(d)), Some(show(l)));
        }
    }
}

fn compare(project: &Project, desired: &Project, seen: &Project, live: &Live) -> Vec<Finding> {
    let mut f = Findings { namespace: desired.namespace.clone(), list: Vec::new() };
    let foreign: BTreeSet<(&str, &str)> = live.foreign_types.iter().map(|(t, c, _)| (t.as_str(), c.as_str())).collect();
    for d in &desired.tables {
        match seen.table(&d.name) {
            Some(l) => table(&mut f, d, l, &foreign),
            None => f.add(Kind::MissingTable, &d.name, None, Some(table_text(d)), None),
        }
    }
    for (t, c, printed) in &live.foreign_types {
        match desired.table(t).and_then(|d| d.column(c)) {
            Some(d) => f.add(Kind::ColumnType, t, Some(c), Some(d.ty.to_string()), Some(printed.clone())),
            None if desired.table(t).is_some() => f.add(Kind::ExtraColumn, t, Some(c), None, Some(printed.clone())),
            None => {}
        }
    }
    for d in &desired.views {
        match seen.view(&d.name) {
            Some(l) => view(&mut f, d, l),
            None => f.add(Kind::MissingView, &d.name, None, Some(view_kind(d.materialized).into()), None),
        }
    }
    for (name, why) in &live.broken {
        if desired.view(name).is_some() {
            f.add(Kind::MvState, name, None, Some("refreshable".into()), Some(why.clone()));
        }
    }
    // Unmanaged objects last; one the YAML declares in a phase that is not enabled says so.
    let not_enabled = |name: &str| {
        let phase = project.table(name).map(|t| t.phase).or_else(|| project.view(name).map(|v| v.phase));
        phase.map(|p| format!("nothing (phase {p} is not enabled)"))
    };
    for l in &seen.tables {
        if desired.table(&l.name).is_none() {
            f.add(Kind::ExtraTable, &l.name, None, not_enabled(&l.name), Some(table_text(l)));
        }
    }
    for l in &seen.views {
        if desired.view(&l.name).is_none() {
            f.add(Kind::ExtraView, &l.name, None, not_enabled(&l.name), Some(view_kind(l.materialized).into()));
        }
    }
    f.list
}

fn table(f: &mut Findings, d: &Table, l: &Table, foreign: &BTreeSet<(&str, &str)>) {
    let name = d.name.as_str();
    let mut missing = Vec::new();
    for dc in &d.columns {
        match l.column(&dc.name) {
            Some(lc) => column(f, name, dc, lc),
            None if foreign.contains(&(name, dc.name.as_str())) => {}
            None => missing.push(dc),
        }
    }
    let mut extra: Vec<&Column> = l.columns.iter().filter(|c| d.column(&c.name).is_none()).collect();
    for dc in missing {
        let same =
            |c: &&Column| (c.ty, c.nullable, &c.default, c.identity) == (dc.ty, dc.nullable, &dc.default, dc.identity);
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

    f.differ(Kind::PrimaryKey, name, None, &d.primary_key, &l.primary_key, |k| {
        if k.is_empty() {
            "none".into()
        } else {
            keys(k)
        }
    });
    sets(f, Kind::UniqueKey, name, &d.unique, &l.unique, |u| keys(u));
    sets(f, Kind::ForeignKey, name, &d.foreign_keys, &l.foreign_keys, |k| {
        format!("{} REFERENCES {} {}", keys(&k.columns), k.table, keys(&k.references))
    });
    indexes(f, name, &d.indexes, &l.indexes);
    f.differ(Kind::Distribution, name, None, &d.distribution, &l.distribution, Distribution::to_string);
    f.differ(Kind::SortKey, name, None, &d.sort_key, &l.sort_key, SortKey::to_string);
    f.differ(Kind::Backup, name, None, d.backup, l.backup, yes_no);
    f.differ(Kind::Comment, name, None, &d.description, &l.description, comment_text);
}

fn column(f: &mut Findings, table: &str, d: &Column, l: &Column) {
    let at = Some(d.name.as_str());
    f.differ(Kind::ColumnType, table, at, d.ty, l.ty, |t| t.to_string());
    f.differ(Kind::Nullability, table, at, d.nullable, l.nullable, |n| if n { "NULL" } else { "NOT NULL" }.into());
    f.differ(Kind::Default, table, at, &d.default, &l.default, |x| x.clone().unwrap_or_else(|| "none".into()));
    f.differ(Kind::Identity, table, at, d.identity, l.identity, |i| match i {
        Some(i) => format!("identity({}, {})", i.seed, i.step),
        None => "none".into(),
    });
    f.differ(Kind::Encoding, table, at, &d.encode, &l.encode, |e| e.clone().unwrap_or_else(|| "auto".into()));
    f.differ(Kind::Comment, table, at, &d.description, &l.description, comment_text);
}

fn view(f: &mut Findings, d: &View, l: &View) {
    let name = d.name.as_str();
    f.differ(Kind::ViewKind, name, None, d.materialized, l.materialized, |m| view_kind(m).into());
    f.differ(Kind::ViewBody, name, None, &d.sql, &l.sql, |s| s.clone());
    if d.materialized && l.materialized {
        f.differ(Kind::MvOptions, name, None, mv_options(d), mv_options(l), |o| o);
    }
    indexes(f, name, &d.indexes, &l.indexes);
    f.differ(Kind::Comment, name, None, &d.description, &l.description, comment_text);
}

fn indexes(f: &mut Findings, owner: &str, desired: &[Index], live: &[Index]) {
    for d in desired {
        match live.iter().find(|l| l.name == d.name) {
            Some(l) => f.differ(Kind::Index, owner, Some(&d.name), d, l, index_text),
            None => f.add(Kind::MissingIndex, owner, Some(&d.name), Some(index_text(d)), None),
        }
    }
    for l in live.iter().filter(|l| !desired.iter().any(|d| d.name == l.name)) {
        f.add(Kind::ExtraIndex, owner, Some(&l.name), None, Some(index_text(l)));
    }
}

/// Keys compared as sets: one finding per key on one side only.
fn sets<T: PartialEq>(
    f: &mut Findings,
    kind: Kind,
    owner: &str,
    desired: &[T],
    live: &[T],
    show: impl Fn(&T) -> String,
) {
    for d in desired.iter().filter(|d| !live.contains(d)) {
        f.add(kind, owner, None, Some(show(d)), None);
    }
    for l in live.iter().filter(|l| !desired.contains(l)) {
        f.add(kind, owner, None, None, Some(show(l)));
    }
}

fn table_text(t: &Table) -> String {
    let n = t.columns.len();
    format!("table ({n} column{})", if n == 1 { "" } else { "s" })
}

fn keys(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

fn column_text(c: &Column) -> String {
    let mut text = c.ty.to_string();
    if let Some(i) = c.identity {
        text.push_str(&format!(" IDENTITY({}, {})", i.seed, i.step));
    }
    if let Some(d) = &c.default {
        text.push_str(&format!(" DEFAULT {d}"));
    }
    if !c.nullable {
        text.push_str(" NOT NULL");
    }
    text
}

fn index_text(i: &Index) -> String {
    let unique = if i.unique { "UNIQUE " } else { "" };
    let predicate = i.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
    format!("{unique}{}{predicate}", keys(&i.columns))
}

fn yes_no(on: bool) -> String {
    if on { "YES" } else { "NO" }.into()
}

fn comment_text(c: &Option<String>) -> String {
    c.clone().unwrap_or_else(|| "none".into())
}

fn view_kind(materialized: bool) -> &'static str {
    if materialized {
        "materialized view"
    } else {
        "view"
    }
}

fn mv_options(v: &View) -> String {
    let sort = if v.sort_key.columns.is_empty() { "none".into() } else { keys(&v.sort_key.columns) };
    format!(
        "BACKUP {}, DISTSTYLE {}, SORTKEY {sort}, AUTO REFRESH {}",
        yes_no(v.backup),
        v.distribution,
        yes_no(v.auto_refresh)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_patterns() {
        assert!(glob("legacy_*", "legacy_events"));
        assert!(glob("*_old", "events_old"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("legacy_*", "events"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exact2"));
    }
}
