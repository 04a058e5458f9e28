//! PostgreSQL indexes: the catalog query (one, whatever the number of indexes) and its rows
//! into the model.

use crate::dialect::catalog::{Builder, Row};
use crate::model::{catalog_name_text, Index, IndexColumn};
use std::collections::BTreeMap;

/// Indexes other than those backing a constraint: access method, NULLS NOT DISTINCT, storage
/// parameters (JSON), predicate, the `indoption` bits of the key columns (1 = DESC, 2 = NULLS
/// FIRST), each column as JSON `[name, [schema, operator class], [schema, collation],
/// expression]` (a key on an expression has no name, and its expression as the server prints
/// it), key columns first (`indnkeyatts` of them) then the INCLUDE ones, and operator class
/// parameters by column position. The operator class only where it is not its type's default
/// for the method, the collation only where it is not the column's (an expression's: where it is
/// not the database's): what an index declared without them gets reads as the plain form. Names are looked up only then (a lookup for every column of 2,000 indexes doubled the
/// read), and the parameters in one pass over `pg_attribute` (they are rare).
pub(super) const INDEXES: &str = "SELECT {c} AS owner, i.relname AS name, x.indisunique, x.indoption::text AS options,
  x.indnkeyatts, am.amname, x.indnullsnotdistinct, pg_catalog.array_to_json(i.reloptions)::pg_catalog.text AS reloptions,
  pg_catalog.pg_get_expr(x.indpred, x.indrelid, true) AS predicate,
  (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(a.attname,
       CASE WHEN k.opc = ANY (ARRAY(SELECT oc.oid FROM pg_catalog.pg_opclass oc WHERE NOT oc.opcdefault)) THEN
         (SELECT pg_catalog.json_build_array(ocn.nspname, oc.opcname) FROM pg_catalog.pg_opclass oc
          JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace WHERE oc.oid = k.opc) END,
       CASE WHEN k.coll <> COALESCE(a.attcollation, 100) THEN
         (SELECT pg_catalog.json_build_array(con.nspname, co.collname) FROM pg_catalog.pg_collation co
          JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace WHERE co.oid = k.coll) END,
       CASE WHEN k.attnum = 0 THEN pg_catalog.pg_get_indexdef(x.indexrelid, k.n::integer, true) END) ORDER BY k.n)
     FROM ROWS FROM (pg_catalog.unnest(x.indkey::pg_catalog.int2[]), pg_catalog.unnest(x.indclass::pg_catalog.oid[]),
                     pg_catalog.unnest(x.indcollation::pg_catalog.oid[])) WITH ORDINALITY AS k(attnum, opc, coll, n)
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum)::pg_catalog.text AS columns,
  p.parameters
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = i.relam
JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN (SELECT ia.attrelid, pg_catalog.json_object_agg(ia.attnum, pg_catalog.array_to_string(ia.attoptions, ', '))::pg_catalog.text
             AS parameters
           FROM pg_catalog.pg_attribute ia WHERE ia.attoptions IS NOT NULL GROUP BY ia.attrelid) p ON p.attrelid = x.indexrelid
WHERE {n} AND NOT c.relispartition AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                          WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY 1, 2";

/// One column of `INDEXES`' `columns`: its name, operator class, collation and expression.
type Entry = (Option<String>, Option<(String, String)>, Option<(String, String)>, Option<String>);

/// A row of `INDEXES` onto its table or view; what the model does not hold of it is reported.
pub(super) fn add(b: &mut Builder, r: &Row) {
    let (owner, name) = (r.text("owner"), r.text("name"));
    let entries: Vec<Entry> = serde_json::from_str(r.text("columns")).unwrap_or_default();
    let keys = r.int("indnkeyatts").map_or(entries.len(), |n| n as usize);
    let options: Vec<i64> = r.text("options").split_whitespace().filter_map(|o| o.parse().ok()).collect();
    let given: BTreeMap<usize, String> = serde_json::from_str(r.get("parameters").unwrap_or("{}")).unwrap_or_default();
    // Outside pg_catalog a name is written qualified: migrations run on any search_path.
    let named = |n: Option<(String, String)>| {
        n.map(|(schema, name)| catalog_name_text((schema != "pg_catalog").then_some(schema.as_str()), &name))
    };
    let mut index = Index::new(name, vec![]);
    let mut parameters = Vec::new();
    for (k, (column, opclass, collation, expression)) in entries.into_iter().enumerate() {
        let column = column.unwrap_or_default();
        if k >= keys {
            index.include.push(column);
            continue;
        }
        if let Some(given) = given.get(&(k + 1)) {
            parameters.push(format!("{}: {given}", expression.as_deref().unwrap_or(&column)));
        }
        let option = options.get(k).copied().unwrap_or(0);
        index.columns.push(IndexColumn {
            descending: option & 1 != 0,
            nulls_first: option & 2 != 0,
            opclass: named(opclass),
            collation: named(collation),
            column,
            expression,
        });
    }
    index.unique = r.flag("indisunique");
    index.predicate = r.get("predicate").map(str::to_string);
    index.using = Some(r.text("amname")).filter(|m| *m != "btree").map(|m| catalog_name_text(None, m));
    let stored: Vec<String> = serde_json::from_str(r.text("reloptions")).unwrap_or_default();
    index.with = stored.iter().filter_map(|o| o.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect();
    // The server keeps NULLS NOT DISTINCT on an index that is not unique, where it means nothing.
    index.nulls_not_distinct = r.flag("indnullsnotdistinct") && index.unique;
    if r.flag("indnullsnotdistinct") && !index.unique {
        b.unmodelled(owner, Some(name), "NULLS NOT DISTINCT", None, "yes (on an index that is not unique)");
    }
    if !parameters.is_empty() {
        b.unmodelled(owner, Some(name), "operator class parameters", None, &parameters.join("; "));
    }
    b.index(owner, index);
}
