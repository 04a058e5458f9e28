//! What a run covers: the checks of a table (the YAML's and the key checks), and the rows
//! (`--since`).

use super::Since;
use crate::calendar;
use crate::error::{Error, Result};
use crate::model::{Check, KeyChecks, Project, Table};

/// `--since`: a day (`YYYY-MM-DD`), `today`, `yesterday` or `<n>d` (n days before today, UTC).
pub(super) fn since_day(text: &str) -> Result<String> {
    let today = calendar::now_ms().div_euclid(86_400_000);
    let relative = match text.trim() {
        "today" => Some(0),
        "yesterday" => Some(1),
        t => t.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()).filter(|n| (0..=36_500).contains(n)),
    };
    match relative.map(|n| today - n).or_else(|| calendar::parse_day(text)) {
        Some(day) => Ok(calendar::date_text(day)),
        None => Err(Error::new(format!(
            "--since `{text}`: expected a date as YYYY-MM-DD (year 1 to 9999), today, yesterday or a number of days such as 3d"
        ))),
    }
}

/// A table's checks: those of the YAML, then its keys' (`key_checks`: `auto` and `always`; `auto`
/// ones run only where the server does not enforce the key, which the run settles), with the
/// names of the key checks.
pub(super) fn checks_of(project: &Project, table: &Table) -> (Vec<Check>, Vec<String>) {
    let mut checks = table.checks.clone();
    if table.key_checks.unwrap_or(project.key_checks) == KeyChecks::Off {
        return (checks, vec![]);
    }
    let derived = table.checks_of_keys(|t| project.table(t).map(|t| t.primary_key.clone()).unwrap_or_default());
    // A declared check of the same kind (a `unique` on the key, say) already counts it.
    let mut keys = Vec::new();
    for d in derived {
        if !checks.iter().any(|c| c.name == d.name || c.kind == d.kind) {
            keys.push(d.name.clone());
            checks.push(d);
        }
    }
    (checks, keys)
}

/// `--since` narrows a table on its leading sort-key column when that is a date or timestamp
/// (event_date in the shipped schema), the column its time-range queries are organised by.
pub(super) fn since_column(table: &Table, date: &str) -> Option<Since> {
    let column = table.leading_date_column()?;
    Some(Since { column: column.name.clone(), source: column.derived.clone(), date: date.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckKind, ForeignKey};

    #[test]
    fn since_takes_days_relative_days_and_nothing_else() {
        let today = calendar::date_text(calendar::now_ms().div_euclid(86_400_000));
        let yesterday = calendar::date_text(calendar::now_ms().div_euclid(86_400_000) - 1);
        assert_eq!(since_day("2026-11-30").unwrap(), "2026-11-30");
        assert_eq!(since_day("today").unwrap(), today);
        assert_eq!(since_day("yesterday").unwrap(), yesterday);
        assert_eq!(since_day("1d").unwrap(), yesterday);
        assert_eq!(since_day("0d").unwrap(), today);
        for bad in ["3 days", "-1d", "d", "36501d", "2023-02-29", "tomorrow"] {
            assert!(since_day(bad).is_err(), "{bad}");
        }
    }

    fn project(key_checks: KeyChecks) -> Project {
        let text = "table: parent\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n";
        let child = "table: child\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: p, type: integer, unique: true, references: parent }\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("tables")).unwrap();
        std::fs::write(dir.path().join("schema.yaml"), "name: n\nnamespace: n\ndialects: [postgres, redshift]\n")
            .unwrap();
        std::fs::write(dir.path().join("tables/parent.yaml"), text).unwrap();
        std::fs::write(dir.path().join("tables/child.yaml"), child).unwrap();
        let mut p = crate::load::load(dir.path()).unwrap();
        p.key_checks = key_checks;
        p
    }

    #[test]
    fn key_checks_follow_the_setting() {
        let names = |p: &Project| -> (Vec<String>, Vec<String>) {
            let (checks, keys) = checks_of(p, p.table("child").unwrap());
            (checks.into_iter().map(|c| c.name).collect(), keys)
        };
        let all = ["primary_key_unique", "unique_p", "p_in_parent"];
        assert_eq!(names(&project(KeyChecks::Auto)), (all.map(String::from).to_vec(), all.map(String::from).to_vec()));
        assert_eq!(names(&project(KeyChecks::Always)).0.len(), 3);
        assert!(names(&project(KeyChecks::Off)).0.is_empty());
        let mut off_here = project(KeyChecks::Always);
        off_here.tables.iter_mut().for_each(|t| t.key_checks = Some(KeyChecks::Off));
        assert!(names(&off_here).0.is_empty(), "a table's setting wins");
        let auto = project(KeyChecks::Auto);
        let child = auto.table("child").unwrap();
        let fk = checks_of(&auto, child).0.into_iter().find(|c| c.name == "p_in_parent").unwrap();
        let expected =
            CheckKind::Relationship { columns: vec!["p".into()], table: "parent".into(), to: vec!["id".into()] };
        assert_eq!(fk.kind, expected);
        assert_eq!(child.foreign_keys, [ForeignKey::new(vec!["p".into()], "parent".into(), vec!["id".into()])]);
    }
}
