//! The command line: arguments, and dispatch to the command modules, whose output lives beside
//! them. Exit codes, the same for every command: 0 all good, 1 the command ran and found
//! something, 2 it could not run.

mod target;

use crate::db::Target;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::migrations::{self, Outcome};
use crate::model::Dialect;
use crate::refresh::{self, Progress};
use crate::{backfill, docs, drift, inspect, migrate, seed, validate};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use target::{database, dialect, load_project};

#[derive(Parser)]
#[command(name = "schema", version, about = "Analytics warehouse schema as code: YAML → DDL → versioned migrations")]
struct Cli {
    /// Project folder (holding schema/ and migrations/), or the YAML folder itself.
    #[arg(long, global = true, default_value = ".")]
    project: PathBuf,
    /// Target dialect; default: the only dialect of the project, or inferred from the database URL.
    #[arg(long, global = true, value_parser = dialects())]
    dialect: Option<Dialect>,
    /// Database to use: a postgres:// URL or libpq key=value pairs (env: DATABASE_URL). The
    /// PG* variables and ~/.pgpass fill what it leaves out.
    #[arg(long, global = true, value_name = "URL", conflicts_with_all = ["target", "local"])]
    database_url: Option<String>,
    /// Database to use: a target of schema.yaml's `targets:` (env: SCHEMA_TARGET).
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "local")]
    target: Option<String>,
    /// Use the local development PostgreSQL under .schema/local (started on first use).
    #[arg(long, global = true)]
    local: bool,
    /// Seconds to wait for a connection [default: the target's, PGCONNECT_TIMEOUT, or 10].
    #[arg(long, global = true, value_name = "SECONDS")]
    connect_timeout: Option<u64>,
    /// Print only errors and findings.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Colour the output: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorArg,
    #[command(subcommand)]
    command: Command,
}

/// `--dialect` takes the names of the dialects the tool has drivers for.
fn dialects() -> impl clap::builder::TypedValueParser<Value = Dialect> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Dialect::ALL.map(Dialect::name)).try_map(|s| s.parse::<Dialect>())
}

