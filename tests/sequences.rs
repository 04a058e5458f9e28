//! Sequences no column owns (`sequences:` in schema.yaml): adopted with their options, created
//! before the tables whose defaults draw from them, compared by every option, altered without
//! losing their count; refused where Redshift is a target. Before, such a sequence was only an
//! unmanaged object: an adopted V1 whose default called `nextval` on it failed on a fresh
//! database, and Hibernate's `hibernate_sequence` was never rebuilt at all.

mod common;

use common::{psql, schema, text};

const HIBERNATE: &str = "CREATE SCHEMA shop;
CREATE SEQUENCE shop.hibernate_sequence START 1 INCREMENT 50;
CREATE SEQUENCE shop.order_numbers AS integer START 1000 MINVALUE 1000 CACHE 5;
CREATE SEQUENCE shop.countdown INCREMENT -1 CYCLE;
CREATE TABLE shop.orders (
    id bigint PRIMARY KEY,
    number integer NOT NULL DEFAULT nextval('shop.order_numbers'),
    note varchar(255));
SELECT nextval('shop.order_numbers'), nextval('shop.order_numbers');";

/// Every sequence of `shop`, options in catalog order.
fn sequences(url: &str) -> String {
    psql(
        url,
        "SELECT sequencename, data_type, start_value, min_value, max_value, increment_by, cycle, cache_size
         FROM pg_sequences WHERE schemaname = 'shop' ORDER BY 1",
    )
}

#[test]
fn sequences_are_adopted_rebuilt_and_compared_by_every_option() {
    let url = common::fresh_database();
    psql(&url, HIBERNATE);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("shop");
    common::adopt_whole(&url, "shop", &project);
    let settings = std::fs::read_to_string(project.join("schema/schema.yaml")).unwrap();
    assert!(settings.contains("  hibernate_sequence: { increment: 50 }\n"), "{settings}");
    assert!(settings.contains("  order_numbers: { type: integer, min: 1000, cache: 5 }\n"), "{settings}");
    assert!(settings.contains("  countdown: { increment: -1, cycle: true }\n"), "{settings}");
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // V1 creates them before the table whose default reads one: it runs on an empty database.
    let fresh = common::rebuild(&project);
    assert_eq!(sequences(&fresh), sequences(&url));
    psql(&fresh, "INSERT INTO shop.orders (id) VALUES (1)");
    assert_eq!(psql(&fresh, "SELECT number FROM shop.orders"), "1000");

    // A changed option is drift, named; the repair keeps the count.
    psql(&url, "ALTER SEQUENCE shop.hibernate_sequence INCREMENT BY 1");
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("sequence_options shop.hibernate_sequence"), "{}", text(&out));
    let out = schema(&project, &url, &["diff", "--format", "sql"]);
    let repair = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(repair.contains("ALTER SEQUENCE \"shop\".\"hibernate_sequence\" AS bigint START WITH 1 INCREMENT BY 50"));
    psql(&url, &repair);
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The session that drew 1000 and 1001 had cached up to 1004 (CACHE 5).
    assert_eq!(psql(&url, "SELECT nextval('shop.order_numbers')"), "1005", "the count goes on");

    // A YAML change is a migration that alters it, and one that drops it.
    let edited = settings.replace(
        "order_numbers: { type: integer, min: 1000, cache: 5 }",
        "order_numbers: { type: integer, min: 1000, cache: 1 }",
    );
    let edited = edited.replace("  countdown: { increment: -1, cycle: true }\n", "");
    std::fs::write(project.join("schema/schema.yaml"), edited).unwrap();
    let out = schema(&project, "postgres://unused", &["generate", "--name", "sequences"]);
    assert_eq!(out.status.code(), Some(1), "dropping a sequence is destructive: {}", text(&out));
    assert!(text(&out).contains("drop sequence shop.countdown: deletes the sequence"), "{}", text(&out));
    let out = schema(&project, "postgres://unused", &["generate", "--name", "sequences", "--allow-destructive"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = std::fs::read_to_string(project.join("migrations/postgres/V2__sequences.sql")).unwrap();
    assert!(v2.contains("ALTER SEQUENCE \"shop\".\"order_numbers\"") && v2.contains("CACHE 1 NO CYCLE"), "{v2}");
    assert!(v2.contains("DROP SEQUENCE \"shop\".\"countdown\""), "{v2}");
    let out = schema(&project, &fresh, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    // The INSERT's session had cached up to 1004 (CACHE 5 until V2).
    assert_eq!(psql(&fresh, "SELECT nextval('shop.order_numbers')"), "1005", "V2 does not restart it");
    let out = schema(&project, &fresh, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn options_postgresql_refuses_and_redshift_targets_are_errors_at_load() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("schema/tables")).unwrap();
    std::fs::write(root.join("schema/tables/t.yaml"), "table: t\ncolumns:\n  - { name: id, type: bigint }\n").unwrap();
    let settings = |dialects: &str, sequences: &str| {
        let text = format!("name: p\nnamespace: p\ndialects: [{dialects}]\nsequences:\n{sequences}");
        std::fs::write(root.join("schema/schema.yaml"), text).unwrap();
        schema(root, "postgres://unused", &["check"])
    };
    for (options, said) in [
        ("{ increment: 0 }", "sequence `s`: increment must not be zero"),
        ("{ min: 10, max: 5 }", "min (10) must be less than max (5)"),
        ("{ type: smallint, max: 40000 }", "within the range of smallint"),
        ("{ start: 0 }", "start (0) must be within min (1)"),
        ("{ step: 2 }", "unknown field `step`"),
    ] {
        let out = settings("postgres", &format!("  s: {options}\n"));
        assert_eq!(out.status.code(), Some(2), "{options}: {}", text(&out));
        assert!(text(&out).contains("schema.yaml:5:"), "{options}: {}", text(&out));
        assert!(text(&out).contains(said), "{options}: {}", text(&out));
    }
    let out = settings("postgres", "  s: {}\n  t: {}\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("sequence `t` has the name of a table"), "{}", text(&out));
    let out = settings("postgres, redshift", "  s: { increment: 50 }\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Redshift has no sequences (`s`)"), "{}", text(&out));
}
