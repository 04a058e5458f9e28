//! The recorded project as `state.json` stores it: a document of its own, so the model can
//! change shape without changing what old checkouts wrote.

use crate::dialect::postgres::attrs::{ColumnAttrs, TableAttrs, ViewAttrs};
use crate::dialect::redshift::attrs;
use crate::model::{
    Action, CheckConstraint, Column, ColumnType, Deferrable, Dialect, ForeignKey, Grant, Grantee, Identity, Index,
    IndexColumn, Privilege, Project, Sequence, Table, UniqueKey, View,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize)]
pub(super) struct ProjectDoc {
    name: String,
    namespace: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    namespaces: Vec<String>,
    dialects: Vec<Dialect>,
    phases: Vec<u8>,
    #[serde(default)]
    refresh_procedure: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    enums: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sequences: BTreeMap<String, Sequence>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    extensions: std::collections::BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    domains: BTreeMap<String, crate::model::Domain>,
    tables: Vec<TableDoc>,
    views: Vec<ViewDoc>,
}

#[derive(Serialize, Deserialize)]
struct TableDoc {
    name: String,
    phase: u8,
    #[serde(default)]
    description: Option<String>,
    columns: Vec<ColumnDoc>,
    #[serde(default)]
    primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    primary_key_name: Option<String>,
    #[serde(default)]
    unique: Vec<UniqueDoc>,
    #[serde(default)]
    foreign_keys: Vec<ForeignKeyDoc>,
    /// Absent (as in states written before CHECK constraints existed, or none): none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    check_constraints: Vec<CheckConstraint>,
    /// Redshift's own properties, as their driver serialises them (`distribution`, `sort_key`, `backup`).
    #[serde(flatten)]
    redshift: attrs::TableAttrs,
    #[serde(default)]
    indexes: Vec<IndexDoc>,
    #[serde(default)]
    rows: Vec<BTreeMap<String, serde_json::Value>>,
    /// Absent (as in states written before grants existed): not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grants: Option<Vec<GrantDoc>>,
    /// Absent (as in states written before they were modelled, or the defaults): none.
    #[serde(default, skip_serializing_if = "is_default")]
    postgres: TableAttrs,
}

#[derive(Serialize, Deserialize)]
struct ColumnDoc {
    name: String,
    #[serde(rename = "type")]
    ty: ColumnType,
    nullable: bool,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    identity: Option<IdentityDoc>,
    /// Redshift's own properties (`encode`).
    #[serde(flatten)]
    redshift: attrs::ColumnAttrs,
    #[serde(default)]
    derived: Option<String>,
    #[serde(default)]
    renamed_from: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    postgres: ColumnAttrs,
}

/// A unique key's columns alone (what states before key options hold), or with its options.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum UniqueDoc {
    Columns(Vec<String>),
    Key(UniqueKey),
}

/// A foreign key; the options where they are not the defaults.
#[derive(Serialize, Deserialize)]
struct ForeignKeyDoc {
    columns: Vec<String>,
    table: String,
    references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    on_delete: Action,
    #[serde(default, skip_serializing_if = "is_default")]
    on_update: Action,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    match_full: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    deferrable: Deferrable,
}

use crate::dialect::postgres::attrs::is_default;

/// An index; its options where they are not the defaults (states before them hold none).
#[derive(Serialize, Deserialize)]
struct IndexDoc {
    name: String,
    columns: Vec<IndexColumnDoc>,
    #[serde(default)]
    unique: bool,
    #[serde(default, rename = "where")]
    predicate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    using: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    include: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    with: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    nulls_not_distinct: bool,
}

