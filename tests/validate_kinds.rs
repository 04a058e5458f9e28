//! The check kinds Redshift's missing enforcement calls for: key uniqueness and orphans derived
//! from the YAML, accepted values (a list or a reference table's rows), ranges, thresholds, and
//! the post-load window (`--since 3d`, `--where`). Exact counts on seeded defects, real PostgreSQL.

mod common;

use common::{psql, schema, text};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The result of one check in a `validate --format json` run.
fn result<'a>(doc: &'a Value, table: &str, check: &str) -> &'a Value {
    let results = doc["results"].as_array().unwrap();
    results
        .iter()
        .find(|r| r["table"] == table && r["check"] == check)
        .unwrap_or_else(|| panic!("{table}.{check}: {doc:#}"))
}

fn validate(root: &Path, url: &str, args: &[&str]) -> (Value, i32) {
    let out = schema(root, url, &[&["validate", "--format", "json"], args].concat());
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (doc, out.status.code().unwrap())
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} lacks {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The key check results of a run, `table.check` → (failing rows, why it runs), and the key
/// checks left to the database, `table.check` → the constraint that enforces it.
fn keys(doc: &Value) -> (BTreeMap<String, (u64, String)>, BTreeMap<String, String>) {
    let ran = doc["results"].as_array().unwrap().iter().filter_map(|r| {
        let why = r.get("reason")?.as_str()?.to_string();
        Some((format!("{}.{}", r["table"].as_str()?, r["check"].as_str()?), (r["failing_rows"].as_u64()?, why)))
    });
    let left = doc["left_to_database"].as_array().into_iter().flatten().map(|l| {
        (format!("{}.{}", l["table"].as_str().unwrap(), l["check"].as_str().unwrap()), l["by"].as_str().unwrap().into())
    });
    (ran.collect(), left.collect())
}

#[test]
fn key_checks_auto_trusts_only_keys_the_database_enforces_for_every_row() {
    let url = common::fresh_database();
    let (_tmp, root) = common::shipped_project();
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let out = schema(&root, &url, &["seed", "--rows", "300", "--table", "tool_usage"]);
    assert!(out.status.success(), "{}", text(&out));
    let tables = ["--table", "chat_sessions", "--table", "tool_usage"];
    let fk = "tool_usage.session_id_in_chat_sessions";

    // Every key enforced: the key checks are left to the database, each named with its constraint.
    let (doc, code) = validate(&root, &url, &tables);
    let (ran, left) = keys(&doc);
    assert_eq!(code, 0, "{doc:#}");
    assert!(ran.is_empty(), "{ran:?}");
    let by = |check: &str| left.get(check).map(String::as_str);
    assert_eq!(by("chat_sessions.primary_key_unique"), Some("chat_sessions_pkey"), "{doc:#}");
    assert_eq!(by(fk), Some("tool_usage_session_id_fkey"));
    assert_eq!(by("tool_usage.primary_key_unique"), Some("tool_usage_pkey"));
    let out = schema(&root, &url, &[&["validate"][..], &tables].concat());
    assert!(text(&out).contains("3 key checks left to the database, whose constraints enforce them"), "{}", text(&out));

    // A foreign key added NOT VALID over orphans: the orphans are found, and the output says why.
    let orphans = |from: u32, to: u32| {
        format!(
            "INSERT INTO analytics.tool_usage (session_id, step_index, reasoning_step_type, tool_category, event_timestamp) \
             SELECT 'orphan-' || g, g, 'web_search', 'web_search', timestamp '2026-01-01' FROM generate_series({from}, {to}) g"
        )
    };
    psql(
        &url,
        &format!(
            "ALTER TABLE analytics.tool_usage DROP CONSTRAINT tool_usage_session_id_fkey; {}; \
             ALTER TABLE analytics.tool_usage ADD CONSTRAINT tool_usage_session_id_fkey FOREIGN KEY (session_id) \
             REFERENCES analytics.chat_sessions NOT VALID",
            orphans(1, 3)
        ),
    );
    let (doc, code) = validate(&root, &url, &[&tables[..], &["--samples", "5"]].concat());
    let (ran, left) = keys(&doc);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(ran[fk].0, 3, "{doc:#}");
    assert!(ran[fk].1.contains("foreign key tool_usage_session_id_fkey is NOT VALID"), "{ran:?}");
    assert!(!left.contains_key(fk) && left.contains_key("chat_sessions.primary_key_unique"), "{left:?}");
    // Each orphan with its missing parent key.
    let samples = result(&doc, "tool_usage", "session_id_in_chat_sessions")["samples"].clone();
    let missing: Vec<&str> =
        samples.as_array().unwrap().iter().map(|s| s["values"]["session_id"].as_str().unwrap()).collect();
    assert_eq!(missing, ["orphan-1", "orphan-2", "orphan-3"], "{samples:#}");
    assert!(samples[0]["key"]["tool_usage_id"].as_u64().is_some(), "{samples:#}");
    let out = schema(&root, &url, &[&["validate", "--samples", "1"][..], &tables].concat());
    let said = text(&out);
    assert!(
        said.contains("tool_usage.session_id_in_chat_sessions (keys no parent row has):\n    tool_usage_id="),
        "{said}"
    );
    assert!(said.contains("key checks run because:\n  tool_usage.session_id_in_chat_sessions: foreign key tool_usage_session_id_fkey is NOT VALID"), "{said}");

    // Validated, it is trusted again; with its triggers disabled, rows written meanwhile are not.
    psql(&url, "DELETE FROM analytics.tool_usage WHERE session_id LIKE 'orphan-%'");
    psql(&url, "ALTER TABLE analytics.tool_usage VALIDATE CONSTRAINT tool_usage_session_id_fkey");
    assert!(keys(&validate(&root, &url, &tables).0).1.contains_key(fk));
    psql(&url, &format!("ALTER TABLE analytics.tool_usage DISABLE TRIGGER ALL; {}", orphans(4, 5)));
    let (doc, code) = validate(&root, &url, &tables);
    let (ran, _) = keys(&doc);
    assert_eq!((code, ran[fk].0), (1, 2), "{doc:#}");
    assert!(ran[fk].1.contains("has its triggers disabled on tool_usage (ALTER TABLE ... DISABLE TRIGGER)"), "{ran:?}");
    psql(&url, "ALTER TABLE analytics.tool_usage ENABLE TRIGGER ALL; DELETE FROM analytics.tool_usage WHERE session_id LIKE 'orphan-%'");
    // The parent's triggers count too: a parent row deleted meanwhile leaves orphans.
    psql(&url, "ALTER TABLE analytics.chat_sessions DISABLE TRIGGER ALL");
    let (doc, _) = validate(&root, &url, &tables);
    assert!(keys(&doc).0[fk].1.contains("disabled on chat_sessions"), "{doc:#}");
    psql(&url, "ALTER TABLE analytics.chat_sessions ENABLE TRIGGER ALL");

    // No primary key at all (and the foreign keys to it gone with it): two session ids twice.
    psql(
        &url,
        "ALTER TABLE analytics.chat_sessions DROP CONSTRAINT chat_sessions_pkey CASCADE; \
         INSERT INTO analytics.chat_sessions SELECT * FROM analytics.chat_sessions ORDER BY session_id LIMIT 2",
    );
    let (doc, code) = validate(&root, &url, &[&tables[..], &["--samples", "5"]].concat());
    let (ran, _) = keys(&doc);
    assert_eq!(code, 1, "{doc:#}");
    let pk = &ran["chat_sessions.primary_key_unique"];
    assert_eq!(pk, &(4, "no primary key, unique constraint or unique index covers (session_id)".to_string()));
    assert!(ran[fk].1.starts_with("no foreign key constraint on (session_id) references chat_sessions"), "{ran:?}");
    // The duplicated keys, each with its rows.
    let samples = &result(&doc, "chat_sessions", "primary_key_unique")["samples"];
    let duplicated =
        psql(&url, "SELECT session_id FROM analytics.chat_sessions GROUP BY 1 HAVING COUNT(*) > 1 ORDER BY 1");
    let shown: Vec<String> =
        samples.as_array().unwrap().iter().map(|s| s["key"]["session_id"].as_str().unwrap().into()).collect();
    assert_eq!(shown.join("\n"), duplicated, "{samples:#}");
    assert!(samples.as_array().unwrap().iter().all(|s| s["rows"] == 2), "{samples:#}");
    // A unique index a failed CREATE INDEX CONCURRENTLY left behind is not valid: not trusted.
    let mut client =
        schema::db::Target::parse(&url, None, std::time::Duration::from_secs(5)).unwrap().connect().unwrap();
    let failed = client.batch_execute(
        "CREATE UNIQUE INDEX CONCURRENTLY chat_sessions_session_id ON analytics.chat_sessions (session_id)",
    );
    assert!(failed.is_err(), "the key is duplicated");
    let (doc, _) = validate(&root, &url, &tables);
    let pk = &keys(&doc).0["chat_sessions.primary_key_unique"];
    assert!(pk.1.starts_with("unique index chat_sessions_session_id is not valid"), "{pk:?}");

    // `always` checks every key, saying so; a table can opt out.
    edit(&root, "schema/schema.yaml", "phases: [1, 2]\n", "phases: [1, 2]\nkey_checks: always\n");
    psql(&url, "DROP INDEX analytics.chat_sessions_session_id");
    let (doc, _) = validate(&root, &url, &tables);
    let (ran, left) = keys(&doc);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(ran["tool_usage.primary_key_unique"], (0, "key_checks: always".to_string()));
    assert_eq!(result(&doc, "tool_usage", fk.split_once('.').unwrap().1)["rows_checked"], 300);
    // The declared `one_row_per_step` already checks the (session_id, step_index) key.
    assert!(!doc.to_string().contains("unique_session_id_step_index"), "{doc:#}");
    edit(&root, "schema/tables/tool_usage.yaml", "phase: 1\n", "phase: 1\nkey_checks: off\n");
    let (doc, _) = validate(&root, &url, &["--table", "tool_usage"]);
    assert!(!doc.to_string().contains("session_id_in_chat_sessions"), "{doc:#}");
}

#[test]
fn accepted_values_ranges_and_thresholds_count_exactly_what_was_planted() {
    let url = common::fresh_database();
    let (_tmp, root) = common::shipped_project();
    let checks = "checks:\n\
        \x20 - name: category_listed\n    accepted_values: { column: tool_category, values: [web_search, browser_automation, web_automation, other] }\n    warn_above: 5\n    error_above: 10\n\
        \x20 - name: step_in_range\n    range: { column: step_index, min: 0, max: 100000 }\n    error_above: \"0.1%\"\n";
    edit(&root, "schema/tables/tool_usage.yaml", "checks:\n", checks);
    let domain = "checks:\n\
        \x20 - name: category_classified\n    accepted_values: { column: domain_category, from: { table: domain_classifications, columns: [domain_category] } }\n";
    edit(&root, "schema/tables/web_automations.yaml", "checks:\n", domain);
    let out = schema(&root, &url, &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let generated = schema(&root, &url, &["generate", "--check"]);
    assert!(generated.status.success(), "checks change no migration: {}", text(&generated));
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let defects =
        ["tool_usage.category_listed=7", "tool_usage.step_in_range=5", "web_automations.category_classified=4"];
    let mut args = vec!["seed", "--rows", "2000"];
    for d in &defects {
        args.extend(["--defect", d]);
    }
    let out = schema(&root, &url, &[&args[..], &["--table", "tool_usage", "--table", "web_automations"]].concat());
    assert!(out.status.success(), "{}", text(&out));

    let (doc, code) = validate(&root, &url, &["--table", "tool_usage", "--table", "web_automations"]);
    let listed = result(&doc, "tool_usage", "category_listed");
    assert_eq!(
        (listed["failing_rows"].as_u64(), listed["status"].as_str()),
        (Some(7), Some("warn")),
        "7 > 5, not > 10"
    );
    let range = result(&doc, "tool_usage", "step_in_range");
    assert_eq!((range["failing_rows"].as_u64(), range["status"].as_str()), (Some(5), Some("fail")), "0.25% > 0.1%");
    let classified = result(&doc, "web_automations", "category_classified");
    assert_eq!(classified["failing_rows"], 4, "{classified:#}");
    assert_eq!(classified["kind"], "relationship");
    assert_eq!(code, 1);

    // Samples of accepted values are the unexpected values with their rows, the most first.
    let (doc, _) = validate(&root, &url, &["--table", "tool_usage", "--check", "category_listed", "--samples", "10"]);
    let samples = result(&doc, "tool_usage", "category_listed")["samples"].as_array().unwrap().clone();
    let planted = psql(
        &url,
        "SELECT tool_category || '|' || COUNT(*) FROM analytics.tool_usage \
         WHERE tool_category NOT IN ('web_search', 'browser_automation', 'web_automation', 'other') GROUP BY tool_category ORDER BY COUNT(*) DESC, tool_category",
    );
    let shown: Vec<String> =
        samples.iter().map(|s| format!("{}|{}", s["values"]["tool_category"].as_str().unwrap(), s["rows"])).collect();
    assert_eq!(shown.join("\n"), planted, "{samples:?}");
    assert!(samples.iter().all(|s| s.get("key").is_none()), "a value's rows have no one key: {samples:?}");
    let args = ["validate", "--table", "tool_usage", "--check", "category_listed", "--samples", "1"];
    let said = text(&schema(&root, &url, &args));
    let first = &samples[0];
    let line = format!(
        "tool_usage.category_listed (unexpected values, the most rows first):\n    tool_category={}: {} rows",
        first["values"]["tool_category"].as_str().unwrap(),
        first["rows"]
    );
    assert!(said.contains(&line), "{said}");

    // Every failing-rows query `--sql` prints lists exactly the rows its check counts.
    let tables = ["--table", "tool_usage", "--table", "web_automations"];
    let out = schema(&root, &url, &[&["validate", "--sql", "--format", "json"][..], &tables].concat());
    assert!(out.status.success(), "{}", text(&out));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (doc, _) = validate(&root, &url, &tables);
    let mut listed = 0;
    for q in printed["queries"].as_array().unwrap().iter().filter(|q| q["lists"] == "rows") {
        let (table, check) = (q["table"].as_str().unwrap(), q["checks"][0].as_str().unwrap());
        let results = doc["results"].as_array().unwrap();
        let Some(r) = results.iter().find(|r| r["table"] == table && r["check"] == check) else {
            assert_eq!(q["unless_enforced"], true, "only a key check the database enforces is not run: {q:#}");
            continue;
        };
        let sql = q["sql"].as_str().unwrap().trim_end_matches(';');
        let rows = psql(&url, &format!("SELECT COUNT(*) FROM ({sql}) AS q"));
        assert_eq!(rows, r["failing_rows"].to_string(), "{table}.{check}: {sql}");
        listed += 1;
    }
    assert!(listed >= 8, "{printed:#}");

    // The post-load window: only what matches --where (and --since) is checked.
    let (doc, _) = validate(&root, &url, &["--table", "tool_usage", "--where", "step_index > 100000"]);
    let range = result(&doc, "tool_usage", "step_in_range");
    assert_eq!((range["failing_rows"].as_u64(), range["rows_checked"].as_u64()), (Some(5), Some(5)), "{range:#}");
    let (doc, code) = validate(&root, &url, &["--table", "tool_usage", "--since", "3d"]);
    assert!(code <= 1 && doc["since"].as_str().is_some_and(|d| d.len() == 10), "{doc:#}");
    // Failing rows, bounded per check, under the run id --record writes: the key and the values
    // as JSON, joined back to the table as docs/validate.md shows.
    let out = schema(&root, &url, &["validate", "--table", "tool_usage", "--record", "--store-failures", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // tool_category_known fails on the planted categories too.
    assert!(text(&out).contains("stored 9 failing rows"), "{}", text(&out));
    let stored = psql(
        &url,
        "SELECT check_name || ':' || count(*) || ':' || count(DISTINCT f.run_id) FROM analytics.schema_validation_failures f \
         JOIN (SELECT DISTINCT run_id FROM analytics.schema_validation_runs) r USING (run_id) GROUP BY check_name ORDER BY 1",
    );
    assert_eq!(stored, "category_listed:3:1\nstep_in_range:3:1\ntool_category_known:3:1", "{}", text(&out));
    let joined = psql(
        &url,
        "SELECT f.check_name, t.tool_usage_id, t.step_index, t.tool_category, f.failing_values \
         FROM analytics.schema_validation_failures f \
         JOIN analytics.tool_usage t ON t.tool_usage_id = (f.row_key ->> 'tool_usage_id')::bigint \
         WHERE f.table_name = 'tool_usage' ORDER BY 1, 2",
    );
    let rows: Vec<Vec<&str>> = joined.lines().map(|l| l.split('|').collect()).collect();
    assert_eq!(rows.len(), 9, "every stored row is found again:\n{joined}");
    let known = ["web_search", "browser_automation", "web_automation", "other"];
    for row in &rows {
        let values: Value = serde_json::from_str(row[4]).unwrap();
        if row[0] == "step_in_range" {
            let step: i64 = row[2].parse().unwrap();
            assert!(step > 100_000 && values == serde_json::json!({ "step_index": step }), "{row:?}");
        } else {
            assert!(!known.contains(&row[3]) && values == serde_json::json!({ "tool_category": row[3] }), "{row:?}");
        }
    }
    for bad in [["--where", "1 = 1; DROP TABLE analytics.tool_usage"], ["--since", "3 days"]] {
        let out = schema(&root, &url, &[&["validate"], &bad[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
    }
    assert_eq!(psql(&url, "SELECT count(*) > 0 FROM analytics.tool_usage"), "t");
}

#[test]
fn freshness_measures_the_newest_row_against_its_limits() {
    let url = common::fresh_database();
    let (_tmp, root) = common::shipped_project();
    let check = "checks:\n  - name: loaded_recently\n    freshness: { column: event_timestamp, warn_after: 2d, error_after: 30d }\n";
    edit(&root, "schema/tables/tool_usage.yaml", "checks:\n", check);
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let args = ["--table", "tool_usage", "--check", "loaded_recently"];
    // No load arrived at all.
    let (doc, code) = validate(&root, &url, &args);
    let r = result(&doc, "tool_usage", "loaded_recently");
    assert_eq!((code, r["status"].as_str(), r.get("age_seconds")), (1, Some("fail"), None), "{r:#}");

    let end = psql(&url, "SELECT CAST(CURRENT_DATE - 10 AS TEXT)");
    let out = schema(&root, &url, &["seed", "--rows", "100", "--table", "tool_usage", "--end", &end]);
    assert!(out.status.success(), "{}", text(&out));
    let (doc, code) = validate(&root, &url, &args);
    let r = result(&doc, "tool_usage", "loaded_recently");
    assert_eq!((code, r["status"].as_str(), r["kind"].as_str()), (0, Some("warn"), Some("freshness")), "{r:#}");
    let age = r["age_seconds"].as_f64().unwrap();
    let expected: f64 = psql(
        &url,
        "SELECT date_part('epoch', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC') - MAX(event_timestamp)) FROM analytics.tool_usage",
    )
    .parse()
    .unwrap();
    assert!((age - expected).abs() < 5.0 && age > 9.0 * 86_400.0, "{age} vs {expected}");
    let out = schema(&root, &url, &["validate", "--table", "tool_usage", "--check", "loaded_recently"]);
    assert!(text(&out).contains(" d old"), "{}", text(&out));
    // JUnit and GitHub carry it too, as a warning: a passing test case with its message, an annotation.
    let junit =
        schema(&root, &url, &["validate", "--format", "junit", "--table", "tool_usage", "--check", "loaded_recently"]);
    let junit = String::from_utf8_lossy(&junit.stdout);
    assert!(junit.contains("name=\"loaded_recently\"") && junit.contains("the newest row is"), "{junit}");
    let github =
        schema(&root, &url, &["validate", "--format", "github", "--table", "tool_usage", "--check", "loaded_recently"]);
    let github = String::from_utf8_lossy(&github.stdout);
    assert!(github.contains("::warning file=") && github.contains("loaded_recently: the newest row is"), "{github}");
}

#[test]
fn volume_compares_a_load_with_the_recorded_runs_over_the_same_window() {
    let url = common::fresh_database();
    let (_tmp, root) = common::shipped_project();
    let check = "checks:\n  - name: usual_volume\n    volume: { runs: 3, tolerance: \"50%\" }\n";
    edit(&root, "schema/tables/tool_usage.yaml", "checks:\n", check);
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let out = schema(&root, &url, &["seed", "--rows", "1000", "--table", "tool_usage"]);
    assert!(out.status.success(), "{}", text(&out));
    let args = ["--table", "tool_usage", "--check", "usual_volume"];
    // Nothing recorded yet: nothing to compare with.
    let (doc, code) = validate(&root, &url, &args);
    let r = result(&doc, "tool_usage", "usual_volume");
    assert_eq!((code, r["status"].as_str(), r.get("expected_rows")), (0, Some("pass"), None), "{r:#}");
    for _ in 0..3 {
        assert_eq!(schema(&root, &url, &[&["validate", "--record"], &args[..]].concat()).status.code(), Some(0));
    }
    // A load that brought a fifth of the usual rows.
    psql(&url, "DELETE FROM analytics.tool_usage WHERE tool_usage_id % 5 <> 0");
    let left: u64 = psql(&url, "SELECT count(*) FROM analytics.tool_usage").parse().unwrap();
    let (doc, code) = validate(&root, &url, &args);
    let r = result(&doc, "tool_usage", "usual_volume");
    assert_eq!((code, r["status"].as_str(), r["kind"].as_str()), (1, Some("fail"), Some("volume")), "{r:#}");
    assert_eq!((r["rows_checked"].as_u64(), r["expected_rows"].as_f64()), (Some(left), Some(1000.0)), "{r:#}");
    assert!(left < 500, "{left}");
    // A --where run judges no volume and records none, so it cannot pollute the history.
    let narrowed = [&args[..], &["--where", "step_index < 0"]].concat();
    let out = schema(&root, &url, &[&["validate", "--record"], &narrowed[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.schema_validation_runs"), "3");
    // A --since run compares only with runs over the same window: none yet.
    let (doc, _) = validate(&root, &url, &[&args[..], &["--since", "3d"]].concat());
    assert_eq!(result(&doc, "tool_usage", "usual_volume").get("expected_rows"), None, "{doc:#}");
}

#[test]
fn seed_plants_rows_breaking_a_comparison_condition() {
    let url = common::fresh_database();
    let (_tmp, root) = common::shipped_project();
    let check = "checks:\n  - name: step_not_negative\n    condition: step_index >= 0\n";
    edit(&root, "schema/tables/tool_usage.yaml", "checks:\n", check);
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let out =
        schema(&root, &url, &["seed", "--rows", "500", "--table", "tool_usage", "--defect", "step_not_negative=6"]);
    assert!(out.status.success(), "{}", text(&out));
    let (doc, code) = validate(&root, &url, &["--table", "tool_usage", "--check", "step_not_negative"]);
    assert_eq!((code, result(&doc, "tool_usage", "step_not_negative")["failing_rows"].as_u64()), (1, Some(6)));
    assert_eq!(psql(&url, "SELECT count(*) FROM analytics.tool_usage WHERE step_index = -1"), "6");
}

/// Seed takes a lookup's value from the reference rows the database holds (the shipped
/// classifications), and its match column from their keys: a seeded load passes the lookup
/// check, and defects of the lookup and of the ratio on the same column fail exactly their check.
#[test]
fn seeded_rows_carry_their_lookup_values_and_defects_fail_only_their_check() {
    let url = common::fresh_database();
    let (_tmp, root) = common::shipped_project();
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let defects = ["--defect", "web_automations.unknown_domain_share=20", "--defect", "domain_category_derived=7"];
    let out = schema(&root, &url, &[&["seed", "--rows", "3000", "--table", "web_automations"][..], &defects].concat());
    assert!(out.status.success(), "{}", text(&out));
    let (doc, code) = validate(&root, &url, &["--table", "web_automations"]);
    assert_eq!(code, 1, "{doc:#}");
    let failing = |check: &str| result(&doc, "web_automations", check)["failing_rows"].as_u64();
    assert_eq!((failing("domain_category_derived"), failing("unknown_domain_share")), (Some(7), Some(20)), "{doc:#}");
    let categories = psql(&url, "SELECT count(DISTINCT domain_category) FROM analytics.web_automations WHERE domain_category NOT IN ('Unknown', 'not_looked_up')");
    assert!(categories.parse::<u32>().unwrap() >= 5, "the reference categories, not one value: {categories}");
}

#[test]
fn a_column_looked_up_in_a_reference_table_is_backfilled_and_checked() {
    let url = common::fresh_database();
    // The shipped web_automations.domain_category is looked up in domain_classifications.
    let (_tmp, root) = common::shipped_project();
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let out = schema(&root, &url, &["seed", "--rows", "400", "--table", "web_automations"]);
    assert!(out.status.success(), "{}", text(&out));
    // An inactive classification must not be used, and an unknown domain gets the default.
    psql(
        &url,
        "UPDATE analytics.domain_classifications SET is_active = FALSE WHERE domain_name = 'notion.so'; \
         UPDATE analytics.web_automations SET domain_name = 'notion.so' WHERE web_automation_id % 7 = 0; \
         UPDATE analytics.web_automations SET domain_name = 'no-such.example' WHERE web_automation_id % 7 = 1; \
         UPDATE analytics.web_automations SET domain_category = NULL; \
         UPDATE analytics.web_automations SET event_date = NULL WHERE web_automation_id % 7 = 2",
    );
    let out = schema(&root, &url, &["backfill", "--table", "web_automations"]);
    assert!(out.status.success(), "{}", text(&out));
    let wrong = "SELECT count(*) FROM analytics.web_automations w WHERE domain_category IS DISTINCT FROM \
                 COALESCE((SELECT MIN(d.domain_category) FROM analytics.domain_classifications d \
                 WHERE d.domain_name = w.domain_name AND d.is_active), 'Unknown')";
    assert_eq!(psql(&url, wrong), "0", "backfill wrote every lookup");
    let unknown = psql(
        &url,
        "SELECT count(*) FROM analytics.web_automations WHERE domain_name IN ('notion.so', 'no-such.example')",
    );
    let defaulted = psql(&url, "SELECT count(*) FROM analytics.web_automations WHERE domain_category = 'Unknown'");
    assert!(unknown.parse::<u64>().unwrap() > 0 && defaulted.parse::<u64>().unwrap() >= unknown.parse().unwrap());

    let args = ["--table", "web_automations", "--check", "domain_category_derived"];
    let (doc, code) = validate(&root, &url, &args);
    let r = result(&doc, "web_automations", "domain_category_derived");
    assert_eq!((code, r["failing_rows"].as_u64(), r["kind"].as_str()), (0, Some(0), Some("lookup")), "{r:#}");
    psql(&url, "UPDATE analytics.web_automations SET domain_category = 'Wrong' WHERE web_automation_id IN (SELECT web_automation_id FROM analytics.web_automations ORDER BY 1 LIMIT 3)");
    let (doc, code) = validate(&root, &url, &[&args[..], &["--samples", "5"]].concat());
    let r = result(&doc, "web_automations", "domain_category_derived");
    assert_eq!((code, r["failing_rows"].as_u64()), (1, Some(3)), "{r:#}");
    assert_eq!(r["samples"].as_array().unwrap().len(), 3, "{r:#}");
    let out = schema(&root, &url, &["backfill", "--table", "web_automations", "--mismatched"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(psql(&url, wrong), "0", "--mismatched rewrote the wrong values");

    // The same statements as Redshift's grammar reads them (no UPDATE ... FROM LATERAL there).
    let out = schema(
        &root,
        &url,
        &["validate", "--sql", "--dialect", "redshift", "--table", "web_automations", "--samples", "2"],
    );
    let mut sql = String::from_utf8_lossy(&out.stdout).into_owned();
    let project = schema::load::load(&root.join("schema")).unwrap();
    let column = project.table("web_automations").unwrap().column("domain_category").unwrap();
    let renderer = schema::render::Renderer::new(schema::Dialect::Redshift, "analytics");
    for (days, mismatched) in [(true, false), (false, false), (false, true)] {
        let ctx = minijinja::context! {
            table => "web_automations", column => "domain_category", expr => (), lookup => &column.lookup,
            source => "event_date", mismatched => mismatched, days => days, start => "2026-01-01", end => "2026-01-08",
            nulls => false,
        };
        sql.extend(renderer.script("backfill_lookup", ctx).unwrap().iter().map(|s| format!("{s};\n\n")));
    }
    // The lookup counts inside the table's one scan, and its samples join the same reference rows.
    let join = "LEFT JOIN (SELECT \"domain_name\" AS \"lookup key 1\", MIN(\"domain_category\") AS \"lookup value\"";
    assert_eq!(sql.matches(join).count(), 2, "{sql}");
    assert_eq!(sql.matches("FROM \"analytics\".\"web_automations\" AS \"t\"\nLEFT JOIN").count(), 1, "{sql}");
    if let Err(report) = common::redshift_grammar_accepts(&sql) {
        panic!("{report}\n{sql}");
    }
}

/// `--since` and `--where` narrow key checks to a load's rows without judging them alone: an
/// orphan is a window row whose key no parent row has (old parents count), and a window row
/// whose key an older row already holds is a duplicate.
#[test]
fn windows_stay_incremental_for_keys() {
    let url = common::fresh_database();
    let (_tmp, root) = common::shipped_project();
    // Every key checked, whatever the database enforces: this is about windows.
    edit(&root, "schema/schema.yaml", "phases: [1, 2]\n", "phases: [1, 2]\nkey_checks: always\n");
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let seeded =
        schema(&root, &url, &["seed", "--rows", "500", "--table", "tool_usage", "--days", "30", "--end", "2026-06-30"]);
    assert!(seeded.status.success(), "{}", text(&seeded));
    // Keys as Redshift leaves them: recorded, not enforced.
    psql(&url, "ALTER TABLE analytics.chat_sessions DROP CONSTRAINT chat_sessions_pkey CASCADE");
    let old =
        psql(&url, "SELECT session_id FROM analytics.chat_sessions WHERE event_date < '2026-06-20' ORDER BY 1 LIMIT 2");
    let (a, b) = old.split_once('\n').unwrap();
    let session = |id: &str, day: &str| format!("('{id}', timestamp '{day} 12:00', date '{day}')");
    psql(
        &url,
        &format!(
            "INSERT INTO analytics.chat_sessions (session_id, event_timestamp, event_date) VALUES {}, {}, {}, {}",
            session(a, "2026-06-30"), // today's load repeats an old key
            session("twice-today", "2026-06-30"),
            session("twice-today", "2026-06-30"),
            session(b, "2026-06-10"), // an old duplicate, outside the window
        ),
    );
    let step = |id: &str, day: &str| format!("('{id}', 900, 'web_search', 'web_search', timestamp '{day} 12:00')");
    psql(
        &url,
        &format!(
            "INSERT INTO analytics.tool_usage (session_id, step_index, reasoning_step_type, tool_category, event_timestamp) \
             VALUES {}, {}, {}",
            step(b, "2026-06-30"),             // today's row of an old session: not an orphan
            step("gone-today", "2026-06-30"),
            step("gone-long-ago", "2026-06-05"),
        ),
    );
    psql(&url, "UPDATE analytics.tool_usage SET event_date = DATE(event_timestamp) WHERE step_index = 900");
    let counted = |args: &[&str], table: &str, check: &str| {
        let (doc, _) = validate(&root, &url, &[&["--table", table, "--check", check, "--samples", "5"], args].concat());
        let r = result(&doc, table, check);
        (r["failing_rows"].as_u64().unwrap(), r["rows_checked"].as_u64().unwrap(), r["samples"].clone())
    };
    let window = "(event_date >= '2026-06-30' OR (event_date IS NULL AND DATE(event_timestamp) >= '2026-06-30'))";
    let today: u64 =
        psql(&url, &format!("SELECT COUNT(*) FROM analytics.chat_sessions WHERE {window}")).parse().unwrap();
    for args in [&["--since", "2026-06-30"][..], &["--where", "event_timestamp >= '2026-06-30'"]] {
        let (failing, checked, samples) = counted(args, "chat_sessions", "primary_key_unique");
        assert_eq!((failing, checked), (3, today), "{args:?}: the old key and twice-today, not the old duplicate");
        let keys: Vec<(&str, u64)> = samples
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["key"]["session_id"].as_str().unwrap(), s["rows"].as_u64().unwrap()))
            .collect();
        let mut expected = vec![(a, 2), ("twice-today", 2)];
        expected.sort();
        assert_eq!(keys, expected, "{args:?}: each key with its rows in the whole table");
        let (orphans, _, samples) = counted(args, "tool_usage", "session_id_in_chat_sessions");
        assert_eq!(orphans, 1, "{args:?}: {samples:#}");
        assert_eq!(samples[0]["values"]["session_id"], "gone-today");
    }
    let (whole, _, _) = counted(&[], "chat_sessions", "primary_key_unique");
    assert_eq!(whole, 6);
    assert_eq!(counted(&[], "tool_usage", "session_id_in_chat_sessions").0, 2);
}
