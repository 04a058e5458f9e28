//! `schema inspect` proves its own output: the project it read is loaded and compared with the
//! database as `schema diff` compares them before anything is written. What it cannot hold is
//! set aside alone, named, and listed in `ignore:`; what depends on it stays managed.

mod common;

use common::{psql, schema, text};
use std::path::Path;

fn inspect(url: &str, dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["inspect", "--namespace", "shop", "--out", dir.to_str().unwrap()];
    args.extend(extra);
    schema(dir.parent().unwrap(), url, &args)
}

/// A column of an enum named like a built-in type cannot be written (`type: text` is the
/// built-in): the column is left out, and the self-check names the difference.
#[test]
fn a_project_that_does_not_reproduce_the_database_is_not_written_unless_forced() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA shop; CREATE TYPE shop.\"text\" AS ENUM ('a', 'b');
         CREATE TABLE shop.stores (id int PRIMARY KEY, kind shop.\"text\");",
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");

    let out = inspect(&url, &dir, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("does not reproduce the database: 1 difference"), "{said}");
    assert!(said.contains("extra_column shop.stores.kind: expected nothing, found text"), "{said}");
    assert!(said.contains("nothing written: `--force`"), "{said}");
    assert!(!dir.exists(), "nothing is written");

    // Printing is giving it too: nothing on stdout either.
    let out = schema(tmp.path(), &url, &["inspect", "--namespace", "shop"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));

    // --force writes it, says what differs, and the exit code still says so.
    let out = inspect(&url, &dir, &["--force"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("wrote 2 files for 1 table"), "{}", text(&out));
    assert!(!text(&out).contains("nothing written"), "{}", text(&out));
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "the difference listed is the drift diff reports: {}", text(&out));
    assert!(text(&out).contains("extra_column"), "{}", text(&out));

    // JSON carries the differences, and no files when they were not given.
    let out = schema(tmp.path(), &url, &["--format", "json", "inspect", "--namespace", "shop"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["differences"].as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(doc["files"], serde_json::json!([]), "{doc}");
}

/// An index on an expression set its whole table aside, then every table with a foreign key to
/// it and every view reading those. Now only the index is set aside.
#[test]
fn an_expression_index_is_adopted_compared_and_rebuilt() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA shop;
         CREATE TABLE shop.customers (id int PRIMARY KEY, email varchar(255) NOT NULL, name text COLLATE \"C\");
         CREATE UNIQUE INDEX customers_email_lower ON shop.customers (lower(email));
         CREATE INDEX customers_name ON shop.customers (upper(name) text_pattern_ops DESC, id) WHERE name <> '';
         CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int REFERENCES shop.customers);",
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    common::adopt_whole(&url, "shop", &dir);
    let customers = std::fs::read_to_string(dir.join("schema/tables/customers.yaml")).unwrap();
    assert!(customers.contains("columns: [{ expression: \"lower(email::text)\" }], unique: true"), "{customers}");
    assert!(
        customers.contains("{ expression: upper(name), opclass: text_pattern_ops, collation: C, order: desc }, id]"),
        "{customers}"
    );
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let definitions = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'shop' AND tablename <> 'refinery_schema_history' ORDER BY indexname";
    assert_eq!(psql(&common::rebuild(&dir), definitions), psql(&url, definitions));

    // Written by hand in another spelling, it is the same index; another expression is drift.
    let edited = customers.replace("\"lower(email::text)\"", "\"LOWER(email)\"");
    std::fs::write(dir.join("schema/tables/customers.yaml"), &edited).unwrap();
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    psql(&url, "DROP INDEX shop.customers_email_lower; CREATE UNIQUE INDEX customers_email_lower ON shop.customers (upper(email))");
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("  index           shop.customers.customers_email_lower\n"), "{}", text(&out));
}

