//! The one in-memory model of a warehouse schema. The YAML loads into it, the live catalog is
//! read into it, the planner compares two of them and the templates render it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Redshift,
}

impl Dialect {
    pub const ALL: [Dialect; 2] = [Dialect::Postgres, Dialect::Redshift];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Redshift => "redshift",
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Dialect, String> {
        Dialect::ALL.into_iter().find(|d| d.name() == s).ok_or_else(|| format!("unknown dialect `{s}`"))
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A whole project: settings plus every table and view, in declaration-independent order
/// (sorted by name; dependency order is computed where it matters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub name: String,
    pub namespace: String,
    pub dialects: Vec<Dialect>,
    pub phases: Vec<u8>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Name of the generated procedure that refreshes every materialized view in dependency
    /// order (for scheduled refreshes); None: no procedure.
    #[serde(default)]
    pub refresh_procedure: Option<String>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub phase: u8,
    #[serde(default)]
    pub description: Option<String>,
    pub columns: Vec<Column>,
    #[serde(default)]
    pub primary_key: Vec<String>,
    #[serde(default)]
    pub unique: Vec<Vec<String>>,
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    pub distribution: Distribution,
    pub sort_key: SortKey,
    pub backup: bool,
    #[serde(default)]
    pub indexes: Vec<Index>,
    #[serde(default)]
    pub rows: Vec<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub checks: Vec<Check>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// True when no column declares an encoding: Redshift then manages encodings (ENCODE AUTO).
    pub fn encode_auto(&self) -> bool {
        self.columns.iter().all(|c| c.encode.is_none())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    pub nullable: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub identity: Option<Identity>,
    #[serde(default)]
    pub encode: Option<String>,
    /// SQL expression this column is derived from, e.g. `DATE(event_timestamp)`.
    #[serde(default)]
    pub derived: Option<String>,
    #[serde(default)]
    pub renamed_from: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    #[serde(default = "one")]
    pub seed: i64,
    #[serde(default = "one")]
    pub step: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub table: String,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub name: String,
    /// Column names, optionally followed by ` DESC`.
    pub columns: Vec<String>,
    #[serde(default)]
    pub unique: bool,
    #[serde(default, rename = "where")]
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "DistributionRepr", try_from = "DistributionRepr")]
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
    key: Option<String>,
}

impl From<Distribution> for DistributionRepr {
    fn from(d: Distribution) -> Self {
        DistributionRepr { style: d.style().to_ascii_lowercase(), key: d.key().map(str::to_string) }
    }
}

