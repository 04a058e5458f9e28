//! PostgreSQL: every catalog query of the tool (six, whatever the number of tables; the indexes'
//! lives in `indexes`), the rows → model mapping, and the desired project as the server itself
//! would store it.
//!
//! Everything runs in one transaction that is rolled back, with `search_path` set to
//! `pg_catalog` only, so the server prints every name of the namespace qualified (`ns.t`): that
//! is what lets view bodies turn back into `{{ ref('t') }}` reliably.

use super::normalise::normalise;
use super::{attrs, properties, Postgres};
use crate::dialect::acl;
use crate::dialect::catalog::{
    in_namespaces, object_key, order_like, settle_identities, to_refs, Builder, Live, Session,
};
use crate::dialect::Driver;
use crate::diff::findings::Kind;
use crate::error::{Error, Result};
use crate::model::{Column, Dialect, Grantee, Project};
use crate::sql::lexer::Escapes;
use std::collections::{BTreeMap, BTreeSet};

/// Tables, views and materialized views, with their comments, privileges, owner, whether
/// row-level security is on, persistence and options (storage parameters, the TOAST table's
/// after `toast.`; a view's options), a partitioned table's key; partitions, with the table
/// they are a partition of (`parent` where it shares their namespace) and their bound; and the
/// sequences no column owns (an identity's or a serial's is its column's) and no extension
/// brought, with their options.
const RELATIONS: &str =
    "SELECT {c} AS relname, c.relkind, d.description, c.relacl, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
  c.relrowsecurity, c.relforcerowsecurity, c.relpersistence,
  pg_catalog.array_to_string(c.reloptions || (SELECT pg_catalog.array_agg('toast.' || o)
                                              FROM pg_catalog.unnest(toast.reloptions) o), E'\\n') AS options,
  pg_catalog.format_type(q.seqtypid, NULL) AS seqtype, q.seqstart,
  q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle,
  CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
  CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
  pi.inhparent::pg_catalog.regclass::pg_catalog.text AS partition_of,
  CASE WHEN pc.relnamespace = c.relnamespace THEN pc.relname::pg_catalog.text END AS parent
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class toast ON toast.oid = c.reltoastrelid
LEFT JOIN pg_catalog.pg_inherits pi ON c.relispartition AND pi.inhrelid = c.oid
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = pi.inhparent
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
LEFT JOIN pg_catalog.pg_sequence q ON q.seqrelid = c.oid
WHERE {n} AND (c.relkind IN ('r', 'p', 'v', 'm')
  OR c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND x.objid = c.oid
      AND (x.deptype = 'e' OR x.deptype IN ('a', 'i') AND x.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass)))";

/// Table columns: position, type, nullability, default or generation expression, collation
/// (one of pg_catalog's other than the type's), identity (with its sequence's options),
/// comment, and the extension outside the managed namespaces its type comes from. A serial
/// column (`serial`, `bigserial`: a default of `nextval()` on a sequence the
/// column owns, dependency type `a`) comes with its sequence too, `serial` set, and
/// `serial_name` when the sequence has the name PostgreSQL gives a serial's (`attrs::read`).
/// Unsorted: sorting these wide rows costs the server more than us.
const COLUMNS: &str =
    "SELECT {c} AS relname, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
  a.attnotnull, CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS default_expr,
  CASE WHEN a.attgenerated = 's' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS generated,
  CASE WHEN a.attcollation <> t.typcollation AND co.collnamespace = 'pg_catalog'::pg_catalog.regnamespace
    THEN co.collname::pg_catalog.text END AS collation,
  CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::pg_catalog.text END AS storage,
  NULLIF(a.attstattarget, -1)::pg_catalog.int4 AS statistics, NULLIF(a.attcompression::pg_catalog.text, '') AS compression,
  a.attidentity, pg_catalog.format_type(s.seqtypid, NULL) AS seqtype, s.seqstart, s.seqincrement, s.seqmin,
  s.seqmax, s.seqcache, s.seqcycle, dep.deptype = 'a' AS serial,
  sc.relnamespace = c.relnamespace AND sc.relname::pg_catalog.text = c.relname || '_' || a.attname || '_seq' AS serial_name,
  d.description,
  -- The extension, as `ns.name`, that brought a type of another namespace (the subquery runs
  -- for such columns only).
  CASE WHEN t.typnamespace <> 'pg_catalog'::pg_catalog.regnamespace
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace tn WHERE tn.oid = t.typnamespace AND {tn})
    THEN (SELECT xn.nspname || '.' || x.extname FROM pg_catalog.pg_depend e
          JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid
          JOIN pg_catalog.pg_namespace xn ON xn.oid = x.extnamespace
          WHERE e.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND e.objid IN (t.oid, t.typelem)
            AND e.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND e.deptype = 'e' LIMIT 1)
  END AS extension
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN (pg_catalog.pg_depend dep JOIN pg_catalog.pg_sequence s ON s.seqrelid = dep.objid
           JOIN pg_catalog.pg_class sc ON sc.oid = dep.objid)
  ON dep.refobjid = c.oid AND dep.refobjsubid = a.attnum
  AND dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND (dep.deptype = 'i' OR dep.deptype = 'a' AND a.attidentity = ''
       AND pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)
           = 'nextval(' || pg_catalog.quote_literal(dep.objid::pg_catalog.regclass::pg_catalog.text) || '::regclass)')
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = a.attnum
WHERE {n} AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped";

