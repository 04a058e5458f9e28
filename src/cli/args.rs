//! The command line's arguments: global options, then each command's own.

use crate::model::Dialect;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "schema", version, about = "Analytics warehouse schema as code: YAML → DDL → versioned migrations")]
pub struct Cli {
    /// Project folder (holding schema/ and migrations/), or the YAML folder itself.
    #[arg(long, global = true, default_value = ".", help_heading = GLOBAL)]
    pub project: PathBuf,
    /// Target dialect; default: the only dialect of the project, or inferred from the database URL.
    #[arg(long, global = true, value_parser = dialects(), help_heading = GLOBAL)]
    pub dialect: Option<Dialect>,
    /// Database to use: a postgres:// URL or libpq key=value pairs (env: DATABASE_URL). The
    /// PG* variables and ~/.pgpass fill what it leaves out.
    #[arg(long, global = true, value_name = "URL", conflicts_with_all = ["target", "local"], help_heading = DATABASE)]
    pub database_url: Option<String>,
    /// Database to use: a target of schema.yaml's `targets:` (env: SCHEMA_TARGET).
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "local", help_heading = DATABASE)]
    pub target: Option<String>,
    /// Use the local development PostgreSQL under .schema/local (started on first use).
    #[arg(long, global = true, help_heading = DATABASE)]
    pub local: bool,
    /// Seconds to wait for a connection [default: the target's, PGCONNECT_TIMEOUT, or 10].
    #[arg(long, global = true, value_name = "SECONDS", help_heading = DATABASE)]
    pub connect_timeout: Option<u64>,
    /// Output: text, or json (every command, errors included); diff also github and sql,
    /// validate also junit and github, plan also markdown.
    #[arg(long, global = true, value_enum, default_value = "text", help_heading = GLOBAL)]
    pub format: OutputFormat,
    /// Print only errors and findings.
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub quiet: bool,
    /// Colour the output: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value = "auto", help_heading = GLOBAL)]
    pub color: ColorArg,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, listed apart from each command's own.
const GLOBAL: &str = "Global options";
/// How commands that use a database find it (check, render, generate and docs use none).
const DATABASE: &str = "Database (commands that use one)";

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// GitHub Actions annotations.
    Github,
    /// JUnit XML.
    Junit,
    Markdown,
    /// The statements that would bring the database to the YAML (diff).
    Sql,
}

/// Commands that use no database (check and generate only a dev database, given `--dev-url`).
const NO_DATABASE: [&str; 9] =
    ["init", "check", "render", "generate", "docs", "completions", "man", "json-schema", "local"];

/// The command line, for completions and man pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The help of a command that uses no database, without the database options (global options
/// reach every command; those commands ignore them). None for other commands.
pub fn help_without_database(args: impl Iterator<Item = String>) -> Option<clap::builder::StyledStr> {
    let name = args.filter(|a| !a.starts_with('-')).find(|a| NO_DATABASE.contains(&a.as_str()))?;
    let mut cmd = command();
    cmd.build();
    let sc = cmd.find_subcommand_mut(&name)?;
    let mut sc = ["database_url", "target", "local", "connect_timeout"]
        .into_iter()
        .fold(std::mem::take(sc), |sc, a| sc.mut_arg(a, |a| a.hide(true)));
    Some(sc.render_long_help())
}

