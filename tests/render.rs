//! The rendered DDL, pinned per dialect (a snapshot change is a deliberate change), and every
//! Redshift statement checked by an independent grammar (sqlfluff's `redshift` dialect).

mod common;

use common::redshift_grammar_accepts;
use schema::generate::render_desired;
use schema::layout::Layout;
use schema::model::Dialect;
use std::path::Path;

fn render(project: &str, dialect: Dialect) -> String {
    let layout = Layout::find(&Path::new(env!("CARGO_MANIFEST_DIR")).join(project));
    let model = schema::load::load(&layout.schema).unwrap_or_else(|d| panic!("{project} does not load: {d:?}"));
    render_desired(&model, dialect).unwrap()
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
fn the_grammar_check_can_fail() {
    // Guards the guard: an option order Redshift documents differently must be rejected.
    assert!(redshift_grammar_accepts("CREATE TABLE t (a INT) DISTSTYLE EVEN BACKUP NO;").is_err());
}
