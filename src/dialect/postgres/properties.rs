//! PostgreSQL: what the catalog records beyond the model, in two queries whatever the number of
//! tables. `PROPERTIES` lists every property of a managed table, view, column, index, identity
//! sequence and constraint whose value is not the one the tool's own DDL gives it (the
//! server's default): the server compares, so only differences travel. `OBJECTS` lists what a
//! managed namespace holds that the YAML cannot (functions, domains, sequences no column owns,
//! partitions, ...), objects of extensions left out (the extension is listed instead).
//! The tool's DDL sets none of these properties: a template that comes to set one must make it
//! part of the model instead.

use crate::dialect::catalog::{Builder, Rows};

/// Rows `(relname, item, property, found, expected)`, all text (a `name` would cut values at 63
/// bytes).
pub(super) const PROPERTIES: &str = "SELECT {c} AS relname, NULL::pg_catalog.text AS item, p.property, p.found, p.expected
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace
LEFT JOIN pg_catalog.pg_class toast ON toast.oid = c.reltoastrelid
CROSS JOIN LATERAL (VALUES
  -- Persistence, storage parameters and a view's options are modelled (`attrs`).
  ('access method', CASE WHEN c.relkind IN ('r', 'm') THEN am.amname::pg_catalog.text END, CASE WHEN c.relkind IN ('r', 'm') THEN 'heap' END),
  ('tablespace', ts.spcname::pg_catalog.text, NULL),
  ('replica identity', CASE WHEN c.relkind IN ('r', 'p') THEN CASE c.relreplident WHEN 'd' THEN 'DEFAULT'
     WHEN 'n' THEN 'NOTHING' WHEN 'f' THEN 'FULL' ELSE 'USING INDEX' END END,
   CASE WHEN c.relkind IN ('r', 'p') THEN 'DEFAULT' END),
  -- A partition elsewhere holds rows of the table the model cannot name (`partitions`).
  ('partitions in other namespaces', CASE WHEN c.relkind = 'p' THEN (SELECT pg_catalog.string_agg(i.inhrelid::pg_catalog.regclass::pg_catalog.text, ', ' ORDER BY 1)
     FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pp ON pp.oid = i.inhrelid
     WHERE i.inhparent = c.oid AND pp.relnamespace <> c.relnamespace) END, NULL),
  ('inherits', (SELECT pg_catalog.string_agg(i.inhparent::pg_catalog.regclass::pg_catalog.text, ', ' ORDER BY i.inhseqno)
                FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid), NULL),
  ('populated', CASE WHEN c.relkind = 'm' AND NOT c.relispopulated
     THEN 'not populated: REFRESH MATERIALIZED VIEW has not run since it was created' END, NULL),
  ('other privileges', (SELECT pg_catalog.string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END
                          || ' ' || a.privilege_type, ', ' ORDER BY 1)
                        FROM pg_catalog.aclexplode(c.relacl) a
                        WHERE a.privilege_type NOT IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REFERENCES')
                          AND a.grantee <> c.relowner), NULL),
  ('grant options', (SELECT pg_catalog.string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END
                       || ' ' || a.privilege_type, ', ' ORDER BY 1)
                     FROM pg_catalog.aclexplode(c.relacl) a WHERE a.is_grantable AND a.grantee <> c.relowner), NULL)
) AS p(property, found, expected)
WHERE {n} AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition AND p.found IS DISTINCT FROM p.expected
UNION ALL
SELECT {c}, a.attname, p.property, p.found, p.expected
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description cd ON cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND cd.objsubid = a.attnum
CROSS JOIN LATERAL (VALUES
  -- A table column's collation of pg_catalog is modelled (`attrs`), as is its generation; a
  -- view column's is its body's.
  ('collation', CASE WHEN a.attcollation <> t.typcollation AND c.relkind NOT IN ('v', 'm')
     AND co.collnamespace <> 'pg_catalog'::pg_catalog.regnamespace
     THEN co.collnamespace::pg_catalog.regnamespace::pg_catalog.text || '.' || pg_catalog.quote_ident(co.collname) END, NULL),
  -- A table column's storage, compression and statistics target are modelled (`attrs`).
  ('storage', CASE WHEN a.attstorage <> t.typstorage AND c.relkind = 'm' THEN CASE a.attstorage WHEN 'p' THEN 'PLAIN'
     WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END, NULL),
  ('compression', CASE WHEN c.relkind = 'm' THEN NULLIF(a.attcompression::pg_catalog.text, '') END, NULL),
  ('statistics target', CASE WHEN c.relkind = 'm' THEN NULLIF(a.attstattarget, -1)::pg_catalog.text END, NULL),
  ('attribute options', pg_catalog.array_to_string(a.attoptions, ', '), NULL),
  ('column privileges', a.attacl::pg_catalog.text, NULL),
  ('comment', CASE WHEN c.relkind IN ('v', 'm') THEN cd.description END, NULL),
  ('default', CASE WHEN c.relkind = 'v' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END, NULL)
) AS p(property, found, expected)
WHERE {n} AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
  -- Only columns with something to show (the properties above, before their VALUES are built
  -- for every column: that took most of the catalog read on 20,000 columns).
  AND (a.attcollation <> t.typcollation OR a.attstorage <> t.typstorage OR a.attcompression::pg_catalog.text <> ''
       OR a.attstattarget <> -1 OR a.attoptions IS NOT NULL OR a.attacl IS NOT NULL
       OR c.relkind IN ('v', 'm'))
  AND p.found IS DISTINCT FROM p.expected
