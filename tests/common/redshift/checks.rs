//! What must hold on the emulated database after a Redshift migration: every row kept, identity
//! generators ahead of the ids present, no work tables or columns left behind, the YAML's
//! foreign keys and grants in place, and no drift. Each check returns its problems, one line
//! each.

use crate::common::{schema as run, text, Db};
use schema::model::Project;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The columns and rows of one table.
#[derive(Debug, Clone)]
pub struct TableData {
    pub columns: Vec<String>,
    pub rows: Vec<Map<String, Value>>,
}

/// Every base table of some namespaces with its rows, by key: its name in the first namespace,
/// `ns.name` in the others.
pub type Snapshot = BTreeMap<String, TableData>;

pub fn snapshot(url: &str, namespace: &str) -> Snapshot {
    snapshot_of(&mut Db::connect(url), &[namespace.to_string()])
}

pub fn snapshot_of(db: &mut Db, namespaces: &[String]) -> Snapshot {
    let home = &namespaces[0];
    let list: Vec<String> = namespaces.iter().map(|n| format!("'{n}'")).collect();
    let columns = db.rows(&format!(
        "SELECT n.nspname, c.relname, string_agg(a.attname, ',' ORDER BY a.attnum)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname IN ({}) AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped GROUP BY 1, 2 ORDER BY 1, 2",
        list.join(", ")
    ));
    let mut out = Snapshot::new();
    for line in columns.lines() {
        let mut parts = line.splitn(3, '|');
        let (ns, t, cols) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap_or(""));
        let rows = db.rows(&format!("SELECT row_to_json(r)::text FROM \"{ns}\".\"{t}\" r"));
        let rows = rows.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let key = if ns == home { t.to_string() } else { format!("{ns}.{t}") };
        out.insert(key, TableData { columns: cols.split(',').map(str::to_string).collect(), rows });
    }
    out
}

/// A snapshot with each moved table (`moves`: old key, new key) under its old key again.
pub fn unmoved<T>(mut by_key: BTreeMap<String, T>, moves: &[(&str, &str)]) -> BTreeMap<String, T> {
    for (from, to) in moves {
        if let Some(v) = by_key.remove(*to) {
            by_key.insert(from.to_string(), v);
        }
    }
    by_key
}

