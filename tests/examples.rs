//! The example projects under examples/: each passes `check` and `generate --check`, migrates a
//! fresh PostgreSQL and takes its small dataset; the EAV example proves its hand-written data
//! migration on that data.

mod common;

use common::psql;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// Runs the binary on a project; `url` adds `--database-url`. Asserts exit 0.
fn schema(root: &Path, url: Option<&str>, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schema"));
    cmd.arg("--project").arg(root);
    if let Some(url) = url {
        cmd.args(["--database-url", url]);
    }
    let out: Output = cmd.args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "schema {}: {text}", args.join(" "));
    text
}

fn client(url: &str) -> postgres::Client {
    schema::db::Target::parse(url, None, Duration::from_secs(5)).unwrap().connect().unwrap()
}

/// Every `data/*.sql` file of the example, in name order, each in one transaction.
fn load_data(root: &Path, url: &str) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("data")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no data", root.display());
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap();
        client(url).batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;")).unwrap_or_else(|e| {
            panic!("{}: {}", file.display(), schema::error::describe(&e));
        });
    }
}

/// The whole life of an example on a fresh database: lint, gate, migrate, load its dataset
/// (after version `load_at` when the data must meet an older schema), migrate the rest.
/// Returns the database URL for assertions on the data.
fn passes(name: &str, load_at: Option<i64>) -> String {
    let root = example(name);
    assert!(schema(&root, None, &["check"]).starts_with("ok: "));
    schema(&root, None, &["generate", "--check"]);
    let url = common::fresh_database();
    let db = Some(url.as_str());
    match load_at {
        Some(version) => {
            schema(&root, db, &["migrate", "--to", &version.to_string()]);
            load_data(&root, &url);
            schema(&root, db, &["migrate"]);
        }
        None => {
            schema(&root, db, &["migrate"]);
            load_data(&root, &url);
        }
    }
    assert!(schema(&root, db, &["status"]).contains(" 0 pending"));
    schema(&root, db, &["diff"]);
    schema(&root, db, &["validate"]);
    url
}

#[test]
fn observability() {
    let url = passes("observability", None);
    let summary = psql(
        &url,
        "SELECT session_id, client_version, total_tool_calls, total_errors, total_execution_time_ms \
         FROM observability.v_session_summary ORDER BY session_id",
    );
    // s-2 reconnected: the latest client wins, and its two calls are not multiplied by its error.
    assert_eq!(summary, "s-1|0.7.1|3|1|1830\ns-2|0.45|2|1|400\ns-3|1.0.0|0|0|");
    let active = "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_client_sessions_active'";
    assert!(psql(&url, active).ends_with("WHERE (disconnect_time IS NULL)"), "{}", psql(&url, active));
    assert_eq!(psql(&url, "SELECT tool_name, error_count FROM observability.v_error_hotspots"), "ex|1");
}

#[test]
fn learning_warehouse() {
    let url = passes("learning-warehouse", None);
    // Facts reference the dimension version valid when the session started.
    let keys = psql(
        &url,
        "SELECT t.tenant_name, t.is_current, l.grade_level FROM warehouse.fact_sessions f \
         JOIN warehouse.dim_tenant t USING (tenant_key) JOIN warehouse.dim_learner l USING (learner_key) \
         ORDER BY f.started_at",
    );
    assert_eq!(keys, "Maple Elementary School|t|3\nThe Okafor family|t|5");
    // The partial unique index enforces one current version per business key.
    let second_current = "INSERT INTO warehouse.dim_tenant (tenant_id, tenant_name, effective_from) \
         VALUES ('7a1e0000-0000-4000-8000-000000000002', 'Okafor', now())";
    let err = client(&url).batch_execute(second_current).unwrap_err();
    assert!(schema::error::describe(&err).contains("idx_dim_tenant_current"), "{err}");
}

#[test]
fn eav_rows_end_up_in_the_json_column_and_no_timestamp_is_null() {
    let url = passes("eav-to-json", Some(2));
    let attributes = psql(&url, "SELECT id, attributes::text FROM telemetry.llm_interactions ORDER BY id");
    assert_eq!(
        attributes,
        [
            r#"1|{"session.id": "s-1", "llm.request.max_tokens": "1024", "llm.request.temperature": "0.2"}"#,
            // A key stored twice: the later EAV row wins.
            r#"2|{"session.id": "s-1", "llm.usage.total_tokens": "812", "llm.response.finish_reason": "stop"}"#,
            // A key already in the JSON column wins over the legacy row.
            r#"3|{"session.id": "s-json", "written.by": "processing layer", "llm.request.max_tokens": "256"}"#,
            "4|{}",
        ]
        .join("\n")
    );
    let unfolded = "SELECT count(*) FROM telemetry.llm_interaction_attributes a \
         JOIN telemetry.llm_interactions i ON i.id = a.llm_interaction_id WHERE NOT i.attributes ? a.key";
    assert_eq!(psql(&url, unfolded), "0", "every EAV key is in the JSON column");
    let nulls = "SELECT (SELECT count(*) FROM telemetry.events WHERE \"timestamp\" IS NULL) \
         + (SELECT count(*) FROM telemetry.llm_interactions WHERE \"timestamp\" IS NULL)";
    assert_eq!(psql(&url, nulls), "0");
    // Fixed from the ingestion time, and interactions from their event.
    assert_eq!(
        psql(&url, "SELECT \"timestamp\" FROM telemetry.llm_interactions WHERE id IN (2, 3) ORDER BY id"),
        "2025-02-01 10:00:07+00\n2025-02-01 11:30:00+00"
    );
}

#[test]
fn generate_numbers_after_the_hand_written_migration() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("eav-to-json");
    common::copy_dir(&example("eav-to-json"), &root);
    let url = common::fresh_database();
    schema(&root, Some(&url), &["migrate"]);

    let file = root.join("schema/tables/llm_interactions.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap().replace(
        "indexes:",
        "  - { name: related_interaction_id, type: bigint, description: The other half of a start/finish pair. }\nindexes:",
    );
    std::fs::write(&file, yaml).unwrap();
    let out = schema(&root, None, &["generate", "--name", "link_related_interactions"]);
    assert!(out.contains("V4__link_related_interactions.sql"), "{out}");
    let state = std::fs::read_to_string(root.join("migrations/state.json")).unwrap();
    assert!(state.contains("postgres/V4__link_related_interactions.sql"));
    assert!(!state.contains("V3__fold_eav_into_json"), "hand-written files are not recorded as generated");
    schema(&root, None, &["generate", "--check"]);
    assert!(schema(&root, Some(&url), &["migrate"]).contains("applied 1 migration"));
    let history = psql(&url, "SELECT version, name FROM telemetry.refinery_schema_history ORDER BY version");
    assert_eq!(history, "1|initial\n2|add_attributes_json\n3|fold_eav_into_json\n4|link_related_interactions");

    // The hand-written file is checksummed like the others: an edit after applying is refused.
    let v3 = root.join("migrations/postgres/V3__fold_eav_into_json.sql");
    let edited = std::fs::read_to_string(&v3).unwrap().replace("ORDER BY id", "ORDER BY id DESC");
    std::fs::write(&v3, edited).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_schema"))
        .arg("--project")
        .arg(&root)
        .args(["--database-url", &url, "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("V3__fold_eav_into_json.sql changed after it was applied"));
}
