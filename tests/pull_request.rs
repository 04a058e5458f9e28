//! From an edit of the shipped project to a safe pull request: views recreated only when needed
//! and filled again, rename hints, no empty migration for a dialect with nothing to do, a
//! guard's own message, hand-written migrations missing in a dialect, and the outputs CI reads.

mod common;

use common::{copy_dir, fresh_database, psql, schema, text};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of the shipped project (schema and migrations).
fn shipped() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&repo.join("schema"), &root.join("schema"));
    copy_dir(&repo.join("migrations"), &root.join("migrations"));
    (tmp, root)
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join("schema").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The binary with no database named.
fn offline(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_schema")).arg("--project").arg(root).args(args).output().unwrap()
}

/// An `offline` command that must succeed.
fn succeeds(root: &Path, args: &[&str]) {
    let out = offline(root, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
}

fn newest(root: &Path, dialect: &str) -> String {
    let dir = root.join("migrations").join(dialect);
    let mut files: Vec<(i64, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| Some((p.file_name()?.to_str()?.strip_prefix('V')?.split_once("__")?.0.parse().ok()?, p)))
        .collect();
    files.sort();
    std::fs::read_to_string(&files.last().unwrap().1).unwrap()
}

#[test]
fn a_widened_column_recreates_only_the_views_reading_it_and_they_come_back_filled() {
    let (_tmp, root) = shipped();
    let url = fresh_database();
    for args in [&["migrate"][..], &["refresh"]] {
        let out = schema(&root, &url, args);
        assert!(out.status.success(), "{}", text(&out));
    }
    psql(
        &url,
        "INSERT INTO analytics.chat_sessions (session_id, user_id, event_timestamp, event_date) VALUES ('s1', 'u1', '2026-11-01 10:00', '2026-11-01');
         INSERT INTO analytics.web_searches (session_id, thread_id, search_type, num_results, event_timestamp, event_date)
           VALUES ('s1', 'th-1', 'news', 7, '2026-11-01 10:00:01', '2026-11-01')",
    );
    // thread_id: no view reads it, PostgreSQL widens it with the views in place.
    edit(
        &root,
        "tables/web_searches.yaml",
        "  - name: thread_id\n    type: varchar(64)",
        "  - name: thread_id\n    type: varchar(128)",
    );
    succeeds(&root, &["generate", "--name", "wider_thread"]);
    let pg = newest(&root, "postgres");
    assert!(pg.contains("ALTER COLUMN \"thread_id\" TYPE VARCHAR(128)"), "{pg}");
    assert!(!pg.contains("MATERIALIZED VIEW"), "no view reads thread_id: {pg}");
    // search_type: mv_web_search_statistics reads it; recreated, and filled as it is created.
    edit(
        &root,
        "tables/web_searches.yaml",
        "    type: varchar(32)\n    description: request_body",
        "    type: varchar(48)\n    description: request_body",
    );
    succeeds(&root, &["generate", "--name", "wider_search_type", "--allow-destructive"]);
    let pg = newest(&root, "postgres");
    assert!(pg.contains("DROP MATERIALIZED VIEW IF EXISTS \"analytics\".\"mv_web_search_statistics\""), "{pg}");
    assert!(!pg.contains("mv_basic_statistics"), "a view that does not read search_type stays: {pg}");
    let out = schema(&root, &url, &["-q", "migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("database:"), "-q hides the database line: {}", text(&out));
    assert_eq!(psql(&url, "SELECT search_count FROM analytics.mv_web_search_statistics"), "1", "refilled");
    let out = schema(&root, &url, &["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "no drift, no unpopulated view: {}", text(&out));

    // A narrowing guard that fails says its own message, not the server's cast error.
    psql(&url, "INSERT INTO analytics.chat_sessions (session_id, user_id, event_timestamp) VALUES ('s2', 'a-user-id-longer-than-twelve', '2026-11-01 11:00')");
    edit(
        &root,
        "tables/chat_sessions.yaml",
        "  - name: user_id\n    type: varchar(64)",
        "  - name: user_id\n    type: varchar(12)",
    );
    succeeds(&root, &["generate", "--name", "narrow_user", "--allow-destructive"]);
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot change analytics.chat_sessions.user_id from varchar(64) to varchar(12)"), "{err}");
    assert!(!err.contains("invalid input syntax"), "{err}");

    // diff --format json: each finding with the file and line the github format points at.
    psql(&url, "ALTER TABLE analytics.web_searches ALTER COLUMN thread_id TYPE varchar(300)");
    let out = schema(&root, &url, &["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding =
        doc["findings"].as_array().unwrap().iter().find(|f| f["object"] == "analytics.web_searches.thread_id").unwrap();
    assert!(finding["file"].as_str().unwrap().ends_with("schema/tables/web_searches.yaml"), "{finding}");
    assert_eq!(finding["line"], 21, "the line of `name: thread_id`: {finding}");
}

#[test]
fn a_renamed_column_without_renamed_from_gets_the_line_to_add() {
    let (_tmp, root) = shipped();
    edit(&root, "tables/web_searches.yaml", "  - name: search_keywords\n", "  - name: keywords\n");
    for args in [&["generate", "--name", "rename"][..], &["generate", "--check"]] {
        let out = offline(&root, args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("hint: analytics.web_searches.search_keywords is dropped and analytics.web_searches.keywords added with a compatible type: if it was renamed, add `renamed_from: search_keywords` to the column `keywords`"),
            "{said}"
        );
        assert!(said.contains("schema/tables/web_searches.yaml:31)"), "the column's line: {said}");
    }
    // The planner's refusal gets it too: a NOT NULL column without default cannot be added.
    edit(
        &root,
        "tables/web_searches.yaml",
        "  - name: keywords\n    type: varchar(4096)\n",
        "  - name: keywords\n    type: varchar(4096)\n    nullable: false\n",
    );
    let out = offline(&root, &["generate", "--name", "rename"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("added NOT NULL without a default") && err.contains("`renamed_from: search_keywords`"),
        "{err}"
    );
}

#[test]
fn a_change_for_one_dialect_writes_no_file_for_the_other_and_hand_written_gaps_are_named() {
    let (_tmp, root) = shipped();
    edit(
        &root,
        "tables/web_searches.yaml",
        "  columns: [event_date, search_type]\ncolumns:",
        "  columns: [event_date]\ncolumns:",
    );
    succeeds(&root, &["generate", "--name", "sortkey", "--allow-destructive"]);
    assert!(root.join("migrations/redshift/V3__sortkey.sql").exists());
    assert!(!root.join("migrations/postgres/V3__sortkey.sql").exists(), "nothing to do on PostgreSQL: no file");
    let out = offline(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    std::fs::write(
        root.join("migrations/postgres/V4__backfill.sql"),
        "UPDATE analytics.web_searches SET num_results = 0 WHERE num_results IS NULL;\n",
    )
    .unwrap();
    let out = offline(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(0), "a warning, not a finding: {}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: ")
            && err.contains("V4__backfill.sql is hand-written and migrations/redshift has no V4 file"),
        "{err}"
    );
}

/// The binary in `dir` with `args`, no database named.
/// The binary as a developer runs it at a terminal: CI's own variables (`CI`, a target, a URL)
/// would change which database the default target means.
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schema"));
    for var in ["CI", "DATABASE_URL", "SCHEMA_TARGET"] {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir).args(args).output().unwrap()
}

#[test]
fn init_then_generate_proven_on_the_local_server_then_migrate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(tmp.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`schema init` creates one"), "{}", text(&out));

    let out = run_in(tmp.path(), &["init", "shop", "--dialects", "postgres,redshift", "--namespace", "sales"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("next: cd shop && schema check"), "{}", text(&out));
    let root = tmp.path().join("shop");
    assert!(std::fs::read_to_string(root.join(".gitignore")).unwrap().lines().any(|l| l == ".schema/"));
    let out = run_in(tmp.path(), &["init", "shop"]);
    assert_eq!(out.status.code(), Some(2), "an existing project is not overwritten: {}", text(&out));
    let out = run_in(&root, &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: shop (sales): 1 table, 0 views, 1 materialized view"));

    // The first command that starts the local server says where it lives and how to stop it.
    let out = run_in(&root, &["generate", "--name", "initial"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("started the local PostgreSQL with its data in ./.schema/local")
            && err.contains("`schema local stop` stops it"),
        "{err}"
    );
    assert!(err.contains("proven: postgres: 1 migration applied to a scratch database (1 new)"), "{err}");
    assert!(
        err.contains(
            "proven: redshift: 1 migration applied to a scratch database through the Redshift emulation (1 new)"
        ),
        "{err}"
    );
    let out = run_in(&root, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("started the local"), "started once: {}", text(&out));
    let out = run_in(&root, &["local", "stop"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped the local PostgreSQL"), "{}", text(&out));
}

/// A server for scratch databases: the test cluster, through a database on it.
fn dev_server() -> String {
    fresh_database()
}

#[test]
fn a_view_reading_a_dropped_column_fails_on_the_dev_database_and_nothing_is_written() {
    let (_tmp, root) = shipped();
    let dev = dev_server();
    let out = offline(&root, &["check", "--dev-url", &dev]);
    assert!(out.status.success(), "the shipped history and YAML are proven on both dialects: {}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("proven: redshift: 2 migrations applied to a scratch database through the Redshift emulation"),
        "{said}"
    );

    // mv_web_search_statistics reads num_results.
    let yaml = root.join("schema/tables/web_searches.yaml");
    let text0 = std::fs::read_to_string(&yaml).unwrap();
    let start = text0.find("  - name: num_results\n").unwrap();
    let end = start + text0[start..].find("  - name: event_timestamp\n").unwrap();
    let edited = format!("{}{}", &text0[..start], &text0[end..]).replace("checks:\n  - name: num_results_last_7_days\n    not_null: num_results\n    window: { column: event_date, days: 7 }\n", "");
    std::fs::write(&yaml, edited).unwrap();
    let out = offline(&root, &["check"]);
    assert!(out.status.success(), "without a database the view body is not checked: {}", text(&out));
    for args in [
        &["check", "--dev-url", &dev][..],
        &["generate", "--name", "drop_results", "--allow-destructive", "--dev-url", &dev],
    ] {
        let out = offline(&root, args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("failed at statement") && err.contains("column \"num_results\" does not exist"), "{err}");
        assert!(
            err.contains("statement: CREATE MATERIALIZED VIEW \"analytics\".\"mv_web_search_statistics\""),
            "{err}"
        );
        assert!(
            err.contains("from the YAML of analytics.mv_web_search_statistics (")
                && err.contains("mv_web_search_statistics.yaml)"),
            "{err}"
        );
    }
    assert!(!root.join("migrations/postgres/V3__drop_results.sql").exists(), "nothing written");
    assert!(!root.join("migrations/redshift/V3__drop_results.sql").exists(), "nothing written");
    // The scratch databases are gone.
    let left = psql(&dev, "SELECT count(*) FROM pg_database WHERE datname LIKE 'schema_dev_%'");
    assert_eq!(left, "0");
}

#[test]
fn redo_regenerates_the_newest_migration_until_a_database_applied_it() {
    let (_tmp, root) = shipped();
    let url = fresh_database();
    let out = schema(&root, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let add = |column: &str| {
        let at = "indexes:\n  - name: idx_web_searches_date";
        edit(
            &root,
            "tables/web_searches.yaml",
            at,
            &format!(
                "  - name: {column}
    type: varchar(16)
{at}"
            ),
        );
    };
    add("engine");
    succeeds(&root, &["generate", "--name", "add_engine"]);
    let state = std::fs::read_to_string(root.join("migrations/state.json")).unwrap();
    // The generate was wrong (the column belongs to another name): fix the YAML and redo.
    edit(&root, "tables/web_searches.yaml", "  - name: engine\n", "  - name: search_engine\n");
    let out = schema(&root, &url, &["generate", "--redo"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not applied on") && err.contains("took back V3"), "{err}");
    let pg = std::fs::read_to_string(root.join("migrations/postgres/V3__add_engine.sql")).unwrap();
    assert!(pg.contains("ADD COLUMN \"search_engine\"") && !pg.contains("\"engine\""), "{pg}");
    assert!(!root.join("migrations/postgres/V4__add_engine.sql").exists(), "redone in place, no V4");
    assert_ne!(std::fs::read_to_string(root.join("migrations/state.json")).unwrap(), state);
    succeeds(&root, &["generate", "--check"]);

    // Applied: redo refuses, and leaves everything as it was.
    let out = schema(&root, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    edit(&root, "tables/web_searches.yaml", "  - name: search_engine\n", "  - name: engine_name\n");
    let out = schema(&root, &url, &["generate", "--redo"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("V3__add_engine is applied on"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(root.join("migrations/postgres/V3__add_engine.sql")).unwrap(), pg);
}

#[test]
fn a_migrate_script_applied_with_psql_is_what_status_sees_applied() {
    let (_tmp, root) = shipped();
    let at = "indexes:\n  - name: idx_web_searches_date";
    edit(
        &root,
        "tables/web_searches.yaml",
        at,
        &format!(
            "  - name: engine
    type: varchar(16)
{at}"
        ),
    );
    succeeds(&root, &["generate", "--name", "add_engine"]);
    let url = fresh_database();
    // V1 applied by the tool; V2 and V3 left for the script.
    let out = schema(&root, &url, &["migrate", "--to", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    let script = root.join("deploy.sql");
    let out = offline(&root, &["--dialect", "postgres", "migrate", "--script", script.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 migrations"), "{}", text(&out));
    for _ in 0..2 {
        let psql = Command::new("psql").arg(&url).arg("-X").arg("-q").arg("-f").arg(&script).output().unwrap();
        assert!(psql.status.success(), "{}", text(&psql));
        let said = String::from_utf8_lossy(&psql.stdout);
        assert!(said.contains("V1__initial: already applied"), "{said}");
    }
    let out = schema(&root, &url, &["status", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<&str> =
        doc["migrations"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["applied", "applied", "applied"], "{doc}");
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.refinery_schema_history"), "3");
    assert_eq!(psql(&url, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'engine'"), "1");
    let out = schema(&root, &url, &["migrate"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("is up to date"), "{}", text(&out));
}
