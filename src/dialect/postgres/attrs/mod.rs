//! What only PostgreSQL has of tables, columns and views (after Atlas's `Attrs`): plain data the
//! model holds under `postgres`, which the driver reads from its catalog and lowers through its
//! templates, and state.json stores as it serialises. The neutral differ only sees that two
//! differ; `changed` names the properties that do, in the words plans and findings use.

mod exclude;
mod options;
mod partition;
pub(super) mod read;

pub use exclude::{operator_ok, Exclusion, ExclusionElement};
pub use options::{option_changes, parameter_key_problem, parameter_value};
pub use partition::{
    parse_bound, parse_key, Bound, Created, KeyPart, Partition, PartitionChange, Partitioning, Strategy, Value,
};

use crate::model::Sequence;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A key element as SQL: a column quoted (it may be named like a keyword), or one expression in
/// parentheses (the server keeps `(column)` a column).
pub fn element_sql(column: &Option<String>, expression: &Option<String>) -> String {
    match (column, expression) {
        (Some(c), _) => crate::sql::ident(c),
        (None, x) => format!("({})", x.as_deref().unwrap_or_default()),
    }
}

pub fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A column's own properties. Fields are always serialised (the templates read each one); the
/// model leaves the whole out where it is the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnAttrs {
    /// `COLLATE`: a collation of pg_catalog, by its name (`C`, `en_US.utf8`).
    pub collation: Option<String>,
    /// `GENERATED ALWAYS AS (<expression>) STORED`.
    pub generated: Option<String>,
    /// An identity `GENERATED ALWAYS` (explicit values refused) rather than `BY DEFAULT`.
    pub always: bool,
    /// The identity's sequence options beyond its seed and step: its type (`ty`) where it is not
    /// the column's, `min`, `max`, `cache` and `cycle`, each only where it differs from the
    /// default for the sequence's type and the step's direction (`Sequence::minimal`).
    pub sequence: Sequence,
    /// `serial`: an integer whose default draws from a sequence the column owns, named
    /// `<table>_<column>_seq`, with the default options.
    pub serial: bool,
    /// `SET STORAGE`: where its values are kept, where it is not the type's.
    pub storage: Option<Storage>,
    /// `SET STATISTICS`: the planner's sample size for the column (0 to 10000), where set.
    pub statistics: Option<i32>,
    /// `COMPRESSION`: how its long values are compressed, where set.
    pub compression: Option<Compression>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    Plain,
    External,
    Main,
    Extended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Pglz,
    Lz4,
}

impl Storage {
    /// From `pg_attribute.attstorage`.
    pub fn of(code: &str) -> Option<Storage> {
        match code {
            "p" => Some(Storage::Plain),
            "e" => Some(Storage::External),
            "m" => Some(Storage::Main),
            "x" => Some(Storage::Extended),
            _ => None,
        }
    }
}

/// A table's own properties.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableAttrs {
    /// `UNLOGGED`: not written to the WAL, so emptied after a crash and not replicated.
    pub unlogged: bool,
    /// Storage parameters (`WITH (...)`), name → value as `parameter_value` spells it;
    /// `toast.` names those of the table's TOAST table.
    pub with: BTreeMap<String, String>,
    /// EXCLUDE constraints, by name (the server keeps no order among constraints).
    pub exclude: Vec<Exclusion>,
    /// `PARTITION BY`, with the partitions.
    pub partitioning: Option<Partitioning>,
}

/// A (plain) view's own options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewAttrs {
    /// `WITH LOCAL | CASCADED CHECK OPTION`: rows written through the view must be visible in it.
    pub check_option: Option<CheckOption>,
    /// Predicates of the view run before any function of the query reading it.
    pub security_barrier: bool,
    /// The view reads its tables with the privileges of the role querying it.
    pub security_invoker: bool,
    /// A materialized view's storage parameters, as a table's `with`.
    pub with: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckOption {
    Local,
    Cascaded,
}

impl CheckOption {
    pub fn name(self) -> &'static str {
        match self {
            CheckOption::Local => "local",
            CheckOption::Cascaded => "cascaded",
        }
    }
}

/// The words of a column's identity (`findings` leaves them out where only one side has one:
/// the identity finding says it all).
pub const IDENTITY_WORDS: [&str; 2] = ["identity generation", "identity options"];

impl ColumnAttrs {
    pub fn changed(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.collation != other.collation {
            out.push("collation");
        }
        if self.generated != other.generated {
            out.push("generated");
        }
        if self.always != other.always {
            out.push(IDENTITY_WORDS[0]);
        }
        if self.sequence != other.sequence {
            out.push(IDENTITY_WORDS[1]);
        }
        if self.serial != other.serial {
            out.push("serial");
        }
        if self.storage != other.storage {
            out.push("storage");
        }
        if self.statistics != other.statistics {
            out.push("statistics target");
        }
        if self.compression != other.compression {
            out.push("compression");
        }
        out
    }

