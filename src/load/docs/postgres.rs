//! PostgreSQL's own table keys as written: storage parameters' values and partitioning.

use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// A storage parameter's value: a number, `true`/`false`, or a word (`auto`).
#[derive(JsonSchema)]
#[serde(untagged)]
pub(in crate::load) enum ParameterDoc {
    Flag(bool),
    Integer(i64),
    Number(f64),
    Word(String),
}

impl ParameterDoc {
    /// As written: `true`, `70`, `0.5`, `auto`.
    pub(in crate::load) fn text(&self) -> String {
        match self {
            ParameterDoc::Flag(b) => b.to_string(),
            ParameterDoc::Integer(n) => n.to_string(),
            ParameterDoc::Number(x) => x.to_string(),
            ParameterDoc::Word(w) => w.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for ParameterDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParameterDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, `true`, `false` or a word")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ParameterDoc, E> {
                Ok(ParameterDoc::Flag(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParameterDoc, E> {
                Ok(ParameterDoc::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParameterDoc, E> {
                i64::try_from(v).map(ParameterDoc::Integer).map_err(|_| E::custom("the number is too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParameterDoc, E> {
                Ok(ParameterDoc::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParameterDoc, E> {
                Ok(ParameterDoc::Word(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `{ range: [day] }`: the strategy, with the key's parts (each a column, or an expression over
/// the columns).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct PartitionByDoc {
    pub(in crate::load) range: Option<Vec<String>>,
    pub(in crate::load) list: Option<Vec<String>>,
    pub(in crate::load) hash: Option<Vec<String>>,
}

/// A partition: its name and one bound (`from` and `to`, `in`, `modulus` and `remainder`, or
/// `default: true`), maybe itself partitioned.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct PartitionDoc {
    pub(in crate::load) name: String,
    /// A range's lower bounds, one per key part (included); `MINVALUE` for none.
    pub(in crate::load) from: Option<Vec<Option<ParameterDoc>>>,
    /// A range's upper bounds (excluded); `MAXVALUE` for none.
    pub(in crate::load) to: Option<Vec<Option<ParameterDoc>>>,
    /// A list's values (`null` for NULL).
    #[serde(rename = "in")]
    pub(in crate::load) values: Option<Vec<Option<ParameterDoc>>>,
    pub(in crate::load) modulus: Option<u32>,
    pub(in crate::load) remainder: Option<u32>,
    /// The rows no other partition holds.
    #[serde(default)]
    pub(in crate::load) default: bool,
    pub(in crate::load) partition_by: Option<PartitionByDoc>,
    #[serde(default)]
    pub(in crate::load) partitions: Vec<PartitionDoc>,
}
