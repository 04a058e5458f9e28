//! The error every command returns when it could not run (exit code 2). Messages are complete
//! sentences meant for the terminal; they never contain a password.

use std::fmt;

#[derive(Debug)]
pub struct Error(String);

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Adds what was being done to a lower-level error: `reading migrations/x.sql: No such file`.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::error::Error + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error(format!("{}: {}", what(), describe(&e))))
    }
}

/// One line for an error and its causes. For a database error this is the server's message
/// (with its detail and hint): rust-postgres's own `Display` says only "db error".
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let chain = || std::iter::successors(Some(e), |err| err.source());
    let server = chain().find_map(|err| err.downcast_ref::<postgres::Error>().and_then(postgres::Error::as_db_error));
    let text = match server {
        Some(db) => {
            let mut msg = db.message().to_string();
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
    text.replace(['\r', '\n'], " ")
}

/// A connection error is already one safe line (no password): it passes through as is.
impl From<crate::db::DbError> for Error {
    fn from(e: crate::db::DbError) -> Error {
        Error(e.to_string())
    }
}
