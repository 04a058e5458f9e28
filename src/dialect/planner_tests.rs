//! Table-driven planner tests: one YAML table before and after an edit, and the statements each
//! dialect must produce, with whether they may run in a transaction. One case per lowering
//! rule; no files, no database, no CLI.

use crate::load::load_texts;
use crate::model::{Dialect, Project};
use crate::plan::plan;
use std::path::PathBuf;

const PG: Dialect = Dialect::Postgres;
const RS: Dialect = Dialect::Redshift;

/// A project of `tables` (YAML table files, each after `table: <name>\n`), both dialects.
fn project(tables: &[&str], views: &[&str]) -> Project {
    let dir = PathBuf::from("/p");
    let mut files =
        vec![(dir.join("schema.yaml"), Ok("name: p\nnamespace: ns\ndialects: [postgres, redshift]\n".into()))];
    for (i, t) in tables.iter().enumerate() {
        files.push((dir.join(format!("tables/t{i}.yaml")), Ok(t.to_string())));
    }
    for (i, v) in views.iter().enumerate() {
        files.push((dir.join(format!("views/v{i}.yaml")), Ok(v.to_string())));
    }
    load_texts(&dir, files)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")))
}

/// Each step's SQL (trimmed) and transactional flag.
fn statements(dialect: Dialect, from: &Project, to: &Project) -> Vec<(String, bool)> {
    let plan = plan(dialect, from, to).unwrap_or_else(|e| panic!("{e}"));
    plan.steps.iter().map(|s| (s.sql.trim().to_string(), s.transactional)).collect()
}

struct Case {
    name: &'static str,
    dialect: Dialect,
    from: &'static str,
    to: &'static str,
    /// Exact statements, or with a trailing `…` a prefix of the statement.
    expect: &'static [(&'static str, bool)],
}

const T: &str = "table: t\nsort_key: { kind: compound, columns: [d] }\ndistribution: { style: key, key: k }\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: k, type: varchar(16) }\n  - { name: d, type: date }\n";

fn with(extra: &str) -> String {
    format!("{T}{extra}")
}

