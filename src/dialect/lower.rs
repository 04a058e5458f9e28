//! Neutral changes → the operations of one dialect, in an order that runs: views that must go
//! are dropped first (dependents before what they read), then constraints that go, tables that
//! go, new tables (foreign-key targets first), changes to kept tables, new constraints, and
//! finally views are (re)created in dependency order. The driver decides how a table changes
//! (`Driver::lower_table`) and which view changes need a recreate; this module owns the order
//! and the parts of a table's change both dialects share.

pub use super::ops::{widens, Hazard, Op};
use super::Driver;
use crate::diff::{keys, Change, ColumnChanges, TableChange, TableDiff};
use crate::graph::{table_order, views_in_order};
use crate::model::{sibling_key, Project, Table, View};
use std::collections::{BTreeMap, BTreeSet};

/// How one table changes on a dialect: operations before every table change (constraint drops),
/// the table's own, after every table change (constraint adds), and what it does to others.
#[derive(Debug, Default)]
pub struct TableOps {
    pub early: Vec<Op>,
    pub body: Vec<Op>,
    pub late: Vec<Op>,
    /// The views reading the table must be dropped and created again around the change.
    pub breaks_views: bool,
    /// The table is replaced by a copy: foreign keys of other tables referencing it are
    /// dropped before and added back after.
    pub replaced: bool,
}

/// An operation and the index of the change it comes from (None for what the order itself
/// needs: the schema, views recreated around a table change).
#[derive(Debug, Clone)]
pub struct Lowered {
    pub op: Op,
    pub source: Option<usize>,
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
    let at = |op: Op, i: usize| Lowered { op, source: Some(i) };
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
    let (mut early, mut tables, mut late) = (Vec::new(), Vec::new(), Vec::new());
    let mut broken = BTreeSet::new();
    let mut replaced = BTreeSet::new();

    for old in table_order(&from.tables).into_iter().rev() {
        if let Some(i) = index(Of::DropTable, &old.name) {
            tables.push(at(Op::DropTable { table: old.name.clone() }, i));
        }
    }
    for new in table_order(&to.tables) {
        if let Some(i) = index(Of::AddTable, &new.name) {
            tables.push(at(Op::CreateTable { table: new.clone(), constraints: keys(new) }, i));
        }
        let Some(i) = index(Of::ModifyTable, &new.name) else { continue };
        let Change::ModifyTable(d) = &changes[i] else { continue };
        match driver.lower_table(d) {
            Ok(ops) => {
                early.extend(ops.early.into_iter().map(|op| at(op, i)));
                tables.extend(ops.body.into_iter().map(|op| at(op, i)));
                late.extend(ops.late.into_iter().map(|op| at(op, i)));
                if ops.breaks_views {
                    broken.insert(new.name.clone());
                }
                if ops.replaced {
                    replaced.insert(new.name.clone());
                }
            }
            Err(e) => unsupported.push(e),
        }
    }
    // A replaced table is dropped and renamed: foreign keys of other tables that reference it
    // (and stay unchanged) are dropped before and added back after.
    let old_tables: BTreeMap<&str, &Table> = from.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    for t in to.tables.iter().filter(|t| !replaced.contains(&t.name)) {
        let Some(old) = old_tables.get(t.name.as_str()) else { continue };
        let kept = keys(old);
        for k in keys(t).into_iter().filter(|k| kept.contains(k)) {
            if k.references.as_ref().is_some_and(|(target, _)| replaced.contains(target)) {
                early.push(Lowered {
                    op: Op::DropConstraint { table: t.name.clone(), name: k.name.clone() },
                    source: None,
                });
                late.push(Lowered { op: Op::AddConstraint { table: t.name.clone(), constraint: k }, source: None });
            }
        }
    }