/// (a) Every row of `before` is in `after` with the same values in every column that survives
/// (a renamed column is compared under its new name: `renames` holds (table, from, to)).
pub fn rows_kept(before: &Snapshot, after: &Snapshot, renames: &[(&str, &str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (table, old) in before {
        let Some(new) = after.get(table) else {
            out.push(format!("table {table} ({} rows) is gone", old.rows.len()));
            continue;
        };
        let renamed = |c: &str| {
            renames
                .iter()
                .find(|(t, from, _)| t == table && *from == c)
                .map_or(c.to_string(), |(_, _, to)| to.to_string())
        };
        let kept: Vec<(String, String)> =
            old.columns.iter().map(|c| (c.clone(), renamed(c))).filter(|(_, n)| new.columns.contains(n)).collect();
        let project = |row: &Map<String, Value>, old_names: bool| -> String {
            let m: BTreeMap<&str, &Value> =
                kept.iter().map(|(o, n)| (n.as_str(), &row[if old_names { o } else { n }])).collect();
            serde_json::to_string(&m).unwrap()
        };
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        old.rows.iter().for_each(|r| *counts.entry(project(r, true)).or_default() += 1);
        new.rows.iter().for_each(|r| *counts.entry(project(r, false)).or_default() -= 1);
        let lost: Vec<&String> = counts.iter().filter(|(_, n)| **n > 0).map(|(r, _)| r).collect();
        let extra: Vec<&String> = counts.iter().filter(|(_, n)| **n < 0).map(|(r, _)| r).collect();
        if !lost.is_empty() || !extra.is_empty() {
            let first = |v: &[&String]| v.first().map_or(String::new(), |r| format!(", e.g. {r}"));
            out.push(format!(
                "table {table}: {} of {} rows lost or changed{}; {} rows not there before{} (compared columns: {})",
                lost.len(),
                old.rows.len(),
                first(&lost),
                extra.len(),
                first(&extra),
                kept.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    out
}

/// (b) An INSERT without ids gets, in every identity column of the YAML, the next value of the
/// column's generator: it must be above the largest id present ("CREATE TABLE": explicit
/// values, e.g. copied ones, do not advance the generator, on Redshift as here).
pub fn identities_ahead(url: &str, project: &Project) -> Vec<String> {
    let db = &mut Db::connect(url);
    let mut out = Vec::new();
    for t in &project.enabled().tables {
        for c in t.columns.iter().filter(|c| c.identity.is_some()) {
            let (qt, name) = (quoted(project, &t.name), &c.name);
            let seq = db.rows(&format!("SELECT pg_get_serial_sequence('{qt}', '{name}')"));
            if seq.is_empty() {
                out.push(format!("{}.{name} is not an identity column any more", project.qualified_name(&t.name)));
                continue;
            }
            let row = db.rows(&format!(
                "SELECT CASE WHEN s.is_called THEN s.last_value + p.seqincrement ELSE s.last_value END,
                            (SELECT max(\"{name}\") FROM {qt})
                     FROM {seq} s, pg_sequence p WHERE p.seqrelid = '{seq}'::regclass"
            ));
            let (next, max) = row.split_once('|').unwrap();
            if !max.is_empty() && next.parse::<i64>().unwrap() <= max.parse::<i64>().unwrap() {
                out.push(format!(
                    "{}.{name}: an INSERT without ids would get {next}, not above the largest id present \
                     ({max}): the identity generator was not moved past the copied ids",
                    project.qualified_name(&t.name)
                ));
            }
        }
    }
    out
}

/// (c) No work table or column of a deep copy or column rebuild is left behind. Sequences are
/// not looked at: an identity column's sequence keeps the name of the table that created it,
/// a PostgreSQL detail Redshift has no counterpart for.
pub fn no_leftovers(url: &str, namespace: &str) -> Vec<String> {
    let found = crate::common::psql(
        url,
        &format!(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = '{namespace}' AND c.relkind IN ('r', 'v', 'm')
               AND (c.relname LIKE '%\\_\\_copy%' OR c.relname LIKE '%\\_\\_new%')
             UNION ALL
             SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = '{namespace}' AND a.attnum > 0 AND NOT a.attisdropped
               AND (a.attname LIKE '%\\_\\_new%' OR a.attname LIKE '%\\_\\_copy%')
             ORDER BY 1"
        ),
    );
    found.lines().map(|l| format!("work table or column left behind: {namespace}.{l}")).collect()
}

/// (d) Each table of the YAML has as many foreign keys as the YAML declares.
pub fn foreign_keys(url: &str, project: &Project) -> Vec<String> {
    let live = crate::common::psql(
        url,
        &format!(
            "SELECT {}, count(k.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
             WHERE {} AND c.relkind = 'r' GROUP BY 1",
            key_sql(project),
            in_namespaces(project)
        ),
    );
    let live: BTreeMap<&str, usize> =
        live.lines().filter_map(|l| l.split_once('|')).map(|(t, n)| (t, n.parse().unwrap())).collect();
    let mut out = Vec::new();
    for t in &project.enabled().tables {
        let found = live.get(t.name.as_str()).copied().unwrap_or(0);
        if found != t.foreign_keys.len() {
            out.push(format!(
                "{}: {found} foreign keys in the database, {} in the YAML",
                project.qualified_name(&t.name),
                t.foreign_keys.len()
            ));
        }
    }
    out
}

/// `"ns"."name"` of an object of the project, by its key (`name` or `ns.name`).
pub fn quoted(project: &Project, key: &str) -> String {
    let (ns, name) = schema::model::split_key(key);
    format!("\"{}\".\"{name}\"", ns.unwrap_or(&project.namespace))
}

/// SQL giving the key of the relation `c` in namespace `n`: its name in the project's namespace,
/// `ns.name` in the others.
pub fn key_sql(project: &Project) -> String {
    format!("CASE WHEN n.nspname = '{}' THEN c.relname ELSE n.nspname || '.' || c.relname END", project.namespace)
}

/// SQL restricting `n.nspname` to the namespaces the project manages.
pub fn in_namespaces(project: &Project) -> String {
    let list: Vec<String> = project.managed_namespaces().iter().map(|n| format!("'{n}'")).collect();
    format!("n.nspname IN ({})", list.join(", "))
}

/// (g) Each table and view whose grants the YAML manages has exactly those ("Performing a deep
/// copy": the copy is a new table without grants until they are given again; a recreated view
/// likewise). Read from the ACLs directly, not through the tool's catalog code. PostgreSQL has
/// roles only, so grantees compare by name, whatever their kind in the YAML.
pub fn grants(url: &str, project: &Project) -> Vec<String> {
    let live = crate::common::psql(
        url,
        &format!(
            "SELECT {}, CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
             WHERE {} AND a.grantee <> c.relowner
               AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REFERENCES')",
            key_sql(project),
            in_namespaces(project)
        ),
    );
    let enabled = project.enabled();
    let objects =
        enabled.tables.iter().map(|t| (&t.name, &t.grants)).chain(enabled.views.iter().map(|v| (&v.name, &v.grants)));
    let managed: Vec<_> = objects.filter_map(|(name, grants)| Some((name, grants.as_ref()?))).collect();
    let expected: BTreeSet<String> = managed
        .iter()
        .flat_map(|(object, grants)| {
            grants.iter().flat_map(move |g| {
                g.privileges.iter().map(move |p| format!("{object}|{}|{p}", g.to.name().unwrap_or("public")))
            })
        })
        .collect();
    let is_managed = |line: &&str| managed.iter().any(|(o, _)| line.split('|').next() == Some(o.as_str()));
    let live: BTreeSet<String> = live.lines().filter(is_managed).map(str::to_string).collect();
    let show = |line: &String| {
        let parts: Vec<&str> = line.split('|').collect();
        format!("{}: {} to {}", project.qualified_name(parts[0]), parts[2], parts[1])
    };
    let missing = expected.difference(&live).map(|l| format!("{} is missing", show(l)));
    missing.chain(live.difference(&expected).map(|l| format!("{} is granted, not in the YAML", show(l)))).collect()
}

/// (e) `schema diff --dialect postgres` finds nothing but the YAML's indexes.
///
/// The emulated database is a PostgreSQL database, so it is read through the PostgreSQL
/// catalog path; the Redshift path reads catalog extensions PostgreSQL lacks (pg_class_info,
/// attencodingtype, …). That path sees what both systems share: tables, columns, types,
/// nullability, defaults, identity, keys, views and their bodies, comments, grants (by name:
/// PostgreSQL has roles only). Redshift-only
/// properties (distribution, sort keys, encodings, BACKUP) are not visible there, and the
/// comparison takes them from the YAML. The one expected difference is the indexes: the YAML
/// declares them for PostgreSQL, Redshift has none, so each must be reported missing, and
/// nothing else may be reported.
pub fn no_drift(root: &Path, url: &str, project: &Project) -> Vec<String> {
    let out = run(root, url, &["--dialect", "postgres", "diff", "--format", "json"]);
    let Ok(report) = serde_json::from_slice::<Value>(&out.stdout) else {
        return vec![format!("diff did not run: {}", text(&out))];
    };
    let ns = &project.namespace;
    let enabled = project.enabled();
    let owners =
        enabled.tables.iter().map(|t| (&t.name, &t.indexes)).chain(enabled.views.iter().map(|v| (&v.name, &v.indexes)));
    let mut indexes: Vec<String> =
        owners.flat_map(|(o, ix)| ix.iter().map(move |i| format!("{ns}.{o}.{}", i.name))).collect();
    let mut problems = Vec::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        let object = f["object"].as_str().unwrap_or_default().to_string();
        match indexes.iter().position(|i| *i == object) {
            Some(p) if f["kind"] == "missing_index" => {
                indexes.remove(p);
            }
            _ => {
                let said = |v: &Value| v.as_str().unwrap_or("nothing").to_string();
                let kind = said(&f["kind"]);
                problems.push(format!(
                    "drift {kind} {object}: expected {}, found {}",
                    said(&f["expected"]),
                    said(&f["actual"])
                ));
            }
        }
    }
    problems.extend(indexes.iter().map(|i| format!("diff did not report the PostgreSQL-only index {i} missing")));
    let ddl = report["diff"].as_str().unwrap_or_default();
    for line in ddl.lines().filter(|l| !l.starts_with("+++") && !l.starts_with("---")) {
        let index = line.starts_with("+CREATE INDEX") || line.starts_with("+CREATE UNIQUE INDEX");
        if (line.starts_with('+') || line.starts_with('-')) && !index {
            problems.push(format!("DDL differs: {line}"));
        }
    }
    problems.extend(report["warnings"].as_array().into_iter().flatten().map(|w| format!("diff warning: {w}")));
    problems
}

/// The YAML project of a project folder.
pub fn load(root: &Path) -> Project {
    schema::load::load(&root.join("schema")).unwrap_or_else(|d| panic!("{}: {d:?}", root.display()))
}
