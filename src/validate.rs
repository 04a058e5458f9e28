//! `schema validate`: the checks of the enabled phases become one query per table and window
//! (every check of the table that shares the window, fused into one scan; a unique check needs a
//! GROUP BY and is a query of its own), run concurrently over tables with one connection per
//! worker, each query under a statement timeout. A failed check's rows are listed with what
//! makes them fail (`samples.rs`); key checks under `key_checks: auto` are settled against what
//! the server enforces (`keys.rs`).

mod keys;
mod outcome;
pub mod output;
mod record;
mod run;
mod samples;
mod select;
mod volume;

pub use keys::LeftToServer;
pub use record::{record, store_failures};
pub use samples::{Fields, Sample};

use samples::{listing, Listing, Purpose};
use select::{checks_of, since_column, since_day};

use crate::dialect::Driver;
use crate::error::{Error, Result};
use crate::model::{Check, CheckKind, Dialect, KeyChecks, Project, Severity, Table, Window};
use crate::render::Renderer;
use crate::suggest::unknown;
use serde::Serialize;

pub struct Options {
    pub tables: Vec<String>,
    pub checks: Vec<String>,
    /// Only rows from this day on (`YYYY-MM-DD`, `3d`, `yesterday`, `today`), for tables with
    /// a date sort key.
    pub since: Option<String>,
    /// Only rows matching this SQL condition (a load batch, say), on every table checked.
    pub filter: Option<String>,
    /// Failing rows to show per failing check.
    pub samples: usize,
    /// Failing rows to keep per failing check for `store_failures` (0: none).
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
    /// The table's `key_checks`, and the names of its key checks.
    key_mode: KeyChecks,
    key_checks: Vec<String>,
}

/// The selected checks, grouped into queries; ready to run.
pub struct Plan<'a> {
    renderer: Renderer,
    dialect: Dialect,
    /// The project's namespace first, then the others it manages.
    namespaces: Vec<String>,
    tables: Vec<TableRun<'a>>,
    since: Option<String>,
    /// `--where`, parsed as one expression, applied to every query.
    filter: Vec<String>,
    /// Failing rows fetched per failing check to show, and to keep (`--store-failures`).
    samples: usize,
    store: usize,
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
    pub samples: Vec<Sample>,
    /// The failing rows fetched for `--store-failures`.
    #[serde(skip)]
    pub kept: Vec<Sample>,
    /// A failed check: the query that lists every failing row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_query: Option<String>,
    /// A key check: why it runs (`key_checks: always`, or what the server does not enforce).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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
    /// Key checks (`key_checks: auto`) not run: the server enforces the key for every row.
    pub left_to_database: Vec<LeftToServer>,
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

/// A query `--sql` prints, and what it answers.
#[derive(Debug, Serialize)]
pub struct Printed {
    pub table: String,
    pub checks: Vec<String>,
    /// `count`: the failing rows of its checks; `rows`: lists the failing rows of its check.
    pub lists: &'static str,
    /// Key checks under `key_checks: auto`: sent only where the server does not enforce the key.
    pub unless_enforced: bool,
    pub sql: String,
}

/// Most failing rows `--samples` and `--store-failures` fetch per check: a screenful of
/// examples, and a LIMIT every server takes (PostgreSQL refuses one beyond bigint).
pub const MAX_SAMPLES: usize = 1000;

/// Selects the checks of the enabled phases named by the options and groups them into queries.
/// Key checks under `key_checks: auto` are all planned; a run leaves those the server enforces.
pub fn plan<'a>(project: &'a Project, dialect: Dialect, options: &Options) -> Result<Plan<'a>> {
    for (flag, n) in [("--samples", options.samples), ("--store-failures", options.store_failures)] {
        if n > MAX_SAMPLES {
            return Err(Error::new(format!("{flag} {n}: at most {MAX_SAMPLES} rows per check")));
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
    let tables = project.enabled_tables(&options.tables).map_err(Error::new)?;
    let all: Vec<_> = tables.iter().map(|t| (*t, checks_of(project, t))).collect();
    for name in &options.checks {
        if !all.iter().any(|(_, (checks, _))| checks.iter().any(|c| &c.name == name)) {
            let names = all.iter().flat_map(|(_, (checks, _))| checks.iter().map(|c| c.name.as_str()));
            return Err(Error::new(unknown("check", name, names) + " on the selected tables"));
        }
    }
    let mut runs = Vec::new();
    for (table, (checks, key_checks)) in all {
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
            let key_mode = table.key_checks.unwrap_or(project.key_checks);
            runs.push(TableRun { table, since, queries, key_mode, key_checks });
        }
    }
    Ok(Plan {
        renderer: Renderer::new(dialect, &project.namespace),
        dialect,
        namespaces: project.managed_namespaces(),
        tables: runs,
        since,
        filter,
        samples: options.samples,
        store: options.store_failures,
    })
}