#[test]
fn every_lowering_rule() {
    let cases = [
        Case {
            name: "pg add column",
            dialect: PG,
            from: "",
            to: "  - { name: v, type: varchar(10) }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ADD COLUMN \"v\" VARCHAR(10);", true)],
        },
        Case {
            name: "rs add column",
            dialect: RS,
            from: "",
            to: "  - { name: v, type: varchar(10) }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ADD COLUMN \"v\" VARCHAR(10);", true)],
        },
        Case {
            name: "pg derived column is backfilled",
            dialect: PG,
            from: "",
            to: "  - { name: dd, type: date, derived: DATE(d) }\n",
            expect: &[
                ("ALTER TABLE \"ns\".\"t\" ADD COLUMN \"dd\" DATE;", true),
                ("UPDATE \"ns\".\"t\" SET \"dd\" = DATE(d) WHERE \"dd\" IS NULL;", true),
            ],
        },
        Case {
            name: "pg widen varchar",
            dialect: PG,
            from: "  - { name: v, type: varchar(10) }\n",
            to: "  - { name: v, type: varchar(20) }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" TYPE VARCHAR(20);", true)],
        },
        Case {
            name: "pg narrowing fails instead of cutting values",
            dialect: PG,
            from: "  - { name: v, type: varchar(300) }\n",
            to: "  - { name: v, type: varchar(256) }\n",
            expect: &[
                ("SELECT CAST(CASE WHEN MAX(char_length(\"v\")) > 256 THEN 'cannot narrow ns.t.v to 256 characters: a value is longer' END AS INTEGER) FROM \"ns\".\"t\";", true),
                ("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" TYPE VARCHAR(256);", true),
            ],
        },
        Case {
            name: "pg other types convert with USING",
            dialect: PG,
            from: "  - { name: v, type: varchar(10) }\n",
            to: "  - { name: v, type: integer }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" TYPE INTEGER USING \"v\"::INTEGER;", true)],
        },
        Case {
            name: "rs widen varchar in place, outside a transaction",
            dialect: RS,
            from: "  - { name: v, type: varchar(10) }\n",
            to: "  - { name: v, type: varchar(20) }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" TYPE VARCHAR(20);", false)],
        },
        Case {
            name: "pg set not null",
            dialect: PG,
            from: "  - { name: v, type: integer }\n",
            to: "  - { name: v, type: integer, nullable: false }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" SET NOT NULL;", true)],
        },
        Case {
            name: "pg default",
            dialect: PG,
            from: "  - { name: v, type: integer }\n",
            to: "  - { name: v, type: integer, default: '0' }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" SET DEFAULT 0;", true)],
        },
        Case {
            name: "rs default change rebuilds the column",
            dialect: RS,
            from: "  - { name: v, type: integer }\n",
            to: "  - { name: v, type: integer, default: '0' }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ADD COLUMN \"v__new\" INTEGER DEFAULT 0;…", true)],
        },
        Case {
            name: "rs integer to bigint rebuilds the column",
            dialect: RS,
            from: "  - { name: v, type: integer }\n",
            to: "  - { name: v, type: bigint }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ADD COLUMN \"v__new\" BIGINT;…", true)],
        },
        Case {
            name: "pg rename",
            dialect: PG,
            from: "  - { name: v, type: integer }\n",
            to: "  - { name: w, type: integer, renamed_from: v }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" RENAME COLUMN \"v\" TO \"w\";", true)],
        },
        Case {
            name: "pg drop column",
            dialect: PG,
            from: "  - { name: v, type: integer }\n",
            to: "",
            expect: &[("ALTER TABLE \"ns\".\"t\" DROP COLUMN \"v\";", true)],
        },
        Case {
            name: "pg unique key",
            dialect: PG,
            from: "  - { name: v, type: integer }\n",
            to: "  - { name: v, type: integer, unique: true }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ADD CONSTRAINT \"t_v_key\" UNIQUE (\"v\");", true)],
        },
        Case {
            name: "pg comment",
            dialect: PG,
            from: "  - { name: v, type: integer }\n",
            to: "  - { name: v, type: integer, description: it's }\n",
            expect: &[("COMMENT ON COLUMN \"ns\".\"t\".\"v\" IS 'it''s';", true)],
        },
        Case {
            name: "rs encoding",
            dialect: RS,
            from: "  - { name: v, type: integer, encode: az64 }\n",
            to: "  - { name: v, type: integer, encode: zstd }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" ENCODE zstd;", true)],
        },
        Case {
            name: "rs back to encode auto",
            dialect: RS,
            from: "  - { name: v, type: integer, encode: az64 }\n",
            to: "  - { name: v, type: integer }\n",
            expect: &[("ALTER TABLE \"ns\".\"t\" ALTER ENCODE AUTO;", true)],
        },
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let got = statements(c.dialect, &project(&[&with(c.from)], &[]), &project(&[&with(c.to)], &[]));
        let matches = got.len() == c.expect.len()
            && got.iter().zip(c.expect).all(|((sql, tx), (want, want_tx))| {
                tx == want_tx
                    && match want.strip_suffix('…') {
                        Some(prefix) => sql.starts_with(prefix),
                        None => sql == want,
                    }
            });
        if !matches {
            failures.push(format!("{}:\n  expected {:?}\n  got      {got:?}", c.name, c.expect));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The templates each Redshift column change is lowered to.
fn redshift_ops(from: &str, to: &str) -> Vec<&'static str> {
    let plan = plan(RS, &project(&[from], &[]), &project(&[to], &[])).unwrap_or_else(|e| panic!("{e}"));
    plan.steps.iter().map(|s| s.op.template()).collect()
}

