//! The operations a driver lowers changes into: one per template in `templates/<dialect>/`.
//! Templates see an operation as `change`, serialised as below.

use super::conversion::Fit;
use super::redshift::attrs::{distribution_text, sort_key_text, Distribution, SortKey};
use crate::diff::{grants_text, Key, Row};
use crate::model::{
    display_key, CheckConstraint, Column, ColumnType, Domain, Grant, Grantee, Index, Sequence, Table, View,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// The project's namespace (first migration) or one it has come to manage.
    CreateSchema {
        name: String,
    },
    /// PostgreSQL: an enum type with its values in order.
    CreateEnum {
        name: String,
        values: Vec<String>,
    },
    /// PostgreSQL: one more value, placed before or after one the type has by then.
    AddEnumValue {
        name: String,
        value: String,
        before: Option<String>,
        after: Option<String>,
    },
    DropEnum {
        name: String,
    },
    /// PostgreSQL: an extension created in `schema`, or dropped.
    Extension {
        name: String,
        extension: String,
        schema: String,
        create: bool,
    },
    /// PostgreSQL: a sequence created (`exists` false), altered to `options`, or dropped
    /// (`options` None). Options are the whole effective list: numbers and keywords only.
    Sequence {
        name: String,
        exists: bool,
        options: Option<Sequence>,
        text: Option<String>,
    },
    /// PostgreSQL: a domain created (`from` None), dropped (`to` None), or altered in place:
    /// `dropped` constraints go before the default and NOT NULL change, `added` come after.
    Domain {
        name: String,
        from: Option<Domain>,
        to: Option<Domain>,
        type_sql: String,
        dropped: Vec<String>,
        added: Vec<CheckConstraint>,
    },
    CreateTable {
        table: Table,
        constraints: Vec<Key>,
    },
    DropTable {
        table: String,
    },
    CreateView {
        view: View,
    },
    DropView {
        view: View,
    },
    /// `last`: no existing column is declared after it (ADD COLUMN adds at the end).
    AddColumn {
        table: String,
        column: Column,
        last: bool,
    },
    /// Fills a new derived column from its expression.
    Backfill {
        table: String,
        column: String,
        expr: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// Type, nullability or default in place (PostgreSQL; on Redshift only VARCHAR widening).
    /// `cast`: the type change converts explicitly (never for a string target, where an
    /// explicit cast would cut values).
    AlterColumn {
        table: String,
        from: Column,
        to: Column,
        cast: bool,
    },
    /// Redshift: add a new column, copy, drop the old one, rename (the column moves last).
    /// `from.name` is the column's name when this runs, after any rename.
    RebuildColumn {
        table: String,
        from: Column,
        to: Column,
        cast: bool,
    },
    /// Redshift: create the table anew, copy the rows of `source` (the table itself, or the one it
    /// moves from), swap names, add the keys, owner and privileges back.
    DeepCopy {
        source: String,
        table: Table,
        constraints: Vec<Key>,
        copy: Vec<CopyColumn>,
        /// Identity columns, which start after the copied values.
        identities: Vec<IdentityCopy>,
        /// Old columns the copy leaves behind.
        dropped: Vec<String>,
        /// Why ALTER cannot make the change (for the hazard).
        why: Vec<String>,
    },
    /// Fails the migration, changing nothing, when a stored value of the column (by its names
    /// before the migration) would change in its new type.
    CheckFits {
        table: String,
        column: String,
        from: ColumnType,
        to: ColumnType,
        fit: Fit,
    },
    /// Fails the migration, changing nothing, when the table has rows: a column added NOT NULL
    /// without a default would have no value in them.
    CheckEmpty {
        table: String,
        column: String,
    },
    /// Redshift: fails the migration, changing nothing, when the column's encoding (chosen by
    /// ENCODE AUTO) is one on which ALTER COLUMN TYPE is refused.
    CheckEncoding {
        table: String,
        column: String,
    },
    /// Redshift: records the owner and privileges of relations about to be replaced, read from
    /// the catalog when the migration runs.
    SavePrivileges {
        objects: Vec<String>,
    },
    /// Redshift: gives each relation that replaced another the owner and privileges saved for
    /// it: (saved under, replacement).
    RestorePrivileges {
        pairs: Vec<(String, String)>,
    },
    /// USAGE on a namespace for grantees that are granted objects in it.
    GrantUsage {
        namespace: String,
        grantees: Vec<Grantee>,
    },
    /// PostgreSQL: a generated column dropped and added again with its new expression (it
    /// cannot change in place), with its comment.
    RegenerateColumn {
        table: String,
        column: Column,
    },
    /// PostgreSQL: a table's persistence (`unlogged` when it changes), and the options of a
    /// table (storage parameters) or view (`on`) to set and to reset.
    SetOptions {
        object: String,
        on: &'static str,
        unlogged: Option<bool>,
        set: std::collections::BTreeMap<String, String>,
        reset: Vec<String>,
    },
    /// PostgreSQL: exclusion constraints dropped (by name), then added.
    Exclusions {
        table: String,
        dropped: Vec<String>,
        added: Vec<super::postgres::attrs::Exclusion>,
    },
    /// PostgreSQL: a partition of the table dropped, attached with a new bound, or created.
    Partition {
        table: String,
        change: super::postgres::attrs::PartitionChange,
    },
    /// PostgreSQL: moves a table to another namespace with its rows, keys, indexes and grants.
    SetSchema {
        table: String,
        to: String,
    },
    AlterDistribution {
        table: String,
        from: Distribution,
        to: Distribution,
    },
    AlterSortKey {
        table: String,
        to: SortKey,
    },
    /// Redshift: one column's encoding, or the whole table back to ENCODE AUTO.
    AlterEncoding {
        table: String,
        column: Option<String>,
        encode: Option<String>,
    },
    Comment {
        object: String,
        on: &'static str,
        column: Option<String>,
        text: Option<String>,
    },
    AddConstraint {
        table: String,
        constraint: Key,
    },
    DropConstraint {
        table: String,
        name: String,
    },
    RenameConstraint {
        table: String,
        from: String,
        to: String,
    },
    /// A foreign key's deferrability, to that of `constraint`.
    AlterConstraint {
        table: String,
        constraint: Key,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    /// `name` is the index's key: in its table's namespace (`model::sibling_key`).
    DropIndex {
        name: String,
    },
    InsertRows {
        table: Table,
    },
    DeleteRows {
        table: String,
        rows: Vec<Row>,
        /// The type of each column the rows name.
        types: std::collections::BTreeMap<String, ColumnType>,
    },
    /// (Re)creates the procedure refreshing these materialized views, in this order.
    CreateRefreshProcedure {
        name: String,
        views: Vec<String>,
    },
    /// REVOKE what goes, then GRANT what comes, on an existing table or view.
    Grants {
        object: String,
        revoke: Vec<Grant>,
        grant: Vec<Grant>,
    },
}

/// One column of a deep copy: where its values come from, and the type to convert them to when
/// they need an explicit conversion.
#[derive(Debug, Clone, Serialize)]
pub struct CopyColumn {
    pub from: String,
    /// The old column's type.
    pub was: ColumnType,
    pub to: String,
    pub cast: Option<ColumnType>,
}

/// An identity column of a deep copy: its name, the old column it is copied from, and its
/// identity's seed and step.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityCopy {
    pub column: String,
    /// The procedure variable holding where the identity starts.
    pub var: String,
    pub source: String,
    pub seed: i64,
    pub step: i64,
}

impl Op {
    /// The template that renders this operation.
    pub fn template(&self) -> &'static str {
        match self {
            Op::CreateSchema { .. } => "create_schema",
            Op::CreateEnum { .. } => "create_enum",
            Op::AddEnumValue { .. } => "add_enum_value",
            Op::DropEnum { .. } => "drop_enum",
            Op::Sequence { .. } => "sequence",
            Op::Extension { .. } => "extension",
            Op::Domain { .. } => "domain",
            Op::CreateTable { .. } => "create_table",
            Op::DropTable { .. } => "drop_table",
            Op::CreateView { .. } => "create_view",
            Op::DropView { .. } => "drop_view",
            Op::AddColumn { .. } => "add_column",
            Op::Backfill { .. } => "backfill",
            Op::DropColumn { .. } => "drop_column",
            Op::RenameColumn { .. } => "rename_column",
            Op::AlterColumn { .. } => "alter_column",
            Op::RebuildColumn { .. } => "rebuild_column",
            Op::DeepCopy { .. } => "deep_copy",
            Op::CheckFits { .. } => "check_fits",
            Op::CheckEmpty { .. } => "check_empty",
            Op::CheckEncoding { .. } => "check_encoding",
            Op::SavePrivileges { .. } => "save_privileges",
            Op::RestorePrivileges { .. } => "restore_privileges",
            Op::GrantUsage { .. } => "grant_usage",
            Op::SetSchema { .. } => "set_schema",
            Op::RegenerateColumn { .. } => "regenerate_column",
            Op::SetOptions { .. } => "set_options",
            Op::Exclusions { .. } => "exclusions",
            Op::Partition { .. } => "partition",
            Op::AlterDistribution { .. } => "alter_distribution",
            Op::AlterSortKey { .. } => "alter_sort_key",
            Op::AlterEncoding { .. } => "alter_encoding",
            Op::Comment { .. } => "comment",
            Op::AddConstraint { .. } => "add_constraint",
            Op::DropConstraint { .. } => "drop_constraint",
            Op::RenameConstraint { .. } => "rename_constraint",
            Op::AlterConstraint { .. } => "alter_constraint",
            Op::CreateIndex { .. } => "create_index",
            Op::DropIndex { .. } => "drop_index",
            Op::InsertRows { .. } => "insert_rows",
            Op::DeleteRows { .. } => "delete_rows",
            Op::CreateRefreshProcedure { .. } => "create_refresh_procedure",
            Op::Grants { .. } => "grants",
        }
    }

    /// The table whose rows this operation reads or writes, if it works on one.
    pub fn table(&self) -> Option<&str> {
        match self {
            Op::CreateTable { table, .. } | Op::InsertRows { table } => Some(&table.name),
            // The table copied: what is read whole, and what the copy locks.
            Op::DeepCopy { source, .. } => Some(source),
            Op::DropTable { table }
            | Op::AddColumn { table, .. }
            | Op::Backfill { table, .. }
            | Op::DropColumn { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::AlterColumn { table, .. }
            | Op::RebuildColumn { table, .. }
            | Op::CheckFits { table, .. }
            | Op::CheckEmpty { table, .. }
            | Op::CheckEncoding { table, .. }
            | Op::SetSchema { table, .. }
            | Op::RegenerateColumn { table, .. }
            | Op::Exclusions { table, .. }
            | Op::Partition { table, .. }
            | Op::AlterDistribution { table, .. }
            | Op::AlterSortKey { table, .. }
            | Op::AlterEncoding { table, .. }
            | Op::AddConstraint { table, .. }
            | Op::DropConstraint { table, .. }
            | Op::RenameConstraint { table, .. }
            | Op::AlterConstraint { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::DeleteRows { table, .. } => Some(table),
            _ => None,
        }
    }

    /// The table or view of the YAML this operation comes from, if one.
    pub fn object(&self) -> Option<&str> {
        match self {
            Op::CreateView { view } | Op::DropView { view } => Some(&view.name),
            Op::Comment { object, .. } | Op::Grants { object, .. } | Op::SetOptions { object, .. } => Some(object),
            _ => self.table(),
        }
    }

    /// One line for the plan; `ns` is the project's namespace.
    pub fn describe(&self, ns: &str) -> String {
        let q = |key: &str| display_key(ns, key);
        match self {
            Op::CreateSchema { name } => format!("create schema {name}"),
            Op::CreateEnum { name, .. } => format!("create enum type {}", q(name)),
            Op::AddEnumValue { name, value, .. } => format!("add value '{value}' to enum type {}", q(name)),
            Op::DropEnum { name } => format!("drop enum type {}", q(name)),
            Op::Extension { name, create, .. } => crate::diff::extension_text(&q(name), *create),
            Op::Sequence { name, exists, options, .. } => {
                crate::diff::sequence_text(&q(name), *exists, options.as_ref())
            }
            Op::Domain { name, from, to, .. } => crate::diff::domain_text(&q(name), from.as_ref(), to.as_ref()),
            Op::CreateTable { table, .. } => format!("create table {}", q(&table.name)),
            Op::DropTable { table } => format!("drop table {}", q(table)),
            Op::CreateView { view } => format!("create {} {}", view.kind_name(), q(&view.name)),
            Op::DropView { view } => format!("drop {} {}", view.kind_name(), q(&view.name)),
            Op::AddColumn { table, column, .. } => format!("add column {}.{}", q(table), column.name),
            Op::Backfill { table, column, expr } => format!("backfill {}.{column} from {expr}", q(table)),
            Op::DropColumn { table, column } => format!("drop column {}.{column}", q(table)),
            Op::RenameColumn { table, from, to } => format!("rename column {}.{from} to {to}", q(table)),
            Op::AlterColumn { table, from, to, .. } => {
                format!("alter column {}.{}: {}", q(table), to.name, column_delta(from, to))
            }
            Op::RebuildColumn { table, from, to, .. } => {
                format!("rebuild column {}.{} ({})", q(table), to.name, column_delta(from, to))
            }
            Op::DeepCopy { source, table, .. } if *source != table.name => {
                format!("move table {} to {}, copying its rows", q(source), q(&table.name))
            }
            Op::DeepCopy { table, .. } => format!("deep copy {} into its new definition", q(&table.name)),
            Op::CheckFits { table, column, to, .. } => {
                format!("check that every value of {}.{column} stays the same as {to}", q(table))
            }
            Op::CheckEmpty { table, column } => {
                format!("check that {} has no rows, for {column} added NOT NULL without a default", q(table))
            }
            Op::CheckEncoding { table, column } => {
                format!("check that the encoding of {}.{column} allows ALTER COLUMN TYPE", q(table))
            }
            Op::SavePrivileges { objects } => {
                format!(
                    "save the owner and privileges of {}",
                    objects.iter().map(|o| q(o)).collect::<Vec<_>>().join(", ")
                )
            }
            Op::RestorePrivileges { pairs } => {
                let to: Vec<String> = pairs.iter().map(|(_, to)| q(to)).collect();
                format!("give {} the owner and privileges saved", to.join(", "))
            }
            Op::GrantUsage { namespace, grantees } => {
                let who: Vec<String> = grantees.iter().map(|g| g.to_string()).collect();
                format!("grant usage on schema {namespace} to {}", who.join(", "))
            }
            Op::SetSchema { table, to } => format!("move table {} to schema {to}", q(table)),
            Op::RegenerateColumn { table, column, .. } => {
                format!("re-create generated column {}.{}", q(table), column.name)
            }
            Op::SetOptions { object, on, unlogged, set, reset } => {
                let persistence = unlogged.map(|u| if u { "unlogged" } else { "logged" }.to_string());
                let set = set.iter().map(|(k, v)| format!("{k}={v}"));
                let reset = reset.iter().map(|k| format!("reset {k}"));
                let what: Vec<String> = persistence.into_iter().chain(set).chain(reset).collect();
                format!("set {} {}: {}", on.to_lowercase(), q(object), what.join(", "))
            }
            Op::Exclusions { table, dropped, added } => {
                let dropped = dropped.iter().map(|n| format!("drop exclusion constraint {n}"));
                let added = added.iter().map(|x| format!("add exclusion constraint {}", x.name));
                format!("{} on {}", dropped.chain(added).collect::<Vec<_>>().join(", "), q(table))
            }
            Op::Partition { table, change } => format!("{} of {}", change.describe(q), q(table)),
            Op::AlterDistribution { table, from, to } => distribution_text(&q(table), from, to),
            Op::AlterSortKey { table, to } => sort_key_text(&q(table), to),
            Op::AlterEncoding { table, column: Some(c), encode } => {
                format!("alter encoding of {}.{c} to {}", q(table), encode.as_deref().unwrap_or("auto"))
            }
            Op::AlterEncoding { table, .. } => format!("alter encoding of {} to auto", q(table)),
            Op::Comment { object, column, .. } => match column {
                Some(c) => format!("comment on {}.{c}", q(object)),
                None => format!("comment on {}", q(object)),
            },
            Op::AddConstraint { table, constraint } => format!("add {} on {}", constraint.describe(), q(table)),
            Op::DropConstraint { table, name } => format!("drop constraint {name} on {}", q(table)),
            Op::RenameConstraint { table, from, to } => format!("rename constraint {from} on {} to {to}", q(table)),
            Op::AlterConstraint { table, constraint } => format!("alter {} on {}", constraint.describe(), q(table)),
            Op::CreateIndex { table, index } => format!("create index {} on {}", index.name, q(table)),
            Op::DropIndex { name } => format!("drop index {}", q(name)),
            Op::InsertRows { table } => format!("insert {} row(s) into {}", table.rows.len(), q(&table.name)),
            Op::DeleteRows { table, rows, .. } => format!("delete {} row(s) from {}", rows.len(), q(table)),
            Op::CreateRefreshProcedure { name, .. } => format!("create or replace procedure {}", q(name)),
            Op::Grants { object, revoke, grant } => grants_text(&q(object), revoke, grant),
        }
    }
}

fn column_delta(from: &Column, to: &Column) -> String {
    let mut parts = Vec::new();
    if from.ty != to.ty {
        parts.push(format!("{} -> {}", from.ty, to.ty));
    }
    if from.nullable != to.nullable {
        parts.push(if to.nullable { "drop not null" } else { "set not null" }.to_string());
    }
    if from.default != to.default {
        parts.push(format!("default {}", to.default.as_deref().unwrap_or("none")));
    }
    parts.extend(from.postgres.changed(&to.postgres).into_iter().map(str::to_string));
    parts.join(", ")
}
