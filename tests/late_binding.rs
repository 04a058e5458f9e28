//! Redshift late-binding views (`late_binding: true`): rendered `WITH NO SCHEMA BINDING`, refused
//! on a materialized view, checked against Redshift's rules and grammar, run through the
//! emulation, and a plain view on PostgreSQL.

mod common;

use common::{psql, schema, text};
use std::path::Path;

const SETTINGS: &str = "name: l\nnamespace: shop\ndialects: [postgres, redshift]\n";
const ORDERS: &str = "table: orders\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: total, type: \"decimal(10,2)\" }\n";
const VIEW: &str =
    "view: big_orders\nlate_binding: true\nsql: SELECT id, total FROM {{ ref('orders') }} WHERE total > 100\n";

fn project(view: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in [("schema.yaml", SETTINGS), ("tables/orders.yaml", ORDERS), ("views/big_orders.yaml", view)] {
        let path = tmp.path().join("schema").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    tmp
}

fn read(dir: &Path, dialect: &str, file: &str) -> String {
    std::fs::read_to_string(dir.join("migrations").join(dialect).join(file)).unwrap()
}

#[test]
fn a_late_binding_view_is_created_with_no_schema_binding_on_redshift_only() {
    let tmp = project(VIEW);
    let dir = tmp.path();
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let redshift = read(dir, "redshift", "V1__initial.sql");
    let expected = "CREATE VIEW \"shop\".\"big_orders\" AS\nSELECT id, total FROM \"shop\".\"orders\" WHERE total > 100\nWITH NO SCHEMA BINDING;\n";
    assert!(redshift.contains(expected), "{redshift}");
    assert!(redshift.contains("--   create late-binding view shop.big_orders"), "{redshift}");
    let postgres = read(dir, "postgres", "V1__initial.sql");
    assert!(!postgres.contains("SCHEMA BINDING") && postgres.contains("CREATE VIEW"), "{postgres}");

    // Redshift's own rules, its grammar (a weak gate) and the emulation on PostgreSQL.
    let migrations = dir.join("migrations/redshift");
    assert_eq!(common::redshift::static_violations_dir(&migrations), Vec::<String>::new());
    common::redshift_grammar_accepts_path(&migrations).unwrap();
    let url = common::fresh_database();
    common::redshift::apply(&url, &migrations).unwrap();
    psql(&url, "INSERT INTO shop.orders VALUES (1, 500), (2, 5)");
    assert_eq!(psql(&url, "SELECT string_agg(id::text, ',') FROM shop.big_orders"), "1");

    // On PostgreSQL it is a plain view, and diff is clean.
    let pg = common::fresh_database();
    assert!(schema(dir, &pg, &["migrate"]).status.success());
    let out = schema(dir, &pg, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Binding it again is a change of kind: the view is dropped and created.
    std::fs::write(dir.join("schema/views/big_orders.yaml"), VIEW.replace("late_binding: true\n", "")).unwrap();
    let out = schema(dir, "postgres://unused", &["generate", "--name", "bind"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = read(dir, "redshift", "V2__bind.sql");
    assert!(v2.contains("DROP VIEW") && v2.contains("CREATE VIEW") && !v2.contains("SCHEMA BINDING"), "{v2}");
    // PostgreSQL has no late binding: nothing of its view changes.
    assert!(
        !dir.join("migrations/postgres/V2__bind.sql").exists(),
        "no PostgreSQL file for a change of nothing it has"
    );
}

#[test]
fn a_materialized_view_cannot_be_late_binding() {
    let tmp = project(&VIEW.replace("view: big_orders", "materialized_view: big_orders"));
    let out = schema(tmp.path(), "postgres://unused", &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("big_orders.yaml:2:1: error: `late_binding` applies to a view only"), "{}", text(&out));
}

/// AWS "CREATE VIEW": with WITH NO SCHEMA BINDING, every table the query references must be
/// qualified with its schema. A WITH query's name is no table.
#[test]
fn a_late_binding_view_reads_only_qualified_tables() {
    let body = "view: big_orders\nlate_binding: true\nsql: WITH big AS (SELECT id FROM {{ ref('orders') }}) SELECT big.id FROM big JOIN orders o ON o.id = big.id JOIN spectrum.clicks c ON c.id = o.id\n";
    let tmp = project(body);
    let out = schema(tmp.path(), "postgres://unused", &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("big_orders.yaml:3:6: error: a late-binding view must qualify every table it reads with its schema: `orders` is not"), "{said}");
    assert!(!said.contains("`big` is not") && !said.contains("clicks"), "{said}");

    let tmp = project(&body.replace("JOIN orders o", "JOIN {{ ref('orders') }} o"));
    let out = schema(tmp.path(), "postgres://unused", &["check"]);
    assert!(out.status.success(), "{}", text(&out));
}
