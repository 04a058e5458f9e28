//! Commands that write files: `init`, `migrate --script` and the man pages.

use super::args::{self, Cli};
use super::target::dialect;
use super::{count, Out};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::migrate;
use crate::model::Project;
use serde_json::json;
use std::process::ExitCode;

/// `schema init`: the project, then what to do next.
pub fn init(
    dir: &std::path::Path,
    dialects: &[crate::model::Dialect],
    namespace: Option<String>,
    out: &Out,
) -> Result<ExitCode> {
    let options = crate::init::Options { dialects: dialects.to_vec(), namespace };
    let created = crate::init::init(dir, &options)?;
    created.files.iter().for_each(|f| out.say(format!("wrote {}", f.display())));
    let cd = if dir == std::path::Path::new(".") { String::new() } else { format!("cd {} && ", dir.display()) };
    out.say(format!(
        "next: {cd}schema check, then `schema generate --name initial` (proven first on a scratch database of the local PostgreSQL, which it starts under .schema/local) and `schema migrate`; `schema local stop` stops the server"
    ));
    out.doc(json!({"command": "init", "project": created.name, "wrote": created.files}));
    Ok(ExitCode::SUCCESS)
}

/// `schema migrate --script FILE`: the migrations as one psql script, connecting to nothing.
pub fn script(
    cli: &Cli,
    layout: &Layout,
    project: &Project,
    file: &std::path::Path,
    to: Option<i64>,
    out: &Out,
) -> Result<ExitCode> {
    let dialect = match (cli.dialect, &cli.target) {
        (Some(d), _) => d,
        (None, Some(name)) => match project.targets.named.get(name).and_then(|t| t.dialect) {
            Some(d) => d,
            None => dialect(cli, project)?,
        },
        (None, None) => dialect(cli, project)?,
    };
    let written = migrate::script::write(layout, &project.namespace, dialect, to, file)?;
    out.say(format!(
        "wrote {} ({dialect}): {}; apply it with `psql -f {}`",
        file.display(),
        count(written, "migration"),
        file.display()
    ));
    out.doc(json!({"command": "migrate", "script": file, "dialect": dialect, "migrations": written}));
    Ok(ExitCode::SUCCESS)
}

/// `make man`: schema.1 and schema-<command>.1.
pub fn man(dir: &std::path::Path) -> Result<ExitCode> {
    let cmd = args::command();
    std::fs::create_dir_all(dir).map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    clap_mangen::generate_to(cmd, dir)
        .map_err(|e| Error::new(format!("writing man pages to {}: {e}", dir.display())))?;
    Ok(ExitCode::SUCCESS)
}
