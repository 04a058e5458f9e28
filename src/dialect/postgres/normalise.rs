//! The desired project as this server stores it, so it compares with the catalog exactly:
//! column defaults, CHECK expressions and partial-index predicates come back through
//! `pg_get_expr` / `pg_get_constraintdef` from scratch copies of the tables, view bodies through
//! `pg_get_viewdef` from scratch views over those copies, and index columns in one spelling.
//!
//! The scratch objects are temporary (the TEMP privilege suffices, no CREATE), named by position
//! (a key such as `raw.events` may be longer than a name keeps, and two namespaces may share a
//! name), and reference no live object: enum types are scratch copies too, and a view reads the
//! scratch copies of what it reads. So diff takes no lock on a live table. They vanish with the
//! transaction, which is always rolled back. The statements travel as data, an array bound to a
//! temporary function that EXECUTEs each one in a subtransaction of its own: no text can end
//! the transaction (PL/pgSQL refuses transaction control there), and an object the server
//! refuses is reported and compared as written while the others still normalise.

use super::catalog::{snapshot, Scope};
use super::Postgres;
use crate::dialect::catalog::{index_column, Session};
use crate::dialect::Driver;
use crate::error::{Error, Result};
use crate::model::{ColumnType, Project};
use crate::sql::lexer::{ident_value, tokens, Escapes, Kind};
use crate::sql::{expand_refs_with, ident};
use std::collections::BTreeMap;

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

fn view_of(i: usize) -> String {
    format!("scratch view {i}")
}

fn enum_of(i: usize) -> String {
    format!("scratch enum {i}")
}

/// What a scratch name stands for in the texts read back.
enum Stands {
    /// A table or view: `{{ ref('key') }}` where the text reads it, its bare name where it
    /// qualifies a column.
    Object(String),
    /// An enum type (its namespace, name), printed qualified as the live catalog prints it.
    Enum(String, String),
}

pub(super) fn normalise(
    s: &mut Session,
    desired: &Project,
    namespaces: &[String],
    warnings: &mut Vec<String>,
) -> Result<Project> {
    let mut out = desired.clone();
    let indexes =
        out.tables.iter_mut().flat_map(|t| &mut t.indexes).chain(out.views.iter_mut().flat_map(|v| &mut v.indexes));
    for index in indexes {
        index.columns = index.columns.iter().map(|c| index_column(c)).collect();
    }

    let mut stands: BTreeMap<String, Stands> = BTreeMap::new();
    let mut scratch: Vec<(String, String)> = Vec::new();
    let enums: BTreeMap<&str, String> =
        desired.enums.keys().enumerate().map(|(i, n)| (n.as_str(), enum_of(i))).collect();
    for (name, values) in &desired.enums {
        let values: Vec<String> = values.iter().map(|v| Postgres.literal(v)).collect();
        let sql = format!("CREATE TYPE pg_temp.{} AS ENUM ({})", ident(&enums[name.as_str()]), values.join(", "));
        scratch.push((format!("enum {name}"), sql));
        stands.insert(enums[name.as_str()].clone(), Stands::Enum(desired.namespace.clone(), name.clone()));
    }
    let read: std::collections::BTreeSet<&str> =
        desired.views.iter().flat_map(|v| v.depends_on.iter().map(String::as_str)).collect();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (ti, t) in desired.tables.iter().enumerate() {
        let partial = t.indexes.iter().any(|i| i.predicate.is_some());
        let shaped = partial || !t.check_constraints.is_empty() || t.columns.iter().any(|c| c.default.is_some());
        if !shaped && !read.contains(t.name.as_str()) {
            continue;
        }
        let columns = t.columns.iter().map(|c| {
            let default = c.default.as_ref().map(|d| format!(" DEFAULT {d}")).unwrap_or_default();
            format!("{} {}{default}", ident(&c.name), Postgres.type_sql(&scratch_type(&c.ty, &enums), "pg_temp"))
        });
        let checks =
            t.check_constraints.iter().map(|k| format!("CONSTRAINT {} CHECK ({})", ident(&k.name), k.expression));
        let columns: Vec<String> = columns.chain(checks).collect();
        let name = table_of(ti);
        scratch.push((
            format!("table {}", t.name),
            format!("CREATE TABLE pg_temp.{} ({})", ident(&name), columns.join(", ")),
        ));
        for (j, i) in t.indexes.iter().enumerate().filter(|(_, i)| i.predicate.is_some()) {
            let (first, predicate) = (ident(&t.columns[0].name), i.predicate.as_deref().unwrap_or_default());
            let sql = format!(
                "CREATE INDEX {} ON pg_temp.{} ({first}) WHERE {predicate}",
                ident(&index_of(ti, j)),
                ident(&name)
            );
            scratch.push((format!("index {}", i.name), sql));
        }
        names.insert(t.name.clone(), name.clone());
        stands.insert(name, Stands::Object(t.name.clone()));
    }
    let position: BTreeMap<&str, usize> = desired.views.iter().enumerate().map(|(i, v)| (v.name.as_str(), i)).collect();
    for v in crate::graph::views_in_order(&desired.views) {
        let name = view_of(position[v.name.as_str()]);
        names.insert(v.name.clone(), name.clone());
        stands.insert(name.clone(), Stands::Object(v.name.clone()));
        // A name outside the project is read where it lives (no ref() names one).
        let local = names.clone();
        let home = desired.namespace.clone();
        let resolve = move |key: &str| match local.get(key) {
            Some(scratch) => format!("pg_temp.{}", ident(scratch)),
            None => crate::sql::qualified(&home, key),
        };
        let (body, _) = expand_refs_with(&v.sql, resolve).map_err(|e| Error::new(format!("view {}: {e}", v.name)))?;
        scratch.push((format!("view {}", v.name), format!("CREATE VIEW pg_temp.{} AS\n{body}", ident(&name))));
    }
    if scratch.is_empty() {
        return Ok(out);
    }
    let printed = match create_scratch(s, &scratch, &stands)? {
        Ok((refused, printed)) => {
            for (what, error) in refused {
                warnings.push(format!("the server refuses the desired {what} ({error}); it is compared as written"));
            }
            printed
        }
        Err(e) => {
            warnings.push(format!(
                "cannot create temporary objects to normalise the desired schema ({e}); defaults, CHECK \
                 expressions, index predicates and view bodies are compared as written"
            ));
            return Ok(out);
        }
    };
    let back = |text: &str| from_scratch(text, &stands, &printed);

    let stored = snapshot(s, Scope::Temporary, namespaces)?.project;
    let copies = stored.tables_by_name();
    for (ti, t) in out.tables.iter_mut().enumerate() {
        let Some(copy) = copies.get(table_of(ti).as_str()) else { continue };
        for c in &mut t.columns {
            if let Some(stored) = copy.column(&c.name) {
                c.default = stored.default.as_deref().map(|d| back(d).0);
            }
        }
        for (j, i) in t.indexes.iter_mut().enumerate() {
            if let Some(stored) = copy.indexes.iter().find(|x| x.name == index_of(ti, j)) {
                i.predicate = stored.predicate.as_deref().map(|p| back(p).0);
            }
        }
        for k in &mut t.check_constraints {
            if let Some(stored) = copy.check_constraints.iter().find(|x| x.name == k.name) {
                k.expression = back(&stored.expression).0;
            }
        }
    }
    for (vi, v) in out.views.iter_mut().enumerate() {
        if let Some(stored) = stored.view(&view_of(vi)) {
            (v.sql, v.depends_on) = back(&stored.sql);
        }
    }
    Ok(out)
}

