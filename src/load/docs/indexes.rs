//! Indexes as written (PostgreSQL only). Names and parameters stay text here so the semantic
//! pass can place a bad one exactly.

use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct IndexDoc {
    pub(in crate::load) name: String,
    /// Key columns: `slug`, `slug DESC`, or `{ column: slug, opclass: varchar_pattern_ops,
    /// collation: C, order: desc, nulls: first }`.
    pub(in crate::load) columns: Vec<IndexColumnDoc>,
    #[serde(default)]
    pub(in crate::load) unique: bool,
    /// A unique index on which rows whose key columns are all NULL collide (PostgreSQL 15).
    #[serde(default)]
    pub(in crate::load) nulls_not_distinct: bool,
    /// The access method: `gin`, `gist`, `brin`, `hash`, `spgist`, ... (default btree).
    pub(in crate::load) using: Option<String>,
    /// Columns stored in the index beside its key (INCLUDE).
    #[serde(default)]
    pub(in crate::load) include: Vec<String>,
    /// Storage parameters: `{ fillfactor: 70 }`.
    #[serde(default)]
    pub(in crate::load) with: BTreeMap<String, super::ParameterDoc>,
    /// A partial index's condition.
    #[serde(rename = "where")]
    pub(in crate::load) predicate: Option<String>,
}

impl IndexDoc {
    /// The key columns' names.
    pub(in crate::load) fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(IndexColumnDoc::column)
    }
}

/// A key column as a string (`slug DESC`), or as a mapping with its options. A mapping is read
/// strictly (unknown keys are errors at their place), unlike an untagged enum's.
#[derive(JsonSchema)]
#[serde(untagged)]
pub(in crate::load) enum IndexColumnDoc {
    Entry(String),
    Full(IndexColumnOptions),
}

impl IndexColumnDoc {
    /// The column's name (an entry's order words left out).
    pub(in crate::load) fn column(&self) -> &str {
        match self {
            IndexColumnDoc::Entry(e) => crate::model::index_entry(e).0,
            IndexColumnDoc::Full(m) => m.column.as_deref().unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct IndexColumnOptions {
    /// A column of the table, or
    pub(in crate::load) column: Option<String>,
    /// one expression over its columns (`lower(email)`).
    pub(in crate::load) expression: Option<String>,
    /// The operator class (default: the column type's for the method), `schema.name` outside
    /// pg_catalog.
    pub(in crate::load) opclass: Option<String>,
    /// The collation (default: the column's).
    pub(in crate::load) collation: Option<String>,
    /// `asc` (default) or `desc`.
    pub(in crate::load) order: Option<OrderDoc>,
    /// Where NULLs sort: `first` or `last` (default: last ascending, first descending).
    pub(in crate::load) nulls: Option<NullsDoc>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(in crate::load) enum OrderDoc {
    Asc,
    Desc,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(in crate::load) enum NullsDoc {
    First,
    Last,
}

impl<'de> Deserialize<'de> for IndexColumnDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = IndexColumnDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column (`slug`, `slug DESC`), or a mapping with `column:`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IndexColumnDoc, E> {
                Ok(IndexColumnDoc::Entry(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IndexColumnDoc, E> {
                Ok(IndexColumnDoc::Entry(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IndexColumnDoc, E> {
                Ok(IndexColumnDoc::Entry(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<IndexColumnDoc, A::Error> {
                IndexColumnOptions::deserialize(de::value::MapAccessDeserializer::new(map)).map(IndexColumnDoc::Full)
            }
        }
        d.deserialize_any(Either)
    }
}
