//! The migration history of a database: `migrate` (or its psql script), `baseline` and `status`.

use super::args::{Cli, OutputFormat, Timeouts};
use super::{format, target, text_or_json, Out};
use crate::error::Result;
use crate::layout::Layout;
use crate::migrate::{self, output::Format, Options};
use crate::model::Project;
use crate::terminal::count;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const FORMATS: [(OutputFormat, Format); 2] = [(OutputFormat::Text, Format::Text), (OutputFormat::Json, Format::Json)];

/// `schema baseline`: the history marked applied up to a version, running nothing.
pub fn baseline(cli: &Cli, layout: &Layout, project: &Project, version: i64) -> Result<ExitCode> {
    let options = Options { target: Some(version), dry_run: false, fake: true, allow_out_of_order: false };
    migrate(cli, layout, project, &options, Timeouts { lock_timeout: None, statement_timeout: None })
}

/// `schema migrate`, and baseline's faked run.
pub fn migrate(
    cli: &Cli,
    layout: &Layout,
    project: &Project,
    options: &Options,
    timeouts: Timeouts,
) -> Result<ExitCode> {
    let command = if options.fake { "baseline" } else { "migrate" };
    let format = format(cli, command, &FORMATS)?;
    let target = target::bounded(target::chosen(cli, layout, Some(project))?, timeouts);
    let started = Instant::now();
    let progress = migrate::output::progress(options, format, cli.quiet);
    let outcome = migrate::migrate(layout, &target, &project.namespace, options, progress)?;
    Ok(migrate::output::outcome(&target, options, started, outcome, format, cli.quiet))
}

pub fn status(cli: &Cli, layout: &Layout, project: &Project) -> Result<ExitCode> {
    let format = format(cli, "status", &FORMATS)?;
    let target = target::database(cli, layout, project)?;
    let mut client = target.connect()?;
    let entries = migrate::status(layout, &mut client, &project.namespace, target.dialect())?;
    Ok(migrate::output::status(&target, &entries, format))
}

/// `schema migrate --script FILE`: the migrations as one psql script, connecting to nothing.
pub fn script(
    cli: &Cli,
    layout: &Layout,
    project: &Project,
    file: &Path,
    to: Option<i64>,
    out: &Out,
) -> Result<ExitCode> {
    text_or_json(cli, "migrate")?;
    let dialect = match (cli.dialect, &cli.target) {
        (Some(d), _) => d,
        (None, Some(name)) => match project.targets.named.get(name).and_then(|t| t.dialect) {
            Some(d) => d,
            None => target::dialect(cli, project)?,
        },
        (None, None) => target::dialect(cli, project)?,
    };
    let written = migrate::script::write(layout, &project.namespace, dialect, to, file)?;
    out.say(format!(
        "wrote {} ({dialect}): {}; apply it with `psql -f {}`",
        file.display(),
        count(written, "migration"),
        file.display()
    ));
    out.doc(json!({"command": "migrate", "script": file, "dialect": dialect, "migrations": written}));
    Ok(ExitCode::SUCCESS)
}
