//! `schema validate`: the checks of the enabled phases become one query per table and window
//! (every check of the table that shares the window, fused into one scan; a unique check needs a
//! GROUP BY and is a query of its own), run concurrently over tables with one connection per
//! worker, each query under a statement timeout.

mod outcome;
pub mod output;
mod record;
mod select;
mod volume;

pub use record::{record, store_failures};

use outcome::{freshness, outcome};
use select::{checks_of, since_column, since_day};

use crate::calendar;
use crate::db::{self, Target};
use crate::error::{describe, Error, Result};
use crate::model::{Check, CheckKind, Dialect, Project, Severity, Table, Window};
use crate::render::Renderer;
use crate::suggest::unknown;
use postgres::error::SqlState;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Options {
    pub tables: Vec<String>,
    pub checks: Vec<String>,
    /// Only rows from this day on (`YYYY-MM-DD`, `3d`, `yesterday`, `today`), for tables with
    /// a date sort key.
    pub since: Option<String>,
    /// Only rows matching this SQL condition (a load batch, say), on every table checked.
    pub filter: Option<String>,
    /// Keys of failing rows to show per failing check.
    pub samples: usize,
    /// Keys of failing rows to keep per failing check for `store_failures` (0: none).
    pub store_failures: usize,
}

/// The rows `--since` keeps: `column` from `date` on; a NULL `column` is placed by `source`.
#[derive(Debug, Clone, Serialize)]
struct Since {
    column: String,
    source: Option<String>,
    date: String,
}

/// How a query answers its checks.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// Row-level checks fused into one scan.
    Scan,
    /// One unique check: a GROUP BY of its own.
    Unique,
    /// The relationship checks of one table and window: one scan with a join per parent.
    Relationships,
}

/// Checks answered by one query.
struct Query {
    checks: Vec<Check>,
    window: Option<Window>,
    shape: Shape,
}

struct TableRun<'a> {
    table: &'a Table,
    since: Option<Since>,
    queries: Vec<Query>,
}

/// The selected checks, grouped into queries; ready to run.
pub struct Plan<'a> {
    renderer: Renderer,
    tables: Vec<TableRun<'a>>,
    since: Option<String>,
    /// `--where`, parsed as one expression, applied to every query.
    filter: Vec<String>,
    samples: usize,
    /// Keys fetched per failing check: the larger of --samples and --store-failures.
    keys: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// An error-severity check failed.
    Fail,
    /// A warn-severity check failed.
    Warn,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub table: String,
    pub check: String,
    pub kind: &'static str,
    pub severity: Severity,
    pub window: Option<Window>,
    pub failing_rows: u64,
    pub rows_checked: u64,
    /// failing_rows / rows_checked (0 for an empty table).
    pub ratio: f64,
    /// For ratio checks: the share above which the check fails.
    pub max_ratio: Option<f64>,
    pub status: Status,
    pub samples: Vec<String>,
    /// The keys fetched for `--store-failures` (samples are the first of them).
    #[serde(skip)]
    pub failing_keys: Vec<String>,
    /// Volume checks: the median rows of the earlier runs compared with (None: no history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_rows: Option<f64>,
    /// Freshness checks: seconds since the newest value (None: the table is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<f64>,
    /// Wall time of the query that computed this check (shared by its fused siblings).
    pub seconds: f64,
}

/// A check that could not run, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub table: String,
    pub check: String,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub run_at: String,
    pub since: Option<String>,
    /// Tables `--since` could not narrow (no date or timestamp sort key): checked whole.
    pub since_ignored: Vec<String>,
    pub seconds: f64,
    pub results: Vec<CheckResult>,
    pub problems: Vec<Problem>,
    /// Whether `--where` narrowed the run: its volumes are not recorded as history.
    #[serde(skip)]
    pub filtered: bool,
}

impl Report {
    /// 2 if a check could not run, 1 if an error-severity check failed, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.problems.is_empty() {
            2
        } else if self.results.iter().any(|r| r.status == Status::Fail) {
            1
        } else {
            0
        }
    }
}

/// Most failing keys `--samples` fetches per check: a screenful of examples, and a LIMIT every
/// server takes (PostgreSQL refuses one beyond bigint).
pub const MAX_SAMPLES: usize = 1000;