impl TryFrom<DistributionRepr> for Distribution {
    type Error = String;
    fn try_from(r: DistributionRepr) -> Result<Self, String> {
        match (r.style.as_str(), r.key) {
            ("auto", None) => Ok(Distribution::Auto),
            ("even", None) => Ok(Distribution::Even),
            ("all", None) => Ok(Distribution::All),
            ("key", Some(k)) => Ok(Distribution::Key(k)),
            (style, _) => Err(format!("invalid distribution `{style}`")),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKind {
    Auto,
    None,
    Compound,
    Interleaved,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortKey {
    pub kind: SortKind,
    #[serde(default)]
    pub columns: Vec<String>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    pub materialized: bool,
    pub phase: u8,
    #[serde(default)]
    pub description: Option<String>,
    /// The body as written, with `{{ ref('t') }}` placeholders.
    pub sql: String,
    /// Tables and views the body references, sorted.
    pub depends_on: Vec<String>,
    /// Redshift materialized-view options.
    pub backup: bool,
    pub auto_refresh: bool,
    pub distribution: Distribution,
    pub sort_key: SortKey,
    #[serde(default)]
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        }
    }
}

/// Portable column types, parsed once from the YAML (or the catalog) and rendered per dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    SmallInt,
    Integer,
    BigInt,
    Decimal(u8, u8),
    Real,
    Double,
    Boolean,
    Char(u32),
    Varchar(u32),
    Text,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Json,
    Uuid,
}

pub const MAX_VARCHAR: u32 = 65535;
/// The portable type names, for "did you mean" suggestions.
pub const TYPE_NAMES: [&str; 16] = [
    "smallint",
    "integer",
    "bigint",
    "decimal",
    "real",
    "double",
    "boolean",
    "char",
    "varchar",
    "text",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "json",
    "uuid",
];
pub const MAX_CHAR: u32 = 4096;

impl ColumnType {
    /// Parses a type name as written in YAML or returned by `format_type`. The error says what
    /// was expected and, for types a dialect lacks, what to use instead.
    pub fn parse(text: &str) -> Result<ColumnType, String> {
        let norm = text.trim().to_ascii_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        if norm.ends_with("[]") || norm.starts_with("array") {
            return Err("arrays are not portable (Redshift has none); use `json` (Redshift SUPER)".into());
        }
        let (base, args) = match norm.find('(') {
            Some(i) if norm.ends_with(')') => {
                let args: Vec<&str> = norm[i + 1..norm.len() - 1].split(',').map(str::trim).collect();
                (norm[..i].trim_end(), Some(args))
            }
            Some(_) => return Err(format!("unbalanced parenthesis in type `{text}`")),
            None => (norm.as_str(), None),
        };
        let num = |s: &str| s.parse::<u32>().map_err(|_| format!("`{s}` is not a length in type `{text}`"));
        let no_args = |t: ColumnType| match &args {
            None => Ok(t),
            Some(_) => Err(format!("type `{base}` takes no arguments")),
        };
        match base {
            "smallint" | "int2" => no_args(ColumnType::SmallInt),
            "integer" | "int" | "int4" => no_args(ColumnType::Integer),
            "bigint" | "int8" => no_args(ColumnType::BigInt),
            "real" | "float4" => no_args(ColumnType::Real),
            "double" | "double precision" | "float8" | "float" => no_args(ColumnType::Double),
            "boolean" | "bool" => no_args(ColumnType::Boolean),
            "text" => no_args(ColumnType::Text),
            "date" => no_args(ColumnType::Date),
            "time" | "time without time zone" => no_args(ColumnType::Time),
            "timestamp" | "timestamp without time zone" => no_args(ColumnType::Timestamp),
            "timestamptz" | "timestamp with time zone" => no_args(ColumnType::TimestampTz),
            "json" | "jsonb" | "super" => no_args(ColumnType::Json),
            "uuid" => no_args(ColumnType::Uuid),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" => Err(format!(
                "`{base}` is not portable (Redshift has no sequences); use an integer type with `identity: true`"
            )),
            "decimal" | "numeric" => match args.as_deref() {
                None => Ok(ColumnType::Decimal(18, 0)),
                Some([p]) => decimal(num(p)?, 0),
                Some([p, s]) => decimal(num(p)?, num(s)?),
                Some(_) => Err("decimal takes (precision, scale)".into()),
            },
            "varchar" | "character varying" | "nvarchar" => match args.as_deref() {
                Some(["max"]) => Ok(ColumnType::Varchar(MAX_VARCHAR)),
                Some([n]) => match num(n)? {
                    n @ 1..=MAX_VARCHAR => Ok(ColumnType::Varchar(n)),
                    n => Err(format!("varchar({n}) is out of range: the length must be 1..={MAX_VARCHAR}")),
                },
                _ => Err("varchar needs a length, e.g. varchar(64) (Redshift would silently use 256)".into()),
            },
            "char" | "character" | "bpchar" => match args.as_deref() {
                None => Ok(ColumnType::Char(1)),
                Some([n]) => match num(n)? {
                    n @ 1..=MAX_CHAR => Ok(ColumnType::Char(n)),
                    n => Err(format!("char({n}) is out of range: the length must be 1..={MAX_CHAR}")),
                },
                Some(_) => Err("char takes one length".into()),
            },
            _ => Err(format!("unknown type `{}`", text.trim())),
        }
    }

    /// Types Redshift accepts as distribution or sort key columns.
    pub fn can_be_redshift_key(self) -> bool {
        !matches!(self, ColumnType::Json | ColumnType::Text | ColumnType::Uuid)
    }

    pub fn is_integer(self) -> bool {
        matches!(self, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt)
    }
}

