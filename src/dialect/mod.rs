//! Everything that differs between PostgreSQL and Redshift, behind one trait. A driver reads its
//! catalog (inspect), spells the desired state as its server would (normalise), states its
//! rules over the model (lint), turns neutral changes into its operations (lower_table and the
//! shared skeleton in `lower`), maps types, quotes literals and takes the migrate lock. Rust
//! picks the operation and the template; the SQL text lives in `templates/<dialect>/`.

pub mod acl;
pub mod catalog;
pub mod conversion;
pub mod enforcement;
pub mod hazard;
pub mod lower;
pub mod ops;
pub mod postgres;
pub mod redshift;

#[cfg(test)]
mod lowering_tests;
#[cfg(test)]
mod order_tests;
#[cfg(test)]
mod planner_tests;

use crate::diff::{TableDiff, ViewChanges};
use crate::error::Result;
use crate::model::{ColumnType, Dialect, Project, View};
use crate::sql::expr::Grammars;
use catalog::Live;
use lower::{Hazard, Op, TableOps};
use std::time::Duration;

/// A rule of the dialect the model breaks, and where: the table or view and the path of the
/// offending node inside its YAML file (`columns.3.type`).
#[derive(Debug, Clone, PartialEq)]
pub struct Lint {
    pub object: String,
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

pub trait Driver: Sync {
    fn dialect(&self) -> Dialect;

    /// The dialect's spelling of a type; an enum is the type of that name in `namespace`.
    fn type_sql(&self, ty: &ColumnType, namespace: &str) -> String;

    /// Whether a project deploying only to this dialect may name any of its types, carried as
    /// written (`ColumnType::Native`).
    fn native_types(&self) -> bool;

    /// The dialect's own type names beyond the portable ones (the first word of each), which
    /// the loader takes as written rather than as a typo of a portable name.
    fn native_type_names(&self) -> &'static [&'static str] {
        &[]
    }

    /// A string literal that reads back as `text` on this dialect's servers whatever their
    /// settings (Redshift always treats a backslash as an escape; PostgreSQL does when
    /// standard_conforming_strings is off).
    fn literal(&self, text: &str) -> String;

    /// sqlparser's grammar for the dialect's expressions and queries, and one to try when the
    /// first refuses a text the dialect accepts.
    fn grammars(&self) -> Grammars;

    /// How its string literals treat a backslash, for splitting scripts into statements.
    fn escapes(&self) -> crate::sql::lexer::Escapes;

    /// JSON text as a value of the dialect's json type.
    fn json_literal(&self, json: &str) -> String;

    /// What this dialect refuses in a project that targets it.
    fn lint(&self, project: &Project) -> Vec<Lint>;

    /// The namespaces (the project's first, then the others it manages) as the catalog shows
    /// them. With `desired`, also the desired project as this server would store it, and the
    /// live project completed with what the catalog cannot show (taken from `desired`), so the
    /// two compare without guessing at formatting. Changes nothing in the database.
    fn inspect(
        &self,
        client: &mut ::postgres::Client,
        namespaces: &[String],
        desired: Option<&Project>,
    ) -> Result<(Live, Option<Project>)>;

    /// `inspect` with `desired`, where `live` is what `inspect(.., None)` has just read: a
    /// driver that can complete it without reading the catalog again does (inspect's
    /// self-check); the default reads it again.
    fn inspect_desired(
        &self,
        client: &mut ::postgres::Client,
        namespaces: &[String],
        desired: &Project,
        live: Live,
    ) -> Result<(Live, Option<Project>)> {
        drop(live);
        self.inspect(client, namespaces, Some(desired))
    }

    /// The operations that change one table, and what they do to the views reading it.
    fn lower_table(&self, diff: &TableDiff) -> std::result::Result<TableOps, String>;

    /// The operations that move a table to another namespace keeping its rows (`diff.from`
    /// under its old key, `diff.to` under its new one) and make its other changes.
    fn move_table(&self, diff: &TableDiff) -> std::result::Result<TableOps, String>;

    /// Whether the views a migration drops and creates again are given back their owner and
    /// privileges, read from the catalog when it runs.
    fn keeps_privileges(&self) -> bool {
        false
    }

    /// What a step spends its time on while it holds its locks (`the copy`, `the rewrite`), for
    /// steps that read or write every row of their table.
    fn long_running(&self, op: &Op) -> Option<&'static str>;

    /// Whether a view whose definition changed this way must be dropped and created again
    /// (the rest, a comment, is altered in place).
    fn recreates_view(&self, changed: ViewChanges) -> bool;