/// A key column as its entry (`day DESC`), or with an operator class or collation.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum IndexColumnDoc {
    Entry(String),
    Options {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        column: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expression: Option<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        order: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        opclass: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
struct ViewDoc {
    name: String,
    materialized: bool,
    phase: u8,
    #[serde(default)]
    description: Option<String>,
    sql: String,
    depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    late_binding: bool,
    /// Redshift's materialized-view options (`backup`, `auto_refresh`, `distribution`, `sort_key`).
    #[serde(flatten)]
    redshift: attrs::ViewAttrs,
    #[serde(default)]
    indexes: Vec<IndexDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grants: Option<Vec<GrantDoc>>,
    #[serde(default, skip_serializing_if = "is_default")]
    postgres: ViewAttrs,
}

/// The grantee as the YAML writes it (`group analysts`).
#[derive(Serialize, Deserialize)]
struct GrantDoc {
    #[serde(serialize_with = "grantee_text", deserialize_with = "grantee_parse")]
    to: Grantee,
    privileges: Vec<Privilege>,
}

fn grantee_text<S: serde::Serializer>(to: &Grantee, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(to)
}

fn grantee_parse<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Grantee, D::Error> {
    String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
}

fn grant_docs(grants: &Option<Vec<Grant>>) -> Option<Vec<GrantDoc>> {
    let doc = |g: &Grant| GrantDoc { to: g.to.clone(), privileges: g.privileges.clone() };
    grants.as_ref().map(|list| list.iter().map(doc).collect())
}

fn grants(docs: Option<Vec<GrantDoc>>) -> Option<Vec<Grant>> {
    docs.map(|list| list.into_iter().map(|g| Grant { to: g.to, privileges: g.privileges }).collect())
}

#[derive(Serialize, Deserialize)]
struct IdentityDoc {
    seed: i64,
    step: i64,
}

impl From<&Project> for ProjectDoc {
    fn from(p: &Project) -> Self {
        ProjectDoc {
            name: p.name.clone(),
            namespace: p.namespace.clone(),
            namespaces: p.namespaces.clone(),
            dialects: p.dialects.clone(),
            phases: p.phases.clone(),
            refresh_procedure: p.refresh_procedure.clone(),
            enums: p.enums.clone(),
            sequences: p.sequences.clone(),
            extensions: p.extensions.clone(),
            domains: p.domains.clone(),
            tables: p.tables.iter().map(TableDoc::from).collect(),
            views: p.views.iter().map(ViewDoc::from).collect(),
        }
    }
}

impl From<ProjectDoc> for Project {
    fn from(p: ProjectDoc) -> Self {
        Project {
            name: p.name,
            namespace: p.namespace,
            namespaces: p.namespaces,
            dialects: p.dialects,
            phases: p.phases,
            ignore: vec![],
            refresh_procedure: p.refresh_procedure,
            seed_values: Default::default(),
            enums: p.enums,
            sequences: p.sequences,
            extensions: p.extensions,
            domains: p.domains,
            tables: p.tables.into_iter().map(Table::from).collect(),
            views: p.views.into_iter().map(View::from).collect(),
            targets: Default::default(),
            key_checks: Default::default(),
        }
    }
}

impl From<&Table> for TableDoc {
    fn from(t: &Table) -> Self {
        TableDoc {
            name: t.name.clone(),
            phase: t.phase,
            description: t.description.clone(),
            columns: t.columns.iter().map(ColumnDoc::from).collect(),
            primary_key: t.primary_key.clone(),
            primary_key_name: t.primary_key_name.clone(),
            unique: t
                .unique
                .iter()
                .map(|u| match u {
                    UniqueKey { columns, name: None, nulls_not_distinct: false } => UniqueDoc::Columns(columns.clone()),
                    _ => UniqueDoc::Key(u.clone()),
                })
                .collect(),
            foreign_keys: t
                .foreign_keys
                .iter()
                .map(|f| ForeignKeyDoc {
                    columns: f.columns.clone(),
                    table: f.table.clone(),
                    references: f.references.clone(),
                    name: f.name.clone(),
                    on_delete: f.on_delete,
                    on_update: f.on_update,
                    match_full: f.match_full,
                    deferrable: f.deferrable,
                })
                .collect(),
            check_constraints: t.check_constraints.clone(),
            redshift: t.redshift.clone(),
            indexes: t.indexes.iter().map(IndexDoc::from).collect(),
            rows: t.rows.clone(),
            grants: grant_docs(&t.grants),
            postgres: t.postgres.clone(),
        }
    }
}

impl From<TableDoc> for Table {
    fn from(t: TableDoc) -> Self {
        Table {
            name: t.name,
            phase: t.phase,
            description: t.description,
            columns: t.columns.into_iter().map(Column::from).collect(),
            primary_key: t.primary_key,
            primary_key_name: t.primary_key_name,
            unique: t
                .unique
                .into_iter()
                .map(|u| match u {
                    UniqueDoc::Columns(columns) => UniqueKey::new(columns),
                    UniqueDoc::Key(key) => key,
                })
                .collect(),
            foreign_keys: t
                .foreign_keys
                .into_iter()
                .map(|f| ForeignKey {
                    name: f.name,
                    on_delete: f.on_delete,
                    on_update: f.on_update,
                    match_full: f.match_full,
                    deferrable: f.deferrable,
                    ..ForeignKey::new(f.columns, f.table, f.references)
                })
                .collect(),
            check_constraints: t.check_constraints,
            redshift: t.redshift,
            indexes: t.indexes.into_iter().map(Index::from).collect(),
            rows: t.rows,
            checks: vec![],
            key_checks: None,
            grants: grants(t.grants),
            postgres: t.postgres,
        }
    }
}

impl From<&Column> for ColumnDoc {
    fn from(c: &Column) -> Self {
        ColumnDoc {
            name: c.name.clone(),
            ty: c.ty.clone(),
            nullable: c.nullable,
            default: c.default.clone(),
            identity: c.identity.map(|i| IdentityDoc { seed: i.seed, step: i.step }),
            redshift: c.redshift.clone(),
            derived: c.derived.clone(),
            renamed_from: c.renamed_from.clone(),
            description: c.description.clone(),
            postgres: c.postgres.clone(),
        }
    }
}

impl From<ColumnDoc> for Column {
    fn from(c: ColumnDoc) -> Self {
        Column {
            name: c.name,
            ty: c.ty.clone(),
            nullable: c.nullable,
            default: c.default,
            identity: c.identity.map(|i| Identity { seed: i.seed, step: i.step }),
            redshift: c.redshift,
            derived: c.derived,
            lookup: None,
            renamed_from: c.renamed_from,
            description: c.description,
            postgres: c.postgres,
        }
    }
}

impl From<&Index> for IndexDoc {
    fn from(i: &Index) -> Self {
        let column = |c: &IndexColumn| match c.is_plain() {
            true => IndexColumnDoc::Entry(c.entry()),
            false => IndexColumnDoc::Options {
                column: c.column.clone(),
                expression: c.expression.clone(),
                order: c.order().trim_start().to_string(),
                opclass: c.opclass.clone(),
                collation: c.collation.clone(),
            },
        };
        IndexDoc {
            name: i.name.clone(),
            columns: i.columns.iter().map(column).collect(),
            unique: i.unique,
            predicate: i.predicate.clone(),
            using: i.using.clone(),
            include: i.include.clone(),
            with: i.with.clone(),
            nulls_not_distinct: i.nulls_not_distinct,
        }
    }
}

impl From<IndexDoc> for Index {
    fn from(i: IndexDoc) -> Self {
        let entry = |e: &str| IndexColumn::parse(e).unwrap_or_else(|| IndexColumn::named(e));
        let column = |c: IndexColumnDoc| match c {
            IndexColumnDoc::Entry(e) => entry(&e),
            IndexColumnDoc::Options { column, expression, order, opclass, collation } => {
                IndexColumn { expression, opclass, collation, ..IndexColumn::ordered(column, &order) }
            }
        };
        Index {
            columns: i.columns.into_iter().map(column).collect(),
            unique: i.unique,
            predicate: i.predicate,
            using: i.using,
            include: i.include,
            with: i.with,
            nulls_not_distinct: i.nulls_not_distinct,
            ..Index::new(i.name, vec![])
        }
    }
}

impl From<&View> for ViewDoc {
    fn from(v: &View) -> Self {
        ViewDoc {
            name: v.name.clone(),
            materialized: v.materialized,
            phase: v.phase,
            description: v.description.clone(),
            sql: v.sql.clone(),
            depends_on: v.depends_on.clone(),
            late_binding: v.late_binding,
            redshift: v.redshift.clone(),
            indexes: v.indexes.iter().map(IndexDoc::from).collect(),
            grants: grant_docs(&v.grants),
            postgres: v.postgres.clone(),
        }
    }
}

impl From<ViewDoc> for View {
    fn from(v: ViewDoc) -> Self {
        View {
            name: v.name,
            materialized: v.materialized,
            phase: v.phase,
            description: v.description,
            sql: v.sql,
            depends_on: v.depends_on,
            late_binding: v.late_binding,
            redshift: v.redshift,
            indexes: v.indexes.into_iter().map(Index::from).collect(),
            grants: grants(v.grants),
            postgres: v.postgres,
        }
    }
}
