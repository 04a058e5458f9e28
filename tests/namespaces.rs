//! Several namespaces in one project (`namespaces:` in schema.yaml, objects named `ns.name`):
//! generated, migrated, diffed and validated on PostgreSQL, run through the Redshift emulation,
//! and refused with a position when a name or a namespace is wrong.

mod common;

use common::{psql, schema, text};
use std::path::Path;

const SETTINGS: &str =
    "name: w\nnamespace: mart\nnamespaces: [raw]\ndialects: [postgres, redshift]\nkey_checks: always\n";
/// `users` exists in both namespaces, and so does the index name `by_day`.
const RAW_USERS: &str = "table: raw.users\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: email, type: varchar(200) }\n";
const RAW_EVENTS: &str = "table: raw.events\nsort_key: { columns: [day] }\ncolumns:\n  - { name: user_id, type: bigint, nullable: false }\n  - { name: day, type: date, nullable: false }\nforeign_keys:\n  - { columns: [user_id], references: { table: raw.users } }\nindexes:\n  - { name: by_day, columns: [day] }\n";
const USERS: &str = "table: users\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: raw_id, type: bigint }\nforeign_keys:\n  - { columns: [raw_id], references: { table: raw.users } }\nindexes:\n  - { name: by_day, columns: [raw_id] }\n";
const DAILY: &str = "view: daily\nsql: |\n  SELECT e.day, count(*) AS events FROM {{ ref('raw.events') }} e\n  JOIN {{ ref('users') }} u ON u.raw_id = e.user_id GROUP BY e.day\n";
const RAW_RECENT: &str =
    "view: raw.recent\nsql: SELECT user_id FROM {{ ref('raw.events') }} WHERE day > DATE '2020-01-01'\n";

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, body) in files {
        let path = dir.join("schema").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
}

fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            ("schema.yaml", SETTINGS),
            ("tables/raw_users.yaml", RAW_USERS),
            ("tables/raw_events.yaml", RAW_EVENTS),
            ("tables/users.yaml", USERS),
            ("views/daily.yaml", DAILY),
            ("views/raw_recent.yaml", RAW_RECENT),
        ],
    );
    tmp
}

fn read(dir: &Path, dialect: &str, file: &str) -> String {
    std::fs::read_to_string(dir.join("migrations").join(dialect).join(file)).unwrap()
}