/// Selects the checks of the enabled phases named by the options and groups them into queries.
pub fn plan<'a>(project: &'a Project, dialect: Dialect, options: &Options) -> Result<Plan<'a>> {
    for (flag, n) in [("--samples", options.samples), ("--store-failures", options.store_failures)] {
        if n > MAX_SAMPLES {
            return Err(Error::new(format!("{flag} {n}: at most {MAX_SAMPLES} keys per check")));
        }
    }
    let since = options.since.as_deref().map(since_day).transpose()?;
    let grammars = crate::dialect::driver(dialect).grammars();
    let filter = match &options.filter {
        Some(text) => match crate::sql::expr::expression(text, grammars, crate::sql::expr::Role::Condition) {
            Ok(_) => vec![format!("({text})")],
            Err(e) => return Err(Error::new(format!("--where `{text}`: {e}"))),
        },
        None => vec![],
    };
    let enforced = crate::dialect::driver(dialect).enforces_keys();
    let tables = project.enabled_tables(&options.tables).map_err(Error::new)?;
    let all: Vec<(&Table, Vec<Check>)> = tables.iter().map(|t| (*t, checks_of(project, t, enforced))).collect();
    for name in &options.checks {
        if !all.iter().any(|(_, checks)| checks.iter().any(|c| &c.name == name)) {
            let names = all.iter().flat_map(|(_, checks)| checks.iter().map(|c| c.name.as_str()));
            return Err(Error::new(unknown("check", name, names) + " on the selected tables"));
        }
    }
    let mut runs = Vec::new();
    for (table, checks) in all {
        let wanted = |c: &Check| options.checks.is_empty() || options.checks.contains(&c.name);
        let shape_of = |c: &Check| match c.kind {
            CheckKind::Unique { .. } => Shape::Unique,
            CheckKind::Relationship { .. } => Shape::Relationships,
            _ => Shape::Scan,
        };
        // The table is scanned whole anyway when one row-level check has no window: windowed
        // checks then count inside that scan. Only when all have windows do they run as
        // WHERE-narrowed queries, one per window, which a sort key (Redshift) or an index can prune.
        let whole = checks.iter().filter(|c| wanted(c)).any(|c| shape_of(c) == Shape::Scan && c.window.is_none());
        let mut queries: Vec<Query> = Vec::new();
        for check in checks.into_iter().filter(wanted) {
            let shape = shape_of(&check);
            let window = if whole && shape == Shape::Scan { None } else { check.window.clone() };
            match queries.iter_mut().find(|q| shape != Shape::Unique && q.shape == shape && q.window == window) {
                Some(q) => q.checks.push(check),
                None => queries.push(Query { checks: vec![check], window, shape }),
            }
        }
        if !queries.is_empty() {
            let since = since.as_ref().and_then(|date| since_column(table, date));
            runs.push(TableRun { table, since, queries });
        }
    }
    let renderer = Renderer::new(dialect, &project.namespace);
    let keys = options.samples.max(options.store_failures);
    Ok(Plan { renderer, tables: runs, since, filter, samples: options.samples, keys })
}

