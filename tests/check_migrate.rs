//! What `check` accepts, `migrate` applies: each case here was once accepted by the loader and
//! refused by PostgreSQL (found by hand or by tests/fuzz_projects.rs). The refused form must
//! now fail at load, naming its file; the accepted neighbour must still apply on a real server.

mod common;

use schema::model::{Dialect, Project};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const PROJECT: &str = "name: p\nnamespace: ns\ndialects: [postgres]\n";

fn load(project: &str, tables: &[&str]) -> Result<Project, Vec<schema::load::Diagnostic>> {
    let dir = Path::new("/p/schema");
    let mut files = vec![(dir.join("schema.yaml"), Ok(project.to_string()))];
    for (i, t) in tables.iter().enumerate() {
        files.push((dir.join(format!("tables/t{i}.yaml")), Ok(t.to_string())));
    }
    schema::load::load_texts(dir, files)
}

/// The project is refused, with a diagnostic in `file` whose message holds `needle`.
fn refused(project: &str, tables: &[&str], file: &str, needle: &str) {
    let diags = load(project, tables).err().unwrap_or_else(|| panic!("accepted, expected `{needle}`:\n{tables:?}"));
    assert!(
        diags.iter().any(|d| d.file == PathBuf::from("/p/schema").join(file) && d.message.contains(needle)),
        "expected `{needle}` in {file}, got:\n{}",
        diags.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
    );
}

/// The project loads, and its first migration applies on PostgreSQL (rolled back).
fn applies(project: &str, tables: &[&str]) -> postgres::Client {
    let loaded = load(project, tables).unwrap_or_else(|d| panic!("refused: {d:?}\n{tables:?}"));
    let ddl = schema::plan::create_all(&loaded.enabled(), Dialect::Postgres).unwrap();
    let mut client = client();
    client
        .batch_execute(&format!("BEGIN;\n{ddl}\n"))
        .unwrap_or_else(|e| panic!("{}\n{ddl}", schema::error::describe(&e)));
    client
}

fn client() -> postgres::Client {
    static URL: OnceLock<String> = OnceLock::new();
    let url = URL.get_or_init(common::fresh_database);
    schema::db::Target::parse(url, None, std::time::Duration::from_secs(10)).unwrap().connect().unwrap()
}

fn table(columns: &str) -> String {
    format!("table: t\ncolumns:\n  - {{ name: id, type: integer, primary_key: true }}\n{columns}")
}

