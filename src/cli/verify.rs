//! The database against the YAML: its structure (`diff`) and its data (`validate`).

use super::args::{Cli, OutputFormat};
use super::{format, target, Out};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::model::Project;
use crate::{drift, validate};
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;

/// `schema diff`: exit 1 when the database has drifted. `--sql` is `--format sql`.
pub fn diff(cli: &Cli, layout: &Layout, project: &Project, sql: bool) -> Result<ExitCode> {
    use drift::output::Format as F;
    let formats = [
        (OutputFormat::Text, F::Text),
        (OutputFormat::Json, F::Json),
        (OutputFormat::Github, F::Github),
        (OutputFormat::Sql, F::Sql),
    ];
    let format = match (sql, cli.format) {
        (true, OutputFormat::Text | OutputFormat::Sql) => F::Sql,
        (true, other) => {
            return Err(Error::new(format!("--sql is --format sql: not with --format {other:?}").to_lowercase()))
        }
        (false, _) => format(cli, "diff", &formats)?,
    };
    let target = target::database(cli, layout, project)?;
    let mut client = target.connect()?;
    let report = drift::diff(&mut client, target.dialect(), project)?;
    drift::output::print(layout, project, &target, &report, format, cli.quiet);
    Ok(ExitCode::from(u8::from(report.drift())))
}

/// What the command line asks of validate: the checks, and how to run them.
pub struct Request {
    pub options: validate::Options,
    pub jobs: usize,
    pub timeout: Duration,
    pub record: bool,
    pub store_failures: bool,
    /// Print the queries, connecting to nothing.
    pub sql: bool,
}

/// `schema validate`: exit 1 when an error-severity check fails, 2 when one could not run.
pub fn validate(cli: &Cli, layout: &Layout, project: &Project, request: &Request, out: &Out) -> Result<ExitCode> {
    use validate::output::Format as F;
    let formats = [
        (OutputFormat::Text, F::Text),
        (OutputFormat::Json, F::Json),
        (OutputFormat::Junit, F::Junit),
        (OutputFormat::Github, F::Github),
    ];
    let format = format(cli, "validate", &formats)?;
    if request.sql {
        // No connection: the dialect is the named database's, found without connecting.
        let dialect = target::named_dialect(cli, project)?;
        let queries = validate::plan(project, dialect, &request.options)?.queries()?;
        if !out.json {
            print!("{}", validate::output::queries(&queries));
        }
        out.doc(json!({"command": "validate", "dialect": dialect, "queries": queries}));
        return Ok(ExitCode::SUCCESS);
    }
    let target = target::database(cli, layout, project)?;
    let plan = validate::plan(project, target.dialect(), &request.options)?;
    let report = plan.run(&target, request.jobs, request.timeout)?;
    // Kept before anything is printed, so a failure to keep them is the one document
    // `--format json` prints, not a second one after the report.
    if request.record {
        validate::record(&target, &project.namespace, &report)?;
        out.progress(format!("recorded in {}.{}", project.namespace, crate::layout::RUNS_TABLE));
    }
    if request.store_failures {
        let n = validate::store_failures(&target, &project.namespace, &report)?;
        out.progress(format!("stored {n} failing rows in {}.{}", project.namespace, crate::layout::FAILURES_TABLE));
    }
    print!("{}", validate::output::render(layout, &report, format, &target.redacted(), cli.quiet));
    validate::output::problem_lines(&report).iter().for_each(|l| eprintln!("error: {l}"));
    Ok(ExitCode::from(report.exit_code()))
}
