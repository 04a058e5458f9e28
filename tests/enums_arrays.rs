//! PostgreSQL enum types (`enums:` in schema.yaml) and array columns (`type: text[]`): loaded and
//! refused like the rest, generated, migrated, seeded, evolved by adding values, compared by
//! `diff`, adopted by `inspect`, and refused in a project that deploys to Redshift. Against a
//! real PostgreSQL.

mod common;

use common::{psql, schema, text};
use serde_json::Value;
use std::path::Path;

const SETTINGS: &str = "name: e\nnamespace: crm\ndialects: [postgres]\nenums:\n  mood: [sad, ok, happy]\n";

const PEOPLE: &str = "table: people
columns:
  - { name: id, type: bigint, identity: true, primary_key: true }
  - { name: feeling, type: mood, nullable: false, default: \"'ok'\" }
  - { name: history, type: \"mood[]\" }
  - { name: tags, type: \"varchar(20)[]\", nullable: false, default: \"'{}'\" }
  - { name: scores, type: \"integer[]\" }
";

fn project(settings: &str, people: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("schema/tables")).unwrap();
    std::fs::write(tmp.path().join("schema/schema.yaml"), settings).unwrap();
    std::fs::write(tmp.path().join("schema/tables/people.yaml"), people).unwrap();
    tmp
}

fn diff_json(dir: &Path, url: &str) -> (Option<i32>, Value) {
    let out = schema(dir, url, &["diff", "--format", "json"]);
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out))))
}

fn kinds(json: &Value) -> Vec<String> {
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    findings.iter().map(|f| format!("{} {}", f["kind"].as_str().unwrap(), f["object"].as_str().unwrap())).collect()
}