#[test]
fn objects_and_arrays_go_only_into_json_columns_and_store_as_json() {
    let t = table(
        "  - { name: doc, type: json }\n  - { name: label, type: varchar(20) }\nrows:\n  - { id: 1, doc: { a: [1, \"x'y\"] } }\n  - { id: 2, doc: [true, null] }\n  - { id: 3, doc: \"it's\" }\n  - { id: 4, doc: 2.5 }\n  - { id: 5, doc: false }\n",
    );
    let mut client = applies(PROJECT, &[&t]);
    let rows: Vec<String> =
        client.query("SELECT doc::text FROM ns.t ORDER BY id", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(rows, [r#"{"a": [1, "x'y"]}"#, "[true, null]", r#""it's""#, "2.5", "false"]);
    client.batch_execute("ROLLBACK").unwrap();
    for value in ["{ a: 1 }", "[1, 2]"] {
        let t = table(&format!("  - {{ name: label, type: varchar(20) }}\nrows:\n  - {{ id: 1, label: {value} }}\n"));
        refused(PROJECT, &[&t], "tables/t0.yaml", "does not fit column `label`");
    }
}

#[test]
fn foreign_keys_join_only_types_postgresql_compares() {
    let parent = |ty: &str| format!("table: p\ncolumns:\n  - {{ name: k, type: \"{ty}\", primary_key: true }}\n");
    let child = |ty: &str| format!("table: c\ncolumns:\n  - {{ name: k, type: \"{ty}\", references: p.k }}\n");
    for (ours, theirs) in
        [("decimal(18,0)", "integer"), ("real", "integer"), ("double", "decimal(10,2)"), ("text", "uuid")]
    {
        refused(PROJECT, &[&parent(theirs), &child(ours)], "tables/t1.yaml", "cannot reference");
    }
    for (ours, theirs) in [
        ("integer", "decimal(18,0)"),
        ("bigint", "smallint"),
        ("decimal(5,2)", "double"),
        ("char(5)", "varchar(5)"),
        ("varchar(5)", "char(5)"),
    ] {
        applies(PROJECT, &[&parent(theirs), &child(ours)]);
    }
}

#[test]
fn nul_characters_are_refused_in_every_file_and_field() {
    let nul_in = |field: &str| table(&format!("  - {{ name: c, type: text, {field}: \"a\\0b\" }}\n"));
    refused(PROJECT, &[&nul_in("description")], "tables/t0.yaml", "NUL character");
    refused(PROJECT, &[&nul_in("default")], "tables/t0.yaml", "NUL character");
    let row = table("  - { name: c, type: text }\nrows:\n  - { id: 1, c: \"\\u0000\" }\n");
    refused(PROJECT, &[&row], "tables/t0.yaml", "NUL character");
    let name = "name: \"p\\x00\"\nnamespace: ns\ndialects: [postgres]\n";
    refused(name, &[&table("")], "schema.yaml", "NUL character");
    refused(PROJECT, &[&table("").replace("table: t", "table: t\ndescription: a\0b")], "tables/t0.yaml", "NUL");
}

#[test]
fn numbers_too_large_for_their_column_are_refused() {
    for ty in ["decimal(38,0)", "real"] {
        let t = table(&format!("  - {{ name: n, type: \"{ty}\" }}\nrows:\n  - {{ id: 1, n: 1e300 }}\n"));
        refused(PROJECT, &[&t], "tables/t0.yaml", "does not fit column `n`");
    }
    let t = table("  - { name: n, type: \"decimal(38,0)\" }\n  - { name: r, type: real }\nrows:\n  - { id: 1, n: 1e30, r: 1e38 }\n");
    applies(PROJECT, &[&t]);
}

#[test]
fn system_schemas_are_no_namespace() {
    for ns in ["pg_catalog", "pg_temp", "pg_toast", "information_schema", "pg_mine"] {
        let project = PROJECT.replace("namespace: ns", &format!("namespace: {ns}"));
        refused(&project, &[&table("")], "schema.yaml", "system schema");
    }
    applies(&PROJECT.replace("namespace: ns", "namespace: public"), &[&table("")]);
}

#[test]
fn literal_defaults_and_row_strings_must_be_values_of_their_column() {
    for (ty, default) in [
        ("real", "\"'{}'\""),
        ("boolean", "\"0\""),
        ("integer", "\"TRUE\""),
        ("date", "\"'xyz'\""),
        ("json", "\"1\""),
        ("uuid", "\"'x'\""),
        ("smallint", "\"99999\""),
        ("varchar(3)", "\"'abcd'\""),
        ("boolean", "2024-02-30"),
    ] {
        let t = table(&format!("  - {{ name: c, type: \"{ty}\", default: {default} }}\n"));
        refused(PROJECT, &[&t], "tables/t0.yaml", "`default`");
    }
    for (ty, value) in [("date", "\"01/02/2024\""), ("uuid", "\"x\""), ("decimal(5,2)", "\"1e3\"")] {
        let t = table(&format!("  - {{ name: c, type: \"{ty}\" }}\nrows:\n  - {{ id: 1, c: {value} }}\n"));
        refused(PROJECT, &[&t], "tables/t0.yaml", "does not fit column `c`");
    }
    let t = table(
        "  - { name: a, type: real, default: \"'1.5'\" }\n  - { name: b, type: text, default: \"0\" }\n  - { name: c, type: json, default: \"'{}'\" }\n  - { name: d, type: timestamptz, default: \"'2024-01-01 00:00:00+02'\" }\n  - { name: e, type: boolean, default: \"'yes'\" }\n  - { name: f, type: date }\nrows:\n  - { id: 1, f: \"2024-02-29\" }\n",
    );
    applies(PROJECT, &[&t]);
}

#[test]
fn index_predicates_must_be_conditions() {
    let t = |predicate: &str| {
        table(&format!(
            "  - {{ name: flag, type: varchar(5) }}\n  - {{ name: active, type: boolean }}\nindexes:\n  - {{ name: i, columns: [id], where: \"{predicate}\" }}\n"
        ))
    };
    for predicate in ["flag", "-1e300", "(1)", "'x'"] {
        refused(PROJECT, &[&t(predicate)], "tables/t0.yaml", "not a condition");
    }
    applies(PROJECT, &[&t("active")]);
}

#[test]
fn keywords_and_type_names_are_no_column_or_function_names() {
    let view = |sql: &str| format!("view: v\nsql: {sql}\n");
    let dir = Path::new("/p/schema");
    for (sql, word) in [
        ("SELECT SELECT id FROM {{ ref('t') }}", "SELECT"),
        ("SELECT id FROM {{ ref('t') }} AS table", "table"),
        ("SELECT id FROM {{ ref('t') }} WHERE select", "select"),
    ] {
        let files = vec![
            (dir.join("schema.yaml"), Ok(PROJECT.to_string())),
            (dir.join("tables/t.yaml"), Ok(table(""))),
            (dir.join("views/v.yaml"), Ok(view(sql))),
        ];
        let diags = schema::load::load_texts(dir, files).unwrap_err();
        assert!(diags.iter().any(|d| d.message.contains(&format!("`{word}` is a keyword"))), "{sql}: {diags:?}");
    }
    for default in ["decimal(38,0)", "char(3)"] {
        let t = table(&format!("  - {{ name: c, type: text, default: \"{default}\" }}\n"));
        refused(PROJECT, &[&t], "tables/t0.yaml", "is a keyword or type name");
    }
}

#[test]
fn reference_rows_repeat_no_key() {
    let t = |rows: &str| {
        format!(
            "table: t\ncolumns:\n  - {{ name: id, type: integer, primary_key: true }}\n  - {{ name: code, type: text, unique: true }}\n  - {{ name: name, type: text }}\n  - {{ name: active, type: boolean, default: \"TRUE\" }}\nindexes:\n  - {{ name: one_active, columns: [name], unique: true, where: active }}\nrows:\n{rows}"
        )
    };
    for rows in [
        "  - { id: 1 }\n  - { id: 1.0 }\n",
        "  - { id: 1, code: a }\n  - { id: 2, code: a }\n",
        "  - { id: 1, name: x, active: true }\n  - { id: 2, name: x }\n",
    ] {
        refused(PROJECT, &[&t(rows)], "tables/t0.yaml", "a unique key of table `t`");
    }
    applies(
        PROJECT,
        &[&t("  - { id: 1, code: a, name: x }\n  - { id: 2, name: x, active: false }\n  - { id: 3 }\n  - { id: 4 }\n")],
    );
}

/// Reference-row numbers are stored as written or refused: the least values of smallint and
/// integer apply, and the text forms of YAML's infinities and not-a-number land as such in a
/// double precision column (the bare YAML forms are refused: tests/malformed/cases/92_*).
#[test]
fn row_numbers_at_the_edges_are_stored_as_written() {
    let t = table(
        "  - { name: s, type: smallint }\n  - { name: d, type: double precision }\nrows:\n  - { id: -2147483648, s: -32768, d: \"-Infinity\" }\n  - { id: 2147483647, s: 32767, d: \"NaN\" }\n",
    );
    let mut client = applies(PROJECT, &[&t]);
    let rows: Vec<String> = client
        .query("SELECT id || ' ' || s || ' ' || d FROM ns.t ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(rows, ["-2147483648 -32768 -Infinity", "2147483647 32767 NaN"]);
    refused(
        PROJECT,
        &[&table("  - { name: s, type: smallint }\nrows:\n  - { id: 1, s: -32769 }\n")],
        "tables/t0.yaml",
        "does not fit",
    );
}
