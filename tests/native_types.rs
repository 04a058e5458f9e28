//! PostgreSQL types beyond the portable ones, in a PostgreSQL-only project: adopted by `inspect`
//! as the server prints them, loaded back, migrated into an empty database and diffed clean;
//! refused where Redshift is a dialect, and refused when the text is more than one type.

mod common;

use common::{psql, schema, text};
use std::path::Path;

/// What the columns need and no migration of the project creates: an extension, a domain, an
/// enum of another namespace.
const PREREQUISITES: &str = "CREATE EXTENSION citext; CREATE EXTENSION hstore;
CREATE DOMAIN public.positive AS integer CHECK (VALUE > 0);
CREATE SCHEMA other_ns; CREATE TYPE other_ns.mood AS ENUM ('sad', 'ok');";

const TYPES: &str = "CREATE SCHEMA kinds;
CREATE TABLE kinds.everything (
    id integer PRIMARY KEY,
    doc tsvector, raw bytea, span interval, price money, addr inet, net cidr, mac macaddr,
    body xml, spot point, flags bit varying(8), ages int4range, during tstzrange,
    amount numeric, label varchar, amounts numeric[], labels varchar[], count public.positive,
    mood other_ns.mood, addrs inet[], precise interval day to second, stamp timestamp(3),
    zoned timestamp(3) with time zone, wide numeric(40,2), name citext, attrs hstore);
INSERT INTO kinds.everything (id, doc, amount, mood) VALUES (1, 'a fat cat', 1.5, 'ok');";

