//! Which project and database a command works on.

use super::args::{Cli, Timeouts};
use super::join;
use crate::connect::{self, Chosen, Request};
use crate::db::{environment_names_a_database, Env, Params, Target};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::load;
use crate::model::targets::Connection;
use crate::model::{Dialect, Project};
use std::time::Duration;

pub fn load_project(layout: &Layout) -> Result<Project> {
    if !layout.schema.exists() {
        return Err(Error::new(format!(
            "no project in {}: there is no {}; `schema init` creates one (or pass --project DIR)",
            layout.root.display(),
            layout.schema.join("schema.yaml").display()
        )));
    }
    load::load(&layout.schema)
        .map_err(|diagnostics| Error::Load { dir: layout.schema.display().to_string(), diagnostics })
}

/// The database a command works on (see `connect::choose`), named on stderr before anything
/// touches it, with the password masked.
pub fn chosen(cli: &Cli, layout: &Layout, project: Option<&Project>) -> Result<Chosen> {
    let chosen = connect::choose(&request(cli), layout, project, &Env::process())?;
    if !cli.quiet {
        eprintln!("{}", chosen.describe());
    }
    let dialect = chosen.target.dialect();
    if let Some(project) = project.filter(|p| !p.dialects.contains(&dialect)) {
        return Err(Error::new(format!(
            "{} is a {dialect} database but the project targets {}; pass --dialect if the guess is wrong",
            chosen.target.redacted(),
            join(&project.dialects)
        )));
    }
    Ok(chosen)
}

/// When migrate and refresh give up: a lock wait of 30 s fails a deploy that a long query
/// blocks, instead of queueing every reader behind it; statements themselves are not bounded.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// The chosen database with its session's timeouts: the flag, else the target's, else the default.
pub fn bounded(chosen: Chosen, flags: Timeouts) -> Target {
    let spec = chosen.spec.as_ref();
    let lock = flags.lock_timeout.or(spec.and_then(|s| s.lock_timeout)).unwrap_or(DEFAULT_LOCK_TIMEOUT);
    let statement = flags.statement_timeout.or(spec.and_then(|s| s.statement_timeout)).unwrap_or(Duration::ZERO);
    let settings = crate::dialect::driver(chosen.target.dialect()).timeouts(lock, statement);
    chosen.target.with_session(settings)
}

/// Whether a database is named by a flag or its variable (not by the project's default target).
pub fn named_explicitly(cli: &Cli) -> bool {
    connect::named_explicitly(&request(cli), &Env::process())
}

/// What the command line asks of `connect`.
pub fn request(cli: &Cli) -> Request {
    Request {
        database_url: cli.database_url.clone(),
        target: cli.target.clone(),
        local: cli.local,
        dialect: cli.dialect,
        connect_timeout: cli.connect_timeout.map(Duration::from_secs),
    }
}

pub fn database(cli: &Cli, layout: &Layout, project: &Project) -> Result<Target> {
    Ok(chosen(cli, layout, Some(project))?.target)
}

/// The dialect of the database the command line names, in `connect::choose`'s order, found
/// without connecting, starting the local cluster or running a password command (`validate
/// --sql` prints queries only): `--dialect`, the URL, the target's `dialect` or its address,
/// `--local`, the PG* variables, the default target; with nothing named, `dialect`'s answer.
pub fn named_dialect(cli: &Cli, project: &Project) -> Result<Dialect> {
    if cli.dialect.is_some() {
        return dialect(cli, project);
    }
    let env = Env::process();
    let of_url = |text: &str| -> Result<Dialect> { Ok(Target::parse(text, None, Duration::ZERO)?.dialect()) };
    let of_target = |name: &str| -> Result<Option<Dialect>> {
        let Some(spec) = project.targets.named.get(name) else {
            return Err(Error::new(format!("no target `{name}` in schema.yaml")));
        };
        let url = match &spec.connection {
            _ if spec.dialect.is_some() => return Ok(spec.dialect),
            Connection::Local => return Ok(Some(crate::dialect::LOCAL)),
            Connection::Url(text) => {
                connect::interpolate(text, &env).map_err(|e| Error::new(format!("target {name}: {e}")))?
            }
            Connection::UrlEnv(var) => match env.get(var) {
                Some(text) => text.to_string(),
                None => return Ok(None),
            },
        };
        of_url(&url).map(Some)
    };
    let named = if let Some(url) = &cli.database_url {
        Some(of_url(url)?)
    } else if let Some(name) = cli.target.as_deref().or(env.get("SCHEMA_TARGET")) {
        of_target(name)?
    } else if cli.local {
        Some(crate::dialect::LOCAL)
    } else if let Some(url) = env.get("DATABASE_URL") {
        Some(of_url(url)?)
    } else if environment_names_a_database(&env) {
        let mut params = Params::default();
        params.fill_from_env(&env);
        Some(Target::from_params(&params, None, Duration::ZERO)?.dialect())
    } else if let Some(name) = &project.targets.default {
        of_target(name)?
    } else {
        None
    };
    match named {
        Some(d) if !project.dialects.contains(&d) => Err(Error::new(format!(
            "the database named is a {d} one but the project targets {}; pass --dialect if the guess is wrong",
            join(&project.dialects)
        ))),
        Some(d) => Ok(d),
        None => dialect(cli, project),
    }
}

/// The dialect a command works in: `--dialect`, else the project's only dialect. A project is
/// checked only against the dialects it lists, so it renders only for those.
pub fn dialect(cli: &Cli, project: &Project) -> Result<Dialect> {
    match (cli.dialect, project.dialects.as_slice()) {
        (Some(d), listed) if !listed.contains(&d) => Err(Error::new(format!(
            "the project does not target {d} (its dialects: {}); add it to `dialects` in schema.yaml first, so its rules are checked",
            join(listed)
        ))),
        (Some(d), _) => Ok(d),
        (None, [only]) => Ok(*only),
        (None, _) => {
            Err(Error::new(format!("the project targets {}: choose one with --dialect", join(&project.dialects))))
        }
    }
}
