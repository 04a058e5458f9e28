//! Command-line definitions and output. Exit codes, the same for every command: 0 all good,
//! 1 the command ran and found something, 2 it could not run.

use crate::annotations::annotation;
use crate::backfill;
use crate::db::Target;
use crate::dialect::driver;
use crate::docs;
use crate::drift::{self, Report};
use crate::error::{Error, Result};
use crate::inspect;
use crate::layout::Layout;
use crate::load;
use crate::local::{LocalCluster, LocalStatus};
use crate::migrate::{self, Event, State};
use crate::migrations::{self, Outcome};
use crate::model::{Dialect, Project};
use crate::refresh::{self, Progress};
use crate::seed;
use crate::validate::{self, output};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "schema", version, about = "Analytics warehouse schema as code: YAML → DDL → versioned migrations")]
struct Cli {
    /// Project folder (holding schema/ and migrations/), or the YAML folder itself.
    #[arg(long, global = true, default_value = ".")]
    project: PathBuf,
    /// Target dialect; default: the only dialect of the project, or inferred from the database URL.
    #[arg(long, global = true, value_parser = dialects())]
    dialect: Option<Dialect>,
    /// Database URL (postgres://user:password@host:port/db?sslmode=require&sslrootcert=ca.pem);
    /// default: the local development PostgreSQL under .schema/local, started on first use.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Seconds to wait for a connection.
    #[arg(long, global = true, default_value_t = 10)]
    connect_timeout: u64,
    /// Print only errors and findings.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Colour the output: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
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
        #[arg(long)]
        target: Option<i64>,
    },
    /// Applied, pending, divergent and missing migrations; exit 1 if any is divergent or missing.
    Status {
        #[arg(long, value_enum, default_value = "text")]
        format: StatusFormat,
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
        format: DiffFormat,
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
        /// Show up to N keys of the failing rows of each failed check.
        #[arg(long, value_name = "N", default_value_t = 0)]
        samples: usize,
        /// Append the results to <namespace>.schema_validation_runs (created if missing).
        #[arg(long)]
        record: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: ValidateFormat,
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

#[derive(Clone, Copy, ValueEnum)]
enum StatusFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    /// GitHub Actions annotations on the YAML files.
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum ValidateFormat {
    Text,
    Json,
    Junit,
    Github,
}

impl From<ValidateFormat> for output::Format {
    fn from(f: ValidateFormat) -> output::Format {
        match f {
            ValidateFormat::Text => output::Format::Text,
            ValidateFormat::Json => output::Format::Json,
            ValidateFormat::Junit => output::Format::Junit,
            ValidateFormat::Github => output::Format::Github,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum LocalAction {
    Start,
    Stop,
    Status,
    Url,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode> {
    let layout = Layout::find(&cli.project);
    match &cli.command {
        Command::Local { action } => return local(&layout, *action),
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
        Command::Check => {
            let enabled = project.enabled();
            let mvs = project.views.iter().filter(|v| v.materialized).count();
            let checks: usize = enabled.tables.iter().map(|t| t.checks.len()).sum();
            say(format!(
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
            ));
        }
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
        Command::Migrate { dry_run, target } => {
            let options = migrate::Options { target: *target, dry_run: *dry_run, fake: false };
            return run_migrate(cli, &layout, &project, &options);
        }
        Command::Baseline { version } => {
            let options = migrate::Options { target: Some(*version), dry_run: false, fake: true };
            return run_migrate(cli, &layout, &project, &options);
        }
        Command::Status { format } => {
            let target = database(cli, &layout, &project)?;
            let mut client = target.connect()?;
            let entries = migrate::status(&layout, &mut client, &project.namespace, target.dialect())?;
            let problems: Vec<String> = entries.iter().filter_map(migrate::Entry::problem).collect();
            match format {
                StatusFormat::Json => {
                    let doc = serde_json::json!({
                        "database": target.redacted(),
                        "dialect": target.dialect(),
                        "migrations": entries,
                        "problems": problems,
                    });
                    println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
                }
                StatusFormat::Text => print_status(&target, &entries, &problems),
            }
            if !problems.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Docs { out } => {
            let dir = out.clone().unwrap_or_else(|| layout.root.join("docs/schema"));
            say(format!("wrote {}", docs::write(&project, &dir)?.display()));
        }
        Command::Diff { format } => {
            let target = database(cli, &layout, &project)?;
            let mut client = target.connect()?;
            let report = drift::diff(&mut client, target.dialect(), &project)?;
            print_diff(cli, &layout, &project, &target, &report, *format);
            if !report.findings.is_empty() || !report.diff.is_empty() {
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
            print!("{}", output::render(&report, (*format).into(), &target.redacted(), cli.quiet));
            output::problem_lines(&report).iter().for_each(|l| eprintln!("error: {l}"));
            if *record {
                validate::record(&target, &project.namespace, &report)?;
                if !cli.quiet {
                    eprintln!("recorded in {}.{}", project.namespace, validate::RUNS_TABLE);
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
                    eprintln!(
                        "  {table}.{column}{range}: {} ({:.2} s)",
                        count(rows as usize, "row"),
                        took.as_secs_f64()
                    );
                }
                backfill::Event::Column { table, column, rows } => {
                    say(format!("{table}.{column}: {rows} rows updated"))
                }
                _ => {}
            })?;
        }
        Command::Refresh { view } => {
            let target = database(cli, &layout, &project)?;
            let views = refresh::selection(&project, view.as_deref())?;
            let started = std::time::Instant::now();
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
                say(format!(
                    "seeded {}.{table}: {} ({:.2} s)",
                    project.namespace,
                    count(rows as usize, "row"),
                    took.as_secs_f64()
                ))
            })?;
        }
        Command::Local { .. } | Command::Inspect { .. } => unreachable!("handled before the project is loaded"),
    }
    Ok(ExitCode::SUCCESS)
}

fn run_migrate(cli: &Cli, layout: &Layout, project: &Project, options: &migrate::Options) -> Result<ExitCode> {
    let target = database(cli, layout, project)?;
    let verb = if options.fake {
        "recording"
    } else if options.dry_run {
        "would apply"
    } else {
        "applying"
    };
    let started = std::time::Instant::now();
    let outcome = migrate::migrate(layout, &target, &project.namespace, options, |event| match event {
        Event::Applying(l) if options.dry_run => println!("{verb} {}", l.file.path.display()),
        Event::Applying(l) if !cli.quiet => eprint!("{verb} V{}__{} ...", l.file.version, l.file.name),
        Event::Applied(_, took) if !cli.quiet => eprintln!(" ok ({:.2} s)", took.as_secs_f64()),
        _ => {}
    })?;
    match outcome {
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            println!("refusing to migrate {}: restore the files or repair the history first", target.redacted());
            Ok(ExitCode::from(1))
        }
        Ok(done) if !options.dry_run && !cli.quiet => {
            let n = done.len();
            if n == 0 {
                println!("{} is up to date", target.redacted());
            } else {
                let what = if options.fake { "recorded" } else { "applied" };
                println!(
                    "{what} {n} migration{} in {:.2} s",
                    if n == 1 { "" } else { "s" },
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => Ok(ExitCode::SUCCESS),
    }
}

fn print_status(target: &Target, entries: &[migrate::Entry], problems: &[String]) {
    println!("{} ({})", target.redacted(), target.dialect());
    println!("{:<9} {:<32} {:<10} applied on", "version", "name", "state");
    for e in entries {
        let state = match e.state {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Divergent => "DIVERGENT",
            State::Missing => "MISSING",
        };
        println!(
            "{:<9} {:<32} {:<10} {}",
            format!("V{}", e.version),
            e.name,
            state,
            e.applied_on.as_deref().unwrap_or("-")
        );
    }
    let count = |s: State| entries.iter().filter(|e| e.state == s).count();
    println!("{} applied, {} pending", count(State::Applied), count(State::Pending));
    for p in problems {
        println!("{p}");
    }
}

/// The database a command works on: `--database-url` / `DATABASE_URL`, else the local
/// development cluster (started on first use) and a database named after the project.
fn database(cli: &Cli, layout: &Layout, project: &Project) -> Result<Target> {
    let timeout = Duration::from_secs(cli.connect_timeout);
    let target = match &cli.database_url {
        Some(url) => Target::parse(url, cli.dialect, timeout)?,
        None => {
            let cluster = LocalCluster::new(layout.local_dir());
            let url = cluster.start().map_err(Error::new)?;
            let server = Target::parse(&url, Some(crate::dialect::LOCAL), timeout)?;
            cluster.ensure_database(&server, &project.name).map_err(Error::new)?
        }
    };
    if !project.dialects.contains(&target.dialect()) {
        return Err(Error::new(format!(
            "{} is a {} database but the project targets {}; pass --dialect if the guess is wrong",
            target.redacted(),
            target.dialect(),
            join(&project.dialects)
        )));
    }
    Ok(target)
}

fn print_diff(cli: &Cli, layout: &Layout, project: &Project, target: &Target, report: &Report, format: DiffFormat) {
    let drift = !report.findings.is_empty() || !report.diff.is_empty();
    match format {
        DiffFormat::Json => {
            let doc = serde_json::json!({
                "database": target.redacted(),
                "dialect": target.dialect(),
                "namespace": project.namespace,
                "drift": drift,
                "findings": report.findings,
                "diff": report.diff,
                "warnings": report.warnings,
                "catalog_queries": report.queries,
            });
            println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
            return;
        }
        DiffFormat::Github => {
            let files = load::declarations(&layout.schema);
            for f in &report.findings {
                let (file, line) = locate(layout, &files, &f.owner, f.item.as_deref());
                let message = format!("{}: expected {}, found {}", f.object, or_none(&f.expected), or_none(&f.actual));
                let title = format!("schema drift: {}", f.kind);
                println!("{}", annotation("error", &title, &message, Some((&file, line))));
            }
            if report.findings.is_empty() && drift {
                let message = "the canonical DDL of the database differs from the YAML";
                println!("{}", annotation("error", "schema drift", message, None));
            }
            report.warnings.iter().for_each(|w| println!("{}", annotation("warning", "schema diff", w, None)));
            return;
        }
        DiffFormat::Text => {}
    }
    for w in report.warnings.iter().filter(|_| !cli.quiet) {
        eprintln!("warning: {w}");
    }
    let where_ = format!("{} on {} ({})", project.namespace, target.redacted(), target.dialect());
    if !drift {
        if !cli.quiet {
            println!("no drift: {where_} matches the YAML (phases {})", join(&project.phases));
        }
        return;
    }
    let paint = colors(cli);
    let n = report.findings.len();
    println!("drift: {where_} differs from the YAML: {n} finding{}", if n == 1 { "" } else { "s" });
    for f in &report.findings {
        println!("  {} {}", paint.apply(BOLD, &format!("{:<15}", f.kind.to_string())), f.object);
        println!("      expected: {}", one_line(&or_none(&f.expected)));
        println!("      found:    {}", one_line(&or_none(&f.actual)));
    }
    if n == 0 {
        println!("  the canonical DDL differs although no finding covers it (please report this)");
    }
    if !report.diff.is_empty() && !cli.quiet {
        println!();
        for line in report.diff.lines() {
            let style = match line.as_bytes().first() {
                _ if line.starts_with("---") || line.starts_with("+++") => BOLD,
                Some(b'@') => CYAN,
                Some(b'-') => RED,
                Some(b'+') => GREEN,
                _ => "",
            };
            println!("{}", paint.apply(style, line));
        }
    }
}

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";

struct Paint(bool);

impl Paint {
    fn apply(&self, style: &str, text: &str) -> String {
        if self.0 && !style.is_empty() {
            format!("{style}{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// `--color`, where `auto` means a terminal and no (non-empty) NO_COLOR.
fn colors(cli: &Cli) -> Paint {
    Paint(match cli.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
    })
}

fn or_none(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "nothing".into())
}

/// First line, at most 100 characters: bodies and long comments are in the diff below.
fn one_line(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    let mut short: String = first.chars().take(100).collect();
    if short.len() < text.len() {
        short.push_str(" …");
    }
    short
}

/// The YAML file and line of a finding: the object's file at the line naming the column or
/// index, or its first line; schema.yaml (where `ignore:` goes) for objects the YAML lacks.
fn locate(
    layout: &Layout,
    files: &std::collections::BTreeMap<String, PathBuf>,
    owner: &str,
    item: Option<&str>,
) -> (String, usize) {
    let path = files.get(owner).cloned().unwrap_or_else(|| layout.schema.join("schema.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let line = item
        .and_then(|item| {
            text.lines().position(|l| {
                l.split("name:").skip(1).any(|rest| {
                    let word = rest.trim_start().trim_start_matches(['"', '\'']);
                    word.strip_prefix(item)
                        .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
                })
            })
        })
        .map_or(1, |i| i + 1);
    let shown =
        std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf)).unwrap_or(path);
    (shown.display().to_string().trim_start_matches("./").to_string(), line)
}

fn run_inspect(cli: &Cli, layout: &Layout, out: Option<&Path>, namespace: Option<&str>) -> Result<ExitCode> {
    let project = if layout.schema.join("schema.yaml").is_file() { Some(load_project(layout)?) } else { None };
    let target = match (&project, &cli.database_url) {
        (Some(p), _) => database(cli, layout, p)?,
        (None, Some(url)) => Target::parse(url, cli.dialect, Duration::from_secs(cli.connect_timeout))?,
        (None, None) => return Err(Error::new("no project here to take the database from: pass --database-url")),
    };
    let namespace = namespace
        .map(str::to_string)
        .or(project.as_ref().map(|p| p.namespace.clone()))
        .ok_or_else(|| Error::new("no project here to take the namespace from: pass --namespace"))?;
    let namespace = namespace.as_str();
    let mut client = target.connect()?;
    let (live, _) = driver(target.dialect()).inspect(&mut client, namespace, None)?;
    let mut adopted = live.project;
    adopted.name = project.map_or_else(|| namespace.to_string(), |p| p.name);
    let (files, mut warnings) = inspect::files(&adopted);
    warnings.extend(live.warnings);
    warnings.extend(
        live.foreign_types
            .iter()
            .map(|(t, c, ty)| format!("{t}.{c}: type `{ty}` cannot be written in the YAML format; left out")),
    );
    warnings.extend(live.unknown.iter().map(|(object, what)| format!("{object}: the catalog does not show {what}")));
    if adopted.tables.is_empty() && adopted.views.is_empty() {
        warnings.push(format!("{namespace} has no tables or views on {}", target.redacted()));
    }
    for w in warnings.iter().filter(|_| !cli.quiet) {
        eprintln!("warning: {w}");
    }
    let Some(dir) = out else {
        for (path, text) in &files {
            print!("--- # {path}\n{text}");
        }
        return Ok(ExitCode::SUCCESS);
    };
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Error::new(format!(
            "{} is not empty: inspect writes only into an empty or new folder",
            dir.display()
        )));
    }
    for (path, text) in &files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| Error::new(format!("writing {}: {e}", path.display())))?;
    }
    if !cli.quiet {
        println!(
            "wrote {} files for {} tables and {} views to {}",
            files.len(),
            adopted.tables.len(),
            adopted.views.len(),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn local(layout: &Layout, action: LocalAction) -> Result<ExitCode> {
    let cluster = LocalCluster::new(layout.local_dir());
    match action {
        LocalAction::Start => println!("{}", cluster.start().map_err(Error::new)?),
        LocalAction::Stop => {
            cluster.stop().map_err(Error::new)?;
            println!("stopped");
        }
        LocalAction::Status | LocalAction::Url => match (cluster.status(), action) {
            (LocalStatus::Running { url, .. }, _) => println!("{url}"),
            (status, LocalAction::Status) => {
                println!("{}", if matches!(status, LocalStatus::Stopped) { "stopped" } else { "not created" });
                return Ok(ExitCode::from(1));
            }
            _ => return Err(Error::new("the local PostgreSQL is not running: `schema local start`")),
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn load_project(layout: &Layout) -> Result<Project> {
    load::load(&layout.schema).map_err(|diags| {
        for d in &diags {
            eprintln!("{d}");
        }
        let n = diags.len();
        Error::new(format!("{n} problem{} in {}", if n == 1 { "" } else { "s" }, layout.schema.display()))
    })
}

/// The dialect a command works in: `--dialect`, else the project's only dialect.
fn dialect(cli: &Cli, project: &Project) -> Result<Dialect> {
    match (cli.dialect, project.dialects.as_slice()) {
        (Some(d), _) => Ok(d),
        (None, [only]) => Ok(*only),
        (None, _) => {
            Err(Error::new(format!("the project targets {}: choose one with --dialect", join(&project.dialects))))
        }
    }
}

/// `1 table`, `2 tables`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
