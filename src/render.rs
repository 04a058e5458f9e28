//! Model → SQL through the minijinja templates in `templates/<dialect>/`, one template per kind
//! of operation. Identifiers are quoted and literals escaped (for the dialect) by filters, so
//! templates never build SQL from raw strings. Output is deterministic and LF-only.

use crate::dialect::{driver, ops::Op};
use crate::error::{Error, Result};
use crate::model::{ColumnType, Dialect};
use crate::sql::lexer::split_statements;
use crate::sql::{expand_refs, ident, qualified, transaction_control};
use minijinja::value::{Value, ViaDeserialize};
use minijinja::{Environment, UndefinedBehavior};

/// Templates are compiled into the binary so `schema` works from any folder. Migration
/// templates are named after the change they render; the others hold the queries of
/// validate, backfill, refresh and seed.
const TEMPLATES: &[(&str, &str, &str)] = &[
    ("common", "create_schema", include_str!("../templates/common/create_schema.sql.j2")),
    ("common", "constraint", include_str!("../templates/common/constraint.sql.j2")),
    ("common", "constraints", include_str!("../templates/common/constraints.sql.j2")),
    ("common", "comments", include_str!("../templates/common/comments.sql.j2")),
    ("common", "rows", include_str!("../templates/common/rows.sql.j2")),
    ("common", "drop_table", include_str!("../templates/common/drop_table.sql.j2")),
    ("common", "drop_view", include_str!("../templates/common/drop_view.sql.j2")),
    ("common", "backfill", include_str!("../templates/common/backfill.sql.j2")),
    ("common", "drop_column", include_str!("../templates/common/drop_column.sql.j2")),
    ("common", "rename_column", include_str!("../templates/common/rename_column.sql.j2")),
    ("common", "comment", include_str!("../templates/common/comment.sql.j2")),
    ("common", "add_constraint", include_str!("../templates/common/add_constraint.sql.j2")),
    ("common", "drop_constraint", include_str!("../templates/common/drop_constraint.sql.j2")),
    ("common", "insert_rows", include_str!("../templates/common/insert_rows.sql.j2")),
    ("common", "delete_rows", include_str!("../templates/common/delete_rows.sql.j2")),
    ("common", "refresh", include_str!("../templates/common/refresh.sql.j2")),
    ("common", "checks", include_str!("../templates/common/checks.sql.j2")),
    ("common", "validate", include_str!("../templates/common/validate.sql.j2")),
    ("common", "validate_unique", include_str!("../templates/common/validate_unique.sql.j2")),
    ("common", "validate_relationships", include_str!("../templates/common/validate_relationships.sql.j2")),
    ("common", "validation_failures", include_str!("../templates/common/validation_failures.sql.j2")),
    ("common", "validate_history", include_str!("../templates/common/validate_history.sql.j2")),
    ("common", "backfill_lookup", include_str!("../templates/common/backfill_lookup.sql.j2")),
    ("common", "validate_rows", include_str!("../templates/common/validate_rows.sql.j2")),
    ("common", "validation_runs", include_str!("../templates/common/validation_runs.sql.j2")),
    ("common", "backfill_batch", include_str!("../templates/common/backfill_batch.sql.j2")),
    ("common", "grants", include_str!("../templates/common/grants.sql.j2")),
    ("common", "object_grants", include_str!("../templates/common/object_grants.sql.j2")),
    ("postgres", "grantee", include_str!("../templates/postgres/grantee.sql.j2")),
    ("redshift", "grantee", include_str!("../templates/redshift/grantee.sql.j2")),
    ("postgres", "seed", include_str!("../templates/postgres/seed.sql.j2")),
    ("postgres", "create_refresh_procedure", include_str!("../templates/postgres/create_refresh_procedure.sql.j2")),
    ("redshift", "create_refresh_procedure", include_str!("../templates/redshift/create_refresh_procedure.sql.j2")),
    ("postgres", "create_table", include_str!("../templates/postgres/create_table.sql.j2")),
    ("postgres", "create_view", include_str!("../templates/postgres/create_view.sql.j2")),
    ("postgres", "add_column", include_str!("../templates/postgres/add_column.sql.j2")),
    ("postgres", "alter_column", include_str!("../templates/postgres/alter_column.sql.j2")),
    ("postgres", "indexes", include_str!("../templates/postgres/indexes.sql.j2")),
    ("postgres", "index_definition", include_str!("../templates/postgres/index_definition.sql.j2")),
    ("postgres", "create_index", include_str!("../templates/postgres/create_index.sql.j2")),
    ("postgres", "drop_index", include_str!("../templates/postgres/drop_index.sql.j2")),
    ("postgres", "rename_constraint", include_str!("../templates/postgres/rename_constraint.sql.j2")),
    ("postgres", "alter_constraint", include_str!("../templates/postgres/alter_constraint.sql.j2")),
    ("redshift", "create_table", include_str!("../templates/redshift/create_table.sql.j2")),
    ("redshift", "table_definition", include_str!("../templates/redshift/table_definition.sql.j2")),
    ("redshift", "create_view", include_str!("../templates/redshift/create_view.sql.j2")),
    ("redshift", "add_column", include_str!("../templates/redshift/add_column.sql.j2")),
    ("redshift", "alter_column", include_str!("../templates/redshift/alter_column.sql.j2")),
    ("redshift", "rebuild_column", include_str!("../templates/redshift/rebuild_column.sql.j2")),
    ("redshift", "deep_copy", include_str!("../templates/redshift/deep_copy.sql.j2")),
    ("redshift", "alter_distribution", include_str!("../templates/redshift/alter_distribution.sql.j2")),
    ("redshift", "alter_sort_key", include_str!("../templates/redshift/alter_sort_key.sql.j2")),
    ("redshift", "alter_encoding", include_str!("../templates/redshift/alter_encoding.sql.j2")),
    ("redshift", "sort_key_none", include_str!("../templates/redshift/sort_key_none.sql.j2")),
    ("common", "check_fits", include_str!("../templates/common/check_fits.sql.j2")),
    ("common", "check_empty", include_str!("../templates/common/check_empty.sql.j2")),
    ("postgres", "lengths", include_str!("../templates/postgres/lengths.sql.j2")),
    ("redshift", "lengths", include_str!("../templates/redshift/lengths.sql.j2")),
    ("redshift", "check_encoding", include_str!("../templates/redshift/check_encoding.sql.j2")),
    ("redshift", "privileges", include_str!("../templates/redshift/privileges.sql.j2")),
    ("redshift", "save_privileges", include_str!("../templates/redshift/save_privileges.sql.j2")),
    ("redshift", "restore_privileges", include_str!("../templates/redshift/restore_privileges.sql.j2")),
    ("common", "grant_usage", include_str!("../templates/common/grant_usage.sql.j2")),
    ("postgres", "set_schema", include_str!("../templates/postgres/set_schema.sql.j2")),
    ("postgres", "attrs", include_str!("../templates/postgres/attrs.sql.j2")),
    ("postgres", "regenerate_column", include_str!("../templates/postgres/regenerate_column.sql.j2")),
    ("postgres", "set_options", include_str!("../templates/postgres/set_options.sql.j2")),
    // The Redshift lint refuses `exclude:`.
    ("postgres", "exclusions", include_str!("../templates/postgres/exclusions.sql.j2")),
    ("postgres", "partition", include_str!("../templates/postgres/partition.sql.j2")),
    // Enum types are PostgreSQL's: the Redshift lint refuses them.
    ("postgres", "create_enum", include_str!("../templates/postgres/create_enum.sql.j2")),
    ("postgres", "add_enum_value", include_str!("../templates/postgres/add_enum_value.sql.j2")),
    ("postgres", "drop_enum", include_str!("../templates/postgres/drop_enum.sql.j2")),
    // So are sequences.
    ("postgres", "sequence", include_str!("../templates/postgres/sequence.sql.j2")),
    ("postgres", "extension", include_str!("../templates/postgres/extension.sql.j2")),
    ("postgres", "domain", include_str!("../templates/postgres/domain.sql.j2")),
    ("common", "migrate_script", include_str!("../templates/common/migrate_script.sql.j2")),
    ("postgres", "utc_now", include_str!("../templates/postgres/utc_now.sql.j2")),
    ("redshift", "utc_now", include_str!("../templates/redshift/utc_now.sql.j2")),
];