impl Plan<'_> {
    fn driver(&self) -> &'static dyn Driver {
        crate::dialect::driver(self.dialect)
    }

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

    /// The query listing a check's failing rows as `listing` says, at most `limit` of them.
    fn rows_sql(&self, run: &TableRun, check: &Check, listing: &Listing, limit: Option<usize>) -> Result<String> {
        let ctx = minijinja::context! {
            table => &run.table.name, check => check, listing => listing, since => &run.since, extra => &self.filter,
            limit => limit,
        };
        self.renderer.query("validate_rows", ctx)
    }

    /// The listings a run reads for a failed check: what `--samples` shows and what
    /// `--store-failures` keeps, one query when both list alike.
    fn fetches(&self, table: &Table, check: &Check) -> Vec<Fetch> {
        let grammars = self.driver().grammars();
        let mut out: Vec<Fetch> = Vec::new();
        for (purpose, limit) in [(Purpose::Show, self.samples), (Purpose::Keep, self.store)] {
            let Some(listing) = listing(table, check, purpose, grammars).filter(|_| limit > 0) else { continue };
            let i = match out.iter().position(|f| f.listing == listing) {
                Some(i) => i,
                None => {
                    out.push(Fetch { listing, limit: 0, show: false, keep: false });
                    out.len() - 1
                }
            };
            let f = &mut out[i];
            f.limit = f.limit.max(limit);
            match purpose {
                Purpose::Show => f.show = true,
                Purpose::Keep => f.keep = true,
            }
        }
        out
    }

    /// The queries of a run, for `--sql`: per table those that count, then per check the one
    /// listing its failing rows (as a run sends it with --samples or --store-failures, with
    /// their LIMIT; without them, every failing row). Every planned key check is included: which
    /// ones the server enforces is known only once connected.
    pub fn queries(&self) -> Result<Vec<Printed>> {
        let mut out = Vec::new();
        let grammars = self.driver().grammars();
        for run in &self.tables {
            let table = run.table.name.clone();
            let auto = |checks: &[Check]| {
                run.key_mode == KeyChecks::Auto && checks.iter().all(|c| run.key_checks.contains(&c.name))
            };
            for q in &run.queries {
                let sql = self.sql(run, q, &q.checks.iter().collect::<Vec<_>>(), false)?;
                let checks = q.checks.iter().map(|c| c.name.clone()).collect();
                let unless_enforced = auto(&q.checks);
                out.push(Printed { table: table.clone(), checks, lists: "count", unless_enforced, sql });
            }
            for check in run.queries.iter().flat_map(|q| &q.checks) {
                let fetches: Vec<(Listing, Option<usize>)> = match self.samples.max(self.store) {
                    0 => listing(run.table, check, Purpose::Keep, grammars).map(|l| (l, None)).into_iter().collect(),
                    _ => self.fetches(run.table, check).into_iter().map(|f| (f.listing, Some(f.limit))).collect(),
                };
                for (l, limit) in fetches {
                    let sql = self.rows_sql(run, check, &l, limit)?;
                    let checks = vec![check.name.clone()];
                    let unless_enforced = auto(std::slice::from_ref(check));
                    out.push(Printed { table: table.clone(), checks, lists: "rows", unless_enforced, sql });
                }
            }
        }
        Ok(out)
    }
}

/// A query listing a failed check's rows, and whom they are for.
struct Fetch {
    listing: Listing,
    limit: usize,
    /// `--samples` shows the first of them, `--store-failures` keeps the first of them.
    show: bool,
    keep: bool,
}

/// A check whose window is applied inside its query's whole-table scan.
fn inner_window(check: &Check, query: &Query) -> bool {
    check.window.is_some() && query.window.is_none() && query.shape == Shape::Scan
}
