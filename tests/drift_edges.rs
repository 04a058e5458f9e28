//! diff at the edges: a role allowed one connection, and types the model does not hold
//! that the catalog prints like one it does.

mod common;

use common::{psql, schema, text};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `kind object` of every finding, and the whole JSON document.
fn diff_json(project: &Path, url: &str) -> (std::process::Output, serde_json::Value, Vec<String>) {
    let out = schema(project, url, &["diff", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let findings = json["findings"].as_array().unwrap().iter();
    let findings =
        findings.map(|f| format!("{} {}", f["kind"].as_str().unwrap(), f["object"].as_str().unwrap())).collect();
    (out, json, findings)
}

/// diff needs one connection: a role allowed a single one gets the same answer.
#[test]
fn a_single_connection_gives_the_same_answer() {
    let url = common::shipped_database();
    let db = url::Url::parse(&url).unwrap().path().trim_start_matches('/').to_string();
    let role = format!("one_{db}");
    psql(&url, &format!("CREATE ROLE {role} LOGIN PASSWORD 'one-pw' CONNECTION LIMIT 1"));
    let mut single = url::Url::parse(&url).unwrap();
    single.set_username(&role).unwrap();
    single.set_password(Some("one-pw")).unwrap();
    let single = single.to_string();
    psql(&url, "COMMENT ON INDEX analytics.idx_web_searches_session IS 'hand-made'");
    for url in [&url, &single] {
        let (out, json, found) = diff_json(root(), url);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert_eq!(found, ["unmodelled analytics.web_searches.idx_web_searches_session"], "{json}");
        assert_eq!(json["catalog_queries"], 18, "{json}");
    }
}

/// A `numeric` without precision keeps any value exactly. Where Redshift is a dialect the YAML's
/// `decimal` is `decimal(18,0)`, which rounds: diff reports the difference. A PostgreSQL-only
/// project holds it (`type: numeric`, which is what inspect writes), and diffs clean.
/// A generated project `n` with one table `prices (id integer, amount <ty>)`.
fn project(dialects: &str, ty: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
    let head = format!("name: n\nnamespace: n\ndialects: {dialects}\n");
    std::fs::write(dir.join("schema/schema.yaml"), head).unwrap();
    let table = format!(
        "table: prices\ncolumns:\n  - {{ name: id, type: integer, primary_key: true }}\n  - {{ name: amount, type: {ty} }}\n"
    );
    std::fs::write(dir.join("schema/tables/prices.yaml"), table).unwrap();
    assert!(schema(dir, "postgres://unused", &["generate"]).status.success());
    tmp
}

/// The YAML's `json` is jsonb on PostgreSQL; a `json` column was read as it too, so diff said
/// nothing and inspect wrote `json`, and a rebuilt database had jsonb.
#[test]
fn a_json_column_is_not_read_as_jsonb() {
    let url = common::fresh_database();
    let both = project("[postgres, redshift]", "json");
    assert!(schema(both.path(), &url, &["migrate"]).status.success());
    psql(&url, "ALTER TABLE n.prices ALTER COLUMN amount TYPE json");
    let (out, json, found) = diff_json(both.path(), &url);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(found, ["column_type n.prices.amount"], "{json}");

    let postgres = project("[postgres]", "pg_catalog.json");
    let (out, json, _) = diff_json(postgres.path(), &url);
    assert_eq!(out.status.code(), Some(0), "{json}");
    let out = schema(postgres.path(), &url, &["inspect", "--namespace", "n"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("{ name: amount, type: pg_catalog.json }"), "{}", text(&out));
    let fresh = common::fresh_database();
    assert!(schema(postgres.path(), &fresh, &["migrate"]).status.success());
    let types = "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attname = 'amount'";
    assert_eq!(psql(&fresh, types).trim(), "json");
}

#[test]
fn an_unconstrained_numeric_is_not_read_as_a_decimal() {
    let both = project("[postgres, redshift]", "decimal");
    let url = common::fresh_database();
    assert!(schema(both.path(), &url, &["migrate"]).status.success());
    let (out, _, _) = diff_json(both.path(), &url);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    psql(&url, "ALTER TABLE n.prices ALTER COLUMN amount TYPE numeric");
    let (out, json, found) = diff_json(both.path(), &url);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(found, ["column_type n.prices.amount"], "{json}");
    assert_eq!(json["findings"][0]["expected"], "decimal(18,0)", "{json}");
    assert_eq!(json["findings"][0]["actual"], "numeric", "{json}");

    let out = schema(both.path(), &url, &["inspect", "--namespace", "n"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("{ name: amount, type: numeric }"), "{}", text(&out));
    assert!(!text(&out).contains("left out"), "{}", text(&out));

    for ty in ["numeric", "decimal"] {
        let postgres = project("[postgres]", ty);
        let (out, json, _) = diff_json(postgres.path(), &url);
        assert_eq!(out.status.code(), Some(0), "`{ty}` in a PostgreSQL-only project: {json}");
        let fresh = common::fresh_database();
        assert!(schema(postgres.path(), &fresh, &["migrate"]).status.success());
        assert_eq!(
            psql(&fresh, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attname = 'amount'").trim(),
            "numeric"
        );
    }
}
