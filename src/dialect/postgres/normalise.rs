//! The desired project as this server stores it, so it compares with the catalog exactly:
//! native column types (`varchar` is `character varying`) through `format_type`, column defaults
//! and generation expressions, CHECK expressions and partial-index predicates come back through
//! `pg_get_expr` / `pg_get_constraintdef` from scratch copies of the tables, view bodies through
//! `pg_get_viewdef` from scratch views over those copies, and indexes' operator classes and
//! collations (a default one is none) from scratch copies of the indexes, as the catalog read
//! gives them (a materialized view's on a table of its columns).
//!
//! The scratch objects are temporary (the TEMP privilege suffices, no CREATE) and a view reads
//! the scratch copies of what it reads, never a live table or view: diff takes no lock on a live
//! relation (enum types are the live ones: a type takes no lock a writer waits for). A copy
//! takes the object's own name, so a body's `accounts.id` still qualifies; a name two
//! namespaces share is taken by position the second time. They vanish with the transaction,
//! which is always rolled back. The statements travel as data, an array bound to a
//! temporary function that EXECUTEs each one in a subtransaction of its own: no text can end
//! the transaction (PL/pgSQL refuses transaction control there), and an object the server
//! refuses is reported and compared as written while the others still normalise.

use super::attrs::{Exclusion, Partitioning};
use super::catalog::{snapshot, Scope};
use super::Postgres;
use crate::dialect::catalog::Session;
use crate::dialect::Driver;
use crate::error::{Error, Result};
use crate::model::{Dialect, Index, Project, Table, View};
use crate::render::Renderer;
use crate::sql::lexer::{ident_value, tokens, Escapes, Token};
use crate::sql::refs::escape;
use crate::sql::{expand_refs_with, ident};
use std::collections::{BTreeMap, BTreeSet};

/// Runs each statement in a subtransaction, returning `(i, error)` for those refused, then
/// `(-i, quote_ident(names[i]))`: how the server prints each name the texts read back may hold.
const SCRATCH: &str = "CREATE FUNCTION pg_temp.schema_scratch(statements pg_catalog.text[], names pg_catalog.text[])
RETURNS TABLE (n pg_catalog.int4, result pg_catalog.text) LANGUAGE plpgsql AS $scratch$
BEGIN
  FOR i IN 1 .. COALESCE(pg_catalog.array_length(statements, 1), 0) LOOP
    BEGIN
      EXECUTE statements[i];
    EXCEPTION WHEN OTHERS THEN
      n := i; result := SQLERRM; RETURN NEXT;
    END;
  END LOOP;
  FOR i IN 1 .. COALESCE(pg_catalog.array_length(names, 1), 0) LOOP
    n := -i; result := pg_catalog.quote_ident(names[i]); RETURN NEXT;
  END LOOP;
END
$scratch$";

fn table_of(i: usize) -> String {
    format!("scratch table {i}")
}

fn index_of(i: usize, j: usize) -> String {
    format!("scratch index {i} {j}")
}

fn exclusion_of(i: usize, j: usize) -> String {
    format!("scratch exclusion {i} {j}")
}

fn domain_of(i: usize) -> String {
    format!("scratch domain {i}")
}

fn view_of(i: usize) -> String {
    format!("scratch view {i}")
}

/// The table of the columns of view `i`, for its indexes.
fn rows_of(i: usize) -> String {
    format!("scratch rows {i}")
}

fn view_index_of(i: usize, j: usize) -> String {
    format!("scratch view index {i} {j}")
}