/// Shaped like a public sample database: a full-text column with a GIN index, referenced.
const FILMS: &str = "CREATE SCHEMA films;
CREATE TABLE films.film (film_id serial PRIMARY KEY, title text NOT NULL, fulltext tsvector NOT NULL);
CREATE INDEX film_fulltext_idx ON films.film USING gin (fulltext);
CREATE TABLE films.actor (actor_id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE films.film_actor (
    actor_id integer NOT NULL REFERENCES films.actor, film_id integer NOT NULL REFERENCES films.film,
    PRIMARY KEY (actor_id, film_id));";

/// inspect, check, diff clean; generate, migrate an empty database (with the prerequisites),
/// diff clean there too. Returns the adopted YAML.
fn adopt_and_rebuild(setup: &str, namespace: &str) -> String {
    let source = common::fresh_database();
    psql(&source, &format!("{PREREQUISITES}\n{setup}"));
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("p");
    let out = common::inspect_into(&source, namespace, &project);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("left out"), "nothing is left out: {}", text(&out));
    let yaml = read_tree(&project.join("schema"));
    let out = schema(&project, "postgres://unused", &["check"]);
    assert!(out.status.success(), "{}\n{yaml}", text(&out));
    let out = schema(&project, &source, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "the adopted database: {}\n{yaml}", text(&out));
    let out = schema(&project, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let empty = common::fresh_database();
    psql(&empty, PREREQUISITES);
    let out = schema(&project, &empty, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(&project, &empty, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "the migrated database: {}\n{yaml}", text(&out));
    yaml
}

fn read_tree(dir: &Path) -> String {
    let mut out = String::new();
    for sub in ["schema.yaml", "tables"] {
        let path = dir.join(sub);
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            files.iter().for_each(|f| out.push_str(&std::fs::read_to_string(f).unwrap()));
        } else {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

#[test]
fn every_kind_of_postgresql_type_is_adopted_and_rebuilt() {
    let yaml = adopt_and_rebuild(TYPES, "kinds");
    for written in [
        "doc, type: tsvector }",
        "raw, type: bytea }",
        "span, type: interval }",
        "price, type: money }",
        "body, type: xml }",
        "flags, type: bit varying(8) }",
        "ages, type: int4range }",
        "during, type: tstzrange }",
        "amount, type: numeric }",
        "label, type: character varying }",
        "amounts, type: \"numeric[]\" }",
        "count, type: public.positive }",
        "mood, type: other_ns.mood }",
        "addrs, type: \"inet[]\" }",
        "precise, type: interval day to second }",
        "stamp, type: timestamp(3) without time zone }",
        "wide, type: \"numeric(40,2)\" }",
        "name, type: public.citext }",
        "attrs, type: public.hstore }",
    ] {
        assert!(yaml.contains(written), "`{written}` in\n{yaml}");
    }
}

#[test]
fn a_full_text_column_keeps_its_table_index_and_references() {
    let yaml = adopt_and_rebuild(FILMS, "films");
    assert!(yaml.contains("type: tsvector"), "{yaml}");
    assert!(yaml.contains("table: film_actor"), "{yaml}");
    // The GIN method is the index's, rebuilt as it was.
    assert!(yaml.contains("{ name: film_fulltext_idx, columns: [fulltext], using: gin }"), "{yaml}");
    assert!(!yaml.contains("ignore:"), "{yaml}");
}

fn project(dialects: &str, ty: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("schema/tables");
    std::fs::create_dir_all(&dir).unwrap();
    let head = format!("name: p\nnamespace: p\ndialects: {dialects}\n");
    std::fs::write(tmp.path().join("schema/schema.yaml"), head).unwrap();
    let table = format!("table: t\ncolumns:\n  - name: id\n    type: integer\n  - name: c\n    type: {ty}\n");
    std::fs::write(dir.join("t.yaml"), table).unwrap();
    tmp
}

#[test]
fn a_project_deploying_to_redshift_refuses_native_types_where_written() {
    for (ty, said) in [
        ("tsvector", "unknown type `tsvector`"),
        ("\"bit varying(8)\"", "cannot be deployed to Redshift"),
        ("\"interval day to second\"", "declare a bigint number of seconds"),
        ("varchar", "varchar needs a length"),
    ] {
        let tmp = project("[postgres, redshift]", ty);
        let out = schema(tmp.path(), "postgres://unused", &["check"]);
        assert_eq!(out.status.code(), Some(2), "{ty}: {}", text(&out));
        assert!(text(&out).contains(said), "{ty}: {}", text(&out));
        assert!(text(&out).contains("tables/t.yaml:6:"), "file and line of {ty}: {}", text(&out));
    }
    // Where Redshift is a dialect, `numeric` keeps its meaning: decimal(18,0).
    let tmp = project("[postgres, redshift]", "numeric");
    let out = schema(tmp.path(), "postgres://unused", &["render", "--dialect", "postgres"]);
    assert!(text(&out).contains("NUMERIC(18,0)"), "{}", text(&out));
}

#[test]
fn a_type_text_that_is_more_than_one_type_is_refused_and_nothing_runs() {
    let url = common::fresh_database();
    psql(&url, "CREATE TABLE public.x (a integer)");
    for (ty, said) in [
        ("\"int; drop table x\"", "`;` follows the type"),
        ("\"int default 1\"", "`default` follows the type"),
        ("\"text collate \\\"C\\\"\"", "`collate` follows the type"),
        ("\"int generated always as (1) stored\"", "`generated` follows the type"),
        ("\"interval(1+1)\"", "is not one PostgreSQL type: sql parser error"),
        ("\"numeric(1+1)\"", "`1+1` is not a length"),
        ("\"varchr(64)\"", "unknown type `varchr`"),
    ] {
        let tmp = project("[postgres]", ty);
        let out = schema(tmp.path(), "postgres://unused", &["generate"]);
        assert_eq!(out.status.code(), Some(2), "{ty}: {}", text(&out));
        assert!(text(&out).contains(said), "{ty}: {}", text(&out));
        assert!(text(&out).contains("tables/t.yaml:6:"), "{ty}: {}", text(&out));
        assert!(!tmp.path().join("migrations/postgres").exists(), "{ty}: nothing written");
        let out = schema(tmp.path(), &url, &["diff"]);
        assert_eq!(out.status.code(), Some(2), "{ty}: {}", text(&out));
    }
    let left = psql(&url, "SELECT count(*) FROM public.x; SELECT count(*) FROM pg_namespace WHERE nspname = 'p'");
    assert_eq!(left.split_whitespace().collect::<Vec<_>>(), ["0", "0"], "x is still there, p never made");
}

#[test]
fn a_native_type_change_is_a_conversion_that_may_fail() {
    let tmp = project("[postgres]", "bytea");
    let out = schema(tmp.path(), "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let yaml = tmp.path().join("schema/tables/t.yaml");
    let edited = std::fs::read_to_string(&yaml).unwrap().replace("type: bytea", "type: tsvector");
    std::fs::write(&yaml, edited).unwrap();
    let out = schema(tmp.path(), "postgres://unused", &["generate", "--name", "retype"]);
    assert_eq!(out.status.code(), Some(1), "a conversion that may fail is refused unless allowed: {}", text(&out));
    assert!(text(&out).contains("t.c bytea -> tsvector converts each value with a cast"), "{}", text(&out));
    let out = schema(tmp.path(), "postgres://unused", &["generate", "--name", "retype", "--allow-destructive"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = std::fs::read_to_string(tmp.path().join("migrations/postgres/V2__retype.sql")).unwrap();
    assert!(v2.contains("ALTER COLUMN \"c\" TYPE tsvector USING \"c\"::tsvector"), "{v2}");
}

/// Diff compares native types as the server prints them: another spelling of the same type in
/// the YAML is no drift.
#[test]
fn spellings_of_one_type_diff_clean() {
    let tmp = project("[postgres]", "pg_catalog.int4range");
    let yaml = tmp.path().join("schema/tables/t.yaml");
    let more = "  - { name: v, type: varchar }\n  - { name: s, type: \"timestamptz(3)\" }\n  - { name: b, type: \"varbit(8)[]\" }\n  - { name: i, type: \"INTERVAL   Day TO Second\" }\n";
    std::fs::write(&yaml, std::fs::read_to_string(&yaml).unwrap() + more).unwrap();
    let out = schema(tmp.path(), "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let url = common::fresh_database();
    let out = schema(tmp.path(), &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(tmp.path(), &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Another type is drift, planned as a conversion.
    psql(&url, "ALTER TABLE p.t ALTER COLUMN c TYPE int8range USING NULL");
    let out = schema(tmp.path(), &url, &["diff", "--format", "sql"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("ALTER COLUMN \"c\" TYPE int4range USING \"c\"::int4range"), "{}", text(&out));
}

/// An enum of the namespace whose name the YAML cannot write stays set aside, and so do its
/// columns: they are not read as a native type naming an enum the project does not create. The
/// table without them is not the table: inspect's self-check says so and writes nothing.
#[test]
fn a_column_of_an_enum_the_yaml_cannot_name_is_left_out() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA odd; CREATE TYPE odd.\"Odd Type\" AS ENUM ('a'); CREATE TYPE odd.text AS ENUM ('b');
        CREATE TABLE odd.t (id integer, o odd.\"Odd Type\", t odd.text[])",
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = schema(tmp.path(), &url, &["inspect", "--namespace", "odd"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // A quoted name is a name (tests/quoted_names.rs); an enum named like a built-in type is not.
    assert!(!text(&out).contains("t.o"), "{}", text(&out));
    assert!(text(&out).contains("t.t: type `odd.text[]` cannot be written"), "{}", text(&out));
    assert!(text(&out).contains("extra_column odd.t.t: expected nothing, found text[]"), "{}", text(&out));
    assert!(out.stdout.is_empty(), "nothing given: {}", text(&out));
}
