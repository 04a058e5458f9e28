//! The catalog's rows → the attrs structs, from the columns `catalog`'s queries select for them.

use super::{parameter_value, ColumnAttrs, TableAttrs, ViewAttrs};
use crate::dialect::catalog::Row;
use crate::model::{ColumnType, Identity, Sequence, SequenceType, Table};

/// `options`: one `name=value` per line, the TOAST table's after `toast.`.
fn options(r: &Row) -> Vec<(String, String)> {
    let pair = |line: &str| line.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()));
    r.text("options").lines().filter_map(pair).collect()
}

/// From `relpersistence` and `options`.
pub(in crate::dialect::postgres) fn table(r: &Row) -> TableAttrs {
    let with = options(r).into_iter().map(|(k, v)| (k, parameter_value(&v))).collect();
    // The exclusion constraints come with the other constraints' rows, the partitions with theirs.
    TableAttrs { unlogged: r.text("relpersistence") == "u", with, ..TableAttrs::default() }
}

/// From `options`; with the options that are no view option, as printed.
pub(in crate::dialect::postgres) fn view(r: &Row) -> (ViewAttrs, Vec<String>) {
    ViewAttrs::from_options(&options(r))
}

/// A column's identity and attributes from `attidentity`, its sequence's options (`seqtype`,
/// `seqstart`, ...: the identity's, or the serial's), `serial` (a default of `nextval` on a
/// sequence the column owns), `serial_name` (that sequence is named as PostgreSQL names a
/// serial's), `collation` and `generated`. A serial with PostgreSQL's name and options is a
/// `serial`; another (renamed, or with options) stays the identity it stands for: a sequence
/// that gives each new row its next value and accepts explicit ones.
pub(in crate::dialect::postgres) fn column(r: &Row, ty: &ColumnType) -> (Option<Identity>, ColumnAttrs) {
    let sequence = crate::dialect::postgres::sequences::sequence_of(r);
    let plain = |t: SequenceType| Sequence { ty: Some(t), ..Sequence::default() }.effective();
    let owned_default = r.flag("serial");
    let serial = owned_default
        && r.flag("serial_name")
        && SequenceType::of(ty).is_some_and(|t| sequence.effective() == plain(t));
    let identity = (matches!(r.text("attidentity"), "a" | "d") || owned_default) && !serial;
    let identity =
        identity.then(|| Identity { seed: sequence.start.unwrap_or(1), step: sequence.increment.unwrap_or(1) });
    // The bounds are the defaults of the sequence's type, which is said only where it is not
    // the column's.
    let options = match identity {
        Some(_) if r.get("seqtype").is_some() => {
            let m = sequence.minimal();
            let (min, max, cache, cycle) = (m.min, m.max, m.cache, m.cycle);
            let ty = sequence.ty.filter(|t| Some(*t) != SequenceType::of(ty));
            Sequence { ty, min, max, cache, cycle, ..Sequence::default() }
        }
        _ => Sequence::default(),
    };
    let attrs = ColumnAttrs {
        collation: r.get("collation").map(str::to_string),
        generated: r.get("generated").map(str::to_string),
        always: r.text("attidentity") == "a",
        sequence: options,
        serial,
        storage: r.get("storage").and_then(crate::dialect::postgres::attrs::Storage::of),
        statistics: r.int("statistics").and_then(|n| i32::try_from(n).ok()),
        compression: match r.get("compression") {
            Some("p") => Some(crate::dialect::postgres::attrs::Compression::Pglz),
            Some("l") => Some(crate::dialect::postgres::attrs::Compression::Lz4),
            _ => None,
        },
    };
    (identity, attrs)
}

/// A serial where the YAML declares an identity is read as that identity, as before serials
/// were modelled (projects adopted then say `identity:`): a sequence the column owns gives each
/// new row its next value, and explicit values are accepted.
pub(in crate::dialect::postgres) fn settle_serials(live: &mut Table, desired: &Table) {
    for c in live.columns.iter_mut().filter(|c| c.postgres.serial) {
        if desired.column(&c.name).is_some_and(|d| d.identity.is_some() && !d.postgres.serial) {
            c.identity = Some(Identity { seed: 1, step: 1 });
            c.postgres.serial = false;
        }
    }
}
