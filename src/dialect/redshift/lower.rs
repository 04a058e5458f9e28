//! How Redshift changes an existing table. ALTER COLUMN TYPE only widens a VARCHAR (not on key,
//! defaulted or dictionary-encoded columns); other column changes rebuild the column (add,
//! copy, drop, rename) when the new column can be added; what ALTER cannot express at all is a
//! deep copy of the table (AWS "Performing a deep copy").

use crate::dialect::lower::{self, Op, TableOps};
use crate::diff::{keys, TableChange, TableDiff};
use crate::model::{Column, ColumnType, SortKind, Table};

/// Encodings on which Redshift refuses ALTER COLUMN TYPE (AWS "ALTER TABLE").
const NO_ALTER_TYPE: [&str; 4] = ["bytedict", "runlength", "text255", "text32k"];

#[derive(Debug, PartialEq)]
enum Method {
    InPlace,
    Rebuild,
    DeepCopy,
}

pub(super) fn table(d: &TableDiff) -> Result<TableOps, String> {
    lower::refuse_unsupported(d)?;
    let (old, new) = (&d.from, &d.to);
    let name = &new.name;
    let redefined = lower::redefined(d);
    if deep_copy(d) {
        // (old name, new name) of every column that survives; new columns take their defaults.
        let renamed = crate::diff::renames(old, new);
        let copy = new
            .columns
            .iter()
            .filter_map(|c| {
                let from = renamed.iter().find(|(_, to)| **to == c.name).map_or(c.name.as_str(), |(f, _)| f);
                old.column(from).map(|_| (from.to_string(), c.name.clone()))
            })
            .collect();
        let table = Table { rows: vec![], ..new.clone() };
        let mut body = vec![Op::DeepCopy { table, constraints: keys(new), copy }];
        // New derived columns exist only once the copy has replaced the table.
        let added = d.changes.iter().filter_map(|c| match c {
            TableChange::AddColumn { column } => lower::backfill(name, column),
            _ => None,
        });
        body.extend(added);
        body.extend(lower::comments(d));
        body.extend(lower::row_ops(d));
        return Ok(TableOps { early: vec![], body, late: vec![], breaks_views: true, replaced: true });
    }
    let (early, late) = lower::key_ops(d);
    let mut body = lower::column_additions(d);
    for (from, to) in &redefined {
        let op = match method(old, from, to) {
            Method::InPlace => Op::AlterColumn { table: name.clone(), from: (*from).clone(), to: (*to).clone() },
            _ => Op::RebuildColumn { table: name.clone(), from: (*from).clone(), to: (*to).clone() },
        };
        body.push(op);
    }
    body.extend(lower::column_drops(d));
    for change in &d.changes {
        match change {
            TableChange::Distribution { from, to } => {
                body.push(Op::AlterDistribution { table: name.clone(), from: from.clone(), to: to.clone() })
            }
            TableChange::SortKey { to, .. } => body.push(Op::AlterSortKey { table: name.clone(), to: to.clone() }),
            _ => {}
        }
    }
    body.extend(encodings(d));
    body.extend(lower::comments(d));
    body.extend(lower::row_ops(d));
    // A rebuilt column is dropped and re-added: MVs reading it stop refreshing, views break.
    let breaks_views = lower::renames_or_drops(d) || !redefined.is_empty();
    Ok(TableOps { early, body, late, breaks_views, replaced: false })
}

/// Redshift cannot express these with ALTER: the table is rebuilt by deep copy.
fn deep_copy(d: &TableDiff) -> bool {
    let (old, new) = (&d.from, &d.to);
    let interleaved = |t: &Table| t.sort_key.kind == SortKind::Interleaved;
    let is_key = |c: &Column| old.sort_key.columns.contains(&c.name) || old.distribution.key() == Some(&c.name);
    let dropped_key = d.changes.iter().any(|c| matches!(c, TableChange::DropColumn { column } if is_key(column)));
    let column_needs_copy = lower::redefined(d).iter().any(|(o, n)| method(old, o, n) == Method::DeepCopy);
    (new.sort_key != old.sort_key && interleaved(new))
        || (new.distribution != old.distribution && (interleaved(old) || interleaved(new)))
        || new.backup != old.backup
        || dropped_key
        || column_needs_copy
}

/// How Redshift applies a column change: VARCHAR widening in place (not on key, defaulted or
/// dictionary-encoded columns), a column rebuild when the new column can be added (nullable or
/// with a default), otherwise a deep copy of the table.
fn method(table: &Table, from: &Column, to: &Column) -> Method {
    let in_key = table.primary_key.contains(&from.name)
        || table.unique.iter().any(|u| u.contains(&from.name))
        || table.foreign_keys.iter().any(|f| f.columns.contains(&from.name))
        || table.sort_key.columns.contains(&from.name)
        || table.distribution.key() == Some(from.name.as_str());
    let encoded_ok = !from.encode.as_deref().is_some_and(|e| NO_ALTER_TYPE.contains(&e));
    let only_widening = (from.nullable, &from.default) == (to.nullable, &to.default)
        && matches!((from.ty, to.ty), (ColumnType::Varchar(a), ColumnType::Varchar(b)) if b > a);
    if only_widening && !in_key && from.default.is_none() && encoded_ok {
        Method::InPlace
    } else if !in_key && (to.nullable || to.default.is_some()) {
        Method::Rebuild
    } else {
        Method::DeepCopy
    }
}

/// Back to ENCODE AUTO when the YAML drops every encoding, else each changed column's encoding.
fn encodings(d: &TableDiff) -> Vec<Op> {
    let (old, new) = (&d.from, &d.to);
    if new.encode_auto() && !old.encode_auto() {
        return vec![Op::AlterEncoding { table: new.name.clone(), column: None, encode: None }];
    }
    d.changes
        .iter()
        .filter_map(|c| match c {
            TableChange::ModifyColumn { from, to, .. } if to.encode.is_some() && from.encode != to.encode => {
                Some(Op::AlterEncoding {
                    table: new.name.clone(),
                    column: Some(to.name.clone()),
                    encode: to.encode.clone(),
                })
            }
            _ => None,
        })
        .collect()
}
