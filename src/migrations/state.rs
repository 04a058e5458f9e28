//! `migrations/state.json`: the project the generated migrations produce, and a SHA-256 of
//! every generated file, so the next run emits only the change and edits are caught.

use crate::error::{Context, Error, Result};
use crate::layout::Layout;
use crate::model::Project;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const STATE_FILE: &str = "state.json";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// What the generated migrations produce; None before the first one.
    pub project: Option<Project>,
    /// Generated files, relative to the migrations folder, with their SHA-256.
    pub files: BTreeMap<String, String>,
}

impl State {
    pub fn read(layout: &Layout) -> Result<State> {
        let path = layout.migrations.join(STATE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).context(|| format!("{} is not a valid state file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(Error::new(format!("reading {}: {e}", path.display()))),
        }
    }

    pub fn write(&self, layout: &Layout) -> Result<()> {
        let path = layout.migrations.join(STATE_FILE);
        let text = serde_json::to_string_pretty(self).context(|| "writing the state".into())? + "\n";
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))
    }

    /// Generated files that were edited or removed since.
    pub fn edited_files(&self, layout: &Layout) -> Vec<String> {
        let mut problems = Vec::new();
        for (file, expected) in &self.files {
            let path = layout.migrations.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) if digest(&text) == *expected => {}
                Ok(_) => problems.push(format!("{} was edited after it was generated", path.display())),
                Err(_) => problems.push(format!("{} was generated but is missing", path.display())),
            }
        }
        problems
    }
}

/// SHA-256 of the text with LF line endings, so a checkout's line endings do not matter.
pub fn digest(text: &str) -> String {
    Sha256::digest(text.replace("\r\n", "\n").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
