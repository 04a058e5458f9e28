//! CHECK constraints in the YAML (`check_constraints: [{name, expression}]`): loaded and refused
//! like the rest, generated, migrated, compared by `diff` in the server's spelling, ignorable,
//! and written back by `inspect`. Against a real PostgreSQL.

mod common;

use common::{psql, schema, text};
use serde_json::Value;
use std::path::Path;

const SETTINGS: &str = "name: c\nnamespace: shop\ndialects: [postgres]\n";

const ORDERS: &str = "table: orders
columns:
  - { name: id, type: bigint, identity: true, primary_key: true }
  - { name: amount, type: \"decimal(10,2)\", nullable: false }
  - { name: status, type: varchar(8), nullable: false, default: \"'new'\" }
check_constraints:
  - { name: positive_amount, expression: amount > 0 }
  - { name: known_status, expression: \"status IN ('new', 'paid')\" }
";

fn project(settings: &str, orders: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("schema/tables")).unwrap();
    std::fs::write(tmp.path().join("schema/schema.yaml"), settings).unwrap();
    std::fs::write(tmp.path().join("schema/tables/orders.yaml"), orders).unwrap();
    tmp
}

fn diff_json(dir: &Path, url: &str) -> (Option<i32>, Value) {
    let out = schema(dir, url, &["diff", "--format", "json"]);
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out))))
}

