//! What the order of a plan decides (`lower.rs`, `plan.rs`): foreign keys around copies of a
//! parent and its child, guards before anything changes, the locks a step holds for another's
//! length, objects missing between parts, USAGE on namespaces, tables moving between them, and
//! the Redshift hazard texts of layout changes.

use super::planner_tests::{project, project_with, PG, RS};
use crate::model::Dialect;
use crate::plan::plan;

const PARENT: &str =
    "table: p\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: d, type: date }\n";
const CHILD: &str = "table: c\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: p_id, type: bigint, references: p.id }\n";

/// Each step of a plan as `template: hazard; hazard`.
fn said(d: Dialect, from: &crate::model::Project, to: &crate::model::Project) -> Vec<String> {
    let plan = plan(d, from, to).unwrap_or_else(|e| panic!("{e}"));
    let hazard = |s: &crate::plan::Step| s.hazards.iter().map(|h| h.text.as_str()).collect::<Vec<_>>().join("; ");
    plan.steps.iter().map(|s| format!("{}: {}", s.op.template(), hazard(s))).collect()
}

#[test]
fn foreign_keys_to_a_replaced_table_are_dropped_before_and_added_after() {
    let interleaved = format!("{PARENT}sort_key: {{ kind: interleaved, columns: [d] }}\n");
    let sql = plan(RS, &project(&[PARENT, CHILD], &[]), &project(&[&interleaved, CHILD], &[])).unwrap().sql();
    let at = |what: &str| sql.find(what).unwrap_or_else(|| panic!("no `{what}` in:\n{sql}"));
    let (drop, add) = (at("ALTER TABLE \"ns\".\"c\" DROP CONSTRAINT"), at("ALTER TABLE \"ns\".\"c\" ADD CONSTRAINT"));
    assert!(drop < at("DROP TABLE \"ns\".\"p\"") && at("RENAME TO \"p\"") < add, "{sql}");
}

#[test]
fn a_parent_and_its_child_copied_together_drop_the_childs_key_first_and_add_it_once() {
    let copied = |t: &str| t.replace("columns:", "backup: false\ncolumns:");
    let sql =
        plan(RS, &project(&[PARENT, CHILD], &[]), &project(&[&copied(PARENT), &copied(CHILD)], &[])).unwrap().sql();
    let at = |what: &str| sql.find(what).unwrap_or_else(|| panic!("no `{what}` in:\n{sql}"));
    // AWS "DROP TABLE": RESTRICT is the default, so the key goes before the parent does.
    assert!(at("ALTER TABLE \"ns\".\"c\" DROP CONSTRAINT \"c_p_id_fkey\"") < at("DROP TABLE \"ns\".\"p\""), "{sql}");
    let added = sql.matches("ADD CONSTRAINT \"c_p_id_fkey\"").count();
    assert_eq!(added, 1, "the child's copy adds its key, after the parent's copy:\n{sql}");
    assert!(at("RENAME TO \"p\"") < at("ADD CONSTRAINT \"c_p_id_fkey\""), "{sql}");
}

#[test]
fn guards_run_before_anything_of_the_plan_changes() {
    let t = "table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: varchar(300), encode: lzo }\n";
    let mv = "materialized_view: m\nsql: SELECT v FROM {{ ref('t') }}\n";
    let p = plan(RS, &project(&[t], &[mv]), &project(&[&t.replace("300", "256")], &[mv])).unwrap();
    let order: Vec<&str> = p.steps.iter().map(|s| s.op.template()).collect();
    assert_eq!(
        order,
        ["check_fits", "save_privileges", "drop_view", "alter_column", "create_view", "restore_privileges"]
    );
    assert_eq!(p.parts().len(), 3, "the guard is in the first part, before the view goes");
}

#[test]
fn a_step_that_copies_a_table_says_which_tables_stay_locked_through_it() {
    let copied = PARENT.replace("columns:", "backup: false\ncolumns:");
    let steps = said(RS, &project(&[PARENT, CHILD], &[]), &project(&[&copied, CHILD], &[]));
    let copy = steps.iter().find(|s| s.starts_with("deep_copy: ")).unwrap();
    assert!(copy.contains("ns.c stay locked until this migration commits, for the copy of ns.p"), "{steps:#?}");
    // PostgreSQL: a rewrite holds the locks taken before it in its transaction too.
    let typed =
        |ty: &str| format!("table: t\ncolumns:\n  - {{ name: id, type: {ty} }}\n  - {{ name: v, type: integer }}\n");
    let other = "table: u\ncolumns:\n  - { name: id, type: bigint }\n";
    let (from, to) = (
        project(&[&typed("integer"), other], &[]),
        project(&[&typed("bigint"), &format!("{other}  - {{ name: w, type: integer }}\n")], &[]),
    );
    let steps = said(PG, &from, &to);
    assert!(steps.iter().all(|s| !s.contains("stay locked")), "u is altered after t's rewrite: {steps:#?}");
}