#[derive(Subcommand)]
enum Command {
    /// Load and lint the YAML; no database needed.
    Check,
    /// Print the DDL of the desired state (enabled phases) for one dialect.
    Render,
    /// Write the next versioned migration for each dialect from the YAML changes.
    Generate {
        /// Migration name: letters, digits and `_` (default `initial`, then `update`).
        #[arg(long)]
        name: Option<String>,
        /// CI gate: exit 1 when the YAML changed and no migration was generated, or a
        /// generated file was edited; write nothing.
        #[arg(long)]
        check: bool,
        /// Allow drops, narrowing type changes and table rewrites (listed otherwise, exit 1).
        #[arg(long)]
        allow_destructive: bool,
    },
    /// Apply pending migrations, each atomically with its history row, under a lock.
    Migrate {
        /// List what would be applied; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply up to and including this version.
        #[arg(long, value_name = "VERSION")]
        to: Option<i64>,
        /// Also apply migrations added below the highest applied version.
        #[arg(long)]
        allow_out_of_order: bool,
        #[command(flatten)]
        timeouts: Timeouts,
    },
    /// Applied, pending, divergent, renamed, missing and unreadable migrations; exit 1 on any but
    /// applied and pending.
    Status {
        #[arg(long, value_enum, default_value = "text")]
        format: migrate::output::Format,
    },
    /// Mark an existing database as already migrated up to a version, running nothing.
    Baseline {
        #[arg(long)]
        version: i64,
    },
    /// Write a Markdown reference of the project (tables, views, checks, Mermaid diagrams) to
    /// <DIR>/<project name>.md.
    Docs {
        /// Output folder [default: docs/schema under the project root].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Compare the database with the YAML (enabled phases); exit 1 on any difference.
    Diff {
        #[arg(long, value_enum, default_value = "text")]
        format: drift::output::Format,
        /// Print the statements that would bring the database to the YAML (`--format sql`).
        #[arg(long)]
        sql: bool,
    },
    /// Write the database's schema as YAML project files, to adopt an existing database.
    Inspect {
        /// Folder to write schema.yaml, tables/ and views/ into (must be empty or absent);
        /// default: print them.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Schema to read; default: the namespace of the project, if there is one.
        #[arg(long)]
        namespace: Option<String>,
    },
    /// Run the data checks of the enabled phases, all checks of a table (and window) in one
    /// scan. Exit 1 if an error-severity check fails, 2 if a check could not run.
    Validate {
        /// Only this table (repeatable).
        #[arg(long = "table", value_name = "TABLE")]
        tables: Vec<String>,
        /// Only this check (repeatable).
        #[arg(long = "check", value_name = "CHECK")]
        checks: Vec<String>,
        /// Only rows from this day on, on tables whose leading sort-key column is a date or
        /// timestamp (others are checked whole).
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        /// Tables checked at once, one connection each.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// Statement timeout per query, in seconds (0: none).
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        timeout: u64,
        /// Show up to N keys (at most 1000) of the failing rows of each failed check.
        #[arg(long, value_name = "N", default_value_t = 0)]
        samples: usize,
        /// Append the results to <namespace>.schema_validation_runs (created if missing).
        #[arg(long)]
        record: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: validate::output::Format,
        /// Print the queries instead of running them.
        #[arg(long)]
        sql: bool,
    },
    /// Fill derived columns where they are NULL, in batches of days of their source column,
    /// each batch its own transaction; safe to interrupt and run again.
    Backfill {
        /// Only this table (repeatable).
        #[arg(long = "table", value_name = "TABLE")]
        tables: Vec<String>,
        /// Days of the source column per UPDATE.
        #[arg(long, value_name = "N", default_value_t = 7)]
        batch_days: u32,
        /// Also rewrite values that differ from the expression.
        #[arg(long)]
        mismatched: bool,
    },
    /// Refresh the materialized views, each after the views it reads; stop at the first failure.
    Refresh {
        /// Only this view and the views that read it.
        #[arg(long)]
        view: Option<String>,
        #[command(flatten)]
        timeouts: Timeouts,
    },
    /// Load deterministic synthetic rows (PostgreSQL), optionally with rows failing chosen checks.
    Seed {
        /// Rows per table.
        #[arg(long, default_value_t = 1000)]
        rows: u64,
        /// Random seed: the same seed and --end give the same rows.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Only this table and the tables it references (repeatable; default all but reference data).
        #[arg(long = "table", value_name = "TABLE")]
        tables: Vec<String>,
        /// Make COUNT rows fail CHECK, on TABLE or on every seeded table that has the check
        /// (repeatable), e.g. event_date_not_null=100 or usage_metrics.latency=20.
        #[arg(long = "defect", value_name = "[TABLE.]CHECK=COUNT")]
        defects: Vec<String>,
        /// Days the rows span, ending the day before --end.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// First day after the data (default: today, UTC).
        #[arg(long, value_name = "YYYY-MM-DD")]
        end: Option<String>,
        /// Empty the tables first (otherwise tables with rows are refused).
        #[arg(long)]
        replace: bool,
    },
    /// The local development PostgreSQL (under .schema/local) used when no database URL is given.
    Local {
        #[arg(value_enum)]
        action: LocalAction,
    },
}

/// How long migrate and refresh may wait and run: the flag, else the target's setting, else
/// the default.
#[derive(clap::Args, Clone, Copy)]
struct Timeouts {
    /// Longest wait for a table lock, e.g. 30s or 2m (PostgreSQL lock_timeout; Redshift has no
    /// such setting) [default: the target's lock_timeout, else 30s].
    #[arg(long, value_name = "DURATION", value_parser = crate::model::targets::parse_duration)]
    lock_timeout: Option<Duration>,
    /// Longest a statement may run, e.g. 2h; 0 is no limit (statement_timeout) [default: the
    /// target's statement_timeout, else no limit].
    #[arg(long, value_name = "DURATION", value_parser = crate::model::targets::parse_duration)]
    statement_timeout: Option<Duration>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum LocalAction {
    Start,
    Stop,
    Status,
    Url,
}

pub fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|e| exit_redacted(e));
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
            ExitCode::from(e.exit_code())
        }
    }
}