/// A table without columns (`CREATE TABLE t ()`, a flag table) was set aside; it is adopted and
/// rebuilt, and a project that targets Redshift, which needs a column, refuses it at load.
#[test]
fn a_table_without_columns_is_adopted_and_rebuilt() {
    let url = common::fresh_database();
    psql(&url, "CREATE SCHEMA shop; CREATE TABLE shop.maintenance (); COMMENT ON TABLE shop.maintenance IS 'flag'");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    let out = inspect(&url, &dir, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("warning"), "{}", text(&out));
    let yaml = std::fs::read_to_string(dir.join("schema/tables/maintenance.yaml")).unwrap();
    assert!(yaml.contains("columns: []\n"), "{yaml}");
    let fresh = common::rebuild(&dir);
    assert_eq!(psql(&fresh, "SELECT obj_description('shop.maintenance'::regclass)"), "flag");

    let settings = std::fs::read_to_string(dir.join("schema/schema.yaml")).unwrap();
    std::fs::write(dir.join("schema/schema.yaml"), settings.replace("[postgres]", "[postgres, redshift]")).unwrap();
    let out = schema(&dir, "postgres://unused", &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(
            "maintenance.yaml:4:10: error: table `maintenance` has no columns, which Redshift does not allow"
        ),
        "{}",
        text(&out)
    );
}

/// A view calling a function of the namespace was adopted, and V1 then failed on any other
/// database (`function shop.total(integer) does not exist`). It is set aside alone, named with
/// the routine; the table it reads stays. A materialized view left unpopulated by a
/// schema-only restore is the data's state, not a difference: inspect writes, with a warning.
#[test]
fn a_view_calling_a_routine_is_set_aside_and_an_unpopulated_view_is_a_warning() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA shop; CREATE TABLE shop.orders (id int PRIMARY KEY, cents int NOT NULL);
         CREATE FUNCTION shop.euros(c int) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT c / 100.0';
         CREATE VIEW shop.priced AS SELECT id, shop.euros(cents) AS euros FROM shop.orders;
         CREATE VIEW shop.plain AS SELECT id FROM shop.orders;
         CREATE MATERIALIZED VIEW shop.totals AS SELECT count(*) AS n FROM shop.orders WITH NO DATA;",
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    let out = inspect(&url, &dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("priced: it calls shop.euros(integer), which the YAML cannot hold"), "{said}");
    assert!(said.contains("shop.totals: not populated"), "{said}");
    assert!(dir.join("schema/views/plain.yaml").exists() && !dir.join("schema/views/priced.yaml").exists());
    // The rest rebuilds: V1 runs on an empty database.
    common::rebuild(&dir);
}

/// A foreign key into a namespace the project does not manage made inspect refuse to write (the
/// self-check found it missing); one to a table set aside set its whole table aside, and every
/// table referencing that one. Now the key alone is left out, and named in `ignore:`.
#[test]
fn a_foreign_key_that_cannot_be_written_is_left_out_alone() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA other; CREATE TABLE other.regions (id int PRIMARY KEY);
         CREATE SCHEMA shop; CREATE TABLE shop.stores (id int PRIMARY KEY, region_id int REFERENCES other.regions);
         CREATE TABLE shop.\"a/b\" (id int PRIMARY KEY);
         CREATE TABLE shop.staff (id int PRIMARY KEY, store_id int REFERENCES shop.stores, ab int REFERENCES shop.\"a/b\");",
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    let out = inspect(&url, &dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("stores: foreign key stores_region_id_fkey (region_id) references other.regions, outside the managed namespaces"), "{said}");
    assert!(said.contains("staff: foreign key staff_ab_fkey (ab) references a/b, which is left out"), "{said}");
    let settings = std::fs::read_to_string(dir.join("schema/schema.yaml")).unwrap();
    assert!(
        settings.contains("foreign_key stores.stores_region_id_fkey")
            && settings.contains("foreign_key staff.staff_ab_fkey"),
        "{settings}"
    );
    let staff = std::fs::read_to_string(dir.join("schema/tables/staff.yaml")).unwrap();
    assert!(staff.contains("stores") && !staff.contains("a/b"), "{staff}");
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Dropping a key the YAML leaves out is still drift only where the YAML declares one.
    psql(&url, "ALTER TABLE shop.staff DROP CONSTRAINT staff_store_id_fkey");
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