    /// The operations that change a kept view in place beyond its comment and grants: the
    /// dialect's own options of it.
    fn alter_view(&self, _from: &View, _to: &View, _changed: ViewChanges) -> Vec<Op> {
        Vec::new()
    }

    /// One query giving each table of the namespaces (the project's first) as (key, estimated
    /// rows or NULL, bytes).
    fn table_sizes_query(&self, namespaces: &[String]) -> String;

    /// Why that query may not list a table.
    fn size_unknown(&self) -> &'static str;

    /// The lines `schema init` writes into its example table for this dialect (commented YAML,
    /// each ending in a newline), if it has options of its own.
    fn starter_table_options(&self) -> &'static str {
        ""
    }

    /// What can go wrong when the operation runs here.
    fn hazards(&self, op: &Op) -> Vec<Hazard>;

    /// Whether the operation may run inside a transaction block.
    fn transactional(&self, op: &Op) -> bool;

    /// Idempotent set-up the lock needs before it is first taken (run twice if two first runs
    /// race), if any.
    fn lock_setup(&self, _namespace: &str) -> Option<String> {
        None
    }

    /// Whether the server enforces primary, unique and foreign keys (Redshift only records them).
    fn enforces_keys(&self) -> bool {
        true
    }

    /// What the server enforces of the keys of the namespaces' tables (the project's first), read
    /// in at most one catalog query: `validate` leaves a key check to the server only where a
    /// key it enforces holds for every row. A server that only records keys reads nothing.
    fn key_enforcement(
        &self,
        _client: &mut ::postgres::Client,
        _namespaces: &[String],
    ) -> Result<enforcement::KeyEnforcement> {
        if self.enforces_keys() {
            return Err(crate::error::Error::new(format!("reading the keys {} enforces is not built", self.dialect())));
        }
        let why = format!("{} records primary, unique and foreign keys without enforcing them", self.dialect());
        Ok(enforcement::KeyEnforcement::Informational(why))
    }

    /// Session settings for a `validate` run that reads a window of each table (`--since`,
    /// `--where`): a day of a large table, whose queries the server's cost model overrates.
    fn window_settings(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Whether rows can be loaded with COPY FROM STDIN (`schema seed`); Redshift copies from S3.
    fn copy_from_stdin(&self) -> bool {
        true
    }

    /// Whether users, groups and roles are one kind of name (PostgreSQL: all are roles), so the
    /// YAML may not give one name two kinds.
    fn grantee_kinds_share_names(&self) -> bool {
        true
    }

    /// Whether materialized views take the storage options of the YAML (BACKUP, AUTO REFRESH,
    /// distribution and sort key).
    fn materialized_view_options(&self) -> bool {
        false
    }

    /// Why the dialect's DDL cannot give a key ON DELETE, ON UPDATE, MATCH FULL, DEFERRABLE or
    /// NULLS NOT DISTINCT; None: it can.
    fn key_options_refused(&self) -> Option<&'static str> {
        None
    }

    /// Whether a quoted name keeps its case, so a constraint may be named `User_pkey`.
    fn case_sensitive_names(&self) -> bool {
        true
    }

    /// Whether ALTER TABLE renames a constraint and changes a foreign key's deferrability in
    /// place (else the key is dropped and added again).
    fn alters_constraints(&self) -> bool {
        true
    }

    /// The statements that take the migrate lock on its own connection, held until that
    /// connection closes.
    fn lock_statements(&self, namespace: &str) -> Vec<String>;

    /// Session settings bounding how long a statement waits for a lock and how long it runs;
    /// zero is no limit.
    fn timeouts(&self, lock: Duration, statement: Duration) -> Vec<String>;

    /// What a PostgreSQL scratch database runs before the first migration to prove this
    /// dialect's migrations there (`rehearse`).
    fn rehearsal_setup(&self) -> String {
        String::new()
    }

    /// A migration statement as that scratch database runs it.
    fn rehearsal_statement(&self, statement: &str) -> String {
        statement.to_string()
    }

    /// The rules of this dialect the scratch database does not enforce that each migration
    /// breaks, the files in version order (each file's list, in the same order).
    fn rehearsal_rules(&self, files: &[&str]) -> Vec<Vec<String>> {
        files.iter().map(|_| Vec::new()).collect()
    }
}

/// First line of a migration that must run outside a transaction block (statements Redshift
/// refuses inside one).
pub const NO_TRANSACTION: &str = "-- schema:no-transaction";

