//! YAML → model. Strict: every problem becomes a [`Diagnostic`] naming file, line and column,
//! what was expected and the nearest valid name; all of a run's diagnostics are returned.
//!
//! `docs` holds the documents as written (serde, strict), `serde_errors` turns serde's failures
//! into positioned diagnostics, `project` and `table` check what the documents mean and build
//! the model (`redshift` reads Redshift's own properties into the driver's attributes), and
//! the drivers of the project's dialects lint the result (`dialect::Driver::lint`).

mod attrs;
mod checks;
mod docs;
mod domains;
mod enums;
mod grants;
mod indexes;
pub mod json_schema;
mod keys;
mod limits;
mod partitions;
mod positions;
mod project;
mod redshift;
mod sequences;
mod serde_errors;
mod sql;
mod table;
mod targets;
mod values;

pub use crate::error::Diagnostic;
use crate::model::*;
use docs::{ProjectDoc, TableDoc, ViewDoc};
use positions::{Pos, Positions};
use project::Loader;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const MAX_IDENT: usize = 63;

/// Loads the project whose YAML lives in `dir` (`schema.yaml` plus object files below it).
pub fn load(dir: &Path) -> Result<Project, Vec<Diagnostic>> {
    let mut files = Vec::new();
    if let Err(e) = limits::yaml_files(dir, &mut files, &mut Default::default()) {
        return Err(vec![diag_at(dir, Pos { line: 1, col: 1 }, format!("cannot read the project folder: {e}"), None)]);
    }
    files.sort();
    let texts = in_parallel(files, |path| {
        let text = limits::read(&path);
        (path, text)
    });
    load_texts(dir, texts)
}

/// Loads a project from texts instead of files: `files` are paths under `dir` with their
/// contents (or why they could not be read). What `load` does after reading; tests and tools
/// that hold YAML in memory call it directly.
pub fn load_texts(dir: &Path, files: Vec<(PathBuf, Result<String, String>)>) -> Result<Project, Vec<Diagnostic>> {
    let project_file = dir.join("schema.yaml");
    let mut loader =
        Loader { dir, diags: Vec::new(), dialects: Vec::new(), enums: BTreeMap::new(), parsed: Default::default() };
    let mut settings = None;
    let mut broken = BTreeSet::new();
    let mut tables = Vec::new();
    let mut views = Vec::new();
    // Files parse independently: on every core, then taken in file order.
    for (src, doc, diags) in in_parallel(files, |(path, text)| read(dir, &project_file, path, text)) {
        loader.diags.extend(diags);
        match doc {
            Some(Doc::Project(doc)) => settings = src.map(|src| (src, doc)),
            Some(Doc::Table(doc)) => tables.extend(src.map(|src| (src, doc))),
            Some(Doc::View(doc)) => views.extend(src.map(|src| (src, doc))),
            None => broken.extend(src.and_then(|src| declared_name(&src.text))),
        }
    }
    let Some((src, doc)) = settings else {
        if !loader.diags.iter().any(|d| d.file == project_file) {
            loader.diags.push(diag_at(
                &project_file,
                Pos { line: 1, col: 1 },
                "project file not found".into(),
                Some("create schema.yaml with `name`, `namespace` and `dialects`, or run `schema init`".into()),
            ));
        }
        return Err(loader.diags);
    };
    // One thread with a stack deep enough for any SQL text the parser accepts serves them all.
    let project = crate::sql::expr::with_large_stack(|| {
        let project = loader.project(&src, doc, &tables, &views, &broken);
        if loader.diags.is_empty() {
            lint(&mut loader, &project, &src, &tables, &views);
        }
        project
    });
    let Some(project) = project else {
        return Err(vec![diag_at(dir, Pos { line: 1, col: 1 }, "the semantic checks failed to run".into(), None)]);
    };
    if loader.diags.is_empty() {
        Ok(project)
    } else {
        Err(loader.diags)
    }
}

