//! Data checks: what `schema validate` counts on a table, and when a count fails.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub column: String,
    pub days: u32,
}

/// A data check run by `schema validate`; every kind counts failing rows of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub severity: Severity,
    #[serde(default)]
    pub window: Option<Window>,
    pub kind: CheckKind,
    /// Failing rows above which the check warns, and fails (dbt's warn_if / error_if). Without
    /// either, any failing row is a failure of the check's severity.
    #[serde(default)]
    pub warn_above: Option<Threshold>,
    #[serde(default)]
    pub error_above: Option<Threshold>,
}

/// A number of failing rows, or a share of the rows checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    Rows(u64),
    Ratio(f64),
}

impl Threshold {
    pub fn exceeded(self, failing: u64, ratio: f64) -> bool {
        match self {
            Threshold::Rows(n) => failing > n,
            Threshold::Ratio(r) => ratio > r,
        }
    }
}

/// Which declared keys `validate` checks: uniqueness of primary and unique keys, and orphans of
/// foreign keys. `auto`: on dialects that do not enforce keys (Redshift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyChecks {
    #[default]
    Auto,
    Always,
    Off,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Rows where the column is NULL.
    NotNull { column: String },
    /// Rows whose derived column disagrees with its expression.
    Derived { column: String, expr: String },
    /// Rows matching `when`; fails when their share of all rows exceeds `max`.
    Ratio { when: String, max: f64 },
    /// Rows not satisfying a boolean SQL condition.
    Condition { sql: String },
    /// Rows whose reported latency differs from `end - start` by more than the tolerance.
    Latency { reported: String, start: String, end: String, tolerance_ms: u32 },
    /// Rows sharing their key columns with another row (optionally among rows matching `filter`).
    Unique { columns: Vec<String>, filter: Option<String> },
    /// Rows whose key (every column set) matches no row of `table`'s `to` columns: a foreign key
    /// Redshift does not enforce, a declared relationship, or values taken from a reference table.
    Relationship { columns: Vec<String>, table: String, to: Vec<String> },
    /// Rows whose column holds a value outside the list (NULL is not checked).
    AcceptedValues { column: String, values: Vec<serde_json::Value> },
    /// Rows whose column is below `min` or above `max` (NULL is not checked).
    Range { column: String, min: Option<serde_json::Value>, max: Option<serde_json::Value> },
    /// The age of the newest value of a date or timestamp column, in seconds, against warn and
    /// error limits: did today's load arrive. `zoned`: the column is a timestamp with time zone
    /// (others are UTC by convention).
    Freshness { column: String, warn_after: Option<u64>, error_after: Option<u64>, zoned: bool },
    /// Rows whose stored value differs from their lookup in a reference table (a value where
    /// the lookup gives none counts too; NULL is left to backfill and not checked).
    Lookup { column: String, lookup: super::Lookup },
    /// The rows checked (the window's, with `--since` the load's) against the median of the
    /// same check's last `runs` recorded runs (`validate --record`) over the same window: fails
    /// outside median × (1 ± tolerance).
    Volume { runs: u32, tolerance: f64 },
}

impl CheckKind {
    /// The kind as written in YAML.
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::NotNull { .. } => "not_null",
            CheckKind::Derived { .. } => "derived",
            CheckKind::Ratio { .. } => "ratio",
            CheckKind::Condition { .. } => "condition",
            CheckKind::Latency { .. } => "latency",
            CheckKind::Unique { .. } => "unique",
            CheckKind::Relationship { .. } => "relationship",
            CheckKind::AcceptedValues { .. } => "accepted_values",
            CheckKind::Range { .. } => "range",
            CheckKind::Freshness { .. } => "freshness",
            CheckKind::Volume { .. } => "volume",
            CheckKind::Lookup { .. } => "lookup",
        }
    }
}

impl super::Table {
    /// The checks `validate` derives from the table's keys where `key_checks` turns them on: the
    /// uniqueness of its primary and unique keys, and the orphans of its foreign keys.
    /// `primary_key_of` gives a referenced table's primary key, for a foreign key naming no
    /// columns. Their names are taken: a declared check of one of them must be that check.
    pub fn checks_of_keys(&self, primary_key_of: impl Fn(&str) -> Vec<String>) -> Vec<Check> {
        let key = |name: String, kind: CheckKind| Check {
            name,
            severity: Severity::Error,
            window: None,
            kind,
            warn_above: None,
            error_above: None,
        };
        let mut checks = Vec::new();
        if !self.primary_key.is_empty() {
            let columns = self.primary_key.clone();
            checks.push(key("primary_key_unique".into(), CheckKind::Unique { columns, filter: None }));
        }
        for u in &self.unique {
            let (name, columns) = (format!("unique_{}", u.columns.join("_")), u.columns.clone());
            checks.push(key(name, CheckKind::Unique { columns, filter: None }));
        }
        for fk in &self.foreign_keys {
            let to = if fk.references.is_empty() { primary_key_of(&fk.table) } else { fk.references.clone() };
            // `a_in_t`, or `a_in_raw_t` for `raw.t`: a check name is one word.
            let name = format!("{}_in_{}", fk.columns.join("_"), fk.table.replace('.', "_"));
            let kind = CheckKind::Relationship { columns: fk.columns.clone(), table: fk.table.clone(), to };
            checks.push(key(name, kind));
        }
        checks
    }
}