#[test]
fn an_object_dropped_in_one_part_and_created_in_a_later_one_is_said_missing() {
    let t = "table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: v, type: varchar(10) }\n";
    let mv = "materialized_view: m\nsql: SELECT v FROM {{ ref('t') }}\n";
    let steps = said(RS, &project(&[t], &[mv]), &project(&[&t.replace("10", "20")], &[mv]));
    let drop = steps.iter().find(|s| s.starts_with("drop_view: ")).unwrap();
    assert!(
        drop.contains("ns.m is missing from the commit of part 1 until part 3 of 3 creates it again"),
        "{steps:#?}"
    );
    // One transaction: never missing for anyone else.
    let steps = said(PG, &project(&[t], &[mv]), &project(&[&t.replace("10", "20")], &[mv]));
    assert!(steps.iter().all(|s| !s.contains("missing")), "{steps:#?}");
}

#[test]
fn layout_hazards_say_what_redshift_does() {
    let sorted = |key: &str| {
        format!("table: t\n{key}columns:\n  - {{ name: id, type: bigint }}\n  - {{ name: id2, type: integer }}\n")
    };
    let compound = sorted("sort_key: { columns: [id] }\n");
    let hazards = |to: &str| said(RS, &project(&[&compound], &[]), &project(&[to], &[])).join("\n");
    // "ALTER TABLE": ALTER SORTKEY AUTO preserves the existing sort key; NONE removes it.
    let auto = hazards(&sorted("sort_key: { kind: auto }\n"));
    assert!(auto.contains("keeps the current sort key") && !auto.contains("re-sorts"), "{auto}");
    let none = hazards(&sorted("sort_key: { kind: none }\n"));
    assert!(none.contains("removes the sort key; the rows are not re-sorted"), "{none}");
    let other = hazards(&sorted("sort_key: { columns: [id2, id] }\n"));
    assert!(other.contains("re-sorts the whole table"), "{other}");
    // "ALTER TABLE": ALTER DISTSTYLE AUTO lets Redshift choose; EVEN redistributes now.
    let even = compound.replace("columns:\n", "distribution: { style: even }\ncolumns:\n");
    let redistributed = hazards(&even);
    assert!(redistributed.contains("redistributes the whole table"), "{redistributed}");
    let auto = said(RS, &project(&[&even], &[]), &project(&[&compound], &[])).join("\n");
    assert!(auto.contains("small table AUTO(ALL)") && !auto.contains("redistributes the whole table"), "{auto}");
}

#[test]
fn grantees_get_usage_on_the_namespaces_of_their_objects_once() {
    let settings = "namespaces: [raw]\n";
    let t =
        "table: t\ncolumns:\n  - { name: id, type: bigint }\ngrants: [{ to: group analysts, privileges: [select] }]\n";
    let raw =
        "table: raw.e\ncolumns:\n  - { name: id, type: bigint }\ngrants: [{ to: role etl, privileges: [insert] }]\n";
    let p = project_with(settings, &[t, raw], &[]);
    let sql = plan(RS, &p.emptied(), &p).unwrap().sql();
    assert!(sql.contains("GRANT USAGE ON SCHEMA \"ns\" TO GROUP \"analysts\";"), "{sql}");
    assert!(sql.contains("GRANT USAGE ON SCHEMA \"raw\" TO ROLE \"etl\";"), "{sql}");
    assert!(!sql.contains("ON SCHEMA \"raw\" TO GROUP"), "{sql}");
    // Already granted an object there: nothing more.
    let more = project_with(settings, &[&t.replace("[select]", "[select, insert]"), raw], &[]);
    assert!(!plan(PG, &p, &more).unwrap().sql().contains("USAGE"));
}

