//! The migration folder: `migrations/<dialect>/V<n>__<name>.sql` files, the marker of files that
//! run outside a transaction, the state the generated ones produce (`state.json`), and `generate`.

mod generate;
mod hints;
pub mod redo;
pub mod state;

pub use generate::{generate, hand_written_gaps, whole_tables, Options, Outcome, WHOLE_TABLES};

use crate::error::{Context, Error, Result};
use crate::layout::Layout;
use crate::model::Dialect;
use std::path::PathBuf;

pub use crate::dialect::NO_TRANSACTION;

/// One migration file on disk.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    pub version: i64,
    pub name: String,
    pub path: PathBuf,
}

/// The version of a migration file named `V<version>__<name>.sql`.
pub fn version_of(path: &std::path::Path) -> Option<i64> {
    let stem = path.file_stem()?.to_str()?;
    stem.strip_prefix('V')?.split_once("__")?.0.parse().ok()
}

/// The migration files of one dialect, sorted by version. Names refinery would silently skip
/// and versions used twice (two branches generating the same number) are errors.
pub fn scan(layout: &Layout, dialect: Dialect) -> Result<Vec<MigrationFile>> {
    let dir = layout.dialect_dir(dialect);
    let mut files = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(Error::new(format!("reading {}: {e}", dir.display()))),
    };
    for entry in entries {
        let path = entry.context(|| format!("reading {}", dir.display()))?.path();
        // Any case: a `.SQL` file is as much a migration, not something to skip silently.
        if !path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("sql")) {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let parsed = stem.strip_prefix('V').and_then(|rest| rest.split_once("__")).and_then(|(v, name)| {
            let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            Some((v.parse::<i64>().ok().filter(|v| *v > 0)?, name.to_string())).filter(|_| valid)
        });
        let Some((version, name)) = parsed else {
            return Err(Error::new(format!(
                "{}: migration files must be named V<version>__<name>.sql with a name of letters, digits and `_`",
                path.display()
            )));
        };
        files.push(MigrationFile { version, name, path });
    }
    files.sort_by_key(|f| f.version);
    for pair in files.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(Error::new(format!(
                "version {} is used twice: {} and {} (two branches generated the same number; regenerate one after merging)",
                pair[0].version,
                pair[0].path.display(),
                pair[1].path.display()
            )));
        }
    }
    Ok(files)
}
