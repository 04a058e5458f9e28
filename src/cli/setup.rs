//! Getting started: `init` (a new project) and `local` (the local development PostgreSQL).

use super::args::{Cli, LocalAction};
use super::{target, text_or_json, Out};
use crate::db::Target;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::local::{LocalCluster, LocalStatus};
use crate::model::Dialect;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// `schema init`: the project, then what to do next.
pub fn init(cli: &Cli, dir: &Path, dialects: &[Dialect], namespace: Option<String>, out: &Out) -> Result<ExitCode> {
    text_or_json(cli, "init")?;
    let options = crate::init::Options { dialects: dialects.to_vec(), namespace };
    let created = crate::init::init(dir, &options)?;
    created.files.iter().for_each(|f| out.say(format!("wrote {}", f.display())));
    let cd = if dir == Path::new(".") { String::new() } else { format!("cd {} && ", dir.display()) };
    out.say(format!(
        "next: {cd}schema check, then `schema generate --name initial` (proven first on a scratch database of the local PostgreSQL, which it starts under .schema/local) and `schema migrate`; `schema local stop` stops the server"
    ));
    out.doc(json!({"command": "init", "project": created.name, "wrote": created.files}));
    Ok(ExitCode::SUCCESS)
}

/// `schema local start|stop|status|url`. With a project, start and url give the project's
/// database (what `--local` uses), not the server's `postgres` one.
pub fn local(cli: &Cli, layout: &Layout, action: LocalAction, out: &Out) -> Result<ExitCode> {
    text_or_json(cli, "local")?;
    let cluster = LocalCluster::new(layout.local_dir());
    let project = layout.schema.join("schema.yaml").is_file().then(|| target::load_project(layout)).transpose()?;
    let server = |url: &str| Target::parse(url, Some(crate::dialect::LOCAL), Duration::from_secs(10));
    let database = |url: &str| -> Result<String> {
        Ok(match &project {
            Some(p) if action == LocalAction::Start => {
                cluster.ensure_database(&server(url)?, &p.name).map_err(Error::new)?.redacted()
            }
            Some(p) => server(url)?.with_database(&crate::local::database_name(&p.name)).redacted(),
            None => url.to_string(),
        })
    };
    let dir = layout.local_dir();
    let was_running = cluster.url().is_some();
    let (status, url) = match action {
        LocalAction::Start => {
            let url = database(&cluster.start().map_err(Error::new)?)?;
            match was_running {
                true => out
                    .progress(format!("the local PostgreSQL was running already, with its data in {}", dir.display())),
                false => out.progress(crate::local::started_note(&dir)),
            }
            ("running", Some(url))
        }
        LocalAction::Stop => {
            cluster.stop().map_err(Error::new)?;
            if was_running {
                out.progress(format!("stopped the local PostgreSQL; its data stays in {}", dir.display()));
            }
            ("stopped", None)
        }
        LocalAction::Status | LocalAction::Url => match cluster.status() {
            LocalStatus::Running { url, .. } => ("running", Some(database(&url)?)),
            _ if action == LocalAction::Url => {
                return Err(Error::new("the local PostgreSQL is not running: `schema local start`"))
            }
            LocalStatus::Stopped => ("stopped", None),
            LocalStatus::NotCreated => ("not created", None),
        },
    };
    out.finding(url.as_deref().unwrap_or(status));
    out.doc(json!({"command": "local", "status": status, "url": url}));
    // `local status` exits 1 when the cluster is not running, as `pg_ctl status` does.
    Ok(ExitCode::from(u8::from(action == LocalAction::Status && url.is_none())))
}
