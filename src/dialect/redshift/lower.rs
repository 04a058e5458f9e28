//! How Redshift changes an existing table. ALTER COLUMN TYPE resizes a VARCHAR, down to its
//! longest value (not on key, defaulted or dictionary-encoded columns); other column changes
//! rebuild the column (add, copy, drop, rename) when the new column can be added and the rebuilt
//! columns are the table's last, so that every column keeps its place; what ALTER cannot
//! express, or only by moving a column, is a deep copy of the table in its declared order (AWS
//! "Performing a deep copy").

use super::attrs::SortKind;
use super::encode_auto;
use crate::dialect::conversion::needs_cast;
use crate::dialect::lower::{self, Op, TableOps};
use crate::dialect::ops::{CopyColumn, IdentityCopy};
use crate::diff::{keys, renames, ColumnChanges, TableChange, TableDiff};
use crate::model::{Column, ColumnType, Table};

/// Encodings on which Redshift refuses ALTER COLUMN TYPE (AWS "ALTER TABLE").
const NO_ALTER_TYPE: [&str; 4] = ["bytedict", "runlength", "text255", "text32k"];

#[derive(Debug, PartialEq)]
enum Method {
    InPlace,
    Rebuild,
    DeepCopy,
}

/// What Redshift cannot do to an existing table: identity can be neither added nor removed
/// (ALTER TABLE ADD COLUMN refuses IDENTITY too), and ADD COLUMN ... NOT NULL needs a DEFAULT,
/// even on an empty table.
pub(super) fn refuse(d: &TableDiff) -> Result<(), String> {
    let name = &d.to.name;
    for change in &d.changes {
        match change {
            TableChange::ModifyColumn { to, changed, .. } if changed.has(ColumnChanges::IDENTITY) => {
                return Err(format!(
                    "identity of `{name}.{}` changed: Redshift cannot add or remove an identity in place",
                    to.name
                ));
            }
            TableChange::AddColumn { column: c } if c.identity.is_some() => {
                return Err(format!(
                    "identity column `{name}.{}` cannot be added to an existing Redshift table",
                    c.name
                ));
            }
            _ => {}
        }
    }
    match lower::added_without_default(d).next() {
        Some(c) => Err(format!(
            "column `{name}.{}` is added NOT NULL without a default: Redshift cannot add one; add a `default`, or add it nullable, backfill, then make it NOT NULL",
            c.name
        )),
        None => Ok(()),
    }
}

pub(super) fn table(d: &TableDiff) -> Result<TableOps, String> {
    refuse(d)?;
    let why = deep_copy(d);
    if !why.is_empty() {
        return Ok(copy(d, why));
    }
    let (old, new) = (&d.from, &d.to);
    let name = &new.name;
    let (early, late) = lower::key_ops(d, crate::dialect::Driver::alters_constraints(&super::Redshift));
    let mut guards = Vec::new();
    let mut body = lower::column_renames(d);
    let mut in_place = Vec::new();
    let redefined = lower::redefined(d);
    for (from, to) in &redefined {
        guards.extend(lower::fit_guard(&old.name, from, to));
        // Renames ran first: the column has its new name by now.
        let current = Column { name: to.name.clone(), ..(*from).clone() };
        let (table, to) = (name.clone(), (*to).clone());
        if method(old, from, &to) == Method::InPlace {
            // ENCODE AUTO may have chosen an encoding ALTER COLUMN TYPE refuses: checked when the
            // migration runs, before anything is dropped.
            if encode_auto(old) {
                guards.push(Op::CheckEncoding { table: old.name.clone(), column: from.name.clone() });
            }
            in_place.push(Op::AlterColumn { table, from: current, to, cast: false });
        } else {
            // The rebuilt columns are the last ones (`deep_copy` saw to it): rebuilt in their
            // order, they end where they were, and new columns follow them.
            let cast = needs_cast(&from.ty, &to.ty);
            body.push(Op::RebuildColumn { table, from: current, to, cast });
        }
    }
    body.extend(lower::column_adds(d));
    body.extend(in_place);
    body.extend(lower::column_drops(d));
    for change in &d.changes {
        let TableChange::Redshift { from, to } = change else { continue };
        if from.distribution != to.distribution {
            let (from, to) = (from.distribution.clone(), to.distribution.clone());
            body.push(Op::AlterDistribution { table: name.clone(), from, to });
        }
        if from.sort_key != to.sort_key {
            body.push(Op::AlterSortKey { table: name.clone(), to: to.sort_key.clone() });
        }
    }
    body.extend(encodings(d));
    body.extend(lower::comments(d));
    body.extend(lower::row_ops(d));
    body.extend(lower::grant_ops(d));
    // A rebuilt column is dropped and re-added: views break, and a materialized view of the
    // table stops refreshing after any column is dropped, retyped or renamed, read by it or not
    // (STV_MV_INFO states 101, 102 and 104).
    let changed = !lower::renamed_or_dropped(d).is_empty() || !redefined.is_empty();
    let breaks_views = if changed { lower::Breaks::Everything } else { lower::Breaks::Nothing };
    Ok(TableOps { guards, early, body, late, breaks_views, replaced: false })
}