/// What is attached to the tables, as the server prints it, in one round trip: constraints
/// (`kind` p, u, f, c or x), then what the model does not hold: triggers (not the internal ones of
/// foreign keys), row-level security policies and rewrite rules (not a view's `_RETURN`).
const ATTACHED: &str = "SELECT {c} AS relname, k.contype::pg_catalog.text AS kind, k.conname AS name,
  pg_catalog.pg_get_constraintdef(k.oid) AS definition
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {n} AND k.contype IN ('p', 'u', 'f', 'c', 'x')
UNION ALL
SELECT {c}, 'trigger', t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true)
  || CASE t.tgenabled WHEN 'D' THEN ' [disabled]' WHEN 'R' THEN ' [enabled on replicas only]' WHEN 'A' THEN ' [enabled always]' ELSE '' END
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {n} AND NOT t.tgisinternal
UNION ALL
SELECT {c}, 'policy', p.polname, pg_catalog.concat_ws(' ',
  CASE WHEN NOT p.polpermissive THEN 'AS RESTRICTIVE' END,
  'FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
  'TO ' || (SELECT pg_catalog.string_agg(CASE WHEN r.oid = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r.oid) END,
                                         ', ' ORDER BY r.n)
            FROM pg_catalog.unnest(p.polroles) WITH ORDINALITY AS r(oid, n)),
  'USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid, true) || ')',
  'WITH CHECK (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid, true) || ')')
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {n}
UNION ALL
SELECT {c}, 'rule', r.rulename, pg_catalog.pg_get_ruledef(r.oid, true)
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {n} AND r.rulename <> '_RETURN'
ORDER BY 1, 2, 3";

/// View and materialized-view bodies as the server normalises them.
const VIEWS: &str = "SELECT {c} AS relname, pg_catalog.pg_get_viewdef(c.oid, true) AS definition
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {n} AND c.relkind IN ('v', 'm')";

/// What each view reads among the objects of the managed namespaces (through its rewrite rule):
/// relations, and routines (`kind` routine) that no extension brought, which the model lacks.
const DEPENDENCIES: &str = "SELECT DISTINCT {v} AS view,
  CASE WHEN t.oid IS NULL THEN p.oid::pg_catalog.regprocedure::pg_catalog.text ELSE {t} END AS dependency,
  CASE WHEN t.oid IS NULL THEN 'routine' ELSE 'relation' END AS kind
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
LEFT JOIN pg_catalog.pg_class t ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND t.oid = d.refobjid
LEFT JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid
JOIN pg_catalog.pg_namespace tn ON tn.oid = COALESCE(t.relnamespace, p.pronamespace)
WHERE {n} AND {tn} AND t.oid IS DISTINCT FROM v.oid
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')";

/// Which schemas a snapshot reads: the managed namespaces (and the extensions the YAML declares
/// in others, `ns.name`), or this session's temporary schema (where `normalise` puts its scratch
/// copies, whose columns use the desired enum types).
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    Managed(&'a [&'a str]),
    Temporary(&'a Project),
}

/// SQL true for the extensions `declared` names in a namespace (`ns.name`), for the rows of
/// `properties::OBJECTS`' extensions.
fn declared_extensions(declared: &[&str]) -> String {
    let pairs: Vec<String> = (declared.iter().map(|key| crate::model::split_key(key)))
        .filter_map(|(ns, name)| Some(format!("({}, {})", Postgres.literal(ns?), Postgres.literal(name))))
        .collect();
    match pairs.is_empty() {
        true => "false".into(),
        false => format!("(n.nspname::pg_catalog.text, x.extname::pg_catalog.text) IN ({})", pairs.join(", ")),
    }
}