#[test]
fn a_table_moved_to_another_namespace_keeps_its_rows() {
    let settings = "namespaces: [archive]\n";
    let t = "table: t\ncolumns:\n  - { name: id, type: bigint, identity: true }\n  - { name: v, type: integer }\n";
    let mv = |key: &str| format!("materialized_view: m\nsql: SELECT v FROM {{{{ ref('{key}') }}}}\n");
    let from = project_with(settings, &[t], &[&mv("t")]);
    let to = project_with(settings, &[&t.replace("table: t", "table: archive.t")], &[&mv("archive.t")]);
    let rs = plan(RS, &from, &to).unwrap();
    let ops: Vec<&str> = rs.steps.iter().map(|s| s.op.template()).collect();
    assert_eq!(ops, ["save_privileges", "drop_view", "deep_copy", "create_view", "restore_privileges"]);
    let sql = rs.sql();
    assert!(
        sql.contains("INSERT INTO \"archive\".\"t__copy\" (\"id\", \"v\")\nSELECT \"id\", \"v\"\nFROM \"ns\".\"t\";"),
        "{sql}"
    );
    assert!(sql.contains("DROP TABLE \"ns\".\"t\";") && !sql.contains("CREATE TABLE \"archive\".\"t\" ("), "{sql}");
    let pg = plan(PG, &from, &to).unwrap().sql();
    assert!(pg.contains("ALTER TABLE \"ns\".\"t\" SET SCHEMA \"archive\";") && !pg.contains("DROP TABLE"), "{pg}");
}

#[test]
fn a_move_and_a_copy_of_a_parent_and_its_child_drop_the_childs_key_first() {
    let settings = "namespaces: [archive]\n";
    let copied = |t: &str| t.replace("columns:", "backup: false\ncolumns:");
    let moved = |t: &str, to: &str| {
        t.replace("table: p", &format!("table: {to}p")).replace("references: p.id", &format!("references: {to}p.id"))
    };
    let archived_child = CHILD.replace("table: c", "table: archive.c");
    // The parent moves, the child is copied; the parent is copied, the child moves.
    for (parent, child) in
        [(moved(PARENT, "archive."), copied(&moved(CHILD, "archive."))), (copied(PARENT), archived_child)]
    {
        let from = project_with(settings, &[PARENT, CHILD], &[]);
        let to = project_with(settings, &[&parent, &child], &[]);
        let sql = plan(RS, &from, &to).unwrap().sql();
        let at = |what: &str| sql.find(what).unwrap_or_else(|| panic!("no `{what}` in:\n{sql}"));
        assert!(
            at("ALTER TABLE \"ns\".\"c\" DROP CONSTRAINT \"c_p_id_fkey\"") < at("DROP TABLE \"ns\".\"p\""),
            "{sql}"
        );
        assert_eq!(sql.matches("ADD CONSTRAINT \"c_p_id_fkey\"").count(), 1, "{sql}");
    }
}

#[test]
fn postgresql_says_a_column_declared_before_others_lands_at_the_end() {
    let t = "table: t\ncolumns:\n  - { name: id, type: bigint }\n";
    let between = t.replace("columns:\n", "columns:\n  - { name: a, type: integer }\n");
    let steps = said(PG, &project(&[t], &[]), &project(&[&between], &[]));
    assert_eq!(steps, ["add_column: PostgreSQL adds the column at the end of the table, not where the YAML declares it: a COPY or INSERT without a column list sees it last"]);
    let steps = said(PG, &project(&[t], &[]), &project(&[&format!("{t}  - {{ name: a, type: integer }}\n")], &[]));
    assert_eq!(steps, ["add_column: "]);
}

#[test]
fn a_plan_is_its_phases_in_order_and_each_operation_has_its_phase() {
    use crate::dialect::lower::{lower, Phase};
    let interleaved = format!("{PARENT}sort_key: {{ kind: interleaved, columns: [d] }}\n");
    let view = "view: v\nsql: SELECT d FROM {{ ref('p') }}\n";
    let from = project(&[PARENT, CHILD], &[view]);
    let to = project_with("namespaces: [raw]\n", &[&interleaved, CHILD], &[view]);
    let changes = crate::diff::diff(&from, &to);
    let lowered = lower(crate::dialect::driver(RS), &from, &to, &changes).unwrap();
    let phases: Vec<Phase> = lowered.iter().map(|l| l.phase).collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{phases:?}");
    let phase = |template: &str| lowered.iter().find(|l| l.op.template() == template).map(|l| l.phase);
    let expected = [
        ("create_schema", Phase::Types),
        ("save_privileges", Phase::DropViews),
        ("drop_view", Phase::DropViews),
        ("drop_constraint", Phase::DropKeys),
        ("deep_copy", Phase::Tables),
        ("add_constraint", Phase::AddKeys),
        ("create_view", Phase::Views),
        ("restore_privileges", Phase::Views),
    ];
    for (template, want) in expected {
        assert_eq!(phase(template), Some(want), "{template}: {lowered:#?}");
    }
}
