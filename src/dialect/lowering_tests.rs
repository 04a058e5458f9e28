//! The parts of the lowering both dialects share (`lower.rs`): keys, indexes, reference rows,
//! what no table change can express, and the refresh procedure's order.

use super::planner_tests::{project, project_with, statements, with, PG, RS};
use crate::model::Dialect;
use crate::plan::plan;

fn sql(dialect: Dialect, from: &str, to: &str) -> Vec<String> {
    let (from, to) = (project(&[&with(from)], &[]), project(&[&with(to)], &[]));
    statements(dialect, &from, &to).into_iter().map(|(sql, _)| sql).collect()
}

#[test]
fn keys_indexes_and_rows() {
    let unique = "  - { name: v, type: integer, unique: true }\n";
    let plain = "  - { name: v, type: integer }\n";
    assert_eq!(sql(PG, unique, plain), ["ALTER TABLE \"ns\".\"t\" DROP CONSTRAINT \"t_v_key\";"]);

    let index = |columns: &str| format!("indexes:\n  - {{ name: t_i, columns: [{columns}] }}\n");
    assert_eq!(sql(PG, "", &index("d")), ["CREATE INDEX \"t_i\" ON \"ns\".\"t\" (\"d\");"]);
    assert_eq!(sql(PG, &index("d"), ""), ["DROP INDEX \"ns\".\"t_i\";"]);
    assert_eq!(
        sql(PG, &index("d"), &index("k, d")),
        ["DROP INDEX \"ns\".\"t_i\";", "CREATE INDEX \"t_i\" ON \"ns\".\"t\" (\"k\", \"d\");"]
    );

    let rows = |r: &str| format!("rows:\n{r}");
    let (one, two) = ("  - { id: 1, k: a }\n", "  - { id: 2, k: b }\n");
    let added = sql(PG, &rows(one), &rows(&format!("{one}{two}")));
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].starts_with("INSERT INTO \"ns\".\"t\" (\"id\", \"k\")"), "{added:?}");
    assert!(added[0].contains("(2, 'b')") && !added[0].contains("(1, 'a')"), "{added:?}");
    let deleted = sql(RS, &rows(&format!("{one}{two}")), &rows(one));
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert!(deleted[0].starts_with("DELETE FROM \"ns\".\"t\" WHERE"), "{deleted:?}");
    assert!(deleted[0].contains("'b'") && !deleted[0].contains("'a'"), "{deleted:?}");
}

#[test]
fn what_no_table_change_expresses_is_refused() {
    let cases = [
        (
            "  - { name: n, type: bigint }\n",
            "  - { name: n, type: bigint, identity: true }\n",
            "identity of `t.n` changed",
        ),
        ("", "  - { name: n, type: bigint, identity: true }\n", "identity column `t.n` cannot be added"),
    ];
    for (from, to, refusal) in cases {
        for dialect in Dialect::ALL {
            let err = plan(dialect, &project(&[&with(from)], &[]), &project(&[&with(to)], &[])).unwrap_err();
            assert!(err.to_string().contains(refusal), "{dialect}: {err}");
        }
    }
}

/// A column added NOT NULL without a default: PostgreSQL adds it behind a guard that fails the
/// migration when the table has rows (tests/planner_cases.rs runs both outcomes); Redshift
/// refuses the ADD COLUMN even on an empty table, so the planner refuses it there.
#[test]
fn a_not_null_column_without_a_default_is_guarded_or_refused() {
    let (from, to) = (with(""), with("  - { name: n, type: integer, nullable: false }\n"));
    let pg = plan(PG, &project(&[&from], &[]), &project(&[&to], &[])).unwrap().sql();
    let guard = pg.find("SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM \"ns\".\"t\")").expect(&pg);
    let add = pg.find("ADD COLUMN \"n\" INTEGER NOT NULL").expect(&pg);
    assert!(guard < add, "{pg}");
    let err = plan(RS, &project(&[&from], &[]), &project(&[&to], &[])).unwrap_err();
    assert!(err.to_string().contains("added NOT NULL without a default"), "{err}");
}

#[test]
fn views_reading_a_renamed_or_dropped_column_are_recreated() {
    let reads_v = "materialized_view: mv\nsql: SELECT d, v FROM {{ ref('t') }}\n";
    let reads_d = "materialized_view: mv\nsql: SELECT d FROM {{ ref('t') }}\n";
    let renamed = "  - { name: w, type: integer, renamed_from: v }\n";
    for (from, to) in [("  - { name: v, type: integer }\n", renamed), ("  - { name: v, type: integer }\n", "")] {
        let sql =
            |d, view: &str| plan(d, &project(&[&with(from)], &[view]), &project(&[&with(to)], &[view])).unwrap().sql();
        let recreated = |sql: &str| sql.contains("DROP MATERIALIZED VIEW IF EXISTS \"ns\".\"mv\"");
        let pg = sql(PG, reads_v);
        assert!(pg.starts_with("DROP MATERIALIZED VIEW IF EXISTS \"ns\".\"mv\""), "{pg}");
        assert!(pg.contains("CREATE MATERIALIZED VIEW \"ns\".\"mv\""), "{pg}");
        // PostgreSQL renames and drops a column no view reads with the views in place; a Redshift
        // materialized view stops refreshing after either, whatever it reads.
        assert!(!recreated(&sql(PG, reads_d)), "{}", sql(PG, reads_d));
        assert!(recreated(&sql(RS, reads_d)), "{}", sql(RS, reads_d));
    }
    // A new column breaks nothing.
    let (before, after) =
        (project(&[&with("")], &[reads_d]), project(&[&with("  - { name: v, type: integer }\n")], &[reads_d]));
    assert!(!plan(PG, &before, &after).unwrap().sql().contains("MATERIALIZED VIEW"));
}

#[test]
fn the_refresh_procedure_refreshes_each_view_after_what_it_reads() {
    let base = "materialized_view: a_base\nsql: SELECT d FROM {{ ref('t') }}\n";
    let top = "materialized_view: z_top\nsql: SELECT d FROM {{ ref('a_base') }}\n";
    let first = "materialized_view: b_first\nsql: SELECT d FROM {{ ref('z_top') }}\n";
    let settings = "refresh_procedure: refresh_all\n";
    let to = project_with(settings, &[&with("")], &[first, top, base]);
    let sql = plan(RS, &to.emptied(), &to).unwrap().sql();
    let at = |name: &str| sql.find(&format!("REFRESH MATERIALIZED VIEW \"ns\".\"{name}\"")).unwrap_or(usize::MAX);
    assert!(at("a_base") < at("z_top") && at("z_top") < at("b_first") && at("b_first") < usize::MAX, "{sql}");
}

#[test]
fn json_values_are_json_on_both_dialects() {
    let t = "table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: attrs, type: json }\nrows:\n  - { id: 1, attrs: { theme: dark, sizes: [1, 2] } }\n  - { id: 2, attrs: \"it's\" }\n";
    let p = project(&[t], &[]);
    let sql = |d| plan(d, &p.emptied(), &p).unwrap().sql();
    // "Loading semistructured data": a string literal into SUPER would be one string scalar.
    let rs = sql(RS);
    assert!(rs.contains("(1, JSON_PARSE('{\"sizes\":[1,2],\"theme\":\"dark\"}'))"), "{rs}");
    assert!(rs.contains("(2, JSON_PARSE('\"it''s\"'))"), "{rs}");
    let pg = sql(PG);
    assert!(pg.contains("(1, CAST('{\"sizes\":[1,2],\"theme\":\"dark\"}' AS JSONB))"), "{pg}");
}