UNION ALL
-- What a partition holds beyond its bound and what its table gives it (columns, their defaults
-- and NOT NULL, indexes, keys, CHECK constraints, triggers), on its root table. A partition of
-- another namespace is no partition the model holds (`partitions`).
SELECT {r}, c.relname::pg_catalog.text, p.property, p.found, NULL
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_inherits pi ON pi.inhrelid = c.oid
JOIN pg_catalog.pg_class pc ON pc.oid = pi.inhparent
JOIN pg_catalog.pg_class r ON r.oid = pg_catalog.pg_partition_root(c.oid) AND r.relnamespace = c.relnamespace
LEFT JOIN pg_catalog.pg_class toast ON toast.oid = c.reltoastrelid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
CROSS JOIN LATERAL (VALUES
  ('partition comment', d.description),
  ('partition privileges', c.relacl::pg_catalog.text),
  ('partition owner', CASE WHEN c.relowner <> pc.relowner THEN pg_catalog.pg_get_userbyid(c.relowner)::pg_catalog.text END),
  ('partition persistence', CASE WHEN c.relpersistence <> pc.relpersistence THEN 'UNLOGGED' END),
  ('partition storage parameters', pg_catalog.array_to_string(c.reloptions
     || (SELECT pg_catalog.array_agg('toast.' || o) FROM pg_catalog.unnest(toast.reloptions) o), ', ')),
  ('partition tablespace', (SELECT ts.spcname::pg_catalog.text FROM pg_catalog.pg_tablespace ts WHERE ts.oid = c.reltablespace)),
  ('partition row-level security', CASE WHEN c.relrowsecurity AND c.relforcerowsecurity THEN 'enabled and forced'
     WHEN c.relrowsecurity THEN 'enabled' WHEN c.relforcerowsecurity THEN 'forced' END),
  ('partition policies', (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(x.polname), ', ' ORDER BY 1)
     FROM pg_catalog.pg_policy x WHERE x.polrelid = c.oid)),
  ('partition rules', (SELECT pg_catalog.string_agg(pg_catalog.pg_get_ruledef(x.oid, true), '; ' ORDER BY 1)
     FROM pg_catalog.pg_rewrite x WHERE x.ev_class = c.oid)),
  ('partition column comments', (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || ': ' || cd.description, ', ' ORDER BY 1)
     FROM pg_catalog.pg_description cd JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = cd.objsubid
     WHERE cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND cd.objsubid > 0)),
  ('partition index options', (SELECT pg_catalog.string_agg(i.relname || ' ' || pg_catalog.concat_ws(' ',
       pg_catalog.array_to_string(i.reloptions, ', '), 'TABLESPACE ' || (SELECT ts.spcname FROM pg_catalog.pg_tablespace ts WHERE ts.oid = i.reltablespace),
       'COMMENT ' || pg_catalog.obj_description(i.oid, 'pg_class')), '; ' ORDER BY 1)
     FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = c.oid AND i.relispartition
       AND (i.reloptions IS NOT NULL OR i.reltablespace <> 0 OR pg_catalog.obj_description(i.oid, 'pg_class') IS NOT NULL))),
  ('partitions in other namespaces', CASE WHEN c.relkind = 'p' THEN (SELECT pg_catalog.string_agg(i.inhrelid::pg_catalog.regclass::pg_catalog.text, ', ' ORDER BY 1)
     FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pp ON pp.oid = i.inhrelid
     WHERE i.inhparent = c.oid AND pp.relnamespace <> c.relnamespace) END),
  ('partition replica identity', CASE WHEN c.relreplident <> 'd' THEN c.relreplident::pg_catalog.text END),
  ('partition columns', (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || CASE WHEN a.attnotnull AND NOT pa.attnotnull
       THEN ' NOT NULL' ELSE '' END || COALESCE(' DEFAULT ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '')
       || CASE WHEN a.attstorage <> pa.attstorage THEN ' STORAGE ' || a.attstorage::pg_catalog.text ELSE '' END
       || CASE WHEN a.attcompression <> pa.attcompression THEN ' COMPRESSION ' || a.attcompression::pg_catalog.text ELSE '' END
       || CASE WHEN a.attstattarget <> pa.attstattarget THEN ' STATISTICS ' || a.attstattarget ELSE '' END, ', ' ORDER BY a.attnum)
     FROM pg_catalog.pg_attribute a
     JOIN pg_catalog.pg_attribute pa ON pa.attrelid = pc.oid AND pa.attname = a.attname
     LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     LEFT JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pa.attrelid AND pd.adnum = pa.attnum
     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       AND ((a.attnotnull AND NOT pa.attnotnull) OR pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)
            IS DISTINCT FROM pg_catalog.pg_get_expr(pd.adbin, pd.adrelid)
            OR a.attstattarget <> pa.attstattarget OR a.attstorage <> pa.attstorage OR a.attcompression <> pa.attcompression
            OR a.attoptions IS NOT NULL OR a.attacl IS NOT NULL))),
  ('partition indexes', (SELECT pg_catalog.string_agg(pg_catalog.pg_get_indexdef(x.indexrelid), '; ' ORDER BY 1)
     FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = c.oid AND NOT i.relispartition)),
  ('partition constraints', (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k.conname) || ' '
       || pg_catalog.pg_get_constraintdef(k.oid), '; ' ORDER BY 1)
     FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.conparentid = 0 AND k.conislocal)),
  -- Its own, and its table's in another state (`DISABLE TRIGGER` on the partition alone).
  ('partition triggers', (SELECT pg_catalog.string_agg(pg_catalog.pg_get_triggerdef(t.oid, true)
       || CASE t.tgenabled WHEN 'D' THEN ' [disabled]' WHEN 'R' THEN ' [enabled on replicas only]' WHEN 'A' THEN ' [enabled always]' ELSE '' END, '; ' ORDER BY 1)
     FROM pg_catalog.pg_trigger t LEFT JOIN pg_catalog.pg_trigger pt ON pt.oid = t.tgparentid
     WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND (t.tgparentid = 0 OR t.tgenabled <> pt.tgenabled)))
) AS p(property, found)
WHERE {n} AND c.relkind IN ('r', 'p') AND c.relispartition AND p.found IS NOT NULL
UNION ALL
SELECT {c}, a.attname, p.property, p.found, p.expected
FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid
JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description sd ON sd.objoid = s.oid AND sd.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND sd.objsubid = 0
CROSS JOIN LATERAL (VALUES
  -- The type, bounds, cache and cycle of the column's identity or serial sequence (as `COLUMNS`
  -- joins it) are the identity's options (`attrs`); another sequence the column owns is not.
  ('sequence options', CASE WHEN q.seqtypid <> a.atttypid AND d.deptype = 'a' AND (a.attidentity <> ''
       OR pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) IS DISTINCT FROM
          'nextval(' || pg_catalog.quote_literal(s.oid::pg_catalog.regclass::pg_catalog.text) || '::regclass)')
     THEN 'AS ' || pg_catalog.format_type(q.seqtypid, NULL) END, NULL),
  ('sequence privileges', s.relacl::pg_catalog.text, NULL),
  ('sequence comment', sd.description, NULL)
) AS p(property, found, expected)
WHERE {n} AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
  AND p.found IS DISTINCT FROM p.expected