/// The table rebuilt in its new definition and declared column order, every row copied from
/// `d.from` (itself, or the table it moves from); the copy is a new table, given back the owner
/// and privileges of the old one and the YAML's grants (AWS "Performing a deep copy").
pub(super) fn copy(d: &TableDiff, why: Vec<String>) -> TableOps {
    let (old, new) = (&d.from, &d.to);
    let renamed = renames(old, new);
    let source = |c: &Column| -> String {
        renamed.iter().find(|(_, to)| **to == c.name).map_or(c.name.clone(), |(f, _)| f.to_string())
    };
    let mut copy = Vec::new();
    let mut guards = Vec::new();
    for c in &new.columns {
        let Some(was) = old.column(&source(c)) else { continue };
        guards.extend(lower::fit_guard(&old.name, was, c));
        let cast = needs_cast(&was.ty, &c.ty).then(|| c.ty.clone());
        copy.push(CopyColumn { from: was.name.clone(), was: was.ty.clone(), to: c.name.clone(), cast });
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
    let constraints = keys(new);
    let mut body = vec![Op::DeepCopy { source: old.name.clone(), table, constraints, copy, identities, dropped, why }];
    // New derived columns exist only once the copy has replaced the table.
    let added = d.changes.iter().filter_map(|c| match c {
        TableChange::AddColumn { column } => lower::backfill(&new.name, column),
        _ => None,
    });
    body.extend(added);
    body.extend(lower::row_ops(d));
    // The copy got back the old privileges: what the YAML stops granting goes.
    body.extend(lower::grant_ops(d));
    TableOps { guards, early: vec![], body, late: vec![], breaks_views: lower::Breaks::Everything, replaced: true }
}

/// Why Redshift cannot make the change with ALTER and keep every column in its place, if it
/// cannot: then the table is rebuilt by deep copy.
fn deep_copy(d: &TableDiff) -> Vec<String> {
    let (old, new) = (&d.from, &d.to);
    let (was, will) = (&old.redshift, &new.redshift);
    let interleaved = |t: &Table| t.redshift.sort_key.kind == SortKind::Interleaved;
    let is_key = |c: &Column| was.sort_key.columns.contains(&c.name) || was.distribution.key() == Some(&c.name);
    let mut why = Vec::new();
    for c in d.changes.iter().filter_map(|c| match c {
        TableChange::DropColumn { column } if is_key(column) => Some(column),
        _ => None,
    }) {
        why.push(format!("column {} is a distribution or sort key column, which DROP COLUMN refuses", c.name));
    }
    let redefined = lower::redefined(d);
    for (from, to) in redefined.iter().filter(|(f, t)| method(old, f, t) == Method::DeepCopy) {
        let reason = if key_column(old, from) {
            "it is a key column, which neither ALTER COLUMN TYPE nor a rebuild may change"
        } else {
            "it becomes NOT NULL without a default, which ADD COLUMN cannot add"
        };
        why.push(format!("column {} cannot change in place: {reason}", to.name));
    }
    let rebuilt: Vec<&str> =
        redefined.iter().filter(|(f, t)| method(old, f, t) == Method::Rebuild).map(|(_, t)| t.name.as_str()).collect();
    if why.is_empty() {
        why.extend(position(d, &rebuilt));
    }
    let sort_changed = will.sort_key != was.sort_key;
    // No ALTER COLUMN ENCODE on an interleaved table; and leaving ENCODE AUTO cannot be done by
    // ALTER without knowing what AUTO chose (re-setting the current encoding is an error).
    let encodings_changed = encode_auto(old) != encode_auto(new)
        || d.changes.iter().any(|c| match c {
            TableChange::ModifyColumn { from, to, .. } => from.redshift.encode != to.redshift.encode,
            TableChange::AddColumn { column } => column.redshift.encode.is_some(),
            _ => false,
        });
    // "ALTER TABLE": interleaved → compound or none only; never → interleaved.
    let layout = [
        (sort_changed && interleaved(new), "ALTER SORTKEY cannot make a sort key interleaved"),
        (
            sort_changed && interleaved(old) && will.sort_key.kind == SortKind::Auto,
            "an interleaved sort key changes by ALTER to compound or none only, not to AUTO",
        ),
        (
            will.distribution != was.distribution && (interleaved(old) || interleaved(new)),
            "ALTER DISTSTYLE and ALTER DISTKEY are refused on a table with an interleaved sort key",
        ),
        (will.backup != was.backup, "BACKUP has no ALTER"),
        (
            encodings_changed && (interleaved(old) || interleaved(new)),
            "ALTER COLUMN ENCODE is refused on a table with an interleaved sort key",
        ),
        (
            encode_auto(old) && !encode_auto(new),
            "leaving ENCODE AUTO by ALTER needs the encodings AUTO chose, which are not known here",
        ),
    ];
    why.extend(layout.into_iter().filter(|(cond, _)| *cond).map(|(_, text)| text.to_string()));
    why
}

/// Why ALTERs would not leave the columns in the declared order, if they would not: Redshift
/// adds a column, and a rebuilt one, at the end ("ALTER TABLE": ADD COLUMN).
fn position(d: &TableDiff, rebuilt: &[&str]) -> Option<String> {
    let (old, new) = (&d.from, &d.to);
    let renamed = renames(old, new);
    let kept: Vec<&str> = old
        .columns
        .iter()
        .map(|c| renamed.get(c.name.as_str()).copied().unwrap_or(c.name.as_str()))
        .filter(|n| new.column(n).is_some())
        .collect();
    let declared: Vec<&str> = new.columns.iter().map(|c| c.name.as_str()).collect();
    let added = declared.iter().copied().filter(|n| !kept.contains(n));
    let stay = kept.iter().copied().filter(|n| !rebuilt.contains(n));
    let moved = kept.iter().copied().filter(|n| rebuilt.contains(n));
    if stay.chain(moved).chain(added.clone()).eq(declared.iter().copied()) {
        return None;
    }
    let without_rebuilds = kept.iter().copied().chain(added);
    Some(if without_rebuilds.eq(declared.iter().copied()) {
        let first = kept.iter().find(|n| rebuilt.contains(n)).copied().unwrap_or_default();
        format!("rebuilding column {first} (add, copy, drop, rename) would move it to the end of the table")
    } else if declared.iter().copied().filter(|n| kept.contains(n)).eq(kept.iter().copied()) {
        let (i, first) = declared.iter().enumerate().find(|(_, n)| !kept.contains(n)).unwrap_or((0, &""));
        let next = declared[i..].iter().find(|n| kept.contains(n)).copied().unwrap_or_default();
        format!("column {first} is declared before column {next}, and ADD COLUMN adds it at the end")
    } else {
        "the YAML declares the existing columns in another order".to_string()
    })
}

/// Whether a column is part of a key: ALTER COLUMN TYPE refuses UNIQUE, PRIMARY KEY and FOREIGN
/// KEY columns, and distribution and sort key columns are rebuilt only by a deep copy.
fn key_column(table: &Table, c: &Column) -> bool {
    table.primary_key.contains(&c.name)
        || table.unique.iter().any(|u| u.columns.contains(&c.name))
        || table.foreign_keys.iter().any(|f| f.columns.contains(&c.name))
        || table.redshift.sort_key.columns.contains(&c.name)
        || table.redshift.distribution.key() == Some(c.name.as_str())
}

/// How Redshift applies a column change: a VARCHAR resized in place (not on key, defaulted or
/// dictionary-encoded columns), a column rebuild when the new column can be added (nullable or
/// with a default), otherwise a deep copy of the table.
fn method(table: &Table, from: &Column, to: &Column) -> Method {
    let in_key = key_column(table, from);
    let encoded_ok = !from.redshift.encode.as_deref().is_some_and(|e| NO_ALTER_TYPE.contains(&e));
    let only_resize = (from.nullable, &from.default) == (to.nullable, &to.default)
        && matches!((&from.ty, &to.ty), (ColumnType::Varchar(a), ColumnType::Varchar(b)) if b != a);
    if only_resize && !in_key && from.default.is_none() && encoded_ok {
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
    if encode_auto(new) && !encode_auto(old) {
        return vec![Op::AlterEncoding { table: new.name.clone(), column: None, encode: None }];
    }
    d.changes
        .iter()
        .filter_map(|c| match c {
            TableChange::ModifyColumn { from, to, .. } if to.redshift.encode.is_some() => {
                let current = from.redshift.encode.clone().unwrap_or_else(|| default_encoding(old, from).to_string());
                (to.redshift.encode.as_deref() != Some(current.as_str())).then(|| Op::AlterEncoding {
                    table: new.name.clone(),
                    column: Some(to.name.clone()),
                    encode: to.redshift.encode.clone(),
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
    if table.redshift.sort_key.columns.contains(&column.name) {
        return "raw";
    }
    match &column.ty {
        Boolean | Real | Double => "raw",
        SmallInt | Integer | BigInt | Decimal(..) | Date | Time | Timestamp | TimestampTz => "az64",
        Char(_) | Varchar(_) | Text | Uuid => "lzo",
        // Enums, arrays and native types are PostgreSQL-only: the lint refuses them in a Redshift project.
        Json | Enum(_) | Array(_) | Native(_) => "zstd",
    }
}