pub(super) fn normalise(
    s: &mut Session,
    desired: &Project,
    live: &Project,
    namespaces: &[String],
    warnings: &mut Vec<String>,
) -> Result<Project> {
    let mut out = desired.clone();

    // An object equal to the live one as read needs no copy: the server printed it already, and
    // printing it again may not give the same text (what `inspect` writes compares at once).
    let (live_tables, live_views, views) = (live.tables_by_name(), live.views_by_name(), desired.views_by_name());
    let differs = |v: &View| live_views.get(v.name.as_str()) != Some(&v);
    // The views that differ, and every view they read: a copy reads only copies.
    let mut wanted: BTreeSet<&str> = desired.views.iter().filter(|v| differs(v)).map(|v| v.name.as_str()).collect();
    let mut reading: Vec<&str> = wanted.iter().copied().collect();
    while let Some(name) = reading.pop() {
        for d in views.get(name).iter().flat_map(|v| &v.depends_on) {
            if views.contains_key(d.as_str()) && wanted.insert(d) {
                reading.push(d);
            }
        }
    }
    // Copies of the tables whose texts the server spells, or that a copied view reads.
    let wanted_views = desired.views.iter().filter(|v| wanted.contains(v.name.as_str()));
    let read: BTreeSet<&str> = wanted_views.flat_map(|v| v.depends_on.iter().map(String::as_str)).collect();
    let copied = |t: &&Table| {
        (live_tables.get(t.name.as_str()) != Some(t)
            && (t.indexes.iter().any(spelled_by_server)
                || !t.check_constraints.is_empty()
                || !t.postgres.exclude.is_empty()
                || t.postgres.partitioning.is_some()
                || t.columns.iter().any(|c| {
                    c.default.is_some()
                        || c.postgres.generated.is_some()
                        || c.ty.is_native()
                        || c.postgres.storage.is_some()
                })))
            || read.contains(t.name.as_str())
    };
    let tables: Vec<(usize, &Table)> = desired.tables.iter().enumerate().filter(|(_, t)| copied(t)).collect();
    let position: BTreeMap<&str, usize> = desired.views.iter().enumerate().map(|(i, v)| (v.name.as_str(), i)).collect();
    let views: Vec<&View> = (crate::graph::views_in_order(&desired.views).into_iter())
        .filter(|v| wanted.contains(v.name.as_str()))
        .collect();
    let keys = tables
        .iter()
        .map(|(i, t)| (&t.name, table_of(*i)))
        .chain(views.iter().map(|v| (&v.name, view_of(position[v.name.as_str()]))));
    let (mut names, mut stands) = (BTreeMap::new(), BTreeMap::new());
    for (key, at) in keys {
        let bare = crate::model::split_key(key).1.to_string();
        let name = if stands.contains_key(&bare) || bare.starts_with("scratch ") { at } else { bare };
        stands.insert(name.clone(), key.clone());
        names.insert(key.clone(), name);
    }

    let renderer = Renderer::new(Dialect::Postgres, &desired.namespace);
    let mut scratch: Vec<(String, String)> = Vec::new();
    // Domains first: the server spells their defaults and conditions as it stores them.
    for (i, (key, d)) in desired.domains.iter().enumerate() {
        let not_null = if d.nullable { "" } else { " NOT NULL" };
        let default = d.default.as_ref().map(|x| format!(" DEFAULT {x}")).unwrap_or_default();
        let checks: String = d
            .check_constraints
            .iter()
            .map(|k| format!(" CONSTRAINT {} CHECK ({})", ident(&k.name), k.expression))
            .collect();
        let ty = Postgres.type_sql(&d.ty, &desired.namespace);
        let sql = format!("CREATE DOMAIN pg_temp.{} AS {ty}{not_null}{default}{checks}", ident(&domain_of(i)));
        scratch.push((format!("domain {key}"), sql));
    }
    for (ti, t) in &tables {
        let columns = t.columns.iter().map(|c| {
            let default = c.default.as_ref().map(|d| format!(" DEFAULT {d}"));
            let generated = c.postgres.generated.as_ref().map(|g| format!(" GENERATED ALWAYS AS ({g}) STORED"));
            let tail = default.or(generated).unwrap_or_default();
            // The column's collation is an expression index's (`lower(name)` of a "C" column).
            let collate = c.postgres.collation.as_ref().map(|x| format!(" COLLATE {}", ident(x))).unwrap_or_default();
            format!("{} {}{collate}{tail}", ident(&c.name), Postgres.type_sql(&c.ty, &desired.namespace))
        });
        let checks =
            t.check_constraints.iter().map(|k| format!("CONSTRAINT {} CHECK ({})", ident(&k.name), k.expression));
        // Named by position: an exclusion constraint's index shares pg_temp with every copy's.
        let exclusions = (t.postgres.exclude.iter().enumerate())
            .map(|(j, x)| format!("CONSTRAINT {} {}", ident(&exclusion_of(*ti, j)), x.text()));
        let columns: Vec<String> = columns.chain(checks).chain(exclusions).collect();
        let name = ident(&names[&t.name]);
        let by = t.postgres.partitioning.as_ref().map(|p| format!(" PARTITION BY {}", p.key_sql())).unwrap_or_default();
        let create = format!("CREATE TABLE pg_temp.{name} ({}){by}", columns.join(", "));
        scratch.push((format!("table {}", t.name), create));
        // A storage the type has already is none.
        for c in t.columns.iter().filter(|c| c.postgres.storage.is_some()) {
            let storage = c.postgres.shown("storage");
            scratch.push((
                format!("table {}", t.name),
                format!("ALTER TABLE pg_temp.{name} ALTER COLUMN {} SET STORAGE {storage}", ident(&c.name)),
            ));
        }
        if let Some(p) = &t.postgres.partitioning {
            scratch_partitions(&mut scratch, &t.name, &names[&t.name], p, &ti.to_string());
        }
        for (j, i) in t.indexes.iter().enumerate().filter(|(_, i)| spelled_by_server(i)) {
            scratch.push(scratch_index(&renderer, &index_of(*ti, j), &format!("pg_temp.{name}"), i)?);
        }
    }
    for v in &views {
        // A name outside the project is read where it lives (no ref() names one).
        let (local, home) = (names.clone(), desired.namespace.clone());
        let resolve = move |key: &str| match local.get(key) {
            Some(scratch) => format!("pg_temp.{}", ident(scratch)),
            None => crate::sql::qualified(&home, key),
        };
        let (body, _) = expand_refs_with(&v.sql, resolve).map_err(|e| Error::new(format!("view {}: {e}", v.name)))?;
        let name = ident(&names[&v.name]);
        scratch.push((format!("view {}", v.name), format!("CREATE VIEW pg_temp.{name} AS\n{body}")));
    }
    // A materialized view's indexes go on a table of its columns (no temporary one can exist).
    for v in views.iter().filter(|v| v.indexes.iter().any(spelled_by_server)) {
        let (at, view) = (position[v.name.as_str()], ident(&names[&v.name]));
        let rows = format!("pg_temp.{}", ident(&rows_of(at)));
        let create = format!("CREATE TABLE {rows} AS SELECT * FROM pg_temp.{view} WITH NO DATA");
        scratch.push((format!("view {}", v.name), create));
        for (j, i) in v.indexes.iter().enumerate().filter(|(_, i)| spelled_by_server(i)) {
            scratch.push(scratch_index(&renderer, &view_index_of(at, j), &rows, i)?);
        }
    }
    if scratch.is_empty() {
        return Ok(out);
    }
    let printed = match create_scratch(s, &scratch, &stands)? {
        Ok((refused, printed)) => {
            // Once per object: a view refused also fails the table of its columns.
            let mut said = BTreeSet::new();
            for (what, error) in refused.into_iter().filter(|(what, _)| said.insert(what.clone())) {
                warnings.push(format!("the server refuses the desired {what} ({error}); it is compared as written"));
            }
            printed
        }
        Err(e) => {
            warnings.push(format!(
                "cannot create temporary objects to normalise the desired schema ({e}); defaults, CHECK \
                 expressions, indexes and view bodies are compared as written"
            ));
            return Ok(out);
        }
    };
    // A view body is template text (its own `{{` escaped); a default or a condition is SQL.
    let back = |text: &str| from_scratch(text, &stands, &printed, false);

    let stored = snapshot(s, Scope::Temporary(desired), namespaces)?.project;
    let copies = stored.tables_by_name();
    for (ti, t) in out.tables.iter_mut().enumerate() {
        let Some(copy) = names.get(&t.name).and_then(|n| copies.get(n.as_str())) else { continue };
        for c in &mut t.columns {
            if let Some(stored) = copy.column(&c.name) {
                c.default = stored.default.as_deref().map(|d| back(d).0);
                c.postgres.generated = stored.postgres.generated.as_deref().map(|g| back(g).0);
                c.postgres.storage = stored.postgres.storage;
                if c.ty.is_native() {
                    c.ty = stored.ty.clone();
                }
            }
        }
        for (j, i) in t.indexes.iter_mut().enumerate() {
            if let Some(stored) = copy.indexes.iter().find(|x| x.name == index_of(ti, j)) {
                stored_as(i, stored, |p| back(p).0);
            }
        }
        for k in &mut t.check_constraints {
            if let Some(stored) = copy.check_constraints.iter().find(|x| x.name == k.name) {
                k.expression = back(&stored.expression).0;
            }
        }
        if let (Some(p), Some(stored)) = (t.postgres.partitioning.as_mut(), copy.postgres.partitioning.as_ref()) {
            stored_partitioning(p, stored, &ti.to_string());
        }
        for (j, x) in t.postgres.exclude.iter_mut().enumerate() {
            if let Some(stored) = copy.postgres.exclude.iter().find(|s| s.name == exclusion_of(ti, j)) {
                let name = std::mem::take(&mut x.name);
                *x = Exclusion { name, ..stored.clone() };
                x.predicate = x.predicate.as_deref().map(|p| back(p).0);
                for e in &mut x.elements {
                    e.expression = e.expression.as_deref().map(|p| back(p).0);
                }
            }
        }
    }
    for (i, d) in out.domains.values_mut().enumerate() {
        if let Some(stored) = stored.domains.get(&domain_of(i)) {
            d.default = stored.default.clone();
            d.check_constraints = stored.check_constraints.clone();
        }
    }
    for (at, v) in out.views.iter_mut().enumerate() {
        if let Some(stored) = names.get(&v.name).and_then(|n| stored.view(n)) {
            (v.sql, v.depends_on) = from_scratch(&stored.sql, &stands, &printed, true);
        }
        let Some(copy) = copies.get(rows_of(at).as_str()) else { continue };
        for (j, i) in v.indexes.iter_mut().enumerate() {
            if let Some(stored) = copy.indexes.iter().find(|x| x.name == view_index_of(at, j)) {
                stored_as(i, stored, |p| back(p).0);
            }
        }
    }
    Ok(out)
}

