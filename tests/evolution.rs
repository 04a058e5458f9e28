//! Schema evolution: the shipped schema goes through a script of YAML edits. After each one,
//! `schema generate` emits the migration, `schema migrate` applies it to a real PostgreSQL
//! holding data, the data inserted before the edit is still there, `generate --check` is clean,
//! and the Redshift text of every step is pinned by a snapshot and parsed by sqlfluff.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Project {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    url: String,
}

impl Project {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_schema"))
            .arg("--project")
            .arg(&self.root)
            .args(["--database-url", &self.url])
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "schema {args:?} failed:\n{text}");
        text
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.root.join("schema").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.root.join("schema").join(file), text).unwrap();
    }

    fn sql(&self, sql: &str) -> String {
        common::psql(&self.url, sql)
    }

    /// Generates, snapshots the Redshift text, migrates; returns the PostgreSQL migration text.
    fn step(&self, name: &str, flags: &[&str]) -> String {
        let mut args = vec!["generate", "--name", name];
        args.extend(flags);
        self.ok(&args);
        // A step can be several files (Redshift puts what must run outside a transaction into
        // migrations of its own): all of them, in version order.
        let file = |d: &str| {
            let dir = self.root.join("migrations").join(d);
            let mut parts: Vec<(i64, PathBuf)> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter_map(|p| {
                    let stem = p.file_stem()?.to_str()?.to_string();
                    let (version, rest) = stem.strip_prefix('V')?.split_once("__")?;
                    let ours = rest == name
                        || rest
                            .strip_prefix(name)
                            .and_then(|r| r.strip_prefix('_'))
                            .is_some_and(|n| n.parse::<u32>().is_ok());
                    let version: i64 = version.parse().ok()?;
                    ours.then(|| (version, p.clone()))
                })
                .collect();
            // A dialect with nothing to do gets no file (a sort key on PostgreSQL, an index on
            // Redshift).
            if parts.is_empty() {
                return String::new();
            }
            parts.sort();
            parts.iter().map(|(_, p)| std::fs::read_to_string(p).unwrap()).collect::<Vec<_>>().join("\n")
        };
        insta::assert_snapshot!(format!("evolution_{name}"), file("redshift"));
        self.ok(&["migrate"]);
        assert!(self.run(&["generate", "--check"]).status.success(), "{name}: generate --check after migrate");
        let drift = self.run(&["diff"]);
        assert!(drift.status.success(), "{name}: drift after migrate:\n{}", String::from_utf8_lossy(&drift.stdout));
        file("postgres")
    }
}

fn setup() -> Project {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema"), &root.join("schema"));
    let project = Project { _tmp: tmp, root, url: common::fresh_database() };
    project.edit("schema.yaml", "phases: [1, 2]", "phases: [1]");
    project.ok(&["generate", "--name", "initial"]);
    project.ok(&["migrate"]);
    project.sql(
        "INSERT INTO analytics.chat_sessions (session_id, user_id, event_timestamp, event_date) VALUES
           ('s1', 'u1', '2026-11-01 10:15:00', '2026-11-01'), ('s2', 'u2', '2026-11-02 23:05:00', '2026-11-02');
         INSERT INTO analytics.tool_usage (session_id, step_index, reasoning_step_type, tool_category, event_timestamp)
           VALUES ('s1', 0, 'web_search', 'web_search', '2026-11-01 10:15:01');
         INSERT INTO analytics.web_searches (session_id, search_type, search_keywords, num_results, event_timestamp, event_date)
           VALUES ('s1', 'news', '[\"cheese\"]', 7, '2026-11-01 10:15:02', '2026-11-01');
         INSERT INTO analytics.web_automations (session_id, action_type, domain_name, domain_category, intent_type, event_timestamp, event_date)
           VALUES ('s2', 'click', 'kurly.com', 'Shopping', 'Transactional', '2026-11-02 23:05:01', '2026-11-02');
         INSERT INTO analytics.usage_metrics (session_id, latency_ms, event_timestamp, event_date)
           VALUES ('s1', 1200, '2026-11-01 10:15:03', '2026-11-01');",
    );
    project
}

const SEARCH_ENGINE: &str =
    "  - name: search_engine\n    type: varchar(32)\n    description: Engine that served the search.\n";
const MV_ENGINES: &str = "materialized_view: mv_searches_by_engine
backup: false
sort_key: { columns: [event_date] }
sql: |
  SELECT event_date AS event_date, search_engine AS search_engine, COUNT(*) AS searches
  FROM {{ ref('web_searches') }}
  GROUP BY event_date, search_engine