/// The rules of the project's dialects, once everything else holds (so the model's columns
/// are the files' columns, index for index), placed in the object's file; a rule on the
/// project's settings (object "") in schema.yaml.
fn lint(
    loader: &mut Loader,
    project: &Project,
    settings: &Source,
    tables: &[(Source, TableDoc)],
    views: &[(Source, ViewDoc)],
) {
    let table_files = tables.iter().map(|(src, doc)| (doc.table.as_str(), src));
    let view_files = views
        .iter()
        .filter_map(|(src, doc)| Some((doc.view.as_ref().or(doc.materialized_view.as_ref())?.as_str(), src)));
    let files: BTreeMap<&str, &Source> = table_files.chain(view_files).chain([("", settings)]).collect();
    for dialect in &project.dialects {
        for l in crate::dialect::driver(*dialect).lint(project) {
            let Some(src) = files.get(l.object.as_str()) else { continue };
            let pos = match l.path.strip_prefix("ref:") {
                Some(name) => project::ref_position(src, name),
                None => src.positions().value(&l.path),
            };
            loader.diags.push(diag_at(&src.path, pos, l.message, l.help));
        }
    }
}

/// One file as written.
enum Doc {
    Project(ProjectDoc),
    Table(TableDoc),
    View(ViewDoc),
}

/// Reads and deserialises one file: its source (None if unreadable), its document (None if it
/// does not deserialise) and what is wrong with it.
fn read(
    dir: &Path,
    project_file: &Path,
    path: PathBuf,
    text: Result<String, String>,
) -> (Option<Source>, Option<Doc>, Vec<Diagnostic>) {
    let mut loader =
        Loader { dir, diags: Vec::new(), dialects: Vec::new(), enums: BTreeMap::new(), parsed: Default::default() };
    let text =
        text.map_err(|e| (None, e)).and_then(|t| limits::check(&t).and_then(|()| limits::no_nul(&t)).map(|()| t));
    let text = match text {
        Ok(t) => t.replace("\r\n", "\n"),
        Err((at, e)) => {
            let (line, col) = at.unwrap_or((1, 1));
            return (None, None, vec![diag_at(&path, Pos { line, col }, e, None)]);
        }
    };
    let src = Source { positions: OnceLock::new(), path, text };
    let doc = if src.path == project_file {
        loader.parse_project(&src).map(Doc::Project)
    } else {
        match loader.kind(&src) {
            Some(Kind::Table) => loader.parse_table(&src).map(Doc::Table),
            Some(Kind::View) => loader.parse_view(&src).map(Doc::View),
            None => None,
        }
    };
    (Some(src), doc, loader.diags)
}

/// `f` over `items` on every core, results in the items' order.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if workers == 1 || items.len() < 16 {
        return items.into_iter().map(f).collect();
    }
    let size = items.len().div_ceil(workers);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(size).collect());
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> =
            chunks.into_iter().map(|chunk| s.spawn(move || chunk.into_iter().map(f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// The file declaring each table and view (found by its top-level `table:`, `view:` or
/// `materialized_view:` line, without a full load): where to point findings about an object.
pub fn declarations(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = Vec::new();
    let _ = limits::yaml_files(dir, &mut files, &mut Default::default());
    let mut found = BTreeMap::new();
    for path in files {
        let text = limits::read(&path).unwrap_or_default();
        let name = text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            let value = value.split(" #").next().unwrap_or_default();
            matches!(key, "table" | "view" | "materialized_view")
                .then(|| value.trim().trim_matches(['"', '\'']).to_string())
        });
        if let Some(name) = name {
            found.insert(name, path);
        }
    }
    found
}

pub(super) struct Source {
    pub(super) path: PathBuf,
    pub(super) text: String,
    /// Built on first use: only files with diagnostics need it, and it costs a second parse.
    pub(super) positions: OnceLock<Positions>,
}

impl Source {
    pub(super) fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| Positions::index(&self.text))
    }
}

