//! Which project and database a command works on.

use super::{join, Cli, LocalAction};
use crate::db::Target;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::load;
use crate::local::{LocalCluster, LocalStatus};
use crate::model::{Dialect, Project};
use std::process::ExitCode;
use std::time::Duration;

pub fn load_project(layout: &Layout) -> Result<Project> {
    load::load(&layout.schema)
        .map_err(|diagnostics| Error::Load { dir: layout.schema.display().to_string(), diagnostics })
}

/// The database a command works on: `--database-url` / `DATABASE_URL`, else the local
/// development cluster (started on first use) and a database named after the project.
pub fn database(cli: &Cli, layout: &Layout, project: &Project) -> Result<Target> {
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

/// `schema local start|stop|status|url`.
pub fn local(layout: &Layout, action: LocalAction) -> Result<ExitCode> {
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
