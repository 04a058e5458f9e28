//! Redshift's properties in words: the plan's lines, drift findings, the facts `schema docs`
//! lists and the YAML `inspect` writes. Plan lines and finding kinds are what users' CI reads:
//! they do not change.

use super::{ColumnAttrs, Distribution, SortKey, SortKind, TableAttrs, ViewAttrs};
use crate::model::Difference;

/// How a caller spells a name and a list of names: code spans in `schema docs` (a list of none
/// is nothing), YAML scalars in `inspect`.
pub struct Spelling<'a> {
    pub name: &'a dyn Fn(&str) -> String,
    pub list: &'a dyn Fn(&[String]) -> String,
}

/// The plan's line for a new distribution, a change's and an operation's alike.
pub fn distribution_text(table: &str, from: &Distribution, to: &Distribution) -> String {
    format!("alter distribution of {table}: {} -> {}", lower(from), lower(to))
}

/// The plan's line for a new sort key, a change's and an operation's alike.
pub fn sort_key_text(table: &str, to: &SortKey) -> String {
    format!("alter sort key of {table} to {}", lower(to))
}

/// Listings spell keys in lower case (`key(session_id)`, `compound(a, b)`).
fn lower(value: &impl std::fmt::Display) -> String {
    value.to_string().to_lowercase()
}

fn yes_no(on: bool) -> &'static str {
    if on {
        "YES"
    } else {
        "NO"
    }
}

/// A finding: the YAML's value first, the database's second.
fn finding(kind: &'static str, hint: &'static str, expected: String, actual: String) -> Difference {
    Difference { kind, hint, expected, actual }
}

impl TableAttrs {
    /// The plan's lines for going from these to `to`, on `table` (as displayed).
    pub fn plan(&self, to: &Self, table: &str) -> Vec<String> {
        let mut lines = Vec::new();
        if self.distribution != to.distribution {
            lines.push(distribution_text(table, &self.distribution, &to.distribution));
        }
        if self.sort_key != to.sort_key {
            lines.push(sort_key_text(table, &to.sort_key));
        }
        if self.backup != to.backup {
            lines.push(format!("set backup of {table} to {}", yes_no(to.backup).to_lowercase()));
        }
        lines
    }

    /// The drift findings of the database's (these) against the YAML's.
    pub fn differences(&self, desired: &Self) -> Vec<Difference> {
        let mut out = Vec::new();
        if self.distribution != desired.distribution {
            let (d, l) = (desired.distribution.to_string(), self.distribution.to_string());
            out.push(finding("distribution", "the table's `distribution:`", d, l));
        }
        if self.sort_key != desired.sort_key {
            let (d, l) = (desired.sort_key.to_string(), self.sort_key.to_string());
            out.push(finding("sort_key", "the table's `sort_key:`", d, l));
        }
        if self.backup != desired.backup {
            let (d, l) = (yes_no(desired.backup).into(), yes_no(self.backup).into());
            out.push(finding("backup", "the table's `backup:`", d, l));
        }
        out
    }

    /// What `schema docs` lists of a table, where it is not the default.
    pub fn facts(&self, s: &Spelling) -> Vec<String> {
        let mut facts = Vec::new();
        if self.distribution != Distribution::Auto {
            facts.push(format!("Distribution (Redshift): {}", docs_distribution(&self.distribution, s)));
        }
        if self.sort_key.kind != SortKind::Auto {
            let kind = format!("{:?}", self.sort_key.kind).to_ascii_lowercase();
            let text = format!("Sort key (Redshift): {kind} {}", (s.list)(&self.sort_key.columns));
            facts.push(text.trim_end().to_string());
        }
        if !self.backup {
            facts.push("Backup (Redshift): no".into());
        }
        facts
    }

