//! `validate --record`: one row per check and run, appended to a table the tool owns, so
//! failures can be trended.

use super::{Report, Status};
use crate::db::Target;
use crate::error::{describe, Error, Result};
use crate::layout::RUNS_TABLE;
use crate::model::Severity;
use crate::render::Renderer;
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
        // VARCHAR(1024) counts bytes on Redshift: cut on a character boundary below it.
        let mut message = p.message.clone();
        while message.len() > 1024 {
            message.pop();
        }
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
    let run_id = format!("{}-{}", report.run_at, std::process::id());
    // The column is a TIMESTAMP (UTC, no zone): Redshift's own literal form.
    let run_at = report.run_at.trim_end_matches('Z').replacen('T', " ", 1);
    let ctx = minijinja::context! {
        table => RUNS_TABLE, run_id => run_id, run_at => run_at, since => &report.since, rows => rows,
    };
    let mut client = target.connect()?;
    for sql in Renderer::new(target.dialect(), namespace).script("validation_runs", ctx)? {
        client
            .batch_execute(&sql)
            .map_err(|e| Error::new(format!("recording the results in {RUNS_TABLE}: {}", describe(&e))))?;
    }
    Ok(())
}
