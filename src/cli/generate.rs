//! `schema generate`: the next migration, its warnings and its outcome.

use super::Out;
use crate::error::Result;
use crate::layout::Layout;
use crate::migrations::{self, Outcome};
use crate::model::Project;
use serde_json::json;
use std::process::ExitCode;

/// What the command line asks of generate.
pub struct Request<'a> {
    pub name: Option<&'a str>,
    pub check: bool,
    pub allow_destructive: bool,
}

pub fn run(layout: &Layout, project: &Project, request: &Request, out: &Out) -> Result<ExitCode> {
    for warning in migrations::hand_written_gaps(layout, project)? {
        out.progress(format!("warning: {warning}"));
    }
    let outcome = migrations::generate(layout, project, request.name, request.check, request.allow_destructive)?;
    Ok(output(&outcome, request.check, out))
}

/// generate's outcome: exit 1 when it refused or, with --check, found the migrations behind.
fn output(outcome: &Outcome, check: bool, out: &Out) -> ExitCode {
    let (kind, files, lines, code) = match outcome {
        Outcome::UpToDate => ("up_to_date", &[][..], &[][..], 0),
        Outcome::Written(files) => ("written", files.as_slice(), &[][..], 0),
        Outcome::Refused(lines) => ("refused", &[][..], lines.as_slice(), 1),
        Outcome::Pending(lines) => ("pending", &[][..], lines.as_slice(), 1),
    };
    out.doc(json!({"command": "generate", "check": check, "outcome": kind, "written": files, "changes": lines}));
    match outcome {
        Outcome::UpToDate => out.say("migrations are up to date with the YAML"),
        Outcome::Written(files) => files.iter().for_each(|f| out.say(format!("wrote {}", f.display()))),
        Outcome::Refused(lines) => {
            out.finding("refusing to generate: these changes destroy data or rewrite whole tables:");
            lines.iter().for_each(|l| out.finding(format!("  {l}")));
            out.finding("nothing was written; review them and run again with --allow-destructive");
        }
        Outcome::Pending(lines) => {
            out.finding("the migrations do not match the YAML:");
            lines.iter().for_each(|l| out.finding(format!("  {l}")));
            if lines.iter().any(|l| l.starts_with("pending:")) {
                out.finding("run `schema generate --name <what_changed>` and commit the result");
            }
        }
    }
    ExitCode::from(code)
}
