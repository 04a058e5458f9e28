//! The command line: arguments, and dispatch to the command modules, whose output lives beside
//! them. Exit codes, the same for every command: 0 all good, 1 the command ran and found
//! something, 2 it could not run.

mod args;
mod files;
mod generate;
mod plan;
mod target;

use args::{Cli, ColorArg, Command, LocalAction, OutputFormat, Timeouts};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::model::Project;
use crate::refresh::{self, Progress};
use crate::terminal::{count, safe};
use crate::{backfill, docs, drift, inspect, migrate, seed, validate};
use clap::ValueEnum;
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use target::{database, dialect, load_project};

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

fn run(cli: &Cli) -> Result<ExitCode> {
    let layout = Layout::find(&cli.project);
    let text_json = [(OutputFormat::Text, false), (OutputFormat::Json, true)];
    let out = Out { json: cli.format == OutputFormat::Json, quiet: cli.quiet };
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut args::command(), "schema", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Man { out: dir } => return files::man(dir),
        Command::JsonSchema { out: dir } => {
            let written = crate::load::json_schema::write(dir);
            for path in written.map_err(|e| Error::new(format!("writing into {}: {e}", dir.display())))? {
                out.say(format!("wrote {}", path.display()));
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Local { action } => {
            format(cli, "local", &text_json)?;
            return target::local(&layout, *action, &out);
        }
        Command::Init { dir, dialects, namespace } => {
            format(cli, "init", &text_json)?;
            return files::init(dir.as_deref().unwrap_or(&cli.project), dialects, namespace.clone(), &out);
        }
        Command::Inspect { out: dir, namespaces, force } => {
            format(cli, "inspect", &text_json)?;
            return run_inspect(cli, &layout, dir.as_deref(), namespaces, *force, &out);
        }
        _ => {}
    }
    let project = load_project(&layout)?;
    match &cli.command {
        Command::Check { dev } => {
            format(cli, "check", &text_json)?;
            generate::check(cli, &layout, &project, dev.dev_url.as_deref(), &out)?;
            out.say(safe(&check_summary(&project)));
            out.doc(check_json(&project));
        }
        Command::Render => {
            format(cli, "render", &text_json)?;
            let dialect = dialect(cli, &project)?;
            let sql = crate::plan::create_all(&project.enabled(), dialect)?;
            if !out.json {
                print!("{sql}");
            }
            out.doc(json!({"command": "render", "dialect": dialect, "sql": sql}));
        }
        Command::Generate { name, check, allow_destructive, redo, dev } => {
            format(cli, "generate", &text_json)?;
            let request = generate::Request {
                name: name.as_deref(),
                check: *check,
                allow_destructive: *allow_destructive,
                redo: *redo,
                dev_url: dev.dev_url.as_deref(),
            };
            return generate::run(cli, &layout, &project, &request, &out);
        }
        Command::Migrate { script: Some(file), to, .. } => {
            format(cli, "migrate", &text_json)?;
            return files::script(cli, &layout, &project, file, *to, &out);
        }
        Command::Migrate { dry_run, to, allow_out_of_order, timeouts, script: None } => {
            let options = migrate::Options {
                target: *to,
                dry_run: *dry_run,
                fake: false,
                allow_out_of_order: *allow_out_of_order,
            };
            return run_migrate(cli, &layout, &project, &options, *timeouts);
        }
        Command::Baseline { version } => {
            let options =
                migrate::Options { target: Some(*version), dry_run: false, fake: true, allow_out_of_order: false };
            let timeouts = Timeouts { lock_timeout: None, statement_timeout: None };
            return run_migrate(cli, &layout, &project, &options, timeouts);
        }
        Command::Status => {
            use migrate::output::Format as F;
            let format = format(cli, "status", &[(OutputFormat::Text, F::Text), (OutputFormat::Json, F::Json)])?;
            let target = database(cli, &layout, &project)?;
            let mut client = target.connect()?;
            let entries = migrate::status(&layout, &mut client, &project.namespace, target.dialect())?;
            return Ok(migrate::output::status(&target, &entries, format));
        }
        Command::Docs { out: dir } => {
            format(cli, "docs", &text_json)?;
            let dir = dir.clone().unwrap_or_else(|| layout.root.join("docs/schema"));
            let written = docs::write(&project, &dir)?;
            out.say(format!("wrote {}", written.display()));
            out.doc(json!({"command": "docs", "wrote": written}));
        }
        Command::Diff { sql } => {
            use drift::output::Format as F;
            let formats = [
                (OutputFormat::Text, F::Text),
                (OutputFormat::Json, F::Json),
                (OutputFormat::Github, F::Github),
                (OutputFormat::Sql, F::Sql),
            ];
            let format = match (*sql, cli.format) {
                (true, OutputFormat::Text | OutputFormat::Sql) => F::Sql,
                (true, other) => {
                    return Err(Error::new(
                        format!("--sql is --format sql: not with --format {other:?}").to_lowercase(),
                    ))
                }
                (false, _) => format(cli, "diff", &formats)?,
            };
            let target = database(cli, &layout, &project)?;
            let mut client = target.connect()?;
            let report = drift::diff(&mut client, target.dialect(), &project)?;
            drift::output::print(&layout, &project, &target, &report, format, cli.quiet);
            if report.drift() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Validate { tables, checks, since, filter, jobs, timeout, samples, record, store_failures, sql } => {
            use validate::output::Format as F;
            let formats = [
                (OutputFormat::Text, F::Text),
                (OutputFormat::Json, F::Json),
                (OutputFormat::Junit, F::Junit),
                (OutputFormat::Github, F::Github),
            ];
            let format = format(cli, "validate", &formats)?;
            let options = validate::Options {
                tables: tables.clone(),
                checks: checks.clone(),
                since: since.clone(),
                filter: filter.clone(),
                samples: *samples,
                store_failures: store_failures.unwrap_or(0),
            };
            if *sql {
                // No connection: the dialect is the named database's, found without connecting.
                let dialect = target::named_dialect(cli, &project)?;
                let queries = validate::plan(&project, dialect, &options)?.queries()?;
                if !out.json {
                    print!("{}", validate::output::queries(&queries));
                }
                out.doc(json!({"command": "validate", "dialect": dialect, "queries": queries}));
                return Ok(ExitCode::SUCCESS);
            }
            let target = database(cli, &layout, &project)?;
            let plan = validate::plan(&project, target.dialect(), &options)?;
            let report = plan.run(&target, *jobs, Duration::from_secs(*timeout))?;
            // Kept before anything is printed, so a failure to keep them is the one document
            // `--format json` prints, not a second one after the report.
            if *record {
                validate::record(&target, &project.namespace, &report)?;
                out.progress(format!("recorded in {}.{}", project.namespace, crate::layout::RUNS_TABLE));
            }
            if store_failures.is_some() {
                let n = validate::store_failures(&target, &project.namespace, &report)?;
                out.progress(format!(
                    "stored {n} failing rows in {}.{}",
                    project.namespace,
                    crate::layout::FAILURES_TABLE
                ));
            }
            print!("{}", validate::output::render(&layout, &report, format, &target.redacted(), cli.quiet));
            validate::output::problem_lines(&report).iter().for_each(|l| eprintln!("error: {l}"));
            return Ok(ExitCode::from(report.exit_code()));
        }
        Command::Backfill { tables, batch_days, mismatched } => {
            format(cli, "backfill", &text_json)?;
            let target = database(cli, &layout, &project)?;
            let options =
                backfill::Options { tables: tables.clone(), batch_days: *batch_days, mismatched: *mismatched };
            let mut columns = Vec::new();
            backfill::backfill(&target, &project, &options, |event| match event {
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
        }
        Command::Refresh { view, timeouts } => {
            format(cli, "refresh", &text_json)?;
            let target = target::bounded(target::chosen(cli, &layout, Some(&project))?, *timeouts);
            let views = refresh::selection(&project, view.as_deref())?;
            let started = Instant::now();
            let mut done = Vec::new();
            refresh::refresh(&target, &project.namespace, &views, |v, progress| match progress {
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
            out.doc(
                json!({"command": "refresh", "database": target.redacted(), "refreshed": done, "seconds": seconds}),
            );
        }
        Command::Seed { rows, seed, tables, defects, days, end, replace } => {
            format(cli, "seed", &text_json)?;
            let target = database(cli, &layout, &project)?;
            let options = seed::Options {
                rows: *rows,
                seed: *seed,
                tables: tables.clone(),
                defects: defects.clone(),
                days: *days,
                end: end.clone(),
                replace: *replace,
            };
            let mut seeded = Vec::new();
            seed::seed(&target, &project, &options, |table, rows, took| {
                let n = count(rows as usize, "row");
                out.say(format!("seeded {}: {n} ({:.2} s)", project.qualified_name(table), took.as_secs_f64()));
                seeded.push(json!({"table": table, "rows": rows, "seconds": took.as_secs_f64()}));
            })?;
            out.doc(json!({"command": "seed", "database": target.redacted(), "seeded": seeded}));
        }
        Command::Plan => return plan::run(cli, &layout, &project),
        Command::Local { .. }
        | Command::Init { .. }
        | Command::Inspect { .. }
        | Command::Completions { .. }
        | Command::Man { .. }
        | Command::JsonSchema { .. } => {
            unreachable!("handled before the project is loaded")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `schema check`'s one line.
fn check_summary(project: &Project) -> String {
    let enabled = project.enabled();
    let mvs = project.views.iter().filter(|v| v.materialized).count();
    let checks: usize = enabled.tables.iter().map(|t| t.checks.len()).sum();
    format!(
        "ok: {} ({}): {}, {}, {}; phases {} enabled ({}, {}); dialects {}",
        project.name,
        project.namespace,
        count(project.tables.len(), "table"),
        count(project.views.len() - mvs, "view"),
        count(mvs, "materialized view"),
        join(&project.phases),
        count(enabled.tables.len(), "table"),
        count(checks, "check"),
        join(&project.dialects),
    )
}

fn check_json(project: &Project) -> serde_json::Value {
    let enabled = project.enabled();
    let mvs = project.views.iter().filter(|v| v.materialized).count();
    json!({
        "command": "check",
        "ok": true,
        "project": project.name,
        "namespace": project.namespace,
        "dialects": project.dialects,
        "phases": project.phases,
        "tables": project.tables.len(),
        "views": project.views.len() - mvs,
        "materialized_views": mvs,
        "enabled_tables": enabled.tables.len(),
        "checks": enabled.tables.iter().map(|t| t.checks.len()).sum::<usize>(),
        "targets": project.targets.named.keys().collect::<Vec<_>>(),
    })
}

fn run_migrate(
    cli: &Cli,
    layout: &Layout,
    project: &Project,
    options: &migrate::Options,
    timeouts: Timeouts,
) -> Result<ExitCode> {
    use migrate::output::Format as F;
    let command = if options.fake { "baseline" } else { "migrate" };
    let format = format(cli, command, &[(OutputFormat::Text, F::Text), (OutputFormat::Json, F::Json)])?;
    let target = target::bounded(target::chosen(cli, layout, Some(project))?, timeouts);
    let started = Instant::now();
    let progress = migrate::output::progress(options, format, cli.quiet);
    let outcome = migrate::migrate(layout, &target, &project.namespace, options, progress)?;
    Ok(migrate::output::outcome(&target, options, started, outcome, format, cli.quiet))
}

fn run_inspect(
    cli: &Cli,
    layout: &Layout,
    dir: Option<&std::path::Path>,
    namespaces: &[String],
    force: bool,
    out: &Out,
) -> Result<ExitCode> {
    let project = if layout.schema.join("schema.yaml").is_file() { Some(load_project(layout)?) } else { None };
    let target = target::chosen(cli, layout, project.as_ref())?.target;
    let namespaces = match (namespaces, &project) {
        ([], Some(p)) => p.managed_namespaces(),
        ([], None) => return Err(Error::new("no project here to take the namespace from: pass --namespace")),
        (list, _) => list.iter().fold(Vec::new(), |mut seen: Vec<String>, n| {
            if !seen.contains(n) {
                seen.push(n.clone());
            }
            seen
        }),
    };
    let adopted = inspect::adopt(&target, &namespaces, project.map(|p| p.name), dir, force)?;
    adopted.warnings.iter().for_each(|w| out.progress(format!("warning: {}", safe(w))));
    if !adopted.differences.is_empty() {
        out.progress(format!(
            "the project read does not reproduce the database: {} when loaded and compared as `schema diff` compares:",
            count(adopted.differences.len(), "difference")
        ));
        adopted.differences.iter().for_each(|d| out.progress(format!("  {}", safe(d))));
        if !force {
            out.progress("nothing written: `--force` writes it anyway, with these differences");
        }
    }
    match &adopted.written {
        Some(dir) => {
            out.say(format!(
                "wrote {} for {} and {} to {}, and an empty {}",
                count(adopted.files.len(), "file"),
                count(adopted.tables, "table"),
                count(adopted.views, "view"),
                dir.join("schema").display(),
                dir.join("migrations").display()
            ));
            let project = dir.display();
            out.progress(format!(
                "next: `schema --project {project} generate`, then `schema --project {project} baseline --version 1` on this database (it runs nothing), then `schema --project {project} diff`"
            ));
        }
        None if !out.json && adopted.given(force) => {
            adopted.files.iter().for_each(|(path, text)| print!("--- # {path}\n{text}"))
        }
        None => {}
    }
    let files: Vec<_> = adopted.files.iter().map(|(path, text)| json!({"path": path, "text": text})).collect();
    out.doc(json!({
        "command": "inspect",
        "database": target.redacted(),
        "namespace": namespaces[0],
        "namespaces": namespaces,
        "written_to": adopted.written,
        "files": if adopted.given(force) { files } else { Vec::new() },
        "warnings": adopted.warnings,
        "differences": adopted.differences,
    }));
    Ok(if adopted.differences.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
