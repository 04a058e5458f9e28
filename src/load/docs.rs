//! The documents as written: strict serde types of `schema.yaml`, table files and view files.
//! Types stay text here so the semantic pass can place a bad one exactly.

use crate::dialect::redshift::attrs::SortKind;
use crate::model::Dialect;
use crate::model::{CheckConstraint, Identity, KeyChecks, Severity, Window};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

mod indexes;
mod keys;
mod postgres;
pub(super) use indexes::*;
pub(super) use keys::*;
pub(super) use postgres::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ProjectDoc {
    pub(super) name: String,
    pub(super) namespace: String,
    /// Other namespaces the project manages; their objects are named `ns.name`.
    #[serde(default)]
    pub(super) namespaces: Vec<String>,
    pub(super) dialects: Vec<Dialect>,
    #[serde(default = "phase_one")]
    pub(super) phases: Vec<u8>,
    #[serde(default)]
    pub(super) ignore: Vec<String>,
    pub(super) refresh_procedure: Option<String>,
    #[serde(default)]
    pub(super) seed_values: BTreeMap<String, Vec<String>>,
    /// PostgreSQL enum types: name → values, in order.
    #[serde(default)]
    pub(super) enums: BTreeMap<String, Vec<String>>,
    /// PostgreSQL extensions to create (`citext`, or `ns.hstore` in another namespace, managed or
    /// not; one the project does not manage must exist).
    #[serde(default)]
    pub(super) extensions: Vec<String>,
    /// PostgreSQL sequences no column owns: name → options (`{}` for the defaults).
    #[serde(default)]
    pub(super) sequences: BTreeMap<String, crate::model::Sequence>,
    /// PostgreSQL domains: name → base type, NOT NULL, default, CHECK constraints.
    #[serde(default)]
    pub(super) domains: BTreeMap<String, DomainDoc>,
    /// Granted on every table and view (views take its `select` only).
    #[serde(default)]
    pub(super) grants: Vec<GrantDoc>,
    #[serde(default)]
    pub(super) targets: BTreeMap<String, TargetDoc>,
    pub(super) default_target: Option<String>,
    /// The server where generate proves migrations in scratch databases (`${VAR}` allowed).
    pub(super) dev_url: Option<String>,
    /// Which declared keys validate checks (default `auto`: where the dialect does not enforce them).
    #[serde(default)]
    pub(super) key_checks: KeyChecks,
}

/// A domain: `{ type: text, nullable: false, default: "''", check_constraints: [{ name, expression }] }`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DomainDoc {
    /// The base type, as a column's `type`.
    #[serde(rename = "type")]
    pub(super) ty: String,
    /// Default true; false is `NOT NULL`.
    pub(super) nullable: Option<bool>,
    pub(super) default: Option<String>,
    /// Conditions over `VALUE`, by name.
    #[serde(default)]
    pub(super) check_constraints: Vec<CheckConstraint>,
}

