//! The parts of a table's change both dialects lower alike: what no table change expresses,
//! keys, renames and new columns, drops, comments, grants, indexes and reference rows.

use super::Op;
use crate::dialect::conversion::fit;
use crate::diff::{ColumnChanges, TableChange, TableDiff};
use crate::model::{sibling_key, Column, Table};

/// Columns added NOT NULL without a default (not identities, which take their values).
pub fn added_without_default(d: &TableDiff) -> impl Iterator<Item = &crate::model::Column> {
    d.changes.iter().filter_map(|change| match change {
        TableChange::AddColumn { column: c } if !c.nullable && c.default.is_none() && c.identity.is_none() => Some(c),
        _ => None,
    })
}

/// Guards that fail the migration, changing nothing, when the table has rows for a column added
/// NOT NULL without a default (which an empty table takes).
pub fn empty_guards(d: &TableDiff) -> Vec<Op> {
    let guard = |c: &crate::model::Column| Op::CheckEmpty { table: d.from.name.clone(), column: c.name.clone() };
    added_without_default(d).map(guard).collect()
}

/// Keys that go (before any table changes) and come (after every table exists). A key renamed
/// or whose deferrability alone changes is changed in place after the table changes where the
/// dialect `alters` constraints, else dropped and added again.
pub fn key_ops(d: &TableDiff, alters: bool) -> (Vec<Op>, Vec<Op>) {
    let (mut drops, mut adds) = (Vec::new(), Vec::new());
    let table = d.to.name.clone();
    for change in &d.changes {
        let (gone, key) = match change {
            TableChange::DropKey { key } => (Some(&key.name), None),
            TableChange::AddKey { key } => (None, Some(key)),
            TableChange::RenameKey { from, key } if alters => {
                adds.push(Op::RenameConstraint { table: table.clone(), from: from.clone(), to: key.name.clone() });
                continue;
            }
            TableChange::AlterKey { to, .. } if alters => {
                adds.push(Op::AlterConstraint { table: table.clone(), constraint: to.clone() });
                continue;
            }
            TableChange::RenameKey { from, key } => (Some(from), Some(key)),
            TableChange::AlterKey { from, to } => (Some(&from.name), Some(to)),
            _ => continue,
        };
        drops.extend(gone.map(|name| Op::DropConstraint { table: table.clone(), name: name.clone() }));
        adds.extend(key.map(|k| Op::AddConstraint { table: table.clone(), constraint: k.clone() }));
    }
    (drops, adds)
}

/// Renamed columns.
pub fn column_renames(d: &TableDiff) -> Vec<Op> {
    let rename = |c: &TableChange| match c {
        TableChange::RenameColumn { from, to } => {
            Some(Op::RenameColumn { table: d.to.name.clone(), from: from.clone(), to: to.clone() })
        }
        _ => None,
    };
    d.changes.iter().filter_map(rename).collect()
}

/// New columns, each derived one followed by its backfill.
pub fn column_adds(d: &TableDiff) -> Vec<Op> {
    let table = &d.to.name;
    let added =
        |name: &str| d.changes.iter().any(|c| matches!(c, TableChange::AddColumn { column } if column.name == name));
    let mut ops = Vec::new();
    for change in &d.changes {
        if let TableChange::AddColumn { column } = change {
            let at = d.to.columns.iter().position(|c| c.name == column.name).unwrap_or_default();
            let last = d.to.columns[at..].iter().all(|c| added(&c.name));
            ops.push(Op::AddColumn { table: table.clone(), column: column.clone(), last });
            ops.extend(backfill(table, column));
        }
    }
    ops
}

/// The guard of a column's type change that can lose information (`conversion::fit`), naming the
/// table and column as they are before the migration: guards run before anything changes.
pub fn fit_guard(table: &str, from: &Column, to: &Column) -> Option<Op> {
    let fit = fit(&from.ty, &to.ty)?;
    Some(Op::CheckFits {
        table: table.to_string(),
        column: from.name.clone(),
        from: from.ty.clone(),
        to: to.ty.clone(),
        fit,
    })
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
            TableChange::ModifyColumn { from, to, changed }
                if changed.definition() || changed.has(ColumnChanges::IDENTITY) =>
            {
                Some((from, to))
            }
            _ => None,
        })
        .collect()
}

/// Renamed or dropped columns, by their old names: views reading them break on every dialect.
pub fn renamed_or_dropped(d: &TableDiff) -> Vec<String> {
    let old = |c: &TableChange| match c {
        TableChange::RenameColumn { from, .. } => Some(from.clone()),
        TableChange::DropColumn { column } => Some(column.name.clone()),
        _ => None,
    };
    d.changes.iter().filter_map(old).collect()
}