/// The scratch partition at `path` (`3 0 1`: of table 3, its first partition's second; no dot, which would read as a namespace).
fn partition_of(path: &str) -> String {
    format!("scratch partition {path}")
}

/// The scratch copies of `table`'s partitions (its copy is `parent`), sub-partitions after theirs.
fn scratch_partitions(out: &mut Vec<(String, String)>, table: &str, parent: &str, p: &Partitioning, path: &str) {
    for (j, part) in p.partitions.iter().enumerate() {
        let (path, by) = (format!("{path} {j}"), part.partitioning.as_ref());
        let (name, bound) = (partition_of(&path), part.bound.sql());
        let sub = by.map(|s| format!(" PARTITION BY {}", s.key_sql())).unwrap_or_default();
        let sql = format!("CREATE TABLE pg_temp.{} PARTITION OF pg_temp.{} {bound}{sub}", ident(&name), ident(parent));
        out.push((format!("table {table}"), sql));
        if let Some(sub) = by {
            scratch_partitions(out, table, &name, sub, &path);
        }
    }
}

/// The key and bounds as the server stores them, from the scratch copies at `path`.
fn stored_partitioning(p: &mut Partitioning, stored: &Partitioning, path: &str) {
    p.key = stored.key.clone();
    for (j, part) in p.partitions.iter_mut().enumerate() {
        let path = format!("{path} {j}");
        let Some(s) = stored.partitions.iter().find(|s| s.name == partition_of(&path)) else { continue };
        part.bound = s.bound.clone();
        if let (Some(sub), Some(stored)) = (part.partitioning.as_mut(), s.partitioning.as_ref()) {
            stored_partitioning(sub, stored, &path);
        }
    }
}

