//! Edits whose Redshift migration must keep what the YAML takes for granted: a parent and its
//! child deep-copied together, values a type change would round, column positions, owners and
//! grants, a table moved to another namespace; and what the migration's header says it locks
//! and leaves missing. Each is applied on the emulation holding data (tests/common/redshift.rs).

mod common;

use common::redshift::cases::{base, case};
use common::redshift::checks::snapshot;
use common::redshift::harness::Emulated;
use common::redshift::{apply_file, migration_files};

/// The text of every Redshift migration after the first, in version order.
fn generated(p: &Emulated) -> String {
    let files = migration_files(&p.root.join("migrations/redshift"));
    files.iter().skip(1).map(|f| std::fs::read_to_string(f).unwrap()).collect::<Vec<_>>().join("\n")
}

/// The hazard lines of the migrations after the first.
fn hazards(p: &Emulated) -> Vec<String> {
    let text = generated(p);
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        match line {
            "-- Hazards:" => inside = true,
            l if inside && l.starts_with("--   ") => out.push(l["--   ".len()..].to_string()),
            _ => inside = false,
        }
    }
    out
}

#[test]
fn a_parent_and_its_child_deep_copied_in_one_migration_apply() {
    let widen = |p: &Emulated| {
        let (from, to) = ("name: account_id, type: varchar(32)", "name: account_id, type: varchar(40)");
        p.edit("tables/accounts.yaml", from, to);
        p.edit("tables/events.yaml", from, to);
    };
    let p = case("account_id varchar(32) -> varchar(40) in accounts and events (two deep copies)", widen, &[]);
    let sql = generated(&p);
    assert!(sql.contains("accounts__copy") && sql.contains("events__copy"), "{sql}");
    let interleave = |p: &Emulated| {
        p.edit(
            "tables/events.yaml",
            "sort_key: { columns: [event_date, account_id] }",
            "sort_key: { kind: interleaved, columns: [event_date, account_id] }",
        );
        p.edit(
            "tables/event_notes.yaml",
            "sort_key: { columns: [note_id] }",
            "sort_key: { kind: interleaved, columns: [note_id, event_id] }",
        );
    };
    case("interleaved sort keys on events and event_notes, which references it", interleave, &[]);
}