#[test]
fn redshift_chooses_in_place_rebuild_or_deep_copy() {
    // Widening a key column (distribution or sort key, primary key) is not allowed in place.
    let key = "table: t\ndistribution: { style: key, key: v }\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: varchar(10) }\n";
    assert_eq!(redshift_ops(key, &key.replace("varchar(10)", "varchar(20)")), ["deep_copy"]);
    let sort = "table: t\nsort_key: { columns: [v] }\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: varchar(10) }\n";
    assert_eq!(redshift_ops(sort, &sort.replace("varchar(10)", "varchar(20)")), ["deep_copy"]);
    let plain = "table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: varchar(10) }\n";
    assert_eq!(redshift_ops(plain, &plain.replace("varchar(10)", "varchar(20)")), ["alter_column"]);
    // Encodings on which ALTER COLUMN TYPE is refused: every one of them.
    for enc in ["bytedict", "runlength", "text255", "text32k"] {
        let from = plain.replace("varchar(10) }", &format!("varchar(10), encode: {enc} }}"));
        assert_eq!(redshift_ops(&from, &from.replace("varchar(10)", "varchar(20)")), ["rebuild_column"], "{enc}");
    }
    let lzo = plain.replace("varchar(10) }", "varchar(10), encode: lzo }");
    assert_eq!(redshift_ops(&lzo, &lzo.replace("varchar(10)", "varchar(20)")), ["alter_column"]);
    // A defaulted column is rebuilt; NOT NULL without a default cannot be added: deep copy.
    let defaulted = plain.replace("varchar(10) }", "varchar(10), default: \"'x'\" }");
    assert_eq!(redshift_ops(&defaulted, &defaulted.replace("varchar(10)", "varchar(20)")), ["rebuild_column"]);
    let required = plain.replace("varchar(10) }", "varchar(10), nullable: false }");
    assert_eq!(redshift_ops(&required, &required.replace("varchar(10)", "integer")), ["deep_copy"]);
    // Distribution, sort key, BACKUP.
    assert_eq!(
        redshift_ops(plain, &plain.replace("columns:", "distribution: { style: even }\ncolumns:")),
        ["alter_distribution"]
    );
    assert_eq!(
        redshift_ops(plain, &plain.replace("columns:", "sort_key: { columns: [v] }\ncolumns:")),
        ["alter_sort_key"]
    );
    let interleaved = plain.replace("columns:", "sort_key: { kind: interleaved, columns: [v] }\ncolumns:");
    assert_eq!(redshift_ops(plain, &interleaved), ["deep_copy"]);
    assert_eq!(redshift_ops(plain, &plain.replace("columns:", "backup: false\ncolumns:")), ["deep_copy"]);
    // Dropping a sort-key column: deep copy.
    assert_eq!(redshift_ops(sort, "table: t\ncolumns:\n  - { name: id, type: bigint }\n"), ["deep_copy"]);
}

#[test]
fn views_are_recreated_only_where_the_dialect_needs_it() {
    let t = "table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: integer }\n";
    let mv = "materialized_view: m\nsql: SELECT id FROM {{ ref('t') }}\n";
    let ops = |d, from: &Project, to: &Project| -> Vec<&'static str> {
        plan(d, from, to).unwrap().steps.iter().map(|s| s.op.template()).collect()
    };
    let before = project(&[t], &[mv]);
    // A Redshift-only option: PostgreSQL does nothing, Redshift recreates the view.
    let backup = project(&[t], &[&mv.replace("sql:", "backup: false\nsql:")]);
    assert!(ops(PG, &before, &backup).is_empty());
    assert_eq!(ops(RS, &before, &backup), ["drop_view", "create_view"]);
    // An index: PostgreSQL only.
    let indexed = project(&[t], &[&mv.replace("sql:", "indexes: [{ name: m_id, columns: [id] }]\nsql:")]);
    assert_eq!(ops(PG, &before, &indexed), ["drop_view", "create_view"]);
    assert!(ops(RS, &before, &indexed).is_empty());
    // A column rebuilt on Redshift (integer → bigint) breaks the view there; PostgreSQL alters
    // the type, which it refuses under a view: recreated on both.
    let wider = project(&[&t.replace("integer", "bigint")], &[mv]);
    assert_eq!(ops(PG, &before, &wider), ["drop_view", "alter_column", "create_view"]);
    assert_eq!(ops(RS, &before, &wider), ["drop_view", "rebuild_column", "create_view"]);
    // A comment only: altered in place.
    let described = project(&[t], &[&mv.replace("sql:", "description: d\nsql:")]);
    assert_eq!(ops(PG, &before, &described), ["comment"]);
}
