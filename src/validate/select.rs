//! What a run covers: the checks of a table (the YAML's and the key checks), and the rows
//! (`--since`).

use super::Since;
use crate::calendar;
use crate::error::{Error, Result};
use crate::model::{Check, CheckKind, ColumnType, KeyChecks, Project, Severity, Table};

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

/// A table's checks: those of the YAML, then its keys' where they are checked (`key_checks`:
/// `auto` where the dialect does not enforce keys).
pub(super) fn checks_of(project: &Project, table: &Table, enforced: bool) -> Vec<Check> {
    let mut checks = table.checks.clone();
    let on = match table.key_checks.unwrap_or(project.key_checks) {
        KeyChecks::Off => false,
        KeyChecks::Always => true,
        KeyChecks::Auto => !enforced,
    };
    if !on {
        return checks;
    }
    let key = |name: String, kind: CheckKind| Check {
        name,
        severity: Severity::Error,
        window: None,
        kind,
        warn_above: None,
        error_above: None,
    };
    let mut derived = Vec::new();
    if !table.primary_key.is_empty() {
        let columns = table.primary_key.clone();
        derived.push(key("primary_key_unique".into(), CheckKind::Unique { columns, filter: None }));
    }
    for u in &table.unique {
        derived.push(key(format!("unique_{}", u.join("_")), CheckKind::Unique { columns: u.clone(), filter: None }));
    }
    for fk in &table.foreign_keys {
        let to = match fk.references.as_slice() {
            [] => project.table(&fk.table).map(|t| t.primary_key.clone()).unwrap_or_default(),
            given => given.to_vec(),
        };
        let name = format!("{}_in_{}", fk.columns.join("_"), fk.table);
        let kind = CheckKind::Relationship { columns: fk.columns.clone(), table: fk.table.clone(), to };
        derived.push(key(name, kind));
    }
    // A declared check of the same kind (a `unique` on the key, say) already counts it.
    for d in derived {
        if !checks.iter().any(|c| c.name == d.name || c.kind == d.kind) {
            checks.push(d);
        }
    }
    checks
}

/// `--since` narrows a table on its leading sort-key column when that is a date or timestamp
/// (event_date in the shipped schema), the column its time-range queries are organised by.
pub(super) fn since_column(table: &Table, date: &str) -> Option<Since> {
    let column = table.column(table.sort_key.columns.first()?)?;
    matches!(column.ty, ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz).then(|| Since {
        column: column.name.clone(),
        source: column.derived.clone(),
        date: date.to_string(),
    })
}