/// `--dialect` takes the names of the dialects the tool has drivers for.
fn dialects() -> impl clap::builder::TypedValueParser<Value = Dialect> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Dialect::ALL.map(Dialect::name)).try_map(|s| s.parse::<Dialect>())
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a project: schema/ with a commented schema.yaml, an example table and view, and a
    /// .gitignore keeping out the local database (.schema/).
    Init {
        /// Project folder [default: the current folder].
        dir: Option<PathBuf>,
        /// Dialects to generate migrations for.
        #[arg(long, value_delimiter = ',', value_parser = dialects(), default_value = "postgres")]
        dialects: Vec<Dialect>,
        /// The database schema the objects live in [default: the project's name].
        #[arg(long)]
        namespace: Option<String>,
    },
    /// Load and lint the YAML; no database needed. With --dev-url, also apply the migrations and
    /// what the YAML adds to them to a scratch database, so view bodies meet real columns.
    Check {
        #[command(flatten)]
        dev: DevUrl,
    },
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
        /// Regenerate the newest generated migration, which no database may have applied: its
        /// files go and the state.json it replaced comes back, then generate runs again (the way
        /// out of a bad generate).
        #[arg(long, conflicts_with = "check")]
        redo: bool,
        #[command(flatten)]
        dev: DevUrl,
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
        /// Write the migrations as one psql script instead (history rows included, each
        /// migration skipped where already applied), for a database this machine cannot reach;
        /// connects to nothing. The dialect: --dialect, the --target's, or the project's only one.
        #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
        script: Option<PathBuf>,
        #[command(flatten)]
        timeouts: Timeouts,
    },
    /// Applied, pending, divergent, renamed, missing and unreadable migrations; exit 1 on any but
    /// applied and pending.
    Status,
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
        /// Print the statements that would bring the database to the YAML (`--format sql`).
        #[arg(long)]
        sql: bool,
    },
    /// Write the database's schema as YAML project files, to adopt an existing database. The
    /// files are first loaded and compared with the database as `diff` would: exit 1, and
    /// nothing written, if they do not reproduce it.
    Inspect {
        /// Project folder to write (must be empty or absent): schema/ (schema.yaml, tables/,
        /// views/) and an empty migrations/; default: print the YAML files.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Schema to read (repeatable, or comma-separated: `raw,staging,mart`). The first becomes
        /// the project's namespace, the others are managed beside it; default: the project's.
        #[arg(long = "namespace", value_name = "NAMESPACE", value_delimiter = ',')]
        namespaces: Vec<String>,
        /// Write (or print) the project even when it does not reproduce the database as read;
        /// the differences are listed and the exit code stays 1.
        #[arg(long)]
        force: bool,
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
        /// Only rows from this day on (YYYY-MM-DD, today, yesterday or e.g. 3d), on tables whose
        /// leading sort-key column is a date or timestamp (others are checked whole).
        #[arg(long, value_name = "DAY")]
        since: Option<String>,
        /// Only rows matching this SQL condition, on every table (e.g. load_batch = 42).
        #[arg(long = "where", value_name = "CONDITION")]
        filter: Option<String>,
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
        /// Append the keys of up to N failing rows (at most 1000) of each failed check to
        /// <namespace>.schema_validation_failures, under the run id --record uses.
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "100")]
        store_failures: Option<usize>,
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
    /// For review before merging: each pending migration with its SQL and hazards. Given a
    /// database (--target, --database-url, --local or their variables), the migrations pending
    /// there and the rows and bytes of every table a rewrite or deep copy touches; else, what
    /// `generate` would write for each dialect.
    Plan,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (schema.1 and one per command) into a folder (`make man`).
    #[command(hide = true)]
    Man {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Write the JSON Schemas of the YAML files into a folder (`make jsonschema`).
    #[command(hide = true)]
    JsonSchema {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
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
pub struct Timeouts {
    /// Longest wait for a table lock, e.g. 30s or 2m (PostgreSQL lock_timeout; Redshift has no
    /// such setting) [default: the target's lock_timeout, else 30s].
    #[arg(long, value_name = "DURATION", value_parser = crate::model::targets::parse_duration)]
    pub lock_timeout: Option<Duration>,
    /// Longest a statement may run, e.g. 2h; 0 is no limit (statement_timeout) [default: the
    /// target's statement_timeout, else no limit].
    #[arg(long, value_name = "DURATION", value_parser = crate::model::targets::parse_duration)]
    pub statement_timeout: Option<Duration>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// The dev database of check and generate (Atlas's dev database): a PostgreSQL server on which
/// scratch databases are created, migrated and dropped.
#[derive(clap::Args, Clone)]
pub struct DevUrl {
    /// Prove the migrations on a scratch database of this server before writing anything
    /// (PostgreSQL files as they are, Redshift files through the Redshift emulation). Without a
    /// value: the project's (`dev_url:`, or the target with `dev: true`); --local: the local
    /// PostgreSQL. generate uses the project's whenever it names one.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub dev_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LocalAction {
    Start,
    Stop,
    Status,
    Url,
}
