//! `schema plan`: what a reviewer reads before merging. Without a database, what generate would
//! write; with one, the migrations pending there and the size of each table they rewrite. The
//! Redshift size query runs against a stand-in of SVV_TABLE_INFO shaped as AWS documents it.

mod common;

use common::{fresh_database, psql, schema, text};
use schema::db::{text_rows, Target};
use schema::{driver, Dialect};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn no_database(root: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schema"));
    cmd.arg("--project").arg(root).args(args);
    for (key, _) in std::env::vars().filter(|(k, _)| k == "DATABASE_URL" || k == "SCHEMA_TARGET" || k.starts_with("PG"))
    {
        cmd.env_remove(key);
    }
    cmd.output().unwrap()
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn a_type_change_shows_its_hazard_sql_and_the_size_of_the_table_it_rewrites() {
    let url = fresh_database();
    let (_tmp, root) = common::shipped_project();
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let out = schema(&root, &url, &["seed", "--rows", "3000", "--table", "tool_usage"]);
    assert!(out.status.success(), "{}", text(&out));
    psql(&url, "ANALYZE analytics.tool_usage");
    let file = root.join("schema/tables/tool_usage.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        yaml.replacen("  - name: step_index\n    type: integer", "  - name: step_index\n    type: bigint", 1),
    )
    .unwrap();

    // Before generate: what it would write, for both dialects, with no database needed.
    let doc = json(&no_database(&root, &["plan", "--format", "json"]));
    assert_eq!(doc["source"], "ungenerated");
    let migrations = doc["migrations"].as_array().unwrap();
    let dialects: Vec<&str> = migrations.iter().map(|m| m["dialect"].as_str().unwrap()).collect();
    assert!(dialects.contains(&"postgres") && dialects.contains(&"redshift"), "{dialects:?}");
    for m in migrations {
        assert_eq!(m["whole_tables"], serde_json::json!(["analytics.tool_usage"]), "{m:#}");
    }

    let out = no_database(&root, &["generate", "--name", "step_index_bigint", "--allow-destructive"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc = json(&schema(&root, &url, &["plan", "--format", "json"]));
    assert_eq!(doc["source"], "pending");
    let pending = doc["migrations"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{doc:#}");
    let m = &pending[0];
    assert_eq!(m["file"], "V3__step_index_bigint.sql");
    assert_eq!(m["whole_tables"], serde_json::json!(["analytics.tool_usage"]));
    let hazards = m["hazards"].as_array().unwrap();
    assert!(hazards.iter().any(|h| h.as_str().unwrap().contains("rewrites the whole table")), "{m:#}");
    assert!(m["sql"].as_str().unwrap().contains("ALTER TABLE"), "{m:#}");
    let size = &doc["table_sizes"]["analytics.tool_usage"];
    assert_eq!(size["rows"], 3000, "{size}");
    assert!(size["bytes"].as_u64().unwrap() > 8192, "{size}");

    let out = schema(&root, &url, &["plan", "--format", "markdown"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("## schema plan: 1 migration pending on postgres://"), "{md}");
    assert!(md.contains("- 📦 analytics.tool_usage: 3,000 rows, "), "{md}");
    assert!(md.contains("- ⚠️ alter column analytics.tool_usage.step_index"), "{md}");
    assert!(md.contains("```sql\n"), "{md}");

    // Applied, nothing is pending.
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let doc = json(&schema(&root, &url, &["plan", "--format", "json"]));
    assert_eq!(doc["migrations"], serde_json::json!([]));
}

#[test]
fn redshift_sizes_come_from_svv_table_info_in_megabyte_blocks() {
    let url = fresh_database();
    // The columns AWS documents for SVV_TABLE_INFO that the query reads, plus one it does not.
    psql(
        &url,
        "CREATE TABLE svv_table_info (database text, \"schema\" text, \"table\" text, tbl_rows numeric(38,0), \
         size bigint, encoded text); \
         INSERT INTO svv_table_info VALUES ('dev', 'analytics', 'messages', 1200000000, 348160, 'Y'), \
         ('dev', 'other', 'messages', 5, 1, 'Y'), ('dev', 'analytics', 'tiny', 0, 5, 'N')",
    );
    let target = Target::parse(&url, None, Duration::from_secs(5)).unwrap();
    let mut client = target.connect().unwrap();
    let rows =
        text_rows(&mut client, &driver(Dialect::Redshift).table_sizes_query(&["analytics".to_string()])).unwrap();
    let sizes = schema::review::sizes("analytics", rows);
    assert_eq!(sizes.len(), 2, "{sizes:?}");
    let messages = sizes["analytics.messages"];
    assert_eq!(messages.rows, Some(1_200_000_000));
    assert_eq!(messages.bytes, 348_160 * 1_048_576);
    assert_eq!(sizes["analytics.tiny"].rows, Some(0));
}