    /// The value of one of the `changed` properties, as a finding shows it.
    pub fn shown(&self, property: &str) -> String {
        let or = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_string());
        match property {
            "collation" => or(&self.collation, "the type's"),
            "generated" => or(&self.generated, "none"),
            "identity generation" => if self.always { "ALWAYS" } else { "BY DEFAULT" }.into(),
            "identity options" => Some(self.sequence_text()).filter(|t| !t.is_empty()).unwrap_or("defaults".into()),
            "serial" => if self.serial { "serial" } else { "none" }.into(),
            "storage" => self.storage.map_or("the type's".into(), |s| format!("{s:?}").to_uppercase()),
            "statistics target" => self.statistics.map_or("the default".into(), |n| n.to_string()),
            "compression" => self.compression.map_or("the default".into(), |c| format!("{c:?}").to_lowercase()),
            _ => String::new(),
        }
    }

    /// The identity's options as SQL sequence options (`AS bigint MAXVALUE 9999 CACHE 10`), ""
    /// if none.
    pub fn sequence_text(&self) -> String {
        let s = &self.sequence;
        let numbers = [("MINVALUE", s.min), ("MAXVALUE", s.max), ("CACHE", s.cache)];
        let words = numbers.iter().filter_map(|(k, v)| v.map(|v| format!("{k} {v}")));
        let words = s.ty.map(|t| format!("AS {t}")).into_iter().chain(words);
        words.chain(s.cycle.then(|| "CYCLE".to_string())).collect::<Vec<_>>().join(" ")
    }

    /// What a listing adds after the column's type: `COLLATE "C" GENERATED ALWAYS AS (...)`.
    /// The identity's are `identity_text`.
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        if self.serial {
            out.push("SERIAL".to_string());
        }
        if let Some(c) = &self.collation {
            out.push(format!("COLLATE {}", crate::sql::ident(c)));
        }
        if let Some(g) = &self.generated {
            out.push(format!("GENERATED ALWAYS AS ({g}) STORED"));
        }
        let set = [self.storage.is_some(), self.statistics.is_some(), self.compression.is_some()];
        for (property, _) in ["storage", "statistics target", "compression"].into_iter().zip(set).filter(|(_, s)| *s) {
            out.push(format!("{} {}", property.to_uppercase(), self.shown(property)));
        }
        out.join(" ")
    }

    /// What a listing adds after an identity: `ALWAYS MAXVALUE 9999`.
    pub fn identity_text(&self) -> String {
        let always = self.always.then(|| "ALWAYS".to_string());
        always.into_iter().chain(Some(self.sequence_text()).filter(|t| !t.is_empty())).collect::<Vec<_>>().join(" ")
    }
}

impl TableAttrs {
    pub fn changed(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.unlogged != other.unlogged {
            out.push("persistence");
        }
        if self.with != other.with {
            out.push("storage parameters");
        }
        if self.exclude != other.exclude {
            out.push("exclusion constraints");
        }
        let key = |p: &Option<Partitioning>| p.as_ref().map(|p| (p.strategy, p.key.clone()));
        if key(&self.partitioning) != key(&other.partitioning) {
            out.push("partition key");
        } else if self.partitioning != other.partitioning {
            out.push("partitions");
        }
        out
    }

    pub fn shown(&self, property: &str) -> String {
        match property {
            "persistence" => if self.unlogged { "UNLOGGED" } else { "LOGGED" }.into(),
            "storage parameters" => parameters_shown(&self.with),
            "exclusion constraints" if self.exclude.is_empty() => "none".into(),
            "exclusion constraints" => {
                self.exclude.iter().map(|x| format!("{} {}", x.name, x.text())).collect::<Vec<_>>().join("; ")
            }
            "partition key" => self.partitioning.as_ref().map_or("none".into(), Partitioning::key_sql),
            "partitions" => self.partitioning.as_ref().map_or("none".into(), Partitioning::text),
            _ => String::new(),
        }
    }
}

