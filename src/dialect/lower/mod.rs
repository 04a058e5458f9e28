//! Neutral changes → the operations of one dialect, in an order that runs: each operation is
//! planned with its `Phase` (types, guards, views dropped, keys dropped, tables, keys added,
//! types dropped, views created, finish) and the plan is sorted by phase, so the order is data
//! the planner tests (`order_tests.rs`), not an order of pushes. The driver decides how
//! a table changes (`Driver::lower_table`, `Driver::move_table`) and which view changes need a
//! recreate; this module owns the order and the parts of a table's change both dialects share.

mod access;
mod shared;

pub use super::conversion::widens;
pub use super::hazard::Hazard;
pub use super::ops::Op;
pub use shared::*;

use super::Driver;
use crate::diff::{keys, Change, Key, TableDiff};
use crate::graph::{table_order, views_in_order};
use crate::model::{split_key, Domain, Project, Table, View};
use std::collections::{BTreeMap, BTreeSet};

/// How one table changes on a dialect: guard queries (before anything of the plan), operations
/// before every table change (constraint drops), the table's own, after every table change
/// (constraint adds), and what it does to others.
#[derive(Debug, Default)]
pub struct TableOps {
    pub guards: Vec<Op>,
    pub early: Vec<Op>,
    pub body: Vec<Op>,
    pub late: Vec<Op>,
    /// Which views reading the table must be dropped and created again around the change.
    pub breaks_views: Breaks,
    /// The table is replaced by a copy: foreign keys of other tables referencing it are
    /// dropped before and added back after.
    pub replaced: bool,
}

/// What a table's change does to the views reading it.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Breaks {
    #[default]
    Nothing,
    /// Views reading one of these columns (by their names before the change).
    Columns(Vec<String>),
    /// Every view reading the table.
    Everything,
}

impl Breaks {
    /// Nothing for no columns.
    pub fn columns(columns: Vec<String>) -> Breaks {
        if columns.is_empty() {
            Breaks::Nothing
        } else {
            Breaks::Columns(columns)
        }
    }

    fn breaks(&self, view: &View, driver: &dyn Driver) -> bool {
        match self {
            Breaks::Nothing => false,
            Breaks::Columns(columns) => crate::sql::may_read(&view.sql, columns, driver.escapes()),
            Breaks::Everything => true,
        }
    }
}

/// The phases of a plan, in the order they run; within one, operations keep the order they
/// were planned in, but for the keys (below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Schemas, then extensions, enums, sequences and domains: what tables use.
    Types,
    /// Guard queries: one that fails must fail before anything changed, even in a plan cut
    /// into parts.
    Guards,
    /// The privileges of views to recreate saved, then those views dropped, dependents first.
    DropViews,
    /// Constraints dropped before any table changes; foreign keys before the keys they use.
    DropKeys,
    /// Tables dropped, created (foreign-key targets first), moved and changed.
    Tables,
    /// Constraints added after every table change; foreign keys after the keys they use.
    AddKeys,
    /// Types no column uses any more; domains first (one may be over an enum).
    DropTypes,
    /// Views created and recreated (what they read first) with comments and grants, and the
    /// privileges saved before given back.
    Views,
    /// The refresh procedure and USAGE on the namespaces.
    Finish,
}

/// An operation, its phase, and the index of the change it comes from (None for what the
/// order itself needs: the schema, views recreated around a table change).
#[derive(Debug, Clone)]
pub struct Lowered {
    pub op: Op,
    pub source: Option<usize>,
    pub phase: Phase,
}