#[test]
fn check_constraints_are_generated_migrated_compared_and_inspected() {
    let tmp = project(SETTINGS, ORDERS);
    let dir = tmp.path();
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let v1 = std::fs::read_to_string(dir.join("migrations/postgres/V1__initial.sql")).unwrap();
    assert!(v1.contains("    CONSTRAINT \"positive_amount\" CHECK (amount > 0),\n"), "{v1}");
    assert!(v1.contains("    CONSTRAINT \"known_status\" CHECK (status IN ('new', 'paid'))\n"), "{v1}");
    let out = schema(dir, "postgres://unused", &["docs", "--out", dir.join("reference").to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let reference = std::fs::read_dir(dir.join("reference")).unwrap().next().unwrap().unwrap().path();
    let reference = std::fs::read_to_string(reference).unwrap();
    assert!(reference.contains("CHECK constraints: `positive_amount` `amount > 0`"), "{reference}");
    let url = common::fresh_database();
    let out = schema(dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    psql(&url, "INSERT INTO shop.orders (amount) VALUES (5)");
    let mut client =
        schema::db::Target::parse(&url, None, std::time::Duration::from_secs(10)).unwrap().connect().unwrap();
    let refused = client.batch_execute("INSERT INTO shop.orders (amount, status) VALUES (5, 'lost')").unwrap_err();
    assert!(refused.to_string().contains("known_status") || format!("{refused:?}").contains("known_status"));

    // The server spells `status IN (...)` its own way; both sides are compared in it.
    let (code, json) = diff_json(dir, &url);
    assert_eq!(code, Some(0), "{json}");

    // By hand: one dropped, one added, one changed.
    psql(
        &url,
        "ALTER TABLE shop.orders DROP CONSTRAINT known_status, ADD CONSTRAINT extra_rule CHECK (id < 1000000),
           DROP CONSTRAINT positive_amount, ADD CONSTRAINT positive_amount CHECK (amount >= 0)",
    );
    let (code, json) = diff_json(dir, &url);
    assert_eq!(code, Some(1));
    assert_eq!(
        common::described(&json),
        [
            "check_constraint shop.orders.positive_amount: CHECK ((amount > (0)::numeric)) -> CHECK ((amount >= (0)::numeric))",
            "check_constraint shop.orders.known_status: CHECK (((status)::text = ANY ((ARRAY['new'::character varying, 'paid'::character varying])::text[]))) -> nothing",
            "check_constraint shop.orders.extra_rule: nothing -> CHECK ((id < 1000000))",
        ]
    );
    let sql = String::from_utf8_lossy(&schema(dir, &url, &["diff", "--format", "sql"]).stdout).into_owned();
    assert!(sql.contains("DROP CONSTRAINT \"extra_rule\""), "{sql}");
    assert!(sql.contains("ADD CONSTRAINT \"known_status\" CHECK ("), "{sql}");

    // An extra one is ignorable by name; a declared one is not.
    let ignoring =
        format!("{SETTINGS}ignore: [check_constraint orders.extra_*, check_constraint orders.positive_amount]\n");
    std::fs::write(dir.join("schema/schema.yaml"), ignoring).unwrap();
    let (_, json) = diff_json(dir, &url);
    let kinds: Vec<String> =
        common::described(&json).iter().map(|d| d.split(':').next().unwrap().to_string()).collect();
    assert_eq!(kinds, ["check_constraint shop.orders.positive_amount", "check_constraint shop.orders.known_status"]);
    assert!(!json["diff"].as_str().unwrap().contains("extra_rule"), "{json}");

    // Inspect writes them as the server prints them; the result loads and diffs clean.
    let adopted = tempfile::tempdir().unwrap();
    let into = adopted.path().join("p");
    let out = schema(adopted.path(), &url, &["inspect", "--namespace", "shop", "--out", into.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let yaml = std::fs::read_to_string(into.join("schema/tables/orders.yaml")).unwrap();
    assert!(yaml.contains("check_constraints:\n  - { name: extra_rule, expression: \"(id < 1000000)\" }\n"), "{yaml}");
    let out = schema(&into, &url, &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, json) = diff_json(&into, &url);
    assert_eq!(code, Some(0), "{json}");
}

#[test]
fn a_new_check_constraint_is_the_next_migration() {
    let without = ORDERS.split("check_constraints:").next().unwrap();
    let tmp = project(SETTINGS, without);
    let dir = tmp.path();
    assert!(schema(dir, "postgres://unused", &["generate"]).status.success());
    let url = common::fresh_database();
    assert!(schema(dir, &url, &["migrate"]).status.success());
    std::fs::write(dir.join("schema/tables/orders.yaml"), ORDERS).unwrap();
    let out = schema(dir, "postgres://unused", &["generate", "--name", "checks"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = std::fs::read_to_string(dir.join("migrations/postgres/V2__checks.sql")).unwrap();
    assert!(v2.contains("--   add check constraint positive_amount on shop.orders\n"), "{v2}");
    assert!(
        v2.contains("ALTER TABLE \"shop\".\"orders\" ADD CONSTRAINT \"positive_amount\" CHECK (amount > 0);"),
        "{v2}"
    );
    let out = schema(dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, json) = diff_json(dir, &url);
    assert_eq!(code, Some(0), "{json}");

    // What the server prints for `IN (...)` loads back and diffs clean.
    let adopted = tempfile::tempdir().unwrap();
    let into = adopted.path().join("p");
    let out = schema(adopted.path(), &url, &["inspect", "--namespace", "shop", "--out", into.to_str().unwrap()]);
    assert!(out.status.success() && !text(&out).contains("warning"), "{}", text(&out));
    let yaml = std::fs::read_to_string(into.join("schema/tables/orders.yaml")).unwrap();
    assert!(yaml.contains("name: known_status, expression: \"((status)::text = ANY"), "{yaml}");
    let (code, json) = diff_json(&into, &url);
    assert_eq!(code, Some(0), "{json}");
}

#[test]
fn check_constraints_are_refused_when_they_cannot_be_deployed() {
    let cases = [
        ("expression: amount >", "`expression` is not valid SQL"),
        ("expression: amont > 0", "`expression` uses `amont`, which is not a column of table `orders`"),
        ("expression: amount > (SELECT 1)", "subquery"),
        ("expression: amount > 0; DROP TABLE x", "`;`"),
    ];
    for (bad, said) in cases {
        let orders = ORDERS.replace("expression: amount > 0", bad);
        let tmp = project(SETTINGS, &orders);
        let out = schema(tmp.path(), "postgres://unused", &["check"]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains("orders.yaml:7:") && text(&out).contains(said), "{bad}: {}", text(&out));
    }
    let twice = ORDERS.replace("name: known_status", "name: positive_amount");
    let tmp = project(SETTINGS, &twice);
    let out = schema(tmp.path(), "postgres://unused", &["check"]);
    assert!(text(&out).contains("check constraint `positive_amount` is declared twice"), "{}", text(&out));

    let redshift = SETTINGS.replace("[postgres]", "[postgres, redshift]");
    let tmp = project(&redshift, ORDERS);
    let out = schema(tmp.path(), "postgres://unused", &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Redshift has no CHECK constraints (`positive_amount`)"), "{}", text(&out));
}

/// NOT VALID and NO INHERIT are not modelled: inspect lists each in `ignore:` with a warning,
/// the constraint is still written and compared, and diff reports the flag where no rule
/// accepts it.
#[test]
fn unmodelled_check_flags_are_said() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA flags; CREATE TABLE flags.t (id INTEGER PRIMARY KEY, x INTEGER, y INTEGER CONSTRAINT ny CHECK (y > 0) NO INHERIT);
         ALTER TABLE flags.t ADD CONSTRAINT pos CHECK (x > 0) NOT VALID",
    );
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("p");
    let out = schema(tmp.path(), &url, &["inspect", "--namespace", "flags", "--out", into.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    for line in [
        "t.pos: constraint options (NOT VALID) is not held by the YAML; listed in `ignore:` as `unmodelled t.pos constraint options`",
        "t.ny: constraint options (NO INHERIT) is not held by the YAML; listed in `ignore:` as `unmodelled t.ny constraint options`",
    ] {
        assert!(said.contains(line), "{said}");
    }
    let yaml = std::fs::read_to_string(into.join("schema/tables/t.yaml")).unwrap();
    assert!(yaml.contains("{ name: pos, expression: \"(x > 0)\" }"), "{yaml}");
    let (code, json) = diff_json(&into, &url);
    assert_eq!(code, Some(0), "{json}");
    let settings = into.join("schema/schema.yaml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, text.replace(", unmodelled t.pos constraint options", "")).unwrap();
    let (code, json) = diff_json(&into, &url);
    assert_eq!(code, Some(1), "{json}");
    let finding = &json["findings"][0];
    assert_eq!(
        (
            finding["kind"].as_str(),
            finding["object"].as_str(),
            finding["property"].as_str(),
            finding["actual"].as_str()
        ),
        (Some("unmodelled"), Some("flags.t.pos"), Some("constraint options"), Some("NOT VALID")),
        "{json}"
    );
}