pub struct Renderer {
    env: Environment<'static>,
    namespace: String,
    dialect: Dialect,
}

impl Renderer {
    pub fn new(dialect: Dialect, namespace: &str) -> Renderer {
        let mut env = base_env();
        let d = driver(dialect);
        env.add_filter("literal", move |value: Value| literal(d, value));
        env.add_filter("runtime_literal", move |text: &str| runtime_literal(d, text));
        env.add_filter("value", move |value: Value, ty: ViaDeserialize<ColumnType>| value_literal(d, value, &ty.0));
        // JSON text as a value of the dialect's JSON type (NULL for none).
        env.add_filter("json_value", move |text: Option<String>| match text {
            Some(json) => d.json_literal(&json),
            None => "NULL".to_string(),
        });
        for (d, name, source) in TEMPLATES {
            if *d == "common" || *d == dialect.name() {
                env.add_template(name, source).expect("shipped templates compile");
            }
        }
        let ns = namespace.to_string();
        env.add_filter("qualify", move |key: &str| qualified(&ns, key));
        env.add_global("saved_privileges_table", crate::layout::SAVED_PRIVILEGES_TABLE);
        // The model leaves PostgreSQL's attributes out where they are the defaults.
        use crate::dialect::postgres::attrs::{ColumnAttrs, TableAttrs, ViewAttrs};
        let defaults = serde_json::json!({
            "column": ColumnAttrs::default(),
            "table": TableAttrs::default(),
            "view": ViewAttrs::default(),
        });
        env.add_global("postgres_defaults", Value::from_serialize(defaults));
        // A view's options as the catalog stores them (`ViewAttrs::options`).
        env.add_filter("view_options", |v: ViaDeserialize<ViewAttrs>| Value::from_serialize(v.0.options()));
        // `RANGE ("day")`, and the partitions of table `key` to create (`Partitioning::created`).
        use crate::dialect::postgres::attrs::Partitioning;
        env.add_filter("partition_key", |p: ViaDeserialize<Partitioning>| p.0.key_sql());
        env.add_filter("partitions", |p: ViaDeserialize<Partitioning>, key: &str| {
            Value::from_serialize(p.0.created(key))
        });
        // The object's name without its namespace (RENAME TO takes no schema), and its namespace.
        env.add_filter("bare", |key: &str| crate::model::split_key(key).1.to_string());
        let ns = namespace.to_string();
        env.add_filter("schema_of", move |key: &str| crate::model::split_key(key).0.unwrap_or(&ns).to_string());
        let ns = namespace.to_string();
        // `ns.name` for messages, unquoted.
        env.add_filter("display", move |key: &str| crate::model::display_key(&ns, key));
        let ns = namespace.to_string();
        // A type as the model serialises it (`ColumnType`'s serde: text, or `{native: text}`).
        env.add_filter("sqltype", move |ty: ViaDeserialize<ColumnType>| d.type_sql(&ty.0, &ns));
        let ns = namespace.to_string();
        env.add_filter("body", move |sql: &str| -> std::result::Result<String, minijinja::Error> {
            let body = expand_refs(sql, &ns)
                .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.message))?;
            Ok(body.0)
        });
        Renderer { env, namespace: namespace.to_string(), dialect }
    }

    /// The SQL of one operation, ending in a newline.
    pub fn op(&self, op: &Op) -> Result<String> {
        let name = op.template();
        let template = self.env.get_template(name).map_err(|e| Error::new(format!("template: {e:#}")))?;
        let ctx = minijinja::context! {
            ns => &self.namespace,
            dialect => self.dialect.name(),
            change => Value::from_serialize(op),
        };
        let sql = template.render(ctx).map_err(|e| Error::new(format!("rendering {name}: {e:#}")))?;
        Ok(format!("{}\n", sql.trim_end()))
    }

    /// A query or command from the template `name` (not a migration change), without the
    /// trailing newline. It must be one statement: the queries of validate, backfill, refresh
    /// and seed are sent one at a time, so nothing from the YAML can append another.
    pub fn query(&self, name: &str, ctx: Value) -> Result<String> {
        let template = self.env.get_template(name).map_err(|e| Error::new(format!("template: {e:#}")))?;
        let ctx = minijinja::context! { ns => &self.namespace, dialect => self.dialect.name(), ..ctx };
        let sql = template.render(ctx).map_err(|e| Error::new(format!("rendering {name}: {e:#}")))?;
        let statements = self.statements(name, &sql)?.len();
        if statements > 1 {
            return Err(Error::new(format!("refusing to send {name}: it holds {statements} statements, not one")));
        }
        Ok(sql.trim().to_string())
    }

    /// A whole script from the template `name`, for a client other than this tool to run.
    pub fn text(&self, name: &str, ctx: Value) -> Result<String> {
        let template = self.env.get_template(name).map_err(|e| Error::new(format!("template: {e:#}")))?;
        let ctx = minijinja::context! { ns => &self.namespace, dialect => self.dialect.name(), ..ctx };
        template.render(ctx).map_err(|e| Error::new(format!("rendering {name}: {e:#}")))
    }

    /// The statements of a template that holds several (the tool's own bookkeeping: the runs
    /// table and its rows, the end of a seed), each to be sent on its own.
    pub fn script(&self, name: &str, ctx: Value) -> Result<Vec<String>> {
        let template = self.env.get_template(name).map_err(|e| Error::new(format!("template: {e:#}")))?;
        let ctx = minijinja::context! { ns => &self.namespace, dialect => self.dialect.name(), ..ctx };
        let sql = template.render(ctx).map_err(|e| Error::new(format!("rendering {name}: {e:#}")))?;
        Ok(self.statements(name, &sql)?.into_iter().map(str::to_string).collect())
    }

    /// The statements of a rendered query or script, none of them transaction control: each is
    /// sent on a connection whose transactions are the tool's.
    fn statements<'a>(&self, name: &str, sql: &'a str) -> Result<Vec<&'a str>> {
        let escapes = driver(self.dialect).escapes();
        let statements = split_statements(sql, escapes);
        match statements.iter().find(|s| transaction_control(s, escapes)) {
            Some(s) => Err(Error::new(format!("refusing to send {name}: `{s:.40}` is transaction control"))),
            None => Ok(statements),
        }
    }
}

