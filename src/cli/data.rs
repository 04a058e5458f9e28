//! Commands that write rows: `backfill` (derived columns), `refresh` (materialized views) and
//! `seed` (synthetic rows).

use super::args::{Cli, Timeouts};
use super::{target, text_or_json, Out};
use crate::error::Result;
use crate::layout::Layout;
use crate::model::Project;
use crate::refresh::{self, Progress};
use crate::terminal::count;
use crate::{backfill, seed};
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;

pub fn backfill(
    cli: &Cli,
    layout: &Layout,
    project: &Project,
    options: &backfill::Options,
    out: &Out,
) -> Result<ExitCode> {
    text_or_json(cli, "backfill")?;
    let target = target::database(cli, layout, project)?;
    let mut columns = Vec::new();
    backfill::backfill(&target, project, options, |event| match event {
        backfill::Event::Batch { table, column, days, rows, took } => {
            let range = days.map(|(a, b)| format!(" {a} to {b}")).unwrap_or_default();
            let rows = count(rows as usize, "row");
            out.progress(format!("  {table}.{column}{range}: {rows} ({:.2} s)", took.as_secs_f64()));
        }
        backfill::Event::Column { table, column, rows } => {
            out.say(format!("{table}.{column}: {rows} rows updated"));
            columns.push(json!({"table": table, "column": column, "rows_updated": rows}));
        }
    })?;
    out.doc(json!({"command": "backfill", "database": target.redacted(), "columns": columns}));
    Ok(ExitCode::SUCCESS)
}

pub fn refresh(
    cli: &Cli,
    layout: &Layout,
    project: &Project,
    view: Option<&str>,
    timeouts: Timeouts,
    out: &Out,
) -> Result<ExitCode> {
    text_or_json(cli, "refresh")?;
    let target = target::bounded(target::chosen(cli, layout, Some(project))?, timeouts);
    let views = refresh::selection(project, view)?;
    let started = Instant::now();
    let mut done = Vec::new();
    refresh::refresh(&target, &project.namespace, &views, |v, progress| match progress {
        // Unfinished: " ok" or " failed" ends the line.
        Progress::Started if !cli.quiet => eprint!("refreshing {} ...", project.qualified_name(&v.name)),
        Progress::Done(took) => {
            done.push(json!({"view": v.name, "seconds": took.as_secs_f64()}));
            out.progress(format!(" ok ({:.2} s)", took.as_secs_f64()));
        }
        Progress::Failed => out.progress(" failed"),
        Progress::Started => {}
    })?;
    let seconds = started.elapsed().as_secs_f64();
    out.say(format!("refreshed {} in {seconds:.2} s", count(views.len(), "materialized view")));
    out.doc(json!({"command": "refresh", "database": target.redacted(), "refreshed": done, "seconds": seconds}));
    Ok(ExitCode::SUCCESS)
}

pub fn seed(cli: &Cli, layout: &Layout, project: &Project, options: &seed::Options, out: &Out) -> Result<ExitCode> {
    text_or_json(cli, "seed")?;
    let target = target::database(cli, layout, project)?;
    let mut seeded = Vec::new();
    seed::seed(&target, project, options, |table, rows, took| {
        let n = count(rows as usize, "row");
        out.say(format!("seeded {}: {n} ({:.2} s)", project.qualified_name(table), took.as_secs_f64()));
        seeded.push(json!({"table": table, "rows": rows, "seconds": took.as_secs_f64()}));
    })?;
    out.doc(json!({"command": "seed", "database": target.redacted(), "seeded": seeded}));
    Ok(ExitCode::SUCCESS)
}
