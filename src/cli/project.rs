//! The commands that work from the YAML and the migration files, using no database but a dev
//! one: `check`, `render`, `generate` (the next migration, proven on the dev database when one
//! is named, taken back and written again with --redo) and `docs`.

use super::{join, target, text_or_json, Cli, Out};
use crate::connect::{self, Chosen};
use crate::db::Env;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::migrations::{self, redo, Options, Outcome};
use crate::model::Project;
use crate::rehearse::{rehearse, NewFile};
use crate::terminal::{count, safe};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// `schema check`: the project loads (the caller loaded it), and with a dev database what
/// generate would write is proven there; one line, or one document.
pub fn check(cli: &Cli, layout: &Layout, project: &Project, dev_url: Option<&str>, out: &Out) -> Result<ExitCode> {
    text_or_json(cli, "check")?;
    prove_pending(cli, layout, project, dev_url, out)?;
    out.say(safe(&check_summary(project)));
    out.doc(check_json(project));
    Ok(ExitCode::SUCCESS)
}

fn check_summary(project: &Project) -> String {
    let enabled = project.enabled();
    let mvs = project.views.iter().filter(|v| v.materialized).count();
    let checks: usize = enabled.tables.iter().map(|t| t.checks.len()).sum();
    format!(
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
    )
}

fn check_json(project: &Project) -> serde_json::Value {
    let enabled = project.enabled();
    let mvs = project.views.iter().filter(|v| v.materialized).count();
    json!({
        "command": "check",
        "ok": true,
        "project": project.name,
        "namespace": project.namespace,
        "dialects": project.dialects,
        "phases": project.phases,
        "tables": project.tables.len(),
        "views": project.views.len() - mvs,
        "materialized_views": mvs,
        "enabled_tables": enabled.tables.len(),
        "checks": enabled.tables.iter().map(|t| t.checks.len()).sum::<usize>(),
        "targets": project.targets.named.keys().collect::<Vec<_>>(),
    })
}

/// `schema render`: the CREATE statements of the enabled phases, in one dialect.
pub fn render(cli: &Cli, project: &Project, out: &Out) -> Result<ExitCode> {
    text_or_json(cli, "render")?;
    let dialect = target::dialect(cli, project)?;
    let sql = crate::plan::create_all(&project.enabled(), dialect)?;
    if !out.json {
        print!("{sql}");
    }
    out.doc(json!({"command": "render", "dialect": dialect, "sql": sql}));
    Ok(ExitCode::SUCCESS)
}

/// `schema docs`: the project's documentation, by default under docs/schema.
pub fn docs(cli: &Cli, layout: &Layout, project: &Project, dir: Option<&Path>, out: &Out) -> Result<ExitCode> {
    text_or_json(cli, "docs")?;
    let dir = dir.map_or_else(|| layout.root.join("docs/schema"), Path::to_path_buf);
    let written = crate::docs::write(project, &dir)?;
    out.say(format!("wrote {}", written.display()));
    out.doc(json!({"command": "docs", "wrote": written}));
    Ok(ExitCode::SUCCESS)
}

/// What the command line asks of generate.
pub struct Request<'a> {
    pub name: Option<&'a str>,
    pub check: bool,
    pub allow_destructive: bool,
    pub redo: bool,
    pub dev_url: Option<&'a str>,
}

pub fn generate(cli: &Cli, layout: &Layout, project: &Project, request: &Request, out: &Out) -> Result<ExitCode> {
    text_or_json(cli, "generate")?;
    for warning in migrations::hand_written_gaps(layout, project)? {
        out.progress(format!("warning: {warning}"));
    }
    // --check writes nothing and proves nothing: it compares files.
    let dev = if request.check { None } else { dev_database(cli, layout, project, request.dev_url, true, out)? };
    let undo = if request.redo { Some(take_back(cli, layout, project, out)?) } else { None };
    let name = request.name.or(undo.as_ref().map(|u| u.name.as_str()));
    let options = Options { name, check: request.check, allow_destructive: request.allow_destructive, dry_run: false };
    let mut prove = |new: &[NewFile]| prove(dev.as_ref(), layout, project, new, out);
    let outcome = migrations::generate(layout, project, &options, &mut prove);
    let keep = matches!(outcome, Ok(Outcome::Written(_)) | Ok(Outcome::UpToDate));
    if let Some(undo) = undo {
        let versions = undo.versions.iter().map(|v| format!("V{v}")).collect::<Vec<_>>().join(", ");
        if keep {
            out.progress(format!("took back {versions} and the state.json it replaced"));
        } else {
            undo.restore()?;
            out.progress(format!("{versions} and state.json are back as they were"));
        }
    }
    Ok(output(&outcome?, request.check, out))
}

