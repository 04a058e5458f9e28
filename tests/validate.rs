//! `schema seed`, `validate`, `backfill` and `refresh` on the shipped schema against a real
//! PostgreSQL (a throwaway cluster per test binary, a fresh database per test).

mod common;

use common::{copy_dir, psql, schema, text};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn shipped() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(url: &str, args: &[&str], code: i32) -> Output {
    let out = schema(shipped(), url, args);
    assert_eq!(out.status.code(), Some(code), "schema {}:\n{}", args.join(" "), text(&out));
    out
}

fn seed(url: &str, defects: &[&str]) {
    let mut args = vec!["seed", "--rows", "3000", "--seed", "42", "--replace"];
    for d in defects {
        args.extend(["--defect", d]);
    }
    run(url, &args, 0);
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", text(out)))
}

/// `table.check` → failing rows, from `validate --format json`.
fn failing(doc: &Value) -> BTreeMap<String, u64> {
    let results = doc["results"].as_array().expect("results");
    results
        .iter()
        .map(|r| {
            (
                format!("{}.{}", r["table"].as_str().unwrap(), r["check"].as_str().unwrap()),
                r["failing_rows"].as_u64().unwrap(),
            )
        })
        .collect()
}

const DEFECTS: [&str; 9] = [
    "event_date_not_null=30",
    "event_date_derived=7",
    "web_automations.unknown_domain_share=200",
    "usage_metrics.latency=11",
    "usage_metrics.tokens_add_up=3",
    "web_searches.num_results_last_7_days=5",
    "web_automations.action_type_not_null=4",
    "user_feedback.feedback_type_known=2",
    "chat_sessions.request_timestamp_present=9",
];

/// What DEFECTS should make `validate` report: every other check finds nothing.
fn expected(doc: &Value) -> BTreeMap<String, u64> {
    failing(doc)
        .into_keys()
        .map(|key| {
            let check = key.split_once('.').unwrap().1;
            let n = DEFECTS
                .iter()
                .filter_map(|d| d.split_once('='))
                .find(|(target, _)| *target == check || *target == key)
                .map_or(0, |(_, n)| n.parse().unwrap());
            (key, n)
        })
        .collect()
}