/// The operations that apply `changes` (= `diff(from, to)`) on the driver's dialect, or the
/// differences no migration can express.
pub fn lower(
    driver: &dyn Driver,
    from: &Project,
    to: &Project,
    changes: &[Change],
) -> Result<Vec<Lowered>, Vec<String>> {
    let mut unsupported = Vec::new();
    let empty = from.tables.is_empty() && from.views.is_empty();
    if !empty && from.namespace != to.namespace {
        unsupported.push(format!("namespace changed from `{}` to `{}`", from.namespace, to.namespace));
    }
    let at = |phase: Phase, op: Op, i: usize| Lowered { op, source: Some(i), phase };
    let none = |phase: Phase, op: Op| Lowered { op, source: None, phase };
    // The first change of each kind per object, found by name: thousands of tables stay n log n.
    let mut first: BTreeMap<(Of, &str), usize> = BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        let key = match c {
            Change::DropTable { table } => (Of::DropTable, table.name.as_str()),
            Change::AddTable { table } => (Of::AddTable, table.name.as_str()),
            Change::ModifyTable(d) => (Of::ModifyTable, d.to.name.as_str()),
            c => match view_change(c) {
                Some(name) => (Of::View, name.as_str()),
                None => continue,
            },
        };
        first.entry(key).or_insert(i);
    }
    let index = |of: Of, name: &str| first.get(&(of, name)).copied();
    let moved = moves(changes);
    let mut out = Vec::new();
    let mut broken = BTreeMap::new();
    let mut replaced = BTreeSet::new();

    for old in table_order(&from.tables).into_iter().rev() {
        if let Some(i) = index(Of::DropTable, &old.name).filter(|_| !moved.values().any(|m| *m == old.name)) {
            out.push(at(Phase::Tables, Op::DropTable { table: old.name.clone() }, i));
        }
    }
    let mut created = BTreeSet::new();
    for new in table_order(&to.tables) {
        let lowered = if let Some(i) = index(Of::AddTable, &new.name) {
            let Some(old) = moved.get(new.name.as_str()).and_then(|o| from.table(o)) else {
                // A foreign key to a table created later (tables that reference each other in
                // a cycle) is added once both exist.
                let ready = |target: &String| {
                    *target == new.name || created.contains(target) || index(Of::AddTable, target).is_none()
                };
                let (now, later): (Vec<Key>, Vec<Key>) =
                    keys(new).into_iter().partition(|k| k.references.as_ref().is_none_or(|(t, _)| ready(t)));
                out.push(at(Phase::Tables, Op::CreateTable { table: new.clone(), constraints: now }, i));
                let table = &new.name;
                let add = |k| at(Phase::AddKeys, Op::AddConstraint { table: table.clone(), constraint: k }, i);
                out.extend(later.into_iter().map(add));
                created.insert(new.name.clone());
                continue;
            };
            // Views reading the old table are recreated on the new one.
            broken.insert(old.name.clone(), Breaks::Everything);
            (i, driver.move_table(&moved_diff(from, old, new)))
        } else if let Some(i) = index(Of::ModifyTable, &new.name) {
            let Change::ModifyTable(d) = &changes[i] else { continue };
            (i, driver.lower_table(d))
        } else {
            continue;
        };
        match lowered {
            (i, Ok(ops)) => {
                out.extend(ops.guards.into_iter().map(|op| at(Phase::Guards, op, i)));
                out.extend(ops.early.into_iter().map(|op| at(Phase::DropKeys, op, i)));
                out.extend(ops.body.into_iter().map(|op| at(Phase::Tables, op, i)));
                out.extend(ops.late.into_iter().map(|op| at(Phase::AddKeys, op, i)));
                if ops.breaks_views != Breaks::Nothing {
                    broken.insert(new.name.clone(), ops.breaks_views);
                }
                if ops.replaced {
                    replaced.insert(new.name.clone());
                }
            }
            (_, Err(e)) => unsupported.push(e),
        }
    }
    // A replaced or moved table is dropped: foreign keys of other tables that reference it are
    // dropped before any table changes, so that neither its copy nor the copy of a replaced
    // child finds one still pointing at it (AWS "DROP TABLE": RESTRICT is the default). A kept
    // child gets its key back after; a copied child's copy adds its own keys; a kept child whose
    // key changes drops and adds it itself (`key_ops`). A moved child is still in its old place
    // when its key goes.
    let old_tables: BTreeMap<&str, &Table> = from.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let gone: BTreeSet<&str> = replaced.iter().map(String::as_str).chain(moved.values().copied()).collect();
    for t in &to.tables {
        let was = moved.get(t.name.as_str()).copied().unwrap_or(t.name.as_str());
        let Some(old) = old_tables.get(was) else { continue };
        let (now, copied) = (keys(t), replaced.contains(&t.name));
        for k in keys(old) {
            if !k.references.as_ref().is_some_and(|(target, _)| gone.contains(target.as_str())) {
                continue;
            }
            let kept = now.contains(&k);
            if kept || copied {
                out.push(none(Phase::DropKeys, Op::DropConstraint { table: old.name.clone(), name: k.name.clone() }));
            }
            if kept && !copied {
                out.push(none(Phase::AddKeys, Op::AddConstraint { table: t.name.clone(), constraint: k }));
            }
        }
    }

    let recreate = recreated_views(driver, from, to, changes, &broken);
    if empty {
        out.push(none(Phase::Types, Op::CreateSchema { name: to.namespace.clone() }));
    }
    let to_ns = to.namespace.clone();
    // Created before the tables that use them, dropped after.
    let made = |gone: bool| if gone { Phase::DropTypes } else { Phase::Types };
    for (i, change) in changes.iter().enumerate() {
        match change {
            Change::AddNamespace { name } => out.push(at(Phase::Types, Op::CreateSchema { name: name.clone() }, i)),
            Change::AddEnum { name, values } => {
                out.push(at(Phase::Types, Op::CreateEnum { name: name.clone(), values: values.clone() }, i))
            }
            Change::ModifyEnum { name, from, to } => match added_values(name, from, to) {
                Ok(ops) => out.extend(ops.into_iter().map(|op| at(Phase::Types, op, i))),
                Err(e) => unsupported.push(e),
            },
            Change::DropEnum { name, .. } => out.push(at(Phase::DropTypes, Op::DropEnum { name: name.clone() }, i)),
            Change::Extension { name, create } => {
                let (schema, extension) = crate::model::split_key(name);
                let schema = schema.unwrap_or(&to.namespace).to_string();
                let op =
                    Op::Extension { name: name.clone(), extension: extension.to_string(), schema, create: *create };
                out.push(at(made(!create), op, i))
            }
            Change::Sequence { name, from, to } => {
                let op = Op::Sequence {
                    name: name.clone(),
                    exists: from.is_some(),
                    options: *to,
                    text: to.map(|s| s.to_string()),
                };
                out.push(at(made(to.is_none()), op, i))
            }
            Change::Domain { name, from, to } => match domain_op(driver, &to_ns, name, from, to) {
                Ok(op) => out.push(at(made(to.is_none()), op, i)),
                Err(e) => unsupported.push(e),
            },
            _ => {}
        }
    }
    // Recreated views are given back the owner and privileges they had (the driver permitting),
    // then lose those the YAML stops granting.
    let kept: Vec<&View> = views_in_order(&from.views)
        .into_iter()
        .filter(|v| driver.keeps_privileges() && recreate.contains(&v.name) && to.view(&v.name).is_some())
        .collect();
    if !kept.is_empty() {
        let objects = kept.iter().map(|v| v.name.clone()).collect();
        out.push(none(Phase::DropViews, Op::SavePrivileges { objects }));
    }
    for v in views_in_order(&from.views).into_iter().rev() {
        if recreate.contains(&v.name) {
            let source = index(Of::View, &v.name);
            out.push(Lowered { op: Op::DropView { view: v.clone() }, source, phase: Phase::DropViews });
        }
    }
    // A created view gets its grants with it; a kept one changes its comment and grants.
    let mut regrants = Vec::new();
    for v in views_in_order(&to.views) {
        let source = index(Of::View, &v.name);
        let modified = source.map(|i| &changes[i]);
        let regranted = match modified {
            Some(Change::ModifyView { from: old, .. }) => crate::diff::grants(&old.grants, &v.grants),
            _ => None,
        };
        let grants = |(revoke, grant)| Op::Grants { object: v.name.clone(), revoke, grant };
        match modified {
            Some(Change::AddView { .. }) => {
                out.push(Lowered { op: Op::CreateView { view: v.clone() }, source, phase: Phase::Views })
            }
            _ if recreate.contains(&v.name) => {
                out.push(Lowered { op: Op::CreateView { view: v.clone() }, source, phase: Phase::Views });
                if kept.iter().any(|k| k.name == v.name) {
                    regrants.extend(regranted.map(|g| Lowered { op: grants(g), source, phase: Phase::Views }));
                }
            }
            Some(Change::ModifyView { from: old, changed, .. }) => {
                out.extend(driver.alter_view(old, v, *changed).into_iter().map(|op| Lowered {
                    op,
                    source,
                    phase: Phase::Views,
                }));
                if changed.comment {
                    let on = if v.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
                    let op = Op::Comment { object: v.name.clone(), on, column: None, text: v.description.clone() };
                    out.push(Lowered { op, source, phase: Phase::Views });
                }
                out.extend(regranted.map(|g| Lowered { op: grants(g), source, phase: Phase::Views }));
            }
            _ => {}
        }
    }
    if !kept.is_empty() {
        let pairs = kept.iter().map(|v| (v.name.clone(), v.name.clone())).collect();
        out.push(none(Phase::Views, Op::RestorePrivileges { pairs }));
    }
    out.extend(regrants);
    for (i, change) in changes.iter().enumerate() {
        let Change::RefreshProcedure { from, to, views } = change else { continue };
        match (from, to) {
            (Some(old), Some(new)) if old != new => unsupported.push(format!("refresh procedure `{old}` was renamed")),
            (Some(old), None) => unsupported.push(format!("refresh procedure `{old}` was removed")),
            (_, Some(name)) => {
                out.push(at(Phase::Finish, Op::CreateRefreshProcedure { name: name.clone(), views: views.clone() }, i))
            }
            (None, None) => {}
        }
    }
    out.extend(access::usage(from, to).into_iter().map(|op| none(Phase::Finish, op)));
    // A key that foreign keys reference cannot go before them, nor come after them.
    let foreign = |op: &Op| match op {
        Op::DropConstraint { table, name } => {
            from.table(table).is_some_and(|t| keys(t).iter().any(|k| k.name == *name && k.references.is_some()))
        }
        Op::AddConstraint { constraint, .. } => constraint.references.is_some(),
        _ => false,
    };
    out.sort_by_key(|l| {
        let first = match l.phase {
            Phase::DropKeys => foreign(&l.op),
            Phase::AddKeys => !foreign(&l.op),
            Phase::DropTypes => matches!(l.op, Op::Domain { .. }),
            _ => true,
        };
        (l.phase, !first)
    });
    if unsupported.is_empty() {
        Ok(out)
    } else {
        Err(unsupported)
    }
}

