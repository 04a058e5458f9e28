//! What each operation risks on Redshift, in the words of the AWS Database Developer Guide pages
//! it comes from. Guarded hazards make `schema generate` refuse without `--allow-destructive`.

use super::attrs::{Distribution, SortKind};
use crate::dialect::conversion::risk;
use crate::dialect::lower::{Hazard, Op};
use crate::model::ColumnType;

pub(super) fn of(op: &Op) -> Vec<Hazard> {
    let guarded = |text: String| Hazard { guarded: true, text };
    let note = |text: String| Hazard { guarded: false, text };
    match op {
        Op::RebuildColumn { table, from, to, .. } => {
            let mut h = vec![guarded(format!(
                "Redshift rewrites column {} (add, copy, drop, rename): UPDATE of every row; the rebuilt columns are the table's last, so every column stays in its place",
                to.name
            ))];
            h.extend(risk(&format!("{table}.{}", to.name), &from.ty, &to.ty).map(guarded));
            h
        }
        Op::DeepCopy { table, dropped, why, copy, .. } => {
            let mut h = vec![guarded(format!(
                "Redshift copies the whole table (deep copy, in the declared column order), locked until the migration commits: {}",
                why.join("; ")
            ))];
            h.extend(dropped.iter().map(|c| guarded(format!("the copy drops column {}.{c} and its data", table.name))));
            for c in copy {
                let to = table.column(&c.to).map(|n| &n.ty);
                h.extend(to.and_then(|to| risk(&format!("{}.{}", table.name, c.to), &c.was, to)).map(guarded));
            }
            h.push(note(
                "the copy gets the old table's owner and its SELECT, INSERT, UPDATE, DELETE and REFERENCES grants back, read from the catalog when it runs; other privileges (DROP, ALTER, TRUNCATE, ...) are not restored".into(),
            ));
            h
        }
        // "ALTER TABLE": a VARCHAR narrows only down to its longest value.
        Op::AlterColumn { from, to, .. } => match (&from.ty, &to.ty) {
            (ColumnType::Varchar(a), ColumnType::Varchar(b)) if b < a => vec![note(format!(
                "ALTER COLUMN TYPE runs outside a transaction: a value longer than {b} bytes loaded after the check makes it fail once the parts before it have committed"
            ))],
            _ => op.common_hazards(),
        },
        Op::CheckEncoding { .. } => vec![note(
            "the column is on ENCODE AUTO, which may have chosen BYTEDICT, RUNLENGTH, TEXT255 or TEXT32K, on which ALTER COLUMN TYPE is refused: then the migration fails here, changing nothing; re-encode the column by hand (ALTER COLUMN ... ENCODE LZO) and migrate again".into(),
        )],
        // "ALTER TABLE": ALTER DISTSTYLE AUTO lets Redshift choose; the others redistribute now.
        Op::AlterDistribution { to: Distribution::Auto, .. } => vec![note(
            "ALTER DISTSTYLE AUTO: Redshift makes a small table AUTO(ALL), a large one AUTO(EVEN), or AUTO(KEY) keeping its key, and may redistribute it later".into(),
        )],
        Op::AlterDistribution { .. } => vec![guarded("Redshift redistributes the whole table".into())],
        // "ALTER TABLE": SORTKEY AUTO preserves the existing sort key; NONE removes it.
        Op::AlterSortKey { to, .. } if to.kind == SortKind::Auto => vec![note(
            "ALTER SORTKEY AUTO keeps the current sort key and rows; Redshift may choose another sort key later".into(),
        )],
        Op::AlterSortKey { to, .. } if to.kind == SortKind::None => {
            vec![note("ALTER SORTKEY NONE removes the sort key; the rows are not re-sorted".into())]
        }
        Op::AlterSortKey { .. } => vec![guarded("Redshift re-sorts the whole table to the new sort key".into())],
        // "CREATE MATERIALIZED VIEW": the view is filled when it is created.
        Op::CreateView { view } if view.materialized => vec![note(
            "Redshift fills the materialized view at CREATE, inside this migration: as long as its query takes".into(),
        )],
        _ => op.common_hazards(),
    }
}
