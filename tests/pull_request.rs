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
    let out = offline(&root, &["generate", "--name", "wider_thread"]);
    assert!(out.status.success(), "{}", text(&out));
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
    let out = offline(&root, &["generate", "--name", "wider_search_type", "--allow-destructive"]);
    assert!(out.status.success(), "{}", text(&out));
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
    let out = offline(&root, &["generate", "--name", "narrow_user", "--allow-destructive"]);
    assert!(out.status.success(), "{}", text(&out));
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
    let out = offline(&root, &["generate", "--name", "sortkey", "--allow-destructive"]);
    assert!(out.status.success(), "{}", text(&out));
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
