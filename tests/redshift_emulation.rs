//! The Redshift migrations the tool ships and generates, executed on a real PostgreSQL through the
//! emulation of tests/common/redshift.rs (docs/redshift.md): the shipped folder applies without
//! drift, and the evolution script of tests/evolution.rs keeps every row, identity, foreign key
//! and the YAML's shape after each edit, with no Redshift rule broken on the way.

mod common;

use common::redshift::harness::Emulated;
use common::redshift::{apply, checks, static_violations_dir};
use std::path::Path;

#[test]
fn the_shipped_redshift_migrations_apply_on_the_emulation_without_drift() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/redshift");
    let violations = static_violations_dir(&dir);
    assert!(violations.is_empty(), "Redshift rules broken by the shipped migrations:\n{}", violations.join("\n"));

    let p = Emulated::shipped();
    apply(&p.url, &dir).unwrap_or_else(|e| panic!("{e}"));
    let project = checks::load(&p.root);
    let drift = checks::no_drift(&p.root, &p.url, &project);
    assert!(drift.is_empty(), "the emulated database differs from the YAML:\n{}", drift.join("\n"));
    let fks = checks::foreign_keys(&p.url, &project);
    assert!(fks.is_empty(), "{}", fks.join("\n"));
    // The refresh procedure of V2 runs (its NONATOMIC body only refreshes).
    p.sql("CALL analytics.refresh_materialized_views()");
    // Reference rows are in, with ids from the generator.
    assert_eq!(p.sql("SELECT count(*), min(domain_classification_id) FROM analytics.domain_classifications"), "12|1");
}

/// Rows inserted on the emulated database before the edits: every table the script changes
/// holds data, identity columns filled by their generators.
const DATA: &str = "
INSERT INTO analytics.chat_sessions (session_id, user_id, event_timestamp, event_date) VALUES
  ('s1', 'u1', '2026-11-01 10:15:00', '2026-11-01'), ('s2', 'u2', '2026-11-02 23:05:00', '2026-11-02');
INSERT INTO analytics.tool_usage (session_id, step_index, reasoning_step_type, tool_category, event_timestamp)
  VALUES ('s1', 0, 'web_search', 'web_search', '2026-11-01 10:15:01'), ('s1', 1, 'browse', 'browser', '2026-11-01 10:15:05');
INSERT INTO analytics.web_searches (session_id, search_type, search_keywords, num_results, event_timestamp, event_date)
  VALUES ('s1', 'news', '[\"cheese\"]', 7, '2026-11-01 10:15:02', '2026-11-01');
INSERT INTO analytics.web_automations (session_id, action_type, domain_name, domain_category, intent_type, event_timestamp, event_date)
  VALUES ('s2', 'click', 'kurly.com', 'Shopping', 'Transactional', '2026-11-02 23:05:01', '2026-11-02');
INSERT INTO analytics.usage_metrics (session_id, latency_ms, event_timestamp, event_date)
  VALUES ('s1', 1200, '2026-11-01 10:15:03', '2026-11-01'), ('s2', 800, '2026-11-02 23:05:02', '2026-11-02');";

const SEARCH_ENGINE: &str =
    "  - name: search_engine\n    type: varchar(32)\n    description: Engine that served the search.\n";
const SEARCH_CLICKS: &str = "table: search_clicks\ndistribution: { style: key, key: session_id }\nsort_key: { columns: [event_date] }\ncolumns:\n  - { name: click_id, type: bigint, identity: true, primary_key: true }\n  - { name: session_id, type: varchar(64), nullable: false, references: chat_sessions.session_id }\n  - { name: event_date, type: date }\n";
const MV_ENGINES: &str = "materialized_view: mv_searches_by_engine\nbackup: false\nsort_key: { columns: [event_date] }\nsql: |\n  SELECT event_date AS event_date, search_engine AS search_engine, COUNT(*) AS searches\n  FROM {{ ref('web_searches') }}\n  GROUP BY event_date, search_engine\n";
const MV_ENGINE_TOTALS: &str = "materialized_view: mv_engine_totals\nbackup: false\nsql: |\n  SELECT search_engine AS search_engine, SUM(searches) AS searches\n  FROM {{ ref('mv_searches_by_engine') }}\n  GROUP BY search_engine\n";