#[test]
fn enums_and_arrays_are_generated_migrated_seeded_evolved_and_compared() {
    let tmp = project(SETTINGS, PEOPLE);
    let dir = tmp.path();
    let out = schema(dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let v1 = std::fs::read_to_string(dir.join("migrations/postgres/V1__initial.sql")).unwrap();
    // The type comes before the table that uses it, qualified like every name.
    let (ty, table) =
        (v1.find("CREATE TYPE \"crm\".\"mood\" AS ENUM ('sad', 'ok', 'happy');"), v1.find("CREATE TABLE"));
    assert!(ty.is_some() && ty < table, "{v1}");
    for column in [
        "\"feeling\" \"crm\".\"mood\" DEFAULT 'ok' NOT NULL",
        "\"history\" \"crm\".\"mood\"[]",
        "\"tags\" VARCHAR(20)[]",
    ] {
        assert!(v1.contains(column), "{column}: {v1}");
    }

    let url = common::fresh_database();
    let out = schema(dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, json) = diff_json(dir, &url);
    assert_eq!(code, Some(0), "{json}");
    let out = schema(dir, &url, &["seed", "--rows", "50"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT count(*), count(DISTINCT feeling) > 1 FROM crm.people"), "50|t");

    // Values added at the start, in the middle and at the end: one ALTER TYPE each, in order.
    let settings = SETTINGS.replace("[sad, ok, happy]", "[awful, sad, meh, ok, happy, ecstatic]");
    std::fs::write(dir.join("schema/schema.yaml"), &settings).unwrap();
    let out = schema(dir, "postgres://unused", &["generate", "--name", "moods"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = std::fs::read_to_string(dir.join("migrations/postgres/V2__moods.sql")).unwrap();
    for added in [
        "ALTER TYPE \"crm\".\"mood\" ADD VALUE 'awful' BEFORE 'sad';",
        "ALTER TYPE \"crm\".\"mood\" ADD VALUE 'meh' AFTER 'sad';",
        "ALTER TYPE \"crm\".\"mood\" ADD VALUE 'ecstatic' AFTER 'happy';",
    ] {
        assert!(v2.contains(added), "{added}: {v2}");
    }
    let out = schema(dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(psql(&url, "SELECT enum_range(NULL::crm.mood)::text"), "{awful,sad,meh,ok,happy,ecstatic}");
    let (code, json) = diff_json(dir, &url);
    assert_eq!(code, Some(0), "{json}");

    // Removing or reordering values is refused: PostgreSQL cannot drop an enum value.
    std::fs::write(dir.join("schema/schema.yaml"), SETTINGS.replace("[sad, ok, happy]", "[ok, sad, happy]")).unwrap();
    let out = schema(dir, "postgres://unused", &["generate", "--name", "reorder"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("PostgreSQL can add values to an enum but not remove or reorder them"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("migrations/postgres/V3__reorder.sql").exists());
    std::fs::write(dir.join("schema/schema.yaml"), &settings).unwrap();

    // Hand changes: a value added, another enum created. Each is reported; an extra enum can
    // be ignored by name like a table.
    psql(&url, "ALTER TYPE crm.mood ADD VALUE 'bored'; CREATE TYPE crm.legacy_state AS ENUM ('a')");
    let (code, json) = diff_json(dir, &url);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(kinds(&json), ["enum_values crm.mood", "extra_enum crm.legacy_state"], "{json}");
    let ignoring = settings.replace("enums:", "ignore: [legacy_*]\nenums:");
    std::fs::write(dir.join("schema/schema.yaml"), ignoring).unwrap();
    let (_, json) = diff_json(dir, &url);
    assert_eq!(kinds(&json), ["enum_values crm.mood"], "{json}");
}

#[test]
fn enum_and_array_mistakes_are_refused_where_they_are_written() {
    let cases = [
        // An undeclared type is an unknown type, with the declared enums among the suggestions.
        (
            SETTINGS.to_string(),
            PEOPLE.replace("type: mood,", "type: moood,"),
            "tables/people.yaml:4:28: error: unknown type `moood`",
        ),
        (
            SETTINGS.to_string(),
            PEOPLE.replace("\"'ok'\"", "\"'fine'\""),
            "`default` 'fine' is not a value of enum `mood`",
        ),
        (
            SETTINGS.replace("[sad, ok, happy]", "[sad, sad]"),
            PEOPLE.into(),
            "enum value `sad` is listed twice in `mood`",
        ),
        (
            SETTINGS.replace("[sad, ok, happy]", "[]"),
            PEOPLE.replace("mood", "text"),
            "enum `mood` needs at least one value",
        ),
        (
            SETTINGS.replace("mood:", "people:"),
            PEOPLE.replace("mood", "people"),
            "enum `people` has the name of a table",
        ),
        (
            SETTINGS.to_string(),
            format!("{PEOPLE}rows:\n  - {{ feeling: grumpy }}\n"),
            "value \"grumpy\" does not fit column `feeling` of type `mood`",
        ),
        (
            SETTINGS.replace("[postgres]", "[postgres, redshift]"),
            PEOPLE.replace("bigint, identity: true", "bigint"),
            "schema.yaml:5:9: error: Redshift has no enum types (`mood`)",
        ),
        (
            SETTINGS.replace("[postgres]", "[postgres, redshift]"),
            PEOPLE.replace("bigint, identity: true", "bigint"),
            "type `integer[]` cannot be deployed to Redshift",
        ),
    ];
    for (settings, people, expected) in cases {
        let tmp = project(&settings, &people);
        let out = schema(tmp.path(), "postgres://unused", &["check"]);
        assert_eq!(out.status.code(), Some(2), "{expected}: {}", text(&out));
        assert!(text(&out).contains(expected), "{expected}: {}", text(&out));
    }
}

#[test]
fn enums_and_arrays_are_adopted_and_rebuild_the_same_schema() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA tickets;
         CREATE TYPE tickets.priority AS ENUM ('low', 'normal', 'it''s urgent');
         CREATE TYPE tickets.\"Odd Type\" AS ENUM ('x');
         CREATE TYPE tickets.date AS ENUM ('y');
         CREATE TABLE tickets.tickets (
             id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
             priority tickets.priority NOT NULL DEFAULT 'normal',
             watchers TEXT[] NOT NULL DEFAULT '{}',
             estimates NUMERIC(6,2)[],
             history tickets.priority[]);
         INSERT INTO tickets.tickets (priority, watchers) VALUES ('it''s urgent', '{ann,bob}');",
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("adopted");
    let out = schema(tmp.path(), &url, &["inspect", "--namespace", "tickets", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    // An enum type named like a built-in type cannot be written as a type: listed in `ignore:`.
    // A quoted name is a name in a PostgreSQL-only project (tests/quoted_names.rs).
    assert!(text(&out).contains("warning: date: an enum type whose name"), "{}", text(&out));
    assert!(!text(&out).contains("warning: Odd Type"), "{}", text(&out));
    let settings = std::fs::read_to_string(dir.join("schema/schema.yaml")).unwrap();
    assert!(settings.contains("enums:\n  Odd Type: [x]\n  priority: [low, normal, \"it's urgent\"]\n"), "{settings}");
    let yaml = std::fs::read_to_string(dir.join("schema/tables/tickets.yaml")).unwrap();
    for column in [
        "{ name: priority, type: priority, nullable: false, default: \"'normal'::tickets.priority\" }",
        "{ name: watchers, type: \"text[]\", nullable: false, default: \"'{}'::text[]\" }",
        "{ name: estimates, type: \"decimal(6,2)[]\" }",
        "{ name: history, type: \"priority[]\" }",
    ] {
        assert!(yaml.contains(column), "{column}: {yaml}");
    }
    let out = schema(&dir, "postgres://unused", &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, json) = diff_json(&dir, &url);
    assert_eq!(code, Some(0), "{json}");

    // The adopted project builds the same schema on an empty database.
    assert!(schema(&dir, "postgres://unused", &["generate"]).status.success());
    let fresh = common::fresh_database();
    let out = schema(&dir, &fresh, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, json) = diff_json(&dir, &fresh);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(psql(&fresh, "SELECT enum_range(NULL::tickets.priority)::text"), "{low,normal,\"it's urgent\"}");
}
