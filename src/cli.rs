//! Command-line definitions and output. Exit codes, the same for every command: 0 all good,
//! 1 the command ran and found something, 2 it could not run.

use crate::error::{Error, Result};
use crate::generate::{self, Outcome};
use crate::layout::Layout;
use crate::load;
use crate::model::{Dialect, Project};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "schema", version, about = "Analytics warehouse schema as code: YAML → DDL → versioned migrations")]
struct Cli {
    /// Project folder (holding schema/ and migrations/), or the YAML folder itself.
    #[arg(long, global = true, default_value = ".")]
    project: PathBuf,
    /// Target dialect; default: the only dialect of the project, or inferred from the database URL.
    #[arg(long, global = true, value_enum)]
    dialect: Option<DialectArg>,
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
    },
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
                "ok: {} ({}): {} tables, {} views, {} materialized views; phases {} enabled ({} tables, {} checks); dialects {}",
                project.name,
                project.namespace,
                project.tables.len(),
                project.views.len() - mvs,
                mvs,
                join(&project.phases),
                enabled.tables.len(),
                checks,
                join(&project.dialects),
            ));
        }
        Command::Render => print!("{}", generate::render_desired(&project, dialect(cli, &project)?)?),
        Command::Generate { name, check } => match generate::generate(&layout, &project, name.as_deref(), *check)? {
            Outcome::UpToDate => say("migrations are up to date with the YAML".into()),
            Outcome::Written(files) => files.iter().for_each(|f| say(format!("wrote {}", f.display()))),
            Outcome::Pending(lines) => {
                println!("the migrations do not match the YAML:");
                lines.iter().for_each(|l| println!("  {l}"));
                if lines.iter().any(|l| l.starts_with("pending:")) {
                    println!("run `schema generate --name <what_changed>` and commit the result");
                }
                return Ok(ExitCode::from(1));
            }
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

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