";
const MV_ENGINE_TOTALS: &str = "materialized_view: mv_engine_totals
backup: false
sql: |
  SELECT search_engine AS search_engine, SUM(searches) AS searches
  FROM {{ ref('mv_searches_by_engine') }}
  GROUP BY search_engine
";

#[test]
fn the_shipped_schema_evolves_through_a_script_of_edits_without_losing_data() {
    let p = setup();
    let base_rows = "SELECT (SELECT count(*) FROM analytics.chat_sessions) || ',' || (SELECT count(*) FROM analytics.web_searches) || ',' || (SELECT count(*) FROM analytics.web_automations) || ',' || (SELECT count(*) FROM analytics.usage_metrics)";
    let unchanged = |p: &Project| assert_eq!(p.sql(base_rows), "2,1,1,1", "rows inserted before the edits are gone");

    // 1. Add a column.
    p.edit("tables/web_searches.yaml", "indexes:\n", &format!("{SEARCH_ENGINE}indexes:\n"));
    let sql = p.step("add_column", &[]);
    assert!(sql.contains(r#"ADD COLUMN "search_engine" VARCHAR(32);"#), "{sql}");
    unchanged(&p);

    // 2. Add a derived column: it is backfilled from its expression.
    p.edit(
        "tables/chat_sessions.yaml",
        "indexes:\n",
        "  - name: event_hour\n    type: integer\n    derived: EXTRACT(HOUR FROM event_timestamp)\nindexes:\n",
    );
    p.step("add_derived_column", &[]);
    assert_eq!(p.sql("SELECT session_id || ':' || event_hour FROM analytics.chat_sessions ORDER BY 1"), "s1:10\ns2:23");

    // 3. Widen a varchar: in place on both dialects (Redshift outside a transaction block).
    p.edit("tables/web_automations.yaml", "type: varchar(255)", "type: varchar(512)");
    p.step("widen_varchar", &[]);
    assert_eq!(p.sql("SELECT character_maximum_length FROM information_schema.columns WHERE table_name = 'web_automations' AND column_name = 'domain_name'"), "512");
    unchanged(&p);

    // 4. Change a type: guarded (PostgreSQL rewrites the table; Redshift rebuilds the column).
    p.edit(
        "tables/usage_metrics.yaml",
        "  - name: latency_ms\n    type: integer",
        "  - name: latency_ms\n    type: bigint",
    );
    let out = p.run(&["generate", "--name", "latency_bigint"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PostgreSQL rewrites the whole table"));
    p.step("latency_bigint", &["--allow-destructive"]);
    assert_eq!(p.sql("SELECT data_type || ':' || latency_ms FROM information_schema.columns, analytics.usage_metrics WHERE table_name = 'usage_metrics' AND column_name = 'latency_ms'"), "bigint:1200");

    // 5. Add a table and two materialized views, the second reading the first.
    p.write(
        "tables/search_clicks.yaml",
        "table: search_clicks\ndistribution: { style: key, key: session_id }\nsort_key: { columns: [event_date] }\ncolumns:\n  - { name: click_id, type: bigint, identity: true, primary_key: true }\n  - { name: session_id, type: varchar(64), nullable: false, references: chat_sessions.session_id }\n  - { name: event_date, type: date }\n",
    );
    p.write("views/mv_searches_by_engine.yaml", MV_ENGINES);
    p.write("views/mv_engine_totals.yaml", MV_ENGINE_TOTALS);
    p.step("add_table_and_views", &[]);
    p.ok(&["--quiet", "migrate"]);
    unchanged(&p);

    // 6. Enable Phase 2: its tables and views are created.
    p.edit("schema.yaml", "phases: [1]", "phases: [1, 2]");
    let sql = p.step("enable_phase_2", &[]);
    assert!(sql.contains(r#"CREATE TABLE "analytics"."user_feedback""#));
    assert!(sql.contains(r#"CREATE MATERIALIZED VIEW "analytics"."mv_feedback_analytics""#));

    // 7. Change a sort key (Redshift only; PostgreSQL declares indexes instead).
    p.edit(
        "tables/web_searches.yaml",
        "columns: [event_date, search_type]\ncolumns:",
        "columns: [event_date, event_timestamp]\ncolumns:",
    );
    let sql = p.step("web_searches_sort_key", &["--allow-destructive"]);
    assert!(sql.is_empty(), "no PostgreSQL migration for a sort key: {sql}");

    // 8. Change a distribution key (Redshift only).
    p.edit("tables/tool_usage.yaml", "distribution: { style: key, key: session_id }", "distribution: { style: even }");
    p.step("tool_usage_even", &["--allow-destructive"]);

    // 9. Change a materialized view's body: it and its dependent are dropped and recreated.
    p.edit(
        "views/mv_searches_by_engine.yaml",
        "COUNT(*) AS searches",
        "COUNT(*) AS searches, SUM(num_results) AS results",
    );
    let sql = p.step("mv_body", &[]);
    let order: Vec<&str> = sql.lines().filter(|l| l.starts_with("DROP") || l.starts_with("CREATE")).collect();
    assert_eq!(
        order,
        [
            r#"DROP MATERIALIZED VIEW IF EXISTS "analytics"."mv_engine_totals";"#,
            r#"DROP MATERIALIZED VIEW IF EXISTS "analytics"."mv_searches_by_engine";"#,
            r#"CREATE MATERIALIZED VIEW "analytics"."mv_searches_by_engine" AS"#,
            r#"CREATE MATERIALIZED VIEW "analytics"."mv_engine_totals" AS"#,
        ]
    );

    // 10. Rename a column declared with renamed_from: RENAME, not drop + add; data kept.
    p.edit(
        "tables/web_automations.yaml",
        "  - name: intent_type\n",
        "  - name: intent_category\n    renamed_from: intent_type\n",
    );
    let sql = p.step("rename_intent", &[]);
    assert!(sql.contains(r#"RENAME COLUMN "intent_type" TO "intent_category";"#), "{sql}");
    assert_eq!(p.sql("SELECT intent_category FROM analytics.web_automations"), "Transactional");

    // 11. Drop a column: refused without the flag (nothing written), applied with it.
    let text = std::fs::read_to_string(p.root.join("schema/tables/web_searches.yaml")).unwrap();
    let start = text.find("  - name: search_keywords\n").unwrap();
    let end = start + 1 + text[start + 1..].find("  - name: ").unwrap();
    p.write("tables/web_searches.yaml", &format!("{}{}", &text[..start], &text[end..]));
    let files = std::fs::read_dir(p.root.join("migrations/postgres")).unwrap().count();
    let out = p.run(&["generate", "--name", "drop_keywords"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("drop column analytics.web_searches.search_keywords: deletes the column's data"), "{said}");
    assert_eq!(std::fs::read_dir(p.root.join("migrations/postgres")).unwrap().count(), files, "nothing written");
    p.step("drop_keywords", &["--allow-destructive"]);
    assert_eq!(p.sql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'search_keywords'"), "0");
    unchanged(&p);

    // 12. Add an index (PostgreSQL only).
    p.edit(
        "tables/web_searches.yaml",
        "indexes:\n",
        "indexes:\n  - name: idx_web_searches_engine\n    columns: [search_engine]\n",
    );
    let sql = p.step("add_index", &[]);
    assert!(sql.contains(r#"CREATE INDEX "idx_web_searches_engine""#));

    // 13. Make a column NOT NULL (PostgreSQL SET NOT NULL; Redshift rebuilds the table).
    p.edit(
        "tables/chat_sessions.yaml",
        "  - name: user_id\n    type: varchar(64)\n",
        "  - name: user_id\n    type: varchar(64)\n    nullable: false\n",
    );
    let sql = p.step("user_id_not_null", &["--allow-destructive"]);
    assert!(sql.contains(r#"ALTER COLUMN "user_id" SET NOT NULL;"#), "{sql}");
    unchanged(&p);

    // Every Redshift migration of the evolution parses under the independent grammar.
    common::redshift_grammar_accepts_path(&p.root.join("migrations/redshift")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn narrowing_a_column_below_a_stored_value_fails_and_changes_nothing() {
    let p = setup();
    let long = "x".repeat(200);
    p.sql(&format!("UPDATE analytics.web_automations SET domain_name = '{long}'"));
    p.edit("tables/web_automations.yaml", "type: varchar(255)", "type: varchar(100)");
    p.ok(&["generate", "--name", "narrow", "--allow-destructive"]);
    let out = p.run(&["migrate"]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("cannot change analytics.web_automations.domain_name from varchar(255) to varchar(100): a value is longer than 100 characters"),
        "{said}"
    );
    // Nothing changed: the type and the value are as they were.
    let ty = "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'analytics.web_automations'::regclass AND attname = 'domain_name'";
    assert_eq!(p.sql(ty), "character varying(255)");
    assert_eq!(p.sql("SELECT length(domain_name) FROM analytics.web_automations"), "200");
}
