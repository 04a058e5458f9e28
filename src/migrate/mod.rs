//! Applying migrations with refinery, closing its gaps: a lock held for the whole run (refinery
//! takes none), each migration committed together with its history row (refinery's default
//! mode uses two transactions), migrations marked non-transactional run statement by statement
//! (Redshift refuses e.g. ALTER COLUMN TYPE in a transaction block), and status/baseline.

pub mod output;

use crate::db::Target;
use crate::dialect::driver;
use crate::error::{describe, Context, Error, Result};
use crate::layout::{Layout, HISTORY_TABLE as HISTORY};
use crate::migrations::{self, MigrationFile, NO_TRANSACTION};
use crate::model::Dialect;
use crate::render::ident;
use postgres::Client;
use refinery::{Migration, Runner, Target as RunTarget};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A migration file read from disk, with refinery's view of it.
pub struct Local {
    pub file: MigrationFile,
    pub migration: Migration,
    pub no_transaction: bool,
}

/// The migrations of one dialect, line endings normalised so checksums do not depend on the
/// checkout (refinery hashes the raw text).
pub fn local_migrations(layout: &Layout, dialect: Dialect) -> Result<Vec<Local>> {
    migrations::scan(layout, dialect)?
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file.path).context(|| format!("reading {}", file.path.display()))?;
            let sql = text.replace("\r\n", "\n");
            let stem = format!("V{}__{}", file.version, file.name);
            let migration = Migration::unapplied(&stem, &sql).context(|| format!("{}", file.path.display()))?;
            Ok(Local { no_transaction: sql.starts_with(NO_TRANSACTION), file, migration })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Applied,
    Pending,
    Divergent,
    Missing,
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
}

impl Entry {
    /// The problem line `status` prints and `migrate` refuses with.
    pub fn problem(&self) -> Option<String> {
        let file = self.file.as_deref().unwrap_or("?");
        match self.state {
            State::Divergent => Some(format!(
                "V{}__{}: {file} changed after it was applied (checksum in the database {}, on disk {})",
                self.version,
                self.name,
                self.checksum_database.as_deref().unwrap_or("?"),
                self.checksum_file.as_deref().unwrap_or("?"),
            )),
            State::Missing => Some(format!(
                "V{}__{}: applied to the database but its file is missing from migrations/",
                self.version, self.name
            )),
            _ => None,
        }
    }
}

/// Applied rows of the history table (none if it does not exist yet), read without creating
/// anything so `status` and `--dry-run` change nothing.
fn applied(client: &mut Client, namespace: &str) -> Result<BTreeMap<i64, (String, String, String)>> {
    let exists = client
        .query_one(
            "SELECT COUNT(*)::INTEGER FROM pg_catalog.pg_tables WHERE schemaname = $1::VARCHAR AND tablename = $2::VARCHAR",
            &[&namespace, &HISTORY],
        )
        .context(|| "reading the migration history".into())?;
    if exists.get::<_, i32>(0) == 0 {
        return Ok(BTreeMap::new());
    }
    let sql =
        format!("SELECT version, name, applied_on, checksum FROM {}.{HISTORY} ORDER BY version", ident(namespace));
    let rows = client.query(&sql, &[]).context(|| "reading the migration history".into())?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, i64>(0), (r.get::<_, String>(1), r.get::<_, String>(2), r.get::<_, String>(3))))
        .collect())
}

pub fn status(layout: &Layout, client: &mut Client, namespace: &str, dialect: Dialect) -> Result<Vec<Entry>> {
    let local = local_migrations(layout, dialect)?;
    let mut db = applied(client, namespace)?;
    let mut entries = Vec::new();
    for l in &local {
        let version = l.file.version;
        let checksum = l.migration.checksum().to_string();
        let file = Some(l.file.path.strip_prefix(&layout.root).unwrap_or(&l.file.path).display().to_string());
        let (state, applied_on, checksum_database) = match db.remove(&version) {
            None => (State::Pending, None, None),
            Some((name, on, sum)) if sum == checksum && name == l.file.name => (State::Applied, Some(on), Some(sum)),
            Some((_, on, sum)) => (State::Divergent, Some(on), Some(sum)),
        };
        entries.push(Entry {
            version,
            name: l.file.name.clone(),
            state,
            file,
            applied_on,
            checksum_file: Some(checksum),
            checksum_database,
        });
    }
    for (version, (name, on, sum)) in db {
        entries.push(Entry {
            version,
            name,
            state: State::Missing,
            file: None,
            applied_on: Some(on),
            checksum_file: None,
            checksum_database: Some(sum),
        });
    }
    entries.sort_by_key(|e| e.version);
    Ok(entries)
}

