//! Command-line definitions and output. Exit codes, the same for every command: 0 all good,
//! 1 the command ran and found something, 2 it could not run.

use crate::db::Target;
use crate::docs;
use crate::error::{Error, Result};
use crate::generate::{self, Outcome};
use crate::layout::Layout;
use crate::load;
use crate::local::{LocalCluster, LocalStatus};
use crate::migrate::{self, Event, State};
use crate::model::{Dialect, Project};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "schema", version, about = "Analytics warehouse schema as code: YAML → DDL → versioned migrations")]
struct Cli {
    /// Project folder (holding schema/ and migrations/), or the YAML folder itself.
    #[arg(long, global = true, default_value = ".")]
    project: PathBuf,
    /// Target dialect; default: the only dialect of the project, or inferred from the database URL.
    #[arg(long, global = true, value_enum)]
    dialect: Option<DialectArg>,
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DialectArg {
    Postgres,
    Redshift,
}

impl From<DialectArg> for Dialect {
    fn from(d: DialectArg) -> Dialect {
        match d {
            DialectArg::Postgres => Dialect::Postgres,
            DialectArg::Redshift => Dialect::Redshift,
        }
    }
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
    if let Command::Local { action } = cli.command {
        return local(&layout, action);
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
        Command::Render => print!("{}", generate::render_desired(&project, dialect(cli, &project)?)?),
        Command::Generate { name, check, allow_destructive } => {
            match generate::generate(&layout, &project, name.as_deref(), *check, *allow_destructive)? {
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
            let mut client = target.connect().map_err(|e| Error::new(e.to_string()))?;
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
        Command::Local { .. } => unreachable!("handled before the project is loaded"),
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
        Some(url) => Target::parse(url, cli.dialect.map(Into::into), timeout).map_err(|e| Error::new(e.to_string()))?,
        None => {
            let cluster = LocalCluster::new(layout.local_dir());
            let url = cluster.start().map_err(Error::new)?;
            let server =
                Target::parse(&url, Some(Dialect::Postgres), timeout).map_err(|e| Error::new(e.to_string()))?;
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
        (Some(d), _) => Ok(d.into()),
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
