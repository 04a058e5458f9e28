//! Amazon Redshift: the catalog queries, one per source (leader-node catalog tables and
//! compute-node views cannot be used in one query), filtered to the managed namespaces on the
//! server. `catalog.rs` reads them and maps their rows to the model.

use super::Redshift;
use crate::dialect::catalog::{in_namespaces, object_key};

/// One catalog source.
pub struct Source {
    pub name: &'static str,
    pub sql: String,
    /// A compute-node view or a privileged table: the diff goes on without it.
    pub optional: bool,
}

/// The catalog queries, in the order `Catalog` takes their rows. `namespaces`: the project's
/// first, then the others it manages; objects come back by key (`model::split_key`).
pub fn queries(namespaces: &[String]) -> Vec<Source> {
    let within = |column: &str| in_namespaces(&Redshift, namespaces, column);
    let key = |ns: &str, name: &str| object_key(&Redshift, namespaces, ns, name);
    let (n, relname) = (within("n.nspname"), key("n.nspname", "c.relname"));
    let leader = |name, sql: String| Source { name, sql, optional: false };
    let optional = |name, sql: String| Source { name, sql, optional: true };
    vec![
        // Tables and views; pg_class_info adds the effective distribution style of AUTO tables.
        // relacl holds the grants to users, groups and PUBLIC.
        leader(
            "pg_class",
            format!(
                "SELECT c.oid::BIGINT AS reloid, {relname} AS relname, c.relkind, c.reldiststyle, i.releffectivediststyle, d.description,
  c.relacl, pg_catalog.pg_get_userbyid(c.relowner) AS owner
FROM pg_catalog.pg_class AS c
INNER JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class_info AS i ON i.reloid = c.oid
LEFT JOIN pg_catalog.pg_description AS d ON d.objoid = c.oid AND d.objsubid = 0
WHERE {n} AND c.relkind IN ('r', 'v')"
            ),
        ),
        // Columns with Redshift's pg_attribute extensions: encoding, distkey, sort key position.
        leader(
            "pg_attribute",
            format!(
                "SELECT {relname} AS relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
  ad.adsrc AS default_expr, pg_catalog.format_encoding(a.attencodingtype::INTEGER) AS encoding,
  a.attisdistkey, a.attsortkeyord, d.description
FROM pg_catalog.pg_attribute AS a
INNER JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
INNER JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description AS d ON d.objoid = c.oid AND d.objsubid = a.attnum
WHERE {n} AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY 1, a.attnum"
            ),
        ),
        leader(
            "pg_constraint",
            format!(
                "SELECT {relname} AS relname, k.conname AS name, pg_catalog.pg_get_constraintdef(k.oid) AS definition
FROM pg_catalog.pg_constraint AS k
INNER JOIN pg_catalog.pg_class AS c ON c.oid = k.conrelid
INNER JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE {n} AND k.contype IN ('p', 'u', 'f')
ORDER BY 1, k.contype, k.conname"
            ),
        ),
        // A materialized view's definition is its whole CREATE statement.
        leader(
            "pg_views",
            format!(
                "SELECT {} AS viewname, definition FROM pg_catalog.pg_views WHERE {}",
                key("schemaname", "viewname"),
                within("schemaname")
            ),
        ),
        // Who reads the catalog: what a user who is not a superuser may not see is said.
        leader(
            "pg_user",
            "SELECT usename, usesuper FROM pg_catalog.pg_user WHERE usename = current_user".to_string(),
        ),
        // BACKUP NO tables, as keys pg_class_backup_<database oid>_<table oid>.
        optional(
            "pg_conf",
            "SELECT key, (SELECT db.oid::BIGINT FROM pg_catalog.pg_database AS db WHERE db.datname = current_database()) AS dboid
FROM pg_catalog.pg_conf
WHERE key LIKE 'pg_class_backup_%'"
                .to_string(),
        ),
        // Compute node: AUTO sort key and encoding of tables that have rows, MV distribution.
        optional(
            "svv_table_info",
            format!(
                "SELECT {} AS \"table\", diststyle, sortkey1, encoded FROM svv_table_info WHERE {}",
                key("\"schema\"", "\"table\""),
                within("\"schema\"")
            ),
        ),
        optional(
            "svv_mv_info",
            format!(
                "SELECT {} AS name, autorefresh, state FROM svv_mv_info WHERE {}",
                key("schema_name", "name"),
                within("schema_name")
            ),
        ),
        // External (Spectrum) tables, when a namespace is an external schema: not managed.
        optional(
            "svv_external_tables",
            format!(
                "SELECT schemaname, tablename, location FROM svv_external_tables WHERE {} ORDER BY 1, 2",
                within("schemaname")
            ),
        ),
        // Grants to roles: AWS documents them here, and relacl's format only for users and groups.
        optional(
            "svv_relation_privileges",
            format!(
                "SELECT {} AS relation_name, privilege_type, identity_name FROM svv_relation_privileges
WHERE {} AND identity_type = 'role'",
                key("namespace_name", "relation_name"),
                within("namespace_name")
            ),
        ),
    ]
}