/// Tables that leave one managed namespace for another under the same name: new key → old key.
/// The differ sees a table dropped and one created; the planner keeps its rows.
fn moves(changes: &[Change]) -> BTreeMap<&str, &str> {
    let dropped: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable { table } => Some(table.name.as_str()),
            _ => None,
        })
        .collect();
    let mut out = BTreeMap::new();
    for c in changes {
        let Change::AddTable { table } = c else { continue };
        let name = split_key(&table.name).1;
        let mut same = dropped.iter().filter(|d| split_key(d).1 == name && **d != table.name);
        // Only an unambiguous pair is a move.
        if let (Some(old), None) = (same.next(), same.next()) {
            out.insert(table.name.as_str(), *old);
        }
    }
    out
}

/// The change of a moved table: `from` under its old key, `to` under its new one, and what else
/// differs besides its place.
fn moved_diff(from: &Project, old: &Table, new: &Table) -> TableDiff {
    let one = |t: Table| Project { tables: vec![t], ..from.emptied() };
    let renamed = one(Table { name: new.name.clone(), ..old.clone() });
    let changes = crate::diff::diff(&renamed, &one(new.clone())).into_iter().find_map(|c| match c {
        Change::ModifyTable(d) => Some(d.changes),
        _ => None,
    });
    TableDiff { from: old.clone(), to: new.clone(), changes: changes.unwrap_or_default() }
}

