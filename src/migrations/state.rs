//! `migrations/state.json`: the project the generated migrations produce, and a SHA-256 of
//! every generated file, so the next run emits only the change and edits are caught.
//!
//! The file is a document of its own (`document`, `format`), not the model's serde: the model
//! can change shape without changing what old checkouts wrote. Format 1 (no `format` key, the
//! model serialised whole, checks included) and 2 are read and upgraded; format 3 is written,
//! with a SHA-256 of the recorded project (`project_sha256`): the state must be what the
//! migrations produce, so one edited by hand (a column added to the YAML and to state.json,
//! and no migration) is caught instead of passing for up to date.

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::model::Project;
use doc::ProjectDoc;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const STATE_FILE: &str = "state.json";
const DOCUMENT: &str = "schema/migration-state";
const FORMAT: u32 = 3;

#[derive(Debug, Default)]
pub struct State {
    /// What the generated migrations produce; None before the first one.
    pub project: Option<Project>,
    /// Generated files, relative to the migrations folder, with their SHA-256.
    pub files: BTreeMap<String, String>,
    /// The recorded project does not match its checksum: it was edited by hand.
    pub edited: bool,
    /// Written in a format before this one: `generate` writes it anew.
    pub outdated: bool,
}

impl State {
    pub fn read(layout: &Layout) -> Result<State> {
        let path = layout.migrations.join(STATE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                parse(&text).map_err(|e| Error::new(format!("{} is not a valid state file: {e}", path.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(Error::new(format!("reading {}: {e}", path.display()))),
        }
    }

    /// The file's text in the current format.
    pub fn text(&self) -> String {
        let project = self.project.as_ref().map(ProjectDoc::from);
        let doc = Doc {
            document: DOCUMENT.into(),
            format: FORMAT,
            project_sha256: project.as_ref().map(project_digest),
            project,
            files: self.files.clone(),
        };
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }

    /// Generated files that were edited or removed since, and a recorded project edited by hand.
    pub fn edited_files(&self, layout: &Layout) -> Vec<String> {
        let mut problems = Vec::new();
        if self.edited {
            problems.push(format!(
                "{}: the recorded project does not match its checksum, so it was edited by hand; it must be what the migrations produce: restore it from version control and change the YAML instead",
                layout.migrations.join(STATE_FILE).display()
            ));
        }
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

/// Reads format 1 or 2. Format 1 has the same fields minus the header, plus some (checks,
/// ignore) that a migration never depended on: they are dropped.
pub fn parse(text: &str) -> std::result::Result<State, String> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match (doc.document.as_str(), doc.format) {
        ("", 0) | (DOCUMENT, 1..=FORMAT) => {}
        (DOCUMENT, n) => return Err(format!("format {n} is newer than this version of schema understands ({FORMAT})")),
        (other, _) => return Err(format!("`document: {other}` is not a schema migration state")),
    }
    let edited = doc.format >= 3 && doc.project_sha256 != doc.project.as_ref().map(project_digest);
    let outdated = doc.format < FORMAT;
    Ok(State { project: doc.project.map(Project::from), files: doc.files, edited, outdated })
}

/// SHA-256 of the recorded project as the file writes it, without its layout.
fn project_digest(project: &ProjectDoc) -> String {
    digest(&serde_json::to_string(project).unwrap_or_default())
}

/// SHA-256 of the text with LF line endings, so a checkout's line endings do not matter.
pub fn digest(text: &str) -> String {
    Sha256::digest(text.replace("\r\n", "\n").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

// ---- The document ----

#[derive(Serialize, Deserialize)]
struct Doc {
    #[serde(default)]
    document: String,
    #[serde(default)]
    format: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    project_sha256: Option<String>,
    project: Option<ProjectDoc>,
    #[serde(default)]
    files: BTreeMap<String, String>,
}

mod doc;
#[cfg(test)]
mod tests;
