//! What Redshift refuses in a project that targets it, checked on the model: each rule cites
//! the AWS Database Developer Guide page it comes from.

use super::Redshift;
use crate::dialect::{Driver, Lint};
use crate::model::{CheckKind, Column, ColumnType, Project, Table, View};
use crate::sql::expand_refs;
use crate::sql::expr::{self, listed, Expression, Query, Role};

pub(super) fn lint(project: &Project) -> Vec<Lint> {
    let mut out = Vec::new();
    // "Unsupported PostgreSQL data types": enumerated types and arrays.
    for name in project.enums.keys() {
        let message =
            format!("Redshift has no enum types (`{name}`), and Redshift is a target dialect of this project");
        let help = "declare the column varchar(n) and list its values in an `accepted_values` check";
        out.push(at("", &format!("enums.{name}"), message, Some(help)));
    }
    // "Unsupported PostgreSQL features": extensions and sequences (IDENTITY columns number rows).
    for name in &project.extensions {
        let message =
            format!("Redshift has no extensions (`{name}`), and Redshift is a target dialect of this project");
        out.push(at("", "extensions", message, None));
    }
    for name in project.sequences.keys() {
        let message = format!("Redshift has no sequences (`{name}`), and Redshift is a target dialect of this project");
        let help = "number rows with an `identity` column";
        out.push(at("", &format!("sequences.{name}"), message, Some(help)));
    }
    for name in project.domains.keys() {
        let message = format!("Redshift has no domains (`{name}`), and Redshift is a target dialect of this project");
        let help = "declare the columns with the base type and a `condition` check";
        out.push(at("", &format!("domains.{name}"), message, Some(help)));
    }
    for t in &project.tables {
        // "CREATE TABLE": a table has at least one column.
        if t.columns.is_empty() {
            let message = format!("table `{}` has no columns, which Redshift does not allow", t.name);
            out.push(at(&t.name, "columns", message, Some("declare at least one column")));
        }
        for (i, c) in t.columns.iter().enumerate() {
            column(&mut out, t, i, c);
            let path = |p: &str| format!("columns.{i}.{}", postgres_key(p));
            postgres_only_attrs(&mut out, &t.name, c.postgres.changed(&Default::default()), path);
        }
        postgres_only_attrs(&mut out, &t.name, t.postgres.changed(&Default::default()), |p| postgres_key(p).into());
        // "CREATE TABLE": the table constraints are UNIQUE, PRIMARY KEY and FOREIGN KEY.
        for (i, c) in t.check_constraints.iter().enumerate() {
            let message = format!(
                "Redshift has no CHECK constraints (`{}`), and Redshift is a target dialect of this project",
                c.name
            );
            let help = "declare a check with `condition:` instead; `schema validate` counts the rows that break it";
            out.push(at(&t.name, &format!("check_constraints.{i}"), message, Some(help)));
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
                let found = expr::expression(sql, Redshift.grammars(), Role::Condition)
                    .map(|e| postgres_only(e.postgres_only(), e.functions().iter().map(String::as_str)));
                for what in found.unwrap_or_default() {
                    let message = format!("`{key}` uses {what}, which Redshift does not have");
                    out.push(at(&t.name, &format!("checks.{i}.{key}"), message, None));
                }
            }
        }
    }
    for v in &project.views {
        view(&mut out, project, v);
        postgres_only_attrs(&mut out, &v.name, v.postgres.changed(&Default::default()), |p| postgres_key(p).into());
    }
    out
}

/// The YAML key of a property of PostgreSQL's own (`postgres::attrs`), and what to do instead.
fn postgres_key(property: &str) -> &'static str {
    match property {
        "collation" => "collation",
        "generated" => "generated",
        "identity generation" | "identity options" => "identity",
        "serial" => "type",
        "storage" => "storage",
        "statistics target" => "statistics",
        "compression" => "compression",
        "persistence" => "unlogged",
        "storage parameters" => "with",
        "exclusion constraints" => "exclude",
        "partition key" => "partition_by",
        "partitions" => "partitions",
        "check option" => "check_option",
        "security barrier" => "security_barrier",
        _ => "security_invoker",
    }
}