/// clap's errors echo the offending argument: a database URL given where none is expected
/// (`schema status postgres://...`) must not show its password.
fn exit_redacted(e: clap::Error) -> ! {
    if !e.use_stderr() {
        e.exit();
    }
    anstream::eprint!("{}", crate::db::redact_urls(&e.render().ansi().to_string()));
    std::process::exit(e.exit_code());
}

fn run(cli: &Cli) -> Result<ExitCode> {
    let layout = Layout::find(&cli.project);
    match &cli.command {
        Command::Local { action } => return target::local(&layout, *action),
        Command::Inspect { out, namespace } => return run_inspect(cli, &layout, out.as_deref(), namespace.as_deref()),
        _ => {}
    }
    let project = load_project(&layout)?;
    let say = |msg: String| {
        if !cli.quiet {
            println!("{msg}");
        }
    };
    match &cli.command {
        Command::Check => say(check_summary(&project)),
        Command::Render => print!("{}", crate::plan::create_all(&project.enabled(), dialect(cli, &project)?)?),
        Command::Generate { name, check, allow_destructive } => {
            match migrations::generate(&layout, &project, name.as_deref(), *check, *allow_destructive)? {
                Outcome::UpToDate => say("migrations are up to date with the YAML".into()),
                Outcome::Written(files) => files.iter().for_each(|f| say(format!("wrote {}", f.display()))),
                Outcome::Refused(lines) => {
                    println!("refusing to generate: these changes destroy data or rewrite whole tables:");
                    lines.iter().for_each(|l| println!("  {l}"));
                    println!("nothing was written; review them and run again with --allow-destructive");
                    return Ok(ExitCode::from(1));
                }
                Outcome::Pending(lines) => {
                    println!("the migrations do not match the YAML:");
                    lines.iter().for_each(|l| println!("  {l}"));
                    if lines.iter().any(|l| l.starts_with("pending:")) {
                        println!("run `schema generate --name <what_changed>` and commit the result");
                    }
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Migrate { dry_run, to, allow_out_of_order, timeouts } => {
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
        Command::Status { format } => {
            let target = database(cli, &layout, &project)?;
            let mut client = target.connect()?;
            let entries = migrate::status(&layout, &mut client, &project.namespace, target.dialect())?;
            return Ok(migrate::output::status(&target, &entries, *format));
        }
        Command::Docs { out } => {
            let dir = out.clone().unwrap_or_else(|| layout.root.join("docs/schema"));
            say(format!("wrote {}", docs::write(&project, &dir)?.display()));
        }
        Command::Diff { format, sql } => {
            let target = database(cli, &layout, &project)?;
            let mut client = target.connect()?;
            let report = drift::diff(&mut client, target.dialect(), &project)?;
            let format = if *sql { drift::output::Format::Sql } else { *format };
            drift::output::print(&layout, &project, &target, &report, format, cli.quiet);
            if report.drift() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Validate { tables, checks, since, jobs, timeout, samples, record, format, sql } => {
            let options = validate::Options {
                tables: tables.clone(),
                checks: checks.clone(),
                since: since.clone(),
                samples: *samples,
            };
            if *sql {
                // No connection: the dialect comes from --dialect, the URL or the project.
                let dialect = match &cli.database_url {
                    Some(url) => Target::parse(url, cli.dialect, Duration::ZERO)?.dialect(),
                    None => dialect(cli, &project)?,
                };
                let plan = validate::plan(&project, dialect, &options)?;
                plan.queries()?.iter().for_each(|q| println!("{q}\n"));
                return Ok(ExitCode::SUCCESS);
            }
            let target = database(cli, &layout, &project)?;
            let plan = validate::plan(&project, target.dialect(), &options)?;
            let report = plan.run(&target, *jobs, Duration::from_secs(*timeout))?;
            let out = validate::output::render(&report, *format, &target.redacted(), cli.quiet);
            print!("{out}");
            validate::output::problem_lines(&report).iter().for_each(|l| eprintln!("error: {l}"));
            if *record {
                validate::record(&target, &project.namespace, &report)?;
                if !cli.quiet {
                    eprintln!("recorded in {}.{}", project.namespace, crate::layout::RUNS_TABLE);
                }
            }
            return Ok(ExitCode::from(report.exit_code()));
        }
        Command::Backfill { tables, batch_days, mismatched } => {
            let target = database(cli, &layout, &project)?;
            let options =
                backfill::Options { tables: tables.clone(), batch_days: *batch_days, mismatched: *mismatched };
            backfill::backfill(&target, &project, &options, |event| match event {
                backfill::Event::Batch { table, column, days, rows, took } if !cli.quiet => {
                    let range = days.map(|(a, b)| format!(" {a} to {b}")).unwrap_or_default();
                    let rows = count(rows as usize, "row");
                    eprintln!("  {table}.{column}{range}: {rows} ({:.2} s)", took.as_secs_f64());
                }
                backfill::Event::Column { table, column, rows } => {
                    say(format!("{table}.{column}: {rows} rows updated"))
                }
                _ => {}
            })?;
        }
        Command::Refresh { view, timeouts } => {
            let target = target::bounded(target::chosen(cli, &layout, Some(&project))?, *timeouts);
            let views = refresh::selection(&project, view.as_deref())?;
            let started = Instant::now();
            refresh::refresh(&target, &project.namespace, &views, |v, progress| match progress {
                _ if cli.quiet => {}
                Progress::Started => eprint!("refreshing {}.{} ...", project.namespace, v.name),
                Progress::Done(took) => eprintln!(" ok ({:.2} s)", took.as_secs_f64()),
                Progress::Failed => eprintln!(" failed"),
            })?;
            let n = count(views.len(), "materialized view");
            say(format!("refreshed {n} in {:.2} s", started.elapsed().as_secs_f64()));
        }
        Command::Seed { rows, seed, tables, defects, days, end, replace } => {
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
            seed::seed(&target, &project, &options, |table, rows, took| {
                let rows = count(rows as usize, "row");
                say(format!("seeded {}.{table}: {rows} ({:.2} s)", project.namespace, took.as_secs_f64()))
            })?;
        }
        Command::Local { .. } | Command::Inspect { .. } => unreachable!("handled before the project is loaded"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `schema check`'s one line.
fn check_summary(project: &crate::model::Project) -> String {
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

fn run_migrate(
    cli: &Cli,
    layout: &Layout,
    project: &crate::model::Project,
    options: &migrate::Options,
    timeouts: Timeouts,
) -> Result<ExitCode> {
    let target = target::bounded(target::chosen(cli, layout, Some(project))?, timeouts);
    let started = Instant::now();
    let outcome =
        migrate::migrate(layout, &target, &project.namespace, options, migrate::output::progress(options, cli.quiet))?;
    Ok(migrate::output::outcome(&target, options, started, outcome, cli.quiet))
}

fn run_inspect(cli: &Cli, layout: &Layout, out: Option<&std::path::Path>, namespace: Option<&str>) -> Result<ExitCode> {
    let project = if layout.schema.join("schema.yaml").is_file() { Some(load_project(layout)?) } else { None };
    let target = target::chosen(cli, layout, project.as_ref())?.target;
    let namespace = namespace
        .map(str::to_string)
        .or(project.as_ref().map(|p| p.namespace.clone()))
        .ok_or_else(|| Error::new("no project here to take the namespace from: pass --namespace"))?;
    let name = project.map(|p| p.name);
    inspect::adopt(&target, &namespace, name, out, cli.quiet)?;
    Ok(ExitCode::SUCCESS)
}

/// `1 table`, `2 tables`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
