//! A validation report as text (a table for people), JSON, JUnit XML (CI test reports) or
//! GitHub workflow commands (annotations). Every format carries the same numbers.

use super::{CheckResult, Fields, Printed, Problem, Report, Sample, Status};
use crate::annotations::{annotation, locate};
use crate::layout::Layout;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
    Github,
}

pub fn render(layout: &Layout, report: &Report, format: Format, database: &str, quiet: bool) -> String {
    match format {
        Format::Text => text(report, quiet),
        Format::Json => json(report, database),
        Format::Junit => junit(report),
        Format::Github => github(layout, report),
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "ok",
        Status::Fail => "FAIL",
        Status::Warn => "warn",
    }
}

/// A share as a percentage that never shows a failure as 0.
fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.01 {
        "<0.01%".into()
    } else {
        format!("{p:.2}%")
    }
}

/// A freshness check's age, as a person reads it.
fn age(r: &CheckResult) -> Option<String> {
    if r.kind != "freshness" {
        return None;
    }
    Some(match r.age_seconds {
        None => "no rows".into(),
        Some(s) if s < 3600.0 => format!("{:.0} min old", s / 60.0),
        Some(s) if s < 172_800.0 => format!("{:.1} h old", s / 3600.0),
        Some(s) => format!("{:.1} d old", s / 86_400.0),
    })
}

/// `failing / checked` in words, with the limit of a ratio check.
fn summary(r: &CheckResult) -> String {
    if let Some(age) = age(r) {
        return format!("{}.{}: the newest row is {age}", r.table, r.check);
    }
    if let Some(median) = r.expected_rows {
        return format!(
            "{}.{}: {} rows against a median of {median} in the recorded runs",
            r.table, r.check, r.rows_checked
        );
    }
    let limit = r.max_ratio.map(|m| format!(" (max {})", percent(m))).unwrap_or_default();
    format!("{} of {} rows fail {}.{}: {}{limit}", r.failing_rows, r.rows_checked, r.table, r.check, percent(r.ratio))
}

/// A value as a person reads it: text as it is, NULL as NULL.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "NULL".into(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One failing row: `key: values (expected e)`; a group: `key: n rows`.
fn sample_line(s: &Sample) -> String {
    let fields = |f: &Fields| f.0.iter().map(|(n, v)| format!("{n}={}", shown(v))).collect::<Vec<_>>().join(", ");
    let parts: Vec<String> = [fields(&s.key), fields(&s.values)].into_iter().filter(|p| !p.is_empty()).collect();
    let mut line = parts.join(": ");
    if let Some(e) = &s.expected {
        line.push_str(&format!(" (expected {})", shown(e)));
    }
    if let Some(n) = s.rows {
        line.push_str(&format!(": {n} row{}", if n == 1 { "" } else { "s" }));
    }
    line
}

/// What a check's samples are, when they are not plain failing rows.
fn samples_heading(r: &CheckResult) -> &'static str {
    match r.kind {
        "relationship" => " (keys no parent row has)",
        "unique" => " (duplicated keys)",
        "accepted_values" => " (unexpected values, the most rows first)",
        _ => "",
    }
}

/// The samples of a check: a heading line (`name` and what the samples are), then one indented
/// line each.
fn samples_text(r: &CheckResult, name: &str, indent: &str) -> String {
    let mut out = format!("{name}{}:", samples_heading(r));
    for s in &r.samples {
        out.push_str(&format!("\n{indent}{}", crate::terminal::safe(&sample_line(s))));
    }
    out
}

/// Key checks that run, grouped by why (one line per reason).
fn reasons(results: &[&CheckResult]) -> Vec<String> {
    let mut by: Vec<(&str, Vec<String>)> = Vec::new();
    for r in results {
        let Some(reason) = &r.reason else { continue };
        let name = format!("{}.{}", r.table, r.check);
        match by.iter_mut().find(|(why, _)| why == reason) {
            Some((_, names)) => names.push(name),
            None => by.push((reason, vec![name])),
        }
    }
    by.into_iter().map(|(why, names)| format!("{}: {why}", names.join(", "))).collect()
}

/// Problems with the same table and message on one line.
fn grouped(problems: &[Problem]) -> Vec<(String, Vec<&str>, &str)> {
    let mut out: Vec<(String, Vec<&str>, &str)> = Vec::new();
    for p in problems {
        match out.iter_mut().find(|(t, _, m)| *t == p.table && *m == p.message) {
            Some((_, checks, _)) => checks.push(&p.check),
            None => out.push((p.table.clone(), vec![&p.check], &p.message)),
        }
    }
    out
}

