//! `schema plan`: the review of a pull request's migrations, as text, Markdown (a PR comment)
//! or JSON.

use super::args::{Cli, OutputFormat};
use super::{format, target};
use crate::error::Result;
use crate::layout::Layout;
use crate::model::Project;
use crate::review::{self, Migration, TableSize};
use crate::terminal::count;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Text,
    Markdown,
    Json,
}

pub fn plan(cli: &Cli, layout: &Layout, project: &Project) -> Result<ExitCode> {
    let formats = [
        (OutputFormat::Text, Format::Text),
        (OutputFormat::Markdown, Format::Markdown),
        (OutputFormat::Json, Format::Json),
    ];
    let format = format(cli, "plan", &formats)?;
    // Only a database named on purpose: a default target would make the review depend on
    // whoever runs it.
    let (database, migrations, sizes) = if target::named_explicitly(cli) {
        let target = target::chosen(cli, layout, Some(project))?.target;
        // One connection for the history and the sizes.
        let client = &mut target.connect()?;
        let migrations = review::pending(layout, project, client, target.dialect())?;
        let sizes = match migrations.iter().any(|m| !m.whole_tables.is_empty()) {
            true => review::table_sizes(client, target.dialect(), &project.managed_namespaces())?,
            false => BTreeMap::new(),
        };
        (Some(format!("{} ({})", target.redacted(), target.dialect())), migrations, Some(sizes))
    } else {
        (None, review::ungenerated(layout, project)?, None)
    };
    let title = match (&database, migrations.len()) {
        (Some(db), 0) => format!("no migration pending on {db}"),
        (Some(db), n) => format!("{} pending on {db}", count(n, "migration")),
        (None, 0) => {
            "the migrations are up to date with the YAML; name a database (--target) to see what is pending there"
                .into()
        }
        (None, n) => format!("{} not generated yet (run `schema generate`)", count(n, "migration")),
    };
    let out = match format {
        Format::Json => {
            let doc = serde_json::json!({
                "command": "plan",
                "database": database,
                "source": if database.is_some() { "pending" } else { "ungenerated" },
                "migrations": migrations,
                "table_sizes": sizes,
            });
            format!("{doc:#}\n")
        }
        Format::Markdown => markdown(&title, &migrations, sizes.as_ref()),
        Format::Text => text(&title, &migrations, sizes.as_ref()),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn name(m: &Migration) -> String {
    let file = m.file.clone().unwrap_or_else(|| "(next migration)".into());
    let tx = if m.transactional { "" } else { ", outside a transaction" };
    format!("{file} ({}{tx})", m.dialect)
}

/// `analytics.messages: 1,200,000,000 rows, 340.2 GiB`; for a table the size query does not
/// list, why it may not (the dialect's reasons: Redshift leaves empty tables out, and shows its
/// sizes only to superusers).
fn size_line(table: &str, m: &Migration, sizes: Option<&BTreeMap<String, TableSize>>) -> String {
    let Some(sizes) = sizes else { return table.to_string() };
    match sizes.get(table) {
        Some(s) => {
            let rows = s.rows.map_or("unknown rows (never analyzed)".into(), |r| format!("{} rows", thousands(r)));
            format!("{table}: {rows}, {}", bytes(s.bytes))
        }
        None => format!("{table}: no size known ({})", crate::dialect::driver(m.dialect).size_unknown()),
    }
}

fn text(title: &str, migrations: &[Migration], sizes: Option<&BTreeMap<String, TableSize>>) -> String {
    let mut out = format!("{title}\n");
    for m in migrations {
        let _ = writeln!(out, "\n{}", name(m));
        let mut section = |label: &str, items: Vec<String>| {
            if !items.is_empty() {
                let _ = writeln!(out, "  {label}:");
                for i in &items {
                    let _ = writeln!(out, "    {i}");
                }
            }
        };
        section("changes", m.changes.clone());
        section("hazards", m.hazards.clone());
        section("whole tables", m.whole_tables.iter().map(|t| size_line(t, m, sizes)).collect());
        section("sql", m.sql.lines().map(str::to_string).collect());
    }
    out
}

fn markdown(title: &str, migrations: &[Migration], sizes: Option<&BTreeMap<String, TableSize>>) -> String {
    let mut out = format!("## schema plan: {title}\n");
    for m in migrations {
        let _ = writeln!(out, "\n### {}\n", name(m));
        for h in &m.hazards {
            let _ = writeln!(out, "- ⚠️ {}", html(h));
        }
        for t in &m.whole_tables {
            let _ = writeln!(out, "- 📦 {}", html(&size_line(t, m, sizes)));
        }
        if !m.changes.is_empty() {
            let _ = writeln!(out, "\n<details><summary>{} change(s)</summary>\n", m.changes.len());
            for c in &m.changes {
                let _ = writeln!(out, "- {}", html(c));
            }
            out.push_str("\n</details>\n");
        }
        // A fence longer than any backtick run in the SQL, so the SQL cannot close it.
        let fence = "`".repeat(3.max(longest_run(&m.sql, '`') + 1));
        let _ = writeln!(out, "\n<details><summary>SQL</summary>\n\n{fence}sql\n{}{fence}\n\n</details>", m.sql);
    }
    out
}

/// Text from the YAML or a migration's header, safe in a Markdown list: no HTML of its own (a
/// `</details>` in a default must not close the comment's blocks), no code spans or `*` emphasis
/// (GitHub does not emphasise `_` inside words, so names keep theirs).
fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('`', "&#96;").replace('*', "&#42;")
}

fn longest_run(text: &str, c: char) -> usize {
    text.split(|x| x != c).map(str::len).max().unwrap_or(0)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn bytes(n: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let (mut value, mut unit) = (n as f64, 0);
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dialect;

    #[test]
    fn numbers_read_as_a_reviewer_reads_them() {
        assert_eq!(thousands(1_200_000_000), "1,200,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(340 * 1024 * 1024 * 1024 + 200 * 1024 * 1024), "340.2 GiB");
        assert_eq!(longest_run("a ``` b `` c", '`'), 3);
        assert_eq!(html("'</details><h1>x</h1>` *"), "'&lt;/details&gt;&lt;h1&gt;x&lt;/h1&gt;&#96; &#42;");
    }

    #[test]
    fn a_table_without_a_size_says_why_for_its_dialect() {
        let on = |dialect| Migration {
            dialect,
            file: None,
            transactional: true,
            changes: vec![],
            hazards: vec![],
            whole_tables: vec![],
            sql: String::new(),
        };
        let none = BTreeMap::new();
        for dialect in Dialect::ALL {
            let why = crate::dialect::driver(dialect).size_unknown();
            assert_eq!(
                size_line("analytics.t", &on(dialect), Some(&none)),
                format!("analytics.t: no size known ({why})")
            );
        }
    }
}
