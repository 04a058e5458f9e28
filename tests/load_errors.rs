//! The malformed-YAML corpus: each `tests/malformed/cases/*.yaml` is added to a small valid
//! project and must produce exactly the diagnostics its header declares:
//!
//! ```text
//! # expect: 4:5: unknown field `nulable`, expected one of ...
//! # help: did you mean `nullable`?
//! ```
//!
//! A case whose first line is `# project-file` replaces `schema.yaml` instead.

mod common;

use common::copy_dir;
use std::path::Path;

/// Expected `line:col: message` and optional help, in order, from the case header.
fn expectations(text: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(e) = line.strip_prefix("# expect: ") {
            out.push((e.to_string(), None));
        } else if let Some(h) = line.strip_prefix("# help: ") {
            out.last_mut().expect("`# help:` follows an `# expect:`").1 = Some(h.to_string());
        }
    }
    out
}

#[test]
fn every_malformed_case_reports_its_exact_diagnostics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut cases: Vec<_> = std::fs::read_dir(root.join("cases")).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 25, "the corpus has {} cases; it must keep at least 25", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root.join("base"), dir.path());
        let text = std::fs::read_to_string(case).unwrap();
        let target = if text.starts_with("# project-file") {
            dir.path().join("schema.yaml")
        } else {
            dir.path().join("tables").join(case.file_name().unwrap())
        };
        std::fs::write(&target, &text).unwrap();
        let expected = expectations(&text);
        assert!(!expected.is_empty(), "{} declares no `# expect:` line", case.display());
        let got: Vec<(String, Option<String>)> = match schema::load::load(dir.path()) {
            Ok(_) => vec![],
            Err(diags) => diags
                .into_iter()
                .map(|d| {
                    assert_eq!(d.file, target, "{}: diagnostic in another file: {d}", case.display());
                    (format!("{}:{}: {}", d.line, d.col, d.message), d.help)
                })
                .collect(),
        };
        if got != expected {
            failures.push(format!("{}\n  expected: {expected:#?}\n  got:      {got:#?}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_file_that_fails_to_parse_does_not_cascade_into_its_references() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed/base"), dir.path());
    let bad = "table: login_events\ncolumns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: x, type: int, nulable: true }\n";
    std::fs::write(dir.path().join("tables/login_events.yaml"), bad).unwrap();
    let view = "view: v_logins\nsql: SELECT id FROM {{ ref('login_events') }}\n";
    std::fs::write(dir.path().join("tables/v_logins.yaml"), view).unwrap();
    let diags = schema::load::load(dir.path()).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0].file.ends_with("login_events.yaml"));
    assert!(diags[0].message.contains("unknown field `nulable`"));
}

/// A view body is SQL with `{{ ref('name') }}` and nothing else of a template language: a
/// 174-byte file of nested loops (which a template engine would run for minutes, or until
/// memory ran out) is refused at once, by the real binary, with its position.
#[test]
fn a_template_bomb_in_a_view_body_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed/base"), dir.path());
    let loops = "{% for a in range(9999) %}{% for b in range(9999) %}{% for c in range(9999) %}";
    let bomb = format!("view: v_template_bomb\nsql: \"{loops}{{{{ a ~ b ~ c ~ 'xyz' * 9999 }}}}{{% endfor %}}{{% endfor %}}{{% endfor %}}\"\n");
    assert_eq!(bomb.len(), 174);
    std::fs::write(dir.path().join("tables/v_template_bomb.yaml"), &bomb).unwrap();
    let started = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schema"))
        .args(["--project"])
        .arg(dir.path())
        .arg("check")
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tables/v_template_bomb.yaml:2:7: error: in the SQL body: `{%` opens a template tag"),
        "{err}"
    );
}
