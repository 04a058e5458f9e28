//! `schema migrate` / `status` / `baseline` against a real PostgreSQL (a throwaway cluster
//! per test binary, a fresh database per test, or TEST_DATABASE_URL).

mod common;

use common::{psql, schema, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A project (the feature fixture with its generated V1) plus hand-written migrations.
fn project(extra: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features/schema");
    common::copy_dir(&fixture, &root.join("schema"));
    let out = Command::new(env!("CARGO_BIN_EXE_schema")).arg("--project").arg(&root).arg("generate").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    for (name, sql) in extra {
        std::fs::write(root.join("migrations/postgres").join(name), sql).unwrap();
    }
    (tmp, root)
}

fn history(url: &str) -> String {
    psql(url, "SELECT version || ':' || name FROM analytics.refinery_schema_history ORDER BY version")
}

fn tables(url: &str) -> String {
    psql(url, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'analytics' AND relkind IN ('r', 'm') AND relname <> 'refinery_schema_history'")
}

const V2: (&str, &str) = (
    "V2__lookup.sql",
    "CREATE TABLE analytics.lookup (id INTEGER PRIMARY KEY);\nINSERT INTO analytics.lookup VALUES (1), (2);\n",
);
const V3: (&str, &str) = ("V3__slow.sql", "CREATE TABLE analytics.slow (id INTEGER);\nSELECT pg_sleep(1);\n");

#[test]
fn concurrent_runs_apply_each_migration_exactly_once() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[V2, V3]);
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_schema"))
                .arg("--project")
                .arg(&root)
                .args(["--database-url", &url, "migrate"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", text(out));
    }
    assert!(outputs.iter().any(|o| text(o).contains("waiting for another `schema migrate`")), "nobody waited?");
    assert_eq!(history(&url), "1:initial\n2:lookup\n3:slow");
    assert_eq!(tables(&url), "chat_sessions,events,lookup,mv_keyed,mv_x,slow,web_automations");
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.lookup"), "2");
}

#[test]
fn a_failing_migration_leaves_nothing_and_can_be_fixed() {
    let url = common::fresh_database();
    let bad = "CREATE TABLE analytics.half (id INTEGER);\nINSERT INTO analytics.half VALUES (1);\nINSERT INTO analytics.no_such_table VALUES (1);\n";
    let (_tmp, root) = project(&[V2, ("V3__broken.sql", bad)]);
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("V3__broken.sql failed"), "{err}");
    assert!(err.contains("relation \"analytics.no_such_table\" does not exist"), "{err}");
    assert_eq!(history(&url), "1:initial\n2:lookup", "earlier migrations stay applied");
    assert!(!tables(&url).contains("half"), "no half-created table");

    let fixed = bad.replace("analytics.no_such_table", "analytics.half");
    std::fs::write(root.join("migrations/postgres/V3__broken.sql"), fixed).unwrap();
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.half"), "2");
}

