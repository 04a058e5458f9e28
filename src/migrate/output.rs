//! `schema migrate`, `baseline` and `status` output.

use super::{Entry, Event, Options, State, Status};
use crate::db::Target;
use crate::terminal::safe;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Progress lines on stderr as migrations run (the list itself on stdout for a dry run, unless
/// the output is JSON).
pub fn progress(options: &Options, format: Format, quiet: bool) -> impl FnMut(Event) + '_ {
    let verb = if options.fake {
        "recording"
    } else if options.dry_run {
        "would apply"
    } else {
        "applying"
    };
    move |event| match event {
        Event::Applying(l) if options.dry_run && format == Format::Text => {
            println!("{verb} {}", l.file.path.display())
        }
        Event::Applying(l) if !quiet => eprint!("{verb} V{}__{} ...", l.file.version, l.file.name),
        Event::Applied(_, took) if !quiet => eprintln!(" ok ({:.2} s)", took.as_secs_f64()),
        _ => {}
    }
}

/// The outcome of a run: what was applied, or why it was refused (exit 1).
pub fn outcome(
    target: &Target,
    options: &Options,
    started: Instant,
    outcome: Result<Vec<i64>, Vec<String>>,
    format: Format,
    quiet: bool,
) -> ExitCode {
    let seconds = started.elapsed().as_secs_f64();
    if format == Format::Json {
        let (done, refused) = match &outcome {
            Ok(done) => (done.clone(), vec![]),
            Err(problems) => (vec![], problems.clone()),
        };
        let key = if options.fake {
            "recorded"
        } else if options.dry_run {
            "would_apply"
        } else {
            "applied"
        };
        let doc = serde_json::json!({
            "command": if options.fake { "baseline" } else { "migrate" },
            "database": target.redacted(),
            "dialect": target.dialect(),
            key: done,
            "refused": refused,
            "seconds": seconds,
        });
        println!("{doc:#}");
        return if outcome.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    }
    match outcome {
        Err(problems) => {
            problems.iter().for_each(|p| println!("{p}"));
            println!("refusing to migrate {}: nothing was applied", target.redacted());
            ExitCode::from(1)
        }
        Ok(done) if !options.dry_run && !quiet => {
            let n = done.len();
            if n == 0 {
                println!("{} is up to date", target.redacted());
            } else {
                let what = if options.fake { "recorded" } else { "applied" };
                let s = if n == 1 { "" } else { "s" };
                println!("{what} {n} migration{s} in {seconds:.2} s");
            }
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::SUCCESS,
    }
}

pub fn status(target: &Target, status: &Status, format: Format) -> ExitCode {
    let problems = status.problems();
    let entries = &status.entries;
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "command": "status",
                "database": target.redacted(),
                "dialect": target.dialect(),
                "migrations": entries,
                "problems": problems,
            });
            println!("{doc:#}");
        }
        Format::Text => {
            println!("{} ({})", target.redacted(), target.dialect());
            println!("{:<9} {:<32} {:<10} applied on", "version", "name", "state");
            for e in entries {
                let state = match e.state {
                    State::Applied => "applied",
                    State::Pending => "pending",
                    State::Divergent => "DIVERGENT",
                    State::Renamed => "RENAMED",
                    State::Missing => "MISSING",
                    State::Unreadable => "UNREADABLE",
                };
                let on = safe(e.applied_on.as_deref().unwrap_or("-"));
                println!("{:<9} {:<32} {:<10} {on}", format!("V{}", e.version), safe(&e.name), state);
            }
            let count = |s: State| entries.iter().filter(|e| e.state == s).count();
            println!("{} applied, {} pending", count(State::Applied), count(State::Pending));
            entries.iter().filter_map(Entry::note).for_each(|n| println!("{n}"));
            problems.iter().for_each(|p| println!("{p}"));
        }
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
