//! For the tools around schema: shell completions, man pages and the JSON Schemas of the YAML.

use super::args;
use super::Out;
use crate::error::{Error, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    clap_complete::generate(shell, &mut args::command(), "schema", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// `make man`: schema.1 and schema-<command>.1.
pub fn man(dir: &Path) -> Result<ExitCode> {
    let cmd = args::command();
    std::fs::create_dir_all(dir).map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    clap_mangen::generate_to(cmd, dir)
        .map_err(|e| Error::new(format!("writing man pages to {}: {e}", dir.display())))?;
    Ok(ExitCode::SUCCESS)
}

/// `make jsonschema`: one schema per kind of YAML file.
pub fn json_schema(dir: &Path, out: &Out) -> Result<ExitCode> {
    let written = crate::load::json_schema::write(dir);
    for path in written.map_err(|e| Error::new(format!("writing into {}: {e}", dir.display())))? {
        out.say(format!("wrote {}", path.display()));
    }
    Ok(ExitCode::SUCCESS)
}
