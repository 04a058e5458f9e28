//! `schema plan`: what a pull request will do, for its reviewer. Given a database, the
//! migrations pending there (read back from the files `generate` wrote: their changes, hazards
//! and the tables they rewrite or drop whole) with the size of each such table; without one,
//! what `generate` would write now, for every dialect.

use crate::db::text_rows;
use crate::dialect::driver;
use crate::diff::diff;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::migrations::state::State;
use crate::migrations::{scan, whole_tables, NO_TRANSACTION, WHOLE_TABLES};
use crate::model::display_key;
use crate::model::{Dialect, Project};
use crate::plan::plan_changes;
use postgres::Client;
use serde::Serialize;
use std::collections::BTreeMap;

/// One migration to review.
#[derive(Debug, Serialize)]
pub struct Migration {
    pub dialect: Dialect,
    /// `V6__widen_content.sql`, or None when it is not generated yet.
    pub file: Option<String>,
    pub transactional: bool,
    pub changes: Vec<String>,
    pub hazards: Vec<String>,
    /// `ns.table` of every table a hazardous step rewrites, copies or drops whole.
    pub whole_tables: Vec<String>,
    pub sql: String,
}

/// A table's size as the catalog estimates it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct TableSize {
    /// None when the server has no estimate (never analyzed).
    pub rows: Option<u64>,
    pub bytes: u64,
}

/// What `generate` would write now: the recorded state to the YAML, cut into files as generate
/// cuts them.
pub fn ungenerated(layout: &Layout, project: &Project) -> Result<Vec<Migration>> {
    let state = State::read(layout)?;
    let desired = project.enabled();
    let from = state.project.clone().unwrap_or_else(|| desired.emptied());
    let changes = diff(&from, &desired);
    let mut out = Vec::new();
    for dialect in &desired.dialects {
        let plan = plan_changes(*dialect, &from, &desired, changes.clone())?;
        for steps in plan.parts() {
            out.push(Migration {
                dialect: *dialect,
                file: None,
                transactional: steps.iter().all(|s| s.transactional),
                changes: steps.iter().map(|s| s.comment.clone()).collect(),
                hazards: steps
                    .iter()
                    .flat_map(|s| s.hazards.iter().map(move |h| format!("{}: {}", s.comment, h.text)))
                    .collect(),
                whole_tables: whole_tables(&desired.namespace, steps),
                sql: steps.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n"),
            });
        }
    }
    Ok(out)
}

/// The migrations pending on the database, in order, read from their files.
pub fn pending(layout: &Layout, project: &Project, client: &mut Client, dialect: Dialect) -> Result<Vec<Migration>> {
    let status = crate::migrate::status(layout, client, &project.namespace, dialect)?;
    let pending: Vec<i64> =
        status.entries.iter().filter(|e| e.state == crate::migrate::State::Pending).map(|e| e.version).collect();
    let mut out = Vec::new();
    for file in scan(layout, dialect)?.into_iter().filter(|f| pending.contains(&f.version)) {
        let text = std::fs::read_to_string(&file.path)
            .map_err(|e| Error::new(format!("reading {}: {e}", file.path.display())))?;
        let name = file.path.file_name().map(|n| n.to_string_lossy().into_owned());
        out.push(read_migration(dialect, name, &text));
    }
    Ok(out)
}

/// A migration file's header sections (`-- Changes:`, `-- Hazards:`, `-- Whole tables:`, each
/// followed by `--   item` lines), and its whole text as the SQL: what `migrate` runs, so nothing
/// a header hides goes unreviewed. A lone CR ends a comment for the server, so it is shown as
/// the line break it is.
pub fn read_migration(dialect: Dialect, file: Option<String>, text: &str) -> Migration {
    let shown = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut sections: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in shown.lines() {
        let Some(rest) = line.strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        match (rest.strip_prefix("   "), current) {
            (Some(item), Some(section)) => sections.entry(section).or_default().push(item.to_string()),
            _ => current = ["Changes", "Hazards", WHOLE_TABLES].into_iter().find(|s| rest.trim() == format!("{s}:")),
        }
    }
    let mut take = |key: &str| sections.remove(key).unwrap_or_default();
    Migration {
        dialect,
        file,
        transactional: !text.starts_with(NO_TRANSACTION),
        changes: take("Changes"),
        hazards: take("Hazards"),
        whole_tables: take(WHOLE_TABLES),
        sql: shown.trim_end().to_string() + "\n",
    }
}

/// Rows and bytes of every table in the managed namespaces (the project's first), in one query.
pub fn table_sizes(
    client: &mut Client,
    dialect: Dialect,
    namespaces: &[String],
) -> Result<BTreeMap<String, TableSize>> {
    let sql = driver(dialect).table_sizes_query(namespaces);
    let rows = text_rows(client, &sql)
        .map_err(|e| Error::Catalog(format!("reading table sizes: {}", crate::error::describe(&e))))?;
    Ok(sizes(&namespaces[0], rows))
}

/// `ns.table` → size, from rows of (table key, rows, bytes) as text.
pub fn sizes(namespace: &str, rows: Vec<Vec<Option<String>>>) -> BTreeMap<String, TableSize> {
    let number = |v: &Option<String>| v.as_deref().and_then(|t| t.trim().parse::<i64>().ok());
    rows.iter()
        .filter_map(|r| {
            let name = r.first()?.as_deref()?;
            let rows = r.get(1).and_then(number).filter(|n| *n >= 0).map(|n| n as u64);
            let bytes = r.get(2).and_then(number).unwrap_or(0).max(0) as u64;
            Some((display_key(namespace, name), TableSize { rows, bytes }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_cannot_hide_a_statement_from_the_review() {
        let text = "-- Changes:\n--   add a comment\n-- note\rDROP TABLE t CASCADE;\nCOMMENT ON TABLE u IS 'x';\n";
        let m = read_migration(crate::dialect::LOCAL, None, text);
        assert_eq!(m.changes, ["add a comment"]);
        assert!(m.sql.contains("\nDROP TABLE t CASCADE;\n"), "{}", m.sql);
        let generated = "-- V2__x.sql\n--\n-- Changes:\n--   a\n-- Hazards:\n--   a: rewrites\n-- Whole tables:\n--   ns.t\n\nALTER TABLE t;\n";
        let m = read_migration(crate::dialect::LOCAL, None, generated);
        assert_eq!(
            (m.changes, m.hazards, m.whole_tables),
            (vec!["a".to_string()], vec!["a: rewrites".to_string()], vec!["ns.t".to_string()])
        );
        assert!(m.sql.starts_with("-- V2__x.sql") && m.sql.ends_with("ALTER TABLE t;\n"));
    }
}