/// The values `to` adds to an enum that has `from`, each placed next to one it has by then
/// (PostgreSQL can add values but not remove or reorder them: that is refused).
fn added_values(name: &str, from: &[String], to: &[String]) -> Result<Vec<Op>, String> {
    if !to.iter().filter(|v| from.contains(v)).eq(from.iter()) {
        return Err(format!(
            "enum `{name}` changes from [{}] to [{}]: PostgreSQL can add values to an enum but not remove or reorder them; write this migration by hand",
            from.join(", "),
            to.join(", ")
        ));
    }
    let mut ops = Vec::new();
    for (i, value) in to.iter().enumerate().filter(|(_, v)| !from.contains(v)) {
        let (before, after) = match i {
            0 => (from.first().cloned(), None),
            _ => (None, Some(to[i - 1].clone())),
        };
        ops.push(Op::AddEnumValue { name: name.to_string(), value: value.clone(), before, after });
    }
    Ok(ops)
}

/// Which change of an object `lower` looks for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Of {
    DropTable,
    AddTable,
    ModifyTable,
    View,
}

/// The view a view change is about.
fn view_change(change: &Change) -> Option<&String> {
    match change {
        Change::AddView { view } | Change::DropView { view } => Some(&view.name),
        Change::ModifyView { to, .. } => Some(&to.name),
        _ => None,
    }
}

