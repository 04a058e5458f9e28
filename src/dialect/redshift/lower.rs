//! How Redshift changes an existing table. ALTER COLUMN TYPE only widens a VARCHAR (not on key,
//! defaulted or dictionary-encoded columns); other column changes rebuild the column (add,
//! copy, drop, rename) when the new column can be added; what ALTER cannot express at all is a
//! deep copy of the table (AWS "Performing a deep copy").

use crate::dialect::lower::{self, Op, TableOps};
use crate::dialect::ops::{narrowed_length, needs_cast, CopyColumn, IdentityCopy};
use crate::diff::{keys, renames, ColumnChanges, TableChange, TableDiff};
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
    if deep_copy(d) {
        return Ok(copy(d));
    }
    let (old, new) = (&d.from, &d.to);
    let name = &new.name;
    let (early, late) = lower::key_ops(d);
    let mut body = lower::column_additions(d);
    let redefined = lower::redefined(d);
    for (from, to) in &redefined {
        // Renames ran first: the column has its new name by now.
        let current = Column { name: to.name.clone(), ..(*from).clone() };
        let (table, to) = (name.clone(), (*to).clone());
        match method(old, from, &to) {
            Method::InPlace => body.push(Op::AlterColumn { table, from: current, to, cast: false }),
            _ => {
                if let Some(length) = narrowed_length(&from.ty, &to.ty) {
                    body.push(Op::CheckFits { table: table.clone(), column: to.name.clone(), length });
                }
                let cast = needs_cast(&from.ty, &to.ty);
                body.push(Op::RebuildColumn { table, from: current, to, cast });
            }
        }
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
    body.extend(lower::grant_ops(d));
    // A rebuilt column is dropped and re-added: MVs reading it stop refreshing, views break.
    let breaks_views = lower::renames_or_drops(d) || !redefined.is_empty();
    Ok(TableOps { early, body, late, breaks_views, replaced: false })
}

/// The table rebuilt in its new definition, every row copied; the copy is a new table, given
/// the YAML's grants as it is created (AWS "Performing a deep copy": re-grant).
fn copy(d: &TableDiff) -> TableOps {
    let (old, new) = (&d.from, &d.to);
    let renamed = renames(old, new);
    let source = |c: &Column| -> String {
        renamed.iter().find(|(_, to)| **to == c.name).map_or(c.name.clone(), |(f, _)| f.to_string())
    };
    let mut copy = Vec::new();
    let mut body = Vec::new();
    for c in &new.columns {
        let Some(was) = old.column(&source(c)) else { continue };
        if let Some(length) = narrowed_length(&was.ty, &c.ty) {
            body.push(Op::CheckFits { table: old.name.clone(), column: was.name.clone(), length });
        }
        let cast = needs_cast(&was.ty, &c.ty).then(|| c.ty.clone());
        copy.push(CopyColumn { from: was.name.clone(), to: c.name.clone(), cast });
    }
    let identities = new
        .columns
        .iter()
        .filter_map(|c| Some((c, c.identity?, copy.iter().find(|x| x.to == c.name)?)))
        .enumerate()
        .map(|(n, (c, i, from))| IdentityCopy {
            column: c.name.clone(),
            var: format!("next_{n}"),
            source: from.from.clone(),
            seed: i.seed,
            step: i.step,
        })
        .collect();
    let dropped =
        old.columns.iter().filter(|c| !copy.iter().any(|x| x.from == c.name)).map(|c| c.name.clone()).collect();
    let table = Table { rows: vec![], ..new.clone() };
    body.push(Op::DeepCopy { table, constraints: keys(new), copy, identities, dropped });
    // New derived columns exist only once the copy has replaced the table.
    let added = d.changes.iter().filter_map(|c| match c {
        TableChange::AddColumn { column } => lower::backfill(&new.name, column),
        _ => None,
    });
    body.extend(added);
    body.extend(lower::row_ops(d));
    TableOps { early: vec![], body, late: vec![], breaks_views: true, replaced: true }
}

