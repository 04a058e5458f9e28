//! `generate --redo`: the way out of a bad generate. Each generate keeps, beside `state.json`,
//! the state file it replaced and the files it wrote (`state.previous.json`); redo takes the
//! newest generated migration back (its files go, the replaced state returns) so generate can
//! write it again from the corrected YAML. Only a migration no database has applied may go:
//! the caller checks the databases it can name (`Undo::versions`).

use super::state::{State, STATE_FILE};
use super::{scan, version_of};
use crate::error::{Context, Error, Result};
use crate::layout::Layout;
use crate::model::Dialect;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Beside state.json: what the newest generate replaced and wrote.
pub const PREVIOUS_FILE: &str = "state.previous.json";
const DOCUMENT: &str = "schema/previous-state";

#[derive(Serialize, Deserialize)]
struct Previous {
    document: String,
    /// The files the generate wrote, relative to the migrations folder.
    files: Vec<String>,
    /// The state.json it replaced, as it was; None when there was none.
    state: Option<String>,
}

/// The text of `state.previous.json` for a generate that wrote `files` over `state`.
pub fn previous_text(files: Vec<String>, state: Option<String>) -> String {
    let doc = Previous { document: DOCUMENT.into(), files, state };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// A migration taken back: what to put back if the new generate writes nothing.
pub struct Undo {
    /// Every file removed or replaced, with its text before (None: it did not exist).
    kept: Vec<(PathBuf, Option<String>)>,
    /// The versions taken back.
    pub versions: Vec<i64>,
    /// Its name, which the new generate reuses unless told otherwise.
    pub name: String,
}

impl Undo {
    /// Puts everything back as it was before `take_back`.
    pub fn restore(self) -> Result<()> {
        for (path, text) in self.kept {
            match text {
                Some(text) => std::fs::write(&path, text).context(|| format!("restoring {}", path.display()))?,
                None => drop(std::fs::remove_file(&path)),
            }
        }
        Ok(())
    }
}

/// What redo would take back, refusing what it may not: no record of the last generate, a
/// record that does not match state.json, a file edited or missing, or a newer migration.
pub fn plan(layout: &Layout, dialects: &[Dialect]) -> Result<(Vec<PathBuf>, Option<String>)> {
    let record = layout.migrations.join(PREVIOUS_FILE);
    let text = std::fs::read_to_string(&record).map_err(|_| {
        Error::new(format!(
            "{} is missing: nothing records what the newest generate replaced (migrations generated before `--redo` existed cannot be redone); write a new migration instead",
            record.display()
        ))
    })?;
    let previous: Previous = serde_json::from_str(&text)
        .ok()
        .filter(|p: &Previous| p.document == DOCUMENT)
        .ok_or_else(|| Error::new(format!("{} is not a schema previous-state record", record.display())))?;
    let state = State::read(layout)?;
    let mut problems = state.edited_files(layout);
    for file in &previous.files {
        if !state.files.contains_key(file) {
            problems.push(format!("{file}: state.json does not record it (was state.json restored by hand?)"));
        }
    }
    problems.retain(|p| previous.files.iter().any(|f| p.contains(f.as_str())));
    if let Some(problem) = problems.first() {
        return Err(Error::new(format!("cannot redo the newest generate: {problem}")));
    }
    let paths: Vec<PathBuf> = previous.files.iter().map(|f| layout.migrations.join(f)).collect();
    let newest = paths.iter().filter_map(|p| version_of(p)).max().unwrap_or(0);
    for dialect in dialects {
        if let Some(later) = scan(layout, *dialect)?.into_iter().find(|f| f.version > newest) {
            return Err(Error::new(format!(
                "cannot redo the newest generate (up to V{newest}): {} comes after it",
                later.path.display()
            )));
        }
    }
    Ok((paths, previous.state))
}

/// Removes the newest generated migration and puts back the state.json it replaced.
pub fn take_back(layout: &Layout, files: Vec<PathBuf>, state: Option<String>) -> Result<Undo> {
    let name = files
        .iter()
        .filter_map(|p| p.file_stem()?.to_str()?.split_once("__").map(|(_, n)| n.to_string()))
        .min_by_key(String::len)
        .unwrap_or_else(|| "update".into());
    let versions = {
        let mut v: Vec<i64> = files.iter().filter_map(|p| version_of(p)).collect();
        v.sort();
        v.dedup();
        v
    };
    let state_path = layout.migrations.join(STATE_FILE);
    let record = layout.migrations.join(PREVIOUS_FILE);
    let mut kept = Vec::new();
    for path in files.iter().chain([&state_path, &record]) {
        kept.push((path.clone(), std::fs::read_to_string(path).ok()));
    }
    let undo = Undo { kept, versions, name };
    for path in files.iter().chain([&record]) {
        std::fs::remove_file(path).context(|| format!("removing {}", path.display()))?;
    }
    match state {
        Some(text) => std::fs::write(&state_path, text).context(|| format!("writing {}", state_path.display()))?,
        None => std::fs::remove_file(&state_path).context(|| format!("removing {}", state_path.display()))?,
    }
    Ok(undo)
}