#[test]
fn a_project_manages_objects_in_several_namespaces() {
    let tmp = project();
    let dir = tmp.path();
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let v1 = read(dir, "postgres", "V1__initial.sql");
    for expected in [
        "CREATE SCHEMA IF NOT EXISTS \"mart\";",
        "CREATE SCHEMA IF NOT EXISTS \"raw\";",
        "CREATE TABLE \"raw\".\"users\"",
        "CREATE TABLE \"mart\".\"users\"",
        "REFERENCES \"raw\".\"users\"",
        "CREATE INDEX \"by_day\" ON \"raw\".\"events\"",
        "CREATE INDEX \"by_day\" ON \"mart\".\"users\"",
        "FROM \"raw\".\"events\" e\nJOIN \"mart\".\"users\" u",
        "CREATE VIEW \"raw\".\"recent\"",
        "--   create table raw.events",
    ] {
        assert!(v1.contains(expected), "{expected}: {v1}");
    }

    let url = common::fresh_database();
    let out = schema(dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    // The history stays in the project's namespace.
    assert_eq!(psql(&url, "SELECT count(*) FROM mart.refinery_schema_history"), "1");
    let out = schema(dir, &url, &["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The same catalog round trips as a project of one namespace.
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["catalog_queries"], 18, "{report}");

    // `key_checks: auto` finds the keys the server enforces in both namespaces.
    std::fs::write(dir.join("schema/schema.yaml"), SETTINGS.replace("always", "auto")).unwrap();
    let out = schema(dir, &url, &["validate", "--table", "users", "--table", "raw.events", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let left: Vec<String> = report["left_to_database"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}.{} by {}",
                l["table"].as_str().unwrap(),
                l["check"].as_str().unwrap(),
                l["by"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        left,
        [
            "raw.events.user_id_in_raw_users by events_user_id_fkey",
            "users.primary_key_unique by users_pkey",
            "users.raw_id_in_raw_users by users_raw_id_fkey"
        ],
        "{report}"
    );
    std::fs::write(dir.join("schema/schema.yaml"), SETTINGS).unwrap();

    // Validation crosses namespaces: an orphan in mart.users whose raw user is missing.
    psql(
        &url,
        "ALTER TABLE mart.users DROP CONSTRAINT users_raw_id_fkey; INSERT INTO raw.users VALUES (1, 'a@x');
                INSERT INTO mart.users VALUES (10, 1), (11, 2), (12, 3);",
    );
    let out = schema(dir, &url, &["validate", "--table", "users", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let orphan = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "raw_id_in_raw_users")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(orphan["failing_rows"], 2, "{report}");

    // Hand changes in the other namespace are drift, named with it.
    psql(&url, "ALTER TABLE mart.users ADD CONSTRAINT users_raw_id_fkey FOREIGN KEY (raw_id) REFERENCES raw.users (id) NOT VALID;
                ALTER TABLE raw.users ADD COLUMN extra INTEGER; CREATE TABLE raw.stray (x INTEGER)");
    let out = schema(dir, &url, &["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let found = text(&out);
    assert!(found.contains("\"object\": \"raw.users.extra\""), "{found}");
    assert!(found.contains("\"object\": \"raw.stray\""), "{found}");
    assert!(!found.contains("mart.users.extra") && !found.contains("mart.raw"), "{found}");
    // The key added NOT VALID is said on its own table, in the project's namespace.
    assert!(
        found.contains("\"object\": \"mart.users.users_raw_id_fkey\",\n      \"property\": \"constraint options\""),
        "{found}"
    );

    // An ignore pattern names them the same way.
    let settings = std::fs::read_to_string(dir.join("schema/schema.yaml")).unwrap();
    std::fs::write(dir.join("schema/schema.yaml"), format!("{settings}ignore: [raw.str*]\n")).unwrap();
    let out = schema(dir, &url, &["diff", "--format", "json"]);
    let found = text(&out);
    assert!(!found.contains("raw.stray") && found.contains("\"object\": \"raw.users.extra\""), "{found}");
}

#[test]
fn a_namespace_added_later_is_created_by_the_next_migration() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        &[
            ("schema.yaml", "name: w\nnamespace: mart\ndialects: [postgres]\n"),
            ("tables/users.yaml", "table: users\ncolumns:\n  - { name: id, type: bigint }\n"),
        ],
    );
    assert!(schema(dir, "postgres://unused", &["generate"]).status.success());
    write(
        dir,
        &[
            ("schema.yaml", "name: w\nnamespace: mart\nnamespaces: [staging]\ndialects: [postgres]\n"),
            ("tables/staged.yaml", "table: staging.users\ncolumns:\n  - { name: id, type: bigint }\n"),
        ],
    );
    let out = schema(dir, "postgres://unused", &["generate", "--name", "staging"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = read(dir, "postgres", "V2__staging.sql");
    let (schema_at, table_at) =
        (v2.find("CREATE SCHEMA IF NOT EXISTS \"staging\";"), v2.find("CREATE TABLE \"staging\".\"users\""));
    assert!(schema_at.is_some() && schema_at < table_at, "{v2}");
    assert!(!v2.contains("\"mart\".\"users\""), "{v2}");

    let url = common::fresh_database();
    assert!(schema(dir, &url, &["migrate"]).status.success());
    let out = schema(dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn several_namespaces_run_through_the_redshift_emulation() {
    let tmp = project();
    let dir = tmp.path();
    assert!(schema(dir, "postgres://unused", &["generate"]).status.success());
    let migrations = dir.join("migrations/redshift");
    assert_eq!(common::redshift::static_violations_dir(&migrations), Vec::<String>::new());
    common::redshift_grammar_accepts_path(&migrations).unwrap();
    let url = common::fresh_database();
    common::redshift::apply(&url, &migrations).unwrap();
    psql(&url, "INSERT INTO raw.users VALUES (1, 'a'); INSERT INTO raw.events VALUES (1, DATE '2024-01-02'); INSERT INTO mart.users VALUES (5, 1)");
    assert_eq!(psql(&url, "SELECT events FROM mart.daily"), "1");
    assert_eq!(psql(&url, "SELECT count(*) FROM raw.recent"), "1");
}

#[test]
fn wrong_namespaces_are_refused_at_their_position() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "tables/raw_users.yaml",
            "table: rwa.users\ncolumns:\n  - { name: id, type: bigint }\n",
            "tables/raw_users.yaml:1:8: error: unknown namespace `rwa` in `rwa.users`",
        ),
        (
            "tables/raw_users.yaml",
            "table: mart.users\ncolumns:\n  - { name: id, type: bigint }\n",
            "tables/raw_users.yaml:1:8: error: `mart` is the project's namespace",
        ),
        ("views/daily.yaml", "view: daily\nsql: SELECT 1 FROM {{ ref('events') }}\n", "views/daily.yaml:2:"),
        (
            "schema.yaml",
            "name: w\nnamespace: mart\nnamespaces: [raw, mart]\ndialects: [postgres]\n",
            "schema.yaml:3:19: error: `mart` is the project's `namespace`",
        ),
        (
            "schema.yaml",
            "name: w\nnamespace: mart\nnamespaces: [raw, pg_x]\ndialects: [postgres]\n",
            "schema.yaml:3:19: error: `pg_x` is a system schema",
        ),
        (
            "tables/raw_users.yaml",
            "table: raw.users.id\ncolumns:\n  - { name: id, type: bigint }\n",
            "tables/raw_users.yaml:1:8: error: `users.id` is not a valid identifier",
        ),
        (
            "tables/raw_users.yaml",
            "table: .users\ncolumns:\n  - { name: id, type: bigint }\n",
            "tables/raw_users.yaml:1:8: error: `` is not a valid identifier",
        ),
    ];
    for (file, body, expected) in cases {
        let tmp = project();
        write(tmp.path(), &[(file, body)]);
        let out = schema(tmp.path(), "postgres://unused", &["check"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(expected), "{expected}\n{}", text(&out));
    }
}

/// A Redshift deep copy of a table in another namespace (an interleaved sort key cannot be set
/// in place) keeps its name, rows, key and identity, on the emulation.
#[test]
fn a_deep_copy_in_another_namespace_keeps_its_name_rows_and_identity() {
    let mut p = common::redshift::harness::Emulated::new(|dir| {
        write(dir.parent().unwrap(), &[("schema.yaml", SETTINGS), ("tables/raw_users.yaml", RAW_USERS)]);
        std::fs::write(
            dir.join("tables/raw_log.yaml"),
            "table: raw.log\nsort_key: { columns: [day, note] }\ncolumns:\n  - { name: id, type: bigint, identity: true, primary_key: true }\n  - { name: day, type: date }\n  - { name: note, type: varchar(20) }\n",
        )
        .unwrap();
    });
    p.generate("initial", &[]);
    p.apply_pending().1.unwrap_or_else(|e| panic!("{e}"));
    p.sql("INSERT INTO raw.log (day, note) VALUES ('2026-01-01', 'a'), ('2026-01-02', 'b')");
    p.edit("tables/raw_log.yaml", "sort_key: { columns", "sort_key: { kind: interleaved, columns");
    p.generate("interleave", &["--allow-destructive"]);
    let (files, applied) = p.apply_pending();
    applied.unwrap_or_else(|e| panic!("{e}"));
    let sql = std::fs::read_to_string(&files[0]).unwrap();
    assert!(sql.contains("RENAME TO \"log\";") && sql.contains("\"mart\".\"schema_deep_copy_raw_log\""), "{sql}");
    assert_eq!(p.sql("SELECT string_agg(id || note, ',' ORDER BY id) FROM raw.log"), "1a,2b");
    p.sql("INSERT INTO raw.log (day, note) VALUES ('2026-01-03', 'c')");
    assert_eq!(p.sql("SELECT max(id) FROM raw.log"), "3", "identity goes on after the copied ids");
    let left = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('raw', 'mart') AND c.relkind IN ('r', 'v', 'm') AND (c.relname LIKE '%copy%' OR c.relname LIKE '%.%')";
    let listed = "SELECT string_agg(n.nspname || '.' || c.relname, ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('raw', 'mart')";
    assert_eq!(p.sql(left), "0", "{}", p.sql(listed));
    assert_eq!(p.sql("SELECT count(*) FROM pg_constraint WHERE conrelid = 'raw.log'::regclass AND contype = 'p'"), "1");
}

/// Keys longer than the 63 bytes a name keeps are still normalised (a default the server prints
/// otherwise compares equal), and a live name holding a dot is set aside with a warning instead
/// of being taken for another namespace's object.
#[test]
fn long_keys_normalise_and_dotted_live_names_are_set_aside() {
    let ns = "n".repeat(60);
    let table = "t".repeat(60);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let settings = format!("name: w\nnamespace: mart\nnamespaces: [{ns}]\ndialects: [postgres]\n");
    let body = format!(
        "table: {ns}.{table}\ncolumns:\n  - {{ name: id, type: integer, default: \"1+1\" }}\nindexes:\n  - {{ name: positive, columns: [id], where: \"id>0\" }}\n"
    );
    write(dir, &[("schema.yaml", &settings), ("tables/long.yaml", &body)]);
    assert!(schema(dir, "postgres://unused", &["generate"]).status.success());
    let url = common::fresh_database();
    assert!(schema(dir, &url, &["migrate"]).status.success());
    let out = schema(dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // `mart."nnn….x"` would otherwise read as the table `x` of the managed namespace `nnn…`.
    psql(&url, &format!("CREATE TABLE mart.\"{ns}.x\" (other TEXT)"));
    let out = schema(dir, &url, &["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains(&format!("mart.{ns}.x: a name holding a dot cannot be told")), "{said}");
    assert!(!said.contains("\"other\""), "{said}");
}

/// An enum of another managed namespace (`types.status`) was an unmanaged object: inspect left
/// it out, and V1 failed on any other database (`type "types.status" does not exist`). It is
/// declared `ns.name`, created in its namespace, compared, and adopted so.
#[test]
fn an_enum_of_another_managed_namespace_is_created_compared_and_adopted() {
    let url = common::fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let settings = "name: w\nnamespace: app\nnamespaces: [types]\ndialects: [postgres]\nenums:\n  types.status: [open, closed]\n  channel: [mail, chat]\n";
    let tickets = "table: tickets\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: status, type: types.status, default: \"'open'\" }\n  - { name: via, type: \"channel[]\" }\n";
    let labels = "table: types.labels\ncolumns:\n  - { name: status, type: types.status, primary_key: true }\n";
    write(tmp.path(), &[("schema.yaml", settings), ("tables/tickets.yaml", tickets), ("tables/labels.yaml", labels)]);
    let out = schema(tmp.path(), &url, &["generate", "--name", "init"]);
    assert!(out.status.success(), "{}", text(&out));
    let v1 = read(tmp.path(), "postgres", "V1__init.sql");
    assert!(v1.contains("CREATE TYPE \"types\".\"status\" AS ENUM ('open', 'closed');"), "{v1}");
    let out = schema(tmp.path(), &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(tmp.path(), &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    psql(&url, "ALTER TYPE types.status ADD VALUE 'waiting'");
    let out = schema(tmp.path(), &url, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("types.status"), "{}", text(&out));

    // inspect adopts it under its key, and the adopted project diffs clean.
    let adopted = tmp.path().join("adopted");
    let out = schema(tmp.path(), &url, &["inspect", "--namespace", "app,types", "--out", adopted.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let yaml = std::fs::read_to_string(adopted.join("schema/schema.yaml")).unwrap();
    assert!(yaml.contains("  types.status: [open, closed, waiting]\n"), "{yaml}");
    let out = schema(&adopted, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // One of a namespace the project does not list is an error at the key.
    write(tmp.path(), &[("schema.yaml", &settings.replace("  types.status", "  other.status"))]);
    let out = schema(tmp.path(), &url, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("enum `other.status`: `other` is not one of the project's other `namespaces:`"),
        "{}",
        text(&out)
    );
}
