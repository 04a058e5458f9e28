//! The kinds of drift findings: the names CI scripts and `ignore:` rules use.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    MissingTable,
    ExtraTable,
    MissingEnum,
    ExtraEnum,
    /// An enum type whose values differ (added, removed or in another order).
    EnumValues,
    MissingExtension,
    ExtraExtension,
    MissingSequence,
    ExtraSequence,
    /// A sequence whose options (type, start, increment, bounds, cache, cycle) differ.
    SequenceOptions,
    MissingDomain,
    ExtraDomain,
    /// A domain whose base type, NOT NULL, default or CHECK constraints differ.
    Domain,
    MissingView,
    ExtraView,
    /// A view where the YAML has a materialized view, or the reverse.
    ViewKind,
    MissingColumn,
    ExtraColumn,
    /// A missing and an extra column of the same definition: most likely renamed by hand.
    RenamedColumn,
    ColumnType,
    Nullability,
    Default,
    Identity,
    PrimaryKey,
    UniqueKey,
    ForeignKey,
    MissingIndex,
    ExtraIndex,
    Index,
    ViewBody,
    /// A materialized view the server can no longer refresh.
    MvState,
    Comment,
    /// A grant the YAML declares and the database lacks, or the reverse.
    Grant,
    /// A CHECK constraint only on one side, or of another expression; `ignore:` can name one
    /// the YAML does not declare (`check_constraint <table>.<name>`).
    CheckConstraint,
    // What the catalog shows on a managed table and the model does not hold (`Unmanaged`):
    // reported unless `ignore:` lists it (`<kind> <table>.<name>`).
    Trigger,
    /// A row-level security policy.
    Policy,
    /// Row-level security enabled on the table.
    RowLevelSecurity,
    /// A rewrite rule (CREATE RULE).
    Rule,
    /// The relative order of the columns both sides have (COPY and INSERT without a column
    /// list load by position).
    ColumnPosition,
    /// A property the YAML cannot express with another value than the tool's DDL gives it
    /// (an index's operator class, a table's owner, a foreign key's ON DELETE, ...).
    Unmodelled,
    /// An object in a managed namespace the YAML cannot hold (a function, a domain, a sequence
    /// no column owns, ...).
    Unmanaged,
    /// A property a driver owns, named by the driver: Redshift's `distribution`, `sort_key`,
    /// `backup`, `encoding`, `mv_options`; PostgreSQL's `attribute`, whose `property` names it
    /// (collation, generated, identity generation, serial, persistence, storage parameters, ...).
    #[serde(untagged)]
    Attribute(&'static str),
}

impl Kind {
    /// What no migration of the tool creates, changes or drops: the catalog holds it, the model
    /// does not (`unmodelled`, `unmanaged` and the kinds that name one such thing).
    pub fn is_unmanaged(self) -> bool {
        super::unmanaged::IGNORABLE.contains(&self) && !matches!(self, Kind::CheckConstraint | Kind::ForeignKey)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = serde_json::to_value(self).ok();
        f.write_str(name.as_ref().and_then(|v| v.as_str()).unwrap_or_default())
    }
}