/// Each query on the namespace runs in a READ ONLY transaction of its own, in one round trip:
/// the server locks the views and tables a view body reads while it prints it, and a
/// transaction per query releases them at once instead of holding them for the whole diff.
/// Normalising the desired project needs temporary objects, which a read-only transaction
/// refuses: that happens in a transaction that is always rolled back.
pub(super) fn read(
    client: &mut postgres::Client,
    namespaces: &[String],
    desired: Option<&Project>,
    read: Option<Live>,
) -> Result<(Live, Option<Project>)> {
    let s = &mut Session::new(client);
    let mut live = match read {
        Some(live) => live,
        None => {
            let declared: Vec<&str> = desired.iter().flat_map(|d| &d.extensions).map(String::as_str).collect();
            snapshot(s, Scope::Managed(&declared), namespaces)?
        }
    };
    let desired = match desired {
        Some(d) => {
            let mut normalised =
                in_transaction(s, "BEGIN", |s| normalise(s, d, &live.project, namespaces, &mut live.warnings))?;
            keep_printed(d, &mut normalised, &live.project);
            Some(normalised)
        }
        None => None,
    };
    live.queries += s.queries;
    if let Some(d) = &desired {
        overlay(d, &mut live.project);
    }
    Ok((live, desired))
}

/// A CHECK expression the YAML writes exactly as the server prints the live one (what `inspect`
/// writes) is that one: printing is not always idempotent (`x IN ('a')` is printed as
/// `x = ANY ((ARRAY['a'])::text[])`, which is printed again as `x = ANY (ARRAY[('a')::text])`).
fn keep_printed(written: &Project, normalised: &mut Project, live: &Project) {
    let (written, live) = (written.tables_by_name(), live.tables_by_name());
    for t in &mut normalised.tables {
        let (Some(w), Some(l)) = (written.get(t.name.as_str()), live.get(t.name.as_str())) else { continue };
        for k in &mut t.check_constraints {
            let as_written = w.check_constraints.iter().find(|x| x.name == k.name).map(|x| &x.expression);
            if let Some(live) =
                l.check_constraints.iter().find(|x| x.name == k.name && Some(&x.expression) == as_written)
            {
                k.expression = live.expression.clone();
            }
        }
    }
}

/// Each catalog transaction's settings: search_path limited to pg_catalog, so the server prints
/// every name of the namespace qualified; no JIT, whose compiling of a catalog query priced high
/// (the index read's per-column lookups, rarely run) took longer than the query (measured: 40-90
/// ms for a 40 ms read of 2,000 indexes).
const SETTINGS: &str = "SET LOCAL search_path TO pg_catalog; SET LOCAL jit = off";

/// `f` in a transaction begun with `begin` (`SETTINGS`), then rolled back whatever happened.
fn in_transaction<T>(s: &mut Session, begin: &str, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
    s.execute(&format!("{begin}; {SETTINGS}")).map_err(|e| Error::Catalog(format!("reading the catalog: {e}")))?;
    let result = f(s);
    let rolled_back = s.execute("ROLLBACK");
    let value = result?;
    rolled_back.map_err(|e| Error::Catalog(format!("ending the catalog transaction: {e}")))?;
    Ok(value)
}

/// PostgreSQL has none of Redshift's own properties, nor late binding: the live side takes the
/// YAML's, so they never count as drift here. Grants only where the YAML manages them, each
/// grantee of the kind the YAML gives it. Keys in the YAML's order; columns stay in the table's
/// (their position is compared).
fn overlay(desired: &Project, live: &mut Project) {
    acl::keep_managed(live, desired);
    acl::kinds_as_declared(live, desired);
    let tables = desired.tables_by_name();
    for t in &mut live.tables {
        let Some(d) = tables.get(t.name.as_str()) else { continue };
        t.redshift = d.redshift.clone();
        for c in &mut t.columns {
            c.redshift = d.column(&c.name).map(|dc| dc.redshift.clone()).unwrap_or_default();
        }
        attrs::read::settle_serials(t, d);
        settle_identities(t, d);
        order_like(&mut t.unique, &d.unique, |a, b| a == b);
        order_like(&mut t.foreign_keys, &d.foreign_keys, |a, b| a == b);
        order_like(&mut t.check_constraints, &d.check_constraints, |a, b| a.name == b.name);
        order_like(&mut t.indexes, &d.indexes, |a, b| a.name == b.name);
    }
    for v in &mut live.views {
        let Some(d) = desired.view(&v.name) else { continue };
        (v.redshift, v.late_binding) = (d.redshift.clone(), d.late_binding);
        order_like(&mut v.indexes, &d.indexes, |a, b| a.name == b.name);
    }
}

