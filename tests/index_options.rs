//! Index options kept exactly: the access method, a column's operator class, collation and
//! NULLS order, INCLUDE columns, storage parameters and NULLS NOT DISTINCT. Adopted, rebuilt,
//! changed by hand and put back, spelled otherwise without drift, and never SQL from the YAML.
//! Before they were modelled, a rebuild made every such index a plain btree (and failed on a
//! gist index over `point`).

mod common;

use common::{app_project as project, psql, schema, text};

/// One index per option, as hand-written schemas and ORMs leave them.
const ADOPTED: &str = "CREATE SCHEMA docs;
CREATE EXTENSION pg_trgm SCHEMA docs;
CREATE TABLE docs.articles (
    id bigint PRIMARY KEY,
    slug varchar(80) NOT NULL,
    title text NOT NULL,
    tags text[] NOT NULL DEFAULT '{}',
    meta jsonb NOT NULL DEFAULT '{}',
    published_at timestamptz NOT NULL DEFAULT now(),
    location point,
    gtin varchar(14));
CREATE INDEX articles_slug_like ON docs.articles (slug varchar_pattern_ops);
CREATE INDEX articles_title_c ON docs.articles (title COLLATE \"C\" DESC NULLS LAST) INCLUDE (id, slug);
CREATE INDEX articles_tags ON docs.articles USING gin (tags);
CREATE INDEX articles_meta ON docs.articles USING gin (meta jsonb_path_ops);
CREATE INDEX articles_published ON docs.articles USING brin (published_at) WITH (pages_per_range = 32);
CREATE INDEX articles_slug_hash ON docs.articles USING hash (slug) WITH (fillfactor = 70);
CREATE INDEX articles_location ON docs.articles USING gist (location);
CREATE INDEX articles_location_sp ON docs.articles USING spgist (location);
CREATE INDEX articles_title_trgm ON docs.articles USING gin (title docs.gin_trgm_ops);
CREATE UNIQUE INDEX articles_gtin ON docs.articles (gtin) NULLS NOT DISTINCT WHERE gtin <> '';
CREATE MATERIALIZED VIEW docs.daily AS SELECT published_at::date AS day, count(*) AS n FROM docs.articles GROUP BY 1;
CREATE INDEX daily_day ON docs.daily USING brin (day date_minmax_multi_ops);";

/// Every index of the namespace as the server prints it.
const INDEXES: &str = "SELECT indexname, indexdef FROM pg_indexes
WHERE schemaname = 'docs' AND tablename <> 'refinery_schema_history' ORDER BY 1";

#[test]
fn adopted_index_options_survive_a_rebuild() {
    let url = common::fresh_database();
    psql(&url, ADOPTED);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("docs");
    common::adopt_whole(&url, "docs", &project);
    let articles = std::fs::read_to_string(project.join("schema/tables/articles.yaml")).unwrap();
    for written in [
        "{ name: articles_slug_like, columns: [{ column: slug, opclass: varchar_pattern_ops }] }",
        "{ name: articles_title_c, columns: [{ column: title, collation: C, order: desc, nulls: last }], include: [id, slug] }",
        "{ name: articles_tags, columns: [tags], using: gin }",
        "{ name: articles_meta, columns: [{ column: meta, opclass: jsonb_path_ops }], using: gin }",
        "{ name: articles_published, columns: [published_at], using: brin, with: { pages_per_range: 32 } }",
        "{ name: articles_slug_hash, columns: [slug], using: hash, with: { fillfactor: 70 } }",
        "{ name: articles_location, columns: [location], using: gist }",
        "{ name: articles_title_trgm, columns: [{ column: title, opclass: docs.gin_trgm_ops }], using: gin }",
        "{ name: articles_gtin, columns: [gtin], unique: true, nulls_not_distinct: true, where: \"gtin::text <> ''::text\" }",
    ] {
        assert!(articles.contains(written), "{written}\n{articles}");
    }
    let daily = std::fs::read_to_string(project.join("schema/views/daily.yaml")).unwrap();
    assert!(daily.contains("columns: [{ column: day, opclass: date_minmax_multi_ops }], using: brin }"), "{daily}");
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let rebuilt = common::rebuild(&project);
    assert_eq!(psql(&rebuilt, INDEXES), psql(&url, INDEXES));
}

const TABLE: &str = "table: entries
columns:
  - { name: id, type: bigint, primary_key: true }
  - { name: account, type: text, nullable: false }
  - { name: amount, type: \"decimal(14,2)\" }
  - { name: tags, type: \"text[]\" }
indexes:
  - { name: entries_account, columns: [{ column: account, opclass: text_pattern_ops, collation: C }], include: [amount], with: { fillfactor: 70 } }
  - { name: entries_tags, columns: [tags], using: gin, with: { fastupdate: off } }
  - { name: entries_amount, columns: [amount DESC NULLS LAST, account], unique: true, nulls_not_distinct: true }
";

/// Each hand change of an option is an `index` finding naming the index, and the plan `diff
/// --sql` prints (drop, create) puts it back.
#[test]
fn an_index_option_changed_by_hand_is_named_and_the_plan_fixes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    project(dir, "postgres", &[TABLE]);
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let account = "DROP INDEX app.entries_account; CREATE INDEX entries_account ON app.entries";
    let cases = [
        (format!("{account} (account COLLATE \"C\") INCLUDE (amount) WITH (fillfactor = 70)"), "entries_account"),
        (format!("{account} (account text_pattern_ops) INCLUDE (amount) WITH (fillfactor = 70)"), "entries_account"),
        (format!("{account} (account COLLATE \"C\" text_pattern_ops) WITH (fillfactor = 70)"), "entries_account"),
        (format!("{account} (account COLLATE \"C\" text_pattern_ops DESC) INCLUDE (amount) WITH (fillfactor = 70)"), "entries_account"),
        ("ALTER INDEX app.entries_account SET (fillfactor = 90)".into(), "entries_account"),
        ("ALTER INDEX app.entries_tags RESET (fastupdate)".into(), "entries_tags"),
        ("DROP INDEX app.entries_tags; CREATE INDEX entries_tags ON app.entries (tags)".into(), "entries_tags"),
        ("DROP INDEX app.entries_amount; CREATE UNIQUE INDEX entries_amount ON app.entries (amount DESC NULLS LAST, account)".into(), "entries_amount"),
        ("DROP INDEX app.entries_amount; CREATE UNIQUE INDEX entries_amount ON app.entries (amount DESC, account) NULLS NOT DISTINCT".into(), "entries_amount"),
    ];
    let mut problems = Vec::new();
    for (sql, index) in &cases {
        let url = common::fresh_database();
        let out = schema(dir, &url, &["migrate"]);
        assert!(out.status.success(), "{}", text(&out));
        psql(&url, "INSERT INTO app.entries VALUES (1, 'a', 2.5, '{x}')");
        psql(&url, sql);
        let out = schema(dir, &url, &["diff", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let findings = json["findings"].as_array().cloned().unwrap_or_default();
        let object = format!("app.entries.{index}");
        if out.status.code() != Some(1) || !findings.iter().any(|f| f["kind"] == "index" && f["object"] == object) {
            problems.push(format!("{sql}: wanted index {object}: {}", text(&out)));
            continue;
        }
        if let Some(problem) = common::plan_problem(dir, &url, "app.entries") {
            problems.push(format!("{sql}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The defaults written out (btree, the type's default operator class, the column's collation,
/// ASC NULLS LAST, a parameter quoted) are the plain index on the server: no drift. Those the
/// YAML alone tells (btree, the order) are also no change of the project: no migration.
#[test]
fn defaults_spelled_out_are_the_plain_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let plain = "table: t\ncolumns:\n  - { name: a, type: text }\n  - { name: b, type: varchar(10) }\nindexes:\n  - { name: t_a, columns: [a, b DESC], with: { fillfactor: 70 } }\n";
    let spelled = plain.replace(
        "columns: [a, b DESC], with: { fillfactor: 70 }",
        "columns: [{ column: a, opclass: text_ops, collation: default, order: asc, nulls: last }, { column: b, opclass: pg_catalog.text_ops, order: desc, nulls: first }], using: btree, with: { fillfactor: \"70\" }",
    );
    project(dir, "postgres", &[&spelled]);
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let url = common::fresh_database();
    let out = schema(dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        psql(&url, "SELECT indexdef FROM pg_indexes WHERE indexname = 't_a'"),
        "CREATE INDEX t_a ON app.t USING btree (a, b DESC) WITH (fillfactor='70')"
    );

    let fresh = tempfile::tempdir().unwrap();
    let dir = fresh.path();
    project(dir, "postgres", &[plain]);
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let loose = plain.replace("columns: [a, b DESC]", "columns: [a ASC NULLS LAST, b desc nulls first], using: btree");
    project(dir, "postgres", &[&loose]);
    let out = schema(dir, "postgres://unused", &["generate", "--check"]);
    assert!(out.status.success(), "another spelling is no change: {}", text(&out));
    // An option added in the YAML is a migration that replaces the index.
    project(dir, "postgres", &[&plain.replace("columns: [a, b DESC]", "columns: [a, b DESC], using: hash")]);
    let out = schema(dir, "postgres://unused", &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("pending: change index app.t_a"), "{}", text(&out));
}

/// Names from the YAML reach SQL as quoted identifiers and parameters as literals: a name
/// holding SQL is looked up as a name (and not found), never run.
#[test]
fn names_in_index_options_are_quoted_never_executed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hostile = "x); DROP TABLE app.victim; --";
    let table = format!(
        "table: t\ncolumns:\n  - {{ name: a, type: text }}\nindexes:\n  - {{ name: t_a, columns: [{{ column: a, opclass: \"{hostile}\", collation: '\"C\"\" ) --\"' }}], using: \"gin; --\" }}\n"
    );
    project(dir, "postgres", &[&table]);
    let out = schema(dir, "postgres://unused", &["render", "--dialect", "postgres"]);
    assert!(out.status.success(), "{}", text(&out));
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(
        sql.contains("USING \"gin; --\" (\"a\" COLLATE \"C\"\" ) --\" \"x); DROP TABLE app\".\"victim; --\")"),
        "{sql}"
    );
    let url = common::fresh_database();
    psql(&url, "CREATE SCHEMA app; CREATE TABLE app.victim (id int)");
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(dir, &url, &["migrate"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("access method \"gin; --\" does not exist"), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT count(*) FROM app.victim"), "0");
}

/// A project that also deploys to Redshift declares indexes for PostgreSQL: Redshift renders
/// none, and its lint has nothing to say about their options.
#[test]
fn redshift_renders_no_index_options() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let table = TABLE.replace("type: text", "type: varchar(40)").replace("\"text[]\"", "varchar(200)");
    project(dir, "postgres, redshift", &[&table]);
    let out = schema(dir, "postgres://unused", &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(dir, "postgres://unused", &["render", "--dialect", "redshift"]);
    assert!(out.status.success(), "{}", text(&out));
    let sql = String::from_utf8_lossy(&out.stdout).to_uppercase();
    assert!(sql.contains("CREATE TABLE") && !sql.contains("INDEX") && !sql.contains("FILLFACTOR"), "{sql}");
}