/// What `migrate` reports as it goes.
pub enum Event<'a> {
    Applying(&'a Local),
    Applied(&'a Local, Duration),
}

pub struct Options {
    pub target: Option<i64>,
    pub dry_run: bool,
    /// Record without running (baseline).
    pub fake: bool,
}

/// Applies (or, dry-run, lists) the pending migrations up to the target under the lock.
/// Returns the migrations applied. Divergent or missing migrations refuse the run.
pub fn migrate(
    layout: &Layout,
    target: &Target,
    namespace: &str,
    options: &Options,
    mut report: impl FnMut(Event),
) -> Result<std::result::Result<Vec<i64>, Vec<String>>> {
    let dialect = target.dialect();
    let local = local_migrations(layout, dialect)?;
    if let Some(v) = options.target {
        if !local.iter().any(|l| l.file.version == v) {
            return Err(Error::new(format!("--target {v}: there is no migration V{v} in migrations/{dialect}")));
        }
    }
    let mut client = target.connect()?;
    let _lock = if options.dry_run { None } else { Some(lock(target, namespace)?) };
    let entries = status(layout, &mut client, namespace, dialect)?;
    let problems: Vec<String> = entries.iter().filter_map(Entry::problem).collect();
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let wanted = |v: i64| options.target.is_none_or(|t| v <= t);
    let pending: Vec<&Local> = entries
        .iter()
        .filter(|e| e.state == State::Pending && wanted(e.version))
        .filter_map(|e| local.iter().find(|l| l.file.version == e.version))
        .collect();
    if options.dry_run {
        pending.iter().for_each(|l| report(Event::Applying(l)));
        return Ok(Ok(pending.iter().map(|l| l.file.version).collect()));
    }
    if !pending.is_empty() {
        let sql = format!("CREATE SCHEMA IF NOT EXISTS {}", ident(namespace));
        client.batch_execute(&sql).context(|| format!("creating schema {namespace}"))?;
    }
    let all: Vec<Migration> = local.iter().map(|l| l.migration.clone()).collect();
    let history = format!("{}.{HISTORY}", ident(namespace));
    let mut done = Vec::new();
    for l in pending {
        let version = l.file.version;
        report(Event::Applying(l));
        let started = Instant::now();
        let upto: Vec<Migration> = all.iter().filter(|m| m.version() <= version).cloned().collect();
        let record_only = options.fake || l.no_transaction;
        if l.no_transaction && !options.fake {
            let escapes = driver(dialect).escapes();
            for statement in crate::sql::lexer::split_statements(l.migration.sql().unwrap_or_default(), escapes) {
                client.batch_execute(statement).map_err(|e| failure(l, &e))?;
            }
        }
        let run_target = if record_only { RunTarget::FakeVersion(version) } else { RunTarget::Version(version) };
        let mut runner = Runner::new(&upto).set_grouped(true).set_target(run_target);
        runner.set_migration_table_name(&history);
        runner.run(&mut client).map_err(|e| failure(l, &e))?;
        report(Event::Applied(l, started.elapsed()));
        done.push(version);
    }
    Ok(Ok(done))
}

fn failure(l: &Local, e: &(dyn std::error::Error + 'static)) -> Error {
    Error::Migrate {
        migration: format!("V{}__{}", l.file.version, l.file.name),
        message: format!("{} failed: {}; nothing of it was kept", l.file.path.display(), describe(e)),
        committed: vec![],
    }
}

/// The run's mutual exclusion, held by its own connection until dropped.
struct Lock {
    _client: Client,
}

fn lock(target: &Target, namespace: &str) -> Result<Lock> {
    let mut client = target.connect()?;
    let d = driver(target.dialect());
    if let Some(setup) = d.lock_setup(namespace) {
        if client.batch_execute(&setup).is_err() {
            // Two first runs may race on CREATE ... IF NOT EXISTS; the loser retries once.
            client.batch_execute(&setup).context(|| "creating the lock table".into())?;
        }
    }
    let statements = d.lock_statements(namespace);
    // Say so when the lock is not granted at once; the timer stays silent otherwise.
    let (granted, wait) = mpsc::channel::<()>();
    let who = target.redacted();
    let timer = std::thread::spawn(move || {
        if wait.recv_timeout(Duration::from_millis(300)).is_err() {
            eprintln!("waiting for another `schema migrate` on {who} to finish ...");
        }
    });
    let result = statements.iter().try_for_each(|s| client.batch_execute(s));
    let _ = granted.send(());
    let _ = timer.join();
    result.context(|| "taking the migration lock".into())?;
    Ok(Lock { _client: client })
}
