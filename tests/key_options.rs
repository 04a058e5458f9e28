//! Key names and options kept exactly: a foreign key's actions, MATCH FULL and deferrability, a
//! unique key's NULLS NOT DISTINCT, and the names other tools give keys (Rails, Prisma). Adopted,
//! rebuilt, drifted by hand and fixed, against a real PostgreSQL; refused for Redshift at load.

mod common;

use common::{app_project as project, psql, schema, text};

/// Keys as Django, Rails and Prisma leave them.
const ADOPTED: &str = "CREATE SCHEMA app;
CREATE TABLE app.users (
    id BIGINT NOT NULL,
    email VARCHAR(200),
    CONSTRAINT \"User_pkey\" PRIMARY KEY (id),
    CONSTRAINT users_email_uniq UNIQUE NULLS NOT DISTINCT (email));
CREATE TABLE app.posts (
    id BIGINT NOT NULL PRIMARY KEY,
    author_id BIGINT,
    editor_id BIGINT,
    CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES app.users (id) ON DELETE CASCADE ON UPDATE SET NULL,
    CONSTRAINT fk_rails_0a1b2c FOREIGN KEY (editor_id) REFERENCES app.users (id) MATCH FULL DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE app.tags (
    post_id BIGINT REFERENCES app.posts ON DELETE SET DEFAULT DEFERRABLE,
    label VARCHAR(20),
    UNIQUE (post_id, label));";

/// Every key of the namespace: table, name, definition.
const CONSTRAINTS: &str = "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid WHERE k.connamespace = 'app'::regnamespace AND c.relname <> 'refinery_schema_history'
ORDER BY 1, 2";

#[test]
fn adopted_key_names_and_options_survive_a_rebuild() {
    let url = common::fresh_database();
    psql(&url, ADOPTED);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("app");
    common::adopt_whole(&url, "app", &project);
    let posts = std::fs::read_to_string(project.join("schema/tables/posts.yaml")).unwrap();
    assert!(posts.contains("name: posts_author_fk, on_delete: cascade, on_update: set_null }"), "{posts}");
    assert!(posts.contains("name: fk_rails_0a1b2c, match: full, deferrable: initially_deferred }"), "{posts}");
    let users = std::fs::read_to_string(project.join("schema/tables/users.yaml")).unwrap();
    assert!(users.contains("primary_key: { columns: [id], name: User_pkey }"), "{users}");
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let rebuilt = common::rebuild(&project);
    assert_eq!(psql(&rebuilt, CONSTRAINTS), psql(&url, CONSTRAINTS));
}

const USERS: &str = "table: users\ncolumns:\n  - { name: id, type: bigint }\n  - { name: email, type: varchar(200) }\nprimary_key: { columns: [id], name: User_pkey }\nunique:\n  - { columns: [email], nulls_not_distinct: true }\n";
const POSTS: &str = "table: posts\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: author_id, type: bigint }\nforeign_keys:\n  - { columns: [author_id], references: { table: users }, name: posts_author_fk, on_delete: cascade, deferrable: true }\n";

/// Each hand change is a finding naming the constraint and the property, and the plan `diff
/// --sql` prints puts it back.
#[test]
fn a_key_changed_by_hand_is_named_and_the_plan_fixes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    project(dir, "postgres", &[USERS, POSTS]);
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let cases = [
        ("ALTER TABLE app.posts RENAME CONSTRAINT posts_author_fk TO posts_author_id_fkey", "foreign_key", "app.posts.posts_author_fk", "name"),
        ("ALTER TABLE app.users RENAME CONSTRAINT \"User_pkey\" TO users_pkey", "primary_key", "app.users.User_pkey", "name"),
        ("ALTER TABLE app.posts ALTER CONSTRAINT posts_author_fk NOT DEFERRABLE", "foreign_key", "app.posts.posts_author_fk", "deferrable"),
        ("ALTER TABLE app.posts DROP CONSTRAINT posts_author_fk, ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES app.users ON DELETE RESTRICT DEFERRABLE", "foreign_key", "app.posts.posts_author_fk", "on_delete"),
        ("ALTER TABLE app.posts DROP CONSTRAINT posts_author_fk, ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES app.users MATCH FULL ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE", "foreign_key", "app.posts.posts_author_fk", "on_update, match"),
        ("ALTER TABLE app.users DROP CONSTRAINT users_email_key, ADD CONSTRAINT users_email_key UNIQUE (email)", "unique_key", "app.users.users_email_key", "nulls_not_distinct"),
    ];
    let mut problems = Vec::new();
    for (sql, kind, object, property) in cases {
        let url = common::fresh_database();
        let out = schema(dir, &url, &["migrate"]);
        assert!(out.status.success(), "{}", text(&out));
        psql(&url, "INSERT INTO app.users VALUES (1, 'a@example.com'); INSERT INTO app.posts VALUES (10, 1)");
        psql(&url, sql);
        let out = schema(dir, &url, &["diff", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let findings = json["findings"].as_array().cloned().unwrap_or_default();
        let named = findings.iter().any(|f| f["kind"] == kind && f["object"] == object && f["property"] == property);
        if out.status.code() != Some(1) || !named {
            problems.push(format!("{sql}: wanted {kind} {object} ({property}): {}", text(&out)));
            continue;
        }
        if let Some(problem) = common::plan_problem(dir, &url, "app.posts") {
            problems.push(format!("{sql}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `schema check`'s output for a project of these tables.
fn check(dialects: &str, tables: &[&str]) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path(), dialects, tables);
    let out = schema(tmp.path(), "postgres://unused", &["check"]);
    (out.status.code(), text(&out))
}

#[test]
fn redshift_refuses_key_options_and_names_it_would_fold() {
    let (code, out) = check("postgres, redshift", &[USERS, POSTS]);
    assert_eq!(code, Some(2), "{out}");
    for (at, what) in [
        ("t0.yaml:5:37:", "`User_pkey` is not a valid identifier"),
        ("t0.yaml:7:45:", "`nulls_not_distinct` cannot be deployed to redshift"),
        ("t1.yaml:6:93:", "`on_delete` cannot be deployed to redshift"),
        ("t1.yaml:6:114:", "`deferrable` cannot be deployed to redshift"),
    ] {
        assert!(out.lines().any(|l| l.contains(at) && l.contains(what)), "{at} {what}: {out}");
    }
    assert!(out.contains("redshift folds names to lower case"), "{out}");
    // A lower-case name is honest on Redshift: CREATE TABLE and ADD CONSTRAINT take it.
    let named =
        "table: users\ncolumns:\n  - { name: id, type: bigint }\nprimary_key: { columns: [id], name: users_pk }\n";
    let (code, out) = check("postgres, redshift", &[named]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_bad_action_is_an_error_at_its_place() {
    let bad = POSTS.replace("on_delete: cascade", "on_delete: explode");
    let (code, out) = check("postgres", &[USERS, &bad]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("t1.yaml:6:93:") && out.contains("unknown variant `explode`"), "{out}");
    assert!(out.contains("cascade"), "the valid values are listed: {out}");
    let bad = POSTS.replace("deferrable: true", "deferrable: sometimes");
    let (code, out) = check("postgres", &[USERS, &bad]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("t1.yaml:6:") && out.contains("initially_deferred"), "{out}");
    let bad = USERS.replace("nulls_not_distinct: true", "nulls_distinct: true");
    let (code, out) = check("postgres", &[&bad, POSTS]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("t0.yaml:7:") && out.contains("nulls_distinct"), "{out}");
}
