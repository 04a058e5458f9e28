//! Table-driven planner tests: one YAML table before and after an edit, and the statements each
//! dialect must produce, with whether they may run in a transaction. One case per lowering
//! rule; no files, no database, no CLI.

use crate::load::load_texts;
use crate::model::{Dialect, Project};
use crate::plan::plan;
use std::path::PathBuf;

pub(super) const PG: Dialect = Dialect::Postgres;
pub(super) const RS: Dialect = Dialect::Redshift;

/// A project of `tables` (YAML table files, each after `table: <name>\n`), both dialects.
pub(super) fn project(tables: &[&str], views: &[&str]) -> Project {
    project_with("", tables, views)
}

/// The same with more settings in `schema.yaml` (`settings`, e.g. default grants).
pub(super) fn project_with(settings: &str, tables: &[&str], views: &[&str]) -> Project {
    let dir = PathBuf::from("/p");
    let head = "name: p\nnamespace: ns\ndialects: [postgres, redshift]\n";
    let mut files = vec![(dir.join("schema.yaml"), Ok(format!("{head}{settings}")))];
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
pub(super) fn statements(dialect: Dialect, from: &Project, to: &Project) -> Vec<(String, bool)> {
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

pub(super) const T: &str = "table: t\nsort_key: { kind: compound, columns: [d] }\ndistribution: { style: key, key: k }\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: k, type: varchar(16) }\n  - { name: d, type: date }\n";

pub(super) fn with(extra: &str) -> String {
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
                ("SELECT CAST(CASE WHEN MAX(char_length(\"v\")) > 256 THEN 'cannot change ns.t.v from varchar(300) to varchar(256): a value is longer than 256 characters' END AS INTEGER) FROM \"ns\".\"t\";", true),
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
            name: "rs widen varchar in place, outside a transaction, after checking what ENCODE AUTO chose",
            dialect: RS,
            from: "  - { name: v, type: varchar(10) }\n",
            to: "  - { name: v, type: varchar(20) }\n",
            expect: &[
                ("SELECT CAST(CASE\n    WHEN COUNT(*) = 0 THEN 'cannot read the encoding of ns.t.v…", true),
                ("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" TYPE VARCHAR(20);", false),
            ],
        },
        Case {
            name: "rs narrow varchar in place once every value fits",
            dialect: RS,
            from: "  - { name: v, type: varchar(300), encode: zstd }\n",
            to: "  - { name: v, type: varchar(256), encode: zstd }\n",
            expect: &[
                ("SELECT CAST(CASE WHEN MAX(OCTET_LENGTH(\"v\")) > 256 THEN 'cannot change ns.t.v from varchar(300) to varchar(256): a value is longer than 256 bytes' END AS INTEGER) FROM \"ns\".\"t\";", true),
                ("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" TYPE VARCHAR(256);", false),
            ],
        },
        Case {
            name: "pg decimal scale: a stored value would be rounded",
            dialect: PG,
            from: "  - { name: v, type: \"decimal(5,4)\" }\n",
            to: "  - { name: v, type: \"decimal(5,2)\" }\n",
            expect: &[
                ("SELECT CAST(CASE WHEN COUNT(CASE WHEN \"v\" IS NULL THEN NULL WHEN CAST(CAST(\"v\" AS NUMERIC(5,2)) AS NUMERIC(5,4)) <> \"v\" THEN 1 END) > 0 THEN 'cannot change ns.t.v from decimal(5,4) to decimal(5,2): a stored value would change' END AS INTEGER) FROM \"ns\".\"t\";", true),
                ("ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"v\" TYPE NUMERIC(5,2) USING \"v\"::NUMERIC(5,2);", true),
            ],
        },
        Case {
            name: "rs narrower integer: range first, then the rebuild of the last column",
            dialect: RS,
            from: "  - { name: v, type: bigint }\n",
            to: "  - { name: v, type: integer }\n",
            expect: &[
                ("SELECT CAST(CASE WHEN COUNT(CASE WHEN \"v\" IS NULL THEN NULL WHEN \"v\" < -2147483648 OR \"v\" > 2147483647 THEN 1 WHEN CAST(CAST(\"v\" AS INTEGER) AS BIGINT) <> \"v\" THEN 1 END) > 0 THEN 'cannot change ns.t.v from bigint to integer: a stored value would change' END AS INTEGER) FROM \"ns\".\"t\";", true),
                ("ALTER TABLE \"ns\".\"t\" ADD COLUMN \"v__new\" INTEGER;…", true),
            ],
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
    // On ENCODE AUTO, what AUTO chose is checked when the migration runs.
    assert_eq!(redshift_ops(plain, &plain.replace("varchar(10)", "varchar(20)")), ["check_encoding", "alter_column"]);
    // Encodings on which ALTER COLUMN TYPE is refused: every one of them.
    for enc in ["bytedict", "runlength", "text255", "text32k"] {
        let from = plain.replace("varchar(10) }", &format!("varchar(10), encode: {enc} }}"));
        assert_eq!(redshift_ops(&from, &from.replace("varchar(10)", "varchar(20)")), ["rebuild_column"], "{enc}");
    }
    let lzo = plain.replace("varchar(10) }", "varchar(10), encode: lzo }");
    assert_eq!(redshift_ops(&lzo, &lzo.replace("varchar(10)", "varchar(20)")), ["alter_column"]);
    // A defaulted column is rebuilt (it is the last one); NOT NULL without a default cannot be
    // added: deep copy. A rebuild would move a column that is not the last: deep copy.
    let defaulted = plain.replace("varchar(10) }", "varchar(10), default: \"'x'\" }");
    assert_eq!(redshift_ops(&defaulted, &defaulted.replace("varchar(10)", "varchar(20)")), ["rebuild_column"]);
    let first = "table: t\ncolumns:\n  - { name: v, type: integer }\n  - { name: id, type: bigint }\n";
    assert_eq!(redshift_ops(first, &first.replace("type: integer", "type: bigint")), ["deep_copy"]);
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
    // A Redshift-only option: PostgreSQL does nothing, Redshift recreates the view, keeping its
    // owner and privileges.
    let backup = project(&[t], &[&mv.replace("sql:", "backup: false\nsql:")]);
    assert!(ops(PG, &before, &backup).is_empty());
    assert_eq!(ops(RS, &before, &backup), ["save_privileges", "drop_view", "create_view", "restore_privileges"]);
    // An index: PostgreSQL only.
    let indexed = project(&[t], &[&mv.replace("sql:", "indexes: [{ name: m_id, columns: [id] }]\nsql:")]);
    assert_eq!(ops(PG, &before, &indexed), ["drop_view", "create_view"]);
    assert!(ops(RS, &before, &indexed).is_empty());
    // A column rebuilt on Redshift (integer → bigint) breaks the view there; PostgreSQL alters
    // the type in place, since the view does not read it, and recreates a view that does.
    let wider = project(&[&t.replace("integer", "bigint")], &[mv]);
    assert_eq!(ops(PG, &before, &wider), ["alter_column"]);
    let reads_v = mv.replace("SELECT id", "SELECT id, v");
    let (before_v, wider_v) = (project(&[t], &[&reads_v]), project(&[&t.replace("integer", "bigint")], &[&reads_v]));
    assert_eq!(ops(PG, &before_v, &wider_v), ["drop_view", "alter_column", "create_view"]);
    assert_eq!(
        ops(RS, &before, &wider),
        ["save_privileges", "drop_view", "rebuild_column", "create_view", "restore_privileges"]
    );
    // A comment only: altered in place.
    let described = project(&[t], &[&mv.replace("sql:", "description: d\nsql:")]);
    assert_eq!(ops(PG, &before, &described), ["comment"]);
}

/// Each step of a plan: its template and SQL.
fn steps(d: Dialect, from: &Project, to: &Project) -> Vec<(&'static str, String)> {
    plan(d, from, to).unwrap_or_else(|e| panic!("{e}")).steps.iter().map(|s| (s.op.template(), s.sql.clone())).collect()
}

const GRANTED: &str = "table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: integer }\ngrants:\n  - { to: group analysts, privileges: [select] }\n  - { to: role etl, privileges: [select, insert] }\n";
const MV: &str = "materialized_view: m\ngrants: [{ to: user bi_reader, privileges: [select] }]\nsql: SELECT id FROM {{ ref('t') }}\n";

/// The GRANT lines each dialect renders for GRANTED's table.
fn table_grants(d: Dialect) -> &'static str {
    match d {
        PG => "GRANT SELECT ON \"ns\".\"t\" TO \"analysts\";\nGRANT SELECT, INSERT ON \"ns\".\"t\" TO \"etl\";\n",
        RS => "GRANT SELECT ON \"ns\".\"t\" TO GROUP \"analysts\";\nGRANT SELECT, INSERT ON \"ns\".\"t\" TO ROLE \"etl\";\n",
    }
}

#[test]
fn created_tables_and_views_get_their_grants() {
    let empty = project(&[], &[]);
    let granted = project(&[GRANTED], &[MV]);
    for d in [PG, RS] {
        let got = steps(d, &empty, &granted);
        let table = &got.iter().find(|(t, _)| *t == "create_table").unwrap().1;
        assert!(table.ends_with(table_grants(d)), "{d}: {table}");
        let view = &got.iter().find(|(t, _)| *t == "create_view").unwrap().1;
        // A user is a role on PostgreSQL and a user on Redshift: `TO name` on both.
        assert!(view.ends_with("GRANT SELECT ON \"ns\".\"m\" TO \"bi_reader\";\n"), "{d}: {view}");
    }
    // Without grants, nothing is granted.
    let plain = project(&["table: t\ncolumns:\n  - { name: id, type: bigint }\n"], &[]);
    assert!(!steps(PG, &empty, &plain)[1].1.contains("GRANT"));
}

#[test]
fn a_grant_change_revokes_what_goes_and_grants_what_comes() {
    let before = project(&[GRANTED], &[]);
    let after = project(
        &[&GRANTED.replace("privileges: [select, insert]", "privileges: [select]").replace(
            "  - { to: group analysts, privileges: [select] }\n",
            "  - { to: group analysts, privileges: [select] }\n  - { to: public, privileges: [references] }\n",
        )],
        &[],
    );
    let rs = steps(RS, &before, &after);
    assert_eq!(
        rs,
        [
            (
                "grants",
                "REVOKE INSERT ON \"ns\".\"t\" FROM ROLE \"etl\";\nGRANT REFERENCES ON \"ns\".\"t\" TO PUBLIC;\n"
                    .to_string()
            ),
            // PUBLIC gets its first object in the namespace: USAGE comes with it.
            ("grant_usage", "GRANT USAGE ON SCHEMA \"ns\" TO PUBLIC;\n".to_string())
        ]
    );
    let pg = steps(PG, &before, &after);
    assert_eq!(pg[0].1, "REVOKE INSERT ON \"ns\".\"t\" FROM \"etl\";\nGRANT REFERENCES ON \"ns\".\"t\" TO PUBLIC;\n");
    // A view's grants change in place, without a recreate.
    let view = |grants: &str| project(&[GRANTED], &[&MV.replace("user bi_reader", grants)]);
    let changed = steps(PG, &view("user bi_reader"), &view("group analysts"));
    assert_eq!(changed.iter().map(|(t, _)| *t).collect::<Vec<_>>(), ["grants"]);
    // Grants the YAML stops declaring are left alone: not managed any more.
    let unmanaged = project(&[&GRANTED[..GRANTED.find("grants:").unwrap()]], &[]);
    assert!(steps(RS, &before, &unmanaged).is_empty());
    // `grants: []` manages them: every grant goes.
    let none = project(&[&format!("{}grants: []\n", &GRANTED[..GRANTED.find("grants:").unwrap()])], &[]);
    assert_eq!(steps(PG, &before, &none)[0].1.matches("REVOKE").count(), 2);
}

#[test]
fn recreated_objects_are_granted_again() {
    // A Redshift deep copy (BACKUP has no ALTER) is a new table: it is granted again.
    let before = project(&[GRANTED], &[]);
    let copied = project(&[&GRANTED.replace("columns:", "backup: false\ncolumns:")], &[]);
    let got = steps(RS, &before, &copied);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "deep_copy");
    assert!(got[0].1.ends_with(table_grants(RS)), "{}", got[0].1);
    // A materialized view dropped and created again (its body changed) is granted again.
    let before = project(&[GRANTED], &[MV]);
    let after = project(&[GRANTED], &[&MV.replace("SELECT id", "SELECT id, v")]);
    // On Redshift the view also gets back the owner and privileges it had (PostgreSQL: see
    // docs/redshift.md).
    for (d, templates) in [
        (PG, &["drop_view", "create_view"][..]),
        (RS, &["save_privileges", "drop_view", "create_view", "restore_privileges"][..]),
    ] {
        let got = steps(d, &before, &after);
        assert_eq!(got.iter().map(|(t, _)| *t).collect::<Vec<_>>(), templates, "{d}");
        let create = &got.iter().find(|(t, _)| *t == "create_view").unwrap().1;
        assert!(create.ends_with("GRANT SELECT ON \"ns\".\"m\" TO \"bi_reader\";\n"), "{d}: {create}");
    }
}

#[test]
fn the_project_default_applies_to_every_object_and_views_take_its_select() {
    let default = "grants:\n  - { to: role etl, privileges: [select, insert] }\n";
    let p = project_with(default, &["table: t\ncolumns:\n  - { name: id, type: bigint }\n"], &[MV]);
    let text = |grants: &Option<Vec<crate::model::Grant>>| -> Vec<String> {
        grants.iter().flatten().map(|g| g.to_string()).collect()
    };
    assert_eq!(text(&p.tables[0].grants), ["SELECT, INSERT to role etl"]);
    assert_eq!(text(&p.views[0].grants), ["SELECT to user bi_reader", "SELECT to role etl"]);
}

/// The hazards of each Redshift step, as `comment: text`.
fn redshift_hazards(from: &str, to: &str) -> Vec<String> {
    let plan = plan(RS, &project(&[from], &[]), &project(&[to], &[])).unwrap_or_else(|e| panic!("{e}"));
    plan.steps.iter().flat_map(|s| s.hazards.iter().map(move |h| format!("{}: {}", s.comment, h.text))).collect()
}

#[test]
fn redshift_rules_from_the_aws_documentation() {
    let plain = "table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: varchar(10) }\n";
    // "Performing a deep copy": the source is locked before it is read.
    let copy =
        plan(RS, &project(&[plain], &[]), &project(&[&plain.replace("columns:", "backup: false\ncolumns:")], &[]))
            .unwrap();
    let sql = copy.sql();
    assert!(sql.find("LOCK \"ns\".\"t\";").unwrap() < sql.find("FROM \"ns\".\"t\";").unwrap(), "{sql}");
    // "ALTER TABLE": ADD COLUMN adds at the end. A column declared last is added; one declared
    // before others needs a copy in the declared order, and the hazard says why.
    assert_eq!(redshift_ops(plain, &format!("{plain}  - {{ name: a, type: integer }}\n")), ["add_column"]);
    let first = plain.replace("columns:\n", "columns:\n  - { name: a, type: integer }\n");
    assert_eq!(redshift_ops(plain, &first), ["deep_copy"]);
    let said = redshift_hazards(plain, &first);
    assert!(
        said.iter().any(|h| h.contains("column a is declared before column id, and ADD COLUMN adds it at the end")),
        "{said:?}"
    );
    // "Compression encodings": a table on ENCODE AUTO that gets an explicit encoding leaves AUTO,
    // which ALTER cannot do without knowing what AUTO chose: a deep copy.
    let encoded = plain.replace("columns:\n", "columns:\n  - { name: a, type: integer, encode: az64 }\n");
    assert_eq!(redshift_ops(plain, &encoded), ["deep_copy"]);
    // Re-setting the encoding a column already has is an error: a table off AUTO gives an
    // integer AZ64, so declaring az64 alters nothing; zstd does.
    let off = plain.replace("varchar(10) }", "varchar(10), encode: lzo }");
    assert!(redshift_ops(&off, &off.replace("type: bigint }", "type: bigint, encode: az64 }")).is_empty());
    assert_eq!(redshift_ops(&off, &off.replace("type: bigint }", "type: bigint, encode: zstd }")), ["alter_encoding"]);
    // "ALTER TABLE": an interleaved sort key goes to compound or none by ALTER, to AUTO by copy.
    let interleaved = plain.replace("columns:", "sort_key: { kind: interleaved, columns: [v] }\ncolumns:");
    assert_eq!(
        redshift_ops(&interleaved, &plain.replace("columns:", "sort_key: { columns: [v] }\ncolumns:")),
        ["alter_sort_key"]
    );
    assert_eq!(
        redshift_ops(&interleaved, &plain.replace("columns:", "sort_key: { kind: none }\ncolumns:")),
        ["alter_sort_key"]
    );
    assert_eq!(redshift_ops(&interleaved, plain), ["deep_copy"], "SORTKEY AUTO from interleaved");
    // "CREATE MATERIALIZED VIEW": Redshift fills a view when it creates it.
    let p = project(&[plain], &["materialized_view: m\nsql: SELECT id FROM {{ ref('t') }}\n"]);
    let created = plan(RS, &p.emptied(), &p).unwrap();
    let hazards: Vec<&str> = created.steps.iter().flat_map(|s| s.hazards.iter().map(|h| h.text.as_str())).collect();
    assert!(hazards.iter().any(|h| h.contains("fills the materialized view at CREATE")), "{hazards:?}");
    assert!(!hazards.iter().any(|h| h.contains("schema refresh")), "{hazards:?}");
    // A deep copy that drops a column says so: the data goes on Redshift too.
    let dropped =
        plain.replace("  - { name: v, type: varchar(10) }\n", "").replace("columns:", "backup: false\ncolumns:");
    let said = redshift_hazards(plain, &dropped);
    assert!(said.iter().any(|h| h.ends_with("the copy drops column t.v and its data")), "{said:?}");
}

#[test]
fn what_no_migration_expresses_is_refused() {
    let from = project(&[&with("")], &[]);
    let moved = Project { namespace: "elsewhere".into(), ..from.clone() };
    let err = plan(PG, &from, &moved).unwrap_err().to_string();
    assert!(err.contains("namespace changed from `ns` to `elsewhere`"), "{err}");
    // From nothing, the namespace is just the one created.
    assert!(plan(PG, &from.emptied(), &moved).is_ok());

    let view = "materialized_view: mv\nsql: SELECT d FROM {{ ref('t') }}\n";
    let named = |name: &str, views: &[&str]| project_with(&format!("refresh_procedure: {name}\n"), &[&with("")], views);
    let err = plan(PG, &named("refresh_a", &[]), &named("refresh_b", &[])).unwrap_err().to_string();
    assert!(err.contains("refresh procedure `refresh_a` was renamed"), "{err}");
    // The same procedure over other views is created again.
    let sql = plan(PG, &named("refresh_a", &[]), &named("refresh_a", &[view])).unwrap().sql();
    assert!(sql.contains("PROCEDURE \"ns\".\"refresh_a\""), "{sql}");
}
