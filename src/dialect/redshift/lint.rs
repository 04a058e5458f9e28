//! What Redshift refuses in a project that targets it, checked on the model: each rule cites
//! the AWS Database Developer Guide page it comes from.

use crate::dialect::Lint;
use crate::model::{CheckKind, Column, ColumnType, Dialect, Project, Table, View};
use crate::render::expand_refs;
use crate::sql::expr::{self, Role};

pub(super) fn lint(project: &Project) -> Vec<Lint> {
    let mut out = Vec::new();
    for t in &project.tables {
        for (i, c) in t.columns.iter().enumerate() {
            column(&mut out, t, i, c);
        }
        for (i, check) in t.checks.iter().enumerate() {
            // Checks run on Redshift too (`schema validate`): no PostgreSQL-only syntax.
            let sql = match &check.kind {
                CheckKind::Ratio { when, .. } => Some(("ratio.when", when)),
                CheckKind::Condition { sql } => Some(("condition", sql)),
                CheckKind::Unique { filter: Some(f), .. } => Some(("unique.where", f)),
                _ => None,
            };
            if let Some((key, sql)) = sql {
                let found = expr::expression(sql, Dialect::Redshift, Role::Condition).map(|e| e.postgres_only());
                for what in found.unwrap_or_default() {
                    let message = format!("`{key}` uses {what}, which Redshift does not have");
                    out.push(at(&t.name, &format!("checks.{i}.{key}"), message, None));
                }
            }
        }
    }
    for v in &project.views {
        view(&mut out, project, v);
    }
    out
}

fn at(object: &str, path: &str, message: String, help: Option<&str>) -> Lint {
    Lint { object: object.to_string(), path: path.to_string(), message, help: help.map(str::to_string) }
}

fn column(out: &mut Vec<Lint>, t: &Table, i: usize, c: &Column) {
    let path = |field: &str| format!("columns.{i}.{field}");
    // "Unsupported PostgreSQL data types": TEXT silently becomes VARCHAR(256), no UUID.
    let help = match c.ty {
        ColumnType::Text => Some("declare varchar(n) with the longest length you expect, e.g. varchar(1024)"),
        ColumnType::Uuid => Some("declare char(36)"),
        _ => None,
    };
    if let Some(help) = help {
        let message = format!("type `{}` cannot be deployed to Redshift, a target dialect of this project", c.ty);
        out.push(at(&t.name, &path("type"), message, Some(help)));
    }
    // "CREATE TABLE": IDENTITY only on INT or BIGINT.
    if c.identity.is_some() && !matches!(c.ty, ColumnType::Integer | ColumnType::BigInt) {
        let message = format!("Redshift allows `identity` only on integer or bigint columns, not `{}`", c.ty);
        out.push(at(&t.name, &path("identity"), message, None));
    }
    if let Some(enc) = &c.encode {
        if !encoding_fits(enc, c.ty) {
            let message = format!("Redshift's encoding `{enc}` does not take type `{}`", c.ty);
            out.push(at(
                &t.name,
                &path("encode"),
                message,
                Some("see \"Compression encodings\"; zstd takes every type"),
            ));
        }
    }
    if let Some(default) = &c.default {
        if let Ok(e) = expr::expression(default, Dialect::Redshift, Role::Default) {
            for problem in expr::redshift_default_problems(&e).into_iter().chain(e.postgres_only()) {
                out.push(at(&t.name, &path("default"), format!("`default`: {problem}"), None));
            }
        }
        // "Loading semistructured data": a string into SUPER is one string scalar, not JSON.
        if c.ty == ColumnType::Json && !default.trim_start().to_ascii_lowercase().starts_with("json_parse(") {
            let message = "a SUPER default must be JSON_PARSE('...'): Redshift stores a string literal as one string, not as JSON".to_string();
            out.push(at(&t.name, &path("default"), message, None));
        }
    }
}

fn view(out: &mut Vec<Lint>, project: &Project, v: &View) {
    if v.materialized {
        // "CREATE MATERIALIZED VIEW": the query cannot reference standard views.
        for dep in &v.depends_on {
            if project.view(dep).is_some_and(|d| !d.materialized) {
                let message = format!(
                    "materialized view `{}` reads the plain view `{dep}`, which Redshift does not allow",
                    v.name
                );
                let help = "read the view's tables directly, or make it a materialized view";
                out.push(at(&v.name, &format!("ref:{dep}"), message, Some(help)));
            }
        }
    }
    let Ok((body, _)) = expand_refs(&v.sql, &project.namespace) else { return };
    let Ok(query) = expr::query(&body, Dialect::Redshift) else { return };
    for what in query.postgres_only() {
        out.push(at(&v.name, "sql", format!("the SQL uses {what}, which Redshift does not have"), None));
    }
    if v.materialized {
        for what in query.materialized_view_limits(v.auto_refresh) {
            let message = format!("a Redshift materialized view cannot use {what} (AWS \"CREATE MATERIALIZED VIEW\")");
            out.push(at(&v.name, "sql", message, None));
        }
    }
}

/// The data types each encoding takes (AWS "Compression encodings", its table of encodings and
/// data types). SUPER takes RAW, LZO and ZSTD; TIME is kept to the encodings known to take it.
fn encoding_fits(encoding: &str, ty: ColumnType) -> bool {
    use ColumnType::*;
    let int = matches!(ty, SmallInt | Integer | BigInt);
    let number = int || matches!(ty, Decimal(..));
    let float = matches!(ty, Real | Double);
    let string = matches!(ty, Char(_) | Varchar(_) | Text | Uuid);
    let moment = matches!(ty, Date | Timestamp | TimestampTz);
    match encoding {
        "raw" | "zstd" => true,
        "az64" => number || moment || ty == Time,
        "bytedict" => number || float || string || moment,
        "delta" => number || moment,
        "delta32k" => matches!(ty, Integer | BigInt | Decimal(..)) || matches!(ty, Date | Timestamp),
        "lzo" => number || string || moment || ty == Json,
        "mostly8" => number,
        "mostly16" => matches!(ty, Integer | BigInt | Decimal(..)),
        "mostly32" => matches!(ty, BigInt | Decimal(..)),
        "runlength" => number || float || string || moment || ty == Boolean,
        "text255" | "text32k" => matches!(ty, Varchar(_)),
        _ => true,
    }
}
