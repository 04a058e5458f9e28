//! The rendered DDL, pinned per dialect (a snapshot change is a deliberate change), and every
//! Redshift statement checked by an independent grammar (sqlfluff's `redshift` dialect).

mod common;

use common::redshift_grammar_accepts;
use schema::layout::Layout;
use schema::model::Dialect;
use schema::plan::create_all;
use std::path::Path;

fn render(project: &str, dialect: Dialect) -> String {
    let layout = Layout::find(&Path::new(env!("CARGO_MANIFEST_DIR")).join(project));
    let model = schema::load::load(&layout.schema).unwrap_or_else(|d| panic!("{project} does not load: {d:?}"));
    create_all(&model.enabled(), dialect).unwrap()
}

#[test]
fn shipped_schema_snapshots() {
    insta::assert_snapshot!("shipped_postgres", render(".", Dialect::Postgres));
    insta::assert_snapshot!("shipped_redshift", render(".", Dialect::Redshift));
}

#[test]
fn feature_fixture_snapshots() {
    insta::assert_snapshot!("features_postgres", render("tests/fixtures/features", Dialect::Postgres));
    insta::assert_snapshot!("features_redshift", render("tests/fixtures/features", Dialect::Redshift));
}

#[test]
fn output_is_deterministic_and_lf_only() {
    let a = render(".", Dialect::Redshift);
    assert_eq!(a, render(".", Dialect::Redshift));
    assert!(!a.contains('\r'));
    assert!(a.ends_with(";\n"));
}

#[test]
fn every_rendered_redshift_statement_parses() {
    for project in [".", "tests/fixtures/features"] {
        let sql = render(project, Dialect::Redshift);
        if let Err(report) = redshift_grammar_accepts(&sql) {
            panic!("{project}: sqlfluff (redshift) rejects the rendered DDL (pip install -r requirements-dev.txt if it is missing):\n{report}");
        }
    }
}

#[test]
fn validation_backfill_and_refresh_statements_parse_as_redshift() {
    let layout = Layout::find(Path::new(env!("CARGO_MANIFEST_DIR")));
    let project = schema::load::load(&layout.schema).unwrap();
    let options = |since: Option<&str>, samples: usize| schema::validate::Options {
        tables: vec![],
        checks: vec![],
        since: since.map(str::to_string),
        filter: since.map(|_| "session_id <> 'x'".to_string()),
        samples,
        store_failures: samples,
    };
    let mut sql = Vec::new();
    // Counting, samples (values, duplicated keys, unexpected values) and failing rows to keep,
    // whole tables and windows (a unique key compared with the whole table).
    for (since, samples) in [(None, 5), (Some("2026-01-31"), 5), (None, 0)] {
        let plan = schema::validate::plan(&project, Dialect::Redshift, &options(since, samples)).unwrap();
        sql.extend(plan.queries().unwrap().into_iter().map(|q| q.sql));
    }
    assert!(sql.iter().any(|q| q.contains("ORDER BY COUNT(*) DESC")), "grouped samples are rendered");
    assert!(sql.iter().any(|q| q.starts_with("WITH \"w\" AS")), "windowed unique checks are rendered");
    let r = schema::render::Renderer::new(Dialect::Redshift, &project.namespace);
    for (days, start, mismatched) in [(true, None, false), (false, Some("2026-01-01"), true), (false, None, false)] {
        let ctx = minijinja::context! {
            table => "web_searches", column => "event_date", expr => "DATE(event_timestamp)", source => "event_timestamp",
            mismatched => mismatched, days => days, start => start, end => "2026-01-08",
        };
        sql.push(r.query("backfill_batch", ctx).unwrap());
    }
    let row = minijinja::context! {
        table => "t", check => "c", severity => "error", status => "fail", failing => 3, checked => 9, message => "it's",
    };
    let ctx = minijinja::context! { table => "schema_validation_runs", run_id => "r", run_at => "2026-01-01 02:00:00.000", since => (), rows => vec![row] };
    sql.extend(r.script("validation_runs", ctx).unwrap().into_iter().map(|s| s + ";"));
    let row = minijinja::context! {
        table => "t", check => "c", key => r#"{"id":1,"name":"it's \\ \"q\""}"#, values => r#"{"x":null}"#,
        expected => r#""2026-01-01""#, rows => (),
    };
    let ctx = minijinja::context! { table => "schema_validation_failures", run_id => "r", run_at => "2026-01-01 02:00:00.000", rows => vec![row] };
    let failures = r.script("validation_failures", ctx).unwrap();
    assert!(failures[0].contains("\"row_key\" SUPER NOT NULL"), "{failures:?}");
    assert!(failures[1].contains(r#"JSON_PARSE('{"id":1,"name":"it''s \\\\ \\"q\\""}')"#), "{failures:?}");
    sql.extend(failures.into_iter().map(|s| s + ";"));
    sql.push(r.query("refresh", minijinja::context! { view => "mv_basic_statistics" }).unwrap());
    // sqlfluff gives up on one text of a few hundred statements ("Root variant not successfully
    // parsed") that it parses in parts: a hundred at a time.
    for part in sql.chunks(100) {
        let text = part.join("\n\n");
        if let Err(report) = redshift_grammar_accepts(&text) {
            panic!("sqlfluff (redshift) rejects a statement:\n{report}\n{text}");
        }
    }
}

#[test]
fn the_grammar_check_can_fail() {
    // Guards the guard: an option order Redshift documents differently must be rejected.
    assert!(redshift_grammar_accepts("CREATE TABLE t (a INT) DISTSTYLE EVEN BACKUP NO;").is_err());
}

/// A project in memory: `schema.yaml` settings and object files.
fn project(files: &[(&str, &str)]) -> schema::model::Project {
    let dir = Path::new("/grants");
    let texts = files.iter().map(|(f, t)| (dir.join(f), Ok(t.to_string()))).collect();
    schema::load::load_texts(dir, texts).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn grants_and_revokes_parse_as_redshift() {
    let settings =
        "name: g\nnamespace: analytics\ndialects: [redshift]\ngrants: [{ to: public, privileges: [select] }]\n";
    let table = "table: t\ncolumns:\n  - { name: id, type: bigint }\ngrants:\n  - { to: user bi_reader, privileges: [select, references] }\n  - { to: group analysts, privileges: [select] }\n  - { to: role etl, privileges: [select, insert, update, delete] }\n";
    let view =
        "materialized_view: m\ngrants: [{ to: role etl, privileges: [select] }]\nsql: SELECT id FROM {{ ref('t') }}\n";
    let before = project(&[("schema.yaml", settings), ("tables/t.yaml", table), ("views/m.yaml", view)]);
    let revoked = table.replace("select, insert, update, delete", "select").replace("user bi_reader", "group readers");
    let after = project(&[("schema.yaml", settings), ("tables/t.yaml", &revoked), ("views/m.yaml", view)]);
    let sql = format!(
        "{}\n{}",
        create_all(&before, Dialect::Redshift).unwrap(),
        schema::plan::plan(Dialect::Redshift, &before, &after).unwrap().sql()
    );
    for statement in [
        "TO GROUP \"analysts\"",
        "TO ROLE \"etl\"",
        "TO \"bi_reader\"",
        "TO PUBLIC",
        "FROM ROLE \"etl\"",
        "FROM \"bi_reader\"",
    ] {
        assert!(sql.contains(statement), "{statement}:\n{sql}");
    }
    if let Err(report) = redshift_grammar_accepts(&sql) {
        panic!("sqlfluff (redshift) rejects a grant:\n{report}\n{sql}");
    }
}