#[test]
fn a_type_change_that_would_change_a_stored_value_fails_changing_nothing() {
    let p = base();
    p.edit("tables/events.yaml", "name: amount, type: integer", "name: amount, type: smallint");
    p.edit("tables/events.yaml", "name: price, type: \"decimal(6,4)\"", "name: price, type: \"decimal(6,2)\"");
    p.edit("tables/events.yaml", "name: happened_at, type: timestamp", "name: happened_at, type: date");
    p.generate("narrow_types", &["--allow-destructive"]);
    let files = p.pending();
    let fits = "UPDATE cases.events SET amount = 10, price = 4.45, happened_at = '2026-11-01' WHERE event_id = 1";
    for (change, column) in [
        ("amount = 40000", "amount"),
        ("price = 4.4548", "price"),
        ("happened_at = '2026-11-01 10:15:00'", "happened_at"),
    ] {
        p.sql(fits);
        p.sql(&format!("UPDATE cases.events SET {change} WHERE event_id = 1"));
        let before = snapshot(&p.url, "cases");
        let failed = files.iter().map(|f| apply_file(&p.url, f)).find_map(Result::err);
        let said = failed.unwrap_or_else(|| panic!("{change}: the migration applied although the value changes"));
        assert!(said.contains(&format!("cannot change cases.events.{column} from")), "{change}: {said}");
        let after = snapshot(&p.url, "cases");
        let changed = common::redshift::checks::rows_kept(&before, &after, &[]);
        assert!(changed.is_empty() && before["events"].columns == after["events"].columns, "{change}: {changed:?}");
    }
    p.sql(fits);
    let outcome_before = p.before();
    for f in &files {
        apply_file(&p.url, f).unwrap_or_else(|e| panic!("{e}"));
    }
    let problems: Vec<String> =
        p.checks(&outcome_before, &[]).into_iter().filter(|c| !c.starts_with("rows:")).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let kept = p.sql("SELECT amount || ' ' || price || ' ' || happened_at FROM cases.events WHERE event_id = 1");
    assert_eq!(kept, "10 4.45 2026-11-01");

    // PostgreSQL: the same guard, in the same migration.
    let pg = common::fresh_database();
    common::create_roles(&pg, &["cases_analysts", "cases_etl", "cases_bi"]);
    let migrate = |args: &[&str]| common::schema(&p.root, &pg, args);
    assert!(migrate(&["migrate", "--to", "1"]).status.success());
    common::psql(&pg, "INSERT INTO cases.accounts VALUES ('a1', 'Ann'); INSERT INTO cases.events (account_id, price) VALUES ('a1', 4.4548)");
    let out = migrate(&["migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out));
    assert!(
        common::text(&out).contains("cannot change cases.events.price from decimal(6,4) to decimal(6,2)"),
        "{}",
        common::text(&out)
    );
    assert_eq!(common::psql(&pg, "SELECT price FROM cases.events"), "4.4548");
}

#[test]
fn a_column_keeps_its_place_whatever_the_change() {
    // Declared between two columns: Redshift adds columns at the end, so the table is copied.
    let middle = |p: &Emulated| {
        p.edit(
            "tables/accounts.yaml",
            "  - { name: name, type: varchar(64) }\n",
            "  - { name: region, type: varchar(8) }\n  - { name: name, type: varchar(64) }\n",
        )
    };
    let p = case("a new column declared before an existing one", middle, &[]);
    assert!(generated(&p).contains("accounts__copy"), "{}", generated(&p));
    // The last column is rebuilt where it is: no copy of the table.
    let last = |p: &Emulated| {
        p.edit("tables/events.yaml", "name: happened_at, type: timestamp", "name: happened_at, type: timestamptz")
    };
    let p = case("timestamp -> timestamptz of the last column (column rebuild)", last, &[]);
    let sql = generated(&p);
    assert!(sql.contains("\"happened_at__new\"") && !sql.contains("events__copy"), "{sql}");
    let said = hazards(&p);
    assert!(said.iter().any(|h| h.contains("UPDATE of every row")), "{said:#?}");
}

#[test]
fn owners_and_grants_survive_deep_copies_recreates_and_moves() {
    // event_notes: owned by another user, read by a user and loaded by a group the YAML does not name.
    let copied =
        |p: &Emulated| p.edit("tables/event_notes.yaml", "table: event_notes\n", "table: event_notes\nbackup: false\n");
    case("BACKUP NO on event_notes (deep copy of a table whose grants the YAML does not manage)", copied, &[]);
    // A table moved to another namespace keeps its rows, ids, owner and grants.
    let mut p = base();
    p.sql("INSERT INTO cases.tickets (opened) VALUES ('2026-11-03')");
    let rows = p.sql("SELECT string_agg(ticket_no || '=' || opened, ',' ORDER BY ticket_no) FROM cases.tickets");
    std::fs::rename(p.root.join("schema/tables/tickets.yaml"), p.root.join("schema/tables/archived_tickets.yaml"))
        .unwrap();
    p.edit("tables/archived_tickets.yaml", "table: tickets\n", "table: cases_archive.tickets\n");
    let outcome =
        p.step_moving("archive_tickets", &["--allow-destructive"], &[], &[("tickets", "cases_archive.tickets")]);
    outcome.applied.unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.problems.is_empty(), "{:#?}", outcome.problems);
    let moved =
        p.sql("SELECT string_agg(ticket_no || '=' || opened, ',' ORDER BY ticket_no) FROM cases_archive.tickets");
    assert_eq!(moved, rows, "the moved table lost rows");
    p.sql("INSERT INTO cases_archive.tickets (opened) VALUES ('2026-11-04')");
    assert_eq!(p.sql("SELECT max(ticket_no) FROM cases_archive.tickets"), "4", "ids continue after the copied ones");
    let access = common::redshift::access::access(&p.url, &["cases".into(), "cases_archive".into()]);
    assert_eq!(access["cases_archive.tickets"].owner, "cases_owner");
    assert!(access["cases_archive.tickets"].grants.contains("cases_reader:SELECT"), "{access:?}");
    // "Performing a deep copy": a copy in another schema needs USAGE on it for its grantees.
    assert_eq!(p.sql("SELECT has_schema_privilege('cases_reader', 'cases_archive', 'USAGE')"), "t");

    // PostgreSQL moves it with ALTER TABLE ... SET SCHEMA, rows and ids with it.
    let pg = common::fresh_database();
    assert!(common::schema(&p.root, &pg, &["migrate", "--to", "1"]).status.success());
    common::psql(&pg, "INSERT INTO cases.tickets (opened) VALUES ('2026-11-01'), ('2026-11-02')");
    let out = common::schema(&p.root, &pg, &["migrate"]);
    assert!(out.status.success(), "{}", common::text(&out));
    common::psql(&pg, "INSERT INTO cases_archive.tickets (opened) VALUES ('2026-11-03')");
    assert_eq!(
        common::psql(&pg, "SELECT string_agg(ticket_no::text, ',' ORDER BY 1) FROM cases_archive.tickets"),
        "1,2,3"
    );
}

#[test]
fn headers_name_every_table_locked_and_every_object_missing_between_parts() {
    let copied = |p: &Emulated| p.edit("tables/events.yaml", "table: events\n", "table: events\nbackup: false\n");
    let p = case("BACKUP NO on events: event_notes references it", copied, &[]);
    let said = hazards(&p);
    assert!(
        said.iter().any(|h| h.contains("cases.event_notes") && h.contains("for the copy of cases.events")),
        "the child whose foreign key is dropped is locked for the whole copy:\n{said:#?}"
    );
    let widened =
        |p: &Emulated| p.edit("tables/events.yaml", "name: note, type: varchar(300)", "name: note, type: varchar(600)");
    let p = case("note varchar(300) -> varchar(600): mv_notes reads it", widened, &[]);
    let said = hazards(&p);
    assert!(
        said.iter().any(|h| h.contains("cases.mv_notes is missing from the commit of part 1 until part 3")),
        "{said:#?}"
    );
}

#[test]
fn widening_a_column_whose_encoding_encode_auto_chose_is_checked_before_anything_is_dropped() {
    let p = base();
    p.edit("tables/events.yaml", "name: note, type: varchar(300)", "name: note, type: varchar(600)");
    p.generate("widen_note", &[]);
    let files = p.pending();
    assert_eq!(files.len(), 3, "{files:?}");
    p.sql("INSERT INTO emulated_encodings VALUES ('cases', 'events', 'note', 'bytedict')");
    let failed = apply_file(&p.url, &files[0]).expect_err("part 1 must refuse a BYTEDICT column");
    assert!(failed.contains("cases.events.note is encoded bytedict"), "{failed}");
    assert_eq!(p.sql("SELECT count(*) FROM pg_matviews WHERE matviewname = 'mv_notes'"), "1", "nothing was dropped");
    p.sql("UPDATE emulated_encodings SET encoding = 'lzo'");
    for f in &files {
        apply_file(&p.url, f).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn layout_hazards_say_what_redshift_does() {
    let auto = |p: &Emulated| {
        p.edit("tables/events.yaml", "sort_key: { columns: [event_date, account_id] }", "sort_key: { kind: auto }")
    };
    let p = case("compound sort key -> SORTKEY AUTO", auto, &[]);
    let said = hazards(&p);
    assert!(said.iter().any(|h| h.contains("keeps the current sort key")), "{said:#?}");
    assert!(!said.iter().any(|h| h.contains("re-sorts")), "{said:#?}");
}

#[test]
fn narrowing_a_varchar_to_values_that_fit_alters_it_in_place() {
    let narrow =
        |p: &Emulated| p.edit("tables/events.yaml", "name: note, type: varchar(300)", "name: note, type: varchar(256)");
    let p = case("note varchar(300) -> varchar(256), every value fits", narrow, &[]);
    let sql = generated(&p);
    assert!(
        sql.contains("ALTER COLUMN \"note\" TYPE VARCHAR(256)")
            && !sql.contains("events__copy")
            && !sql.contains("note__new"),
        "{sql}"
    );
}

#[test]
fn a_declared_grant_comes_with_usage_on_its_schema() {
    let granted = |p: &Emulated| {
        p.edit("tables/events.yaml", "grants:\n", "grants:\n  - { to: group cases_clickers, privileges: [select] }\n")
    };
    let p = case("a grant to a group that had none in the namespace", granted, &[]);
    assert_eq!(p.sql("SELECT has_schema_privilege('cases_clickers', 'cases', 'USAGE')"), "t", "{}", generated(&p));
}
