//! The change kinds the evolution script does not reach, on the feature fixture: each edit is
//! generated (no database needed), its Redshift and PostgreSQL text pinned by snapshots, and
//! every Redshift migration parsed by sqlfluff.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn schema(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schema")).arg("--project").arg(root).args(args).output().unwrap()
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join("schema").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} lacks {from:?}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn generated(root: &Path, dialect: &str, name: &str) -> String {
    let dir: PathBuf = root.join("migrations").join(dialect);
    let path = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(&format!("__{name}.sql")));
    // A change of nothing this dialect has (a sort key on PostgreSQL) writes no file for it.
    path.map_or_else(|| "(no migration)\n".to_string(), |p| std::fs::read_to_string(p).unwrap())
}

#[test]
fn every_change_kind_renders_for_both_dialects() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features/schema"),
        &root.join("schema"),
    );
    assert!(schema(root, &["generate"]).status.success());

    let edits: &[(&str, &str, &str, &str)] = &[
        // An interleaved sort key cannot be reached by ALTER: Redshift deep-copies the table.
        ("interleave_events", "tables/events.yaml", "sort_key: { kind: none }", "sort_key: { kind: interleaved, columns: [created, code] }"),
        // ALTER DISTKEY is not allowed on a table with an interleaved sort key: deep copy.
        ("web_automations_key", "tables/web_automations.yaml", "sort_key: { kind: interleaved, columns: [event_date] }", "distribution: { key: session_id }\nsort_key: { kind: interleaved, columns: [event_date] }"),
        ("encoding", "tables/events.yaml", "encode: lzo", "encode: zstd"),
        ("reference_rows", "tables/chat_sessions.yaml", "status: done }", "status: closed }"),
        ("unique_key", "tables/events.yaml", "unique: [[amount, ratio]]", "unique: [[amount]]"),
        ("description", "tables/events.yaml", "Exercises the less common options.", "Exercises rare options."),
        ("drop_index", "tables/web_automations.yaml", "indexes:\n  - { name: idx_wa_session, columns: [session_id, event_date desc], where: \"domain_category IS NULL\" }\n", ""),
        ("default", "tables/chat_sessions.yaml", "default: \"'new'\"", "default: \"'open'\""),
    ];
    for (name, file, from, to) in edits {
        edit(root, file, from, to);
        let out = schema(root, &["generate", "--allow-destructive", "--name", name]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        insta::assert_snapshot!(format!("plan_{name}_redshift"), generated(root, "redshift", name));
        insta::assert_snapshot!(format!("plan_{name}_postgres"), generated(root, "postgres", name));
    }
    // Dropping a table is refused without the flag and names the hazard.
    std::fs::remove_file(root.join("schema/tables/events.yaml")).unwrap();
    let out = schema(root, &["generate", "--name", "drop_events"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("drop table analytics.events: deletes the table and all its rows"));
    assert!(schema(root, &["generate", "--allow-destructive", "--name", "drop_events"]).status.success());
    insta::assert_snapshot!("plan_drop_table_redshift", generated(root, "redshift", "drop_events"));

    common::redshift_grammar_accepts_path(&root.join("migrations/redshift")).unwrap_or_else(|e| panic!("{e}"));
}
