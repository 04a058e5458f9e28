//! Commands facing what goes wrong around them, on a real PostgreSQL: a desired object the
//! server refuses (diff), a batch that loses a deadlock (backfill), arguments out of range
//! (validate, inspect).

mod common;

use common::{copy_dir, psql, schema, text};
use std::path::Path;

fn shipped() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn diff_compares_as_written_the_views_the_server_refuses() {
    let url = common::shipped_database();
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&shipped().join("schema"), &tmp.path().join("schema"));
    let views = tmp.path().join("schema/views");
    // Both parse; the server refuses the first on a syntax PostgreSQL lacks (Redshift's TOP),
    // the second on a name.
    std::fs::write(
        views.join("v_top.yaml"),
        "view: v_top\nsql: SELECT TOP 5 session_id FROM {{ ref('chat_sessions') }}\n",
    )
    .unwrap();
    std::fs::write(
        views.join("v_gone.yaml"),
        "view: v_gone\nsql: SELECT no_such_column FROM {{ ref('chat_sessions') }}\n",
    )
    .unwrap();
    let out = schema(tmp.path(), &url, &["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "drift, not a failure:\n{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = json["warnings"].to_string();
    for view in ["v_top", "v_gone"] {
        assert!(warnings.contains(&format!("the server refuses the desired view {view}")), "{warnings}");
    }
    assert!(warnings.contains("compared as written"), "{warnings}");
}

#[test]
fn backfill_runs_a_batch_again_after_a_deadlock_and_gives_up_in_bounds() {
    let url = common::shipped_database();
    let out = schema(
        shipped(),
        &url,
        &["seed", "--rows", "50", "--table", "web_searches", "--defect", "event_date_not_null=6"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // The first two UPDATEs of the table fail as a deadlock would; a sequence counts the
    // attempts, since a failed statement rolls back anything else it did.
    let flaky = |fails: u32| {
        format!(
            "DROP TRIGGER IF EXISTS flaky ON analytics.web_searches;
             DROP SEQUENCE IF EXISTS analytics.attempts;
             CREATE SEQUENCE analytics.attempts;
             CREATE OR REPLACE FUNCTION analytics.flaky() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF nextval('analytics.attempts') <= {fails} THEN
                 RAISE EXCEPTION 'deadlock detected (simulated)' USING ERRCODE = '40P01';
               END IF;
               RETURN NULL;
             END $$;
             CREATE TRIGGER flaky BEFORE UPDATE ON analytics.web_searches
               FOR EACH STATEMENT EXECUTE FUNCTION analytics.flaky();"
        )
    };
    psql(&url, &flaky(2));
    let out = schema(shipped(), &url, &["backfill", "--table", "web_searches", "--batch-days", "1000"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("web_searches.event_date: 6 rows updated"), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT last_value FROM analytics.attempts"), "3", "two failures, then success");
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM analytics.web_searches WHERE event_date IS NULL"), "0");

    // A conflict that never ends: a bounded number of attempts, then the server's error.
    psql(&url, "DROP TRIGGER flaky ON analytics.web_searches; UPDATE analytics.web_searches SET event_date = NULL");
    psql(&url, &flaky(1000));
    let out = schema(shipped(), &url, &["backfill", "--table", "web_searches"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("deadlock detected"), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT last_value FROM analytics.attempts"), "6", "one attempt and five retries");
}

#[test]
fn validate_refuses_samples_and_dates_no_server_takes() {
    let run = |args: &[&str]| {
        let out = schema(shipped(), "postgres://unused", args);
        (out.status.code(), text(&out))
    };
    let (code, out) = run(&["validate", "--sql", "--samples", "18446744073709551615"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("--samples 18446744073709551615: at most 1000"), "{out}");
    let (code, out) = run(&["validate", "--sql", "--samples", "1000"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("LIMIT 1000"), "{out}");
    for date in ["0000-01-01", "10000-01-01", "2023-02-29"] {
        let (code, out) = run(&["validate", "--sql", "--since", date]);
        assert_eq!(code, Some(2), "{date}: {out}");
        assert!(out.contains("year 1 to 9999"), "{out}");
    }
    let (code, out) = run(&["validate", "--sql", "--since", "0001-01-01"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn inspect_out_must_be_a_folder() {
    let url = common::fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a_file.yaml");
    std::fs::write(&file, "x").unwrap();
    let out = schema(tmp.path(), &url, &["inspect", "--namespace", "public", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("a_file.yaml is not a folder"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x", "left alone");
}