UNION ALL
SELECT {c}, i.relname, p.property, p.found, p.expected
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = i.reltablespace
LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x')
LEFT JOIN pg_catalog.pg_description id ON id.objoid = i.oid AND id.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND id.objsubid = 0
CROSS JOIN LATERAL (VALUES
  -- An index of its own holds these in the model (`indexes`); a constraint's index does not.
  -- The operator classes' subquery runs only for an index that has a non-default one: a
  -- per-index unnest took most of the read on 2,000 indexes.
  ('operator classes', CASE WHEN k.oid IS NOT NULL AND x.indclass::pg_catalog.oid[] OPERATOR(pg_catalog.&&)
       ARRAY(SELECT oc.oid FROM pg_catalog.pg_opclass oc WHERE NOT oc.opcdefault) THEN (SELECT pg_catalog.string_agg(pg_catalog.pg_get_indexdef(x.indexrelid, o.n::integer, true)
                          || ' ' || pg_catalog.quote_ident(oc.opcname), ', ' ORDER BY o.n)
     FROM pg_catalog.unnest(x.indclass::pg_catalog.oid[]) WITH ORDINALITY AS o(opc, n)
     JOIN pg_catalog.pg_opclass oc ON oc.oid = o.opc WHERE NOT oc.opcdefault) END, NULL),
  ('collations', CASE WHEN k.oid IS NOT NULL THEN (SELECT pg_catalog.string_agg(pg_catalog.pg_get_indexdef(x.indexrelid, o.n::integer, true)
                    || ' COLLATE ' || pg_catalog.quote_ident(co.collname), ', ' ORDER BY o.n)
     FROM pg_catalog.unnest(x.indcollation::pg_catalog.oid[]) WITH ORDINALITY AS o(coll, n)
     JOIN pg_catalog.pg_collation co ON co.oid = o.coll
     LEFT JOIN pg_catalog.pg_attribute ia ON ia.attrelid = x.indrelid AND ia.attnum = x.indkey[o.n - 1]
     WHERE o.n <= x.indnkeyatts AND o.coll <> 0 AND o.coll <> COALESCE(ia.attcollation, 100)) END, NULL),
  ('storage parameters', CASE WHEN k.oid IS NOT NULL THEN pg_catalog.array_to_string(i.reloptions, ', ') END, NULL),
  ('tablespace', ts.spcname::pg_catalog.text, NULL),
  ('valid', CASE WHEN NOT x.indisvalid THEN 'no (the server does not use it)' END, NULL),
  ('clustered on', CASE WHEN x.indisclustered THEN 'yes' END, NULL),
  ('comment', id.description, NULL)
) AS p(property, found, expected)
WHERE {n} AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND p.found IS DISTINCT FROM p.expected
UNION ALL
SELECT {c}, k.conname, p.property, p.found, p.expected
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description kd ON kd.objoid = k.oid AND kd.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND kd.objsubid = 0
CROSS JOIN LATERAL (VALUES
  ('comment', kd.description, NULL),
  ('enforcement', (SELECT pg_catalog.string_agg(DISTINCT CASE t.tgenabled WHEN 'D' THEN 'triggers disabled on '
                      WHEN 'R' THEN 'triggers fire on replicas only on ' ELSE 'triggers fire always on ' END
                      || t.tgrelid::pg_catalog.regclass::pg_catalog.text, ', ')
     FROM pg_catalog.pg_trigger t WHERE t.tgconstraint = k.oid AND t.tgisinternal AND t.tgenabled <> 'O'), NULL)
) AS p(property, found, expected)
WHERE {n} AND NOT c.relispartition AND p.found IS DISTINCT FROM p.expected
UNION ALL
SELECT {e}, NULL, p.property, p.found, p.expected
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_description td ON td.objoid = t.oid AND td.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND td.objsubid = 0
CROSS JOIN LATERAL (VALUES
  ('comment', td.description, NULL)
) AS p(property, found, expected)
WHERE t.typtype IN ('e', 'd') AND {n} AND p.found IS DISTINCT FROM p.expected
UNION ALL
SELECT n.nspname::pg_catalog.text, NULL, p.property, p.found, p.expected
FROM pg_catalog.pg_namespace n
LEFT JOIN pg_catalog.pg_description d ON d.objoid = n.oid AND d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
CROSS JOIN LATERAL (VALUES
  -- initdb comments `public`; the tool's DDL comments no schema.
  ('schema comment', d.description, CASE WHEN n.nspname = 'public' THEN 'standard public schema' END),
  -- Beyond its owner's, the tool's DDL grants only USAGE, to the roles it grants something in
  -- the schema (`public` also lets PUBLIC use it, as the server creates it).
  ('schema privileges', (SELECT pg_catalog.string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC'
       ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END || ' ' || a.privilege_type
       || CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, ', ' ORDER BY 1)
     FROM pg_catalog.aclexplode(n.nspacl) a
     WHERE a.grantee <> n.nspowner AND NOT (a.privilege_type = 'USAGE' AND NOT a.is_grantable
       AND ((a.grantee = 0 AND n.nspname = 'public') OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
         CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) r WHERE c.relnamespace = n.oid AND r.grantee = a.grantee)))), NULL)
) AS p(property, found, expected)
WHERE {n} AND p.found IS DISTINCT FROM p.expected";