/// The type with each enum replaced by its scratch copy.
fn scratch_type(ty: &ColumnType, enums: &BTreeMap<&str, String>) -> ColumnType {
    match ty {
        ColumnType::Enum(name) => ColumnType::Enum(enums.get(name.as_str()).cloned().unwrap_or_else(|| name.clone())),
        ColumnType::Array(element) => ColumnType::Array(Box::new(scratch_type(element, enums))),
        other => other.clone(),
    }
}

/// Creates the scratch objects: Ok((refused objects and why, how the server prints each name
/// the texts may hold)), or Err when temporary objects cannot be created at all.
#[allow(clippy::type_complexity)]
fn create_scratch(
    s: &mut Session,
    scratch: &[(String, String)],
    stands: &BTreeMap<String, Stands>,
) -> Result<std::result::Result<(Vec<(String, String)>, BTreeMap<String, String>), String>> {
    if let Err(e) = s.execute(&format!("SAVEPOINT scratch; {SCRATCH}")) {
        s.execute("ROLLBACK TO SAVEPOINT scratch")
            .map_err(|e| Error::new(format!("normalising the desired schema: {e}")))?;
        return Ok(Err(e));
    }
    let statements: Vec<&str> = scratch.iter().map(|(_, sql)| sql.as_str()).collect();
    let mut names: Vec<String> = Vec::new();
    for stand in stands.values() {
        match stand {
            Stands::Object(key) => names.push(crate::model::split_key(key).1.to_string()),
            Stands::Enum(ns, name) => names.extend([ns.clone(), name.clone()]),
        }
    }
    names.sort();
    names.dedup();
    let rows = s
        .query_typed(
            "SELECT n, result FROM pg_temp.schema_scratch($1, $2)",
            &[(&statements, postgres::types::Type::TEXT_ARRAY), (&names, postgres::types::Type::TEXT_ARRAY)],
        )
        .map_err(|e| Error::new(format!("normalising the desired schema: {e}")))?;
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
/// a scratch table or view that is read becomes `{{ ref('key') }}`, one that qualifies a column
/// its bare name, a scratch enum its qualified name. Returns the keys read, sorted.
fn from_scratch(
    text: &str,
    stands: &BTreeMap<String, Stands>,
    printed: &BTreeMap<String, String>,
) -> (String, Vec<String>) {
    let tokens: Vec<_> = tokens(text, Escapes::Standard).collect();
    let print = |name: &str| printed.get(name).cloned().unwrap_or_else(|| ident(name));
    let (mut out, mut refs) = (String::with_capacity(text.len()), std::collections::BTreeSet::new());
    for (i, t) in tokens.iter().enumerate() {
        let stand = (t.kind == Kind::QuotedIdent).then(|| ident_value(t)).flatten().and_then(|v| stands.get(&v));
        let qualifies = || tokens[i + 1..].iter().find(|t| !t.is_trivia()).is_some_and(|t| t.is_punct('.'));
        match stand {
            Some(Stands::Object(key)) if qualifies() => out.push_str(&print(crate::model::split_key(key).1)),
            Some(Stands::Object(key)) => {
                out.push_str(&format!("{{{{ ref('{key}') }}}}"));
                refs.insert(key.clone());
            }
            Some(Stands::Enum(ns, name)) => out.push_str(&format!("{}.{}", print(ns), print(name))),
            None => out.push_str(t.text),
        }
    }
    (out, refs.into_iter().collect())
}