/// The objects of `scope`; view bodies refer to the objects of `namespaces` (the project's
/// first) through `{{ ref() }}`.
pub(super) fn snapshot(s: &mut Session, scope: Scope, namespaces: &[String]) -> Result<Live> {
    // Scratch copies are named by key already.
    let key = |rel: &str| match scope {
        Scope::Managed(_) => object_key(&Postgres, namespaces, "n.nspname", &format!("{rel}.relname")),
        Scope::Temporary(_) => format!("{rel}.relname"),
    };
    let filter = match scope {
        Scope::Managed(_) => in_namespaces(&Postgres, namespaces, "n.nspname"),
        Scope::Temporary(_) => "n.oid = pg_catalog.pg_my_temp_schema()".to_string(),
    };
    let declared = match scope {
        Scope::Managed(declared) => declared,
        Scope::Temporary(_) => &[],
    };
    let replacements = [
        ("{n}", filter),
        ("{tn}", in_namespaces(&Postgres, namespaces, "tn.nspname")),
        ("{c}", key("c")),
        ("{r}", key("r")),
        ("{v}", key("v")),
        ("{t}", object_key(&Postgres, namespaces, "tn.nspname", "t.relname")),
        ("{o}", object_key(&Postgres, namespaces, "o.nspname", "o.name")),
        ("{e}", object_key(&Postgres, namespaces, "n.nspname", "t.typname")),
        ("{on}", in_namespaces(&Postgres, namespaces, "o.nspname")),
        ("{x}", declared_extensions(declared)),
    ];
    let mut query = |sql: &str| {
        let sql = replacements.iter().fold(sql.to_string(), |q, (k, v)| q.replace(k, v));
        match scope {
            Scope::Managed(_) => s.rows_read_only(&sql, SETTINGS),
            Scope::Temporary(_) => s.rows(&sql),
        }
    };
    let relations = query(RELATIONS)?;
    // The scratch copies' enums, and what their views read, `normalise` knows.
    let enums = match scope {
        Scope::Managed(_) => Some(query(super::domains::TYPES)?),
        Scope::Temporary(_) => None,
    };
    let domains = match scope {
        Scope::Temporary(desired) if !desired.domains.is_empty() => Some(query(super::domains::DOMAINS)?),
        _ => None,
    };
    let columns = query(COLUMNS)?;
    let attached = query(ATTACHED)?;
    let indexes = query(super::indexes::INDEXES)?;
    let views = query(VIEWS)?;
    let dependencies = match scope {
        Scope::Managed(_) => Some(query(DEPENDENCIES)?),
        Scope::Temporary(_) => None,
    };
    // What the model does not hold is compared on the live side only: the desired side has what
    // the tool's DDL gives, and the scratch copies are no complete objects.
    let beyond = match scope {
        Scope::Managed(_) => Some((query(properties::PROPERTIES)?, query(properties::OBJECTS)?)),
        Scope::Temporary(_) => None,
    };

    let mut b = Builder::new(namespaces, Dialect::Postgres);
    let mut partitions = Vec::new();
    for r in relations.iter() {
        let (name, description) = (r.text("relname"), r.get("description"));
        // What a partition holds beyond its bound is reported on its root table (`properties`).
        if let Some(partition) = super::partitions::read(&r, name) {
            partitions.push(partition);
            continue;
        }
        match r.text("relkind") {
            "v" => {
                b.view(name, false, description);
                let (attrs, other) = attrs::read::view(&r);
                b.view_mut(name).into_iter().for_each(|v| v.postgres = attrs.clone());
                if !other.is_empty() {
                    b.unmodelled(name, None, "view options", None, &other.join(", "));
                }
            }
            "m" => {
                b.view(name, true, description);
                let with = attrs::read::table(&r).with;
                b.view_mut(name).into_iter().for_each(|v| v.postgres.with = with.clone());
            }
            "S" => {
                super::sequences::read(&mut b, &r);
                continue;
            }
            _ => {
                b.table(name, description);
                b.table_mut(name).into_iter().for_each(|t| t.postgres = attrs::read::table(&r));
                super::partitions::table(&mut b, &r, name);
            }
        }
        if let Some(list) = r.get("relacl") {
            b.grants(name, acl::grants(list, r.text("owner"), Grantee::Role));
        }
        if r.flag("relrowsecurity") {
            let on = if r.flag("relforcerowsecurity") { "enabled and forced" } else { "enabled" };
            b.unmanaged(Kind::RowLevelSecurity, name, None, on);
        }
    }
    super::partitions::attach(&mut b, partitions);
    if let Scope::Temporary(desired) = scope {
        b.live.project.enums = desired.enums.clone();
    }
    // A scratch copy's key is its name in pg_temp (`normalise` maps it back).
    let temporary = matches!(scope, Scope::Temporary(_));
    if let Some(types) = domains.as_ref().or(enums.as_ref()) {
        super::domains::read(&mut b, types, |key| match temporary {
            true => crate::model::split_key(key).1.to_string(),
            false => key.to_string(),
        });
    }
    for r in enums.iter().flat_map(|rows| rows.iter()).filter(|r| r.text("kind") == "enum") {
        b.enum_value(r.text("typname"), r.text("enumlabel"));
    }
    if let Scope::Managed(_) = scope {
        let tables = relations.iter().filter(|r| r.get("partition_of").is_none());
        let relations = tables.map(|r| (r.text("relname"), r.text("owner")));
        let mut enum_owners: Vec<(&str, &str)> =
            (enums.iter().flat_map(|rows| rows.iter()).filter(|r| r.text("kind") == "enum"))
                .map(|r| (r.text("typname"), r.text("owner")))
                .collect();
        enum_owners.dedup();
        b.owners(relations.chain(enum_owners));
    }
    let mut columns: Vec<_> = columns.iter().collect();
    columns.sort_by_cached_key(|r| (r.text("relname"), r.int("attnum")));
    for r in columns {
        let (table, name) = (r.text("relname"), r.text("attname"));
        let Some(ty) = b.column_type(table, name, r.text("type")) else { continue };
        if let Some(extension) = r.get("extension") {
            b.live.outside_extensions.push((table.to_string(), name.to_string(), extension.to_string()));
        }
        let (identity, postgres) = attrs::read::column(&r, &ty);
        let column = Column {
            name: name.to_string(),
            ty,
            nullable: !r.flag("attnotnull"),
            // A serial's default is its sequence's next value.
            default: r.get("default_expr").filter(|_| !r.flag("serial")).map(str::to_string),
            identity,
            redshift: Default::default(),
            derived: None,
            lookup: None,
            renamed_from: None,
            description: r.get("description").map(str::to_string),
            postgres,
        };
        b.column(table, column);
    }
    for r in attached.iter() {
        let (table, name, definition) = (r.text("relname"), r.get("name"), r.text("definition"));
        match r.text("kind") {
            "c" => b.check_constraint(table, name.unwrap_or_default(), definition),
            // Kept by name, as the loader keeps them; what `parse` cannot read back exactly stays
            // reported.
            "x" => match attrs::Exclusion::parse(name.unwrap_or_default(), definition) {
                Some(x) => b.table_mut(table).into_iter().for_each(|t| {
                    t.postgres.exclude.push(x.clone());
                    t.postgres.exclude.sort_by(|a, b| a.name.cmp(&b.name));
                }),
                None => b.unmodelled(table, name, "exclusion constraint", None, definition),
            },
            "trigger" => b.unmanaged(Kind::Trigger, table, name, definition),
            "policy" => b.unmanaged(Kind::Policy, table, name, definition),
            "rule" => b.unmanaged(Kind::Rule, table, name, definition),
            _ => b.constraint(table, name, definition),
        }
    }
    for r in indexes.iter() {
        super::indexes::add(&mut b, &r);
    }
    let mut reads: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in dependencies.iter().flat_map(|rows| rows.iter()) {
        let (view, dependency) = (r.text("view"), r.text("dependency"));
        match r.text("kind") {
            "routine" => b.live.routines.push((view.to_string(), dependency.to_string())),
            _ => _ = reads.entry(view).or_default().insert(dependency.to_string()),
        }
    }
    if let Some((properties, objects)) = &beyond {
        properties::add(&mut b, properties, objects);
    }
    let none = BTreeSet::new();
    for r in views.iter() {
        let name = r.text("relname");
        let body = r.text("definition").trim().trim_end_matches(';').trim_end();
        // A scratch view's body is read back by `normalise`, which knows what its names stand for.
        let (sql, depends_on) = match scope {
            Scope::Managed(_) => to_refs(body, &namespaces[0], reads.get(name).unwrap_or(&none), Escapes::Standard),
            Scope::Temporary(_) => (body.to_string(), vec![]),
        };
        b.view_body(name, sql, depends_on);
    }
    Ok(b.finish())
}