/// `schema check --dev-url`: what generate would write for the YAML, after the history, proven
/// on a scratch database; nothing is written.
fn prove_pending(cli: &Cli, layout: &Layout, project: &Project, dev_url: Option<&str>, out: &Out) -> Result<()> {
    let Some(dev) = dev_database(cli, layout, project, dev_url, false, out)? else { return Ok(()) };
    let mut pending = Vec::new();
    let options = Options { allow_destructive: true, dry_run: true, ..Options::default() };
    migrations::generate(layout, project, &options, &mut |new: &[NewFile]| {
        pending = new.to_vec();
        Ok(())
    })?;
    for line in rehearse(&dev.target, layout, project, &pending)? {
        out.say(format!("proven: {line}"));
    }
    Ok(())
}

/// The dev database, named on stderr like every database.
fn dev_database(
    cli: &Cli,
    layout: &Layout,
    project: &Project,
    flag: Option<&str>,
    project_wide: bool,
    out: &Out,
) -> Result<Option<Chosen>> {
    let chosen = connect::dev(flag, &target::request(cli), layout, project, &Env::process(), project_wide)?;
    if let Some(c) = &chosen {
        out.progress(format!("dev {}", c.describe()));
    }
    Ok(chosen)
}

fn prove(dev: Option<&Chosen>, layout: &Layout, project: &Project, new: &[NewFile], out: &Out) -> Result<()> {
    let Some(dev) = dev else { return Ok(()) };
    if new.is_empty() {
        return Ok(());
    }
    match rehearse(&dev.target, layout, project, new) {
        Ok(lines) => {
            lines.iter().for_each(|l| out.progress(format!("proven: {l}")));
            Ok(())
        }
        Err(Error::Rehearsal(m)) => Err(Error::Rehearsal(format!("{m}\nnothing was written"))),
        Err(e) => Err(e),
    }
}

/// Takes the newest generated migration back, once the databases that can be named show it
/// unapplied.
fn take_back(cli: &Cli, layout: &Layout, project: &Project, out: &Out) -> Result<redo::Undo> {
    let (files, state) = redo::plan(layout, &project.dialects)?;
    let versions: Vec<i64> = files.iter().filter_map(|p| migrations::version_of(p)).collect();
    match target::chosen(cli, layout, Some(project)) {
        Ok(chosen) => {
            let mut client = chosen.target.connect()?;
            let dialect = chosen.target.dialect();
            let status = crate::migrate::status(layout, &mut client, &project.namespace, dialect)?;
            let applied = status.entries.iter().find(|e| {
                versions.contains(&e.version) && e.state != crate::migrate::State::Pending
            });
            if let Some(e) = applied {
                return Err(Error::new(format!(
                    "cannot redo: V{}__{} is applied on {}; write a new migration instead",
                    e.version,
                    e.name,
                    chosen.target.redacted()
                )));
            }
            out.progress(format!("not applied on {}", chosen.target.redacted()));
        }
        Err(e) => out.progress(format!(
            "warning: no database to check that the migration is applied nowhere ({e}); redo only what no database has applied"
        )),
    }
    redo::take_back(layout, files, state)
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
            lines.iter().for_each(|l| out.finding(format!("  {}", safe(l))));
            out.finding("nothing was written; review them and run again with --allow-destructive");
        }
        Outcome::Pending(lines) => {
            out.finding("the migrations do not match the YAML:");
            lines.iter().for_each(|l| out.finding(format!("  {}", safe(l))));
            if lines.iter().any(|l| l.starts_with("pending:")) {
                out.finding("run `schema generate --name <what_changed>` and commit the result");
            }
        }
    }
    ExitCode::from(code)
}