/// Whether the server spells part of an index otherwise than the YAML may: a predicate, an
/// operator class (the default one is none) or a collation (the column's is none).
fn spelled_by_server(i: &Index) -> bool {
    i.predicate.is_some() || i.columns.iter().any(|c| !c.is_plain())
}

/// `(what, CREATE INDEX)` of the scratch copy `name` of index `i` on `relation`, as the
/// migration would create it.
fn scratch_index(renderer: &Renderer, name: &str, relation: &str, i: &Index) -> Result<(String, String)> {
    let definition = renderer.text("index_definition", minijinja::context! { i => i })?;
    let unique = if i.unique { "UNIQUE " } else { "" };
    Ok((format!("index {}", i.name), format!("CREATE {unique}INDEX {} ON {relation} {definition}", ident(name))))
}

/// The desired index as the server stored its scratch copy (a predicate read back through
/// `back`); its name and uniqueness are the YAML's.
fn stored_as(i: &mut Index, stored: &Index, back: impl Fn(&str) -> String) {
    let predicate = stored.predicate.as_deref().map(&back);
    *i = Index { name: std::mem::take(&mut i.name), unique: i.unique, predicate, ..stored.clone() };
    for c in &mut i.columns {
        c.expression = c.expression.as_deref().map(&back);
    }
}