    /// The lines of a table file `inspect` writes, where they are not the default.
    pub fn yaml(&self, s: &Spelling) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.backup {
            lines.push("backup: false".into());
        }
        if self.distribution != Distribution::Auto {
            lines.push(format!("distribution: {}", yaml_distribution(&self.distribution, s)));
        }
        let columns = (s.list)(&self.sort_key.columns);
        match self.sort_key.kind {
            SortKind::Auto => {}
            SortKind::None => lines.push("sort_key: { kind: none }".into()),
            SortKind::Compound => lines.push(format!("sort_key: {{ columns: {columns} }}")),
            SortKind::Interleaved => lines.push(format!("sort_key: {{ kind: interleaved, columns: {columns} }}")),
        }
        lines
    }
}

impl ColumnAttrs {
    /// The plan's words for what changes, within the column's `alter column` line.
    pub fn plan(&self, to: &Self) -> Vec<String> {
        let changed = self.encode != to.encode;
        changed.then(|| format!("encoding {}", encoding(&to.encode))).into_iter().collect()
    }

    /// The drift findings of the database's (these) against the YAML's.
    pub fn differences(&self, desired: &Self) -> Vec<Difference> {
        let changed = self.encode != desired.encode;
        let (d, l) = (encoding(&desired.encode), encoding(&self.encode));
        changed.then(|| finding("encoding", "the column's `encode:`", d, l)).into_iter().collect()
    }

    /// What `schema docs` adds to the column's type.
    pub fn facts(&self) -> Vec<String> {
        self.encode.iter().map(|e| format!("encode {e}")).collect()
    }

    /// The fields of the column's line `inspect` writes, where they are not the default.
    pub fn yaml(&self, s: &Spelling) -> Vec<String> {
        self.encode.iter().map(|e| format!("encode: {}", (s.name)(e))).collect()
    }
}

fn encoding(encode: &Option<String>) -> String {
    encode.clone().unwrap_or_else(|| "auto".into())
}

impl ViewAttrs {
    /// The drift finding of the database's (these) against the YAML's: one for all options.
    pub fn differences(&self, desired: &Self) -> Vec<Difference> {
        let hint = "the view's `backup:`, `distribution:`, `sort_key:` and `auto_refresh:`";
        let changed = self != desired;
        changed.then(|| finding("mv_options", hint, desired.options(), self.options())).into_iter().collect()
    }

    fn options(&self) -> String {
        let columns = &self.sort_key.columns;
        let sort = if columns.is_empty() { "none".into() } else { format!("({})", columns.join(", ")) };
        let (backup, refresh) = (yes_no(self.backup), yes_no(self.auto_refresh));
        format!("BACKUP {backup}, DISTSTYLE {}, SORTKEY {sort}, AUTO REFRESH {refresh}", self.distribution)
    }

    /// What `schema docs` lists of a materialized view.
    pub fn facts(&self, s: &Spelling) -> String {
        let sort = (s.list)(&self.sort_key.columns);
        format!(
            "Redshift: backup {}, auto refresh {}, distribution {}{}",
            yes_no(self.backup).to_lowercase(),
            yes_no(self.auto_refresh).to_lowercase(),
            docs_distribution(&self.distribution, s),
            if sort.is_empty() { String::new() } else { format!(", sort key {sort}") },
        )
    }

    /// The lines of a materialized view's file `inspect` writes, where they are not the default.
    pub fn yaml(&self, s: &Spelling) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.backup {
            lines.push("backup: false".into());
        }
        if self.auto_refresh {
            lines.push("auto_refresh: true".into());
        }
        if self.distribution != Distribution::Even {
            lines.push(format!("distribution: {}", yaml_distribution(&self.distribution, s)));
        }
        if !self.sort_key.columns.is_empty() {
            lines.push(format!("sort_key: {{ columns: {} }}", (s.list)(&self.sort_key.columns)));
        }
        lines
    }
}

fn docs_distribution(d: &Distribution, s: &Spelling) -> String {
    match d.key() {
        Some(key) => format!("{} ({})", d.style(), (s.name)(key)),
        None => d.style().to_string(),
    }
}

fn yaml_distribution(d: &Distribution, s: &Spelling) -> String {
    match d.key() {
        Some(k) => format!("{{ style: key, key: {} }}", (s.name)(k)),
        None => format!("{{ style: {} }}", d.style().to_ascii_lowercase()),
    }
}
