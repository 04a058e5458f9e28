//! PostgreSQL: types, literals, catalog, lowering and lock.

mod alter;
pub mod attrs;
mod catalog;
mod domains;
mod enforcement;
mod indexes;
mod normalise;
mod partitions;
mod properties;
mod sequences;

use super::catalog::Live;
use super::conversion::{needs_cast, risk};
use super::lower::{self, Hazard, Op, TableOps};
use super::{standard_literal, Driver, Grammars, Lint};
use crate::dialect::catalog::{in_namespaces, object_key};
use crate::diff::{TableDiff, ViewChanges};
use crate::error::Result;
use crate::model::{Column, ColumnType, Dialect, Project, View};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub struct Postgres;

impl Driver for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn native_types(&self) -> bool {
        true
    }

    /// pg_catalog's types that a column may have, by the first word of their name.
    fn native_type_names(&self) -> &'static [&'static str] {
        &[
            "bit",
            "box",
            "bytea",
            "cidr",
            "circle",
            "datemultirange",
            "daterange",
            "inet",
            "int4multirange",
            "int4range",
            "int8multirange",
            "int8range",
            "interval",
            "jsonpath",
            "line",
            "lseg",
            "macaddr",
            "macaddr8",
            "money",
            "name",
            "nummultirange",
            "numrange",
            "oid",
            "path",
            "pg_lsn",
            "pg_snapshot",
            "point",
            "polygon",
            "regclass",
            "regtype",
            "timetz",
            "tsmultirange",
            "tsquery",
            "tsrange",
            "tstzmultirange",
            "tstzrange",
            "tsvector",
            "txid_snapshot",
            "varbit",
            "xid8",
            "xml",
        ]
    }

    fn type_sql(&self, ty: &ColumnType, namespace: &str) -> String {
        use ColumnType::*;
        match ty {
            Decimal(p, s) => format!("NUMERIC({p},{s})"),
            Text => "TEXT".into(),
            Json => "JSONB".into(),
            Uuid => "UUID".into(),
            Array(element) => format!("{}[]", self.type_sql(element, namespace)),
            other => super::common_type_sql(other, namespace),
        }
    }

    /// An escape string (E'...') when the text holds a backslash: it reads the same whether
    /// standard_conforming_strings is on or off, which a plain literal does not. A carriage
    /// return is written as `\r` there, since `migrate` reads CRLF in a file as LF.
    fn literal(&self, text: &str) -> String {
        if text.contains(['\\', '\r']) {
            format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''").replace('\r', "\\r"))
        } else {
            standard_literal(text)
        }
    }

    fn grammars(&self) -> Grammars {
        Grammars { escapes: self.escapes(), primary: &sqlparser::dialect::PostgreSqlDialect {}, fallback: None }
    }

    /// standard_conforming_strings is on by default since PostgreSQL 9.1; what the generator
    /// writes reads the same either way (escape strings where a backslash occurs).
    fn escapes(&self) -> crate::sql::lexer::Escapes {
        crate::sql::lexer::Escapes::Standard
    }

    fn json_literal(&self, json: &str) -> String {
        format!("CAST({} AS JSONB)", self.literal(json))
    }

    fn lint(&self, _project: &Project) -> Vec<Lint> {
        Vec::new()
    }

    fn inspect(
        &self,
        client: &mut ::postgres::Client,
        namespaces: &[String],
        desired: Option<&Project>,
    ) -> Result<(Live, Option<Project>)> {
        catalog::read(client, namespaces, desired, None)
    }

    fn inspect_desired(
        &self,
        client: &mut ::postgres::Client,
        namespaces: &[String],
        desired: &Project,
        live: Live,
    ) -> Result<(Live, Option<Project>)> {
        catalog::read(client, namespaces, Some(desired), Some(live))
    }

    fn key_enforcement(
        &self,
        client: &mut ::postgres::Client,
        namespaces: &[String],
    ) -> Result<crate::dialect::enforcement::KeyEnforcement> {
        enforcement::read(client, namespaces)
    }

    /// No JIT: it compiles a query whose estimated cost is high, and a day of a 20M-row table read
    /// through an index is priced near a whole scan, so a 0.2 s query was compiled for 0.3-0.9 s
    /// (measured). Whole-table runs keep it: there it saved up to 18% (the key checks' GROUP BY).
    fn window_settings(&self) -> Vec<&'static str> {
        vec!["SET jit = off"]
    }

    fn lower_table(&self, d: &TableDiff) -> std::result::Result<TableOps, String> {
        let (early, late) = lower::key_ops(d, self.alters_constraints());
        let mut guards = lower::empty_guards(d);
        let mut body = lower::column_renames(d);
        body.extend(lower::column_adds(d));
        let (redefined, regenerated) = alter::columns(d);
        for (from, to) in &redefined {
            guards.extend(lower::fit_guard(&d.from.name, from, to));
            let cast = needs_cast(&from.ty, &to.ty);
            body.push(Op::AlterColumn { table: d.to.name.clone(), from: (*from).clone(), to: (*to).clone(), cast });
        }
        body.extend(lower::column_drops(d));
        body.extend(alter::table_options(d));
        body.extend(alter::exclusions(d));
        body.extend(alter::partitions(d)?);
        body.extend(lower::comments(d));
        body.extend(lower::index_ops(d));
        // After the index changes: the server drops the column's indexes with it.
        body.extend(alter::regenerate(d, &regenerated)?);
        body.extend(lower::row_ops(d));
        body.extend(lower::grant_ops(d));
        // PostgreSQL refuses to change the type or collation of a column a view reads (any type
        // change, a wider VARCHAR too) or to drop it, and a renamed one no longer matches the
        // YAML's view: the views reading those columns are recreated, the others stay.
        let mut columns = lower::renamed_or_dropped(d);
        let retyped = |(f, t): &&(&Column, &Column)| f.ty != t.ty || f.postgres.collation != t.postgres.collation;
        columns.extend(redefined.iter().filter(retyped).map(|(f, _)| f.name.clone()));
        columns.extend(regenerated.iter().map(|(f, _)| f.name.clone()));
        let breaks_views = lower::Breaks::columns(columns);
        Ok(TableOps { guards, early, body, late, breaks_views, replaced: false })
    }

    /// ALTER TABLE ... SET SCHEMA keeps the rows, keys, indexes, owner and grants; the table's
    /// other changes follow it in its new namespace.
    fn move_table(&self, d: &TableDiff) -> std::result::Result<TableOps, String> {
        let mut ops = self.lower_table(d)?;
        let to = crate::model::split_key(&d.to.name).0.unwrap_or_default().to_string();
        let mut body = vec![Op::SetSchema { table: d.from.name.clone(), to: to.clone() }];
        // SET SCHEMA moves the table alone: its partitions follow one by one.
        let partitions = d.from.postgres.partitioning.iter().flat_map(|p| p.created(&d.from.name));
        body.extend(partitions.map(|p| Op::SetSchema { table: p.name, to: to.clone() }));
        body.append(&mut ops.early);
        body.append(&mut ops.body);
        // Views reading the table follow it by reference, but their YAML names the new key.
        Ok(TableOps { body, breaks_views: lower::Breaks::Everything, ..ops })
    }

    fn long_running(&self, op: &Op) -> Option<&'static str> {
        if let Some(what) = alter::long_running(op) {
            return Some(what);
        }
        match op {
            Op::AlterColumn { from, to, .. } if from.ty != to.ty && !in_place_widening(&from.ty, &to.ty) => {
                Some("the rewrite")
            }
            Op::AlterColumn { from, to, .. } if from.nullable && !to.nullable => Some("the scan for NULLs"),
            Op::Backfill { .. } => Some("the backfill"),
            _ => None,
        }
    }

    fn recreates_view(&self, changed: ViewChanges) -> bool {
        // Redshift's materialized-view options and late binding mean nothing here; a view's
        // own options change in place (`alter_view`).
        changed.body || changed.kind || changed.indexes
    }

    fn alter_view(&self, from: &View, to: &View, changed: ViewChanges) -> Vec<Op> {
        alter::view_options(from, to, changed)
    }

    fn hazards(&self, op: &Op) -> Vec<Hazard> {
        if let Some(hazards) = alter::hazards(op) {
            return hazards;
        }
        match op {
            Op::AlterColumn { table, from, to, .. } if from.ty != to.ty && !lower::widens(&from.ty, &to.ty) => {
                let text = risk(&format!("{table}.{}", to.name), &from.ty, &to.ty).unwrap_or_default();
                vec![Hazard { guarded: true, text }]
            }
            Op::AlterColumn { from, to, .. } if from.ty != to.ty && !in_place_widening(&from.ty, &to.ty) => {
                Hazard::guarded("PostgreSQL rewrites the whole table to change this type")
            }
            Op::AlterColumn { from, to, .. } if from.nullable && !to.nullable => {
                Hazard::note("SET NOT NULL scans the table and fails if it holds NULLs")
            }
            Op::DropView { view } if view.materialized => {
                Hazard::note("queries on the materialized view fail until the migration creates it again")
            }
            Op::CreateView { view } if view.materialized => {
                Hazard::note("the migration fills the materialized view from its tables (as long as a refresh)")
            }
            Op::SetSchema { .. } => Hazard::note("moves the table with its rows, keys, indexes, owner and grants"),
            Op::CheckEmpty { .. } => {
                Hazard::note("the migration fails, changing nothing, if the table has rows (the column has no value for them)")
            }
            Op::AddColumn { last: false, .. } => Hazard::note(
                "PostgreSQL adds the column at the end of the table, not where the YAML declares it: a COPY or INSERT without a column list sees it last",
            ),
            _ => op.common_hazards(),
        }
    }

    /// reltuples is the planner's estimate (-1 before the first ANALYZE); the size includes
    /// indexes and TOAST.
    fn table_sizes_query(&self, namespaces: &[String]) -> String {
        format!(
            "SELECT {}, CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END, \
             pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {} AND c.relkind IN ('r', 'p', 'm')",
            object_key(self, namespaces, "n.nspname", "c.relname"),
            in_namespaces(self, namespaces, "n.nspname")
        )
    }

    /// pg_class lists every table.
    fn size_unknown(&self) -> &'static str {
        "not created yet"
    }

    fn transactional(&self, _op: &Op) -> bool {
        true
    }

    /// An advisory lock keyed by the namespace, held by the lock's own session.
    fn lock_statements(&self, namespace: &str) -> Vec<String> {
        let digest = Sha256::digest(format!("schema migrate {namespace}"));
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        vec![format!("SELECT pg_advisory_lock({})", i64::from_be_bytes(bytes))]
    }

    /// Both bound the migrate lock's wait too: lock_timeout applies to advisory locks.
    fn timeouts(&self, lock: Duration, statement: Duration) -> Vec<String> {
        vec![
            format!("SET lock_timeout = {}", lock.as_millis()),
            format!("SET statement_timeout = {}", statement.as_millis()),
        ]
    }
}

/// Widenings PostgreSQL does without rewriting the table.
fn in_place_widening(from: &ColumnType, to: &ColumnType) -> bool {
    matches!((from, to), (ColumnType::Varchar(a), ColumnType::Varchar(b)) if b >= a)
        || matches!((from, to), (ColumnType::Varchar(_), ColumnType::Text))
}