impl ViewAttrs {
    pub fn changed(&self, other: &Self) -> Vec<&'static str> {
        let (a, b) = (self.options(), other.options());
        let with = (self.with != other.with).then_some("storage parameters");
        ["check_option", "security_barrier", "security_invoker"]
            .into_iter()
            .filter(|k| a.get(k) != b.get(k))
            .map(|k| match k {
                "check_option" => "check option",
                "security_barrier" => "security barrier",
                _ => "security invoker",
            })
            .chain(with)
            .collect()
    }

    pub fn shown(&self, property: &str) -> String {
        match property {
            "check option" => self.check_option.map_or("none", CheckOption::name).into(),
            "security barrier" => self.security_barrier.to_string(),
            "security invoker" => self.security_invoker.to_string(),
            "storage parameters" => parameters_shown(&self.with),
            _ => String::new(),
        }
    }

    /// As the catalog stores them (`reloptions`): name → value, the defaults left out.
    pub fn options(&self) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::new();
        if let Some(c) = self.check_option {
            out.insert("check_option", c.name().to_string());
        }
        for (key, on) in [("security_barrier", self.security_barrier), ("security_invoker", self.security_invoker)] {
            if on {
                out.insert(key, "true".to_string());
            }
        }
        out
    }

    /// From the catalog's `reloptions` of a view; what is no view option is returned as it is.
    pub fn from_options(options: &[(String, String)]) -> (ViewAttrs, Vec<String>) {
        let mut attrs = ViewAttrs::default();
        let mut other = Vec::new();
        for (key, value) in options {
            match (key.as_str(), parameter_value(value).as_str()) {
                ("check_option", "local") => attrs.check_option = Some(CheckOption::Local),
                ("check_option", "cascaded") => attrs.check_option = Some(CheckOption::Cascaded),
                ("security_barrier", v @ ("true" | "false")) => attrs.security_barrier = v == "true",
                ("security_invoker", v @ ("true" | "false")) => attrs.security_invoker = v == "true",
                _ => other.push(format!("{key}={value}")),
            }
        }
        (attrs, other)
    }
}

/// Storage parameters as a finding shows them: `fillfactor=50, toast.autovacuum_enabled=false`.
fn parameters_shown(with: &BTreeMap<String, String>) -> String {
    match with.is_empty() {
        true => "none".into(),
        false => with.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
    }
}

/// Where the YAML holds a property `changed` names.
pub fn hint(property: &str) -> &'static str {
    match property {
        "collation" => "the column's `collation:`",
        "generated" => "the column's `generated:`",
        "identity generation" => "`always:` of the column's `identity:`",
        "identity options" => "`as:`, `min:`, `max:`, `cache:` and `cycle:` of the column's `identity:`",
        "serial" => "the column's `type:` (serial, bigserial or smallserial)",
        "storage" => "the column's `storage:`",
        "statistics target" => "the column's `statistics:`",
        "compression" => "the column's `compression:`",
        "persistence" => "the table's `unlogged:`",
        "storage parameters" => "the table's or materialized view's `with:`",
        "exclusion constraints" => "the table's `exclude:`",
        "partition key" => "the table's `partition_by:`",
        "partitions" => "the table's `partitions:`",
        "check option" => "the view's `check_option:`",
        "security barrier" => "the view's `security_barrier:`",
        "security invoker" => "the view's `security_invoker:`",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_named_property_by_property() {
        let a = ColumnAttrs { collation: Some("C".into()), always: true, ..ColumnAttrs::default() };
        let b = ColumnAttrs { serial: true, ..ColumnAttrs::default() };
        assert_eq!(a.changed(&b), ["collation", "identity generation", "serial"]);
        assert_eq!((a.shown("collation"), b.shown("collation")), ("C".into(), "the type's".into()));
        let with = BTreeMap::from([("fillfactor".into(), "50".into())]);
        let t = TableAttrs { unlogged: true, with, ..TableAttrs::default() };
        assert_eq!(t.changed(&TableAttrs::default()), ["persistence", "storage parameters"]);
        assert_eq!(t.shown("storage parameters"), "fillfactor=50");
        let v = ViewAttrs { check_option: Some(CheckOption::Local), ..ViewAttrs::default() };
        assert_eq!(v.changed(&ViewAttrs::default()), ["check option"]);
        for word in ["collation", "serial", "persistence", "storage parameters", "check option", "security invoker"] {
            assert!(!hint(word).is_empty(), "{word}");
        }
    }

    #[test]
    fn view_options_read_back_as_written() {
        let read = |pairs: &[(&str, &str)]| {
            ViewAttrs::from_options(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>())
        };
        let v = ViewAttrs {
            check_option: Some(CheckOption::Cascaded),
            security_barrier: true,
            security_invoker: false,
            ..ViewAttrs::default()
        };
        let written = v.options();
        let options: Vec<(&str, &str)> = written.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(read(&options), (v, vec![]));
        assert!(read(&[("security_invoker", "on")]).0.security_invoker);
        assert_eq!(read(&[("odd", "1")]).1, ["odd=1"]);
    }

    #[test]
    fn identity_options_are_spelt_as_sql() {
        let a = ColumnAttrs {
            sequence: Sequence {
                ty: Some(crate::model::SequenceType::Bigint),
                max: Some(9999),
                cache: Some(10),
                cycle: true,
                ..Sequence::default()
            },
            ..ColumnAttrs::default()
        };
        assert_eq!(a.sequence_text(), "AS bigint MAXVALUE 9999 CACHE 10 CYCLE");
        assert_eq!(ColumnAttrs::default().shown("identity options"), "defaults");
    }
}
