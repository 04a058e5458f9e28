//! Declarative partitioning (`partition_by:` and `partitions:`): adopted with its key and the
//! bounds of every partition, sub-partitions too; created by V1; compared as the server stores
//! it (a bound written `'2024-01-01'` is the server's `'2024-01-01 00:00:00+00'`); changed by
//! dropping, re-attaching or creating partitions; refused where the key changes. Before, the
//! rebuilt table was unpartitioned and every partition was an unmanaged object.

mod common;

use common::{psql, schema, text};

const EVENTS: &str = "CREATE SCHEMA events;
CREATE TABLE events.page_views (
    id bigint NOT NULL,
    viewed_at timestamptz NOT NULL,
    path text NOT NULL,
    country text NOT NULL
) PARTITION BY RANGE (viewed_at);
CREATE TABLE events.page_views_2024_01 PARTITION OF events.page_views FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')
    PARTITION BY LIST (lower(country));
CREATE TABLE events.page_views_2024_01_eu PARTITION OF events.page_views_2024_01 FOR VALUES IN ('de', 'fr', NULL);
CREATE TABLE events.page_views_2024_01_rest PARTITION OF events.page_views_2024_01 DEFAULT;
CREATE TABLE events.page_views_2024_02 PARTITION OF events.page_views FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE events.page_views_old PARTITION OF events.page_views FOR VALUES FROM (MINVALUE) TO ('2024-01-01');
CREATE INDEX page_views_path ON events.page_views (path);
CREATE TABLE events.sessions (id bigint NOT NULL, device text) PARTITION BY HASH (id);
CREATE TABLE events.sessions_0 PARTITION OF events.sessions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE events.sessions_1 PARTITION OF events.sessions FOR VALUES WITH (MODULUS 2, REMAINDER 1);";

/// Every partition of `events` with its bound, and every partitioned table's key.
fn partitioning(url: &str) -> String {
    psql(
        url,
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END
         FROM pg_class c WHERE c.relnamespace = 'events'::regnamespace AND c.relkind IN ('r', 'p')
           AND c.relname <> 'refinery_schema_history' ORDER BY 1",
    )
}