/// Old views to drop and create again: removed ones, ones whose change the driver cannot make
/// in place, and every view reading one of them or what a table's change breaks.
fn recreated_views(
    driver: &dyn Driver,
    from: &Project,
    to: &Project,
    changes: &[Change],
    broken: &BTreeMap<String, Breaks>,
) -> BTreeSet<String> {
    let changed = |v: &View| {
        to.view(&v.name).is_none()
            || changes.iter().any(|c| {
                matches!(c, Change::ModifyView { to, changed, .. } if to.name == v.name && driver.recreates_view(*changed))
            })
    };
    let mut recreate: BTreeSet<String> = from.views.iter().filter(|v| changed(v)).map(|v| v.name.clone()).collect();
    loop {
        let before = recreate.len();
        for v in &from.views {
            let breaks = |d: &String| broken.get(d).is_some_and(|b| b.breaks(v, driver));
            if v.depends_on.iter().any(|d| recreate.contains(d) || breaks(d)) {
                recreate.insert(v.name.clone());
            }
        }
        if recreate.len() == before {
            return recreate;
        }
    }
}

/// A domain's change as one operation. PostgreSQL cannot change a domain's base type in place.
fn domain_op(
    driver: &dyn Driver,
    namespace: &str,
    name: &str,
    from: &Option<Domain>,
    to: &Option<Domain>,
) -> std::result::Result<Op, String> {
    let (dropped, added) = match (from, to) {
        (Some(a), Some(b)) if a.ty != b.ty => {
            return Err(format!(
                "domain `{name}` changes its base type, which PostgreSQL cannot do in place: create a domain of the new type, move the columns to it, then drop this one"
            ))
        }
        (Some(a), Some(b)) => {
            let (old, new) = (a.checks(), b.checks());
            let dropped = old.iter().filter(|k| !new.contains(k)).map(|(n, _)| n.to_string()).collect();
            let added = b.check_constraints.iter().filter(|k| !old.contains(&(k.name.as_str(), k.expression.as_str()))).cloned();
            (dropped, added.collect())
        }
        _ => (vec![], vec![]),
    };
    let type_sql = to.as_ref().map(|d| driver.type_sql(&d.ty, namespace)).unwrap_or_default();
    Ok(Op::Domain { name: name.to_string(), from: from.clone(), to: to.clone(), type_sql, dropped, added })
}
