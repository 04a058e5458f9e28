//! Running a plan: the key checks settled, then the tables on `jobs` connections, each query
//! read-only under the statement timeout; a failed check's rows fetched; a failed fused query
//! narrowed to the checks at fault.

use super::keys::{self, Settled};
use super::outcome::{freshness, outcome};
use super::samples::{listing, Purpose, Sample};
use super::{inner_window, volume, CheckResult, Plan, Problem, Query, Report, Status, TableRun};
use crate::calendar;
use crate::db::{self, Target};
use crate::error::{describe, Error, Result};
use crate::model::{Check, CheckKind};
use postgres::error::SqlState;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

impl Plan<'_> {
    /// Runs the plan on `jobs` connections, each taking the next table when it is done. The
    /// first connection reads what the server enforces (when a key check is `auto`) and then
    /// checks tables like the others.
    pub fn run(&self, target: &Target, jobs: usize, timeout: Duration) -> Result<Report> {
        let started = Instant::now();
        let run_at = calendar::iso_timestamp(calendar::now_ms());
        let windowed = self.since.is_some() || !self.filter.is_empty();
        let mut first = connect(target, timeout, windowed)?;
        let settled = keys::settle(self, &mut first)?;
        // A --where run checks part of what loads bring: its counts compare with nothing recorded.
        let history = if self.filter.is_empty() { volume::history(self, &mut first)? } else { Default::default() };
        let first = Mutex::new(Some(first));
        let next = AtomicUsize::new(0);
        let collected = Mutex::new((Vec::new(), Vec::new()));
        let fatal = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..jobs.clamp(1, self.tables.len().max(1)) {
                s.spawn(|| {
                    let mut client = first.lock().unwrap().take();
                    while fatal.lock().unwrap().is_none() {
                        let Some(run) = self.tables.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                        let client = match &mut client {
                            Some(c) => c,
                            None => match connect(target, timeout, windowed) {
                                Ok(c) => client.insert(c),
                                Err(e) => {
                                    *fatal.lock().unwrap() = Some(e);
                                    break;
                                }
                            },
                        };
                        let (results, problems) = self.check_table(client, run, &settled, &history, timeout);
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
            left_to_database: settled.left,
            filtered: !self.filter.is_empty(),
        })
    }

    fn check_table(
        &self,
        client: &mut postgres::Client,
        run: &TableRun,
        settled: &Settled,
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
            let mut checks: Vec<&Check> = q.checks.iter().filter(|c| settled.runs(&run.table.name, &c.name)).collect();
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
                    result.reason = settled.reason(&run.table.name, &check.name);
                    if result.status != Status::Pass {
                        let keep = listing(run.table, check, Purpose::Keep, self.driver().grammars());
                        result.rows_query = keep.and_then(|l| self.rows_sql(run, check, &l, None).ok());
                        if let Err(e) = self.fetch_rows(client, run, check, &mut result, timeout) {
                            problems.push(problem(check, format!("fetching its failing rows: {e}")));
                        }
                    }
                    results.push(result);
                }
                break;
            }
        }
        (results, problems)
    }

    /// The failing rows of a failed check: those `--samples` shows and `--store-failures` keeps.
    fn fetch_rows(
        &self,
        client: &mut postgres::Client,
        run: &TableRun,
        check: &Check,
        result: &mut CheckResult,
        timeout: Duration,
    ) -> Result<()> {
        for fetch in self.fetches(run.table, check) {
            let sql = self.rows_sql(run, check, &fetch.listing, Some(fetch.limit))?;
            let rows = db::read_only_rows(client, &sql).map_err(|e| Error::new(failure(&e, timeout)))?;
            let rows: Vec<Sample> = rows.iter().map(|r| Sample::read(&fetch.listing, run.table, check, r)).collect();
            if fetch.show {
                result.samples = rows.iter().take(self.samples).cloned().collect();
            }
            if fetch.keep {
                result.kept = rows.into_iter().take(self.store).collect();
            }
        }
        Ok(())
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

/// A connection whose queries run under the statement timeout (and, for a run reading a window
/// of each table, the dialect's settings for that).
fn connect(target: &Target, timeout: Duration, windowed: bool) -> Result<postgres::Client> {
    let mut client = target.connect()?;
    // The same spelling of the timeout works on PostgreSQL and Redshift.
    let timeout = Some(format!("SET statement_timeout TO {}", timeout.as_millis())).filter(|_| !timeout.is_zero());
    let driver = crate::dialect::driver(target.dialect());
    let settings = if windowed { driver.window_settings() } else { Vec::new() };
    for sql in timeout.iter().map(String::as_str).chain(settings) {
        client
            .batch_execute(sql)
            .map_err(|e| Error::new(format!("setting up the session ({sql}): {}", describe(&e))))?;
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
