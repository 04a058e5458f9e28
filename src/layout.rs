//! Where a project's things live: its files (`schema/` for the YAML, `migrations/<dialect>/`,
//! `.schema/local/`) and the tool's own tables in the managed namespace.

use crate::model::Dialect;
use std::path::{Path, PathBuf};

/// refinery's migration history.
pub const HISTORY_TABLE: &str = "refinery_schema_history";
/// What `migrate` locks on Redshift, which has no advisory locks.
pub const LOCK_TABLE: &str = "schema_migrate_lock";
/// What `validate --record` appends to.
pub const RUNS_TABLE: &str = "schema_validation_runs";
/// What `validate --store-failures` appends the keys of failing rows to.
pub const FAILURES_TABLE: &str = "schema_validation_failures";
/// The statements of a no-transaction migration committed so far.
pub const PROGRESS_TABLE: &str = "schema_migration_progress";
/// Owners and privileges of relations a Redshift migration replaces, between saving and giving
/// them back (empty when no migration is halfway).
pub const SAVED_PRIVILEGES_TABLE: &str = "schema_saved_privileges";
/// The tool's own tables: not part of the model, never drift.
pub const INTERNAL_TABLES: [&str; 6] =
    [HISTORY_TABLE, LOCK_TABLE, RUNS_TABLE, FAILURES_TABLE, PROGRESS_TABLE, SAVED_PRIVILEGES_TABLE];

pub struct Layout {
    pub root: PathBuf,
    pub schema: PathBuf,
    pub migrations: PathBuf,
}

impl Layout {
    /// `dir` is the project root (holding `schema/`), or the YAML folder itself (holding
    /// `schema.yaml`), in which case its parent is the root.
    pub fn find(dir: &Path) -> Layout {
        let root = if dir.join("schema.yaml").is_file() && !dir.join("schema").is_dir() {
            dir.parent().map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf())
        } else {
            dir.to_path_buf()
        };
        let schema = if dir.join("schema.yaml").is_file() { dir.to_path_buf() } else { root.join("schema") };
        Layout { migrations: root.join("migrations"), schema, root }
    }

    /// Where `schema local` keeps its development cluster.
    pub fn local_dir(&self) -> PathBuf {
        self.root.join(".schema/local")
    }

    pub fn dialect_dir(&self, dialect: Dialect) -> PathBuf {
        self.migrations.join(dialect.name())
    }
}