impl Plan<'_> {
    fn sql(&self, run: &TableRun, query: &Query, checks: &[&Check], explain: bool) -> Result<String> {
        let template = match query.shape {
            Shape::Scan => "validate",
            Shape::Unique => "validate_unique",
            Shape::Relationships => "validate_relationships",
        };
        let ctx = minijinja::context! {
            table => &run.table.name,
            checks => checks,
            check => checks[0],
            window => &query.window,
            since => &run.since,
            extra => &self.filter,
            explain => explain,
        };
        self.renderer.query(template, ctx)
    }

    fn samples_sql(&self, run: &TableRun, check: &Check) -> Result<String> {
        let keys = match run.table.primary_key.as_slice() {
            [] => vec![run.table.columns[0].name.clone()],
            pk => pk.to_vec(),
        };
        let ctx = minijinja::context! {
            table => &run.table.name, check => check, keys => keys, since => &run.since, extra => &self.filter,
            limit => self.keys,
        };
        self.renderer.query("validate_samples", ctx)
    }

    /// Every query a run can send, for `--sql`: the check queries, and with samples the
    /// queries that fetch them (sent only for failed checks).
    pub fn queries(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for run in &self.tables {
            for q in &run.queries {
                out.push(self.sql(run, q, &q.checks.iter().collect::<Vec<_>>(), false)?);
            }
            if self.keys > 0 {
                // Freshness and volume count no rows of their own: a run fetches no keys for them.
                let sampled = |c: &&Check| !matches!(c.kind, CheckKind::Freshness { .. } | CheckKind::Volume { .. });
                for check in run.queries.iter().flat_map(|q| &q.checks).filter(sampled) {
                    out.push(self.samples_sql(run, check)?);
                }
            }
        }
        Ok(out)
    }

    /// Runs the plan on `jobs` connections, each taking the next table when it is done.
    pub fn run(&self, target: &Target, jobs: usize, timeout: Duration) -> Result<Report> {
        let started = Instant::now();
        let run_at = calendar::iso_timestamp(calendar::now_ms());
        // A --where run checks part of what loads bring: its counts compare with nothing recorded.
        let history = if self.filter.is_empty() { volume::history(self, target)? } else { Default::default() };
        let next = AtomicUsize::new(0);
        let collected = Mutex::new((Vec::new(), Vec::new()));
        let fatal = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..jobs.clamp(1, self.tables.len().max(1)) {
                s.spawn(|| {
                    let mut client = None;
                    while fatal.lock().unwrap().is_none() {
                        let Some(run) = self.tables.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                        let client = match &mut client {
                            Some(c) => c,
                            None => match connect(target, timeout) {
                                Ok(c) => client.insert(c),
                                Err(e) => {
                                    *fatal.lock().unwrap() = Some(e);
                                    break;
                                }
                            },
                        };
                        let (results, problems) = self.check_table(client, run, &history, timeout);
                        let mut all = collected.lock().unwrap();
                        all.0.extend(results);
                        all.1.extend(problems);
                    }
                });
            }
        });
        if let Some(e) = fatal.into_inner().unwrap() {
            return Err(e);
        }
        let (mut results, mut problems) = collected.into_inner().unwrap();
        let position = |table: &str, check: &str| {
            let t = self.tables.iter().find(|r| r.table.name == table);
            t.and_then(|r| r.queries.iter().flat_map(|q| &q.checks).position(|c| c.name == check))
        };
        results.sort_by_key(|r: &CheckResult| (r.table.clone(), position(&r.table, &r.check)));
        problems.sort_by_key(|p: &Problem| (p.table.clone(), position(&p.table, &p.check)));
        let since_ignored = match self.since {
            Some(_) => self.tables.iter().filter(|r| r.since.is_none()).map(|r| r.table.name.clone()).collect(),
            None => vec![],
        };
        Ok(Report {
            run_at,
            since: self.since.clone(),
            since_ignored,
            seconds: started.elapsed().as_secs_f64(),
            results,
            problems,
            filtered: !self.filter.is_empty(),
        })
    }

    fn check_table(
        &self,
        client: &mut postgres::Client,
        run: &TableRun,
        history: &volume::History,
        timeout: Duration,
    ) -> (Vec<CheckResult>, Vec<Problem>) {
        let (mut results, mut problems) = (Vec::new(), Vec::new());
        let problem = |check: &Check, message: String| Problem {
            table: run.table.name.clone(),
            check: check.name.clone(),
            severity: check.severity,
            message,
        };
        for q in &run.queries {
            let mut checks: Vec<&Check> = q.checks.iter().collect();
            // Each failure removes the checks the database rejects; the others are run again.
            while !checks.is_empty() {
                let started = Instant::now();
                let counts = match self.sql(run, q, &checks, false) {
                    Ok(sql) => db::read_only_rows(client, &sql),
                    Err(e) => {
                        problems.extend(checks.iter().map(|c| problem(c, e.to_string())));
                        break;
                    }
                };
                let counts = match counts {
                    Ok(rows) => rows.into_iter().next().unwrap_or_default(),
                    Err(e) => {
                        let why = self.diagnose(client, run, q, &checks, &e, timeout);
                        let (bad, good): (Vec<_>, Vec<_>) = checks.into_iter().zip(why).partition(|(_, m)| m.is_some());
                        problems.extend(bad.into_iter().map(|(c, m)| problem(c, m.unwrap_or_default())));
                        checks = good.into_iter().map(|(c, _)| c).collect();
                        continue;
                    }
                };
                let seconds = started.elapsed().as_secs_f64();
                let count =
                    |i: usize| counts.get(i).cloned().flatten().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                // Columns: rows, then per check its failing rows, followed by the rows of its
                // window when that is counted inside a whole-table scan.
                let mut column = 0;
                for check in &checks {
                    column += 1;
                    if let CheckKind::Freshness { .. } = check.kind {
                        let age = counts.get(column).cloned().flatten().and_then(|v| v.parse::<f64>().ok());
                        results.push(freshness(&run.table.name, check, age, count(0), seconds));
                        continue;
                    }
                    let failing = count(column);
                    let rows = if inner_window(check, q) {
                        column += 1;
                        count(column)
                    } else {
                        count(0)
                    };
                    if let CheckKind::Volume { .. } = check.kind {
                        // Its column counts every row of its window: that is the volume.
                        let counted = outcome(&run.table.name, check, 0, failing, seconds);
                        let past = history.get(&(run.table.name.clone(), check.name.clone()));
                        results.push(volume::outcome(counted, check, past));
                        continue;
                    }
                    let mut result = outcome(&run.table.name, check, failing, rows, seconds);
                    if result.status != Status::Pass && self.keys > 0 {
                        let rows = self.samples_sql(run, check).and_then(|sql| {
                            db::read_only_rows(client, &sql).map_err(|e| Error::new(failure(&e, timeout)))
                        });
                        match rows {
                            Ok(rows) => {
                                result.failing_keys = rows.iter().map(|r| sample(run, check, r)).collect();
                                result.samples = result.failing_keys.iter().take(self.samples).cloned().collect();
                            }
                            Err(e) => problems.push(problem(check, format!("fetching samples: {e}"))),
                        }
                    }
                    results.push(result);
                }
                break;
            }
        }
        (results, problems)
    }

    /// Why a query of `checks` failed, per check: the message of each check the database
    /// rejects when it is planned alone (EXPLAIN: nothing is scanned), so a missing column is
    /// blamed on the checks that use it, and None for the others. When no single check is at
    /// fault (a timeout, a missing table), every check gets the query's error.
    fn diagnose(
        &self,
        client: &mut postgres::Client,
        run: &TableRun,
        q: &Query,
        checks: &[&Check],
        e: &postgres::Error,
        timeout: Duration,
    ) -> Vec<Option<String>> {
        let whole = vec![Some(failure(e, timeout)); checks.len()];
        if e.code() == Some(&SqlState::QUERY_CANCELED) || checks.len() == 1 {
            return whole;
        }
        let alone: Vec<Option<String>> = checks
            .iter()
            .map(|check| {
                let sql = self.sql(run, q, &[check], true).ok()?;
                db::read_only_rows(client, &sql).err().map(|e| describe(&e))
            })
            .collect();
        if alone.iter().all(Option::is_none) {
            return whole;
        }
        alone
    }
}

