//! What a change may have been meant as: a table that loses a column and gains one of a
//! compatible type most likely renamed it, and a rename keeps the data that a drop loses.

use crate::annotations::locate;
use crate::dialect::lower::widens;
use crate::diff::{Change, TableChange};
use crate::layout::Layout;
use crate::model::{display_key, Column};

/// One line per dropped column that one added column of the same table could take over (the
/// same type, or one it widens to): the `renamed_from:` line to add, and where.
pub fn renames(layout: &Layout, namespace: &str, changes: &[Change]) -> Vec<String> {
    let files = crate::load::declarations(&layout.schema);
    let mut out = Vec::new();
    for change in changes {
        let Change::ModifyTable(d) = change else { continue };
        let columns = |added: bool| -> Vec<&Column> {
            d.changes
                .iter()
                .filter_map(|c| match c {
                    TableChange::AddColumn { column } if added => Some(column),
                    TableChange::DropColumn { column } if !added => Some(column),
                    _ => None,
                })
                .collect()
        };
        let added = columns(true);
        for old in columns(false) {
            let fits = |new: &&&Column| new.ty == old.ty || widens(&old.ty, &new.ty);
            let mut candidates = added.iter().filter(fits);
            let (Some(new), None) = (candidates.next(), candidates.next()) else { continue };
            let (file, line) = locate(layout, &files, &d.to.name, Some(&new.name), Some("columns"));
            let table = display_key(namespace, &d.to.name);
            out.push(format!(
                "hint: {table}.{} is dropped and {table}.{} added with a compatible type: if it was renamed, add `renamed_from: {}` to the column `{}` ({file}:{line}) and generate again; a rename keeps the column's data",
                old.name, new.name, old.name, new.name
            ));
        }
    }
    out
}
