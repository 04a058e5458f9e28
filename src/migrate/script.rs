//! `schema migrate --script FILE`: the migrations of one dialect as a psql script, for a
//! database this machine cannot reach. Each migration is guarded by its history row, so the
//! script applies exactly what the database lacks when a DBA runs it, and records it with the
//! name and checksum refinery computes: `schema status` and `schema migrate` then see it applied.

use super::local_migrations;
use crate::error::{Context, Result};
use crate::layout::{Layout, HISTORY_TABLE};
use crate::model::Dialect;
use crate::render::Renderer;
use crate::sql::ident;
use std::path::Path;

/// Writes the script of the migrations up to `to` (all by default); returns how many it holds.
pub fn write(layout: &Layout, namespace: &str, dialect: Dialect, to: Option<i64>, file: &Path) -> Result<usize> {
    let local = local_migrations(layout, dialect)?;
    let migrations: Vec<serde_json::Value> = local
        .iter()
        .filter(|l| to.is_none_or(|t| l.file.version <= t))
        .map(|l| {
            // Each statement ends in `;` on a line of its own when it lacks one, so a trailing
            // comment cannot swallow it and the history row stays a statement of its own.
            let statements: Vec<String> = l
                .statements
                .iter()
                .map(|s| s.trim_end().to_string())
                .filter(|s| !s.is_empty())
                .map(|s| if s.ends_with(';') { s } else { format!("{s}\n;") })
                .collect();
            serde_json::json!({
                "version": l.file.version,
                "name": l.file.name,
                "checksum": l.migration.checksum().to_string(),
                "no_transaction": l.no_transaction,
                "statements": statements,
            })
        })
        .collect();
    let history = format!("{}.{}", ident(namespace), ident(HISTORY_TABLE));
    let ctx = minijinja::context! { migrations => &migrations, history => history };
    let text = Renderer::new(dialect, namespace).text("migrate_script", ctx)?;
    std::fs::write(file, text).context(|| format!("writing {}", file.display()))?;
    Ok(migrations.len())
}
