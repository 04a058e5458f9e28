//! How PostgreSQL changes its own properties (`attrs`) of an existing table, its columns and its
//! views: in place where ALTER can (collation, identity generation and options, serial,
//! dropping a generation expression, persistence, storage parameters, view options), else by
//! re-creating the column (a new or changed generation expression), which the hazards say.

use super::Postgres;
use crate::dialect::lower::{Hazard, Op};
use crate::dialect::postgres::attrs::option_changes;
use crate::dialect::Driver;
use crate::diff::{keys, ColumnChanges, TableChange, TableDiff, ViewChanges};
use crate::model::{index_entry, Column, View};
use crate::sql::expr::{expression, Role};

/// The modified columns to alter in place (old, new), and the generated columns to re-create:
/// PostgreSQL 15 can drop a generation expression (DROP EXPRESSION) but not set or change one.
pub(super) fn columns(d: &TableDiff) -> (Vec<(&Column, &Column)>, Vec<(&Column, &Column)>) {
    let (mut altered, mut regenerated) = (Vec::new(), Vec::new());
    for change in &d.changes {
        let TableChange::ModifyColumn { from, to, changed } = change else { continue };
        let (old, new) = (&from.postgres.generated, &to.postgres.generated);
        if new.is_some() && old != new {
            regenerated.push((from, to));
        } else if changed.definition() || changed.has(ColumnChanges::IDENTITY) || changed.has(ColumnChanges::POSTGRES) {
            altered.push((from, to));
        }
    }
    (altered, regenerated)
}

/// Re-creates each generated column, then the indexes on it (the server drops them with the
/// column, whatever the plan created before). Refused where a key or a CHECK constraint reads
/// the column: the server would drop those too.
pub(super) fn regenerate(d: &TableDiff, columns: &[(&Column, &Column)]) -> Result<Vec<Op>, String> {
    let table = &d.to.name;
    let reads = |text: &str, role: Role, name: &str| {
        expression(text, Postgres.grammars(), role).is_ok_and(|e| e.columns().iter().any(|c| c == name))
    };
    let mut ops = Vec::new();
    for (_, c) in columns {
        let name = c.name.as_str();
        let key = keys(&d.to).into_iter().find(|k| {
            k.columns.iter().any(|k| k == name)
                || k.check.as_deref().is_some_and(|x| reads(x, Role::CheckConstraint, name))
        });
        if let Some(k) = key {
            return Err(format!(
                "the generation expression of `{table}.{name}` changes, which PostgreSQL does only by dropping the column and adding it again, and {} reads it: write this migration by hand",
                k.describe()
            ));
        }
        ops.push(Op::RegenerateColumn { table: table.clone(), column: (*c).clone() });
        for index in &d.to.indexes {
            let on = index.columns.iter().any(|e| index_entry(e).0 == name)
                || index.predicate.as_deref().is_some_and(|p| reads(p, Role::IndexPredicate, name));
            if on {
                ops.push(Op::CreateIndex { table: table.clone(), index: index.clone() });
            }
        }
    }
    Ok(ops)
}

/// The table's persistence and storage parameters that change.
pub(super) fn table_options(d: &TableDiff) -> Vec<Op> {
    let options = |c: &TableChange| match c {
        TableChange::Postgres { from, to } => {
            let (set, reset) = option_changes(&from.with, &to.with);
            let unlogged = (from.unlogged != to.unlogged).then_some(to.unlogged);
            Some(Op::SetOptions { object: d.to.name.clone(), on: "TABLE", unlogged, set, reset })
        }
        _ => None,
    };
    d.changes.iter().filter_map(options).collect()
}

/// A kept view's options that change, in place.
pub(super) fn view_options(from: &View, to: &View, changed: ViewChanges) -> Vec<Op> {
    if !changed.postgres || to.materialized {
        return Vec::new();
    }
    let (set, reset) = option_changes(&from.postgres.options(), &to.postgres.options());
    vec![Op::SetOptions { object: to.name.clone(), on: "VIEW", unlogged: None, set, reset }]
}

/// What the operations on PostgreSQL's own properties cost, where they cost anything.
pub(super) fn hazards(op: &Op) -> Option<Vec<Hazard>> {
    match op {
        Op::RegenerateColumn { .. } => Some(Hazard::note(
            "PostgreSQL 15 cannot change a generation expression in place: the column is dropped and added again, computed for every row (a rewrite), at the end of the table, and its indexes are created again",
        )),
        Op::SetOptions { unlogged: Some(true), .. } => Some(Hazard::note(
            "SET UNLOGGED rewrites the table; an unlogged table is emptied after a crash and is not replicated",
        )),
        Op::SetOptions { unlogged: Some(false), .. } => {
            Some(Hazard::note("SET LOGGED rewrites the table, writing all of it to the WAL"))
        }
        Op::AddColumn { column, .. } if column.postgres.generated.is_some() => {
            Some(Hazard::note("PostgreSQL computes the generated column for every row (a rewrite)"))
        }
        Op::AlterColumn { from, to, .. } if from.ty == to.ty && from.postgres.collation != to.postgres.collation => {
            Some(Hazard::note(
                "the new collation rebuilds the column's indexes, and its values may sort and compare otherwise",
            ))
        }
        _ => None,
    }
}

/// What such an operation spends its time on while it holds its locks.
pub(super) fn long_running(op: &Op) -> Option<&'static str> {
    match op {
        Op::RegenerateColumn { .. } | Op::SetOptions { unlogged: Some(_), .. } => Some("the rewrite"),
        Op::AddColumn { column, .. } if column.postgres.generated.is_some() => Some("the rewrite"),
        Op::AlterColumn { from, to, .. } if from.ty == to.ty && from.postgres.collation != to.postgres.collation => {
            Some("the index rebuilds")
        }
        _ => None,
    }
}