/// Creates the scratch objects: Ok((refused objects and why, how the server prints each scratch
/// name)), or Err when temporary objects cannot be created at all.
#[allow(clippy::type_complexity)]
fn create_scratch(
    s: &mut Session,
    scratch: &[(String, String)],
    stands: &BTreeMap<String, String>,
) -> Result<std::result::Result<(Vec<(String, String)>, BTreeMap<String, String>), String>> {
    let fail = |e: String| Error::new(format!("normalising the desired schema: {e}"));
    if let Err(e) = s.execute(&format!("SAVEPOINT scratch; {SCRATCH}")) {
        s.execute("ROLLBACK TO SAVEPOINT scratch").map_err(fail)?;
        return Ok(Err(e));
    }
    let statements: Vec<&str> = scratch.iter().map(|(_, sql)| sql.as_str()).collect();
    let names: Vec<String> = stands.values().map(|key| crate::model::split_key(key).1.to_string()).collect();
    let text = postgres::types::Type::TEXT_ARRAY;
    let rows = s
        .query_typed(
            "SELECT n, result FROM pg_temp.schema_scratch($1, $2)",
            &[(&statements, text.clone()), (&names, text)],
        )
        .map_err(fail)?;
    let (mut refused, mut printed) = (Vec::new(), BTreeMap::new());
    for (n, result) in rows {
        match usize::try_from(n) {
            Ok(i) => refused.extend(scratch.get(i.wrapping_sub(1)).map(|(what, _)| (what.clone(), result))),
            Err(_) => printed.extend(names.get(n.unsigned_abs() as usize - 1).map(|name| (name.clone(), result))),
        }
    }
    Ok(Ok((refused, printed)))
}

