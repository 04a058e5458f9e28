//! `schema backfill`: fills derived columns (`derived: DATE(event_timestamp)`) from their
//! expression, and looked-up columns (`lookup:`) from their reference table, where they are
//! NULL: seed 000's migration strategy. The work is cut into batches
//! of `batch_days` days of the source column, each UPDATE its own transaction, so a large table
//! is never locked by one giant transaction and an interrupted run resumes where it stopped: the
//! rows already filled no longer match. A batch that loses a deadlock or serialization conflict
//! runs again (a few times).

use crate::calendar;
use crate::db::{self, Target};
use crate::error::{describe, Error, Result};
use crate::model::{Column, ColumnType, Project, Table};
use crate::render::Renderer;
use crate::sql::lexer::{ident_value, significant, Escapes};
use std::time::{Duration, Instant};

pub struct Options {
    pub tables: Vec<String>,
    pub batch_days: u32,
    /// Also rewrite values that differ from the expression, not only NULLs.
    pub mismatched: bool,
}

/// What `backfill` reports as it goes.
pub enum Event<'a> {
    /// One UPDATE done; `days` are the first and last day of the batch, None when unbatched.
    Batch { table: &'a str, column: &'a str, days: Option<(String, String)>, rows: u64, took: Duration },
    /// A derived column finished: rows updated in all.
    Column { table: &'a str, column: &'a str, rows: u64 },
}

/// The column the work is cut by: the first date or timestamp column the expression reads.
fn source<'a>(table: &'a Table, derived: &Column, expr: &str) -> Option<&'a Column> {
    let names: Vec<String> = significant(expr, Escapes::Standard).filter_map(|t| ident_value(&t)).collect();
    table.columns.iter().find(|c| {
        c.name != derived.name
            && matches!(c.ty, ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz)
            && names.contains(&c.name)
    })
}

pub fn backfill(target: &Target, project: &Project, options: &Options, mut report: impl FnMut(Event)) -> Result<()> {
    let tables = project.enabled_tables(&options.tables).map_err(Error::new)?;
    let renderer = Renderer::new(target.dialect(), &project.namespace);
    let client = &mut target.connect()?;
    for table in tables {
        for column in &table.columns {
            // A lookup is cut by the table's leading date sort key, as `validate --since` is.
            let (template, source) = match (&column.derived, &column.lookup) {
                (Some(expr), _) => ("backfill_batch", source(table, column, expr)),
                (None, Some(_)) => ("backfill_lookup", table.leading_date_column()),
                (None, None) => continue,
            };
            // `nulls`: the rows whose batching column is NULL, which no day range holds.
            let ctx = |days: bool, range: Option<(&str, &str)>, nulls: bool| {
                minijinja::context! {
                    table => &table.name, column => &column.name, expr => &column.derived, lookup => &column.lookup,
                    source => source.map(|c| &c.name), mismatched => options.mismatched,
                    days => days, start => range.map(|r| r.0), end => range.map(|r| r.1), nulls => nulls,
                }
            };
            let fail = |e: postgres::Error| {
                Error::new(format!("backfilling {}.{}: {}", table.name, column.name, describe(&e)))
            };
            let mut total = 0;
            let mut undated = false;
            let batches = match source {
                Some(_) => {
                    let rows =
                        db::text_rows(client, &renderer.query(template, ctx(true, None, false))?).map_err(fail)?;
                    // A lookup's rows need not have a date (a derived value's source, if NULL,
                    // has nothing to fill).
                    undated = template == "backfill_lookup" && rows.iter().any(|r| r[0].is_none());
                    let days: Vec<i64> =
                        rows.iter().filter_map(|r| r[0].as_deref().and_then(calendar::parse_date)).collect();
                    batches(&days, options.batch_days.max(1))
                }
                None => vec![None],
            };
            if undated {
                let rows = batch_update(client, &renderer.script(template, ctx(false, None, true))?.join(";\n"))
                    .map_err(fail)?;
                total += rows;
                report(Event::Batch {
                    table: &table.name,
                    column: &column.name,
                    days: None,
                    rows,
                    took: Duration::ZERO,
                });
            }
            for batch in batches {
                let range = batch.map(|(a, b)| (calendar::date_text(a), calendar::date_text(b)));
                let range = range.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
                let days = batch.map(|(a, b)| (calendar::date_text(a), calendar::date_text(b - 1)));
                let started = Instant::now();
                let rows = batch_update(client, &renderer.script(template, ctx(false, range, false))?.join(";\n"))
                    .map_err(fail)?;
                total += rows;
                report(Event::Batch { table: &table.name, column: &column.name, days, rows, took: started.elapsed() });
            }
            report(Event::Column { table: &table.name, column: &column.name, rows: total });
        }
    }
    Ok(())
}

/// Times a batch runs again after a deadlock or serialization failure.
const RETRIES: u32 = 5;

/// One batch's UPDATE. A deadlock or serialization failure aborts it through no fault of its
/// own (a concurrent load won); it is its own transaction, so nothing of it was kept and it
/// runs again, after a growing pause, up to RETRIES times.
fn batch_update(client: &mut postgres::Client, sql: &str) -> std::result::Result<u64, postgres::Error> {
    use postgres::error::SqlState;
    let mut retries = 0;
    loop {
        match db::affected(client, sql) {
            Err(e)
                if retries < RETRIES
                    && e.code().is_some_and(|c| {
                        *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
                    }) =>
            {
                retries += 1;
                std::thread::sleep(Duration::from_millis(20 << retries));
            }
            done => return done,
        }
    }
}

/// Half-open day ranges of at most `width` days covering the given days (sorted), skipping
/// stretches without work.
fn batches(days: &[i64], width: u32) -> Vec<Option<(i64, i64)>> {
    let mut out = Vec::new();
    let mut end = i64::MIN;
    for &day in days {
        if day >= end {
            end = day + width as i64;
            out.push(Some((day, end)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_the_days_with_work_and_skip_gaps() {
        assert_eq!(batches(&[10, 11, 13, 20], 3), vec![Some((10, 13)), Some((13, 16)), Some((20, 23))]);
        assert!(batches(&[], 7).is_empty());
    }
}
