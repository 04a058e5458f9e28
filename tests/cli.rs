//! The real binary: exit codes (0 ok, 1 found something, 2 could not run), output, and the
//! generate → edit YAML → generate workflow.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn schema(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schema")).arg("--project").arg(dir).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn copy_fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features/schema");
    let to = tmp.path().join("schema");
    for sub in ["", "tables", "views"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for e in std::fs::read_dir(from.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, to.join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    let root = tmp.path().to_path_buf();
    (tmp, root)
}

#[test]
fn check_passes_on_the_shipped_schema() {
    let out = schema(Path::new(env!("CARGO_MANIFEST_DIR")), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("16 tables, 0 views, 8 materialized views"), "{}", text(&out));
}

#[test]
fn shipped_migrations_are_up_to_date() {
    let out = schema(Path::new(env!("CARGO_MANIFEST_DIR")), &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn bad_yaml_exits_2_with_file_line_column() {
    let (_tmp, root) = copy_fixture();
    let file = root.join("schema/tables/events.yaml");
    let yaml =
        std::fs::read_to_string(&file).unwrap().replace("distribution: { style: all }", "distribution: { style: evn }");
    std::fs::write(&file, yaml).unwrap();
    let out = schema(&root, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("events.yaml:4:"), "{err}");
    assert!(err.contains("did you mean `even`?"), "{err}");
    assert!(err.contains("error: 1 problem in"), "{err}");
}

#[test]
fn render_needs_a_dialect_when_the_project_has_two() {
    let (_tmp, root) = copy_fixture();
    let out = schema(&root, &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("choose one with --dialect"), "{}", text(&out));
    let out = schema(&root, &["render", "--dialect", "postgres"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("CREATE MATERIALIZED VIEW"));
}

#[test]
fn generate_emits_only_the_change_and_check_is_the_ci_gate() {
    let (_tmp, root) = copy_fixture();
    let out = schema(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("pending: create table analytics.events"));

    let out = schema(&root, &["generate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for d in ["postgres", "redshift"] {
        assert!(root.join(format!("migrations/{d}/V1__initial.sql")).is_file());
    }
    assert_eq!(schema(&root, &["generate", "--check"]).status.code(), Some(0));
    assert!(text(&schema(&root, &["generate"])).contains("up to date"));

    // A YAML change: --check fails until the next migration is generated, which holds only it.
    let file = root.join("schema/tables/web_automations.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, append_column(&yaml, "  - { name: domain_name, type: varchar(255), description: Host }\n"))
        .unwrap();
    let out = schema(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("pending: add column analytics.web_automations.domain_name"), "{}", text(&out));
    let out = schema(&root, &["generate", "--name", "add_domain_name"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v2 = std::fs::read_to_string(root.join("migrations/redshift/V2__add_domain_name.sql")).unwrap();
    let body: Vec<&str> = v2.lines().filter(|l| !l.starts_with("--") && !l.is_empty()).collect();
    assert_eq!(
        body,
        [
            r#"ALTER TABLE "analytics"."web_automations" ADD COLUMN "domain_name" VARCHAR(255);"#,
            r#"COMMENT ON COLUMN "analytics"."web_automations"."domain_name" IS 'Host';"#
        ]
    );
    assert_eq!(schema(&root, &["generate", "--check"]).status.code(), Some(0));
}

#[test]
fn edited_generated_files_and_duplicate_versions_are_caught() {
    let (_tmp, root) = copy_fixture();
    assert_eq!(schema(&root, &["generate"]).status.code(), Some(0));
    let v1 = root.join("migrations/postgres/V1__initial.sql");
    let original = std::fs::read_to_string(&v1).unwrap();
    std::fs::write(&v1, original.replace("CREATE TABLE", "CREATE UNLOGGED TABLE")).unwrap();
    let out = schema(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("V1__initial.sql was edited after it was generated"), "{}", text(&out));
    let out = schema(&root, &["generate", "--name", "x"]);
    assert_eq!(out.status.code(), Some(2), "generate must refuse to build on an edited file");
    std::fs::write(&v1, &original).unwrap();

    // Two branches both generated V2.
    std::fs::write(root.join("migrations/postgres/V2__a.sql"), "SELECT 1;\n").unwrap();
    std::fs::write(root.join("migrations/postgres/V2__b.sql"), "SELECT 1;\n").unwrap();
    let out = schema(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("version 2 is used twice"), "{}", text(&out));
}

#[test]
fn misnamed_migration_files_are_errors_not_skipped() {
    let (_tmp, root) = copy_fixture();
    assert_eq!(schema(&root, &["generate"]).status.code(), Some(0));
    std::fs::write(root.join("migrations/postgres/V2__add-x.sql"), "SELECT 1;\n").unwrap();
    let out = schema(&root, &["generate", "--name", "next"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("V2__add-x.sql: migration files must be named"), "{}", text(&out));
}

#[test]
fn generate_writes_every_file_or_none_and_check_reports_unrecorded_ones() {
    let (_tmp, root) = copy_fixture();
    assert_eq!(schema(&root, &["generate"]).status.code(), Some(0));
    let state = std::fs::read_to_string(root.join("migrations/state.json")).unwrap();
    let file = root.join("schema/tables/events.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, append_column(&yaml, "  - { name: extra, type: integer }\n")).unwrap();
    // The Redshift file cannot be written (a folder holds its temporary name): nothing is, not
    // even the PostgreSQL file written before it, and the state is unchanged.
    std::fs::create_dir_all(root.join("migrations/redshift/.V2__update.sql.tmp/x")).unwrap();
    let out = schema(&root, &["generate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("nothing was written"), "{}", text(&out));
    assert!(!root.join("migrations/postgres/V2__update.sql").exists());
    assert!(!root.join("migrations/postgres/.V2__update.sql.tmp").exists());
    assert_eq!(std::fs::read_to_string(root.join("migrations/state.json")).unwrap(), state);
    std::fs::remove_dir_all(root.join("migrations/redshift/.V2__update.sql.tmp")).unwrap();
    assert_eq!(schema(&root, &["generate"]).status.code(), Some(0));
    assert!(root.join("migrations/postgres/V2__update.sql").exists());
    // A file that says it was generated but is not recorded is reported by --check.
    let orphan = "-- V3__orphan.sql (postgres): generated by `schema generate` for project x.\nSELECT 1;\n";
    std::fs::write(root.join("migrations/postgres/V3__orphan.sql"), orphan).unwrap();
    let out = schema(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out);
    assert!(said.contains("V3__orphan.sql says it was generated but state.json does not record it"), "{said}");
}

#[test]
fn a_project_renders_only_for_the_dialects_it_targets() {
    let pg_only = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/observability");
    let out = schema(&pg_only, &["render", "--dialect", "redshift"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("the project does not target redshift"), "{}", text(&out));
    assert_eq!(schema(&pg_only, &["render", "--dialect", "postgres"]).status.code(), Some(0));
}

/// A table file with `column` declared last (a new column declared before others needs a
/// Redshift deep copy: ADD COLUMN adds at the end).
fn append_column(yaml: &str, column: &str) -> String {
    let start = yaml.find("columns:\n").expect("a columns list") + "columns:\n".len();
    let items = yaml[start..].split_inclusive('\n').take_while(|l| l.starts_with(' ') || l.starts_with('-'));
    let end = start + items.map(str::len).sum::<usize>();
    format!("{}{column}{}", &yaml[..end], &yaml[end..])
}

/// The state records what the migrations produce. A column added to the YAML and by hand to
/// state.json's project, with no migration, does not pass for up to date: the recorded project
/// no longer matches its checksum.
#[test]
fn a_state_edited_by_hand_is_caught() {
    let (_tmp, root) = copy_fixture();
    assert_eq!(schema(&root, &["generate"]).status.code(), Some(0));
    let yaml = root.join("schema/tables/chat_sessions.yaml");
    let text_of = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, text_of.replacen("columns:\n", "columns:\n  - { name: by_hand, type: integer }\n", 1))
        .unwrap();
    let state_path = root.join("migrations/state.json");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    let tables = state["project"]["tables"].as_array_mut().unwrap();
    let table = tables.iter_mut().find(|t| t["name"] == "chat_sessions").unwrap();
    let column = serde_json::json!({"name": "by_hand", "type": "integer", "nullable": true});
    table["columns"].as_array_mut().unwrap().insert(0, column);
    std::fs::write(&state_path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    let out = schema(&root, &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("state.json: the recorded project does not match its checksum"), "{}", text(&out));
    assert_eq!(schema(&root, &["generate", "--name", "x"]).status.code(), Some(2));
}