#[test]
fn partitioning_is_adopted_rebuilt_compared_and_changed() {
    let url = common::fresh_database();
    psql(&url, EVENTS);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("events");
    common::adopt_whole(&url, "events", &project);
    let table = std::fs::read_to_string(project.join("schema/tables/page_views.yaml")).unwrap();
    assert!(table.contains("partition_by: { range: [viewed_at] }\n"), "{table}");
    assert!(table.contains("from: [MINVALUE], to: [\"2024-01-01 00:00:00+00\"]"), "{table}");
    assert!(table.contains("    partition_by: { list: [lower(country)] }\n"), "{table}");
    assert!(table.contains("      - { name: page_views_2024_01_eu, in: [de, fr, null] }\n"), "{table}");
    let out = schema(&project, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // V1 builds the same partitions, and the rows go where they went.
    let fresh = common::rebuild(&project);
    assert_eq!(partitioning(&fresh), partitioning(&url));
    let routed = "INSERT INTO events.page_views VALUES (1, '2024-01-05', '/', 'DE'), (2, '2023-05-01', '/', 'us');
                  SELECT tableoid::regclass, id FROM events.page_views ORDER BY id";
    assert_eq!(psql(&fresh, routed), psql(&url, routed));

    // By hand: a partition detached, one with an index of its own. Both are drift, named.
    psql(
        &url,
        "ALTER TABLE events.sessions DETACH PARTITION events.sessions_1;
         CREATE INDEX sessions_0_device ON events.sessions_0 (device);",
    );
    let said = text(&schema(&project, &url, &["diff"]));
    assert!(said.contains("attribute       events.sessions (partitions)"), "{said}");
    assert!(said.contains("extra_table     events.sessions_1"), "{said}");
    assert!(said.contains("events.sessions.sessions_0 (partition indexes)"), "{said}");
    psql(
        &url,
        "DROP INDEX events.sessions_0_device;
         ALTER TABLE events.sessions ATTACH PARTITION events.sessions_1 FOR VALUES WITH (MODULUS 2, REMAINDER 1);",
    );

    // The YAML in its own spelling: a bound re-attached, one dropped, one created.
    let out = schema(&project, &url, &["baseline", "--version", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    let edited = table
        .replace("to: [\"2024-01-01 00:00:00+00\"] }", "to: ['2023-12-01'] }")
        .replace(
            "  - { name: page_views_2024_02, from: [\"2024-02-01 00:00:00+00\"], to: [\"2024-03-01 00:00:00+00\"] }\n",
            "",
        )
        .replace(
            "\npartitions:\n",
            "\npartitions:\n  - { name: page_views_dec, from: ['2023-12-01'], to: ['2024-01-01'] }\n",
        );
    assert_ne!(edited.matches("2024-02-01").count(), table.matches("2024-02-01").count(), "{edited}");
    std::fs::write(project.join("schema/tables/page_views.yaml"), &edited).unwrap();
    let out = schema(&project, "postgres://unused", &["generate", "--name", "months"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("deletes the partition and all its rows"), "{}", text(&out));
    let out = schema(&project, "postgres://unused", &["generate", "--name", "months", "--allow-destructive"]);
    assert!(out.status.success(), "{}", text(&out));
    let v2 = std::fs::read_to_string(project.join("migrations/postgres/V2__months.sql")).unwrap();
    assert!(v2.contains("DROP TABLE \"events\".\"page_views_2024_02\";"), "{v2}");
    assert!(
        v2.contains("ATTACH PARTITION \"events\".\"page_views_old\" FOR VALUES FROM (MINVALUE) TO ('2023-12-01');"),
        "{v2}"
    );
    assert!(v2.contains("CREATE TABLE \"events\".\"page_views_dec\" PARTITION OF \"events\".\"page_views\" FOR VALUES FROM ('2023-12-01') TO ('2024-01-01');"), "{v2}");
    for db in [&url, &fresh] {
        psql(db, "DELETE FROM events.page_views");
        let out = schema(&project, db, &["migrate"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = schema(&project, db, &["diff"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }

    // A new key cannot be had in place: generate says so and writes nothing.
    let sessions = std::fs::read_to_string(project.join("schema/tables/sessions.yaml")).unwrap();
    std::fs::write(project.join("schema/tables/sessions.yaml"), sessions.replace("hash: [id]", "hash: [id, device]"))
        .unwrap();
    let out = schema(&project, "postgres://unused", &["generate", "--name", "rekey"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("the partitioning of `sessions` changes (HASH (\"id\") → HASH (\"id\", \"device\"))"),
        "{}",
        text(&out)
    );
}

#[test]
fn partition_declarations_are_checked_and_redshift_refuses_them() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("schema/tables")).unwrap();
    let check = |dialects: &str, partitioning: &str| {
        let settings = format!("name: p\nnamespace: p\ndialects: [{dialects}]\n");
        std::fs::write(root.join("schema/schema.yaml"), settings).unwrap();
        let table = format!(
            "table: t\ncolumns:\n  - {{ name: id, type: bigint }}\n  - {{ name: day, type: date }}\n{partitioning}"
        );
        std::fs::write(root.join("schema/tables/t.yaml"), table).unwrap();
        schema(root, "postgres://unused", &["check"])
    };
    for (partitioning, said) in [
        ("partition_by: { range: [day], list: [id] }\n", "takes one of `range`, `list` and `hash`"),
        ("partition_by: { list: [id, day] }\n", "a LIST partition key takes one column or expression"),
        ("partition_by: { range: [\"day); DROP TABLE p.t; --\"] }\n", "t.yaml:"),
        ("partition_by: { range: [nope] }\n", "`nope`, which is not a column of table `t`"),
        ("partitions: [{ name: a, default: true }]\n", "`partitions` needs `partition_by`"),
        ("partition_by: { hash: [id] }\npartitions: [{ name: a, default: true }]\n", "has no default partition"),
        (
            "partition_by: { hash: [id] }\npartitions: [{ name: a, modulus: 2, remainder: 2 }]\n",
            "`remainder` is below `modulus`",
        ),
        ("partition_by: { range: [day] }\npartitions: [{ name: a, in: [1] }]\n", "takes `from` and `to` (found: in)"),
        (
            "partition_by: { range: [day] }\npartitions: [{ name: a, from: [1, 2], to: [3] }]\n",
            "one value per part of the partition key (1)",
        ),
        ("partition_by: { range: [day] }\npartitions: [{ name: a, from: [null], to: [3] }]\n", "a range holds no NULL"),
        (
            "partition_by: { list: [id] }\npartitions: [{ name: a, in: [1] }, { name: a, in: [2] }]\n",
            "partition `a` is declared twice",
        ),
        (
            "partition_by: { list: [id] }\npartitions: [{ name: t, in: [1] }]\n",
            "partition `t` has the name of its table",
        ),
        ("partition_by: { list: [id] }\npartitions: [{ name: a, in: [1], when: x }]\n", "unknown field `when`"),
        (
            "partition_by: { range: [day] }\nprimary_key: [id]\n",
            "must hold every column of its partition key (RANGE (\"day\"))",
        ),
        ("partition_by: { range: [\"day + 1\"] }\nunique: [[id, day]]\n", "which must be columns"),
        ("partition_by: { range: [day] }\nunlogged: true\n", "a partitioned table cannot be UNLOGGED"),
        ("partition_by: { range: [day] }\nwith: { fillfactor: 50 }\n", "takes no storage parameters"),
    ] {
        let out = check("postgres", partitioning);
        assert_eq!(out.status.code(), Some(2), "{partitioning}: {}", text(&out));
        assert!(text(&out).contains(said), "{partitioning}: {}", text(&out));
    }
    // A quote in a value is a value: it is written as a literal.
    let out = check(
        "postgres",
        "partition_by: { list: [day] }\npartitions: [{ name: a, in: [\"1'); DROP TABLE p.t; --\"] }]\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(root, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let v1 = std::fs::read_to_string(root.join("migrations/postgres/V1__initial.sql")).unwrap();
    assert!(v1.contains("FOR VALUES IN ('1''); DROP TABLE p.t; --');"), "{v1}");
    // Partitions share their namespace with every table of it.
    std::fs::write(root.join("schema/tables/u.yaml"), "table: u\ncolumns:\n  - { name: id, type: bigint }\npartition_by: { list: [id] }\npartitions: [{ name: a, in: [1] }]\n").unwrap();
    let out = check("postgres", "partition_by: { list: [id] }\npartitions: [{ name: a, in: [2] }]\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("partition `a` is already declared in"), "{}", text(&out));
    std::fs::remove_file(root.join("schema/tables/u.yaml")).unwrap();
    let out = check("postgres, redshift", "partition_by: { range: [day] }\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Redshift has no declarative partitioning (`partition_by`)"), "{}", text(&out));
}

#[test]
fn a_partitioned_table_moved_to_another_namespace_takes_its_partitions_and_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
    let settings = "name: p\nnamespace: a\nnamespaces: [b]\ndialects: [postgres]\n";
    std::fs::write(dir.join("schema/schema.yaml"), settings).unwrap();
    let table = |key: &str| {
        format!(
            "table: {key}\ncolumns:\n  - {{ name: id, type: integer, nullable: false }}\npartition_by: {{ range: [id] }}\npartitions:\n  - {{ name: low, from: [0], to: [10] }}\n  - {{ name: high, from: [10], to: [20] }}\n"
        )
    };
    std::fs::write(dir.join("schema/tables/events.yaml"), table("events")).unwrap();
    let out = schema(dir, "postgres://unused", &["generate", "--name", "start"]);
    assert!(out.status.success(), "{}", text(&out));
    let url = common::fresh_database();
    assert!(schema(dir, &url, &["migrate"]).status.success());
    psql(&url, "INSERT INTO a.events VALUES (1), (15)");

    std::fs::write(dir.join("schema/tables/events.yaml"), table("b.events")).unwrap();
    let out = schema(dir, "postgres://unused", &["generate", "--name", "moved"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows = "SELECT string_agg(tableoid::regclass || ' ' || id, ', ' ORDER BY id) FROM b.events";
    assert_eq!(psql(&url, rows), "b.low 1, b.high 15");
    let out = schema(dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