    let recreate = recreated_views(driver, from, to, changes, &broken);
    let mut out = Vec::new();
    if empty {
        out.push(Lowered { op: Op::CreateSchema { name: to.namespace.clone() }, source: None });
    }
    let mut dropped_enums = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        match change {
            Change::AddNamespace { name } => out.push(at(Op::CreateSchema { name: name.clone() }, i)),
            Change::AddEnum { name, values } => {
                out.push(at(Op::CreateEnum { name: name.clone(), values: values.clone() }, i))
            }
            Change::ModifyEnum { name, from, to } => match added_values(name, from, to) {
                Ok(ops) => out.extend(ops.into_iter().map(|op| at(op, i))),
                Err(e) => unsupported.push(e),
            },
            Change::DropEnum { name, .. } => dropped_enums.push(at(Op::DropEnum { name: name.clone() }, i)),
            _ => {}
        }
    }
    for v in views_in_order(&from.views).into_iter().rev() {
        if recreate.contains(&v.name) {
            let source = index(Of::View, &v.name);
            out.push(Lowered { op: Op::DropView { view: v.clone() }, source });
        }
    }
    out.extend(early);
    out.extend(tables);
    out.extend(late);
    // After the tables whose columns used them are gone or changed.
    out.extend(dropped_enums);
    // A created view gets its grants with it; a kept one changes its comment and grants.
    for v in views_in_order(&to.views) {
        let source = index(Of::View, &v.name);
        match source.map(|i| &changes[i]) {
            Some(Change::AddView { .. }) => out.push(Lowered { op: Op::CreateView { view: v.clone() }, source }),
            _ if recreate.contains(&v.name) => out.push(Lowered { op: Op::CreateView { view: v.clone() }, source }),
            Some(Change::ModifyView { from: old, changed, .. }) => {
                if changed.comment {
                    let on = if v.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
                    let op = Op::Comment { object: v.name.clone(), on, column: None, text: v.description.clone() };
                    out.push(Lowered { op, source });
                }
                if let Some((revoke, grant)) = crate::diff::grants(&old.grants, &v.grants) {
                    out.push(Lowered { op: Op::Grants { object: v.name.clone(), revoke, grant }, source });
                }
            }
            _ => {}
        }
    }
    for (i, change) in changes.iter().enumerate() {
        let Change::RefreshProcedure { from, to, views } = change else { continue };
        match (from, to) {
            (Some(old), Some(new)) if old != new => unsupported.push(format!("refresh procedure `{old}` was renamed")),
            (Some(old), None) => unsupported.push(format!("refresh procedure `{old}` was removed")),
            (_, Some(name)) => out.push(at(Op::CreateRefreshProcedure { name: name.clone(), views: views.clone() }, i)),
            (None, None) => {}
        }
    }
    if unsupported.is_empty() {
        Ok(out)
    } else {
        Err(unsupported)
    }
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

/// The view a view change is about.
/// Which change of an object `lower` looks for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Of {
    DropTable,
    AddTable,
    ModifyTable,
    View,
}

fn view_change(change: &Change) -> Option<&String> {
    match change {
        Change::AddView { view } | Change::DropView { view } => Some(&view.name),
        Change::ModifyView { to, .. } => Some(&to.name),
        _ => None,
    }
}

/// Old views to drop and create again: removed ones, ones whose change the driver cannot make
/// in place, and every view reading one of them or a `broken` table.
fn recreated_views(
    driver: &dyn Driver,
    from: &Project,
    to: &Project,
    changes: &[Change],
    broken: &BTreeSet<String>,
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
            if v.depends_on.iter().any(|d| recreate.contains(d) || broken.contains(d)) {
                recreate.insert(v.name.clone());
            }
        }
        if recreate.len() == before {
            return recreate;
        }
    }
}