/// A text the server printed about scratch objects, as it prints the objects they stand for:
/// a scratch table or view where the text reads it becomes `{{ ref('key') }}`; where it
/// qualifies a column, the object's bare name as the server quotes it. Returns the keys read,
/// sorted. In a view `body` the text between is escaped as `to_refs` escapes the live side's.
/// Where a relation is read follows from how the server prints a FROM clause: after
/// FROM, JOIN or ONLY, or after `,` or `(` inside a FROM list at the same depth.
fn from_scratch(
    text: &str,
    stands: &BTreeMap<String, String>,
    printed: &BTreeMap<String, String>,
    body: bool,
) -> (String, Vec<String>) {
    let escape = |text: &str, before_ref: bool| if body { escape(text, before_ref) } else { text.to_string() };
    let tokens: Vec<Token> = tokens(text, Escapes::Standard).collect();
    let significant: Vec<usize> = (0..tokens.len()).filter(|&i| !tokens[i].is_trivia()).collect();
    let (mut out, mut refs) = (String::with_capacity(text.len()), BTreeSet::new());
    // Whether each open parenthesis (and the text around them all) is in a FROM list.
    let mut from = vec![false];
    let mut copied = 0;
    for (k, &i) in significant.iter().enumerate() {
        let t = &tokens[i];
        let prev = k.checked_sub(1).map(|p| &tokens[significant[p]]);
        let next = significant.get(k + 1).map(|&n| &tokens[n]);
        let in_from = *from.last().unwrap_or(&false);
        let after = |words: &[&str]| prev.is_some_and(|p| words.iter().any(|w| p.is_word(w)));
        if t.is_punct('(') {
            from.push(
                in_from
                    && (after(&["from", "join", "lateral"])
                        || prev.is_some_and(|p| p.is_punct(',') || p.is_punct('('))),
            );
            continue;
        }
        if t.is_punct(')') {
            from.pop();
            continue;
        }
        if t.is_word("from") {
            *from.last_mut().unwrap_or(&mut false) = true;
        } else if [
            "select",
            "where",
            "group",
            "having",
            "window",
            "order",
            "limit",
            "offset",
            "fetch",
            "union",
            "intersect",
            "except",
            "for",
        ]
        .iter()
        .any(|w| t.is_word(w))
        {
            *from.last_mut().unwrap_or(&mut false) = false;
        }
        let Some(key) = ident_value(t).and_then(|v| stands.get(&v)) else { continue };
        let qualifies = next.is_some_and(|n| n.is_punct('.'));
        let reads = !qualifies
            && !next.is_some_and(|n| n.is_punct('('))
            && (after(&["from", "join", "only"])
                || (in_from && prev.is_some_and(|p| p.is_punct(',') || p.is_punct('('))));
        let replacement = if reads {
            refs.insert(key.clone());
            format!("{{{{ ref('{key}') }}}}")
        } else if qualifies {
            let bare = crate::model::split_key(key).1;
            printed.get(bare).cloned().unwrap_or_else(|| ident(bare))
        } else {
            continue;
        };
        // Text between placeholders reads back verbatim, as `to_refs` writes the live side.
        out.push_str(&escape(&text[copied..t.start], reads));
        out.push_str(&replacement);
        copied = t.start + t.text.len();
    }
    out.push_str(&escape(&text[copied..], false));
    (out, refs.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_turn_back_into_refs_where_read_and_names_where_they_qualify() {
        let stands = BTreeMap::from([
            ("accounts".to_string(), "accounts".to_string()),
            ("scratch table 3".to_string(), "raw.accounts".to_string()),
            ("status".to_string(), "status".to_string()),
        ]);
        let printed = BTreeMap::from([
            ("accounts".to_string(), "accounts".to_string()),
            ("status".to_string(), "status".to_string()),
        ]);
        let body = " SELECT accounts.id,\n    status.status,\n    accounts.status\n   FROM accounts\n     JOIN (status\n     JOIN \"scratch table 3\" s ON s.id = status.id) ON accounts.id = s.id,\n    LATERAL ( SELECT status FROM ONLY status) x\n  WHERE accounts.status = 'status'";
        let (out, refs) = from_scratch(body, &stands, &printed, true);
        assert_eq!(
            out,
            " SELECT accounts.id,\n    status.status,\n    accounts.status\n   FROM {{ ref('accounts') }}\n     JOIN ({{ ref('status') }}\n     JOIN {{ ref('raw.accounts') }} s ON s.id = status.id) ON accounts.id = s.id,\n    LATERAL ( SELECT status FROM ONLY {{ ref('status') }}) x\n  WHERE accounts.status = 'status'"
        );
        assert_eq!(refs, ["accounts", "raw.accounts", "status"]);
    }
}
