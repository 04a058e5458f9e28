//! The injection corpus: hostile text through every YAML field that reaches SQL (the project
//! name, table, column and view descriptions, reference-row values, and, written as SQL
//! literals, column defaults, a derived column, check conditions and view bodies), migrated with
//! the real binary into PostgreSQL with `standard_conforming_strings` on and off, then changed by
//! a second migration. The server must store each text exactly as the YAML says, the sentinel
//! table must survive, and nothing but the project's objects may appear. `diff`, `backfill`,
//! `validate` and `inspect` (with a hostile `--namespace`) run on the same text without effect.
//! Names are identifiers: hostile ones, and NUL in any text, are refused at load.

mod common;

use common::{psql, schema, text};
use std::path::Path;

const LONG_REPEAT: usize = 30_000;

/// Each reaches every field. Template syntax is kept out of view bodies only, which are
/// templates by design (`{{ ref('t') }}`).
fn payloads() -> Vec<String> {
    let mut p: Vec<String> = [
        "it's",
        "''",
        "\\",
        "trailing backslash\\",
        "\\\\'; DROP TABLE sentinel; --",
        "'; DROP TABLE sentinel; --",
        "$$; DROP TABLE sentinel; --$$",
        "$tag$ x $tag$",
        "$body$ $body1$",
        "-- not a comment",
        "1 >-- ' ||/* $$",
        "/* not a comment */ */",
        "line one\nDROP TABLE sentinel;\n",
        "cr\rDROP TABLE sentinel; --",
        "crlf\r\nDROP TABLE sentinel; --",
        "tab\there\u{1}\u{7f}",
        "é ü 中文 🙂 \u{202e}rtl \u{2028}sep \u{feff}bom",
        "U&'\\0041' E'\\x27' \\x00",
        "{{ ref('x') }} {% raw %} {# c #}",
        "%s %d {} \"double\" ; ",
        "  padded  ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    p.push("x'\\".repeat(LONG_REPEAT));
    p
}

/// A YAML double-quoted scalar holding exactly `s`.
fn yaml(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out + "\""
}

/// `s` as a user writes it in SQL: E'...' where a backslash or carriage return occurs (the
/// loader requires it).
fn sql_literal(s: &str) -> String {
    if s.contains(['\\', '\r']) {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''").replace('\r', "\\r"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn templated(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

fn short(s: &str) -> bool {
    s.len() < 1000
}

/// The project; `version` 2 changes every description and row value.
fn write_project(dir: &Path, version: u32) {
    let p = payloads();
    let v = |s: &str| if version == 1 { s.to_string() } else { format!("v2 {s}") };
    let name = p.iter().filter(|s| short(s)).cloned().collect::<Vec<_>>().join(" | ");
    let mut table = format!("table: inj\ndescription: {}\ncolumns:\n", yaml(&v(&p[4])));
    table.push_str("  - { name: id, type: integer, primary_key: true }\n");
    table.push_str(&format!("  - {{ name: v, type: text, description: {} }}\n", yaml(&v(&p[5]))));
    // `backfill` computes it with an UPDATE.
    table.push_str(&format!(
        "  - {{ name: d, type: text, derived: {} }}\n",
        yaml(&format!("v || {}", sql_literal(&p[4])))
    ));
    for (i, s) in p.iter().enumerate() {
        let default = if short(s) { format!(", default: {}", yaml(&sql_literal(s))) } else { String::new() };
        table.push_str(&format!("  - {{ name: c{i}, type: text, description: {}{default} }}\n", yaml(&v(s))));
    }
    table.push_str("rows:\n");
    for (i, s) in p.iter().enumerate() {
        table.push_str(&format!("  - {{ id: {i}, v: {} }}\n", yaml(&v(s))));
    }
    // A check per payload, run by `validate`: each finds exactly the row holding its text.
    table.push_str("checks:\n");
    for (i, s) in p.iter().enumerate().filter(|(_, s)| short(s)) {
        let condition = yaml(&format!("v <> {}", sql_literal(&v(s))));
        table.push_str(&format!("  - {{ name: not_{i}, severity: warn, condition: {condition} }}\n"));
    }
    let outputs: Vec<String> = p
        .iter()
        .enumerate()
        .filter(|(_, s)| short(s) && !templated(s))
        .map(|(i, s)| format!("{} AS l{i}", sql_literal(s)))
        .collect();
    let view = format!(
        "view: v_inj\ndescription: {}\nsql: {}\n",
        yaml(&v(&p[6])),
        yaml(&format!("SELECT id, {} FROM {{{{ ref('inj') }}}}", outputs.join(", ")))
    );
    std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
    std::fs::write(
        dir.join("schema/schema.yaml"),
        format!("name: {}\nnamespace: inj\ndialects: [postgres]\n", yaml(&name)),
    )
    .unwrap();
    std::fs::write(dir.join("schema/tables/inj.yaml"), table).unwrap();
    std::fs::write(dir.join("schema/tables/v_inj.yaml"), view).unwrap();
}

fn ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = schema(dir, url, args);
    assert_eq!(out.status.code(), Some(0), "schema {}:\n{}", args.join(" "), text(&out));
    text(&out)
}

/// What the server stores equals the YAML's text, field by field, and nothing else ran.
fn stored_as_written(url: &str, version: u32) {
    let p = payloads();
    let v = |s: &str| if version == 1 { s.to_string() } else { format!("v2 {s}") };
    let mut client =
        schema::db::Target::parse(url, None, std::time::Duration::from_secs(5)).unwrap().connect().unwrap();
    let one =
        |client: &mut postgres::Client, sql: &str| -> Option<String> { client.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(one(&mut client, "SELECT obj_description('inj.inj'::regclass, 'pg_class')"), Some(v(&p[4])));
    assert_eq!(one(&mut client, "SELECT obj_description('inj.v_inj'::regclass, 'pg_class')"), Some(v(&p[6])));
    assert_eq!(one(&mut client, "SELECT col_description('inj.inj'::regclass, 2)"), Some(v(&p[5])));
    for (i, s) in p.iter().enumerate() {
        let what = format!("payload {i} {:?}", s.chars().take(40).collect::<String>());
        let description = one(&mut client, &format!("SELECT col_description(attrelid, attnum) FROM pg_attribute WHERE attrelid = 'inj.inj'::regclass AND attname = 'c{i}'"));
        assert_eq!(description, Some(v(s)), "description of {what}");
        assert_eq!(one(&mut client, &format!("SELECT v FROM inj.inj WHERE id = {i}")), Some(v(s)), "row of {what}");
        if short(s) {
            let default = one(&mut client, &format!("SELECT c{i} FROM inj.inj WHERE id = 0"));
            assert_eq!(default, Some(s.clone()), "default of {what}");
        }
        if short(s) && !templated(s) {
            assert_eq!(
                one(&mut client, &format!("SELECT l{i} FROM inj.v_inj LIMIT 1")),
                Some(s.clone()),
                "view of {what}"
            );
        }
    }
    let objects = psql(
        url,
        "SELECT string_agg(n.nspname || '.' || c.relname, ' ' ORDER BY n.nspname, c.relname) FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
    );
    assert_eq!(
        objects,
        "inj.inj inj.inj_pkey inj.refinery_schema_history inj.refinery_schema_history_pkey inj.v_inj public.sentinel",
        "the sentinel stays and nothing else appears"
    );
    let functions = "SELECT COUNT(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')";
    assert_eq!(psql(url, functions), "0");
}

fn corpus_on(standard_conforming_strings: bool) {
    let url = common::fresh_database();
    let db = url::Url::parse(&url).unwrap().path().trim_start_matches('/').to_string();
    psql(&url, "CREATE TABLE public.sentinel (x integer)");
    if !standard_conforming_strings {
        psql(&url, &format!("ALTER DATABASE {db} SET standard_conforming_strings = off"));
        assert_eq!(psql(&url, "SHOW standard_conforming_strings"), "off");
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_project(dir, 1);
    ok(dir, &url, &["generate"]);
    ok(dir, &url, &["migrate"]);
    stored_as_written(&url, 1);
    assert!(ok(dir, &url, &["diff"]).contains("no drift"), "the catalog reads back what the YAML says");

    write_project(dir, 2);
    ok(dir, &url, &["generate", "--name", "describe_again", "--allow-destructive"]);
    ok(dir, &url, &["migrate"]);
    stored_as_written(&url, 2);
    assert!(ok(dir, &url, &["diff"]).contains("no drift"));

    ok(dir, &url, &["backfill"]);
    let derived = psql(&url, "SELECT COUNT(*) FROM inj.inj WHERE d IS NOT NULL");
    assert_eq!(derived, payloads().len().to_string());
    for (i, s) in payloads().iter().enumerate() {
        let d = psql(&url, &format!("SELECT d = v FROM inj.inj WHERE id = {i}"));
        assert_eq!(d, "f", "{i}");
        let suffix =
            psql(&url, &format!("SELECT right(d, {}) FROM inj.inj WHERE id = {i}", payloads()[4].chars().count()));
        assert_eq!(suffix, payloads()[4], "derived of payload {i} {:?}", s.chars().take(20).collect::<String>());
    }
    let out = schema(dir, &url, &["validate", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results: Vec<_> = report["results"].as_array().unwrap().iter().filter(|r| r["check"] != "d_derived").collect();
    assert_eq!(results.len(), payloads().iter().filter(|s| short(s)).count());
    assert!(results.iter().all(|r| r["failing_rows"] == 1), "{report}");

    let hostile = "x'; DROP TABLE sentinel; --";
    // Such a namespace cannot be the namespace of a project that loads: refused, and nothing ran.
    for namespace in [hostile, "x\\'; DROP TABLE sentinel; --"] {
        let out = schema(dir, &url, &["inspect", "--namespace", namespace]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains("cannot be adopted") && text(&out).contains("is not a valid identifier"),
            "{}",
            text(&out)
        );
    }
    stored_as_written(&url, 2);
}

#[test]
fn hostile_text_is_stored_as_written_with_standard_strings() {
    corpus_on(true);
}

#[test]
fn hostile_text_is_stored_as_written_with_backslash_escapes() {
    corpus_on(false);
}

#[test]
fn names_are_identifiers_and_hostile_ones_are_refused() {
    // Where Redshift is a dialect; a PostgreSQL-only project quotes such names
    // (tests/quoted_names.rs), and a validation check's name is an identifier in every project.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_project(dir, 1);
    let settings = dir.join("schema/schema.yaml");
    let text_of = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, text_of.replace("dialects: [postgres]", "dialects: [postgres, redshift]")).unwrap();
    let path = dir.join("schema/tables/inj.yaml");
    let table = std::fs::read_to_string(&path).unwrap();
    for (from, to) in [
        ("table: inj", "table: \"inj\\\"; DROP TABLE sentinel; --\""),
        ("name: c0,", "name: \"c0'); DROP TABLE sentinel; --\","),
        ("name: not_0,", "name: \"not_0 OR 1=1\","),
    ] {
        std::fs::write(&path, table.replacen(from, to, 1)).unwrap();
        let out = schema(dir, "postgres://unused", &["check"]);
        assert_eq!(out.status.code(), Some(2), "{to}: {}", text(&out));
        assert!(text(&out).contains("is not a valid identifier"), "{}", text(&out));
    }
}

#[test]
fn nul_is_refused_in_every_field_that_reaches_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_project(dir, 1);
    let files = ["schema.yaml", "tables/inj.yaml", "tables/v_inj.yaml"];
    for file in files {
        let path = dir.join("schema").join(file);
        let original = std::fs::read_to_string(&path).unwrap();
        // Into the first double-quoted scalar of the file: a name, a description, a row value.
        let broken = original.replacen("\"", "\"\\0", 1);
        std::fs::write(&path, &broken).unwrap();
        let out = schema(dir, "postgres://unused", &["check"]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", text(&out));
        assert!(text(&out).contains(&format!("{file}:")) && text(&out).contains("NUL character"), "{}", text(&out));
        std::fs::write(&path, original).unwrap();
    }
}

#[test]
fn plain_strings_with_backslashes_are_refused_in_sql_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_project(dir, 1);
    let path = dir.join("schema/tables/inj.yaml");
    let table = std::fs::read_to_string(&path).unwrap();
    // Standard strings, `'\' || '; DROP …'` is two literals; with backslash escapes, one literal
    // and a statement. The loader requires E'...' instead.
    let hostile = yaml("'\\' || '; DROP TABLE sentinel; --'");
    std::fs::write(&path, table.replacen("default: \"'it''s'\"", &format!("default: {hostile}"), 1)).unwrap();
    let out = schema(dir, "postgres://unused", &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("write it as E'...'"), "{}", text(&out));
    // The same rule holds for `validate --where`, whose text reaches the server in every query.
    std::fs::write(&path, &table).unwrap();
    let out = schema(dir, "postgres://u@h/db", &["validate", "--sql", "--where", "v = '\\' || ') OR (true'"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--where") && text(&out).contains("write it as E'...'"), "{}", text(&out));
}

/// No operator, every operator character, and the multi-character operators sqlparser read as
/// one token with a following `--` or `/*`.
const OPERATORS: [&str; 24] = [
    "", ">", "||", "&", "|", "#", "@", "~", "%", ">=", "->", "&&", "<<", ">>", "+", "-", "*", "/", "<", "=", "!", "^",
    "?", "`",
];

/// The issue's view: sqlparser read `>--` as one operator, PostgreSQL as `>` and a comment, so
/// the `'` opened no string to the server and `DROP TABLE public.victim` ran at migrate. Every
/// operator character before `--` or `/*`, in a view body, a default, a check and a derived
/// column, and in `validate --where`, is refused; a database that ran the migrations keeps its
/// victim table.
#[test]
fn a_comment_after_an_operator_is_refused_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
    std::fs::write(dir.join("schema/schema.yaml"), "name: p\nnamespace: p\ndialects: [postgres]\n").unwrap();
    let table = "table: t\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n";
    std::fs::write(dir.join("schema/tables/t.yaml"), table).unwrap();
    let url = common::fresh_database();
    psql(&url, "CREATE TABLE public.victim (x int)");
    for op in OPERATORS {
        for comment in ["--", "/*"] {
            let hidden = format!("1 {op}{comment} '\n0) ; DROP TABLE public.victim; SELECT (1 {op}{comment} '\n+ 0");
            let view = format!(
                "view: v\nsql: |\n  SELECT id FROM {{{{ ref('t') }}}} WHERE 1 {op}{comment} '\n  0; DROP TABLE public.victim; SELECT 1 AS b WHERE 1 {op}{comment} '\n  + 0\n"
            );
            let fields = [
                ("views/v.yaml", view),
                ("tables/t.yaml", format!("{table}  - {{ name: c, type: integer, default: {} }}\n", yaml(&hidden))),
                ("tables/t.yaml", format!("{table}  - {{ name: c, type: integer, derived: {} }}\n", yaml(&hidden))),
                (
                    "tables/t.yaml",
                    format!("{table}check_constraints:\n  - {{ name: k, expression: {} }}\n", yaml(&hidden)),
                ),
                ("tables/t.yaml", format!("{table}checks:\n  - {{ name: k, condition: {} }}\n", yaml(&hidden))),
            ];
            for (file, content) in fields {
                let path = dir.join("schema").join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &content).unwrap();
                let out = schema(dir, &url, &["generate", "--name", "x"]);
                assert_eq!(out.status.code(), Some(2), "{file} `{op}{comment}`: {}", text(&out));
                assert!(text(&out).contains("comment"), "{file} `{op}{comment}`: {}", text(&out));
                let _ = std::fs::remove_file(dir.join("schema/views/v.yaml"));
                std::fs::write(dir.join("schema/tables/t.yaml"), table).unwrap();
            }
        }
    }
    ok(dir, &url, &["generate", "--name", "t"]);
    ok(dir, &url, &["migrate"]);
    // `validate --where` reaches the server inside every check query.
    std::fs::write(dir.join("schema/tables/t.yaml"), format!("{table}checks:\n  - {{ name: k, condition: id > 0 }}\n"))
        .unwrap();
    for op in OPERATORS {
        for comment in ["--", "/*"] {
            let hidden = format!("1 {op}{comment} '\n0) ; DROP TABLE public.victim; SELECT (1 {op}{comment} '\n+ 0");
            let out = schema(dir, &url, &["validate", "--where", &hidden]);
            assert_eq!(out.status.code(), Some(2), "--where `{op}{comment}`: {}", text(&out));
            assert!(text(&out).contains("comment"), "--where `{op}{comment}`: {}", text(&out));
        }
    }
    assert_eq!(psql(&url, "SELECT count(*) FROM public.victim").trim(), "0");
}

/// PostgreSQL's own properties that reach SQL: a collation is a name the loader holds to a
/// collation's characters (and the templates quote), a storage parameter's name an identifier
/// and its value a number, boolean or word, a generation expression exactly one expression.
/// Hostile text in any of them is refused at load, with its place.
#[test]
fn postgres_attributes_refuse_hostile_text_at_load() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
    std::fs::write(dir.join("schema/schema.yaml"), "name: p\nnamespace: p\ndialects: [postgres]\n").unwrap();
    let table = |columns: &str, extra: &str| {
        format!("table: t\n{extra}columns:\n  - {{ name: id, type: integer, primary_key: true }}\n  - {{ name: x, type: text{columns} }}\n")
    };
    let cases = [
        (
            table(", collation: 'C\"; DROP TABLE sentinel; --'", ""),
            "t.yaml:4:39: error: `C\\\"; DROP TABLE sentinel; --` is not a collation name",
        ),
        (
            table("", "with: { \"fillfactor = 1); DROP TABLE sentinel; --\": 50 }\n"),
            "t.yaml:2:9: error: `fillfactor = 1); DROP TABLE sentinel; --` is not a storage parameter",
        ),
        (
            table("", "with: { fillfactor: \"50); DROP TABLE sentinel; --\" }\n"),
            "t.yaml:2:21: error: storage parameter `fillfactor` takes a number",
        ),
        (table(", generated: \"length(x); DROP TABLE sentinel\"", ""), "t.yaml:4:49: error: `generated` contains `;`"),
        (
            table(", generated: \"length(id)) STORED, y text GENERATED ALWAYS AS (1\"", ""),
            "t.yaml:4:50: error: `generated` is not a single SQL expression: `)` follows it",
        ),
        (
            table("", "exclude: [{ name: e, elements: [{ column: x, with: \"= 1); DROP TABLE sentinel; --\" }] }]\n"),
            "t.yaml:2:52: error: `with`: `= 1); DROP TABLE sentinel; --` is not an operator",
        ),
        (
            table("", "exclude: [{ name: e, elements: [{ column: x, with: \"=--\" }] }]\n"),
            "t.yaml:2:52: error: `with`: `=--` is not an operator",
        ),
        (
            table("", "exclude: [{ name: e, using: \"gist (x WITH =); DROP TABLE sentinel; --\", elements: [{ column: x, with: \"=\" }] }]\n"),
            "t.yaml:2:29: error: `using`:",
        ),
        (
            table("", "exclude: [{ name: e, elements: [{ column: x, with: \"=\" }], where: \"true); DROP TABLE sentinel; --\" }]\n"),
            "t.yaml:2:73: error: `where`",
        ),
        (
            table("", "exclude: [{ name: e, elements: [{ expression: \"x) WITH =, (x\", with: \"=\" }] }]\n"),
            "t.yaml:2:49: error: `expression` is not a single SQL expression",
        ),
    ];
    for (text_of, said) in cases {
        std::fs::write(dir.join("schema/tables/t.yaml"), &text_of).unwrap();
        let out = schema(dir, "postgres://unused", &["check"]);
        assert_eq!(out.status.code(), Some(2), "{text_of}: {}", text(&out));
        assert!(text(&out).contains(said), "{text_of}\nwanted `{said}` in: {}", text(&out));
    }
    // What passes is quoted as a name, and the expression is pasted only as one expression.
    std::fs::write(dir.join("schema/tables/t.yaml"), table(", collation: \"und-x-icu\"", "")).unwrap();
    let out = schema(dir, "postgres://unused", &["render"]);
    assert!(text(&out).contains("\"x\" TEXT COLLATE \"und-x-icu\""), "{}", text(&out));
    let exclude =
        "exclude: [{ name: e, elements: [{ column: x, with: \"&&\" }, { expression: \"lower(x)\", with: \"=\" }] }]\n";
    std::fs::write(dir.join("schema/tables/t.yaml"), table("", exclude)).unwrap();
    let out = schema(dir, "postgres://unused", &["render"]);
    let created = "CONSTRAINT \"e\" EXCLUDE USING \"gist\" (\"x\" WITH &&, (lower(x)) WITH =)";
    assert!(text(&out).contains(created), "{}", text(&out));
}
