//! Amazon Redshift: types, literals, rules, catalog, lowering and lock.

pub mod attrs;
pub mod catalog;
pub mod emulation;
mod hazards;
mod lint;
mod lower;
mod normalise;
mod queries;
mod visibility;

use super::catalog::Live;
use super::lower::{Hazard, Op, TableOps};
use super::{standard_literal, Driver, Grammars, Lint};
use crate::dialect::catalog::{in_namespaces, object_key};
use crate::diff::{TableDiff, ViewChanges};
use crate::error::Result;
use crate::layout::LOCK_TABLE;
use crate::model::{ColumnType, Dialect, Project, Table};
use crate::sql::ident;
use std::time::Duration;

/// The compression encodings (AWS "Compression encodings").
pub const ENCODINGS: [&str; 13] = [
    "raw",
    "az64",
    "bytedict",
    "delta",
    "delta32k",
    "lzo",
    "mostly8",
    "mostly16",
    "mostly32",
    "runlength",
    "text255",
    "text32k",
    "zstd",
];

/// Types Redshift accepts as distribution or sort key columns.
pub fn can_be_key(ty: &ColumnType) -> bool {
    use ColumnType::*;
    !matches!(ty, Json | Text | Uuid | Enum(_) | Array(_) | Native(_))
}

/// True when no column declares an encoding: Redshift then manages encodings (ENCODE AUTO).
fn encode_auto(table: &Table) -> bool {
    table.columns.iter().all(|c| c.redshift.encode.is_none())
}

pub struct Redshift;

impl Driver for Redshift {
    fn dialect(&self) -> Dialect {
        Dialect::Redshift
    }

    fn native_types(&self) -> bool {
        false
    }

    fn type_sql(&self, ty: &ColumnType, namespace: &str) -> String {
        match ty {
            // The loader rejects `text` and `uuid` for Redshift projects; these keep rendering total.
            ColumnType::Text => "VARCHAR(256)".into(),
            ColumnType::Uuid => "CHAR(36)".into(),
            ColumnType::Json => "SUPER".into(),
            other => super::common_type_sql(other, namespace),
        }
    }

    /// Backslash is an escape character inside Redshift literals (AWS documents QUOTE_LITERAL
    /// doubling backslashes), so it is doubled along with the quote; a carriage return is
    /// written `\r`, since `migrate` reads CRLF in a file as LF.
    fn literal(&self, text: &str) -> String {
        standard_literal(&text.replace('\\', "\\\\").replace('\r', "\\r"))
    }

    /// sqlparser's Redshift grammar (0.64) refuses GROUPING SETS, which Redshift has, and
    /// aggregate FILTER, which the lint then names: text it refuses is parsed with PostgreSQL's.
    fn grammars(&self) -> Grammars {
        Grammars {
            escapes: self.escapes(),
            primary: &sqlparser::dialect::RedshiftSqlDialect {},
            fallback: Some(&sqlparser::dialect::PostgreSqlDialect {}),
        }
    }

    /// A backslash always escapes inside a Redshift string literal.
    fn escapes(&self) -> crate::sql::lexer::Escapes {
        crate::sql::lexer::Escapes::Backslash
    }

    /// "Loading semistructured data": JSON_PARSE makes a SUPER value of JSON text.
    fn json_literal(&self, json: &str) -> String {
        format!("JSON_PARSE({})", self.literal(json))
    }

    fn lint(&self, project: &Project) -> Vec<Lint> {
        lint::lint(project)
    }

    fn inspect(
        &self,
        client: &mut ::postgres::Client,
        namespaces: &[String],
        desired: Option<&Project>,
    ) -> Result<(Live, Option<Project>)> {
        catalog::read(client, namespaces, desired)
    }

    fn lower_table(&self, diff: &TableDiff) -> std::result::Result<TableOps, String> {
        lower::table(diff)
    }

    /// "ALTER TABLE" has no SET SCHEMA: the table is copied into the other namespace.
    fn move_table(&self, diff: &TableDiff) -> std::result::Result<TableOps, String> {
        lower::refuse(diff)?;
        Ok(lower::copy(diff, vec!["ALTER TABLE cannot move a table to another schema".into()]))
    }

    fn keeps_privileges(&self) -> bool {
        true
    }

    fn recreates_view(&self, changed: ViewChanges) -> bool {
        // Redshift materialized views have no indexes.
        changed.body || changed.kind || changed.binding || changed.redshift
    }

    fn hazards(&self, op: &Op) -> Vec<Hazard> {
        hazards::of(op)
    }

