//! PostgreSQL indexes: the catalog query (one, whatever the number of indexes), its rows into
//! the model, and an index on an expression named like a declared one taken back as that index.

use crate::dialect::catalog::{Builder, Live, Row};
use crate::diff::findings::Unmanaged;
use crate::model::{catalog_name_text, Index, IndexColumn, Project};
use std::collections::BTreeMap;

pub(super) const EXPRESSION_INDEX: &str = "expression index";

/// Indexes other than those backing a constraint: access method, NULLS NOT DISTINCT, storage
/// parameters (JSON), predicate, the whole definition of an index on an expression, the
/// `indoption` bits of the key columns (1 = DESC, 2 = NULLS FIRST), each column as JSON
/// `[name, [schema, operator class], [schema, collation]]`, key columns first (`indnkeyatts`
/// of them) then the INCLUDE ones, and operator class parameters by column position. The
/// operator class only where it is not its type's default for the method, the collation only
/// where it is not the column's: what an index declared without them gets reads as the plain
/// form. Names are looked up only then (a lookup for every column of 2,000 indexes doubled the
/// read), and the parameters in one pass over `pg_attribute` (they are rare).
pub(super) const INDEXES: &str = "SELECT {c} AS owner, i.relname AS name, x.indisunique, x.indoption::text AS options,
  x.indnkeyatts, am.amname, x.indnullsnotdistinct, pg_catalog.array_to_json(i.reloptions)::pg_catalog.text AS reloptions,
  pg_catalog.pg_get_expr(x.indpred, x.indrelid, true) AS predicate,
  CASE WHEN 0 = ANY (x.indkey::pg_catalog.int2[]) THEN pg_catalog.pg_get_indexdef(x.indexrelid) END AS expression,
  (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(a.attname,
       CASE WHEN k.opc = ANY (ARRAY(SELECT oc.oid FROM pg_catalog.pg_opclass oc WHERE NOT oc.opcdefault)) THEN
         (SELECT pg_catalog.json_build_array(ocn.nspname, oc.opcname) FROM pg_catalog.pg_opclass oc
          JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace WHERE oc.oid = k.opc) END,
       CASE WHEN k.coll <> a.attcollation THEN
         (SELECT pg_catalog.json_build_array(con.nspname, co.collname) FROM pg_catalog.pg_collation co
          JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace WHERE co.oid = k.coll) END) ORDER BY k.n)
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

/// One column of `INDEXES`' `columns`: its name, operator class and collation.
type Entry = (Option<String>, Option<(String, String)>, Option<(String, String)>);

/// A row of `INDEXES` onto its table or view; what the model does not hold of it is reported.
pub(super) fn add(b: &mut Builder, r: &Row) {
    let (owner, name) = (r.text("owner"), r.text("name"));
    // The YAML's index columns are columns: an index on an expression is reported alone, and
    // its table stays managed.
    if let Some(definition) = r.get("expression") {
        b.unmodelled(owner, Some(name), EXPRESSION_INDEX, None, definition);
        return;
    }
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
    for (k, (column, opclass, collation)) in entries.into_iter().enumerate() {
        let column = column.unwrap_or_default();
        if k >= keys {
            index.include.push(column);
            continue;
        }
        if let Some(given) = given.get(&(k + 1)) {
            parameters.push(format!("{column}: {given}"));
        }
        let option = options.get(k).copied().unwrap_or(0);
        index.columns.push(IndexColumn {
            descending: option & 1 != 0,
            nulls_first: option & 2 != 0,
            opclass: named(opclass),
            collation: named(collation),
            column,
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

/// An index on an expression named like an index the YAML declares is that index, changed: it
/// is compared (its definition as its columns), so the plan replaces it, rather than reported
/// beside a missing index whose CREATE would collide with it.
pub(super) fn reclaim_declared(live: &mut Live, desired: &Project) {
    let declared = |u: &Unmanaged| {
        let item = u.item.as_deref();
        u.property.as_deref() == Some(EXPRESSION_INDEX)
            && desired.table(&u.table).is_some_and(|t| t.indexes.iter().any(|i| Some(i.name.as_str()) == item))
    };
    let (reclaimed, kept): (Vec<Unmanaged>, Vec<Unmanaged>) = live.unmanaged.drain(..).partition(declared);
    live.unmanaged = kept;
    for u in reclaimed {
        let Some(t) = live.project.tables.iter_mut().find(|t| t.name == u.table) else { continue };
        let unique = u.definition.starts_with("CREATE UNIQUE");
        let index = Index { unique, ..Index::new(u.item.unwrap_or_default(), vec![IndexColumn::named(u.definition)]) };
        t.indexes.push(index);
    }
}