/// The dialect of the local development cluster (`schema local`).
pub const LOCAL: Dialect = Dialect::Postgres;

/// The dialect a server speaks, from its address: Redshift listens on 5439 and lives under
/// `*.redshift.amazonaws.com` / `*.redshift-serverless.amazonaws.com`.
pub fn infer(host: &str, port: Option<u16>) -> Dialect {
    let host = host.to_ascii_lowercase();
    if port == Some(5439) || host.contains(".redshift.") || host.ends_with("redshift-serverless.amazonaws.com") {
        Dialect::Redshift
    } else {
        Dialect::Postgres
    }
}

/// The driver of a dialect.
pub fn driver(dialect: Dialect) -> &'static dyn Driver {
    match dialect {
        Dialect::Postgres => &postgres::Postgres,
        Dialect::Redshift => &redshift::Redshift,
    }
}

/// The types both dialects spell alike.
fn common_type_sql(ty: &ColumnType, namespace: &str) -> String {
    use ColumnType::*;
    match ty {
        SmallInt => "SMALLINT".into(),
        Integer => "INTEGER".into(),
        BigInt => "BIGINT".into(),
        Real => "REAL".into(),
        Double => "DOUBLE PRECISION".into(),
        Boolean => "BOOLEAN".into(),
        Char(n) => format!("CHAR({n})"),
        Varchar(n) => format!("VARCHAR({n})"),
        Date => "DATE".into(),
        Time => "TIME".into(),
        Timestamp => "TIMESTAMP".into(),
        TimestampTz => "TIMESTAMPTZ".into(),
        Decimal(p, s) => format!("DECIMAL({p},{s})"),
        Text => "TEXT".into(),
        Json => "JSON".into(),
        Uuid => "UUID".into(),
        // PostgreSQL-only types: the Redshift lint refuses them.
        Enum(name) => crate::sql::qualified(namespace, name),
        Array(element) => format!("{}[]", common_type_sql(element, namespace)),
        // Spelt again from its tokens by the loader or printed by the server (`model::native`).
        Native(text) => text.clone(),
    }
}

/// The standard SQL literal: quotes doubled, nothing else special.
fn standard_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Target;

    #[test]
    fn infers_dialect_from_host_and_port() {
        let d = |u: &str| Target::parse(u, None, Duration::from_secs(3)).unwrap().dialect();
        assert_eq!(d("postgres://u@localhost/db"), Dialect::Postgres);
        assert_eq!(d("postgres://u@db.internal:5439/dev"), Dialect::Redshift);
        assert_eq!(d("postgresql://u@c1.abc.eu-west-1.redshift.amazonaws.com:5432/dev"), Dialect::Redshift);
        assert_eq!(d("postgres://u@wg.1.us-east-1.redshift-serverless.amazonaws.com/dev"), Dialect::Redshift);
        let forced = Target::parse("postgres://u@h:5439/d", Some(Dialect::Postgres), Duration::from_secs(3)).unwrap();
        assert_eq!(forced.dialect(), Dialect::Postgres);
    }

    #[test]
    fn drivers_say_what_their_dialect_can() {
        let (pg, rs) = (driver(Dialect::Postgres), driver(Dialect::Redshift));
        assert!(pg.copy_from_stdin() && !rs.copy_from_stdin());
        assert!(!pg.materialized_view_options() && rs.materialized_view_options());
        assert!(pg.grantee_kinds_share_names() && !rs.grantee_kinds_share_names());
        assert_eq!(pg.lock_setup("ns"), None);
        let setup = rs.lock_setup("ns").unwrap_or_default();
        assert!(setup.contains("CREATE TABLE IF NOT EXISTS \"ns\".\"schema_migrate_lock\""), "{setup}");
        assert_eq!(rs.lock_statements("ns"), ["BEGIN", "LOCK \"ns\".\"schema_migrate_lock\""]);
        assert!(pg.lock_statements("ns")[0].starts_with("SELECT pg_advisory_lock("));
    }

    #[test]
    fn literals_read_back_whatever_the_server_setting() {
        assert_eq!(driver(Dialect::Postgres).literal("it's"), "'it''s'");
        assert_eq!(driver(Dialect::Postgres).literal("a\\'b"), "E'a\\\\''b'");
        assert_eq!(driver(Dialect::Redshift).literal("a\\'b"), "'a\\\\''b'");
        assert_eq!(driver(Dialect::Postgres).literal("a\r\nb"), "E'a\\r\nb'");
        assert_eq!(driver(Dialect::Redshift).literal("a\r\nb"), "'a\\r\nb'");
    }
}