/// One of `targets:`. Timeouts are text or a number of seconds.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TargetDoc {
    #[serde(default)]
    pub(super) local: bool,
    /// The project's dev database: scratch databases are created on this target's server.
    #[serde(default)]
    pub(super) dev: bool,
    pub(super) url: Option<String>,
    pub(super) url_env: Option<String>,
    pub(super) dialect: Option<Dialect>,
    pub(super) sslmode: Option<String>,
    pub(super) sslrootcert: Option<String>,
    #[serde(default)]
    pub(super) password_command: Vec<String>,
    pub(super) connect_timeout: Option<DurationDoc>,
    pub(super) lock_timeout: Option<DurationDoc>,
    pub(super) statement_timeout: Option<DurationDoc>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum DurationDoc {
    Seconds(u64),
    Text(String),
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TableDoc {
    pub(super) table: String,
    #[serde(default = "one")]
    pub(super) phase: u8,
    pub(super) description: Option<String>,
    #[serde(default = "yes")]
    pub(super) backup: bool,
    pub(super) distribution: Option<DistributionDoc>,
    pub(super) sort_key: Option<SortKeyDoc>,
    pub(super) columns: Vec<ColumnDoc>,
    /// `[a, b]`, or `{ columns: [a, b], name: ... }`.
    pub(super) primary_key: Option<KeyDoc<PrimaryKeyDoc>>,
    /// Each `[a, b]`, or `{ columns: [a, b], name: ..., nulls_not_distinct: true }`.
    #[serde(default)]
    pub(super) unique: Vec<KeyDoc<UniqueKeyDoc>>,
    #[serde(default)]
    pub(super) foreign_keys: Vec<ForeignKeyDoc>,
    #[serde(default)]
    pub(super) check_constraints: Vec<CheckConstraint>,
    #[serde(default)]
    pub(super) indexes: Vec<IndexDoc>,
    #[serde(default)]
    pub(super) rows: Vec<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub(super) checks: Vec<CheckDoc>,
    /// Which declared keys validate checks on this table (default: the project's).
    pub(super) key_checks: Option<KeyChecks>,
    /// None: the table's own grants are not managed; `[]`: managed, none of its own.
    pub(super) grants: Option<Vec<GrantDoc>>,
    /// PostgreSQL `UNLOGGED`: not written to the WAL, emptied after a crash, not replicated.
    #[serde(default)]
    pub(super) unlogged: bool,
    /// PostgreSQL storage parameters: `{ fillfactor: 50, toast.autovacuum_enabled: false }`.
    #[serde(default)]
    pub(super) with: BTreeMap<String, ParameterDoc>,
    /// PostgreSQL EXCLUDE constraints.
    #[serde(default)]
    pub(super) exclude: Vec<ExclusionDoc>,
    /// PostgreSQL declarative partitioning: `{ range: [day] }`, `{ list: [kind] }`, `{ hash: [id] }`.
    pub(super) partition_by: Option<PartitionByDoc>,
    #[serde(default)]
    pub(super) partitions: Vec<PartitionDoc>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ColumnDoc {
    pub(super) name: String,
    /// A portable type (`integer`, `varchar(64)`, `decimal(12,2)`), an enum declared under
    /// `enums:`, or an array of one (`text[]`); in a project whose `dialects:` are [postgres],
    /// any PostgreSQL type (`tsvector`, `numeric`, `bit varying(8)`, `public.citext`). PostgreSQL's
    /// `serial`, `bigserial` and `smallserial`: an integer whose default draws from a sequence
    /// the column owns.
    // Parsed in the semantic pass, so a bad type gets its exact position and a suggestion.
    #[serde(rename = "type")]
    pub(super) ty: String,
    pub(super) nullable: Option<bool>,
    pub(super) default: Option<String>,
    pub(super) identity: Option<IdentityDoc>,
    /// PostgreSQL: the column's collation, a name of pg_catalog (`C`, `POSIX`, `en_US.utf8`).
    pub(super) collation: Option<String>,
    /// PostgreSQL: `GENERATED ALWAYS AS (<expression>) STORED`, the expression over the row.
    pub(super) generated: Option<String>,
    /// PostgreSQL: `plain`, `external`, `main` or `extended` (default: the type's).
    pub(super) storage: Option<crate::dialect::postgres::attrs::Storage>,
    /// PostgreSQL: the planner's statistics target for the column, 0 to 10000.
    pub(super) statistics: Option<i32>,
    /// PostgreSQL: `pglz` or `lz4` (default: the server's `default_toast_compression`).
    pub(super) compression: Option<crate::dialect::postgres::attrs::Compression>,
    #[serde(default)]
    pub(super) primary_key: bool,
    #[serde(default)]
    pub(super) unique: bool,
    pub(super) references: Option<String>,
    pub(super) description: Option<String>,
    pub(super) encode: Option<String>,
    pub(super) derived: Option<String>,
    pub(super) lookup: Option<LookupDoc>,
    pub(super) renamed_from: Option<String>,
    #[serde(default)]
    pub(super) checks: Vec<ColumnCheck>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum ColumnCheck {
    NotNull,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DistributionDoc {
    pub(super) style: Option<DistStyle>,
    pub(super) key: Option<String>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(super) enum DistStyle {
    Auto,
    Even,
    All,
    Key,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SortKeyDoc {
    pub(super) kind: Option<SortKind>,
    #[serde(default)]
    pub(super) columns: Vec<String>,
}

impl ViewDoc {
    /// The keys only a materialized view takes, and whether each is written.
    pub(super) fn materialized_only(&self) -> [(&'static str, bool); 5] {
        [
            ("backup", self.backup.is_some()),
            ("auto_refresh", self.auto_refresh.is_some()),
            ("distribution", self.distribution.is_some()),
            ("sort_key", self.sort_key.is_some()),
            ("indexes", !self.indexes.is_empty()),
        ]
    }
}

impl TableDoc {
    /// The table-level primary key's columns (empty when none is declared there).
    pub(super) fn primary_key_columns(&self) -> &[String] {
        self.primary_key.as_ref().map_or(&[], KeyDoc::columns)
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckDoc {
    pub(super) name: String,
    pub(super) severity: Option<Severity>,
    pub(super) window: Option<Window>,
    pub(super) not_null: Option<String>,
    pub(super) ratio: Option<RatioDoc>,
    pub(super) condition: Option<String>,
    pub(super) latency: Option<LatencyDoc>,
    pub(super) unique: Option<UniqueDoc>,
    pub(super) relationship: Option<RelationshipDoc>,
    pub(super) accepted_values: Option<AcceptedValuesDoc>,
    pub(super) range: Option<RangeDoc>,
    pub(super) freshness: Option<FreshnessDoc>,
    pub(super) volume: Option<VolumeDoc>,
    pub(super) warn_above: Option<ThresholdDoc>,
    pub(super) error_above: Option<ThresholdDoc>,
}

/// `lookup:` on a column: `value` of the `table` row whose columns `match` this row's.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LookupDoc {
    pub(super) table: String,
    /// This table's column: the reference table's column.
    #[serde(rename = "match")]
    pub(super) on: BTreeMap<String, String>,
    pub(super) value: String,
    #[serde(rename = "where")]
    pub(super) filter: Option<String>,
    pub(super) default: Option<serde_json::Value>,
}

/// `columns` of this table found in `to` of `table` (default: its primary key).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RelationshipDoc {
    pub(super) columns: Vec<String>,
    pub(super) table: String,
    #[serde(default)]
    pub(super) to: Vec<String>,
}

/// A list of values, or the values of a column of a (reference) table.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AcceptedValuesDoc {
    pub(super) column: String,
    #[serde(default)]
    pub(super) values: Vec<serde_json::Value>,
    pub(super) from: Option<RefDoc>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeDoc {
    pub(super) column: String,
    pub(super) min: Option<serde_json::Value>,
    pub(super) max: Option<serde_json::Value>,
}

/// The last `runs` recorded runs (default 7), and the share the count may differ by (default
/// `"50%"`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct VolumeDoc {
    pub(super) runs: Option<u32>,
    pub(super) tolerance: Option<String>,
}

/// Ages as `90m`, `26h`, `2d` or seconds.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FreshnessDoc {
    pub(super) column: String,
    pub(super) warn_after: Option<DurationDoc>,
    pub(super) error_after: Option<DurationDoc>,
}

/// A number of rows, or a share written as a percentage (`"0.1%"`).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum ThresholdDoc {
    Rows(u64),
    Percent(String),
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RatioDoc {
    pub(super) when: String,
    pub(super) max: f64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LatencyDoc {
    pub(super) reported: String,
    pub(super) start: String,
    pub(super) end: String,
    pub(super) tolerance_ms: u32,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UniqueDoc {
    pub(super) columns: Vec<String>,
    #[serde(rename = "where")]
    pub(super) filter: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ViewDoc {
    pub(super) view: Option<String>,
    pub(super) materialized_view: Option<String>,
    #[serde(default = "one")]
    pub(super) phase: u8,
    pub(super) description: Option<String>,
    pub(super) backup: Option<bool>,
    pub(super) auto_refresh: Option<bool>,
    pub(super) distribution: Option<DistributionDoc>,
    pub(super) sort_key: Option<SortKeyDoc>,
    #[serde(default)]
    pub(super) indexes: Vec<IndexDoc>,
    pub(super) grants: Option<Vec<GrantDoc>>,
    /// Redshift `WITH NO SCHEMA BINDING` (a plain view only).
    #[serde(default)]
    pub(super) late_binding: bool,
    /// PostgreSQL `WITH LOCAL | CASCADED CHECK OPTION` (a plain view only).
    pub(super) check_option: Option<crate::dialect::postgres::attrs::CheckOption>,
    /// PostgreSQL `security_barrier` (a plain view only).
    #[serde(default)]
    pub(super) security_barrier: bool,
    /// PostgreSQL `security_invoker` (a plain view only).
    #[serde(default)]
    pub(super) security_invoker: bool,
    /// PostgreSQL storage parameters of a materialized view: `{ fillfactor: 50 }`.
    #[serde(default)]
    pub(super) with: BTreeMap<String, ParameterDoc>,
    pub(super) sql: String,
}

/// `{ to: group analysts, privileges: [select] }`. Both stay text here so the semantic pass
/// can place a bad grantee or privilege exactly.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct GrantDoc {
    pub(super) to: String,
    pub(super) privileges: Vec<String>,
}

/// `identity: true` or `identity: { seed: 1, step: 1 }`, with PostgreSQL's options.
pub(super) struct IdentityDoc(pub(super) Option<IdentityMapDoc>);

/// An identity as a mapping: its seed and step, and on PostgreSQL whether it is GENERATED
/// ALWAYS and its sequence's options (`sequences:` spells them alike).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Identity")]
pub(super) struct IdentityMapDoc {
    #[serde(default = "one_i64")]
    pub(super) seed: i64,
    #[serde(default = "one_i64")]
    pub(super) step: i64,
    /// PostgreSQL GENERATED ALWAYS: explicit values are refused (default false: BY DEFAULT).
    #[serde(default)]
    pub(super) always: bool,
    /// PostgreSQL: the sequence's type (smallint, integer or bigint) where it is not the
    /// column's (default: the column's).
    #[serde(rename = "as")]
    pub(super) as_type: Option<crate::model::SequenceType>,
    pub(super) min: Option<i64>,
    pub(super) max: Option<i64>,
    /// Values preallocated per session (default 1).
    pub(super) cache: Option<i64>,
    #[serde(default)]
    pub(super) cycle: bool,
}

impl IdentityMapDoc {
    pub(super) fn identity(&self) -> Identity {
        Identity { seed: self.seed, step: self.step }
    }
}

fn one_i64() -> i64 {
    1
}

impl JsonSchema for IdentityDoc {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IdentityOption".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "`true`, `false` or `{ seed: N, step: N }` (PostgreSQL also `always`, `as`, `min`, `max`, `cache`, `cycle`)",
            "anyOf": [{ "type": "boolean" }, generator.subschema_for::<IdentityMapDoc>()]
        })
    }
}

impl<'de> Deserialize<'de> for IdentityDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdentityDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true`, `false` or `{ seed: N, step: N }`")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<IdentityDoc, E> {
                // `true` is the mapping of every default.
                let defaults = de::value::MapDeserializer::<_, E>::new(std::iter::empty::<(&str, bool)>());
                Ok(IdentityDoc(if on { Some(IdentityMapDoc::deserialize(defaults)?) } else { None }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<IdentityDoc, A::Error> {
                IdentityMapDoc::deserialize(de::value::MapAccessDeserializer::new(map)).map(|i| IdentityDoc(Some(i)))
            }
        }
        d.deserialize_any(V)
    }
}

pub(super) fn one() -> u8 {
    1
}
pub(super) fn yes() -> bool {
    true
}
pub(super) fn phase_one() -> Vec<u8> {
    vec![1]
}
