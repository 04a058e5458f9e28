//! Key constraints beyond their columns: the name a key is given, a foreign key's referential
//! actions, MATCH and deferrability, a unique key's NULLS NOT DISTINCT. The defaults are what
//! the server gives a key declared without them, so a key written without options is unchanged.

use serde::{Deserialize, Serialize};

/// A unique key: its columns, and what PostgreSQL 15 can add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniqueKey {
    pub columns: Vec<String>,
    /// The constraint's name where it is not the deterministic one (`diff::keys`).
    #[serde(default)]
    pub name: Option<String>,
    /// Two rows whose key columns are all NULL collide (the default lets any number through).
    #[serde(default)]
    pub nulls_not_distinct: bool,
}

impl UniqueKey {
    pub fn new(columns: Vec<String>) -> UniqueKey {
        UniqueKey { columns, name: None, nulls_not_distinct: false }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub table: String,
    pub references: Vec<String>,
    /// The constraint's name where it is not the deterministic one (`diff::keys`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub on_delete: Action,
    #[serde(default)]
    pub on_update: Action,
    /// MATCH FULL: a key with some columns NULL and others not is refused (MATCH SIMPLE, the
    /// default, lets it through unchecked).
    #[serde(default)]
    pub match_full: bool,
    #[serde(default)]
    pub deferrable: Deferrable,
}

impl ForeignKey {
    /// A foreign key with the server's defaults.
    pub fn new(columns: Vec<String>, table: String, references: Vec<String>) -> ForeignKey {
        ForeignKey {
            columns,
            table,
            references,
            name: None,
            on_delete: Action::NoAction,
            on_update: Action::NoAction,
            match_full: false,
            deferrable: Deferrable::No,
        }
    }
}

/// What a foreign key does to the referencing rows when the referenced row is deleted or its
/// key updated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl Action {
    pub const ALL: [Action; 5] =
        [Action::NoAction, Action::Restrict, Action::Cascade, Action::SetNull, Action::SetDefault];

    /// As the YAML writes it: `no_action`, `set_null`.
    pub fn name(self) -> &'static str {
        match self {
            Action::NoAction => "no_action",
            Action::Restrict => "restrict",
            Action::Cascade => "cascade",
            Action::SetNull => "set_null",
            Action::SetDefault => "set_default",
        }
    }

    /// As the server prints it: `NO ACTION`, `SET NULL`.
    pub fn sql(self) -> &'static str {
        match self {
            Action::NoAction => "NO ACTION",
            Action::Restrict => "RESTRICT",
            Action::Cascade => "CASCADE",
            Action::SetNull => "SET NULL",
            Action::SetDefault => "SET DEFAULT",
        }
    }
}

/// Whether a foreign key is checked at each statement (`No`), at each statement unless a
/// transaction defers it (`Immediate`: DEFERRABLE), or at commit (`Deferred`: DEFERRABLE
/// INITIALLY DEFERRED).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deferrable {
    #[default]
    No,
    Immediate,
    Deferred,
}

impl Deferrable {
    /// As the server prints it after the key (empty for the default).
    pub fn sql(self) -> &'static str {
        match self {
            Deferrable::No => "",
            Deferrable::Immediate => "DEFERRABLE",
            Deferrable::Deferred => "DEFERRABLE INITIALLY DEFERRED",
        }
    }
}
