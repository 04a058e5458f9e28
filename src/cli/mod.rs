//! The command line: arguments, errors, `--format`, and dispatch to one function per command,
//! in the module that owns it, with its output beside it. Exit codes, the same for every command: 0 all good, 1 the command ran and found
//! something, 2 it could not run.

mod adopt;
mod args;
mod data;
mod migrate;
mod plan;
mod project;
mod setup;
mod target;
mod tools;
mod verify;

use args::{Cli, ColorArg, Command, OutputFormat};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::{backfill, seed, validate};
use clap::ValueEnum;
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;
use target::load_project;

pub fn main() -> ExitCode {
    let cli = <Cli as clap::Parser>::try_parse().unwrap_or_else(|e| exit_redacted(e));
    // anstream strips styles where they would not show (not a terminal, NO_COLOR) unless forced.
    let color = match cli.color {
        ColorArg::Auto => anstream::ColorChoice::Auto,
        ColorArg::Always => anstream::ColorChoice::AlwaysAnsi,
        ColorArg::Never => anstream::ColorChoice::Never,
    };
    color.write_global();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            if let Error::Load { diagnostics, .. } = &e {
                diagnostics.iter().for_each(|d| eprintln!("{d}"));
            }
            eprintln!("error: {e}");
            if cli.format == OutputFormat::Json {
                println!("{:#}", error_json(&e));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// An error as `--format json` prints it on stdout (the exit code is unchanged).
fn error_json(e: &Error) -> serde_json::Value {
    let diagnostics: Vec<_> = match e {
        Error::Load { diagnostics, .. } => diagnostics
            .iter()
            .map(|d| json!({"file": d.file, "line": d.line, "column": d.col, "message": d.message, "help": d.help}))
            .collect(),
        _ => vec![],
    };
    json!({"error": {"kind": e.kind(), "message": e.to_string(), "diagnostics": diagnostics}, "exit_code": e.exit_code()})
}

/// clap's errors echo the offending argument: a database URL given where none is expected
/// (`schema status postgres://...`) must not show its password.
fn exit_redacted(e: clap::Error) -> ! {
    if e.kind() == clap::error::ErrorKind::DisplayHelp {
        if let Some(help) = args::help_without_database(std::env::args().skip(1)) {
            anstream::print!("{help}");
            std::process::exit(0);
        }
    }
    if !e.use_stderr() {
        e.exit();
    }
    let message = crate::db::redact_urls(&e.render().to_string());
    anstream::eprint!("{}", crate::db::redact_urls(&e.render().ansi().to_string()));
    // `--format json` asked for a document on stdout, errors included: one for the argument
    // error too.
    let args: Vec<String> = std::env::args().collect();
    if args.windows(2).any(|w| w[0] == "--format" && w[1] == "json") || args.iter().any(|a| a == "--format=json") {
        let first = message.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
        let doc = json!({"error": {"kind": "usage", "message": first, "diagnostics": []}, "exit_code": e.exit_code()});
        println!("{doc:#}");
    }
    std::process::exit(e.exit_code());
}

/// Where a command's result goes: text lines, or one JSON document on stdout.
struct Out {
    json: bool,
    quiet: bool,
}

impl Out {
    /// A line of the text output, left out by --quiet.
    fn say(&self, line: impl std::fmt::Display) {
        if !self.json && !self.quiet {
            println!("{line}");
        }
    }

    /// A finding: printed even with --quiet.
    fn finding(&self, line: impl std::fmt::Display) {
        if !self.json {
            println!("{line}");
        }
    }

    fn doc(&self, doc: serde_json::Value) {
        if self.json {
            println!("{doc:#}");
        }
    }

    /// Progress on stderr, unless --quiet.
    fn progress(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

/// The command's own format: `--format` if the command has it.
fn format<F: Copy>(cli: &Cli, command: &str, formats: &[(OutputFormat, F)]) -> Result<F> {
    let found = formats.iter().find(|(f, _)| *f == cli.format).map(|(_, f)| *f);
    found.ok_or_else(|| {
        let names: Vec<_> = formats.iter().filter_map(|(f, _)| f.to_possible_value()).collect();
        let names: Vec<&str> = names.iter().map(|v| v.get_name()).collect();
        Error::new(format!("`schema {command}` writes {}, not {:?}", names.join(" or "), cli.format).to_lowercase())
    })
}

/// Text, or one JSON document: the formats of every command without formats of its own.
fn text_or_json(cli: &Cli, command: &str) -> Result<()> {
    format(cli, command, &[(OutputFormat::Text, ()), (OutputFormat::Json, ())])
}

/// From the arguments to the command's function; the project is loaded only for the commands
/// that need one.
fn run(cli: &Cli) -> Result<ExitCode> {
    let layout = Layout::find(&cli.project);
    let out = Out { json: cli.format == OutputFormat::Json, quiet: cli.quiet };
    let load = || load_project(&layout);
    match &cli.command {
        Command::Completions { shell } => tools::completions(*shell),
        Command::Man { out: dir } => tools::man(dir),
        Command::JsonSchema { out: dir } => tools::json_schema(dir, &out),
        Command::Init { dir, dialects, namespace } => {
            setup::init(cli, dir.as_deref().unwrap_or(&cli.project), dialects, namespace.clone(), &out)
        }
        Command::Local { action } => setup::local(cli, &layout, *action, &out),
        Command::Inspect { out: dir, namespaces, force } => {
            adopt::inspect(cli, &layout, dir.as_deref(), namespaces, *force, &out)
        }
        Command::Check { dev } => project::check(cli, &layout, &load()?, dev.dev_url.as_deref(), &out),
        Command::Render => project::render(cli, &load()?, &out),
        Command::Generate { name, check, allow_destructive, redo, dev } => {
            let request = project::Request {
                name: name.as_deref(),
                check: *check,
                allow_destructive: *allow_destructive,
                redo: *redo,
                dev_url: dev.dev_url.as_deref(),
            };
            project::generate(cli, &layout, &load()?, &request, &out)
        }
        Command::Docs { out: dir } => project::docs(cli, &layout, &load()?, dir.as_deref(), &out),
        Command::Migrate { script: Some(file), to, .. } => migrate::script(cli, &layout, &load()?, file, *to, &out),
        Command::Migrate { dry_run, to, allow_out_of_order, timeouts, script: None } => {
            let options = crate::migrate::Options {
                target: *to,
                dry_run: *dry_run,
                fake: false,
                allow_out_of_order: *allow_out_of_order,
            };
            migrate::migrate(cli, &layout, &load()?, &options, *timeouts)
        }
        Command::Baseline { version } => migrate::baseline(cli, &layout, &load()?, *version),
        Command::Status => migrate::status(cli, &layout, &load()?),
        Command::Diff { sql } => verify::diff(cli, &layout, &load()?, *sql),
        Command::Validate { tables, checks, since, filter, jobs, timeout, samples, record, store_failures, sql } => {
            let request = verify::Request {
                options: validate::Options {
                    tables: tables.clone(),
                    checks: checks.clone(),
                    since: since.clone(),
                    filter: filter.clone(),
                    samples: *samples,
                    store_failures: store_failures.unwrap_or(0),
                },
                jobs: *jobs,
                timeout: Duration::from_secs(*timeout),
                record: *record,
                store_failures: store_failures.is_some(),
                sql: *sql,
            };
            verify::validate(cli, &layout, &load()?, &request, &out)
        }
        Command::Backfill { tables, batch_days, mismatched } => {
            let options =
                backfill::Options { tables: tables.clone(), batch_days: *batch_days, mismatched: *mismatched };
            data::backfill(cli, &layout, &load()?, &options, &out)
        }
        Command::Refresh { view, timeouts } => data::refresh(cli, &layout, &load()?, view.as_deref(), *timeouts, &out),
        Command::Seed { rows, seed, tables, defects, days, end, replace } => {
            let options = seed::Options {
                rows: *rows,
                seed: *seed,
                tables: tables.clone(),
                defects: defects.clone(),
                days: *days,
                end: end.clone(),
                replace: *replace,
            };
            data::seed(cli, &layout, &load()?, &options, &out)
        }
        Command::Plan => plan::plan(cli, &layout, &load()?),
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
