//! `schema inspect`: a project read from a database, proven to reproduce it before it is
//! written; its warnings, its differences and what to run next.

use super::{target, text_or_json, Cli, Out};
use crate::error::{Error, Result};
use crate::inspect;
use crate::layout::Layout;
use crate::terminal::{count, safe};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

pub fn inspect(
    cli: &Cli,
    layout: &Layout,
    dir: Option<&Path>,
    namespaces: &[String],
    force: bool,
    out: &Out,
) -> Result<ExitCode> {
    text_or_json(cli, "inspect")?;
    // A project is optional here: inspect is how one starts.
    let project = if layout.schema.join("schema.yaml").is_file() { Some(target::load_project(layout)?) } else { None };
    let target = target::chosen(cli, layout, project.as_ref())?.target;
    let namespaces = match (namespaces, &project) {
        ([], Some(p)) => p.managed_namespaces(),
        ([], None) => return Err(Error::new("no project here to take the namespace from: pass --namespace")),
        (list, _) => list.iter().fold(Vec::new(), |mut seen: Vec<String>, n| {
            if !seen.contains(n) {
                seen.push(n.clone());
            }
            seen
        }),
    };
    let adopted = inspect::adopt(&target, &namespaces, project.map(|p| p.name), dir, force)?;
    adopted.warnings.iter().for_each(|w| out.progress(format!("warning: {}", safe(w))));
    if !adopted.differences.is_empty() {
        out.progress(format!(
            "the project read does not reproduce the database: {} when loaded and compared as `schema diff` compares:",
            count(adopted.differences.len(), "difference")
        ));
        adopted.differences.iter().for_each(|d| out.progress(format!("  {}", safe(d))));
        if !force {
            out.progress("nothing written: `--force` writes it anyway, with these differences");
        }
    }
    match &adopted.written {
        Some(dir) => {
            out.say(format!(
                "wrote {} for {} and {} to {}, and an empty {}",
                count(adopted.files.len(), "file"),
                count(adopted.tables, "table"),
                count(adopted.views, "view"),
                dir.join("schema").display(),
                dir.join("migrations").display()
            ));
            let project = dir.display();
            out.progress(format!(
                "next: `schema --project {project} generate`, then `schema --project {project} baseline --version 1` on this database (it runs nothing), then `schema --project {project} diff`"
            ));
        }
        None if !out.json && adopted.given(force) => {
            adopted.files.iter().for_each(|(path, text)| print!("--- # {path}\n{text}"))
        }
        None => {}
    }
    let files: Vec<_> = adopted.files.iter().map(|(path, text)| json!({"path": path, "text": text})).collect();
    out.doc(json!({
        "command": "inspect",
        "database": target.redacted(),
        "namespace": namespaces[0],
        "namespaces": namespaces,
        "written_to": adopted.written,
        "files": if adopted.given(force) { files } else { Vec::new() },
        "warnings": adopted.warnings,
        "differences": adopted.differences,
    }));
    Ok(if adopted.differences.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