/// `validate --sql`: each query after a comment saying what it answers.
pub fn queries(queries: &[Printed]) -> String {
    let mut out = String::new();
    for q in queries {
        let mut what = match q.lists {
            "count" => format!("{}: counts {}", q.table, q.checks.join(", ")),
            _ => format!("{}.{}: its failing rows", q.table, q.checks.join(", ")),
        };
        if q.unless_enforced {
            what.push_str(" (key_checks: auto: sent only where the database does not enforce the key)");
        }
        let _ = writeln!(out, "-- {what}\n{}\n", q.sql);
    }
    out
}

/// One line per problem group, for stderr.
pub fn problem_lines(report: &Report) -> Vec<String> {
    grouped(&report.problems)
        .into_iter()
        .map(|(table, checks, message)| {
            let s = if checks.len() == 1 { "" } else { "s" };
            format!("cannot check table {table} (check{s} {}): {message}", checks.join(", "))
        })
        .collect()
}

fn text(report: &Report, quiet: bool) -> String {
    let shown: Vec<&CheckResult> = report.results.iter().filter(|r| !quiet || r.status != Status::Pass).collect();
    let mut out = String::new();
    let width = |f: fn(&CheckResult) -> usize, min: usize| shown.iter().map(|r| f(r)).max().unwrap_or(0).max(min);
    let (cw, tw) = (width(|r| r.check.len(), 5), width(|r| r.table.len(), 5));
    if !shown.is_empty() {
        let _ = writeln!(
            out,
            "{:<cw$}  {:<tw$}  {:>12}  {:>12}  {:>8}  status",
            "check", "table", "failing rows", "rows checked", "ratio"
        );
        for r in &shown {
            let _ = writeln!(
                out,
                "{:<cw$}  {:<tw$}  {:>12}  {:>12}  {:>8}  {}",
                r.check,
                r.table,
                age(r).unwrap_or_else(|| r.failing_rows.to_string()),
                r.rows_checked,
                percent(r.ratio),
                status_word(r.status)
            );
        }
    }
    let with_samples: Vec<&&CheckResult> = shown.iter().filter(|r| !r.samples.is_empty()).collect();
    if !with_samples.is_empty() {
        let _ = writeln!(out, "\nfailing rows (samples):");
        for r in with_samples {
            let _ = writeln!(out, "  {}", samples_text(r, &format!("{}.{}", r.table, r.check), "    "));
        }
    }
    let why = reasons(&shown);
    if !why.is_empty() {
        let _ = writeln!(out, "\nkey checks run because:");
        for line in why {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !quiet && !report.left_to_database.is_empty() {
        let n = report.left_to_database.len();
        let _ = writeln!(
            out,
            "\n{n} key check{} left to the database, whose constraints enforce {} for every row (key_checks: auto; --format json names them)",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" },
        );
    }
    if !report.since_ignored.is_empty() {
        let _ = writeln!(
            out,
            "\n--since did not narrow {} (no date or timestamp sort key): checked whole",
            report.since_ignored.join(", ")
        );
    }
    let count = |s: Status| report.results.iter().filter(|r| r.status == s).count();
    let mut tables: Vec<&str> = report.results.iter().map(|r| r.table.as_str()).collect();
    tables.extend(report.problems.iter().map(|p| p.table.as_str()));
    tables.sort();
    tables.dedup();
    let _ = write!(
        out,
        "\n{} check{} on {} table{} in {:.2} s: {} passed, {} failed, {} warning{}",
        report.results.len() + report.problems.len(),
        if report.results.len() + report.problems.len() == 1 { "" } else { "s" },
        tables.len(),
        if tables.len() == 1 { "" } else { "s" },
        report.seconds,
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Warn),
        if count(Status::Warn) == 1 { "" } else { "s" },
    );
    if !report.problems.is_empty() {
        let _ = write!(out, ", {} could not run", report.problems.len());
    }
    out.push('\n');
    out
}

fn json(report: &Report, database: &str) -> String {
    #[derive(serde::Serialize)]
    struct Summary {
        checks: usize,
        passed: usize,
        failed: usize,
        warnings: usize,
        errors: usize,
    }
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        command: &'static str,
        database: &'a str,
        run_at: &'a str,
        since: &'a Option<String>,
        since_ignored: &'a [String],
        seconds: f64,
        summary: Summary,
        results: &'a [CheckResult],
        errors: &'a [Problem],
        left_to_database: &'a [super::LeftToServer],
    }
    let count = |s: Status| report.results.iter().filter(|r| r.status == s).count();
    let doc = Doc {
        command: "validate",
        database,
        run_at: &report.run_at,
        since: &report.since,
        since_ignored: &report.since_ignored,
        seconds: report.seconds,
        summary: Summary {
            checks: report.results.len() + report.problems.len(),
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            warnings: count(Status::Warn),
            errors: report.problems.len(),
        },
        results: &report.results,
        errors: &report.problems,
        left_to_database: &report.left_to_database,
    };
    serde_json::to_string_pretty(&doc).expect("report serialises") + "\n"
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// One `<testsuite>` per table and one `<testcase>` per check. A failed error-severity check
/// is a `<failure>`, a check that could not run an `<error>`; a failed warning passes with its
/// numbers in `<system-out>`. Every test case carries its counts as properties.
fn junit(report: &Report) -> String {
    let mut tables: Vec<&str> = report.results.iter().map(|r| r.table.as_str()).collect();
    tables.extend(report.problems.iter().map(|p| p.table.as_str()));
    tables.sort();
    tables.dedup();
    let failures = report.results.iter().filter(|r| r.status == Status::Fail).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"schema validate\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
        report.results.len() + report.problems.len(),
        report.problems.len(),
        report.seconds,
        report.run_at,
    );
    for table in tables {
        let results: Vec<&CheckResult> = report.results.iter().filter(|r| r.table == table).collect();
        let problems: Vec<&Problem> = report.problems.iter().filter(|p| p.table == table).collect();
        let failures = results.iter().filter(|r| r.status == Status::Fail).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{t}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" skipped=\"0\">",
            results.len() + problems.len(),
            problems.len(),
            t = xml(table),
        );
        for r in results {
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\">",
                xml(&r.check),
                xml(table),
                r.seconds
            );
            let _ = writeln!(out, "      <properties>");
            let properties = [
                ("kind", Some(r.kind.to_string())),
                ("severity", Some(format!("{:?}", r.severity).to_lowercase())),
                ("failing_rows", Some(r.failing_rows.to_string())),
                ("rows_checked", Some(r.rows_checked.to_string())),
                ("ratio", Some(r.ratio.to_string())),
                ("reason", r.reason.clone()),
            ];
            for (name, value) in properties.into_iter().filter_map(|(n, v)| Some((n, v?))) {
                let _ = writeln!(out, "        <property name=\"{name}\" value=\"{}\"/>", xml(&value));
            }
            let _ = writeln!(out, "      </properties>");
            // The message says what fails and the first sample; the body every sample, why a
            // key check runs, and the query that lists every failing row.
            let mut message = summary(r);
            if let Some(first) = r.samples.first() {
                message.push_str(&format!("; e.g. {}", sample_line(first)));
            }
            let mut body = Vec::new();
            if !r.samples.is_empty() {
                body.push(samples_text(r, "samples", "  "));
            }
            body.extend(r.reason.iter().map(|why| format!("runs because: {why}")));
            body.extend(r.rows_query.iter().map(|sql| format!("failing rows:\n{sql}")));
            let body = body.join("\n");
            match r.status {
                Status::Fail => {
                    let _ = writeln!(
                        out,
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                        xml(&message),
                        r.kind,
                        xml(&body)
                    );
                }
                Status::Warn => {
                    let _ = writeln!(out, "      <system-out>warning: {}\n{}</system-out>", xml(&message), xml(&body));
                }
                Status::Pass => {}
            }
            let _ = writeln!(out, "    </testcase>");
        }
        for p in problems {
            let _ = writeln!(out, "    <testcase name=\"{}\" classname=\"{}\">", xml(&p.check), xml(table));
            let _ = writeln!(out, "      <error message=\"{}\" type=\"could_not_run\"/>", xml(&p.message));
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// GitHub workflow commands: an annotation per failed check or problem, then the summary line.
/// Each failed or warning check points at its `name:` line under the table's `checks:`.
fn github(layout: &Layout, report: &Report) -> String {
    let files = crate::load::declarations(&layout.schema);
    let mut out = String::new();
    for r in &report.results {
        let level = match r.status {
            Status::Pass => continue,
            Status::Fail => "error",
            Status::Warn => "warning",
        };
        let mut message = summary(r);
        if !r.samples.is_empty() {
            message.push('\n');
            message.push_str(&samples_text(r, "samples", "  "));
        }
        if let Some(why) = &r.reason {
            message.push_str(&format!("\nruns because: {why}"));
        }
        let title = format!("schema validate: {}.{}", r.table, r.check);
        let (file, line) = locate(layout, &files, &r.table, Some(&r.check), Some("checks"));
        let _ = writeln!(out, "{}", annotation(level, &title, &message, Some((&file, line))));
    }
    for line in problem_lines(report) {
        let _ = writeln!(out, "{}", annotation("error", "schema validate: could not run", &line, None));
    }
    out.push_str(text(report, true).lines().last().unwrap_or_default());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_never_hide_a_failure() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(1.0 / 2_000_000.0), "<0.01%");
        assert_eq!(percent(0.0525), "5.25%");
    }

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(xml("a<b & \"c\" 'd'\u{1}"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;?");
    }
}
