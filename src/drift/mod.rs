//! `schema diff`: the enabled phases of the YAML against the live catalog of the managed
//! namespace. The driver reads the catalog and spells both sides alike; the neutral differ
//! gives the changes from live to desired; findings are a view of them, the plan their
//! statements, and a unified diff of the canonical DDL of both sides shows them in full.

use crate::dialect::catalog::Live;
use crate::dialect::driver;
use crate::diff::findings::{column_positions, findings, Extras, Finding, Kind};
use crate::diff::unmanaged::{glob, ignore_rule, Unmanaged};
use crate::diff::{diff as changes_between, foreign_key_names, Change};
use crate::error::Result;
use crate::model::{Column, Dialect, Project, Table};
use crate::plan::{create_all, plan_changes};
use similar::TextDiff;
use std::collections::BTreeMap;

pub mod output;

pub struct Report {
    pub findings: Vec<Finding>,
    /// Unified diff of the canonical DDL, live (`-`) against desired (`+`); empty if equal.
    pub diff: String,
    /// The statements that would bring the database to the YAML, or why there are none.
    pub sql: std::result::Result<String, String>,
    pub warnings: Vec<String>,
    /// Round trips to the server.
    pub queries: usize,
}

impl Report {
    pub fn drift(&self) -> bool {
        !self.findings.is_empty() || !self.diff.is_empty()
    }
}

/// Compares the enabled phases of `project` with the database.
pub fn diff(client: &mut postgres::Client, dialect: Dialect, project: &Project) -> Result<Report> {
    compare(client, dialect, project, None)
}

/// `diff`, with the live side already read when `read` holds it (what `inspect` just read).
pub fn compare(
    client: &mut postgres::Client,
    dialect: Dialect,
    project: &Project,
    read: Option<Live>,
) -> Result<Report> {
    let enabled = project.enabled();
    let namespaces = enabled.managed_namespaces();
    let (live, desired) = match read {
        Some(live) => driver(dialect).inspect_desired(client, &namespaces, &enabled, live)?,
        None => driver(dialect).inspect(client, &namespaces, Some(&enabled))?,
    };
    let desired = desired.unwrap_or(enabled);
    Ok(report(project, &desired, live, dialect))
}

