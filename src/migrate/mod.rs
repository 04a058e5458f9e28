//! Applying migrations with refinery, closing its gaps: a lock held for the whole run (refinery
//! takes none), each migration committed together with its history row (refinery's default
//! mode uses two transactions), migrations marked non-transactional run statement by statement
//! with their progress recorded (`notx`), a history refinery would panic on reported instead
//! (`history`), migrations added below applied ones named (and applied on request), and
//! status/baseline.

mod history;
mod notx;
pub mod output;
pub mod script;
mod status;

pub use status::{status, Entry, State, Status};

use crate::db::Target;
use crate::dialect::driver;
use crate::error::{describe, Context, Error, Result};
use crate::layout::{Layout, HISTORY_TABLE as HISTORY};
use crate::migrations::{self, MigrationFile, NO_TRANSACTION};
use crate::model::Dialect;
use crate::sql::lexer;
use crate::sql::{ident, transaction_control};
use postgres::Client;
use refinery::{Migration, Runner, Target as RunTarget};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A migration file read from disk, with refinery's view of it.
pub struct Local {
    pub file: MigrationFile,
    pub migration: Migration,
    pub no_transaction: bool,
    pub statements: Vec<String>,
}

impl Local {
    fn label(&self) -> String {
        format!("V{}__{}", self.file.version, self.file.name)
    }
}

/// The migrations of one dialect, line endings normalised so checksums do not depend on the
/// checkout (refinery hashes the raw text). A migration that controls transactions itself is
/// refused here, before anything runs: its COMMIT would end the transaction that keeps it and
/// its history row together.
pub fn local_migrations(layout: &Layout, dialect: Dialect) -> Result<Vec<Local>> {
    migrations::scan(layout, dialect)?
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file.path).context(|| format!("reading {}", file.path.display()))?;
            let sql = text.replace("\r\n", "\n");
            let stem = format!("V{}__{}", file.version, file.name);
            let migration = Migration::unapplied(&stem, &sql).context(|| format!("{}", file.path.display()))?;
            let escapes = driver(dialect).escapes();
            let statements: Vec<String> =
                lexer::split_statements(&sql, escapes).into_iter().map(str::to_string).collect();
            if let Some((i, s)) = statements.iter().enumerate().find(|(_, s)| transaction_control(s, escapes)) {
                return Err(Error::new(format!(
                    "{}: statement {} (`{}`) is transaction control, which a migration may not contain: each runs in a transaction of its own, or statement by statement when its first line is `{NO_TRANSACTION}`",
                    file.path.display(),
                    i + 1,
                    code(s).lines().next().unwrap_or_default().trim(),
                )));
            }
            Ok(Local { no_transaction: sql.starts_with(NO_TRANSACTION), file, migration, statements })
        })
        .collect()
}

/// The statement from its first token on: leading comments skipped (they read the same whatever
/// a literal's escapes).
fn code(statement: &str) -> &str {
    lexer::significant(statement, lexer::Escapes::Standard).next().map_or("", |t| &statement[t.start..])
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
    /// Apply pending migrations below the highest applied one (Flyway's outOfOrder).
    pub allow_out_of_order: bool,
}

/// Applies (or, dry-run, lists) the pending migrations up to the target under the lock.
/// Returns the migrations applied. Divergent, renamed, missing or unreadable migrations, and
/// ones added below an applied one unless allowed, refuse the run.
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
    let status = status::compare(layout, &local, &mut client, namespace)?;
    let wanted = |e: &&Entry| e.state == State::Pending && options.target.is_none_or(|t| e.version <= t);
    let mut problems = status.problems();
    if !options.allow_out_of_order {
        problems
            .extend(status.entries.iter().filter(wanted).filter(|e| e.added_below.is_some()).filter_map(Entry::note));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let pending: Vec<&Local> = status
        .entries
        .iter()
        .filter(wanted)
        .filter_map(|e| local.iter().find(|l| l.file.version == e.version))
        .collect();
    if options.dry_run {
        pending.iter().for_each(|l| report(Event::Applying(l)));
        return Ok(Ok(pending.iter().map(|l| l.file.version).collect()));
    }
    if !pending.is_empty() {
        history::ensure_schema(&mut client, namespace)?;
    }
    // What refinery checks the history against: the applied migrations (all present, as the
    // problems above would have refused the run otherwise).
    let mut applied: Vec<Migration> = status
        .entries
        .iter()
        .filter(|e| e.state == State::Applied)
        .filter_map(|e| local.iter().find(|l| l.file.version == e.version).map(|l| l.migration.clone()))
        .collect();
    let history = format!("{}.{HISTORY}", ident(namespace));
    let mut done = Vec::new();
    for l in pending {
        let version = l.file.version;
        report(Event::Applying(l));
        let started = Instant::now();
        if l.no_transaction && !options.fake {
            notx::run(&mut client, namespace, l)?;
        }
        let record_only = options.fake || l.no_transaction;
        let run_target = if record_only { RunTarget::FakeVersion(version) } else { RunTarget::Version(version) };
        let mut migrations = applied.clone();
        migrations.push(out_of_order(l, &applied));
        let mut runner = Runner::new(&migrations).set_grouped(true).set_target(run_target);
        runner.set_migration_table_name(&history);
        runner.run(&mut client).map_err(|e| failure(l, options, &e))?;
        if l.no_transaction {
            notx::clear(&mut client, namespace, version)?;
        }
        applied.push(l.migration.clone());
        report(Event::Applied(l, started.elapsed()));
        done.push(version);
    }
    Ok(Ok(done))
}

/// refinery refuses a versioned migration below the highest applied one, but applies an
/// unversioned (`U`) one whatever its number. Name, version and SQL, hence checksum and
/// history row, are the same.
fn out_of_order(l: &Local, applied: &[Migration]) -> Migration {
    let below = applied.iter().any(|m| m.version() > l.file.version);
    let sql = l.migration.sql().unwrap_or_default();
    match Migration::unapplied(&format!("U{}__{}", l.file.version, l.file.name), sql) {
        Ok(unversioned) if below => unversioned,
        _ => l.migration.clone(),
    }
}

fn failure(l: &Local, options: &Options, e: &(dyn std::error::Error + 'static)) -> Error {
    let kept = if l.no_transaction && !options.fake {
        "its statements all ran and stay applied; a rerun records it without running them again"
    } else {
        "nothing of it was kept"
    };
    Error::Migrate {
        migration: l.label(),
        message: format!("{} failed: {}; {kept}", l.file.path.display(), describe(e)),
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