/// The environment shared by migration templates and view bodies.
fn base_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_filter("ident", |s: &str| ident(s));
    env.add_function("runtime", |name: &str| format!("{MARK}{name}{MARK}"));
    env.add_filter("dollar_quote", |body: &str| dollar_quote(body));
    // An operator class, collation or access method as the YAML names it (`schema.name`).
    env.add_filter("catalog_name", |s: &str| -> std::result::Result<String, minijinja::Error> {
        let (schema, name) = crate::model::catalog_name(s)
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e))?;
        Ok(schema.map_or_else(|| ident(&name), |schema| format!("{}.{}", ident(&schema), ident(&name))))
    });
    env.add_filter("row_columns", |columns: Vec<Value>, rows: Vec<Value>| -> Vec<Value> {
        columns.into_iter().filter(|c| rows.iter().any(|r| r.get_item(c).is_ok_and(|v| !v.is_undefined()))).collect()
    });
    env
}

/// Marks a variable inside text that becomes a literal: NUL, which the loader refuses in every
/// YAML text (neither database stores it), so no rendered text holds it otherwise.
const MARK: char = '\0';

/// Text with `runtime(var)` marks as a concatenation of literals and variables:
/// `'CREATE ... IDENTITY(' || next_0 || ',1) ...'`, for procedures that build a statement.
fn runtime_literal(d: &dyn crate::dialect::Driver, text: &str) -> String {
    let parts: Vec<String> = text
        .split(MARK)
        .enumerate()
        .filter(|(i, part)| i % 2 == 1 || !part.is_empty())
        .map(|(i, part)| if i % 2 == 1 { part.to_string() } else { d.literal(part) })
        .collect();
    if parts.is_empty() {
        d.literal("")
    } else {
        parts.join(" || ")
    }
}