/// One edit of the script: what it is called, the YAML change, generate's flags and the columns
/// it renames (table, from, to).
type Edit =
    (&'static str, fn(&Emulated), &'static [&'static str], &'static [(&'static str, &'static str, &'static str)]);

#[rustfmt::skip]
const SCRIPT: &[Edit] = &[
    ("add_column", |p| p.edit("tables/web_searches.yaml", "indexes:\n", &format!("{SEARCH_ENGINE}indexes:\n")), &[], &[]),
    ("add_derived_column", |p| p.edit("tables/chat_sessions.yaml", "indexes:\n", "  - name: event_hour\n    type: integer\n    derived: EXTRACT(HOUR FROM event_timestamp)\nindexes:\n"), &[], &[]),
    ("widen_varchar", |p| p.edit("tables/web_automations.yaml", "type: varchar(255)", "type: varchar(512)"), &[], &[]),
    ("latency_bigint", |p| p.edit("tables/usage_metrics.yaml", "  - name: latency_ms\n    type: integer", "  - name: latency_ms\n    type: bigint"), &["--allow-destructive"], &[]),
    ("add_table_and_views", |p| {
        p.write("tables/search_clicks.yaml", SEARCH_CLICKS);
        p.write("views/mv_searches_by_engine.yaml", MV_ENGINES);
        p.write("views/mv_engine_totals.yaml", MV_ENGINE_TOTALS);
    }, &[], &[]),
    ("enable_phase_2", |p| p.edit("schema.yaml", "phases: [1]", "phases: [1, 2]"), &[], &[]),
    ("web_searches_sort_key", |p| p.edit("tables/web_searches.yaml", "columns: [event_date, search_type]\ncolumns:", "columns: [event_date, event_timestamp]\ncolumns:"), &["--allow-destructive"], &[]),
    ("tool_usage_even", |p| p.edit("tables/tool_usage.yaml", "distribution: { style: key, key: session_id }", "distribution: { style: even }"), &["--allow-destructive"], &[]),
    ("mv_body", |p| p.edit("views/mv_searches_by_engine.yaml", "COUNT(*) AS searches", "COUNT(*) AS searches, SUM(num_results) AS results"), &[], &[]),
    ("rename_intent", |p| p.edit("tables/web_automations.yaml", "  - name: intent_type\n", "  - name: intent_category\n    renamed_from: intent_type\n"), &[], &[("web_automations", "intent_type", "intent_category")]),
    ("drop_keywords", |p| {
        let path = p.root.join("schema/tables/web_searches.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text.find("  - name: search_keywords\n").unwrap();
        let end = start + 1 + text[start + 1..].find("  - name: ").unwrap();
        std::fs::write(path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    }, &["--allow-destructive"], &[]),
    ("add_index", |p| p.edit("tables/web_searches.yaml", "indexes:\n", "indexes:\n  - name: idx_web_searches_engine\n    columns: [search_engine]\n"), &[], &[]),
    ("user_id_not_null", |p| p.edit("tables/chat_sessions.yaml", "  - name: user_id\n    type: varchar(64)\n", "  - name: user_id\n    type: varchar(64)\n    nullable: false\n"), &["--allow-destructive"], &[]),
];

#[test]
fn the_evolution_script_runs_on_the_emulation_keeping_data_identities_and_keys() {
    let mut p = Emulated::shipped();
    p.edit("schema.yaml", "phases: [1, 2]", "phases: [1]");
    p.generate("initial", &[]);
    let (_, applied) = p.apply_pending();
    applied.unwrap_or_else(|e| panic!("{e}"));
    p.sql(DATA);

    // Every edit is applied and checked; problems are collected so one run lists them all. A
    // migration that fails to apply ends the script: later edits would start from a database
    // the YAML no longer describes.
    let mut problems = Vec::new();
    for (name, edit, flags, renames) in SCRIPT {
        edit(&p);
        let outcome = p.step(name, flags, renames);
        // An index is PostgreSQL's only: that change writes no Redshift file.
        let none_expected = *name == "add_index";
        assert_eq!(outcome.files.is_empty(), none_expected, "{name}: Redshift migrations written: {:?}", outcome.files);
        problems.extend(outcome.problems.iter().map(|e| format!("{name}: {e}")));
        if let Err(e) = outcome.applied {
            problems.push(format!("{name}: the Redshift migration does not apply: {e}"));
            break;
        }
        if *name == "add_table_and_views" {
            p.sql("INSERT INTO analytics.search_clicks (session_id, event_date) VALUES ('s1', '2026-11-01')");
        }
    }
    assert!(problems.is_empty(), "{} problems on the emulated Redshift:\n{}", problems.len(), problems.join("\n"));
}