fn decimal(p: u32, s: u32) -> Result<ColumnType, String> {
    if !(1..=38).contains(&p) || s > p {
        return Err(format!("decimal({p},{s}) is out of range: precision 1..=38 and scale <= precision"));
    }
    Ok(ColumnType::Decimal(p as u8, s as u8))
}

/// The portable spelling, as written in YAML.
impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Decimal(p, s) => write!(f, "decimal({p},{s})"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Char(n) => write!(f, "char({n})"),
            ColumnType::Varchar(n) => write!(f, "varchar({n})"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::TimestampTz => f.write_str("timestamptz"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Uuid => f.write_str("uuid"),
        }
    }
}

impl Serialize for ColumnType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ColumnType::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Project {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.iter().find(|v| v.name == name)
    }

    /// The same settings without any object: what the first migration starts from.
    pub fn emptied(&self) -> Project {
        Project { tables: vec![], views: vec![], refresh_procedure: None, ..self.clone() }
    }

    /// The tables of the enabled phases with these names (all of them when `names` is empty),
    /// or what is wrong with a name.
    pub fn enabled_tables(&self, names: &[String]) -> Result<Vec<&Table>, String> {
        let on = |t: &&Table| self.phases.contains(&t.phase);
        if names.is_empty() {
            return Ok(self.tables.iter().filter(on).collect());
        }
        let mut found = Vec::new();
        for name in names {
            match self.table(name) {
                Some(t) if on(&t) => found.push(t),
                Some(t) => return Err(format!("table `{name}` is in phase {}, which is not enabled", t.phase)),
                None => {
                    return Err(crate::suggest::unknown("table", name, self.tables.iter().map(|t| t.name.as_str())))
                }
            }
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found.dedup_by(|a, b| a.name == b.name);
        Ok(found)
    }

    /// The project restricted to its enabled phases: what generate, migrate, diff and validate see.
    pub fn enabled(&self) -> Project {
        let on = |phase: u8| self.phases.contains(&phase);
        Project {
            tables: self.tables.iter().filter(|t| on(t.phase)).cloned().collect(),
            views: self.views.iter().filter(|v| on(v.phase)).cloned().collect(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aliases_to_one_type() {
        for (text, ty) in [
            ("character varying(64)", ColumnType::Varchar(64)),
            ("VARCHAR( 64 )", ColumnType::Varchar(64)),
            ("int4", ColumnType::Integer),
            ("timestamp without time zone", ColumnType::Timestamp),
            ("numeric(10,2)", ColumnType::Decimal(10, 2)),
            ("varchar(max)", ColumnType::Varchar(65535)),
            ("jsonb", ColumnType::Json),
        ] {
            assert_eq!(ColumnType::parse(text), Ok(ty), "{text}");
            assert_eq!(ColumnType::parse(&ty.to_string()), Ok(ty), "round trip of {ty}");
        }
    }

    #[test]
    fn rejects_what_is_not_portable() {
        assert!(ColumnType::parse("serial").unwrap_err().contains("identity: true"));
        assert!(ColumnType::parse("integer[]").unwrap_err().contains("json"));
        assert!(ColumnType::parse("varchar(70000)").unwrap_err().contains("65535"));
        assert!(ColumnType::parse("varchar").unwrap_err().contains("length"));
        assert!(ColumnType::parse("decimal(40,2)").unwrap_err().contains("38"));
        assert!(ColumnType::parse("money").unwrap_err().contains("unknown type"));
    }
}