    fn long_running(&self, op: &Op) -> Option<&'static str> {
        match op {
            Op::DeepCopy { .. } => Some("the copy"),
            Op::RebuildColumn { .. } => Some("the rewrite"),
            Op::Backfill { .. } => Some("the backfill"),
            _ => None,
        }
    }

    /// SVV_TABLE_INFO: `size` is in 1 MB blocks and `tbl_rows` counts rows not yet vacuumed
    /// away; empty tables are not listed (AWS "SVV_TABLE_INFO").
    fn table_sizes_query(&self, namespaces: &[String]) -> String {
        format!(
            "SELECT {}, tbl_rows, size::BIGINT * 1048576 FROM svv_table_info WHERE {}",
            object_key(self, namespaces, "\"schema\"", "\"table\""),
            in_namespaces(self, namespaces, "\"schema\"")
        )
    }

    /// "SVV_TABLE_INFO": no row for an empty table, and rows only for superusers and users
    /// granted SELECT on it.
    fn size_unknown(&self) -> &'static str {
        "SVV_TABLE_INFO lists only tables that hold rows, and shows them only to superusers and users granted SELECT on it: empty, not created yet, or not visible to this user"
    }

    fn starter_table_options(&self) -> &'static str {
        "# Redshift only: how rows are spread over the nodes, and the order blocks are kept in.\n\
         distribution: { style: key, key: user_id }\n\
         sort_key: { columns: [event_date] }\n"
    }

    /// Redshift refuses ALTER COLUMN ... TYPE inside a transaction block (AWS "ALTER TABLE").
    fn transactional(&self, op: &Op) -> bool {
        !matches!(op, Op::AlterColumn { .. })
    }

    fn copy_from_stdin(&self) -> bool {
        false
    }

    /// "Defining table constraints": uniqueness, primary key and foreign key constraints are
    /// informational only; Redshift does not enforce them.
    fn enforces_keys(&self) -> bool {
        false
    }

    fn materialized_view_options(&self) -> bool {
        true
    }

    /// "CREATE TABLE" and "ALTER TABLE": a table constraint is `[CONSTRAINT name]` UNIQUE,
    /// PRIMARY KEY or FOREIGN KEY ... REFERENCES t (c), nothing after it.
    fn key_options_refused(&self) -> Option<&'static str> {
        Some("Redshift's CREATE TABLE and ALTER TABLE take no ON DELETE, ON UPDATE, MATCH, DEFERRABLE or NULLS NOT DISTINCT (its keys are informational)")
    }

    /// "Names and identifiers": names are folded to lower case, quoted ones too (unless
    /// enable_case_sensitive_identifier is on).
    fn case_sensitive_names(&self) -> bool {
        false
    }

    /// "ALTER TABLE" has ADD and DROP CONSTRAINT only: no RENAME CONSTRAINT, no ALTER CONSTRAINT.
    fn alters_constraints(&self) -> bool {
        false
    }

    /// Users, groups and roles are separate on Redshift (`TO u`, `TO GROUP g`, `TO ROLE r`).
    fn grantee_kinds_share_names(&self) -> bool {
        false
    }

    fn lock_setup(&self, namespace: &str) -> Option<String> {
        let ns = ident(namespace);
        Some(format!(
            "CREATE SCHEMA IF NOT EXISTS {ns}; CREATE TABLE IF NOT EXISTS {} (id INTEGER)",
            lock_table(namespace)
        ))
    }

    /// No advisory locks on Redshift: LOCK on a dedicated table, in a transaction left open.
    fn lock_statements(&self, namespace: &str) -> Vec<String> {
        vec!["BEGIN".into(), format!("LOCK {}", lock_table(namespace))]
    }

    /// The emulation: Redshift's sessions run in UTC ("timezone" configuration), and the system
    /// views the migrations read are stood in for.
    fn rehearsal_setup(&self) -> String {
        format!("SET TIME ZONE 'UTC';\n{}", emulation::STAND_INS)
    }

    fn rehearsal_statement(&self, statement: &str) -> String {
        emulation::translate(statement)
    }

    fn rehearsal_rules(&self, files: &[&str]) -> Vec<Vec<String>> {
        let mut checker = emulation::Checker::default();
        files.iter().map(|text| checker.file(text)).collect()
    }

    /// Redshift has no lock_timeout ("SET" lists no such parameter): statement_timeout (in
    /// milliseconds) is the only bound, and it covers the wait for a lock too.
    fn timeouts(&self, _lock: Duration, statement: Duration) -> Vec<String> {
        vec![format!("SET statement_timeout TO {}", statement.as_millis())]
    }
}

fn lock_table(namespace: &str) -> String {
    format!("{}.{}", ident(namespace), ident(LOCK_TABLE))
}
