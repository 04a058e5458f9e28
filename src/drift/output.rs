//! `schema diff` output: text (findings, then the coloured DDL diff), JSON, GitHub annotations
//! on the YAML files, or the SQL that would bring the database to the YAML.

use super::Report;
use crate::annotations::{annotation, locate};
use crate::db::Target;
use crate::diff::findings::{Finding, Kind};
use crate::layout::Layout;
use crate::load;
use crate::model::Project;
use crate::terminal::safe;
use anstyle::{AnsiColor, Style};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// GitHub Actions annotations on the YAML files.
    Github,
    /// The statements that would bring the database to the YAML.
    Sql,
}

pub fn print(layout: &Layout, project: &Project, target: &Target, report: &Report, format: Format, quiet: bool) {
    match format {
        Format::Json => json(layout, project, target, report),
        Format::Github => github(layout, report),
        Format::Sql => {
            match &report.sql {
                Ok(sql) => print!("{sql}"),
                Err(e) => eprintln!("error: no SQL: {e}"),
            }
            unexpressed(report);
        }
        Format::Text => text(project, target, report, quiet),
    }
}

/// Each finding with the YAML file and line `--format github` points at.
fn json(layout: &Layout, project: &Project, target: &Target, report: &Report) {
    let files = load::declarations(&layout.schema);
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let (file, line) = locate(layout, &files, &f.owner, f.item.as_deref(), None);
            let mut doc = serde_json::to_value(f).unwrap_or_default();
            if let Some(fields) = doc.as_object_mut() {
                fields.insert("file".into(), file.into());
                fields.insert("line".into(), line.into());
            }
            doc
        })
        .collect();
    let doc = serde_json::json!({
        "command": "diff",
        "database": target.redacted(),
        "dialect": target.dialect(),
        "namespace": project.namespace,
        "drift": report.drift(),
        "findings": findings,
        "diff": report.diff,
        "sql": report.sql.as_ref().ok(),
        "warnings": report.warnings,
        "catalog_queries": report.queries,
    });
    println!("{doc:#}");
}

fn github(layout: &Layout, report: &Report) {
    let files = load::declarations(&layout.schema);
    for f in &report.findings {
        let (file, line) = locate(layout, &files, &f.owner, f.item.as_deref(), None);
        let message = format!(
            "{}{}: expected {}, found {} ({})",
            f.object,
            property(f),
            or_none(&f.expected),
            or_none(&f.actual),
            f.hint
        );
        let title = format!("schema drift: {}", f.kind);
        println!("{}", annotation("error", &title, &message, Some((&file, line))));
    }
    if report.findings.is_empty() && report.drift() {
        let message = "the canonical DDL of the database differs from the YAML";
        println!("{}", annotation("error", "schema drift", message, None));
    }
    report.warnings.iter().for_each(|w| println!("{}", annotation("warning", "schema diff", w, None)));
}

fn text(project: &Project, target: &Target, report: &Report, quiet: bool) {
    for w in report.warnings.iter().filter(|_| !quiet) {
        eprintln!("warning: {}", safe(w));
    }
    let where_ = format!("{} on {} ({})", project.namespace, target.redacted(), target.dialect());
    if !report.drift() {
        if !quiet {
            let phases: Vec<String> = project.phases.iter().map(u8::to_string).collect();
            println!("no drift: {where_} matches the YAML (phases {})", phases.join(", "));
        }
        return;
    }
    let bold = Style::new().bold();
    let n = report.findings.len();
    println!("drift: {where_} differs from the YAML: {n} finding{}", if n == 1 { "" } else { "s" });
    for f in &report.findings {
        anstream::println!("  {bold}{:<15}{bold:#} {}{}", f.kind.to_string(), safe(&f.object), safe(&property(f)));
        println!("      expected: {}", safe(&one_line(&or_none(&f.expected))));
        println!("      found:    {}", safe(&one_line(&or_none(&f.actual))));
        if !quiet {
            println!("      hint:     {}", safe(&f.hint));
        }
    }
    if n == 0 {
        println!("  the canonical DDL differs although no finding covers it (please report this)");
    }
    if !report.diff.is_empty() && !quiet {
        println!();
        for line in report.diff.lines() {
            let style = match line.as_bytes().first() {
                _ if line.starts_with("---") || line.starts_with("+++") => bold,
                Some(b'@') => AnsiColor::Cyan.on_default(),
                Some(b'-') => AnsiColor::Red.on_default(),
                Some(b'+') => AnsiColor::Green.on_default(),
                _ => Style::new(),
            };
            anstream::println!("{style}{}{style:#}", safe(line));
        }
    }
}

/// Findings no statement can repair, as SQL comments after the repair: what the YAML cannot
/// express, and column positions (only a rebuild moves a column).
fn unexpressed(report: &Report) {
    let kept = |f: &&Finding| f.kind.is_unmanaged() || f.kind == Kind::ColumnPosition;
    let list: Vec<&Finding> = report.findings.iter().filter(kept).collect();
    if list.is_empty() {
        return;
    }
    println!("-- Not repaired by the statements above ({}):", list.len());
    for f in list {
        println!("--   {}", f.summary());
    }
}

/// ` (storage parameters)` after the object of a finding that names a property.
fn property(f: &Finding) -> String {
    f.property.as_ref().map(|p| format!(" ({p})")).unwrap_or_default()
}

fn or_none(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "nothing".into())
}

/// First line, at most 100 characters: bodies and long comments are in the diff below.
fn one_line(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    let mut short: String = first.chars().take(100).collect();
    if short.len() < text.len() {
        short.push_str(" …");
    }
    short
}