#[test]
fn sigkill_in_the_middle_leaves_no_partial_state() {
    let url = common::fresh_database();
    let long = "CREATE TABLE analytics.long_one (id INTEGER);\nSELECT pg_sleep(3);\nINSERT INTO analytics.long_one VALUES (1);\n";
    let (_tmp, root) = project(&[("V2__long.sql", long)]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_schema"))
        .arg("--project")
        .arg(&root)
        .args(["--database-url", &url, "migrate"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while psql(
        &url,
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()",
    ) != "1"
    {
        assert!(Instant::now() < deadline, "the long migration never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(history(&url), "1:initial\n2:long");
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.long_one"), "1", "applied exactly once, by the second run");
}

#[test]
fn an_edited_applied_migration_is_reported_and_refused() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[V2]);
    assert!(schema(&root, &url, &["migrate"]).status.success());
    std::fs::write(root.join("migrations/postgres/V2__lookup.sql"), V2.1.replace("(1), (2)", "(1)")).unwrap();
    std::fs::write(root.join("migrations/postgres/V3__next.sql"), "CREATE TABLE analytics.next (id INTEGER);\n")
        .unwrap();

    let out = schema(&root, &url, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let status = text(&out);
    assert!(status.contains("DIVERGENT"), "{status}");
    assert!(
        status.contains(
            "V2__lookup: migrations/postgres/V2__lookup.sql changed after it was applied (checksum in the database"
        ),
        "{status}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&schema(&root, &url, &["status", "--format", "json"]).stdout).unwrap();
    let states: Vec<&str> =
        json["migrations"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["applied", "divergent", "pending"]);

    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("V2__lookup.sql changed after it was applied"), "{}", text(&out));
    assert!(!tables(&url).contains("next"), "nothing applied while divergent");

    // A missing file is reported too.
    std::fs::write(root.join("migrations/postgres/V2__lookup.sql"), V2.1).unwrap();
    assert!(schema(&root, &url, &["migrate"]).status.success());
    std::fs::remove_file(root.join("migrations/postgres/V3__next.sql")).unwrap();
    let out = schema(&root, &url, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("V3__next: applied to the database but its file is missing"), "{}", text(&out));
}

#[test]
fn dry_run_target_and_baseline() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[V2, ("V3__more.sql", "CREATE TABLE analytics.more (id INTEGER);\n")]);
    let out = schema(&root, &url, &["migrate", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3, "{}", text(&out));
    assert_eq!(tables(&url), "", "dry run changes nothing");

    assert!(schema(&root, &url, &["migrate", "--to", "2"]).status.success());
    assert_eq!(history(&url), "1:initial\n2:lookup");
    assert_eq!(schema(&root, &url, &["migrate", "--to", "9"]).status.code(), Some(2));

    // Baseline: a database created by hand is marked as at V3 without running anything.
    let other = common::fresh_database();
    psql(&other, "CREATE SCHEMA analytics");
    let out = schema(&root, &other, &["baseline", "--version", "3"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(history(&other), "1:initial\n2:lookup\n3:more");
    assert_eq!(tables(&other), "", "baseline runs nothing");
    assert!(text(&schema(&root, &other, &["migrate"])).contains("is up to date"));
}

#[test]
fn no_transaction_migrations_run_statement_by_statement() {
    let url = common::fresh_database();
    // CREATE INDEX CONCURRENTLY fails inside a transaction block, like Redshift's ALTER COLUMN TYPE.
    let sql = "-- schema:no-transaction\nCREATE TABLE analytics.big (id INTEGER);\nCREATE INDEX CONCURRENTLY big_id ON analytics.big (id);\n";
    let (_tmp, root) = project(&[("V2__concurrent.sql", sql)]);
    let out = schema(&root, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(history(&url), "1:initial\n2:concurrent");
    assert_eq!(psql(&url, "SELECT indexname FROM pg_indexes WHERE indexname = 'big_id'"), "big_id");
}

#[test]
fn bad_connections_fail_fast_with_exit_2_and_no_password() {
    let (_tmp, root) = project(&[]);
    let good = common::fresh_database();
    let mut with_password = url::Url::parse(&good).unwrap();
    with_password.set_password(Some("s3cret-pw")).unwrap();
    let port = with_password.port().unwrap();
    let cases = [
        ("refused port", "postgres://app:s3cret-pw@127.0.0.1:1/db".to_string()),
        ("malformed URL", "postgres://app:s3cret-pw@127.0.0.1:notaport/db".to_string()),
        (
            "TLS required, server without TLS",
            with_password.query_pairs_mut().append_pair("sslmode", "require").finish().to_string(),
        ),
        ("unknown host", format!("postgres://app:s3cret-pw@no-such-host.invalid:{port}/db")),
    ];
    for (what, url) in cases {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_schema"))
            .arg("--project")
            .arg(&root)
            .args(["--database-url", &url, "--connect-timeout", "3", "status"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(started.elapsed() < Duration::from_secs(3), "{what}: took {:?}", started.elapsed());
        assert!(!err.contains("s3cret-pw"), "{what} leaked the password: {err}");
        // The error in one line, after the `database:` line when the URL parsed.
        let lines: Vec<&str> = err.trim_end().lines().filter(|l| !l.starts_with("database: ")).collect();
        assert_eq!(lines.len(), 1, "{what}: one error line expected: {err}");
        assert!(lines[0].starts_with("error: "), "{what}: {err}");
    }
}

#[test]
fn passwords_never_show_in_status_or_errors() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[]);
    // rust-postgres percent-decodes query keys: this is the password parameter, the server's own.
    let password = common::password(&url);
    let mut with_key = url::Url::parse(&url).unwrap();
    with_key.set_query(Some(&format!("pass%77ord={password}")));
    for format in ["text", "json"] {
        let out = schema(&root, with_key.as_str(), &["status", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(!text(&out).contains(&password), "{format} leaked the password: {}", text(&out));
        assert!(text(&out).contains("postgres:***@"), "{}", text(&out));
    }
    // A URL given where no argument is expected: clap's error echoes it.
    let out = Command::new(env!("CARGO_BIN_EXE_schema"))
        .arg("--project")
        .arg(&root)
        .args(["status", "postgres://app:s3cret-pw@127.0.0.1:1/db"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unexpected argument"), "{err}");
    assert!(!err.contains("s3cret-pw"), "clap leaked the password: {err}");
}

const PARTIAL: &str = "-- schema:no-transaction\nCREATE TABLE analytics.part (id INTEGER);\nINSERT INTO analytics.part VALUES (1);\nINSERT INTO analytics.no_such_table VALUES (2);\nINSERT INTO analytics.part VALUES (3);\n";

#[test]
fn a_failing_no_transaction_migration_says_what_stays_and_resumes() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[("V2__partial.sql", PARTIAL)]);
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("V2__partial.sql failed at statement 3 of 4"), "{err}");
    assert!(err.contains("statements 1-2 were committed"), "{err}");
    assert!(err.contains("CREATE TABLE analytics.part (id INTEGER)"), "the committed statements are listed: {err}");
    assert!(!err.contains("nothing of it was kept"), "{err}");
    assert_eq!(history(&url), "1:initial");
    let status = text(&schema(&root, &url, &["status"]));
    assert!(status.contains("V2__partial: statements 1-2 were committed by a run that failed"), "{status}");

    // Editing a committed statement is refused: it ran and cannot be run differently.
    let path = root.join("migrations/postgres/V2__partial.sql");
    std::fs::write(&path, PARTIAL.replace("VALUES (1)", "VALUES (9)")).unwrap();
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("statement 2 was committed by an earlier run and has changed since"), "{}", text(&out));

    // Fixing the failed statement: the rerun resumes there, nothing runs twice.
    std::fs::write(&path, PARTIAL.replace("no_such_table", "part")).unwrap();
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(history(&url), "1:initial\n2:partial");
    assert_eq!(psql(&url, "SELECT string_agg(id::text, ',' ORDER BY id) FROM analytics.part"), "1,2,3");
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.schema_migration_progress"), "0");
    let diff = schema(&root, &url, &["diff"]);
    assert!(!text(&diff).contains("schema_migration_progress"), "{}", text(&diff));
}

#[test]
fn transaction_control_in_a_migration_is_refused_before_anything_runs() {
    let url = common::fresh_database();
    for (name, sql) in [
        ("V2__commit.sql", "CREATE TABLE analytics.c (id INTEGER);\nCOMMIT;\n"),
        ("V2__begin.sql", "-- schema:no-transaction\n/* open one */ begin;\nCREATE TABLE analytics.c (id INTEGER);\n"),
        ("V2__start.sql", "START TRANSACTION;\nCREATE TABLE analytics.c (id INTEGER);\nROLLBACK;\n"),
        // Hidden from a splitter that missed the string's continuation: `'\'` continues the E'' string.
        ("V2__continued.sql", "SELECT E'a'\n'\\' || '; COMMIT; CREATE TABLE analytics.c (id INTEGER); SELECT 'a';\n"),
        // It would end the migration's transaction as surely as COMMIT does.
        ("V2__prepare.sql", "CREATE TABLE analytics.c (id INTEGER);\nPREPARE TRANSACTION 'x';\n"),
    ] {
        let (_tmp, root) = project(&[(name, sql)]);
        let out = schema(&root, &url, &["migrate"]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains("transaction control"), "{name}: {err}");
        assert_eq!(tables(&url), "", "{name}: nothing ran");
    }
    // Inside a function body BEGIN is not a statement.
    let body = "CREATE FUNCTION analytics.f() RETURNS INTEGER AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n";
    let (_tmp, root) = project(&[("V2__function.sql", body)]);
    assert_eq!(schema(&root, &url, &["migrate"]).status.code(), Some(0));
}

#[test]
fn a_migration_added_below_an_applied_one_is_named_and_applied_on_request() {
    let url = common::fresh_database();
    let v4 = ("V4__later.sql", "CREATE TABLE analytics.later (id INTEGER);\n");
    let (_tmp, root) = project(&[V2, v4]);
    assert!(schema(&root, &url, &["migrate"]).status.success());
    std::fs::write(root.join("migrations/postgres/V3__between.sql"), "CREATE TABLE analytics.between (id INTEGER);\n")
        .unwrap();

    let out = schema(&root, &url, &["status"]);
    assert!(text(&out).contains("V3__between was added below the applied V4"), "{}", text(&out));
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("V3__between was added below the applied V4"), "{}", text(&out));
    assert!(text(&out).contains("--allow-out-of-order"), "{}", text(&out));
    assert!(!text(&out).contains("missing"), "{}", text(&out));
    assert!(!tables(&url).contains("between"));

    let out = schema(&root, &url, &["migrate", "--allow-out-of-order"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(history(&url), "1:initial\n2:lookup\n3:between\n4:later");
    assert!(tables(&url).contains("between"));
    assert_eq!(schema(&root, &url, &["status"]).status.code(), Some(0));
}

#[test]
fn migrate_needs_no_create_privilege_on_the_database() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[V2]);
    let db = url::Url::parse(&url).unwrap().path().trim_start_matches('/').to_string();
    let role = format!("owner_{db}");
    psql(&url, &format!("CREATE ROLE {role} LOGIN PASSWORD 'owner-pw'; REVOKE CREATE ON DATABASE {db} FROM PUBLIC"));
    psql(&url, &format!("CREATE SCHEMA analytics AUTHORIZATION {role}"));
    let mut as_owner = url::Url::parse(&url).unwrap();
    as_owner.set_username(&role).unwrap();
    as_owner.set_password(Some("owner-pw")).unwrap();
    let as_owner = as_owner.to_string();
    // V1 creates the schema itself: the owner marks it as done, then applies V2.
    let out = schema(&root, &as_owner, &["baseline", "--version", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = schema(&root, &as_owner, &["migrate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(history(&url), "1:initial\n2:lookup");
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.lookup"), "2");
}

#[test]
fn unusual_history_tables_are_reported_not_panicked_on() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[V2]);
    assert!(schema(&root, &url, &["migrate", "--to", "1"]).status.success());
    // What refinery without 64-bit versions creates.
    psql(&url, "ALTER TABLE analytics.refinery_schema_history ALTER COLUMN version TYPE INTEGER");
    let out = schema(&root, &url, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let status = text(&out);
    assert!(status.contains("V1 ") && status.contains("applied") && status.contains("pending"), "{status}");
    let fix = "ALTER TABLE \"analytics\".refinery_schema_history ALTER COLUMN version TYPE BIGINT";
    assert!(status.contains(fix), "{status}");
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(fix), "{}", text(&out));
    assert_eq!(history(&url), "1:initial", "nothing applied");

    psql(&url, fix);
    for column in ["name", "applied_on", "checksum"] {
        psql(&url, "TRUNCATE analytics.refinery_schema_history");
        assert!(schema(&root, &url, &["baseline", "--version", "1"]).status.success());
        psql(&url, &format!("UPDATE analytics.refinery_schema_history SET {column} = NULL"));
        for command in ["status", "migrate"] {
            let out = schema(&root, &url, &[command]);
            assert_eq!(out.status.code(), Some(1), "{column}, {command}: {}", text(&out));
            assert!(text(&out).contains(&format!("V1: the history row has no {column}")), "{}", text(&out));
        }
    }
    psql(&url, "UPDATE analytics.refinery_schema_history SET checksum = 'x', applied_on = 'yesterday'");
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("applied_on `yesterday` is not an RFC 3339 timestamp"), "{}", text(&out));
}

#[test]
fn upper_case_extensions_count_and_renamed_files_are_named() {
    let url = common::fresh_database();
    let (_tmp, root) = project(&[("V2__upper.SQL", "CREATE TABLE analytics.upper (id INTEGER);\n")]);
    let out = schema(&root, &url, &["migrate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(history(&url), "1:initial\n2:upper");

    let dir = root.join("migrations/postgres");
    std::fs::rename(dir.join("V2__upper.SQL"), dir.join("V2__other_name.sql")).unwrap();
    let out = schema(&root, &url, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(
            "V2__other_name: migrations/postgres/V2__other_name.sql was renamed after it was applied as V2__upper"
        ),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("changed after"), "{}", text(&out));
}
