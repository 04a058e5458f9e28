//! `validate --record`: one row per check and run, appended to a table the tool owns, so
//! failures can be trended.

use super::{Report, Status};
use crate::db::Target;
use crate::error::{describe, Error, Result};
use crate::layout::{FAILURES_TABLE, RUNS_TABLE};
use crate::model::Severity;
use crate::render::Renderer;
use postgres::error::SqlState;
use serde::Serialize;

/// Appends a report to `<namespace>.schema_validation_runs`, creating the table if needed.
pub fn record(target: &Target, namespace: &str, report: &Report) -> Result<()> {
    #[derive(Serialize)]
    struct Row<'a> {
        table: &'a str,
        check: &'a str,
        severity: Severity,
        status: &'a str,
        failing: Option<u64>,
        checked: Option<u64>,
        message: Option<String>,
    }
    let mut rows: Vec<Row> = report
        .results
        .iter()
        .filter(|r| !(report.filtered && r.kind == "volume"))
        .map(|r| Row {
            table: &r.table,
            check: &r.check,
            severity: r.severity,
            status: match r.status {
                Status::Pass => "pass",
                Status::Fail => "fail",
                Status::Warn => "warn",
            },
            failing: Some(r.failing_rows),
            checked: Some(r.rows_checked),
            message: None,
        })
        .collect();
    for p in &report.problems {
        let message = cut(&p.message);
        rows.push(Row {
            table: &p.table,
            check: &p.check,
            severity: p.severity,
            status: "error",
            failing: None,
            checked: None,
            message: Some(message),
        });
    }
    if rows.is_empty() {
        return Ok(());
    }
    let ctx = minijinja::context! {
        table => RUNS_TABLE, run_id => run_id(report), run_at => run_at(report), since => &report.since, rows => rows,
    };
    append(target, namespace, RUNS_TABLE, "validation_runs", ctx)
}

/// `validate --store-failures`: each failed check's failing rows (as many as were fetched) as
/// JSON, appended to `<namespace>.schema_validation_failures` under the run's id.
pub fn store_failures(target: &Target, namespace: &str, report: &Report) -> Result<usize> {
    #[derive(Serialize)]
    struct Row<'a> {
        table: &'a str,
        check: &'a str,
        key: String,
        values: Option<String>,
        expected: Option<String>,
        rows: Option<u64>,
    }
    let rows: Vec<Row> = report
        .results
        .iter()
        .flat_map(|r| {
            r.kept.iter().map(move |s| Row {
                table: &r.table,
                check: &r.check,
                key: s.key.to_json(),
                values: (!s.values.is_empty()).then(|| s.values.to_json()),
                expected: s.expected.as_ref().map(|v| v.to_string()),
                rows: s.rows,
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    let ctx = minijinja::context! {
        table => FAILURES_TABLE, run_id => run_id(report), run_at => run_at(report), rows => &rows,
    };
    append(target, namespace, FAILURES_TABLE, "validation_failures", ctx)?;
    Ok(rows.len())
}

/// One id per run, shared by its results and its stored failures.
fn run_id(report: &Report) -> String {
    format!("{}-{}", report.run_at, std::process::id())
}

/// The column is a TIMESTAMP (UTC, no zone): Redshift's own literal form.
fn run_at(report: &Report) -> String {
    report.run_at.trim_end_matches('Z').replacen('T', " ", 1)
}

/// VARCHAR(1024) counts bytes on Redshift: cut on a character boundary below it.
fn cut(text: &str) -> String {
    let mut text = text.to_string();
    while text.len() > 1024 {
        text.pop();
    }
    text
}

fn append(target: &Target, namespace: &str, table: &str, template: &str, ctx: minijinja::Value) -> Result<()> {
    let mut client = target.connect()?;
    for sql in Renderer::new(target.dialect(), namespace).script(template, ctx)? {
        client.batch_execute(&sql).map_err(|e| {
            // The failures table of earlier versions held `row_key` as text, and no values.
            let old = [SqlState::UNDEFINED_COLUMN, SqlState::DATATYPE_MISMATCH].iter().any(|c| e.code() == Some(c));
            let hint = match old && table == FAILURES_TABLE {
                true => format!(
                    " ({namespace}.{table} has the columns of an earlier version of this tool, row_key as text: \
                     rename or drop it, and the next run creates it with row_key as JSON)"
                ),
                false => String::new(),
            };
            Error::new(format!("appending to {table}: {}{hint}", describe(&e)))
        })?;
    }
    Ok(())
}