/// A check whose window is applied inside its query's whole-table scan.
fn inner_window(check: &Check, query: &Query) -> bool {
    check.window.is_some() && query.window.is_none() && query.shape == Shape::Scan
}

fn connect(target: &Target, timeout: Duration) -> Result<postgres::Client> {
    let mut client = target.connect()?;
    if !timeout.is_zero() {
        // The same spelling works on PostgreSQL and Redshift.
        let sql = format!("SET statement_timeout TO {}", timeout.as_millis());
        client
            .batch_execute(&sql)
            .map_err(|e| Error::new(format!("setting the statement timeout: {}", describe(&e))))?;
    }
    Ok(client)
}

/// The server's message, or a clear one for a query the statement timeout cancelled.
fn failure(e: &postgres::Error, timeout: Duration) -> String {
    if e.code() == Some(&SqlState::QUERY_CANCELED) {
        format!("the query was cancelled after the statement timeout of {} s (--timeout)", timeout.as_secs_f64())
    } else {
        describe(e)
    }
}

/// One sample row as `col=value, ...` (a unique check's row ends with its duplicate count).
fn sample(run: &TableRun, check: &Check, row: &[Option<String>]) -> String {
    let names: Vec<&str> = match &check.kind {
        CheckKind::Unique { columns, .. } => columns.iter().map(String::as_str).chain(["rows"]).collect(),
        _ if run.table.primary_key.is_empty() => vec![run.table.columns[0].name.as_str()],
        _ => run.table.primary_key.iter().map(String::as_str).collect(),
    };
    names.iter().zip(row).map(|(n, v)| format!("{n}={}", v.as_deref().unwrap_or("NULL"))).collect::<Vec<_>>().join(", ")
}
