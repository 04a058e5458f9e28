//! Machine-readable output: `--format json` from every command (errors too, exit code kept),
//! one timestamp format, GitHub annotations at the YAML line, shell completions and help.

mod common;

use common::{fresh_database, schema, text};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn bare(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schema")).arg("--project").arg(root).args(args).env_remove("CI").output().unwrap()
}

/// stdout as one JSON document naming its command, and the exit code.
fn doc(out: &Output, command: &str) -> (Value, i32) {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{command}: {e}: {}", text(out)));
    if v.get("error").is_none() {
        assert_eq!(v["command"], command, "{v:#}");
    }
    (v, out.status.code().unwrap())
}

fn iso(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() >= 20
        && b[4] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && (text.ends_with('Z') || text[text.len() - 6..].starts_with(['+', '-']))
}

#[test]
fn every_command_speaks_json() {
    let url = fresh_database();
    let (_tmp, root) = common::shipped_project();
    fn j<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [&["--format", "json"], args].concat()
    }
    for (args, command, code) in [
        (vec!["check"], "check", 0),
        (vec!["render", "--dialect", "redshift"], "render", 0),
        (vec!["generate", "--check"], "generate", 0),
        (vec!["generate"], "generate", 0),
        (vec!["plan"], "plan", 0),
    ] {
        let (v, c) = doc(&bare(&root, &j(&args)), command);
        assert_eq!(c, code, "{args:?}: {v:#}");
    }
    let docs_dir = root.join("docs_out");
    let (v, _) = doc(&bare(&root, &j(&["docs", "--out", docs_dir.to_str().unwrap()])), "docs");
    assert!(Path::new(v["wrote"].as_str().unwrap()).starts_with(&docs_dir), "{v:#}");
    let with_db = [
        (vec!["migrate", "--dry-run"], "migrate", 0),
        (vec!["migrate"], "migrate", 0),
        (vec!["status"], "status", 0),
        // The shipped V1 creates its materialized views empty, which diff reports until a refresh.
        (vec!["refresh"], "refresh", 0),
        (vec!["diff"], "diff", 0),
        (vec!["seed", "--rows", "50", "--table", "chat_sessions"], "seed", 0),
        (vec!["backfill"], "backfill", 0),
        (vec!["refresh"], "refresh", 0),
        (vec!["validate", "--table", "chat_sessions"], "validate", 0),
        (vec!["inspect"], "inspect", 0),
        (vec!["baseline", "--version", "2"], "baseline", 0),
    ];
    for (args, command, code) in with_db {
        let (v, c) = doc(&schema(&root, &url, &j(&args)), command);
        assert_eq!(c, code, "{args:?}: {v:#}");
        match command {
            "migrate" if args.len() == 1 => assert_eq!(v["applied"], serde_json::json!([1, 2])),
            "status" => assert!(iso(v["migrations"][0]["applied_on"].as_str().unwrap()), "{v:#}"),
            "validate" => assert!(iso(v["run_at"].as_str().unwrap()), "{v:#}"),
            "seed" => assert_eq!(v["seeded"][0]["rows"], 50),
            "inspect" => assert!(v["files"].as_array().unwrap().len() > 10),
            _ => {}
        }
    }
    let (v, c) = doc(&bare(&root, &j(&["local", "status"])), "local");
    assert_eq!((c, &v["status"]), (1, &Value::from("not created")));
}

#[test]
fn errors_are_json_too_with_the_exit_code_kept() {
    let (_tmp, root) = common::shipped_project();
    let table = root.join("schema/tables/chat_sessions.yaml");
    let yaml = std::fs::read_to_string(&table).unwrap();
    std::fs::write(&table, yaml.replacen("type: varchar(64)", "type: varchr(64)", 1)).unwrap();
    let out = bare(&root, &["check", "--format", "json"]);
    let (v, code) = doc(&out, "check");
    assert_eq!(code, 2);
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["error"]["kind"], "load");
    let d = &v["error"]["diagnostics"][0];
    assert!(d["file"].as_str().unwrap().ends_with("chat_sessions.yaml") && d["line"].as_u64().unwrap() > 1, "{v:#}");

    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"));
    // An argument error is a document too.
    let out = bare(shipped, &["--format", "json", "status", "--bogus"]);
    let (v, code) = doc(&out, "status");
    assert_eq!((code, v["error"]["kind"].as_str()), (2, Some("usage")), "{v:#}");
    let out = bare(shipped, &["--format", "junit", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("`schema check` writes text or json, not junit"), "{}", text(&out));
}

