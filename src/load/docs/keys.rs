//! The keys as written: a list of columns, or a mapping with the key's name and options.

use crate::model::{Action, Deferrable};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A key as a list of columns, or as a mapping holding them and the key's options. A mapping
/// is read strictly (unknown keys are errors at their place), unlike an untagged enum's.
#[derive(JsonSchema)]
#[serde(untagged)]
pub(in crate::load) enum KeyDoc<M> {
    Columns(Vec<String>),
    Full(M),
}

/// The mapping forms' common part.
pub(in crate::load) trait KeyColumns {
    fn columns(&self) -> &[String];
}

impl<M: KeyColumns> KeyDoc<M> {
    pub(in crate::load) fn columns(&self) -> &[String] {
        match self {
            KeyDoc::Columns(c) => c,
            KeyDoc::Full(m) => m.columns(),
        }
    }

    /// The YAML path of the key's `j`th column, under `at`.
    pub(in crate::load) fn column_path(&self, at: &str, j: usize) -> String {
        match self {
            KeyDoc::Columns(_) => format!("{at}.{j}"),
            KeyDoc::Full(_) => format!("{at}.columns.{j}"),
        }
    }
}

impl<'de, M: Deserialize<'de>> Deserialize<'de> for KeyDoc<M> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either<M>(std::marker::PhantomData<M>);
        impl<'de, M: Deserialize<'de>> Visitor<'de> for Either<M> {
            type Value = KeyDoc<M>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of columns, or a mapping with `columns:`")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<KeyDoc<M>, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(KeyDoc::Columns)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyDoc<M>, A::Error> {
                M::deserialize(de::value::MapAccessDeserializer::new(map)).map(KeyDoc::Full)
            }
        }
        d.deserialize_any(Either(std::marker::PhantomData))
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct PrimaryKeyDoc {
    pub(in crate::load) columns: Vec<String>,
    /// The constraint's name (default `<table>_pkey`).
    pub(in crate::load) name: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct UniqueKeyDoc {
    pub(in crate::load) columns: Vec<String>,
    /// The constraint's name (default `<table>_<columns>_key`).
    pub(in crate::load) name: Option<String>,
    /// Rows whose key columns are all NULL collide (PostgreSQL 15).
    #[serde(default)]
    pub(in crate::load) nulls_not_distinct: bool,
}

impl KeyColumns for PrimaryKeyDoc {
    fn columns(&self) -> &[String] {
        &self.columns
    }
}

impl KeyColumns for UniqueKeyDoc {
    fn columns(&self) -> &[String] {
        &self.columns
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct ForeignKeyDoc {
    pub(in crate::load) columns: Vec<String>,
    pub(in crate::load) references: RefDoc,
    /// The constraint's name (default `<table>_<columns>_fkey`).
    pub(in crate::load) name: Option<String>,
    /// What deleting a referenced row does (default no_action).
    pub(in crate::load) on_delete: Option<Action>,
    /// What updating a referenced key does (default no_action).
    pub(in crate::load) on_update: Option<Action>,
    /// `full`: a key partly NULL is refused (default simple).
    #[serde(rename = "match")]
    pub(in crate::load) match_: Option<MatchDoc>,
    /// `true` (DEFERRABLE) or `initially_deferred` (checked at commit); default false.
    pub(in crate::load) deferrable: Option<DeferrableDoc>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(in crate::load) enum MatchDoc {
    Simple,
    Full,
}

/// `true`, `false` or `initially_deferred`: one key, so the combination the server refuses
/// (INITIALLY DEFERRED but NOT DEFERRABLE) cannot be written.
#[derive(JsonSchema)]
#[serde(untagged)]
pub(in crate::load) enum DeferrableDoc {
    Flag(bool),
    Mode(DeferMode),
}

#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(in crate::load) enum DeferMode {
    InitiallyDeferred,
}

impl DeferrableDoc {
    pub(in crate::load) fn mode(&self) -> Deferrable {
        match self {
            DeferrableDoc::Flag(false) => Deferrable::No,
            DeferrableDoc::Flag(true) => Deferrable::Immediate,
            DeferrableDoc::Mode(DeferMode::InitiallyDeferred) => Deferrable::Deferred,
        }
    }
}

impl<'de> Deserialize<'de> for DeferrableDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Mode;
        impl Visitor<'_> for Mode {
            type Value = DeferrableDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true`, `false` or `initially_deferred`")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<DeferrableDoc, E> {
                Ok(DeferrableDoc::Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DeferrableDoc, E> {
                match v {
                    "initially_deferred" => Ok(DeferrableDoc::Mode(DeferMode::InitiallyDeferred)),
                    _ => Err(E::unknown_variant(v, &["true", "false", "initially_deferred"])),
                }
            }
        }
        d.deserialize_any(Mode)
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct RefDoc {
    pub(in crate::load) table: String,
    #[serde(default)]
    pub(in crate::load) columns: Vec<String>,
}

/// A PostgreSQL EXCLUDE constraint: `{ name, using: gist, elements: [...], where, deferrable }`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct ExclusionDoc {
    pub(in crate::load) name: String,
    /// The index access method; default gist.
    pub(in crate::load) using: Option<String>,
    pub(in crate::load) elements: Vec<ExclusionElementDoc>,
    /// Only rows where this holds are compared.
    #[serde(rename = "where")]
    pub(in crate::load) predicate: Option<String>,
    pub(in crate::load) deferrable: Option<DeferrableDoc>,
}

/// `{ column: stay, with: "&&" }` or `{ expression: "lower(guest)", with: "=" }`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::load) struct ExclusionElementDoc {
    pub(in crate::load) column: Option<String>,
    pub(in crate::load) expression: Option<String>,
    pub(in crate::load) with: String,
}
