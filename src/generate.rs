//! Versioned migration files (`migrations/<dialect>/V<n>__<name>.sql`) and the state they
//! produce (`migrations/state.json`): the model after the last generated migration plus a
//! digest of every generated file, so the next run emits only the change and edits are caught.

use crate::error::{Context, Error, Result};
use crate::layout::Layout;
use crate::migrate::NO_TRANSACTION;
use crate::model::{Dialect, Project};
use crate::plan::{self, Step};
use crate::render::Renderer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

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

    fn write(&self, layout: &Layout) -> Result<()> {
        let path = layout.migrations.join(STATE_FILE);
        let text = serde_json::to_string_pretty(self).expect("state serialises") + "\n";
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))
    }
}

/// One migration file on disk.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    pub version: i64,
    pub name: String,
    pub path: PathBuf,
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
        if path.extension().and_then(|e| e.to_str()) != Some("sql") {
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

pub enum Outcome {
    UpToDate,
    Written(Vec<PathBuf>),
    /// `--check` found work: the lines say what.
    Pending(Vec<String>),
    /// Destructive or expensive changes without `--allow-destructive`: nothing was written.
    Refused(Vec<String>),
}

pub fn generate(
    layout: &Layout,
    project: &Project,
    name: Option<&str>,
    check: bool,
    allow_destructive: bool,
) -> Result<Outcome> {
    let state = State::read(layout)?;
    let mut problems = edited_files(layout, &state);
    let mut next_version = 1;
    for dialect in &project.dialects {
        match scan(layout, *dialect) {
            Ok(files) => next_version = next_version.max(files.last().map_or(1, |f| f.version + 1)),
            Err(e) if check => problems.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    let desired = project.enabled();
    let from = state.project.clone().unwrap_or_else(|| desired.emptied());
    if let Some(d) = desired.dialects.iter().find(|d| !from.dialects.contains(d)) {
        return Err(Error::new(format!(
            "dialect `{d}` was added to a project that already has migrations; this is not supported yet"
        )));
    }
    let steps = plan::plan(&from, &desired).map_err(|unsupported| {
        Error::new(format!(
            "the planner cannot express these changes yet:\n{}",
            unsupported.iter().map(|u| format!("  - {u}")).collect::<Vec<_>>().join("\n")
        ))
    })?;
    if check {
        problems.extend(steps.iter().map(|s| format!("pending: {}", describe(s, &desired.namespace))));
        return Ok(if problems.is_empty() { Outcome::UpToDate } else { Outcome::Pending(problems) });
    }
    if let Some(problem) = problems.first() {
        return Err(Error::new(problem.clone()));
    }
    if steps.is_empty() {
        return Ok(Outcome::UpToDate);
    }
    let guarded: Vec<String> = steps
        .iter()
        .flat_map(|s| s.change.hazards().into_iter().filter(|h| h.guarded).map(move |h| (s, h)))
        .map(|(s, h)| format!("{}: {}", describe(s, &desired.namespace), h.text))
        .collect();
    if !guarded.is_empty() && !allow_destructive {
        return Ok(Outcome::Refused(guarded));
    }
    let name = name.unwrap_or(if state.project.is_none() { "initial" } else { "update" });
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::new(format!(
            "--name `{name}`: use letters, digits and `_` only (refinery skips other names)"
        )));
    }
    let file_name = format!("V{next_version}__{name}.sql");
    let mut state = state;
    let mut written = Vec::new();
    for dialect in &desired.dialects {
        let sql = migration_text(&desired, *dialect, &file_name, &steps)?;
        let dir = layout.dialect_dir(*dialect);
        std::fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(&file_name);
        std::fs::write(&path, &sql).context(|| format!("writing {}", path.display()))?;
        state.files.insert(format!("{dialect}/{file_name}"), digest(&sql));
        written.push(path);
    }
    state.project = Some(desired);
    state.write(layout)?;
    Ok(Outcome::Written(written))
}

/// The full DDL of the desired state, as the first migration would create it.
pub fn render_desired(project: &Project, dialect: Dialect) -> Result<String> {
    render_project(&project.enabled(), dialect)
}

/// The DDL that creates every object of `project` (all phases) into an empty namespace: the
/// canonical form in which `diff` shows live and desired side by side.
pub fn render_project(project: &Project, dialect: Dialect) -> Result<String> {
    let steps = plan::plan(&project.emptied(), project).map_err(|u| Error::new(u.join("; ")))?;
    Renderer::new(dialect, &project.namespace).steps(&steps)
}

/// A step for listings: the change, and the dialect when it applies to one only.
fn describe(step: &Step, namespace: &str) -> String {
    match step.only {
        Some(d) => format!("{} ({d} only)", step.change.describe(namespace)),
        None => step.change.describe(namespace),
    }
}

fn migration_text(project: &Project, dialect: Dialect, file_name: &str, steps: &[Step]) -> Result<String> {
    let ns = &project.namespace;
    let mine: Vec<&Step> = steps.iter().filter(|s| s.applies_to(dialect)).collect();
    let mut text = String::new();
    if mine.iter().any(|s| s.change.needs_no_transaction(dialect)) {
        text.push_str(NO_TRANSACTION);
        text.push_str(
            ": Redshift refuses ALTER COLUMN ... TYPE in a transaction block; applied statement by statement\n",
        );
    }
    text.push_str(&format!(
        "-- {file_name} ({dialect}): generated by `schema generate` for project {}.\n\
         -- Do not edit: change the YAML and generate again (`schema generate --check` detects edits).\n--\n-- Changes:\n",
        project.name
    ));
    for step in &mine {
        text.push_str(&format!("--   {}\n", step.change.describe(ns)));
    }
    let hazards: Vec<String> = mine
        .iter()
        .flat_map(|s| s.change.hazards().into_iter().map(|h| format!("--   {}: {}", s.change.describe(ns), h.text)))
        .collect();
    if !hazards.is_empty() {
        text.push_str("-- Hazards:\n");
        hazards.iter().for_each(|h| text.push_str(&format!("{h}\n")));
    }
    text.push('\n');
    text.push_str(&Renderer::new(dialect, ns).steps(steps)?);
    Ok(text)
}

fn edited_files(layout: &Layout, state: &State) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, expected) in &state.files {
        let path = layout.migrations.join(file);
        match std::fs::read_to_string(&path) {
            Ok(text) if digest(&text) == *expected => {}
            Ok(_) => problems.push(format!("{} was edited after it was generated", path.display())),
            Err(_) => problems.push(format!("{} was generated but is missing", path.display())),
        }
    }
    problems
}

pub fn digest(text: &str) -> String {
    Sha256::digest(text.replace("\r\n", "\n").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
