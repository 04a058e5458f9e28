//! Domains (`domains:` in schema.yaml): adopted with their base type, NOT NULL, default and
//! named CHECK constraints; created before the tables whose columns use them; compared as the
//! server stores them; altered in place; refused where Redshift is a target. Before, a domain
//! was only an unmanaged object, and an adopted V1 whose columns used one failed on a fresh
//! database (`type "members.email" does not exist`).

mod common;

use common::{psql, schema, text};

const MEMBERS: &str = r"CREATE SCHEMA members;
CREATE DOMAIN members.email AS text CHECK (VALUE ~ '^[^@\s]+@[^@\s]+$');
CREATE DOMAIN members.amount AS numeric(12,2) NOT NULL DEFAULT 0
    CONSTRAINT amount_positive CHECK (VALUE >= 0) CONSTRAINT amount_bounded CHECK (VALUE < 1000000);
CREATE TABLE members.people (
    id bigint PRIMARY KEY,
    email members.email NOT NULL,
    fee members.amount);";

/// Every domain of `members` as the catalog holds it.
fn domains(url: &str) -> String {
    psql(
        url,
        "SELECT t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
           (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), '; ' ORDER BY k.conname)
            FROM pg_constraint k WHERE k.contypid = t.oid)
         FROM pg_type t WHERE t.typnamespace = 'members'::regnamespace AND t.typtype = 'd' ORDER BY 1",
    )
}

#[test]
fn domains_are_adopted_rebuilt_compared_and_altered_in_place() {
    let url = common::fresh_database();
    psql(&url, MEMBERS);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("members");
    common::adopt_whole(&url, "members", &project);
    let settings = std::fs::read_to_string(project.join("schema/schema.yaml")).unwrap();
    assert!(settings.contains("domains:\n"), "{settings}");
    assert!(settings.contains(r#"expression: "(VALUE ~ E'^[^@\\\\s]+@[^@\\\\s]+$'::text)""#), "{settings}");
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // V1 creates them before the table: it runs on an empty database, and they are the same.
    let fresh = common::rebuild(&project);
    assert_eq!(domains(&fresh), domains(&url));
    let refused = std::process::Command::new("psql")
        .args([fresh.as_str(), "-c", "INSERT INTO members.people VALUES (1, 'not an address', 1)"])
        .output()
        .unwrap();
    assert!(text(&refused).contains("violates check constraint \"email_check\""), "{}", text(&refused));

    // Changes by hand are drift, named: a default, NOT NULL, a constraint, a new domain.
    psql(
        &url,
        "ALTER DOMAIN members.amount SET DEFAULT 5; ALTER DOMAIN members.amount DROP NOT NULL;
         ALTER DOMAIN members.amount DROP CONSTRAINT amount_bounded;
         CREATE DOMAIN members.code AS varchar(8);",
    );
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("  domain          members.amount\n"), "{said}");
    assert!(said.contains("found:    decimal(12,2) DEFAULT 5 CONSTRAINT amount_positive"), "{said}");
    assert!(said.contains("  extra_domain    members.code\n"), "{said}");
    // The repair alters the domain in place (its columns keep their rows).
    let out = schema(&project, &url, &["diff", "--format", "sql"]);
    let repair = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(repair.contains("ALTER DOMAIN \"members\".\"amount\" SET DEFAULT 0;"), "{repair}");
    assert!(repair.contains("ALTER DOMAIN \"members\".\"amount\" SET NOT NULL;"), "{repair}");
    assert!(repair.contains("ALTER DOMAIN \"members\".\"amount\" ADD CONSTRAINT \"amount_bounded\""), "{repair}");
    psql(&url, &repair);
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // A hand-written condition is compared as the server stores it: no false drift.
    let edited = settings.replace("domains:\n", "domains:\n  grade: { type: smallint, check_constraints: [{ name: grade_range, expression: VALUE between 1 and 6 }] }\n");
    std::fs::write(project.join("schema/schema.yaml"), &edited).unwrap();
    let out = schema(&project, "postgres://unused", &["generate", "--name", "grade"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = std::fs::read_to_string(project.join("migrations/postgres/V2__grade.sql")).unwrap();
    assert!(v2.contains("CREATE DOMAIN \"members\".\"grade\" AS SMALLINT\n    CONSTRAINT \"grade_range\" CHECK (VALUE between 1 and 6);"), "{v2}");
    // The adopted database is V1 already; the rebuilt one ran it.
    let out = schema(&project, &url, &["baseline", "--version", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    for db in [&url, &fresh] {
        let out = schema(&project, db, &["migrate"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = schema(&project, db, &["diff"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
}

#[test]
fn domain_text_is_one_expression_over_value_and_redshift_refuses_domains() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("schema/tables")).unwrap();
    std::fs::write(root.join("schema/tables/t.yaml"), "table: t\ncolumns:\n  - { name: id, type: bigint }\n").unwrap();
    let settings = |dialects: &str, domains: &str| {
        let text = format!("name: p\nnamespace: p\ndialects: [{dialects}]\ndomains:\n{domains}");
        std::fs::write(root.join("schema/schema.yaml"), text).unwrap();
        schema(root, "postgres://unused", &["check"])
    };
    for (domain, said) in [
        (
            r#"{ type: text, check_constraints: [{ name: c, expression: "VALUE <> ''); DROP TABLE p.t; --" }] }"#,
            "`expression`",
        ),
        (r#"{ type: text, default: "'a'; DROP TABLE p.t" }"#, "`default`"),
        (r#"{ type: integer, check_constraints: [{ name: c, expression: "id > 0" }] }"#, "reads only `VALUE`"),
        (r#"{ type: "text; DROP TABLE p.t" }"#, "not one PostgreSQL type"),
        (r#"{ type: text, check: "VALUE <> ''" }"#, "unknown field `check`"),
        ("{ type: bigint }\n  t: { type: text }", "domain `t` has the name of a table"),
    ] {
        let out = settings("postgres", &format!("  d: {domain}\n"));
        assert_eq!(out.status.code(), Some(2), "{domain}: {}", text(&out));
        assert!(text(&out).contains("schema.yaml:"), "{domain}: {}", text(&out));
        assert!(text(&out).contains(said), "{domain}: {}", text(&out));
    }
    let out = settings("postgres, redshift", "  d: { type: integer }\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Redshift has no domains (`d`)"), "{}", text(&out));
}
