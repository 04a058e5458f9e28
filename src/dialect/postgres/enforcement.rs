//! The keys PostgreSQL enforces on the namespaces' tables, read in one query: unique indexes
//! (primary keys and unique constraints are backed by one) on whole tables and plain columns,
//! and foreign keys with whether they were validated and whether their triggers fire.

use super::Postgres;
use crate::dialect::catalog::{in_namespaces, object_key, Session};
use crate::dialect::enforcement::{KeyEnforcement, ServerKey};
use crate::error::{Error, Result};

/// `invalid`: an index a failed CREATE INDEX CONCURRENTLY left behind (it takes new rows but
/// was never checked against the old ones), or a foreign key added NOT VALID. `disabled_on`: the
/// tables whose triggers of the foreign key do not fire in a normal session (`DISABLE TRIGGER`,
/// or ENABLE REPLICA): rows written meanwhile were not checked.
const KEYS: &str = "SELECT {c} AS relname, 'unique' AS kind, i.relname AS name,
  (SELECT pg_catalog.json_agg(a.attname ORDER BY k.n)
   FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, n)
   JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum) AS columns,
  NULL AS parent, NULL AS parent_columns, NOT (x.indisvalid AND x.indisready) AS invalid, NULL AS disabled_on
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {n} AND x.indisunique AND x.indpred IS NULL AND x.indexprs IS NULL
UNION ALL
SELECT {c}, 'foreign', k.conname,
  (SELECT pg_catalog.json_agg(a.attname ORDER BY u.n)
   FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
   JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
  CASE WHEN {pn} THEN {p} END,
  (SELECT pg_catalog.json_agg(a.attname ORDER BY u.n)
   FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, n)
   JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum),
  NOT k.convalidated,
  (SELECT pg_catalog.string_agg(DISTINCT tc.relname, ', ')
   FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class tc ON tc.oid = t.tgrelid
   WHERE t.tgconstraint = k.oid AND t.tgenabled NOT IN ('O', 'A'))
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class pc ON pc.oid = k.confrelid
JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
WHERE {n} AND k.contype = 'f'";

pub(super) fn read(client: &mut ::postgres::Client, namespaces: &[String]) -> Result<KeyEnforcement> {
    let d = &Postgres;
    let sql = KEYS
        .replace("{c}", &object_key(d, namespaces, "n.nspname", "c.relname"))
        .replace("{n}", &in_namespaces(d, namespaces, "n.nspname"))
        .replace("{pn}", &in_namespaces(d, namespaces, "pn.nspname"))
        .replace("{p}", &object_key(d, namespaces, "pn.nspname", "pc.relname"));
    let rows = Session::new(client).read_only(&sql)?;
    let names = |text: Option<&str>| -> Result<Vec<String>> {
        serde_json::from_str(text.unwrap_or("[]")).map_err(|e| Error::Catalog(format!("reading key columns: {e}")))
    };
    let mut keys = Vec::new();
    for row in rows.iter() {
        let name = row.text("name").to_string();
        let columns = names(row.get("columns"))?;
        let gap = match (row.text("kind"), row.flag("invalid"), row.get("disabled_on")) {
            ("unique", true, _) => Some(format!(
                "unique index {name} is not valid (what a failed CREATE INDEX CONCURRENTLY leaves): rows may repeat its key"
            )),
            ("unique", false, _) => None,
            (_, invalid, disabled) => {
                let mut why = Vec::new();
                if invalid {
                    why.push("is NOT VALID: rows that existed when it was added were never checked".to_string());
                }
                if let Some(tables) = disabled {
                    why.push(format!(
                        "has its triggers disabled on {tables} (ALTER TABLE ... DISABLE TRIGGER): rows written meanwhile were not checked"
                    ));
                }
                (!why.is_empty()).then(|| format!("foreign key {name} {}", why.join(", and ")))
            }
        };
        let references = match row.text("kind") {
            "unique" => None,
            _ => Some((row.get("parent").map(str::to_string), names(row.get("parent_columns"))?)),
        };
        keys.push(ServerKey { table: row.text("relname").to_string(), name, columns, references, gap });
    }
    Ok(KeyEnforcement::Enforced(keys))
}
