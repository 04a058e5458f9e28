//! Single YAML edits whose Redshift migration is a deep copy, a column rebuild or an in-place
//! ALTER, each applied on the emulated Redshift (tests/common/redshift.rs) holding data, with
//! the outcome the AWS Database Developer Guide requires.

mod common;

use common::redshift::cases::{base, case};
use common::redshift::checks::snapshot;
use common::redshift::harness::Emulated;

#[test]
fn deep_copy_to_an_interleaved_sort_key_keeps_rows_keys_and_identity() {
    let edit = |p: &Emulated| {
        p.edit(
            "tables/events.yaml",
            "sort_key: { columns: [event_date, account_id] }",
            "sort_key: { kind: interleaved, columns: [event_date, account_id] }",
        )
    };
    case("compound -> interleaved sort key (deep copy: ALTER SORTKEY cannot make it interleaved)", edit, &[]);
}

#[test]
fn deep_copy_for_a_backup_change_keeps_rows_keys_and_identity() {
    let edit = |p: &Emulated| p.edit("tables/events.yaml", "table: events\n", "table: events\nbackup: false\n");
    case("BACKUP YES -> NO (deep copy: no ALTER for BACKUP)", edit, &[]);
}

#[test]
fn deep_copy_for_a_type_change_of_a_sort_key_column_keeps_rows_keys_and_identity() {
    let edit = |p: &Emulated| {
        p.edit("tables/events.yaml", "name: account_id, type: varchar(32)", "name: account_id, type: varchar(40)")
    };
    case("varchar(32) -> varchar(40) of a sort and distribution key column (deep copy: no ALTER COLUMN TYPE on key columns)", edit, &[]);
}

#[test]
fn integer_to_bigint_of_a_column_between_others_keeps_values_and_place() {
    let edit = |p: &Emulated| p.edit("tables/events.yaml", "name: amount, type: integer", "name: amount, type: bigint");
    let p = case("integer -> bigint of a column between others (a rebuild would move it: deep copy)", edit, &[]);
    assert_eq!(
        p.sql(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'amount'"
        ),
        "bigint"
    );
}

#[test]
fn a_default_change_keeps_values_and_takes_the_new_default() {
    let edit = |p: &Emulated| p.edit("tables/events.yaml", "default: \"'new'\"", "default: \"'open'\"");
    let p = case("DEFAULT 'new' -> 'open' (Redshift has no SET DEFAULT; not the last column: deep copy)", edit, &[]);
    p.sql("INSERT INTO cases.events (account_id) VALUES ('a2')");
    assert_eq!(p.sql("SELECT string_agg(status, ',' ORDER BY event_id) FROM cases.events"), "new,new,new,open");
}

#[test]
fn deep_copy_for_a_type_change_of_an_identity_column_moves_its_generator_past_the_copied_ids() {
    let edit =
        |p: &Emulated| p.edit("tables/tickets.yaml", "name: ticket_no, type: integer", "name: ticket_no, type: bigint");
    let p = case("integer -> bigint of an identity column without keys (deep copy: NOT NULL, no default)", edit, &[]);
    let sql = std::fs::read_to_string(p.root.join("migrations/redshift/V2__change.sql")).unwrap();
    assert!(sql.contains("tickets__copy"), "expected a deep copy:\n{sql}");
}

#[test]
fn rename_and_type_change_in_one_edit_keeps_values_under_the_new_name() {
    let edit = |p: &Emulated| {
        p.edit("tables/events.yaml", "name: amount, type: integer", "name: total, renamed_from: amount, type: bigint")
    };
    let p =
        case("amount integer -> total bigint (rename and retype: deep copy)", edit, &[("events", "amount", "total")]);
    assert_eq!(p.sql("SELECT string_agg(total::text, ',' ORDER BY event_id) FROM cases.events"), "10,20,30");
}

#[test]
fn varchar_widening_beside_a_materialized_view_recreate_does_not_mix_transaction_modes() {
    let edit =
        |p: &Emulated| p.edit("tables/events.yaml", "name: note, type: varchar(300)", "name: note, type: varchar(600)");
    let p = case("varchar(300) -> varchar(600) of a column a materialized view reads", edit, &[]);
    // Redshift fills a materialized view when it is created.
    assert_eq!(p.sql("SELECT count(*) FROM cases.mv_notes"), "3", "the recreated materialized view is not filled");
}

#[test]
fn encoding_change_on_an_interleaved_table_avoids_alter_column_encode() {
    let edit = |p: &Emulated| p.edit("tables/clicks.yaml", "encode: lzo", "encode: zstd");
    case("ENCODE lzo -> zstd on a table with an interleaved sort key", edit, &[]);
}