/// PostgreSQL's own properties a table, column or view sets: Redshift has none of them.
fn postgres_only_attrs(out: &mut Vec<Lint>, object: &str, properties: Vec<&str>, path: impl Fn(&str) -> String) {
    for property in properties {
        let help = match property {
            "collation" => "leave `collation` out: Redshift columns take the database's collation",
            "generated" => "declare the column `derived:` instead; `schema backfill` fills it",
            "identity generation" | "identity options" => "Redshift's identity takes a `seed` and a `step` only",
            "serial" => "declare an integer column with `identity: true`",
            "storage" | "compression" => "leave it out: Redshift compresses columns by `encode:`",
            "statistics target" => "leave it out: Redshift's ANALYZE samples on its own",
            "persistence" => "leave `unlogged` out (`backup: false` keeps a table out of snapshots)",
            "storage parameters" => "leave `with` out: Redshift manages its storage itself",
            "exclusion constraints" => "leave `exclude` out: Redshift enforces no constraint but NOT NULL",
            "partition key" | "partitions" => {
                "declare a `sort_key:` instead: Redshift skips the blocks a query's range excludes"
            }
            _ => "leave it out: Redshift views take no options",
        };
        let what = match property {
            "collation" => "column collations",
            "generated" => "generated columns",
            "identity generation" => "identities GENERATED ALWAYS",
            "identity options" => "identity sequence options",
            "serial" => "serial types",
            "storage" => "column storage modes",
            "statistics target" => "per-column statistics targets",
            "compression" => "TOAST compression",
            "persistence" => "unlogged tables",
            "storage parameters" => "storage parameters",
            "exclusion constraints" => "exclusion constraints",
            "partition key" | "partitions" => "declarative partitioning",
            "check option" => "view check options",
            "security barrier" => "security barrier views",
            _ => "security invoker views",
        };
        let key = postgres_key(property);
        let message = format!("Redshift has no {what} (`{key}`), and Redshift is a target dialect of this project");
        out.push(at(object, &path(property), message, Some(help)));
    }
}

fn at(object: &str, path: &str, message: String, help: Option<&str>) -> Lint {
    Lint { object: object.to_string(), path: path.to_string(), message, help: help.map(str::to_string) }
}

