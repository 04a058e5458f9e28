//! Redshift's own properties of tables, columns and materialized views, held by the model as
//! `redshift` on each. The neutral differ only notices that they differ; what differs, the
//! words the plan and drift findings use for it, the YAML `inspect` writes and the lines of
//! `schema docs` are Redshift's, here (`words`), and the Redshift driver lowers them. The YAML
//! keeps them flat (`distribution:`, `sort_key:`, `backup:`, `encode:`): `load` reads them into
//! these types in one place (`load/redshift.rs`). `state.json` stores them as they serialise.

use serde::{Deserialize, Serialize};
use std::fmt;

mod words;
pub use words::{distribution_text, sort_key_text, Spelling};

/// A table's. The default is what the tool makes of a YAML that says nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableAttrs {
    pub distribution: Distribution,
    pub sort_key: SortKey,
    pub backup: bool,
}

impl Default for TableAttrs {
    fn default() -> Self {
        TableAttrs { distribution: Distribution::Auto, sort_key: SortKey::AUTO, backup: true }
    }
}

impl TableAttrs {
    /// The properties that differ from `other`, as the YAML names them.
    pub fn changed(&self, other: &Self) -> Vec<&'static str> {
        differing([
            ("distribution", self.distribution != other.distribution),
            ("sort_key", self.sort_key != other.sort_key),
            ("backup", self.backup != other.backup),
        ])
    }
}

/// A column's. None: Redshift picks the encoding (ENCODE AUTO when no column of the table has one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnAttrs {
    #[serde(default)]
    pub encode: Option<String>,
}

impl ColumnAttrs {
    /// The properties that differ from `other`, as the YAML names them.
    pub fn changed(&self, other: &Self) -> Vec<&'static str> {
        differing([("encode", self.encode != other.encode)])
    }
}

/// A materialized view's options (a plain view has none). The default is what the tool makes
/// of a YAML that says nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewAttrs {
    pub backup: bool,
    pub auto_refresh: bool,
    pub distribution: Distribution,
    /// Always compound: a materialized view takes no other kind.
    pub sort_key: SortKey,
}

impl Default for ViewAttrs {
    fn default() -> Self {
        ViewAttrs {
            backup: true,
            auto_refresh: false,
            distribution: Distribution::Even,
            sort_key: SortKey { kind: SortKind::Compound, columns: vec![] },
        }
    }
}

impl ViewAttrs {
    /// The properties that differ from `other`, as the YAML names them.
    pub fn changed(&self, other: &Self) -> Vec<&'static str> {
        differing([
            ("backup", self.backup != other.backup),
            ("auto_refresh", self.auto_refresh != other.auto_refresh),
            ("distribution", self.distribution != other.distribution),
            ("sort_key", self.sort_key != other.sort_key),
        ])
    }
}

fn differing<const N: usize>(properties: [(&'static str, bool); N]) -> Vec<&'static str> {
    properties.into_iter().filter(|(_, differs)| *differs).map(|(name, _)| name).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "DistributionRepr", from = "DistributionRepr")]
pub enum Distribution {
    Auto,
    Even,
    All,
    Key(String),
}

/// How a distribution is stored and seen by templates: always `{ style, key }`.
#[derive(Serialize, Deserialize)]
struct DistributionRepr {
    style: String,
    #[serde(default)]
    key: Option<String>,
}

impl From<Distribution> for DistributionRepr {
    fn from(d: Distribution) -> Self {
        DistributionRepr { style: d.style().to_ascii_lowercase(), key: d.key().map(str::to_string) }
    }
}

/// Read as state files always were: what is not a known style (or a key without its column) is AUTO.
impl From<DistributionRepr> for Distribution {
    fn from(r: DistributionRepr) -> Self {
        match (r.style.as_str(), r.key) {
            ("key", Some(k)) => Distribution::Key(k),
            ("even", _) => Distribution::Even,
            ("all", _) => Distribution::All,
            _ => Distribution::Auto,
        }
    }
}

impl Distribution {
    pub fn style(&self) -> &'static str {
        match self {
            Distribution::Auto => "AUTO",
            Distribution::Even => "EVEN",
            Distribution::All => "ALL",
            Distribution::Key(_) => "KEY",
        }
    }

    pub fn key(&self) -> Option<&str> {
        match self {
            Distribution::Key(k) => Some(k),
            _ => None,
        }
    }
}

/// As Redshift writes it: `EVEN`, `KEY(session_id)`.
impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key() {
            Some(k) => write!(f, "KEY({k})"),
            None => f.write_str(self.style()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortKind {
    Auto,
    None,
    Compound,
    Interleaved,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SortKeyRepr")]
pub struct SortKey {
    pub kind: SortKind,
    pub columns: Vec<String>,
}

/// A sort key as state files store it, read as they always were: an unknown kind is AUTO.
#[derive(Deserialize)]
struct SortKeyRepr {
    kind: String,
    #[serde(default)]
    columns: Vec<String>,
}

impl From<SortKeyRepr> for SortKey {
    fn from(r: SortKeyRepr) -> Self {
        let kind = match r.kind.as_str() {
            "none" => SortKind::None,
            "compound" => SortKind::Compound,
            "interleaved" => SortKind::Interleaved,
            _ => SortKind::Auto,
        };
        SortKey { kind, columns: r.columns }
    }
}

/// As Redshift writes it: `AUTO`, `NONE`, `COMPOUND(event_date, event_timestamp)`.
impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SortKind::Auto => f.write_str("AUTO"),
            SortKind::None => f.write_str("NONE"),
            SortKind::Compound => write!(f, "COMPOUND({})", self.columns.join(", ")),
            SortKind::Interleaved => write!(f, "INTERLEAVED({})", self.columns.join(", ")),
        }
    }
}

impl SortKey {
    pub const AUTO: SortKey = SortKey { kind: SortKind::Auto, columns: Vec::new() };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_names_the_properties_that_differ() {
        let t = TableAttrs::default();
        assert!(t.changed(&t).is_empty());
        let other = TableAttrs { distribution: Distribution::Even, backup: false, ..t.clone() };
        assert_eq!(t.changed(&other), ["distribution", "backup"]);
        let v = ViewAttrs::default();
        assert_eq!(v.changed(&ViewAttrs { auto_refresh: true, ..v.clone() }), ["auto_refresh"]);
        let c = ColumnAttrs { encode: Some("zstd".into()) };
        assert_eq!(c.changed(&ColumnAttrs::default()), ["encode"]);
    }

    /// State files hold these as they serialise; what no version wrote still reads, as before.
    #[test]
    fn serialise_as_state_files_hold_them() {
        let json = serde_json::to_string(&TableAttrs::default()).unwrap();
        assert_eq!(
            json,
            r#"{"distribution":{"style":"auto","key":null},"sort_key":{"kind":"auto","columns":[]},"backup":true}"#
        );
        let odd: TableAttrs = serde_json::from_str(
            r#"{"distribution": {"style": "key"}, "sort_key": {"kind": "sideways"}, "backup": true}"#,
        )
        .unwrap();
        assert_eq!(odd, TableAttrs::default());
    }
}