#[test]
fn narrowing_a_varchar_below_a_stored_value_fails_before_changing_anything() {
    let mut p = base();
    p.sql(&format!("INSERT INTO cases.events (account_id, note) VALUES ('a2', '{}')", "x".repeat(300)));
    let before = snapshot(&p.url, "cases");
    p.edit("tables/events.yaml", "name: note, type: varchar(300)", "name: note, type: varchar(256)");
    p.generate("narrow_note", &["--allow-destructive"]);
    let (files, applied) = p.apply_pending();
    let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().to_string()).collect();
    let after = snapshot(&p.url, "cases");
    let width = p.sql("SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = 'cases' AND table_name = 'events' AND column_name = 'note'");
    let longest = p.sql("SELECT max(length(note)) FROM cases.events");
    assert!(
        applied.is_err(),
        "{names:?} applied although a 300-character value does not fit varchar(256): the column is now varchar({width}) and its longest value {longest} characters (a narrowing must fail and change nothing)"
    );
    let changed = common::redshift::checks::rows_kept(&before, &after, &[]);
    assert!(changed.is_empty(), "the failed narrowing changed the data:\n{}", changed.join("\n"));
    assert_eq!(before["events"].columns, after["events"].columns, "the failed narrowing changed the columns");
    assert_eq!(width, "300", "the failed narrowing changed the column's type");
}

#[test]
fn reference_row_deletion_after_a_column_rename_deletes_only_that_row() {
    let mut p = base();
    let rows =
        "rows:\n  - { name: books, kind: goods }\n  - { name: films, kind: media }\n  - { name: games, kind: media }\n";
    p.edit(
        "tables/categories.yaml",
        "  - { name: kind, type: varchar(32) }\n",
        "  - { name: category, renamed_from: kind, type: varchar(32) }\n",
    );
    p.edit(
        "tables/categories.yaml",
        rows,
        "rows:\n  - { name: books, category: goods }\n  - { name: films, category: media }\n",
    );
    let outcome = p.step("drop_games", &["--allow-destructive"], &[("categories", "kind", "category")]);
    let applied = outcome.applied.as_ref().map_err(|e| format!("the Redshift migration does not apply: {e}"));
    assert!(applied.is_ok(), "{}", applied.unwrap_err());
    // The deleted row is the one expected loss; anything else the checks found is a problem.
    let problems: Vec<&String> =
        outcome.problems.iter().filter(|p| !p.starts_with("rows: table categories:")).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // Facts reference categories by id: the rows that stay keep theirs.
    assert_eq!(
        p.sql("SELECT string_agg(category_id || ':' || name || ':' || category, ',' ORDER BY category_id) FROM cases.categories"),
        "1:books:goods,2:films:media",
        "only the removed row may go, and the others keep their ids"
    );
}

#[test]
fn grants_survive_a_deep_copy_and_the_materialized_view_recreate_it_causes() {
    let edit = |p: &Emulated| p.edit("tables/events.yaml", "table: events\n", "table: events\nbackup: false\n");
    // Check (g) compares every grant with the YAML; these say what it protects.
    let p = case("BACKUP YES -> NO: events is deep-copied, mv_notes (which reads it) recreated", edit, &[]);
    let sql = std::fs::read_to_string(p.root.join("migrations/redshift/V2__change.sql")).unwrap();
    assert!(
        sql.contains("events__copy") && sql.contains("DROP MATERIALIZED VIEW"),
        "expected a deep copy and a recreate:\n{sql}"
    );
    let can =
        |who: &str, on: &str, what: &str| p.sql(&format!("SELECT has_table_privilege('{who}', '{on}', '{what}')"));
    assert_eq!(can("cases_etl", "cases.events", "DELETE"), "t");
    assert_eq!(can("cases_analysts", "cases.events", "SELECT"), "t");
    assert_eq!(can("cases_bi", "cases.mv_notes", "SELECT"), "t");
}

#[test]
fn a_grant_change_revokes_and_grants_in_place() {
    let edit = |p: &Emulated| {
        p.edit(
            "tables/events.yaml",
            "{ to: role cases_etl, privileges: [select, insert, update, delete] }",
            "{ to: role cases_etl, privileges: [select] }\n  - { to: user cases_bi, privileges: [select] }",
        )
    };
    let p = case("REVOKE INSERT, UPDATE, DELETE from a role; GRANT SELECT to a user", edit, &[]);
    let sql = std::fs::read_to_string(p.root.join("migrations/redshift/V2__change.sql")).unwrap();
    assert!(sql.contains("REVOKE INSERT, UPDATE, DELETE ON \"cases\".\"events\" FROM ROLE \"cases_etl\";"), "{sql}");
    assert!(!sql.contains("events__copy"), "a grant change copies nothing:\n{sql}");
}
