//! `schema generate`: the next versioned migration per dialect, from the recorded state to the
//! YAML, or (`--check`) what is pending.

use super::state::{digest, State};
use super::{scan, NO_TRANSACTION};
use crate::diff::diff;
use crate::error::{Context, Error, Result};
use crate::layout::Layout;
use crate::model::display_key;
use crate::model::Dialect;
use crate::model::Project;
use crate::plan::{plan_changes, Plan, Step};
use crate::rehearse::NewFile;
use std::path::PathBuf;

pub enum Outcome {
    UpToDate,
    Written(Vec<PathBuf>),
    /// `--check` found work: the lines say what.
    Pending(Vec<String>),
    /// Destructive or expensive changes without `--allow-destructive`: nothing was written.
    Refused(Vec<String>),
}

/// What `generate` is asked to do.
#[derive(Default)]
pub struct Options<'a> {
    /// The migration's name (default `initial`, then `update`).
    pub name: Option<&'a str>,
    /// Only say what is pending (`--check`).
    pub check: bool,
    pub allow_destructive: bool,
    /// Plan and prove, but write nothing.
    pub dry_run: bool,
}

/// The next migration of each dialect. `prove` sees the files about to be written (and may
/// refuse them) before anything is written.
pub fn generate(
    layout: &Layout,
    project: &Project,
    options: &Options,
    prove: &mut dyn FnMut(&[NewFile]) -> Result<()>,
) -> Result<Outcome> {
    let Options { name, check, allow_destructive, dry_run } = *options;
    let state = State::read(layout)?;
    let mut problems = state.edited_files(layout);
    problems.extend(unrecorded(layout, &state, &project.dialects));
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
    let changes = diff(&from, &desired);
    let hints = super::hints::renames(layout, &desired.namespace, &changes);
    let plans: Vec<Plan> = desired
        .dialects
        .iter()
        .map(|d| plan_changes(*d, &from, &desired, changes.clone()))
        .collect::<Result<_>>()
        .map_err(|e| match e {
            Error::Unsupported(mut items) => {
                items.extend(hints.iter().cloned());
                Error::Unsupported(items)
            }
            e => e,
        })?;
    if check {
        problems.extend(changes.iter().flat_map(|c| c.describe(&desired.namespace)).map(|c| format!("pending: {c}")));
        problems.extend(hints);
        return Ok(if problems.is_empty() { Outcome::UpToDate } else { Outcome::Pending(problems) });
    }
    if let Some(problem) = problems.first() {
        return Err(Error::new(problem.clone()));
    }
    if plans.iter().all(Plan::is_empty) {
        if !state.outdated {
            return Ok(Outcome::UpToDate);
        }
        // Nothing to generate, but the state file gets this version's format (its checksum).
        let path = layout.migrations.join(super::state::STATE_FILE);
        write_all(&[(path.clone(), state.text())])?;
        return Ok(Outcome::Written(vec![path]));
    }
    let mut guarded = guarded(&plans);
    if !guarded.is_empty() && !allow_destructive {
        guarded.extend(hints);
        return Ok(Outcome::Refused(guarded));
    }
    let name = name.unwrap_or(if state.project.is_none() { "initial" } else { "update" });
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::new(format!(
            "--name `{name}`: use letters, digits and `_` only (refinery skips other names)"
        )));
    }
    let mut state = state;
    let mut new = Vec::new();
    for plan in &plans {
        let dialect = plan.dialect;
        let parts = plan.parts();
        for (k, part) in parts.iter().enumerate() {
            let version = next_version + k as i64;
            let file_name =
                if k == 0 { format!("V{version}__{name}.sql") } else { format!("V{version}__{name}_{}.sql", k + 1) };
            let text = migration_text(&desired, dialect, part, &file_name, (k + 1, parts.len()));
            state.files.insert(format!("{dialect}/{file_name}"), digest(&text));
            let path = layout.dialect_dir(dialect).join(file_name);
            new.push(NewFile { dialect, path, text, steps: part.to_vec() });
        }
    }
    prove(&new)?;
    let mut files: Vec<(PathBuf, String)> = new.into_iter().map(|f| (f.path, f.text)).collect();
    if !dry_run {
        let written = files
            .iter()
            .filter_map(|(p, _)| Some(p.strip_prefix(&layout.migrations).ok()?.to_string_lossy().into_owned()));
        let replaced = std::fs::read_to_string(layout.migrations.join(super::state::STATE_FILE)).ok();
        let previous = super::redo::previous_text(written.collect(), replaced);
        state.project = Some(desired);
        files.push((layout.migrations.join(super::redo::PREVIOUS_FILE), previous));
        files.push((layout.migrations.join(super::state::STATE_FILE), state.text()));
        write_all(&files)?;
        files.truncate(files.len() - 2);
    }
    Ok(Outcome::Written(files.into_iter().map(|(path, _)| path).collect()))
}