/// Rows `(kind, name, definition)` of what a managed namespace holds and the model cannot, and
/// its extensions with those the YAML declares in another namespace (keyed `ns.name`).
pub(super) const OBJECTS: &str = "SELECT o.kind, CASE WHEN {on} THEN {o} ELSE o.nspname || '.' || o.name END AS name,
  o.definition FROM (
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function'
  ELSE 'function' END AS kind, n.nspname, p.proname AS name,
  p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS definition,
  p.oid, 'pg_catalog.pg_proc'::pg_catalog.regclass AS class
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE {n}
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite type' WHEN 'r' THEN 'range type'
  WHEN 'e' THEN 'enum type' WHEN 'b' THEN 'base type' ELSE 'type' END, n.nspname, t.typname,
  CASE WHEN t.typtype = 'd' THEN 'DOMAIN ' || pg_catalog.quote_ident(t.typname) || ' AS '
    || pg_catalog.format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
    || COALESCE(' DEFAULT ' || t.typdefault, '')
    || COALESCE((SELECT ' ' || pg_catalog.string_agg(pg_catalog.pg_get_constraintdef(k.oid), ' ' ORDER BY k.conname)
                 FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid), '')
  ELSE pg_catalog.format_type(t.oid, NULL) END, t.oid, 'pg_catalog.pg_type'::pg_catalog.regclass
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE {n} AND t.typtype NOT IN ('m', 'e')
  AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
UNION ALL
-- Partitions come with the relations (`partitions`); an index's are its index's.
SELECT 'foreign table', n.nspname, c.relname, 'FOREIGN TABLE ' || pg_catalog.quote_ident(c.relname),
  c.oid, 'pg_catalog.pg_class'::pg_catalog.regclass
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {n} AND c.relkind = 'f'
UNION ALL
SELECT 'collation', n.nspname, x.collname, 'COLLATION ' || pg_catalog.quote_ident(x.collname), x.oid,
  'pg_catalog.pg_collation'::pg_catalog.regclass
FROM pg_catalog.pg_collation x JOIN pg_catalog.pg_namespace n ON n.oid = x.collnamespace WHERE {n}
UNION ALL
SELECT 'operator', n.nspname, x.oprname, 'OPERATOR ' || x.oid::pg_catalog.regoperator::pg_catalog.text, x.oid,
  'pg_catalog.pg_operator'::pg_catalog.regclass
FROM pg_catalog.pg_operator x JOIN pg_catalog.pg_namespace n ON n.oid = x.oprnamespace WHERE {n}
UNION ALL
SELECT 'operator family', n.nspname, x.opfname, 'OPERATOR FAMILY ' || pg_catalog.quote_ident(x.opfname), x.oid,
  'pg_catalog.pg_opfamily'::pg_catalog.regclass
FROM pg_catalog.pg_opfamily x JOIN pg_catalog.pg_namespace n ON n.oid = x.opfnamespace WHERE {n}
UNION ALL
SELECT 'text search configuration', n.nspname, x.cfgname, 'TEXT SEARCH CONFIGURATION ' || pg_catalog.quote_ident(x.cfgname),
  x.oid, 'pg_catalog.pg_ts_config'::pg_catalog.regclass
FROM pg_catalog.pg_ts_config x JOIN pg_catalog.pg_namespace n ON n.oid = x.cfgnamespace WHERE {n}
UNION ALL
SELECT 'text search dictionary', n.nspname, x.dictname, 'TEXT SEARCH DICTIONARY ' || pg_catalog.quote_ident(x.dictname),
  x.oid, 'pg_catalog.pg_ts_dict'::pg_catalog.regclass
FROM pg_catalog.pg_ts_dict x JOIN pg_catalog.pg_namespace n ON n.oid = x.dictnamespace WHERE {n}
UNION ALL
SELECT 'statistics object', n.nspname, x.stxname, pg_catalog.pg_get_statisticsobjdef(x.oid), x.oid,
  'pg_catalog.pg_statistic_ext'::pg_catalog.regclass
FROM pg_catalog.pg_statistic_ext x JOIN pg_catalog.pg_namespace n ON n.oid = x.stxnamespace WHERE {n}
UNION ALL
SELECT 'conversion', n.nspname, x.conname, 'CONVERSION ' || pg_catalog.quote_ident(x.conname), x.oid,
  'pg_catalog.pg_conversion'::pg_catalog.regclass
FROM pg_catalog.pg_conversion x JOIN pg_catalog.pg_namespace n ON n.oid = x.connamespace WHERE {n}
UNION ALL
SELECT 'extension', n.nspname, x.extname, 'EXTENSION ' || pg_catalog.quote_ident(x.extname) || ' VERSION ' || x.extversion,
  x.oid, 'pg_catalog.pg_extension'::pg_catalog.regclass
FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace WHERE {n} OR {x}
) o
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = o.class AND d.objid = o.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3";

/// The rows of both queries onto the tables and views read.
pub(super) fn add(b: &mut Builder, properties: &Rows, objects: &Rows) {
    for r in properties.iter() {
        let (relname, property, found) = (r.text("relname"), r.text("property"), r.text("found"));
        match property {
            // Queries on it fail until it is refreshed: the state `mv_state` reports.
            "populated" => b.live.broken.push((relname.to_string(), found.to_string())),
            _ => b.unmodelled(relname, r.get("item"), property, r.get("expected"), found),
        }
    }
    for r in objects.iter() {
        match r.text("kind") {
            // Modelled by name (`extensions:`); its version is the server's to choose.
            "extension" => _ = b.live.project.extensions.insert(r.text("name").to_string()),
            // Modelled (`domains:`) unless its base type is one the model cannot spell.
            "domain" if b.live.project.domains.contains_key(r.text("name")) => {}
            kind => b.stray(kind, r.text("name"), r.text("definition")),
        }
    }
}
