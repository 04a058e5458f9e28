//! The one in-memory model of a warehouse schema. The YAML loads into it, the live catalog is
//! read into it, the planner compares two of them and the templates render it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

mod checks;
mod domains;
pub mod grants;
mod indexes;
mod keys;
mod names;
mod native;
mod sequences;
pub mod targets;
mod types;
pub use checks::{Check, CheckKind, KeyChecks, Severity, Threshold, Window};
pub use domains::Domain;
pub use grants::{Grant, Grantee, Privilege};
pub use indexes::{catalog_name, catalog_name_text, index_entry, Index, IndexColumn};
pub use keys::{Action, Deferrable, ForeignKey, UniqueKey};
pub use names::{display_key, sibling_key, split_key};
pub use sequences::{Sequence, SequenceType};
pub use types::{ColumnType, MAX_CHAR, MAX_VARCHAR, TYPE_NAMES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// The project's own namespace: objects named without one live here, and so do the
    /// migration history, the lock, enum types and the validation tables.
    pub namespace: String,
    /// The other namespaces the project manages; their objects are named `ns.name` (see `split_key`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    pub dialects: Vec<Dialect>,
    pub phases: Vec<u8>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Name of the generated procedure that refreshes every materialized view in dependency
    /// order (for scheduled refreshes); None: no procedure.
    #[serde(default)]
    pub refresh_procedure: Option<String>,
    /// Values `schema seed` picks for columns of these names (realistic synthetic data).
    #[serde(default)]
    pub seed_values: BTreeMap<String, Vec<String>>,
    /// PostgreSQL enum types: name → values in their order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, Vec<String>>,
    /// PostgreSQL extensions the project creates (`citext`, `ns.hstore`: the namespace it
    /// installs into, as objects are keyed), before the columns that use their types.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub extensions: std::collections::BTreeSet<String>,
    /// PostgreSQL sequences no column owns: name → options as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sequences: BTreeMap<String, Sequence>,
    /// PostgreSQL domains: name → definition.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub domains: BTreeMap<String, Domain>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    /// Where the project deploys: connection settings, not schema (never in state or diff).
    #[serde(skip)]
    pub targets: targets::Targets,
    /// Which declared keys `validate` checks (a validation setting, never in state or diff).
    #[serde(skip)]
    pub key_checks: KeyChecks,
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
    /// The primary key constraint's name where it is not the deterministic one (`diff::keys`).
    #[serde(default)]
    pub primary_key_name: Option<String>,
    #[serde(default)]
    pub unique: Vec<UniqueKey>,
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    /// CHECK constraints, by name (state files written before they existed have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check_constraints: Vec<CheckConstraint>,
    /// Redshift's own properties (distribution, sort key, BACKUP).
    pub redshift: crate::dialect::redshift::attrs::TableAttrs,
    #[serde(default)]
    pub indexes: Vec<Index>,
    #[serde(default)]
    pub rows: Vec<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub checks: Vec<Check>,
    /// The table's own `key_checks`, over the project's.
    #[serde(default)]
    pub key_checks: Option<KeyChecks>,
    /// Effective grants where the YAML manages them (a project default or the table's own),
    /// merged; None: not managed (nothing granted, revoked or compared).
    #[serde(default)]
    pub grants: Option<Vec<Grant>>,
    /// What only PostgreSQL has of a table (UNLOGGED, storage parameters).
    #[serde(default, skip_serializing_if = "crate::dialect::postgres::attrs::is_default")]
    pub postgres: crate::dialect::postgres::attrs::TableAttrs,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The leading sort-key column when it is a date or timestamp (event_date in the shipped
    /// schema): what a day's load is found by.
    pub fn leading_date_column(&self) -> Option<&Column> {
        let column = self.column(self.redshift.sort_key.columns.first()?)?;
        matches!(column.ty, ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz).then_some(column)
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
    /// Redshift's own properties (its encoding).
    #[serde(default)]
    pub redshift: crate::dialect::redshift::attrs::ColumnAttrs,
    /// SQL expression this column is derived from, e.g. `DATE(event_timestamp)`.
    #[serde(default)]
    pub derived: Option<String>,
    /// Derived from a reference table instead (`lookup:`): filled by `schema backfill`, checked
    /// by `validate`. Not part of the table's definition, so never in state or diff.
    #[serde(skip)]
    pub lookup: Option<Box<Lookup>>,
    #[serde(default)]
    pub renamed_from: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// What only PostgreSQL has of a column (collation, generation, identity options, serial).
    #[serde(default, skip_serializing_if = "crate::dialect::postgres::attrs::is_default")]
    pub postgres: crate::dialect::postgres::attrs::ColumnAttrs,
}

/// A column's value looked up in a reference table: the `value` of the reference row whose
/// `on` columns equal this row's (the least one when several match), among the rows matching
/// `filter`; `default` when none does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lookup {
    pub table: String,
    /// (this table's column, the reference table's column) pairs.
    pub on: Vec<(String, String)>,
    pub value: String,
    pub filter: Option<String>,
    pub default: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// A table's CHECK constraint: a boolean SQL expression over its columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckConstraint {
    pub name: String,
    pub expression: String,
}

/// A property a driver owns (`dialect::<driver>::attrs`) whose value differs between the
/// database and the YAML, in the driver's words: the drift finding's kind and where the YAML
/// holds it, then the YAML's value and the database's as the finding shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub kind: &'static str,
    pub hint: &'static str,
    pub expected: String,
    pub actual: String,
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
    /// Redshift `WITH NO SCHEMA BINDING`: the server checks no reference until the view is
    /// queried (needed for external tables); a plain view on PostgreSQL.
    #[serde(default)]
    pub late_binding: bool,
    /// Redshift's materialized-view options.
    pub redshift: crate::dialect::redshift::attrs::ViewAttrs,
    #[serde(default)]
    pub indexes: Vec<Index>,
    /// As for tables; a view's grants are SELECT only.
    #[serde(default)]
    pub grants: Option<Vec<Grant>>,
    /// What only PostgreSQL has of a plain view (its check option and security options).
    #[serde(default, skip_serializing_if = "crate::dialect::postgres::attrs::is_default")]
    pub postgres: crate::dialect::postgres::attrs::ViewAttrs,
}