/// Writes every file or none: all to temporary names first (removed again if one fails), then
/// renamed into place, the state file last. An interruption between renames leaves migrations
/// the state does not record, which `generate --check` reports.
fn write_all(files: &[(PathBuf, String)]) -> Result<()> {
    let temp = |path: &PathBuf| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        path.with_file_name(format!(".{name}.tmp"))
    };
    let mut written: Vec<PathBuf> = Vec::new();
    for (path, text) in files {
        let dir = path.parent().unwrap_or(path);
        let result = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(temp(path), text));
        if let Err(e) = result {
            written.iter().for_each(|t| drop(std::fs::remove_file(t)));
            return Err(Error::new(format!("writing {}: {e}; nothing was written", path.display())));
        }
        written.push(temp(path));
    }
    for (path, _) in files {
        std::fs::rename(temp(path), path).context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Files that say they were generated but that the state does not record: left by an
/// interrupted generate, or copied in by hand.
fn unrecorded(layout: &Layout, state: &State, dialects: &[Dialect]) -> Vec<String> {
    let mut out = Vec::new();
    for dialect in dialects {
        for file in scan(layout, *dialect).unwrap_or_default() {
            let key = format!("{dialect}/{}", file.path.file_name().unwrap_or_default().to_string_lossy());
            let text = std::fs::read_to_string(&file.path).unwrap_or_default();
            let generated = text.lines().take(3).any(|l| l.contains("generated by `schema generate`"));
            if generated && !state.files.contains_key(&key) {
                out.push(format!(
                    "{} says it was generated but state.json does not record it (an interrupted generate?): delete it and generate again",
                    file.path.display()
                ));
            }
        }
    }
    out
}

/// Hand-written migrations (files `state.json` does not record) of one dialect whose version has
/// no file in another dialect of the project: generated versions may skip a dialect that has
/// nothing to do, but a hand-written data migration usually needs its twin.
pub fn hand_written_gaps(layout: &Layout, project: &Project) -> Result<Vec<String>> {
    let state = State::read(layout)?;
    let mut files = Vec::new();
    for dialect in &project.dialects {
        files.push((*dialect, scan(layout, *dialect).unwrap_or_default()));
    }
    let mut out = Vec::new();
    for (dialect, list) in &files {
        for file in list {
            let key = format!("{dialect}/{}", file.path.file_name().unwrap_or_default().to_string_lossy());
            if state.files.contains_key(&key) {
                continue;
            }
            for (other, theirs) in files.iter().filter(|(d, _)| d != dialect) {
                if !theirs.iter().any(|f| f.version == file.version) {
                    out.push(format!(
                        "{} is hand-written and migrations/{other} has no V{} file: if {other} needs the same change, write migrations/{other}/V{}__{}.sql too",
                        file.path.display(),
                        file.version,
                        file.version,
                        file.name
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// `what: hazard` for every guarded hazard, after its dialect when the project has several.
fn guarded(plans: &[Plan]) -> Vec<String> {
    let mut out = Vec::new();
    for p in plans {
        let prefix = if plans.len() > 1 { format!("{}: ", p.dialect) } else { String::new() };
        for s in &p.steps {
            out.extend(s.hazards.iter().filter(|h| h.guarded).map(|h| format!("{prefix}{}: {}", s.comment, h.text)));
        }
    }
    out
}

fn migration_text(
    project: &Project,
    dialect: Dialect,
    steps: &[Step],
    file_name: &str,
    part: (usize, usize),
) -> String {
    let mut text = String::new();
    if steps.iter().any(|s| !s.transactional) {
        text.push_str(NO_TRANSACTION);
        text.push_str(": Redshift refuses these statements in a transaction block; applied one by one\n");
    }
    let of = if part.1 > 1 { format!(", part {} of {}", part.0, part.1) } else { String::new() };
    let mut header = vec![
        format!("{file_name} ({dialect}{of}): generated by `schema generate` for project {}.", project.name),
        "Do not edit: change the YAML and generate again (`schema generate --check` detects edits).".to_string(),
        String::new(),
        "Changes:".to_string(),
    ];
    header.extend(steps.iter().map(|s| format!("  {}", s.comment)));
    let hazards: Vec<String> =
        steps.iter().flat_map(|s| s.hazards.iter().map(move |h| format!("  {}: {}", s.comment, h.text))).collect();
    if !hazards.is_empty() {
        header.push("Hazards:".to_string());
        header.extend(hazards);
    }
    let whole = whole_tables(&project.namespace, steps);
    if !whole.is_empty() {
        header.push(format!("{WHOLE_TABLES}:"));
        header.extend(whole.iter().map(|t| format!("  {t}")));
    }
    header.iter().for_each(|line| text.push_str(&comment(line)));
    text.push('\n');
    text.push_str(&steps.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n"));
    text
}

/// The header section listing the tables a guarded step rewrites, copies or drops whole:
/// `schema plan` reads it to show their sizes.
pub const WHOLE_TABLES: &str = "Whole tables";

/// `ns.table` of every table a step with a guarded hazard works on, once each, in plan order.
pub fn whole_tables(namespace: &str, steps: &[Step]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in steps.iter().filter(|s| s.hazards.iter().any(|h| h.guarded)) {
        if let Some(t) = s.op.table().map(|t| display_key(namespace, t)).filter(|t| !out.contains(t)) {
            out.push(t);
        }
    }
    out
}

/// Text from the YAML as SQL comment lines: every line commented, so a name or expression
/// holding a line break cannot end the comment and become SQL.
fn comment(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(|line| if line.is_empty() { "--\n".to_string() } else { format!("-- {line}\n") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_a_comment_is_commented() {
        assert_eq!(comment("p"), "-- p\n");
        assert_eq!(comment("w\nDROP TABLE important; --"), "-- w\n-- DROP TABLE important; --\n");
        assert_eq!(comment("a\r\nb"), "-- a\n--\n-- b\n");
        assert_eq!(comment(""), "--\n");
    }
}