fn column(out: &mut Vec<Lint>, t: &Table, i: usize, c: &Column) {
    let path = |field: &str| format!("columns.{i}.{field}");
    // "Unsupported PostgreSQL data types": TEXT silently becomes VARCHAR(256), no UUID.
    let help = match &c.ty {
        ColumnType::Text => Some("declare varchar(n) with the longest length you expect, e.g. varchar(1024)"),
        ColumnType::Uuid => Some("declare char(36)"),
        ColumnType::Array(_) => Some("declare json (Redshift SUPER), which holds arrays"),
        ColumnType::Enum(_) => Some("declare varchar(n) and list its values in an `accepted_values` check"),
        ColumnType::Native(name) => Some(native_help(name)),
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
    if let Some(enc) = &c.redshift.encode {
        if !encoding_fits(enc, &c.ty) {
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
        if let Ok(e) = expr::expression(default, Redshift.grammars(), Role::Default) {
            for problem in default_problems(&e).into_iter().chain(e.postgres_only()) {
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

/// What to declare instead of a PostgreSQL type carried as written (PostgreSQL-only projects).
fn native_help(name: &str) -> &'static str {
    let word = name.split(['(', ' ']).next().unwrap_or(name);
    match word {
        "numeric" => "declare decimal(p,s): Redshift keeps at most 38 digits",
        "character" => "declare varchar(n) with the longest length you expect",
        "timestamp" | "time" => "declare timestamp, timestamptz or time without a precision",
        "interval" => "declare a bigint number of seconds, or two timestamps",
        "bytea" | "bit" => "declare varchar(n) holding the bytes hex-encoded",
        _ => "declare one of the portable types, or deploy to PostgreSQL only (`dialects: [postgres]`)",
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
    let Ok(query) = expr::query(&body, Redshift.grammars()) else { return };
    for what in postgres_only(query.postgres_only(), query.functions()) {
        out.push(at(&v.name, "sql", format!("the SQL uses {what}, which Redshift does not have"), None));
    }
    // AWS "CREATE VIEW", WITH NO SCHEMA BINDING: the tables and views the query references
    // must be qualified with a schema name.
    if v.late_binding {
        for name in query.unqualified_relations() {
            let message =
                format!("a late-binding view must qualify every table it reads with its schema: `{name}` is not");
            let help = format!("write {{{{ ref('{name}') }}}} for an object of the project, or schema.{name}");
            out.push(at(&v.name, "sql", message, Some(&help)));
        }
    }
    if v.materialized {
        for what in materialized_view_limits(&query, v.redshift.auto_refresh) {
            let message = format!("a Redshift materialized view cannot use {what} (AWS \"CREATE MATERIALIZED VIEW\")");
            out.push(at(&v.name, "sql", message, None));
        }
    }
}

/// The data types each encoding takes (AWS "Compression encodings", its table of encodings and
/// data types). SUPER takes RAW, LZO and ZSTD; TIME is kept to the encodings known to take it.
fn encoding_fits(encoding: &str, ty: &ColumnType) -> bool {
    use ColumnType::*;
    let int = matches!(ty, SmallInt | Integer | BigInt);
    let number = int || matches!(ty, Decimal(..));
    let float = matches!(ty, Real | Double);
    let string = matches!(ty, Char(_) | Varchar(_) | Text | Uuid);
    let moment = matches!(ty, Date | Timestamp | TimestampTz);
    match encoding {
        "raw" | "zstd" => true,
        "az64" => number || moment || *ty == Time,
        "bytedict" => number || float || string || moment,
        "delta" => number || moment,
        "delta32k" => matches!(ty, Integer | BigInt | Decimal(..)) || matches!(ty, Date | Timestamp),
        "lzo" => number || string || moment || *ty == Json,
        "mostly8" => number,
        "mostly16" => matches!(ty, Integer | BigInt | Decimal(..)),
        "mostly32" => matches!(ty, BigInt | Decimal(..)),
        "runlength" => number || float || string || moment || *ty == Boolean,
        "text255" | "text32k" => matches!(ty, Varchar(_)),
        _ => true,
    }
}

/// Leader node–only functions: a query that reads a table cannot call them (AWS, Amazon Redshift
/// Database Developer Guide, "Leader node–only functions", with its deprecated date and string
/// functions).
const LEADER_NODE_ONLY: &str = "\
    current_schema current_schemas has_database_privilege has_schema_privilege has_table_privilege \
    substr factorial log age current_time current_timestamp localtime isfinite now getbit get_byte \
    set_bit set_byte to_ascii";

/// Functions whose result changes from call to call, which `AUTO REFRESH YES` refuses (AWS,
/// "CREATE MATERIALIZED VIEW", Limitations): the date and math functions listed under
/// "Limitations for incremental refresh" on "REFRESH MATERIALIZED VIEW" (DATE, DATE_PART and
/// DATE_TRUNC of a timestamp are immutable, so left out) with its leader-node date functions,
/// plus GETDATE and LOCALTIMESTAMP.
const MUTABLE: &str = "\
    getdate sysdate current_date timeofday random to_timestamp date_cmp_timestamptz now \
    current_time current_timestamp localtime localtimestamp age";

/// PostgreSQL functions Redshift lacks (AWS, "Unsupported PostgreSQL functions", with its sequence
/// manipulation functions), plus the UUID generators PostgreSQL 8.0, Redshift's base, predates.
const NOT_IN_REDSHIFT: &str = "\
    string_agg array_agg every xmlagg corr covar_pop covar_samp regr_avgx regr_avgy regr_count \
    regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy clock_timestamp justify_days \
    justify_hours justify_interval pg_sleep transaction_timestamp div setseed width_bucket \
    generate_series generate_subscripts bit_length overlay convert_from convert_to encode format \
    quote_nullable regexp_matches regexp_split_to_array regexp_split_to_table nextval currval \
    setval lastval gen_random_uuid uuid_generate_v4";

/// PostgreSQL-only constructs and functions in a text that also runs on Redshift.
fn postgres_only<'a>(constructs: Vec<String>, functions: impl Iterator<Item = &'a str>) -> Vec<String> {
    let missing = functions.filter(|f| listed(NOT_IN_REDSHIFT, f)).map(|f| format!("function {f}()"));
    constructs.into_iter().chain(missing).collect()
}

/// A column default's functions Redshift lacks or runs only on the leader node (which an INSERT
/// into a table is not), with what to use instead.
fn default_problems(e: &Expression) -> Vec<String> {
    const CLOCKS: &str = "now current_timestamp current_time localtime clock_timestamp transaction_timestamp";
    let mut out = Vec::new();
    for f in e.functions() {
        let why = if listed(LEADER_NODE_ONLY, &f) {
            "runs only on the leader node in Redshift"
        } else if listed(NOT_IN_REDSHIFT, &f) {
            "does not exist in Redshift"
        } else {
            continue;
        };
        let instead = match f.as_str() {
            f if listed(CLOCKS, f) => "; use GETDATE() or SYSDATE",
            "gen_random_uuid" | "uuid_generate_v4" => "; let the loader supply the value",
            "nextval" => "; use `identity`",
            _ => "",
        };
        out.push(format!("{f}() {why}{instead}"));
    }
    out
}

/// Why Redshift refuses `q` as a materialized view body (AWS, "CREATE MATERIALIZED VIEW",
/// Limitations): top-level ORDER BY / LIMIT / OFFSET, leader-node functions, system tables and
/// views, and with `AUTO REFRESH YES` mutable functions. Reading a plain view is checked on the
/// model (`view`).
fn materialized_view_limits(q: &Query, auto_refresh: bool) -> Vec<String> {
    let mut out: Vec<String> = q.top_level().iter().map(|s| s.to_string()).collect();
    out.extend(q.functions().filter(|f| listed(LEADER_NODE_ONLY, f)).map(|f| format!("leader-node function {f}()")));
    out.extend(q.relations().filter(|r| is_system(r)).map(|r| format!("system table {r}")));
    if auto_refresh {
        out.extend(q.functions().filter(|f| listed(MUTABLE, f)).map(|f| format!("mutable function {f}()")));
    }
    out
}

/// A catalog table or view: PostgreSQL's and Redshift's system tables and views.
fn is_system(relation: &str) -> bool {
    const PREFIXES: &[&str] = &["pg_", "stl_", "stv_", "svl_", "svv_", "sys_"];
    relation.split('.').any(|part| part == "information_schema" || PREFIXES.iter().any(|p| part.starts_with(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redshift_defaults() {
        let cases: &[(&str, &[&str])] = &[
            ("GETDATE()", &[]),
            ("SYSDATE", &[]),
            ("'Unknown'", &[]),
            ("now()", &["now() runs only on the leader node in Redshift; use GETDATE() or SYSDATE"]),
            (
                "CURRENT_TIMESTAMP",
                &["current_timestamp() runs only on the leader node in Redshift; use GETDATE() or SYSDATE"],
            ),
            ("gen_random_uuid()", &["gen_random_uuid() does not exist in Redshift; let the loader supply the value"]),
            ("nextval('s')", &["nextval() does not exist in Redshift; use `identity`"]),
        ];
        for (text, problems) in cases {
            let e = expr::expression(text, Redshift.grammars(), Role::Default).unwrap();
            assert_eq!(default_problems(&e), *problems, "`{text}`");
        }
    }

    #[test]
    fn materialized_view_bodies() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("SELECT a, COUNT(*) FROM t GROUP BY a", &[], &[]),
            ("SELECT a FROM t ORDER BY a", &["ORDER BY"], &["ORDER BY"]),
            (
                "(SELECT a FROM t ORDER BY a LIMIT 5 OFFSET 2)",
                &["ORDER BY", "LIMIT", "OFFSET"],
                &["ORDER BY", "LIMIT", "OFFSET"],
            ),
            ("SELECT a FROM t WHERE a IN (SELECT b FROM u ORDER BY b LIMIT 1)", &[], &[]),
            (
                "(SELECT a FROM t ORDER BY a) ORDER BY a FETCH FIRST 5 ROWS ONLY",
                &["ORDER BY", "FETCH"],
                &["ORDER BY", "FETCH"],
            ),
            (
                "SELECT a, now() FROM t",
                &["leader-node function now()"],
                &["leader-node function now()", "mutable function now()"],
            ),
            (
                "SELECT relname FROM pg_catalog.pg_class",
                &["system table pg_catalog.pg_class"],
                &["system table pg_catalog.pg_class"],
            ),
            ("SELECT query FROM stl_query JOIN t ON TRUE", &["system table stl_query"], &["system table stl_query"]),
            ("SELECT a FROM t WHERE d > GETDATE() - 7", &[], &["mutable function getdate()"]),
            (
                "SELECT a FROM t WHERE d > SYSDATE AND r < RANDOM()",
                &[],
                &["mutable function random()", "mutable function sysdate()"],
            ),
            ("SELECT DATE(ts), DATE_TRUNC('day', ts) FROM t", &[], &[]),
        ];
        for (text, manual, auto) in cases {
            let q = expr::query(text, Redshift.grammars()).unwrap_or_else(|e| panic!("`{text}`: {e}"));
            assert_eq!(materialized_view_limits(&q, false), *manual, "`{text}`");
            assert_eq!(materialized_view_limits(&q, true), *auto, "`{text}` with AUTO REFRESH");
        }
    }

    #[test]
    fn functions_redshift_lacks() {
        let q = expr::query("SELECT STRING_AGG(a, ',') FROM t, LATERAL (SELECT 1) s", Redshift.grammars()).unwrap();
        assert_eq!(postgres_only(q.postgres_only(), q.functions()), ["LATERAL", "function string_agg()"]);
    }
}