/// Redshift cannot express these with ALTER: the table is rebuilt by deep copy.
fn deep_copy(d: &TableDiff) -> bool {
    let (old, new) = (&d.from, &d.to);
    let interleaved = |t: &Table| t.sort_key.kind == SortKind::Interleaved;
    let is_key = |c: &Column| old.sort_key.columns.contains(&c.name) || old.distribution.key() == Some(&c.name);
    let dropped_key = d.changes.iter().any(|c| matches!(c, TableChange::DropColumn { column } if is_key(column)));
    let column_needs_copy = lower::redefined(d).iter().any(|(o, n)| method(old, o, n) == Method::DeepCopy);
    let sort_changed = new.sort_key != old.sort_key;
    // "ALTER TABLE": interleaved → compound or none only; never → interleaved.
    let sort_by_copy = sort_changed
        && (interleaved(new)
            || (interleaved(old) && !matches!(new.sort_key.kind, SortKind::Compound | SortKind::None)));
    // No ALTER COLUMN ENCODE on an interleaved table; and leaving ENCODE AUTO cannot be done by
    // ALTER without knowing what AUTO chose (re-setting the current encoding is an error).
    let encodings_changed = old.encode_auto() != new.encode_auto()
        || d.changes.iter().any(|c| match c {
            TableChange::ModifyColumn { changed, .. } => changed.has(ColumnChanges::ENCODING),
            TableChange::AddColumn { column } => column.encode.is_some(),
            _ => false,
        });
    let encode_by_copy =
        (encodings_changed && (interleaved(old) || interleaved(new))) || (old.encode_auto() && !new.encode_auto());
    sort_by_copy
        || (new.distribution != old.distribution && (interleaved(old) || interleaved(new)))
        || new.backup != old.backup
        || dropped_key
        || column_needs_copy
        || encode_by_copy
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
        && matches!((&from.ty, &to.ty), (ColumnType::Varchar(a), ColumnType::Varchar(b)) if b > a);
    if only_widening && !in_key && from.default.is_none() && encoded_ok {
        Method::InPlace
    } else if !in_key && (to.nullable || to.default.is_some()) {
        Method::Rebuild
    } else {
        Method::DeepCopy
    }
}

/// Back to ENCODE AUTO when the YAML drops every encoding, else each column whose encoding
/// changes (not to the one it already has: re-setting it is an error).
fn encodings(d: &TableDiff) -> Vec<Op> {
    let (old, new) = (&d.from, &d.to);
    if new.encode_auto() && !old.encode_auto() {
        return vec![Op::AlterEncoding { table: new.name.clone(), column: None, encode: None }];
    }
    d.changes
        .iter()
        .filter_map(|c| match c {
            TableChange::ModifyColumn { from, to, .. } if to.encode.is_some() => {
                let current = from.encode.clone().unwrap_or_else(|| default_encoding(old, from).to_string());
                (to.encode.as_deref() != Some(current.as_str())).then(|| Op::AlterEncoding {
                    table: new.name.clone(),
                    column: Some(to.name.clone()),
                    encode: to.encode.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

/// The encoding Redshift gives a column without one in a table not on ENCODE AUTO (AWS "CREATE
/// TABLE", ENCODE): RAW for sort keys, booleans and floats; AZ64 for numbers, dates and times;
/// LZO for strings; ZSTD for SUPER.
fn default_encoding(table: &Table, column: &Column) -> &'static str {
    use ColumnType::*;
    if table.sort_key.columns.contains(&column.name) {
        return "raw";
    }
    match &column.ty {
        Boolean | Real | Double => "raw",
        SmallInt | Integer | BigInt | Decimal(..) | Date | Time | Timestamp | TimestampTz => "az64",
        Char(_) | Varchar(_) | Text | Uuid => "lzo",
        // Enums and arrays are PostgreSQL-only: the lint refuses them in a Redshift project.
        Json | Enum(_) | Array(_) => "zstd",
    }
}