#[test]
fn known_defects_are_counted_exactly_and_backfill_repairs_derived_columns() {
    let url = common::shipped_database();
    seed(&url, &DEFECTS);

    let doc = json(&run(&url, &["validate", "--format", "json", "--samples", "3", "--record"], 1));
    assert_eq!(failing(&doc), expected(&doc));
    assert_eq!(doc["summary"]["checks"], 42, "every check of the enabled phases ran");
    assert_eq!(doc["summary"]["errors"], 0);
    let status = |key: &str| {
        let r = doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| format!("{}.{}", r["table"].as_str().unwrap(), r["check"].as_str().unwrap()) == key);
        r.unwrap()["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status("web_automations.unknown_domain_share"), "warn", "200 of 3000 is above the 5% of a warn check");
    assert_eq!(status("chat_sessions.request_timestamp_present"), "warn");
    assert_eq!(status("usage_metrics.latency"), "fail");
    assert_eq!(status("tool_usage.one_row_per_step"), "pass");

    // A window counts inside the table's scan, or narrows its own query when it is the only
    // check: the same numbers either way.
    let in_window = psql(&url, "SELECT COUNT(*) FROM analytics.web_searches WHERE event_date >= CURRENT_DATE - 7");
    let alone = json(&run(&url, &["validate", "--format", "json", "--check", "num_results_last_7_days"], 1));
    for d in [&doc, &alone] {
        let r = d["results"].as_array().unwrap().iter().find(|r| r["check"] == "num_results_last_7_days").unwrap();
        assert_eq!((r["failing_rows"].as_u64().unwrap(), r["rows_checked"].to_string()), (5, in_window.clone()));
    }

    // The samples are rows that really fail, each key with the values that make it fail.
    let result = |table: &str, check: &str| {
        let all = doc["results"].as_array().unwrap().iter();
        all.clone().find(|r| r["table"] == table && r["check"] == check).unwrap().clone()
    };
    let r = result("web_searches", "event_date_not_null");
    let samples = r["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 3, "{r:#}");
    assert!(samples.iter().all(|s| s["values"] == serde_json::json!({"event_date": null})), "{r:#}");
    let ids: Vec<String> = samples.iter().map(|s| s["key"]["web_search_id"].as_u64().unwrap().to_string()).collect();
    let nulls = psql(
        &url,
        &format!(
            "SELECT COUNT(*) FROM analytics.web_searches WHERE event_date IS NULL AND web_search_id IN ({})",
            ids.join(",")
        ),
    );
    assert_eq!(nulls, "3");
    // A derived column shows its value, the column it is derived from, and what it should hold.
    let r = result("usage_metrics", "event_date_derived");
    for s in r["samples"].as_array().unwrap() {
        let id = s["key"]["usage_metric_id"].as_u64().unwrap();
        let row = psql(
            &url,
            &format!("SELECT event_date, event_timestamp, DATE(event_timestamp) FROM analytics.usage_metrics WHERE usage_metric_id = {id}"),
        );
        let shown = format!(
            "{}|{}|{}",
            s["values"]["event_date"].as_str().unwrap(),
            s["values"]["event_timestamp"].as_str().unwrap(),
            s["expected"].as_str().unwrap()
        );
        assert_eq!(shown, row, "{s:#}");
        assert_ne!(s["values"]["event_date"], s["expected"], "{s:#}");
    }
    // A latency shows the three columns and the milliseconds between the timestamps.
    let r = result("usage_metrics", "latency");
    let s = &r["samples"][0];
    let reported = s["values"]["latency_ms"].as_f64().unwrap();
    let expected = s["expected"].as_f64().unwrap();
    assert!((reported - expected).abs() > 1000.0, "{s:#}");
    assert!(s["values"]["request_timestamp"].is_string() && s["values"]["response_timestamp"].is_string(), "{s:#}");

    // --record appended one row per check.
    run(&url, &["validate", "--record", "-q"], 1);
    let recorded = psql(&url, "SELECT COUNT(*), COUNT(DISTINCT run_id), SUM(CASE WHEN status = 'fail' THEN failing_rows END) FROM analytics.schema_validation_runs");
    let failed: u64 = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["failing_rows"].as_u64().unwrap())
        .sum();
    assert_eq!(recorded, format!("84|2|{}", 2 * failed));

    // --since narrows tables with a date sort key and says which it could not narrow.
    let since = psql(&url, "SELECT CAST(MAX(event_timestamp) AS DATE) - 3 FROM analytics.web_searches");
    let narrowed = json(&run(
        &url,
        &[
            "validate",
            "--format",
            "json",
            "--since",
            &since,
            "--table",
            "web_searches",
            "--table",
            "domain_classifications",
        ],
        1,
    ));
    assert_eq!(narrowed["since_ignored"], serde_json::json!(["domain_classifications"]));
    let r = narrowed["results"].as_array().unwrap().iter().find(|r| r["check"] == "event_date_not_null").unwrap();
    let rows = psql(&url, &format!("SELECT COUNT(*), SUM(CASE WHEN event_date IS NULL THEN 1 ELSE 0 END) FROM analytics.web_searches WHERE event_date >= '{since}' OR (event_date IS NULL AND CAST(event_timestamp AS DATE) >= '{since}')"));
    assert_eq!(
        format!("{}|{}", r["rows_checked"], r["failing_rows"]),
        rows,
        "rows missing event_date are placed by event_timestamp"
    );
    assert!(r["rows_checked"].as_u64().unwrap() < 3000);

    // Backfill fills the NULLs in batches, then (--mismatched) rewrites the wrong dates; a
    // second run finds nothing to do.
    let out = run(&url, &["backfill", "--batch-days", "5"], 0);
    assert!(text(&out).contains("web_searches.event_date: 30 rows updated"), "{}", text(&out));
    assert!(text(&out).contains("web_searches.event_date 20"), "batches are printed with their days:\n{}", text(&out));
    let after = failing(&json(&run(&url, &["validate", "--format", "json"], 1)));
    assert!(after.iter().filter(|(k, _)| k.ends_with(".event_date_not_null")).all(|(_, n)| *n == 0), "{after:?}");
    assert_eq!(after["usage_metrics.event_date_derived"], 7);
    let out = run(&url, &["backfill", "--mismatched", "--table", "usage_metrics"], 0);
    assert!(text(&out).contains("usage_metrics.event_date: 7 rows updated"), "{}", text(&out));
    run(&url, &["backfill", "--mismatched"], 0);
    let out = run(&url, &["backfill", "--mismatched"], 0);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert_eq!(summary.lines().count(), 15, "one line per derived column:\n{summary}");
    assert!(summary.lines().all(|l| l.ends_with(": 0 rows updated")), "{summary}");
    let after = failing(&json(&run(&url, &["validate", "--format", "json"], 1)));
    for (key, n) in &after {
        let derived = key.ends_with(".event_date_not_null") || key.ends_with(".event_date_derived");
        assert!(!derived || *n == 0, "{key}: {n} after backfill");
    }
    assert_eq!(after["usage_metrics.latency"], 11, "other defects stay");

    // Without defects, everything passes.
    seed(&url, &[]);
    let out = run(&url, &["validate"], 0);
    assert!(text(&out).contains("42 checks on 15 tables"), "{}", text(&out));
    assert!(failing(&json(&run(&url, &["validate", "--format", "json"], 0))).values().all(|n| *n == 0));
}

/// JUnit test cases as `suite.case` → (failing rows, rows checked, has <failure>), plus the
/// totals of <testsuites>, read by Python's XML parser (which also proves well-formedness).
fn junit(xml: &[u8]) -> Value {
    let script = r#"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.stdin).getroot()
cases, failures = {}, {}
for suite in root.iter("testsuite"):
    for case in suite.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        cases[suite.get("name") + "." + case.get("name")] = [
            int(props["failing_rows"]), int(props["rows_checked"]), case.find("failure") is not None]
        failure = case.find("failure")
        if failure is not None:
            failures[suite.get("name") + "." + case.get("name")] = [failure.get("message"), failure.text]
print(json.dumps({"tests": int(root.get("tests")), "failures": int(root.get("failures")),
                  "errors": int(root.get("errors")), "cases": cases, "failed": failures}))
"#;
    let mut child = common::python().args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(xml).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the JUnit report does not parse:\n{}", String::from_utf8_lossy(xml));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_junit_and_github_outputs_carry_the_same_numbers() {
    let url = common::shipped_database();
    seed(&url, &DEFECTS);
    let doc = json(&run(&url, &["validate", "--format", "json"], 1));
    let report = junit(&run(&url, &["validate", "--format", "junit", "--samples", "2"], 1).stdout);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(report["tests"], results.len());
    assert_eq!(report["failures"], doc["summary"]["failed"]);
    assert_eq!(report["errors"], 0);
    for r in results {
        let key = format!("{}.{}", r["table"].as_str().unwrap(), r["check"].as_str().unwrap());
        let expected = serde_json::json!([r["failing_rows"], r["rows_checked"], r["status"] == "fail"]);
        assert_eq!(report["cases"][&key], expected, "{key}");
    }
    // A failure says what is wrong in its message (the first sample), and lists every sample and
    // the query of every failing row in its body.
    let latency = &report["failed"]["usage_metrics.latency"];
    let (message, body) = (latency[0].as_str().unwrap(), latency[1].as_str().unwrap());
    assert!(
        message.starts_with("11 of 3000 rows fail usage_metrics.latency: 0.37%; e.g. usage_metric_id="),
        "{message}"
    );
    assert!(
        message.contains(": latency_ms=")
            && message.contains(", request_timestamp=")
            && message.contains(" (expected "),
        "{message}"
    );
    assert_eq!(body.matches("\n  usage_metric_id=").count(), 2, "{body}");
    assert!(body.contains("failing rows:\nSELECT \"usage_metric_id\", \"latency_ms\""), "{body}");
    let github = String::from_utf8(run(&url, &["validate", "--format", "github", "--samples", "2"], 1).stdout).unwrap();
    let annotation = github.lines().find(|l| l.contains("usage_metrics.latency::")).unwrap();
    assert!(
        annotation.contains("%0Asamples:%0A  usage_metric_id=") && annotation.contains(": latency_ms="),
        "{annotation}"
    );
    // Each annotation points at the check's `name:` line in its table's file.
    let yaml = std::fs::read_to_string(shipped().join("schema/tables/usage_metrics.yaml")).unwrap();
    let line = yaml.lines().position(|l| l == "  - name: latency").unwrap() + 1;
    let expected =
        format!("usage_metrics.yaml,line={line},title=schema validate%3A usage_metrics.latency::11 of 3000 rows fail");
    assert!(github.contains(&expected), "{github}");
    assert!(github.contains(",title=schema validate%3A web_automations.unknown_domain_share::200 of 3000"), "{github}");
    assert!(github.contains("::warning file="), "{github}");
    assert_eq!(github.matches("::error ").count() as u64, doc["summary"]["failed"].as_u64().unwrap());
}

#[test]
fn a_missing_table_a_missing_column_and_a_timeout_exit_2_with_clear_errors() {
    let url = common::shipped_database();
    seed(&url, &[]);
    psql(&url, "ALTER TABLE analytics.usage_metrics RENAME COLUMN latency_ms TO reported_ms");
    let out = run(&url, &["validate", "--format", "json", "--table", "usage_metrics"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot check table usage_metrics (check latency): column \"latency_ms\" does not exist"),
        "{stderr}"
    );
    let doc = json(&out);
    assert_eq!(doc["errors"].as_array().unwrap().len(), 1);
    assert_eq!(doc["results"].as_array().unwrap().len(), 5, "the other checks of the table still ran");

    psql(&url, "DROP TABLE analytics.web_searches CASCADE");
    let out = run(&url, &["validate", "--table", "web_searches"], 2);
    assert!(
        // Its keys went with it: nothing enforces them, so `key_checks: auto` checks them too.
        text(&out).contains("cannot check table web_searches (checks event_date_derived, event_date_not_null, num_results_last_7_days, primary_key_unique, session_id_in_chat_sessions, tool_usage_id_in_tool_usage): relation \"analytics.web_searches\" does not exist"),
        "{}",
        text(&out)
    );

    // A query waiting on a lock longer than --timeout is cancelled.
    let mut holder =
        schema::db::Target::parse(&url, None, std::time::Duration::from_secs(5)).unwrap().connect().unwrap();
    holder.batch_execute("BEGIN; LOCK TABLE analytics.tool_usage").unwrap();
    let out = run(&url, &["validate", "--table", "tool_usage", "--check", "tool_category_known", "--timeout", "1"], 2);
    assert!(
        text(&out).contains("cannot check table tool_usage (check tool_category_known): the query was cancelled after the statement timeout of 1 s (--timeout)"),
        "{}",
        text(&out)
    );
    drop(holder);

    // Names are checked before anything runs.
    let out = run(&url, &["validate", "--check", "latncy"], 2);
    assert!(text(&out).contains("no check `latncy`; did you mean `latency`?"), "{}", text(&out));
    let out = run(&url, &["validate", "--table", "web_search"], 2);
    assert!(text(&out).contains("no table `web_search`; did you mean `web_searches`?"), "{}", text(&out));
}

#[test]
fn refresh_fills_every_materialized_view_after_the_views_it_reads() {
    let url = common::shipped_database();
    seed(&url, &[]);
    let out = run(&url, &["refresh"], 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let project = schema::load::load(&shipped().join("schema")).unwrap();
    let refreshed: Vec<&str> =
        stderr.lines().filter_map(|l| l.strip_prefix("refreshing analytics.")?.split(' ').next()).collect();
    assert_eq!(refreshed.len(), 8, "{stderr}");
    for (i, name) in refreshed.iter().enumerate() {
        for dep in &project.view(name).unwrap().depends_on {
            assert!(!refreshed[i..].contains(&dep.as_str()), "{name} before {dep}");
        }
    }
    assert!(text(&out).contains("refreshed 8 materialized views"), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT SUM(tool_step_count) FROM analytics.mv_basic_statistics"), "3000");
    assert_eq!(psql(&url, "SELECT SUM(request_count) FROM analytics.mv_cost_analytics"), "3000");
    // The generated procedure does the same for the scheduled refresh.
    psql(&url, "TRUNCATE analytics.user_feedback CASCADE");
    psql(&url, "CALL analytics.refresh_materialized_views()");
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM analytics.mv_feedback_analytics"), "0");
}

/// The feature fixture plus a materialized view reading another one, migrated.
fn nested_views(url: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    copy_dir(&shipped().join("tests/fixtures/features/schema"), &root.join("schema"));
    std::fs::write(
        root.join("schema/views/mv_on_x.yaml"),
        "materialized_view: mv_on_x\nsql: SELECT COUNT(*) AS days FROM {{ ref('mv_x') }}\n",
    )
    .unwrap();
    std::fs::write(root.join("schema/schema.yaml"), "name: demo\nnamespace: analytics\ndialects: [postgres, redshift]\nphases: [1, 2]\nrefresh_procedure: refresh_all\n").unwrap();
    for args in [&["generate"][..], &["migrate"]] {
        let out = schema(&root, url, args);
        assert!(out.status.success(), "{}", text(&out));
    }
    (tmp, root)
}

#[test]
fn refresh_of_one_view_takes_its_dependents_and_a_failure_stops_the_run() {
    let url = common::fresh_database();
    let (_tmp, root) = nested_views(&url);
    let procedure = std::fs::read_to_string(root.join("migrations/postgres/V1__initial.sql")).unwrap();
    let body = &procedure[procedure.find("PROCEDURE").unwrap()..];
    assert!(body.find("mv_x").unwrap() < body.find("mv_on_x").unwrap(), "{body}");

    let out = schema(&root, &url, &["refresh", "--view", "mv_x"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    let lines: Vec<&str> =
        all.lines().filter(|l| l.starts_with("refreshing")).map(|l| l.split(" ...").next().unwrap()).collect();
    assert_eq!(lines, ["refreshing analytics.mv_x", "refreshing analytics.mv_on_x"]);
    assert_eq!(psql(&url, "SELECT days FROM analytics.mv_on_x"), "1");

    let out = schema(&root, &url, &["refresh", "--view", "v_recent"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("`v_recent` is a plain view"), "{}", text(&out));

    psql(&url, "ALTER MATERIALIZED VIEW analytics.mv_keyed RENAME TO mv_renamed");
    let out = schema(&root, &url, &["refresh"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(
            "refreshing mv_keyed: relation \"analytics.mv_keyed\" does not exist; not refreshed: mv_x, mv_on_x"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn validation_queries_run_read_only() {
    let url = common::shipped_database();
    seed(&url, &[]);
    psql(&url, "CREATE SEQUENCE analytics.probe");
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&shipped().join("schema"), &tmp.path().join("schema"));
    copy_dir(&shipped().join("migrations"), &tmp.path().join("migrations"));
    // A condition that would write (it advances a sequence; PostgreSQL only) is refused by the
    // server.
    let settings = tmp.path().join("schema/schema.yaml");
    let yaml = std::fs::read_to_string(&settings).unwrap();
    let postgres_only = yaml.replace("dialects: [postgres, redshift]", "dialects: [postgres]");
    std::fs::write(&settings, postgres_only.replace("    dialect: redshift\n", "")).unwrap();
    let file = tmp.path().join("schema/tables/tool_usage.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    let check = "checks:\n  - name: writes\n    condition: \"nextval('analytics.probe') > 0\"\n";
    std::fs::write(&file, yaml.replacen("checks:\n", check, 1)).unwrap();
    let out = common::schema(tmp.path(), &url, &["validate", "--table", "tool_usage", "--check", "writes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("read-only transaction"), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT last_value || ',' || is_called FROM analytics.probe"), "1,false");
}
