//! Proving migrations before they are written (Atlas's dev database): every migration of a
//! dialect, the history and the new ones, applied in version order to a scratch database created
//! on the dev server and dropped after, as `migrate` applies them (a transactional file in one
//! transaction, a no-transaction file statement by statement). PostgreSQL files run as they are;
//! Redshift files run through the driver's emulation, their Redshift-only rules checked on the
//! untranslated text. A failure names the file, the statement, the server's message and, for a
//! new file, the YAML object the statement comes from.

use crate::db::Target;
use crate::dialect::{driver, NO_TRANSACTION};
use crate::error::{describe, Context, Error, Result};
use crate::layout::Layout;
use crate::load::declarations;
use crate::migrations::scan;
use crate::model::{display_key, Dialect, Project};
use crate::plan::Step;
use crate::sql::lexer::split_statements;
use crate::terminal::count;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A migration about to be written: where, its text, and the plan steps it holds.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub dialect: Dialect,
    pub path: PathBuf,
    pub text: String,
    pub steps: Vec<Step>,
}

/// One file to apply: its text, and its steps if it is new.
struct File<'a> {
    path: PathBuf,
    text: String,
    steps: Option<&'a [Step]>,
}

/// Applies the history of every dialect of the project plus `new` to scratch databases on
/// `server`. Ok: one line per dialect saying what was proven.
pub fn rehearse(server: &Target, layout: &Layout, project: &Project, new: &[NewFile]) -> Result<Vec<String>> {
    let mut done = Vec::new();
    for dialect in &project.dialects {
        let mut files: Vec<(i64, File)> = Vec::new();
        for f in scan(layout, *dialect)? {
            let text = std::fs::read_to_string(&f.path).context(|| format!("reading {}", f.path.display()))?;
            files.push((f.version, File { path: f.path, text: text.replace("\r\n", "\n"), steps: None }));
        }
        for n in new.iter().filter(|n| n.dialect == *dialect) {
            let version = crate::migrations::version_of(&n.path).unwrap_or(i64::MAX);
            files.push((version, File { path: n.path.clone(), text: n.text.clone(), steps: Some(&n.steps) }));
        }
        files.sort_by_key(|(v, _)| *v);
        let files: Vec<File> = files.into_iter().map(|(_, f)| f).collect();
        let scratch = Scratch::create(server, &project.name)?;
        let result = apply(&scratch.target, *dialect, &files);
        scratch.drop_it()?;
        result.map_err(|failure| {
            Error::Rehearsal(format!(
                "the {dialect} migrations fail on a scratch database of {}: {}",
                server.redacted(),
                failure.describe(layout, project)
            ))
        })?;
        let how = if driver(*dialect).rehearsal_setup().is_empty() { "" } else { " through the Redshift emulation" };
        done.push(format!(
            "{dialect}: {} applied to a scratch database{how} ({} new)",
            count(files.len(), "migration"),
            new.iter().filter(|n| n.dialect == *dialect).count()
        ));
    }
    Ok(done)
}

/// Where and why a rehearsal failed.
struct Failure {
    file: PathBuf,
    statement: usize,
    statements: usize,
    text: String,
    message: String,
    /// The YAML object of the failing statement, for a new file.
    object: Option<String>,
}

impl Failure {
    fn describe(&self, layout: &Layout, project: &Project) -> String {
        let new = if self.object.is_some() { " (the new migration)" } else { "" };
        let mut out = format!(
            "{}{new} failed at statement {} of {}: {}\n  statement: {}",
            self.file.display(),
            self.statement,
            self.statements,
            self.message,
            one_line(&self.text)
        );
        if let Some(object) = &self.object {
            let file = declarations(&layout.schema).get(object).cloned();
            let file = file.map(|f| format!(" ({})", f.display())).unwrap_or_default();
            out.push_str(&format!("\n  from the YAML of {}{file}", display_key(&project.namespace, object)));
        }
        out
    }
}

fn apply(target: &Target, dialect: Dialect, files: &[File]) -> std::result::Result<(), Failure> {
    let d = driver(dialect);
    let fail = |file: &File, statement: usize, statements: usize, text: &str, message: String| Failure {
        file: file.path.clone(),
        statement,
        statements,
        text: text.to_string(),
        message,
        object: file.steps.and_then(|steps| step_of(steps, statement, d.escapes())).map(str::to_string),
    };
    let mut client = target.connect().map_err(|e| Failure {
        file: PathBuf::new(),
        statement: 0,
        statements: 0,
        text: String::new(),
        message: e.to_string(),
        object: None,
    })?;
    let setup = d.rehearsal_setup();
    if !setup.is_empty() {
        client.batch_execute(&setup).map_err(|e| Failure {
            file: PathBuf::from("(emulation set-up)"),
            statement: 1,
            statements: 1,
            text: String::new(),
            message: describe(&e),
            object: None,
        })?;
    }
    let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
    for (file, rules) in files.iter().zip(d.rehearsal_rules(&texts)) {
        let statements = split_statements(&file.text, d.escapes());
        if let (Some(first), true) = (rules.first(), file.steps.is_some()) {
            let n = first.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1);
            return Err(fail(file, n, statements.len(), "", format!("{dialect} refuses it: {first}")));
        }
        let transactional = !file.text.starts_with(NO_TRANSACTION);
        if transactional {
            client.batch_execute("BEGIN").map_err(|e| fail(file, 0, statements.len(), "BEGIN", describe(&e)))?;
        }
        for (i, statement) in statements.iter().enumerate() {
            if let Err(e) = client.batch_execute(&d.rehearsal_statement(statement)) {
                return Err(fail(file, i + 1, statements.len(), statement, describe(&e)));
            }
        }
        if transactional {
            client.batch_execute("COMMIT").map_err(|e| fail(file, 0, statements.len(), "COMMIT", describe(&e)))?;
        }
    }
    Ok(())
}

/// The object of the step that statement `n` (from 1) of a new file comes from: the file holds
/// the steps' SQL in order, after a header of comments.
fn step_of(steps: &[Step], n: usize, escapes: crate::sql::lexer::Escapes) -> Option<&str> {
    let mut seen = 0;
    for step in steps {
        seen += split_statements(&step.sql, escapes).len();
        if n <= seen {
            return step.op.object();
        }
    }
    None
}

/// A database created for one rehearsal on the dev server, dropped after.
struct Scratch {
    server: Target,
    name: String,
    target: Target,
}

impl Scratch {
    fn create(server: &Target, project: &str) -> Result<Scratch> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "schema_dev_{}_{}_{}",
            crate::local::database_name(project).chars().take(30).collect::<String>(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = server.connect()?;
        client.batch_execute(&format!("CREATE DATABASE {}", crate::sql::ident(&name))).map_err(|e| {
            Error::database(format!(
                "creating the scratch database {name} on {}: {} (the dev database's user needs CREATEDB)",
                server.redacted(),
                describe(&e)
            ))
        })?;
        Ok(Scratch { target: server.with_database(&name), server: server.clone(), name })
    }

    /// FORCE ends the sessions still open on it (PostgreSQL 13 and later).
    fn drop_it(self) -> Result<()> {
        let mut client = self.server.connect()?;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", crate::sql::ident(&self.name));
        client
            .batch_execute(&sql)
            .map_err(|e| Error::database(format!("dropping the scratch database {}: {}", self.name, describe(&e))))
    }
}

/// A statement on one line, shortened for messages.
fn one_line(sql: &str) -> String {
    let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{} …", &line[..cut]),
        None => line,
    }
}