/// A dollar-quoted body whose tag occurs nowhere in it, so nothing inside can end it: `$$` as
/// AWS writes procedure bodies ("CREATE PROCEDURE"), else `$body$`, `$body1$`, ...
fn dollar_quote(body: &str) -> String {
    let mut tag = String::from("$$");
    let mut n = 0;
    while body.contains(&tag) {
        tag = if n == 0 { "$body$".to_string() } else { format!("$body{n}$") };
        n += 1;
    }
    format!("{tag}{body}{tag}")
}

/// A YAML value as an SQL value of a column of type `ty`: JSON in the dialect's form for a json
/// column (Redshift would store a string literal as one string scalar), else a literal.
fn value_literal(d: &dyn crate::dialect::Driver, value: Value, ty: &ColumnType) -> String {
    if value.is_none() || *ty != ColumnType::Json {
        return literal(d, value);
    }
    d.json_literal(&serde_json::to_string(&value).unwrap_or_default())
}

/// A value as an SQL literal of the dialect: NULL, TRUE/FALSE, numbers as written, text quoted.
fn literal(d: &dyn crate::dialect::Driver, value: Value) -> String {
    if value.is_none() || value.is_undefined() {
        "NULL".into()
    } else if let Some(text) = value.as_str() {
        d.literal(text)
    } else if value.kind() == minijinja::value::ValueKind::Bool {
        if value.is_true() { "TRUE" } else { "FALSE" }.into()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_quotes_take_a_tag_the_body_lacks() {
        assert_eq!(dollar_quote("BEGIN END;"), "$$BEGIN END;$$");
        assert_eq!(dollar_quote("'$$'"), "$body$'$$'$body$");
        assert_eq!(dollar_quote("'$$' '$body$'"), "$body1$'$$' '$body$'$body1$");
    }

    #[test]
    fn literals_are_escaped_for_the_dialect() {
        let template = "{{ a | literal }} {{ b | literal }} {{ c | literal }} {{ d | literal }} {{ e | literal }}";
        let ctx = minijinja::context! { a => "it's", b => 3, c => true, d => (), e => "a\\'b" };
        let render = |d| Renderer::new(d, "ns").env.render_str(template, ctx.clone()).unwrap();
        for d in Dialect::ALL {
            assert_eq!(render(d), format!("'it''s' 3 TRUE NULL {}", driver(d).literal("a\\'b")));
        }
    }
}
