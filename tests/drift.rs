//! `schema diff` and `schema inspect` against a real PostgreSQL (a throwaway cluster per test
//! binary, a fresh database per test, or TEST_DATABASE_URL).

mod common;

use common::{copy_dir, psql, schema, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn diff_json(project: &Path, url: &str) -> (Output, Value) {
    let out = schema(project, url, &["diff", "--format", "json"]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (out, json)
}

/// `kind object` of every finding.
fn findings(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["kind"].as_str().unwrap(), f["object"].as_str().unwrap()))
        .collect()
}

/// A copy of the shipped project (YAML only) in a temp dir, with `edit` applied to schema.yaml.
fn shipped_copy(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("schema"), &tmp.path().join("schema"));
    let file = tmp.path().join("schema/schema.yaml");
    std::fs::write(&file, edit(&std::fs::read_to_string(&file).unwrap())).unwrap();
    let dir = tmp.path().to_path_buf();
    (tmp, dir)
}

#[test]
fn the_shipped_schema_just_migrated_has_no_drift() {
    let url = common::shipped_database();
    let out = schema(root(), &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no drift"), "{}", text(&out));
    let (_, json) = diff_json(root(), &url);
    assert_eq!(json["drift"], false);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    assert_eq!(json["diff"], "");
    assert_eq!(json["warnings"].as_array().unwrap().len(), 0, "{json}");
}

#[test]
fn phase_one_only_has_no_drift_and_names_phase_two_objects() {
    let (_tmp, dir) = shipped_copy(|yaml| yaml.replace("phases: [1, 2]", "phases: [1]"));
    let out = schema(&dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let url = common::fresh_database();
    let out = schema(&dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no drift"), "{}", text(&out));

    // A phase-2 table in the database is drift while phase 2 is not enabled, and says so.
    psql(&url, "CREATE TABLE analytics.user_feedback (feedback_id BIGINT)");
    let (out, json) = diff_json(&dir, &url);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(findings(&json), ["extra_table analytics.user_feedback"]);
    assert_eq!(json["findings"][0]["expected"], "nothing (phase 2 is not enabled)");
}

/// Each hand-made change to a freshly migrated database and the finding it must produce.
const DRIFT: &[(&str, &str, &str)] = &[
    ("drop a column", "ALTER TABLE analytics.web_automations DROP COLUMN intent_type", "missing_column analytics.web_automations.intent_type"),
    ("add a column", "ALTER TABLE analytics.web_automations ADD COLUMN note TEXT", "extra_column analytics.web_automations.note"),
    ("widen a varchar", "ALTER TABLE analytics.web_automations ALTER COLUMN action_type TYPE VARCHAR(128)", "column_type analytics.web_automations.action_type"),
    ("change a type", "ALTER TABLE analytics.web_automations ALTER COLUMN event_timestamp TYPE TIMESTAMPTZ", "column_type analytics.web_automations.event_timestamp"),
    ("drop NOT NULL", "ALTER TABLE analytics.web_automations ALTER COLUMN event_timestamp DROP NOT NULL", "nullability analytics.web_automations.event_timestamp"),
    ("change a default", "ALTER TABLE analytics.web_automations ALTER COLUMN domain_category SET DEFAULT 'Other'", "default analytics.web_automations.domain_category"),
    ("drop a default", "ALTER TABLE analytics.domain_classifications ALTER COLUMN is_active DROP DEFAULT", "default analytics.domain_classifications.is_active"),
    ("drop an identity", "ALTER TABLE analytics.web_automations ALTER COLUMN web_automation_id DROP IDENTITY", "identity analytics.web_automations.web_automation_id"),
    ("drop an index", "DROP INDEX analytics.idx_web_automations_session", "missing_index analytics.web_automations.idx_web_automations_session"),
    ("add an index", "CREATE INDEX idx_extra ON analytics.web_automations (action_type)", "extra_index analytics.web_automations.idx_extra"),
    ("change an index", "DROP INDEX analytics.idx_web_automations_session; CREATE INDEX idx_web_automations_session ON analytics.web_automations (session_id DESC)", "index analytics.web_automations.idx_web_automations_session"),
    ("change a partial index", "DROP INDEX analytics.idx_domain_classifications_active; CREATE UNIQUE INDEX idx_domain_classifications_active ON analytics.domain_classifications (domain_name) WHERE NOT is_active", "index analytics.domain_classifications.idx_domain_classifications_active"),
    ("add a stray table", "CREATE TABLE analytics.stray (id INTEGER)", "extra_table analytics.stray"),
    ("drop a table", "DROP TABLE analytics.interruptions", "missing_table analytics.interruptions"),
    ("change an MV body", "DROP MATERIALIZED VIEW analytics.mv_cost_analytics; CREATE MATERIALIZED VIEW analytics.mv_cost_analytics AS SELECT event_date, model, COUNT(*) AS request_count FROM analytics.usage_metrics GROUP BY event_date, model WITH NO DATA", "view_body analytics.mv_cost_analytics"),
    ("drop an MV", "DROP MATERIALIZED VIEW analytics.mv_basic_statistics", "missing_view analytics.mv_basic_statistics"),
    ("replace an MV by a view", "DROP MATERIALIZED VIEW analytics.mv_basic_statistics; CREATE VIEW analytics.mv_basic_statistics AS SELECT 1 AS event_date", "view_kind analytics.mv_basic_statistics"),
    ("add a view", "CREATE VIEW analytics.v_extra AS SELECT 1 AS x", "extra_view analytics.v_extra"),
    ("rename a column", "ALTER TABLE analytics.web_automations RENAME COLUMN thread_id TO thread", "renamed_column analytics.web_automations.thread_id"),
    ("change a primary key", "ALTER TABLE analytics.domain_classifications DROP CONSTRAINT domain_classifications_pkey, ADD PRIMARY KEY (domain_classification_id, domain_name)", "primary_key analytics.domain_classifications"),
    ("add a unique key", "ALTER TABLE analytics.web_automations ADD UNIQUE (thread_id, event_timestamp)", "unique_key analytics.web_automations"),
    ("drop a foreign key", "ALTER TABLE analytics.web_automations DROP CONSTRAINT web_automations_session_id_fkey", "foreign_key analytics.web_automations"),
    ("change a column comment", "COMMENT ON COLUMN analytics.web_automations.domain_name IS 'changed'", "comment analytics.web_automations.domain_name"),
    ("drop a table comment", "COMMENT ON TABLE analytics.web_automations IS NULL", "comment analytics.web_automations"),
    ("change an MV comment", "COMMENT ON MATERIALIZED VIEW analytics.mv_cost_analytics IS 'changed'", "comment analytics.mv_cost_analytics"),
    ("add a CHECK constraint", "ALTER TABLE analytics.web_automations ADD CONSTRAINT positive_id CHECK (web_automation_id > 0)", "check_constraint analytics.web_automations.positive_id"),
    ("switch an identity to ALWAYS", "ALTER TABLE analytics.web_automations ALTER COLUMN web_automation_id SET GENERATED ALWAYS", "attribute analytics.web_automations.web_automation_id"),
    ("add a trigger", UNMANAGED[0], "trigger analytics.web_automations.touch"),
    ("add a policy", "CREATE POLICY own_rows ON analytics.web_automations USING (true)", "policy analytics.web_automations.own_rows"),
    ("enable row-level security", "ALTER TABLE analytics.web_automations ENABLE ROW LEVEL SECURITY", "row_level_security analytics.web_automations"),
    ("add a rule", "CREATE RULE no_delete AS ON DELETE TO analytics.web_automations DO INSTEAD NOTHING", "rule analytics.web_automations.no_delete"),
];

/// Hand-made objects the model does not hold, on one table.
const UNMANAGED: [&str; 4] = [
    "CREATE FUNCTION analytics.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
     CREATE TRIGGER touch BEFORE UPDATE ON analytics.web_automations FOR EACH ROW EXECUTE FUNCTION analytics.touch()",
    "CREATE POLICY own_rows ON analytics.web_automations AS RESTRICTIVE FOR SELECT TO PUBLIC USING (session_id IS NOT NULL)",
    "ALTER TABLE analytics.web_automations ENABLE ROW LEVEL SECURITY",
    "CREATE RULE no_delete AS ON DELETE TO analytics.web_automations DO INSTEAD NOTHING",
];

#[test]
fn unmanaged_objects_are_findings_of_their_own_kind_that_ignore_can_silence() {
    let url = common::shipped_database();
    psql(&url, &UNMANAGED.join(";\n"));
    let (out, json) = diff_json(root(), &url);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        common::described(&json),
        [
            "row_level_security analytics.web_automations: disabled -> enabled",
            "policy analytics.web_automations.own_rows: nothing -> AS RESTRICTIVE FOR SELECT TO public USING (session_id IS NOT NULL)",
            "rule analytics.web_automations.no_delete: nothing -> CREATE RULE no_delete AS\n    ON DELETE TO analytics.web_automations DO INSTEAD NOTHING;",
            "trigger analytics.web_automations.touch: nothing -> CREATE TRIGGER touch BEFORE UPDATE ON analytics.web_automations FOR EACH ROW EXECUTE FUNCTION analytics.touch()",
            "unmanaged analytics.touch: nothing -> touch()",
        ]
    );
    assert_eq!(json["diff"], "", "nothing the DDL shows");
    let sql = schema(root(), &url, &["diff", "--format", "sql"]);
    let sql = String::from_utf8_lossy(&sql.stdout);
    assert!(
        sql.starts_with("-- Not repaired by the statements above (5):\n"),
        "nothing a migration would change: {sql}"
    );

    // Each is silenced by its own `<kind> <table>.<name>` entry (wildcards allowed).
    let rules = "ignore: [row_level_security web_automations, policy *.own_rows, rule web_automations.no_delete, trigger web_automations.touch, unmanaged touch]\n";
    let (_tmp, dir) = shipped_copy(|yaml| format!("{yaml}{rules}"));
    let (out, json) = diff_json(&dir, &url);
    assert_eq!(out.status.code(), Some(0), "{json}");
    // Still read in the same round trips.
    assert_eq!(json["catalog_queries"], 18);

    // Inspect lists them in `ignore:`, so the adopted project diffs clean.
    let adopted = tempfile::tempdir().unwrap();
    let out = schema(
        adopted.path(),
        &url,
        &["inspect", "--namespace", "analytics", "--out", adopted.path().to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("web_automations.touch: trigger (CREATE TRIGGER touch"), "{}", text(&out));
    let settings = std::fs::read_to_string(adopted.path().join("schema/schema.yaml")).unwrap();
    // The generated refresh procedure is the tool's, but inspect cannot tell (it lists it too).
    assert!(
        settings.contains(", trigger web_automations.touch, unmanaged touch, unmanaged refresh_materialized_views]"),
        "{settings}"
    );
    let out = schema(adopted.path(), &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn hand_made_drift_is_reported_with_its_kind_and_exit_1() {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = DRIFT
            .iter()
            .map(|(what, sql, expected)| {
                scope.spawn(move || {
                    let url = common::shipped_database();
                    psql(&url, sql);
                    let (out, json) = diff_json(root(), &url);
                    let found = findings(&json);
                    if out.status.code() != Some(1) || json["drift"] != true || !found.iter().any(|f| f == expected) {
                        Some(format!(
                            "{what}: expected `{expected}` and exit 1, got exit {:?}: {found:?}",
                            out.status.code()
                        ))
                    } else {
                        None
                    }
                })
            })
            .collect();
        runs.into_iter().filter_map(|r| r.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn findings_are_exact_and_the_ddl_diff_shows_them() {
    let url = common::shipped_database();
    psql(&url, "ALTER TABLE analytics.web_automations ALTER COLUMN action_type TYPE VARCHAR(128)");
    let (_, json) = diff_json(root(), &url);
    assert_eq!(findings(&json), ["column_type analytics.web_automations.action_type"]);
    assert_eq!(json["findings"][0]["expected"], "varchar(64)");
    assert_eq!(json["findings"][0]["actual"], "varchar(128)");
    let diff = json["diff"].as_str().unwrap();
    assert!(diff.starts_with("--- live\n+++ desired\n"), "{diff}");
    assert!(diff.contains("\n-    \"action_type\" VARCHAR(128),\n+    \"action_type\" VARCHAR(64),\n"), "{diff}");

    // Text output: the finding, then the diff, coloured only when asked.
    let plain = schema(root(), &url, &["diff", "--color", "never"]);
    assert_eq!(plain.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&plain.stdout);
    assert!(stdout.contains("column_type") && stdout.contains("expected: varchar(64)"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "{stdout}");
    let coloured = schema(root(), &url, &["diff", "--color", "always"]);
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\x1b[31m-    \"action_type\""));
}

#[test]
fn github_annotations_point_at_the_yaml_line() {
    let url = common::shipped_database();
    psql(&url, "ALTER TABLE analytics.web_automations ALTER COLUMN domain_category SET DEFAULT 'x'; CREATE TABLE analytics.stray (id INTEGER)");
    psql(&url, "ALTER TABLE analytics.usage_metrics ALTER CONSTRAINT usage_metrics_session_id_fkey DEFERRABLE");
    psql(&url, "COMMENT ON CONSTRAINT usage_metrics_pkey ON analytics.usage_metrics IS 'hand-made'");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schema"))
        .current_dir(root())
        .args(["--database-url", &url, "diff", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let yaml = std::fs::read_to_string(root().join("schema/tables/web_automations.yaml")).unwrap();
    let line = yaml.lines().position(|l| l.contains("name: domain_category")).unwrap() + 1;
    assert!(
        stdout.contains(&format!(
            "::error file=schema/tables/web_automations.yaml,line={line},title=schema drift%3A default::"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("::error file=schema/schema.yaml,line=1,title=schema drift%3A extra_table::analytics.stray"),
        "{stdout}"
    );
    // A constraint the server names after its table and column points at the column, the
    // primary key at its line.
    let metrics = std::fs::read_to_string(root().join("schema/tables/usage_metrics.yaml")).unwrap();
    let at = |needle: &str| metrics.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for (line, kind, what) in [
        (at("name: session_id"), "foreign_key", "usage_metrics_session_id_fkey (deferrable)"),
        (at("primary_key"), "unmodelled", "usage_metrics_pkey"),
    ] {
        let start = format!("::error file=schema/tables/usage_metrics.yaml,line={line},title=schema drift%3A {kind}::");
        assert!(stdout.lines().any(|l| l.starts_with(&start) && l.contains(what)), "{what} at {line}: {stdout}");
    }
}

#[test]
fn ignored_and_foreign_objects_are_not_drift() {
    let (_tmp, dir) = shipped_copy(|yaml| format!("{yaml}ignore: [legacy_*, scratch]\n"));
    let url = common::shipped_database();
    psql(
        &url,
        "CREATE TABLE analytics.legacy_events (id INTEGER); CREATE VIEW analytics.scratch AS SELECT 1 AS x;
         CREATE SCHEMA other; CREATE TABLE other.web_automations (id INTEGER); CREATE VIEW other.v AS SELECT 1 AS x",
    );
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_missing_namespace_is_all_missing_and_a_bad_url_exits_2() {
    let url = common::fresh_database();
    let (out, json) = diff_json(root(), &url);
    assert_eq!(out.status.code(), Some(1));
    let found = findings(&json);
    assert!(found.contains(&"missing_table analytics.web_automations".to_string()), "{found:?}");
    assert!(found.contains(&"missing_view analytics.mv_cost_analytics".to_string()), "{found:?}");
    let out = schema(root(), "postgres://nobody@127.0.0.1:1/none", &["diff", "--connect-timeout", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn the_number_of_catalog_queries_does_not_grow_with_the_schema() {
    let queries = |tables: usize| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
        std::fs::write(dir.join("schema/schema.yaml"), "name: n\nnamespace: n\ndialects: [postgres]\n").unwrap();
        for i in 0..tables {
            let yaml = format!(
                "table: t{i}\ncolumns:\n  - {{ name: id, type: bigint, identity: true, primary_key: true }}\n  - {{ name: s, type: varchar(8), default: \"'x'\" }}\nindexes:\n  - {{ name: i{i}, columns: [s], where: s IS NOT NULL }}\n"
            );
            std::fs::write(dir.join(format!("schema/tables/t{i}.yaml")), yaml).unwrap();
        }
        assert!(schema(dir, "postgres://unused", &["generate"]).status.success());
        let url = common::fresh_database();
        assert!(schema(dir, &url, &["migrate"]).status.success());
        let (out, json) = diff_json(dir, &url);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        json["catalog_queries"].as_u64().unwrap()
    };
    assert_eq!(queries(2), queries(40));
}

#[test]
fn inspect_then_load_then_diff_round_trips() {
    for fixture in [root().to_path_buf(), root().join("tests/fixtures/features")] {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&fixture.join("schema"), &tmp.path().join("schema"));
        assert!(schema(tmp.path(), "postgres://unused", &["generate"]).status.success());
        let url = common::fresh_database();
        let out = schema(tmp.path(), &url, &["migrate"]);
        assert!(out.status.success(), "{}", text(&out));

        let adopted = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_schema"))
            .current_dir(adopted.path())
            .args(["--database-url", &url, "inspect", "--namespace", "analytics", "--out", "."])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let project = schema::load::load(&adopted.path().join("schema"))
            .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")));
        let original = schema::load::load(&tmp.path().join("schema")).unwrap();
        assert_eq!(project.tables.len(), original.tables.len());
        assert_eq!(project.views.len(), original.views.len());

        let out = schema(adopted.path(), &url, &["diff"]);
        assert_eq!(out.status.code(), Some(0), "{}: {}", fixture.display(), text(&out));
    }
}

#[test]
fn inspect_refuses_a_folder_with_files_and_prints_without_one() {
    let url = common::shipped_database();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schema"))
        .args(["--project"])
        .arg(tmp.path())
        .args(["--database-url", &url, "inspect", "--namespace", "analytics", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("is not empty"), "{}", text(&out));

    let out = schema(tmp.path(), &url, &["inspect", "--namespace", "analytics"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "--- # schema.yaml\n# yaml-language-server: $schema=.jsonschema/project.json\nname: analytics\nnamespace: analytics\ndialects: [postgres]\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- # tables/web_automations.yaml\n# yaml-language-server: $schema=../.jsonschema/table.json\ntable: web_automations\n"),
        "{stdout}"
    );
    assert!(stdout.contains("FROM {{ ref('usage_metrics') }}"), "{stdout}");
}

/// A project with a default grant, a table's own grants and a materialized view, on roles
/// created for the test (roles belong to the cluster: created once, whichever test runs first).
fn granted_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        (
            "schema.yaml",
            "name: g\nnamespace: analytics\ndialects: [postgres]\ngrants:\n  - { to: group grants_analysts, privileges: [select] }\n",
        ),
        (
            "tables/t.yaml",
            "table: t\ncolumns:\n  - { name: id, type: bigint }\ngrants:\n  - { to: role grants_etl, privileges: [select, insert] }\n  - { to: user grants_bi, privileges: [select] }\n",
        ),
        ("views/m.yaml", "materialized_view: m\nsql: SELECT id FROM {{ ref('t') }}\n"),
    ];
    for (file, text) in files {
        let path = tmp.path().join("schema").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    assert!(schema(tmp.path(), "postgres://unused", &["generate"]).status.success());
    tmp
}

fn create_roles(url: &str) {
    common::create_roles(url, &["grants_analysts", "grants_etl", "grants_bi"]);
}

#[test]
fn grants_are_migrated_and_hand_made_changes_are_grant_findings() {
    let project = granted_project();
    let url = common::fresh_database();
    create_roles(&url);
    let out = schema(project.path(), &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let (out, json) = diff_json(project.path(), &url);
    assert_eq!(out.status.code(), Some(0), "{json}");

    // A hand-made GRANT: extra, named with the kind the YAML gives the role.
    psql(&url, "GRANT INSERT ON analytics.t TO grants_analysts");
    let (out, json) = diff_json(project.path(), &url);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(common::described(&json), ["grant analytics.t: nothing -> INSERT to group grants_analysts"]);
    let sql = schema(project.path(), &url, &["diff", "--format", "sql"]);
    assert_eq!(
        String::from_utf8_lossy(&sql.stdout),
        "REVOKE INSERT ON \"analytics\".\"t\" FROM \"grants_analysts\";\n"
    );

    // A hand-made REVOKE: missing, on a view too.
    psql(&url, "REVOKE INSERT ON analytics.t FROM grants_analysts; REVOKE SELECT ON analytics.t FROM grants_etl; REVOKE ALL ON analytics.m FROM grants_analysts");
    let (_, json) = diff_json(project.path(), &url);
    assert_eq!(
        common::described(&json),
        [
            "grant analytics.t: SELECT to role grants_etl -> nothing",
            "grant analytics.m: SELECT to group grants_analysts -> nothing"
        ]
    );
    let sql = schema(project.path(), &url, &["diff", "--format", "sql"]);
    let sql = String::from_utf8_lossy(&sql.stdout);
    assert!(sql.contains("GRANT SELECT ON \"analytics\".\"t\" TO \"grants_etl\";\n"), "{sql}");
    assert!(sql.contains("GRANT SELECT ON \"analytics\".\"m\" TO \"grants_analysts\";\n"), "{sql}");
}

#[test]
fn inspect_writes_grants_that_load_and_diff_clean() {
    let project = granted_project();
    let url = common::fresh_database();
    create_roles(&url);
    assert!(schema(project.path(), &url, &["migrate"]).status.success());
    let adopted = tempfile::tempdir().unwrap();
    let out_dir = adopted.path();
    let out =
        schema(adopted.path(), &url, &["inspect", "--namespace", "analytics", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let yaml = std::fs::read_to_string(adopted.path().join("schema/tables/t.yaml")).unwrap();
    // PostgreSQL shows roles only: every grantee is written as a role.
    assert!(
        yaml.ends_with("grants:\n  - { to: role grants_analysts, privileges: [select] }\n  - { to: role grants_bi, privileges: [select] }\n  - { to: role grants_etl, privileges: [select, insert] }\n"),
        "{yaml}"
    );
    let loaded = schema::load::load(&adopted.path().join("schema")).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(loaded.view("m").unwrap().grants.as_ref().unwrap().len(), 1);
    let out = schema(adopted.path(), &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_project_without_grants_sees_no_grant_drift() {
    let url = common::shipped_database();
    create_roles(&url);
    psql(&url, "GRANT SELECT, INSERT ON analytics.web_automations TO grants_etl; GRANT SELECT ON analytics.mv_cost_analytics TO PUBLIC");
    let out = schema(root(), &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
