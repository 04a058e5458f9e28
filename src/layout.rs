//! Where a project's files live: `schema/` (YAML), `migrations/<dialect>/`, `.schema/local/`.

use crate::model::Dialect;
use std::path::{Path, PathBuf};

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