pub(super) enum Kind {
    Table,
    View,
}

/// `key: value` pairs written at column 0 of a block-style file.
pub(super) fn top_level(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter(|l| !l.starts_with([' ', '#', '-', '{', '\t'])).filter_map(|l| l.split_once(':'))
}

/// The name a file declares, read without parsing (for files that fail to deserialise).
pub(super) fn declared_name(text: &str) -> Option<String> {
    top_level(text)
        .find(|(k, _)| ["table", "view", "materialized_view"].contains(&k.trim_end()))
        .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_string())
}

/// `LoginEvents` / `login-events` → `login_events`.
pub(super) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('_') {
            out.push('_');
        }
        out.push(if matches!(c, '-' | ' ' | '.') { '_' } else { c.to_ascii_lowercase() });
    }
    out
}

pub(super) fn diag_at(file: &Path, pos: Pos, message: String, help: Option<String>) -> Diagnostic {
    Diagnostic { file: file.to_path_buf(), line: pos.line, col: pos.col, message, help }
}

/// Schemas the servers keep for themselves: `pg_` names are refused by CREATE SCHEMA, and
/// `information_schema` belongs to the system.
pub(super) fn check_namespace(name: &str) -> Result<(), String> {
    if name.starts_with("pg_") || name == "information_schema" {
        Err(format!(
            "`{name}` is a system schema (`pg_*` and `information_schema` are reserved): choose another namespace"
        ))
    } else {
        Ok(())
    }
}

pub(crate) fn check_ident(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok_start = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let ok_rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok_start && ok_rest && name.len() <= MAX_IDENT {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid identifier: use lowercase letters, digits and `_`, starting with a letter or `_`, at most {MAX_IDENT} bytes"
        ))
    }
}

/// Whether every dialect of a project keeps a quoted name's case (`"User"` is not `user`), so
/// the YAML may name its objects with any name the server accepts.
pub(crate) fn names_keep_case(dialects: &[crate::model::Dialect]) -> bool {
    dialects.iter().all(|d| crate::dialect::driver(*d).case_sensitive_names())
}

/// The name of an object the server keeps as written: where names keep their case, any name
/// PostgreSQL accepts quoted (1 to 63 bytes, no control characters); else an identifier.
pub(crate) fn check_name(name: &str, keep_case: bool) -> Result<(), String> {
    if !keep_case {
        check_ident(name)
    } else if name.is_empty() || name.len() > MAX_IDENT || name.contains(char::is_control) {
        // Control characters would reach file names and terminals; PostgreSQL refuses only NUL.
        Err(format!("`{}` is not a valid name: 1 to {MAX_IDENT} bytes, no control characters", name.escape_debug()))
    } else {
        Ok(())
    }
}

/// A table or view's name (its namespace apart) is also its file's name (`tables/<name>.yaml`)
/// and its key's last part: no `/` and no dot.
pub(crate) fn check_relation_name(name: &str, keep_case: bool) -> Result<(), String> {
    check_name(name, keep_case)?;
    match name.contains(['/', '.']) {
        true => Err(format!("`{name}`: a table or view name holds no `/` and no dot (but the one after a namespace)")),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(check_ident("event_date").is_ok());
        assert!(check_ident("EventDate").is_err());
        assert!(check_ident("1abc").is_err());
        assert!(check_ident(&"a".repeat(64)).is_err());
        assert!(check_name("Event Date", true).is_ok() && check_name("Event Date", false).is_err());
        assert!(["", "a\0", &"a".repeat(64)].iter().all(|n| check_name(n, true).is_err()));
        assert!(check_relation_name("User", true).is_ok());
        assert!(["a.b", "../x", "a/b"].iter().all(|n| check_relation_name(n, true).is_err()));
        assert_eq!(snake_case("LoginEvents"), "login_events");
    }
}