/// Changes no dialect can make to an existing table.
pub fn refuse_unsupported(d: &TableDiff) -> Result<(), String> {
    let name = &d.to.name;
    for change in &d.changes {
        match change {
            TableChange::ModifyColumn { to, changed, .. } if changed.has(ColumnChanges::IDENTITY) => {
                return Err(format!(
                    "identity of `{name}.{}` changed: identity cannot be added or removed in place",
                    to.name
                ));
            }
            // Before the NOT NULL rule, which an identity (always NOT NULL) would also meet.
            TableChange::AddColumn { column: c } if c.identity.is_some() => {
                return Err(format!("identity column `{name}.{}` cannot be added to an existing table", c.name));
            }
            TableChange::AddColumn { column: c } if !c.nullable && c.default.is_none() => {
                return Err(format!(
                    "column `{name}.{}` is added NOT NULL without a default: existing rows would have no value; add a `default`, or add it nullable, backfill, then make it NOT NULL",
                    c.name
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Keys that go (before any table changes) and come (after every table exists).
pub fn key_ops(d: &TableDiff) -> (Vec<Op>, Vec<Op>) {
    let (mut drops, mut adds) = (Vec::new(), Vec::new());
    for change in &d.changes {
        match change {
            TableChange::DropKey { key } => {
                drops.push(Op::DropConstraint { table: d.to.name.clone(), name: key.name.clone() })
            }
            TableChange::AddKey { key } => {
                adds.push(Op::AddConstraint { table: d.to.name.clone(), constraint: key.clone() })
            }
            _ => {}
        }
    }
    (drops, adds)
}

/// Renames, then new columns (a derived one followed by its backfill).
pub fn column_additions(d: &TableDiff) -> Vec<Op> {
    let table = &d.to.name;
    let mut ops = Vec::new();
    for change in &d.changes {
        if let TableChange::RenameColumn { from, to } = change {
            ops.push(Op::RenameColumn { table: table.clone(), from: from.clone(), to: to.clone() });
        }
    }
    for change in &d.changes {
        if let TableChange::AddColumn { column } = change {
            ops.push(Op::AddColumn { table: table.clone(), column: column.clone() });
            ops.extend(backfill(table, column));
        }
    }
    ops
}

/// The backfill of a new derived column.
pub fn backfill(table: &str, column: &crate::model::Column) -> Option<Op> {
    let expr = column.derived.clone()?;
    Some(Op::Backfill { table: table.to_string(), column: column.name.clone(), expr })
}

pub fn column_drops(d: &TableDiff) -> Vec<Op> {
    let drop = |c: &TableChange| match c {
        TableChange::DropColumn { column } => {
            Some(Op::DropColumn { table: d.to.name.clone(), column: column.name.clone() })
        }
        _ => None,
    };
    d.changes.iter().filter_map(drop).collect()
}

/// Comments of the table and its columns that changed.
pub fn comments(d: &TableDiff) -> Vec<Op> {
    let object = &d.to.name;
    let comment = |column: Option<&str>, text: &Option<String>| Op::Comment {
        object: object.clone(),
        on: "TABLE",
        column: column.map(str::to_string),
        text: text.clone(),
    };
    let mut ops = Vec::new();
    for change in &d.changes {
        if let TableChange::Comment { to, .. } = change {
            ops.push(comment(None, to));
        }
    }
    for change in &d.changes {
        if let TableChange::ModifyColumn { to, changed, .. } = change {
            if changed.has(ColumnChanges::COMMENT) {
                ops.push(comment(Some(&to.name), &to.description));
            }
        }
    }
    ops
}

/// The table's grants that change in place.
pub fn grant_ops(d: &TableDiff) -> Vec<Op> {
    let op = |c: &TableChange| match c {
        TableChange::Grants { revoke, grant } => {
            Some(Op::Grants { object: d.to.name.clone(), revoke: revoke.clone(), grant: grant.clone() })
        }
        _ => None,
    };
    d.changes.iter().filter_map(op).collect()
}

/// Index drops (changed ones too), then creates.
pub fn index_ops(d: &TableDiff) -> Vec<Op> {
    let table = &d.to.name;
    let mut drops = Vec::new();
    let mut creates = Vec::new();
    for change in &d.changes {
        match change {
            TableChange::DropIndex { index } => drops.push(Op::DropIndex { name: sibling_key(table, &index.name) }),
            TableChange::ModifyIndex { from, to } => {
                drops.push(Op::DropIndex { name: sibling_key(table, &from.name) });
                creates.push(Op::CreateIndex { table: table.clone(), index: to.clone() });
            }
            TableChange::AddIndex { index } => {
                creates.push(Op::CreateIndex { table: table.clone(), index: index.clone() })
            }
            _ => {}
        }
    }
    drops.extend(creates);
    drops
}

/// Reference rows that go, then those that come. Renames have run by then, and the differ names
/// a row's columns by their new names.
pub fn row_ops(d: &TableDiff) -> Vec<Op> {
    let renamed = crate::diff::renames(&d.from, &d.to);
    let mut ops = Vec::new();
    for change in &d.changes {
        if let TableChange::DeleteRows { rows } = change {
            let old = d
                .from
                .columns
                .iter()
                .map(|c| (renamed.get(c.name.as_str()).map_or(c.name.clone(), |n| n.to_string()), c.ty.clone()));
            let types = old.chain(d.to.columns.iter().map(|c| (c.name.clone(), c.ty.clone()))).collect();
            ops.push(Op::DeleteRows { table: d.to.name.clone(), rows: rows.clone(), types });
        }
    }
    for change in &d.changes {
        if let TableChange::AddRows { rows } = change {
            ops.push(Op::InsertRows { table: Table { rows: rows.clone(), ..d.to.clone() } });
        }
    }
    ops
}

/// The modified columns whose type, nullability or default changed: (old, new).
pub fn redefined(d: &TableDiff) -> Vec<(&crate::model::Column, &crate::model::Column)> {
    d.changes
        .iter()
        .filter_map(|c| match c {
            TableChange::ModifyColumn { from, to, changed } if changed.definition() => Some((from, to)),
            _ => None,
        })
        .collect()
}

/// Renamed or dropped columns: views reading the table break on every dialect.
pub fn renames_or_drops(d: &TableDiff) -> bool {
    d.changes.iter().any(|c| matches!(c, TableChange::RenameColumn { .. } | TableChange::DropColumn { .. }))
}
