//! Migrations marked `-- schema:no-transaction` run statement by statement, each committed on
//! its own (Redshift refuses e.g. ALTER COLUMN TYPE in a transaction block). A failure part-way
//! leaves the statements before it applied, so each one is recorded in PROGRESS_TABLE as it
//! commits: the error names them, `status` shows them, and the next run resumes after them.
//! A crash between a statement and its record would run that one statement again.

use super::history::table_exists;
use super::{code, Local};
use crate::db::text_rows;
use crate::error::{describe, Context, Error, Result};
use crate::layout::PROGRESS_TABLE;
use crate::sql::ident;
use postgres::Client;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The statements recorded as committed, by version: (statement number from 1, checksum).
pub fn recorded(client: &mut Client, namespace: &str) -> Result<BTreeMap<i64, Vec<(usize, String)>>> {
    let mut out: BTreeMap<i64, Vec<(usize, String)>> = BTreeMap::new();
    if !table_exists(client, namespace, PROGRESS_TABLE)? {
        return Ok(out);
    }
    let table = table(namespace);
    let sql = format!("SELECT version::BIGINT, statement::INTEGER, checksum FROM {table} ORDER BY 1, 2");
    for row in text_rows(client, &sql).context(|| format!("reading {table}"))? {
        let cell = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        match (cell(0).parse(), cell(1).parse()) {
            (Ok(version), Ok(statement)) => out.entry(version).or_default().push((statement, cell(2))),
            _ => return Err(Error::database(format!("{table} holds a row without a version or statement: delete it"))),
        }
    }
    Ok(out)
}

/// Runs the statements of `l` not committed by an earlier run, recording each as it commits.
/// Refused if a statement an earlier run committed has changed since.
pub fn run(client: &mut Client, namespace: &str, l: &Local) -> Result<()> {
    let done = recorded(client, namespace)?.remove(&l.file.version).unwrap_or_default();
    let changed = done
        .iter()
        .enumerate()
        .find(|&(i, (n, sum))| *n != i + 1 || l.statements.get(i).is_none_or(|s| checksum(s) != *sum));
    if let Some((i, _)) = changed {
        let mut committed = listed(l, i);
        committed.extend((i..done.len()).map(|n| format!("statement {} (changed since it ran)", n + 1)));
        return Err(Error::Migrate {
            migration: l.label(),
            message: format!(
                "{}: statement {} was committed by an earlier run and has changed since: restore it as it ran (it cannot run differently now), or repair the database by hand and delete version {}'s rows from {} to run the migration from the top",
                l.file.path.display(),
                i + 1,
                l.file.version,
                table(namespace)
            ),
            committed,
        });
    }
    if !table_exists(client, namespace, PROGRESS_TABLE)? {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (version BIGINT NOT NULL, statement INTEGER NOT NULL, checksum VARCHAR(64) NOT NULL, PRIMARY KEY (version, statement))",
            table(namespace)
        );
        client.batch_execute(&sql).context(|| format!("creating {}", table(namespace)))?;
    }
    let total = l.statements.len();
    for (i, statement) in l.statements.iter().enumerate().skip(done.len()) {
        if let Err(e) = client.batch_execute(statement) {
            let kept = if i == 0 {
                "nothing of it was kept".to_string()
            } else {
                format!(
                    "it runs outside a transaction, so {} committed and stay{} applied: fix statement {} and run migrate again, which resumes there",
                    range(i),
                    if i == 1 { "s" } else { "" },
                    i + 1
                )
            };
            return Err(Error::Migrate {
                migration: l.label(),
                message: format!(
                    "{} failed at statement {} of {total}: {}; {kept}",
                    l.file.path.display(),
                    i + 1,
                    describe(&e)
                ),
                committed: listed(l, i),
            });
        }
        let record = format!(
            "INSERT INTO {} (version, statement, checksum) VALUES ({}, {}, '{}')",
            table(namespace),
            l.file.version,
            i + 1,
            checksum(statement)
        );
        client.batch_execute(&record).map_err(|e| Error::Migrate {
            migration: l.label(),
            message: format!(
                "{}: statement {} of {total} was committed but recording it failed: {}; a rerun would run it again",
                l.file.path.display(),
                i + 1,
                describe(&e)
            ),
            committed: listed(l, i + 1),
        })?;
    }
    Ok(())
}

/// Forgets the progress of a migration once its history row is written.
pub fn clear(client: &mut Client, namespace: &str, version: i64) -> Result<()> {
    if table_exists(client, namespace, PROGRESS_TABLE)? {
        let sql = format!("DELETE FROM {} WHERE version = {version}", table(namespace));
        client.batch_execute(&sql).context(|| format!("clearing {}", table(namespace)))?;
    }
    Ok(())
}

/// `statement 1 was` or `statements 1-3 were`.
pub fn range(n: usize) -> String {
    if n == 1 {
        "statement 1 was".into()
    } else {
        format!("statements 1-{n} were")
    }
}

/// The first `n` statements, one short line each.
fn listed(l: &Local, n: usize) -> Vec<String> {
    l.statements.iter().take(n).enumerate().map(|(i, s)| format!("statement {}: {}", i + 1, summary(s))).collect()
}

fn summary(statement: &str) -> String {
    let line = code(statement).lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(100) {
        Some((cut, _)) => format!("{} ...", &line[..cut]),
        None => line.to_string(),
    }
}

/// Of the statement without its leading comments, which may change without changing what ran.
fn checksum(statement: &str) -> String {
    format!("{:x}", Sha256::digest(code(statement).as_bytes()))
}

fn table(namespace: &str) -> String {
    format!("{}.{PROGRESS_TABLE}", ident(namespace))
}
