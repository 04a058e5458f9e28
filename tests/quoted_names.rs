//! Names that need quotes (`"User"`, `"createdAt"`, `"order lines"`) in a PostgreSQL-only
//! project: adopted from a Prisma-style database, created again in an empty one, diffed clean
//! and validated; refused where a dialect folds names or a name cannot be a file's; quoted, never
//! executed, when they hold SQL.

mod common;

use common::{psql, schema, text};
use std::path::Path;

/// What Prisma migrations make: mixed-case tables, columns, an enum, keys named after them,
/// an index, a check constraint, a view reading `"User"`, and rows.
const PRISMA: &str = r#"CREATE SCHEMA app;
CREATE TYPE app."Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE app."User" (
    id INTEGER NOT NULL,
    email TEXT NOT NULL,
    "displayName" TEXT,
    role app."Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT "User_pkey" PRIMARY KEY (id),
    CONSTRAINT "User email length" CHECK (length(email) > 3));
CREATE UNIQUE INDEX "User_email_key" ON app."User" (email);
CREATE TABLE app."Post" (
    id INTEGER NOT NULL,
    "authorId" INTEGER NOT NULL,
    title TEXT NOT NULL,
    CONSTRAINT "Post_pkey" PRIMARY KEY (id),
    CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES app."User"(id));
CREATE INDEX "Post_authorId_idx" ON app."Post" ("authorId");
CREATE VIEW app."Admins" AS SELECT id, "displayName" FROM app."User" WHERE role = 'ADMIN';
INSERT INTO app."User" VALUES (1, 'ada@example.com', 'Ada', 'ADMIN', now());
INSERT INTO app."Post" VALUES (1, 1, 'Hello');"#;

fn inspect_into(url: &str, namespace: &str, dir: &Path) -> std::process::Output {
    schema(dir.parent().unwrap(), url, &["inspect", "--namespace", namespace, "--out", dir.to_str().unwrap()])
}

#[test]
fn a_prisma_schema_is_adopted_rebuilt_diffed_clean_and_validated() {
    let url = common::fresh_database();
    psql(&url, PRISMA);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("app");
    let out = inspect_into(&url, "app", &project);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("ignore:"), "nothing is set aside: {}", text(&out));
    let yaml = |path: &str| std::fs::read_to_string(project.join("schema").join(path)).unwrap();
    let user = yaml("tables/User.yaml");
    for line in ["table: User", "name: displayName", "type: Role", "name: User email length"] {
        assert!(user.contains(line), "{line}: {user}");
    }
    assert!(yaml("tables/Post.yaml").contains("table: User"), "the foreign key: {}", yaml("tables/Post.yaml"));
    assert!(yaml("views/Admins.yaml").contains("{{ ref('User') }}"), "{}", yaml("views/Admins.yaml"));

    let out = schema(&project, "postgres://unused", &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = schema(&project, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));

    // An empty database built from the adopted project is the same schema.
    let fresh = common::fresh_database();
    let out = schema(&project, &fresh, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(&project, &fresh, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    psql(&fresh, r#"INSERT INTO app."User" (id, email) VALUES (1, 'ada@example.com'), (2, 'bob@example.com');"#);
    psql(&fresh, r#"INSERT INTO app."Post" VALUES (1, 2, 'Hi')"#);

    // Key checks run on quoted names: clean, then a duplicate key and an orphan the server no
    // longer stops (`key_checks: auto` checks a key once its constraint is gone).
    let out = schema(&project, &fresh, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    psql(
        &fresh,
        r#"ALTER TABLE app."Post" DROP CONSTRAINT "Post_pkey", DROP CONSTRAINT "Post_authorId_fkey";
           INSERT INTO app."Post" VALUES (1, 99, 'Again')"#,
    );
    let out = schema(&project, &fresh, &["validate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("primary_key_unique  Post") && said.contains("authorId_in_User    Post"), "{said}");
}
