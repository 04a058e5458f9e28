//! The one error type. Every command that could not run returns it; its kind says what failed
//! and fixes the exit code (2: the command could not run). Messages are complete sentences for
//! the terminal and never contain a password; text in them from the YAML or the database is
//! escaped (`terminal::safe`).

use crate::terminal::safe;
use std::fmt;
use std::path::PathBuf;

/// A problem in the YAML, at file:line:col.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display().to_string();
        write!(f, "{}:{}:{}: error: {}", safe(&file), self.line, self.col, safe(&self.message))?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", safe(help))?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum Error {
    /// The YAML does not load: every problem, each with file:line:col.
    Load { dir: String, diagnostics: Vec<Diagnostic> },
    /// A bad argument, file or setting.
    Input(String),
    /// The database cannot be reached (already password-free).
    Connect(String),
    /// The catalog cannot be read.
    Catalog(String),
    /// A statement or query failed.
    Database(String),
    /// A change no migration can express yet.
    Unsupported(Vec<String>),
    /// The migrations fail on a scratch database of the dev database: nothing was written.
    Rehearsal(String),
    /// A migration failed; `committed` lists what of it stays applied (statements of a
    /// no-transaction migration that ran before the failure).
    Migrate { migration: String, message: String, committed: Vec<String> },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Bad input: the most common kind, hence the short constructor.
    pub fn new(message: impl Into<String>) -> Error {
        Error::Input(message.into())
    }

    pub fn database(message: impl Into<String>) -> Error {
        Error::Database(message.into())
    }

    /// The kind, as written in JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Load { .. } => "load",
            Error::Input(_) => "input",
            Error::Connect(_) => "connect",
            Error::Catalog(_) => "catalog",
            Error::Database(_) => "database",
            Error::Unsupported(_) => "unsupported",
            Error::Rehearsal(_) => "rehearsal",
            Error::Migrate { .. } => "migrate",
        }
    }

    /// Every kind means the command could not run: 2. (1 is a finding, not an error.)
    pub fn exit_code(&self) -> u8 {
        2
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The diagnostics themselves are printed one per line before this summary.
            Error::Load { dir, diagnostics } => {
                let n = diagnostics.len();
                write!(f, "{n} problem{} in {dir}", if n == 1 { "" } else { "s" })
            }
            Error::Input(m) | Error::Connect(m) | Error::Catalog(m) | Error::Database(m) => f.write_str(&safe(m)),
            // The file, the statement and the YAML object, a line each.
            Error::Rehearsal(m) => f.write_str(&crate::terminal::safe_lines(m)),
            Error::Unsupported(items) => {
                f.write_str("the planner cannot express these changes yet:")?;
                items.iter().try_for_each(|i| write!(f, "\n  - {}", safe(i)))
            }
            Error::Migrate { message, committed, .. } => {
                f.write_str(&safe(message))?;
                committed.iter().try_for_each(|c| write!(f, "\n  committed: {}", safe(c)))
            }
        }
    }
}

impl std::error::Error for Error {}

/// Adds what was being done to a lower-level error: `reading migrations/x.sql: No such file`.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::error::Error + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| {
            let message = format!("{}: {}", what(), describe(&e));
            if is_database(&e) {
                Error::Database(message)
            } else {
                Error::Input(message)
            }
        })
    }
}

fn is_database(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |err| err.source()).any(|err| err.is::<postgres::Error>())
}

/// One line for an error and its causes. For a database error this is the server's message
/// (with its detail and hint): rust-postgres's own `Display` says only "db error".
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let chain = || std::iter::successors(Some(e), |err| err.source());
    let server = chain().find_map(|err| err.downcast_ref::<postgres::Error>().and_then(postgres::Error::as_db_error));
    let text = match server {
        Some(db) => {
            let mut msg = guard_message(db.message()).unwrap_or(db.message()).to_string();
            for (label, extra) in [("detail", db.detail()), ("hint", db.hint())] {
                if let Some(extra) = extra {
                    msg.push_str(&format!(" ({label}: {extra})"));
                }
            }
            msg
        }
        None => {
            let mut parts: Vec<String> = chain().map(|err| err.to_string()).collect();
            parts.dedup();
            parts.join(": ")
        }
    };
    safe(&text.replace(['\r', '\n'], " ")).into_owned()
}

/// The message of a migration's guard query (templates `check_fits`, `check_encoding`), which
/// fails by casting its message to INTEGER: PostgreSQL reports the cast, quoting the message.
fn guard_message(server: &str) -> Option<&str> {
    let quoted = server.strip_prefix("invalid input syntax for type integer: \"")?.strip_suffix('"')?;
    (quoted.starts_with("cannot ") || quoted.contains(" (chosen by ENCODE AUTO), ")).then_some(quoted)
}
