//! PostgreSQL domains: one query for every domain of the managed namespaces (or of the scratch
//! copies), rows → `model::Domain`.

use crate::dialect::catalog::{Builder, Rows};
use crate::model::{CheckConstraint, ColumnType, Domain};

/// A row per CHECK constraint of a domain (one with NULLs for a domain without any), `kind`
/// domain, in the columns of the enum rows it follows in the managed namespaces' read.
macro_rules! domain_rows {
    () => {
        "SELECT 'domain' AS kind, {e} AS typname, NULL AS enumlabel, NULL AS owner, NULL::pg_catalog.int4 AS n,
  pg_catalog.format_type(t.typbasetype, t.typtypmod) AS type, t.typnotnull, t.typdefault, k.conname,
  pg_catalog.pg_get_constraintdef(k.oid) AS definition
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_constraint k ON k.contypid = t.oid AND k.contype = 'c'
WHERE {n} AND t.typtype = 'd'"
    };
}

/// The scratch copies' domains (only where the desired project has some).
pub(super) const DOMAINS: &str = concat!(domain_rows!(), "\nORDER BY 2, 9");

/// The enum types with their values in order, then the domains, of every managed namespace
/// (keyed `ns.name` outside the project's own): one round trip.
pub(super) const TYPES: &str = concat!(
    "SELECT 'enum' AS kind, {e} AS typname, e.enumlabel, pg_catalog.pg_get_userbyid(t.typowner) AS owner,
  e.enumsortorder::pg_catalog.int4 AS n, NULL AS type, NULL AS typnotnull, NULL AS typdefault, NULL AS conname,
  NULL AS definition
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
WHERE {n}
UNION ALL
",
    domain_rows!(),
    "\nORDER BY 1 DESC, 2, 5, 9"
);

/// The domains of `rows` into the live project, keyed by `key` of the name read. A base type
/// the model cannot spell leaves the domain unmanaged (the objects query lists it).
pub(super) fn read(b: &mut Builder, rows: &Rows, key: impl Fn(&str) -> String) {
    for r in rows.iter().filter(|r| r.text("kind") == "domain") {
        let name = key(r.text("typname"));
        let Ok(ty) = ColumnType::parse_postgres(r.text("type")) else { continue };
        let domain = b.live.project.domains.entry(name.clone()).or_insert_with(|| Domain {
            ty,
            nullable: !r.flag("typnotnull"),
            default: r.get("typdefault").map(str::to_string),
            check_constraints: vec![],
        });
        let (Some(constraint), Some(definition)) = (r.get("conname"), r.get("definition")) else { continue };
        let (expression, valid) = match definition.strip_suffix(" NOT VALID") {
            Some(rest) => (rest, false),
            None => (definition, true),
        };
        let Some(expression) = expression.strip_prefix("CHECK (").and_then(|e| e.strip_suffix(')')) else { continue };
        domain
            .check_constraints
            .push(CheckConstraint { name: constraint.to_string(), expression: expression.to_string() });
        if !valid {
            b.unmodelled(&name, Some(constraint), "constraint options", None, "NOT VALID");
        }
    }
}
