//! `status`: the migration files compared with the history, and what refuses a run.

use super::{history, local_migrations, notx, Local};
use crate::error::Result;
use crate::layout::Layout;
use crate::model::Dialect;
use crate::terminal::safe;
use postgres::Client;
use refinery::Migration;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Applied,
    Pending,
    Divergent,
    Renamed,
    Missing,
    Unreadable,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub version: i64,
    pub name: String,
    pub state: State,
    pub file: Option<String>,
    pub applied_on: Option<String>,
    pub checksum_file: Option<String>,
    pub checksum_database: Option<String>,
    /// Renamed: the name it was applied under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_database: Option<String>,
    /// Unreadable: why refinery cannot read its history row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// Pending below this applied version: added out of order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_below: Option<i64>,
    /// Pending no-transaction migration: statements a failed run committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_statements: Option<usize>,
}

impl Entry {
    fn label(&self) -> String {
        format!("V{}__{}", self.version, safe(&self.name))
    }

    /// The problem line `status` prints and `migrate` refuses with.
    pub fn problem(&self) -> Option<String> {
        let file = self.file.as_deref().unwrap_or("?");
        match self.state {
            State::Divergent => Some(format!(
                "{}: {file} changed after it was applied (checksum in the database {}, on disk {}): restore it and put the change in a new migration",
                self.label(),
                safe(self.checksum_database.as_deref().unwrap_or("?")),
                self.checksum_file.as_deref().unwrap_or("?"),
            )),
            State::Renamed => Some(format!(
                "{}: {file} was renamed after it was applied as V{}__{} (same content): rename it back",
                self.label(),
                self.version,
                safe(self.name_database.as_deref().unwrap_or("?")),
            )),
            State::Missing => {
                Some(format!("{}: applied to the database but its file is missing from migrations/: restore it", self.label()))
            }
            State::Unreadable => Some(format!(
                "V{}: {}, which refinery cannot read: repair the row",
                self.version,
                self.unreadable.as_deref().unwrap_or("?")
            )),
            State::Applied | State::Pending => None,
        }
    }

    /// What `status` says about a pending migration beyond its state.
    pub fn note(&self) -> Option<String> {
        let below = self.added_below.map(|v| {
            format!(
                "{} was added below the applied V{v}: `schema migrate --allow-out-of-order` applies it",
                self.label()
            )
        });
        let partial = self.committed_statements.map(|n| {
            format!(
                "{}: {} committed by a run that failed (it runs outside a transaction); `schema migrate` resumes at statement {}",
                self.label(),
                notx::range(n),
                n + 1
            )
        });
        match (below, partial) {
            (Some(a), Some(b)) => Some(format!("{a}\n{b}")),
            (a, b) => a.or(b),
        }
    }
}

/// The migrations, and what is wrong with the history table itself.
pub struct Status {
    pub entries: Vec<Entry>,
    pub history: Vec<String>,
}

impl Status {
    /// Everything `status` reports and `migrate` refuses to run with.
    pub fn problems(&self) -> Vec<String> {
        self.history.iter().cloned().chain(self.entries.iter().filter_map(Entry::problem)).collect()
    }
}

pub fn status(layout: &Layout, client: &mut Client, namespace: &str, dialect: Dialect) -> Result<Status> {
    compare(layout, &local_migrations(layout, dialect)?, client, namespace)
}

pub(super) fn compare(layout: &Layout, local: &[Local], client: &mut Client, namespace: &str) -> Result<Status> {
    let history::History { rows: mut db, problems } = history::read(client, namespace)?;
    let top = db.keys().max().copied();
    let mut progress = notx::recorded(client, namespace)?;
    let mut entries = Vec::new();
    for l in local {
        let version = l.file.version;
        let checksum = l.migration.checksum().to_string();
        let mut entry = Entry {
            version,
            name: l.file.name.clone(),
            state: State::Pending,
            file: Some(l.file.path.strip_prefix(&layout.root).unwrap_or(&l.file.path).display().to_string()),
            applied_on: None,
            checksum_file: Some(checksum.clone()),
            checksum_database: None,
            name_database: None,
            unreadable: None,
            added_below: None,
            committed_statements: None,
        };
        match db.remove(&version) {
            None => {
                entry.added_below = top.filter(|&top| top > version);
                entry.committed_statements = progress.remove(&version).map(|done| done.len());
            }
            Some(row) => {
                entry.state = match (row.unreadable(), &row.name) {
                    (Some(why), _) => {
                        entry.unreadable = Some(why);
                        State::Unreadable
                    }
                    (None, Some(name)) if *name == l.file.name && row.checksum.as_ref() == Some(&checksum) => {
                        State::Applied
                    }
                    (None, Some(name)) if renamed(l, name, row.checksum.as_deref()) => {
                        entry.name_database = Some(name.clone());
                        State::Renamed
                    }
                    _ => State::Divergent,
                };
                entry.applied_on = row.applied_on;
                entry.checksum_database = row.checksum;
            }
        }
        entries.push(entry);
    }
    for (version, row) in db {
        let unreadable = row.unreadable();
        entries.push(Entry {
            version,
            state: if unreadable.is_some() { State::Unreadable } else { State::Missing },
            unreadable,
            name: row.name.unwrap_or_default(),
            file: None,
            applied_on: row.applied_on,
            checksum_file: None,
            checksum_database: row.checksum,
            name_database: None,
            added_below: None,
            committed_statements: None,
        });
    }
    entries.sort_by_key(|e| e.version);
    Ok(Status { entries, history: problems })
}

/// The file, under the name it was applied with, has the applied checksum: only its name changed.
fn renamed(l: &Local, applied_name: &str, applied_checksum: Option<&str>) -> bool {
    let stem = format!("V{}__{applied_name}", l.file.version);
    let sql = l.migration.sql().unwrap_or_default();
    Migration::unapplied(&stem, sql).is_ok_and(|m| Some(m.checksum().to_string().as_str()) == applied_checksum)
}