/// The report on `live` against `desired`, the enabled phases of `project` as the driver
/// normalised them.
pub fn report(project: &Project, desired: &Project, mut live: Live, dialect: Dialect) -> Report {
    // The catalog holds neither reference rows nor the refresh procedure: not compared.
    let mut desired = Project { refresh_procedure: None, ..desired.clone() };
    desired.tables.iter_mut().for_each(|t| t.rows.clear());
    let desired = &desired;
    let unmanaged = |name: &str| desired.table(name).is_none() && desired.view(name).is_none();
    let (rules, names): (Vec<&String>, Vec<&String>) = project.ignore.iter().partition(|e| ignore_rule(e).is_some());
    let ignored = |name: &str| unmanaged(name) && names.iter().any(|pattern| glob(pattern, name));
    live.project.tables.retain(|t| !ignored(&t.name));
    live.project.views.retain(|v| !ignored(&v.name));
    live.project.enums.retain(|name, _| desired.enums.contains_key(name) || !names.iter().any(|p| glob(p, name)));
    live.project
        .sequences
        .retain(|name, _| desired.sequences.contains_key(name) || !names.iter().any(|p| glob(p, name)));
    live.project.domains.retain(|name, _| desired.domains.contains_key(name) || !names.iter().any(|p| glob(p, name)));
    live.project.extensions.retain(|name| desired.extensions.contains(name) || !names.iter().any(|p| glob(p, name)));
    let rules: Vec<_> = rules.into_iter().filter_map(|e| ignore_rule(e)).collect();
    let rule = |u: &Unmanaged| rules.iter().any(|r| r.silences(u));
    // The tool's own refresh procedure is no stray object; a plain pattern names objects too.
    let own = |u: &Unmanaged| u.kind == Kind::Unmanaged && project.refresh_procedure.as_deref() == Some(&u.table);
    let named = |u: &Unmanaged| u.kind == Kind::Unmanaged && names.iter().any(|p| glob(p, &u.table));
    live.unmanaged.retain(|u| !rule(u) && !own(u) && !named(u));
    // A column or index only the database has is one finding (`extra_column`, `extra_index`),
    // not one more per property of it.
    live.unmanaged.retain(|u| {
        let (Some(item), Some(l), Some(d)) = (&u.item, live.project.table(&u.table), desired.table(&u.table)) else {
            return true;
        };
        let extra = |has: &dyn Fn(&crate::model::Table) -> bool| has(l) && !has(d);
        !extra(&|t| t.column(item).is_some()) && !extra(&|t| t.indexes.iter().any(|i| &i.name == item))
    });
    // CHECK constraints and foreign keys are modelled: an ignored one the YAML does not declare
    // leaves the live side, so neither the findings nor the DDL diff nor the plan show it
    // (inspect writes `foreign_key <table>.<name>` for one into a namespace it does not manage).
    for t in &mut live.project.tables {
        let (d, table) = (desired.table(&t.name), t.name.clone());
        let kept = |kind, name: &str, declared: bool| declared || !rule(&Unmanaged::on(kind, &table, Some(name), ""));
        let checks = d.map(|d| d.check_constraints.as_slice()).unwrap_or_default();
        t.check_constraints.retain(|k| kept(Kind::CheckConstraint, &k.name, checks.iter().any(|c| c.name == k.name)));
        let (keys, names) = (d.map(foreign_key_names).unwrap_or_default(), foreign_key_names(t));
        let mut names = names.iter();
        t.foreign_keys.retain(|_| {
            let name = names.next().map(String::as_str).unwrap_or_default();
            kept(Kind::ForeignKey, name, keys.iter().any(|k| k == name))
        });
    }
    // The live side speaks for the YAML's settings, the namespaces it manages too: only
    // objects differ (a missing namespace shows as its missing objects).
    let seen = Project { namespaces: desired.namespaces.clone(), ..desired.emptied() };
    let (tables, views) = (std::mem::take(&mut live.project.tables), std::mem::take(&mut live.project.views));
    let (enums, sequences) = (std::mem::take(&mut live.project.enums), std::mem::take(&mut live.project.sequences));
    let (extensions, domains) =
        (std::mem::take(&mut live.project.extensions), std::mem::take(&mut live.project.domains));
    let seen = Project { tables, views, enums, sequences, extensions, domains, ..seen };

    let changes: Vec<Change> = changes_between(&seen, desired);
    let extras = Extras { foreign_types: &live.foreign_types, broken: &live.broken, unmanaged: &live.unmanaged };
    let mut findings = findings(project, desired, &changes, &extras);
    findings.extend(column_positions(&seen, desired));
    let mut warnings = std::mem::take(&mut live.warnings);
    // Both sides rendered at once, each with only what differs from the other: an object equal
    // on both renders alike, and whole schemas' DDL took half of a diff's time.
    let (live_side, desired_side) = (differing(&seen, desired), differing(desired, &seen));
    let sides = std::thread::scope(|scope| {
        let live = scope.spawn(|| create_all(&live_side, dialect));
        let desired = create_all(&desired_side, dialect);
        (live.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), desired)
    });
    let diff = match sides {
        (Ok(a), Ok(b)) if a == b => String::new(),
        (Ok(a), Ok(b)) => {
            TextDiff::from_lines(&a, &b).unified_diff().context_radius(3).header("live", "desired").to_string()
        }
        (Err(e), _) | (_, Err(e)) => {
            warnings.push(format!("no DDL diff: {e}"));
            String::new()
        }
    };
    let sql = plan_changes(dialect, &seen, desired, changes).map(|p| p.sql()).map_err(|e| e.to_string());
    Report { findings, diff, sql, warnings, queries: live.queries }
}

/// The objects of `side` that `other` lacks or holds otherwise, with `side`'s settings. Tables
/// are compared on what their DDL renders: not their phase, data checks, or a column's
/// derivation, lookup and former name, which the catalog does not hold.
fn differing(side: &Project, other: &Project) -> Project {
    fn objects<T: PartialEq + Clone>(side: &[T], other: &[T], name: impl Fn(&T) -> &str) -> Vec<T> {
        let other: BTreeMap<&str, &T> = other.iter().map(|o| (name(o), o)).collect();
        side.iter().filter(|o| other.get(name(o)) != Some(o)).cloned().collect()
    }
    fn rendered(t: &Table) -> Table {
        let column = |c: &Column| Column { derived: None, lookup: None, renamed_from: None, ..c.clone() };
        let columns = t.columns.iter().map(column).collect();
        Table { phase: 0, checks: Vec::new(), key_checks: None, columns, ..t.clone() }
    }
    let others: BTreeMap<&str, Table> = other.tables.iter().map(|t| (t.name.as_str(), rendered(t))).collect();
    let tables = side.tables.iter().filter(|t| others.get(t.name.as_str()) != Some(&rendered(t))).cloned().collect();
    fn entries<V: PartialEq + Clone>(side: &BTreeMap<String, V>, other: &BTreeMap<String, V>) -> BTreeMap<String, V> {
        side.iter().filter(|(k, v)| other.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
    Project {
        tables,
        views: objects(&side.views, &other.views, |v| &v.name),
        enums: entries(&side.enums, &other.enums),
        sequences: entries(&side.sequences, &other.sequences),
        domains: entries(&side.domains, &other.domains),
        extensions: side.extensions.difference(&other.extensions).cloned().collect(),
        ..side.emptied()
    }
}