#[test]
fn validate_annotations_point_at_the_check_in_its_yaml_file() {
    let url = fresh_database();
    let (_tmp, root) = common::shipped_project();
    assert!(schema(&root, &url, &["migrate"]).status.success());
    let seeded = schema(
        &root,
        &url,
        &["seed", "--rows", "200", "--table", "chat_sessions", "--defect", "request_timestamp_present=3"],
    );
    assert!(seeded.status.success(), "{}", text(&seeded));
    let out = schema(&root, &url, &["validate", "--table", "chat_sessions", "--format", "github"]);
    assert_eq!(out.status.code(), Some(0), "a warning fails nothing: {}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.contains("request_timestamp_present")).unwrap_or_else(|| panic!("{stdout}"));
    let yaml = std::fs::read_to_string(root.join("schema/tables/chat_sessions.yaml")).unwrap();
    let expected = yaml.lines().position(|l| l.contains("name: request_timestamp_present")).unwrap() + 1;
    assert!(line.starts_with("::warning file="), "{line}");
    assert!(line.contains("chat_sessions.yaml,") && line.contains(&format!(",line={expected},")), "{line}");
}

#[test]
fn completions_and_help() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for shell in ["bash", "zsh", "fish"] {
        let out = bare(root, &["completions", shell]);
        assert!(out.status.success(), "{}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("schema") && script.contains("migrate") && script.contains("--target"), "{shell}");
    }
    let help = |cmd: &str| String::from_utf8_lossy(&bare(root, &[cmd, "--help"]).stdout).into_owned();
    let migrate = help("migrate");
    let (own, global) = migrate.split_once("Global options:").expect("global options apart");
    assert!(own.contains("--lock-timeout") && !own.contains("--quiet"), "{migrate}");
    assert!(global.contains("--quiet") && migrate.contains("--database-url"), "{migrate}");
    assert!(!help("generate").contains("--database-url"), "generate uses no database");
    let dir = tempfile::tempdir().unwrap();
    let out = bare(root, &["man", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let page = std::fs::read_to_string(dir.path().join("schema-migrate.1")).unwrap();
    assert!(page.contains("lock\\-timeout"), "{page}");
}

/// Text from the database reaches the terminal or CI log escaped: a history row, a table name
/// and a server message holding ESC sequences, line breaks or a leading `::` print on their
/// own line, as text, and cannot start a workflow command.
#[test]
fn database_text_cannot_drive_the_terminal() {
    let url = common::shipped_database();
    let (_tmp, root) = common::shipped_project();
    let hostile = "x\u{1b}[2J\r\n::error::forged\u{7}";
    common::psql(
        &url,
        &format!(
            "INSERT INTO analytics.refinery_schema_history VALUES (99, '{hostile}', '{hostile}', '1');
             CREATE TABLE analytics.\"{hostile}\" (id integer);"
        ),
    );
    for args in [&["status"][..], &["diff"], &["inspect", "--namespace", "analytics"], &["migrate"]] {
        let out = schema(&root, &url, args);
        let all = text(&out);
        assert!(!all.contains('\u{1b}') && !all.contains('\r') && !all.contains('\u{7}'), "{args:?}: {all:?}");
        assert!(!all.lines().any(|l| l.trim_start().starts_with("::")), "{args:?}: {all}");
        assert!(all.contains("x\\x1b[2J\\r\\n::error::forged\\x07"), "{args:?}: {all}");
    }
}

/// `validate --sql` needs no connection: the dialect is the one of the database the command line
/// names (a target's `dialect`, its address, `--local`, the default target), found without
/// starting the local cluster or running a password command, and each check comes with the query
/// listing its failing rows.
#[test]
fn validate_sql_takes_the_dialect_of_the_named_database() {
    let (_tmp, root) = common::shipped_project();
    let sql = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_schema"));
        cmd.arg("--project").arg(&root).args(args).args(["validate", "--sql", "--table", "usage_metrics"]);
        for var in ["CI", "DATABASE_URL", "SCHEMA_TARGET", "PGHOST", "PGHOSTADDR", "PGDATABASE", "REDSHIFT_HOST"] {
            cmd.env_remove(var);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let postgres = "date_part('epoch', \"response_timestamp\" - \"request_timestamp\") * 1000";
    let redshift = "DATEDIFF(millisecond, \"request_timestamp\", \"response_timestamp\")";
    for (args, spelling) in [
        (&["--local"][..], postgres),
        (&[], postgres), // the default target, `dev`, is the local PostgreSQL
        (&["--target", "staging"], postgres),
        (&["--target", "prod"], redshift), // its URL names ${REDSHIFT_HOST}, unset: its `dialect` says
        (&["--database-url", "postgres://u@warehouse.example.com:5439/db"], redshift),
        (&["--dialect", "redshift", "--local"], redshift),
    ] {
        let out = sql(args);
        assert!(out.contains(spelling), "{args:?}:\n{out}");
        assert!(out.contains("-- usage_metrics: counts "), "{args:?}:\n{out}");
        assert!(
            out.contains("-- usage_metrics.latency: its failing rows\nSELECT \"usage_metric_id\", \"latency_ms\", \"request_timestamp\", \"response_timestamp\", "),
            "{args:?}:\n{out}"
        );
    }
    assert!(!root.join(".schema").exists(), "--sql started no local cluster");
}