impl View {
    /// What the view is, in words: `view`, `late-binding view` or `materialized view`.
    pub fn kind_name(&self) -> &'static str {
        match (self.materialized, self.late_binding) {
            (true, _) => "materialized view",
            (false, true) => "late-binding view",
            (false, false) => "view",
        }
    }
}

impl Project {
    /// `ns.name` of the object `key`, for messages.
    pub fn qualified_name(&self, key: &str) -> String {
        display_key(&self.namespace, key)
    }

    /// The project's namespace, then the others it manages: what the catalog reads.
    pub fn managed_namespaces(&self) -> Vec<String> {
        std::iter::once(self.namespace.clone()).chain(self.namespaces.iter().cloned()).collect()
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The tables by name, for code that looks up many: `table` is a linear search.
    pub fn tables_by_name(&self) -> BTreeMap<&str, &Table> {
        self.tables.iter().map(|t| (t.name.as_str(), t)).collect()
    }

    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.iter().find(|v| v.name == name)
    }

    /// The views by name (`view` is a linear search).
    pub fn views_by_name(&self) -> BTreeMap<&str, &View> {
        self.views.iter().map(|v| (v.name.as_str(), v)).collect()
    }

    /// The same settings without any object: what the first migration starts from.
    pub fn emptied(&self) -> Project {
        Project {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            namespaces: vec![],
            dialects: self.dialects.clone(),
            phases: self.phases.clone(),
            ignore: self.ignore.clone(),
            refresh_procedure: None,
            seed_values: self.seed_values.clone(),
            enums: BTreeMap::new(),
            extensions: Default::default(),
            sequences: BTreeMap::new(),
            domains: BTreeMap::new(),
            tables: vec![],
            views: vec![],
            targets: self.targets.clone(),
            key_checks: self.key_checks,
        }
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
