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

    // An empty database built from the adopted project is the same schema.
    let fresh = common::rebuild(&project);
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

/// The diagnostics (`file:line:col: message`, file relative) of loading `files` under a project
/// of `dialects`, or none.
fn load(dialects: &str, files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let settings = format!("name: q\nnamespace: app\ndialects: {dialects}\n");
    std::fs::write(dir.path().join("schema.yaml"), settings).unwrap();
    std::fs::create_dir(dir.path().join("tables")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join("tables").join(name), text).unwrap();
    }
    match schema::load::load(dir.path()) {
        Ok(_) => vec![],
        Err(diags) => diags
            .iter()
            .map(|d| {
                format!("{}:{}:{}: {}", d.file.strip_prefix(dir.path()).unwrap().display(), d.line, d.col, d.message)
            })
            .collect(),
    }
}

#[test]
fn names_keep_their_case_only_where_every_dialect_keeps_it() {
    let orders = "table: Orders\ncolumns:\n  - { name: createdAt, type: timestamptz }\nindexes:\n  - { name: Orders by date, columns: [createdAt] }\n";
    assert_eq!(load("[postgres]", &[("Orders.yaml", orders)]), Vec::<String>::new());
    let strict = "is not a valid identifier: use lowercase letters, digits and `_`, starting with a letter or `_`, at most 63 bytes";
    let mut said = load("[postgres, redshift]", &[("Orders.yaml", &orders.replace("timestamptz", "timestamp"))]);
    said.sort();
    assert_eq!(
        said,
        [
            format!("tables/Orders.yaml:1:8: `Orders` {strict}"),
            format!("tables/Orders.yaml:3:13: `createdAt` {strict}"),
            format!("tables/Orders.yaml:5:13: `Orders by date` {strict}"),
        ]
    );
    // A dot would make the name a key of another namespace, `/` and a leading dot a path.
    let named = |name: &str| format!("table: \"{name}\"\ncolumns:\n  - {{ name: id, type: integer }}\n");
    assert_eq!(
        load("[postgres]", &[("a.yaml", &named("a.b")), ("x.yaml", &named("../x")), ("c.yaml", &named("c/d"))]),
        [
            "tables/a.yaml:1:8: unknown namespace `a` in `a.b`",
            "tables/c.yaml:1:8: `c/d`: a table or view name holds no `/` and no dot (but the one after a namespace)",
            // Read as `./x` in a namespace without a name: refused twice.
            "tables/x.yaml:1:8: `./x`: a table or view name holds no `/` and no dot (but the one after a namespace)",
            "tables/x.yaml:1:8: `` is not a valid identifier: use lowercase letters, digits and `_`, starting with a letter or `_`, at most 63 bytes",
        ]
    );
    let too_long = named(&"É".repeat(32));
    assert_eq!(load("[postgres]", &[("long.yaml", &too_long)]).len(), 1, "64 bytes");
}

#[test]
fn a_name_holding_sql_is_quoted_never_executed() {
    let url = common::fresh_database();
    psql(&url, "CREATE TABLE public.y (id INTEGER); INSERT INTO public.y VALUES (1);");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("p");
    std::fs::create_dir_all(project.join("schema/tables")).unwrap();
    std::fs::write(project.join("schema/schema.yaml"), "name: p\nnamespace: app\ndialects: [postgres]\n").unwrap();
    let evil = r#"x"; DROP TABLE y; --"#;
    let table = format!(
        "table: '{evil}'\ncolumns:\n  - {{ name: '{evil}', type: integer, primary_key: true }}\n  - {{ name: y, type: integer }}\n\
         indexes:\n  - {{ name: '{evil} i', columns: ['{evil}'] }}\n\
         check_constraints:\n  - {{ name: '{evil} c', expression: y > 0 }}\n\
         checks:\n  - {{ name: not_null_y, not_null: y }}\n\
         foreign_keys:\n  - {{ columns: [y], references: {{ table: y, columns: [id] }} }}\n"
    );
    std::fs::write(project.join("schema/tables/evil.yaml"), table).unwrap();
    std::fs::write(
        project.join("schema/tables/y.yaml"),
        "table: y\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n",
    )
    .unwrap();
    let out = schema(&project, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    for args in [&["migrate"][..], &["diff"], &["validate"]] {
        let out = schema(&project, &url, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }
    let tables = psql(&url, "SELECT string_agg(relname, ' | ' ORDER BY relname) FROM pg_class WHERE relnamespace = 'app'::regnamespace AND relkind = 'r' AND relname <> 'refinery_schema_history'");
    assert_eq!(tables.trim(), format!("{evil} | y"));
    assert_eq!(psql(&url, "SELECT count(*) FROM public.y").trim(), "1", "public.y survives");
}
