//! The catalog mutation corpus: every hand change in tests/fixtures/corpus/mutations.tsv (one per
//! object kind and property of PostgreSQL's ALTER TABLE, ALTER INDEX, ALTER VIEW, CREATE INDEX,
//! constraint, COMMENT, GRANT/REVOKE, OWNER, trigger and policy pages, and the objects a
//! namespace can hold besides tables and views) is applied to its own copy of a freshly migrated
//! database; `schema diff` must exit 1 and name it with its kind, object and property. The
//! no-false-alarm corpus (equivalent.tsv) holds changes the server stores as the schema already
//! is: diff must stay at 0.

mod common;

use common::{create_roles, fresh_database, schema, text};
use schema::db::Target;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const ROLES: [&str; 3] = ["corpus_reader", "corpus_writer", "corpus_other"];

/// The fixture project with its V1 generated, and a database migrated to it that the cases copy.
struct Corpus {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    template: String,
    /// The same server's `postgres` database, to create and drop the copies from.
    admin: String,
}

fn corpus() -> Corpus {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/schema"), &dir.join("schema"));
    let out = schema(&dir, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "{}", text(&out));
    let url = fresh_database();
    create_roles(&url, &ROLES);
    let out = schema(&dir, &url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = schema(&dir, &url, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "the migrated corpus must not drift: {}", text(&out));
    let mut admin = url::Url::parse(&url).unwrap();
    let template = admin.path().trim_start_matches('/').to_string();
    admin.set_path("/postgres");
    Corpus { _tmp: tmp, dir, template, admin: admin.to_string() }
}

/// The lines of a corpus file, split at tabs; comments and blank lines left out.
fn cases(file: &str) -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus").join(file);
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn run(url: &str, sql: &str) -> Result<(), String> {
    let mut client = Target::parse(url, None, Duration::from_secs(10)).unwrap().connect().map_err(|e| e.to_string())?;
    client.batch_execute(sql).map_err(|e| e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string()))
}

impl Corpus {
    /// Runs `sql` on a copy of the migrated database, then `schema diff --format json`: its exit
    /// code and findings, or why the case could not run.
    fn diff_after(&self, name: &str, sql: &str) -> Result<(Option<i32>, serde_json::Value), String> {
        run(&self.admin, &format!("CREATE DATABASE {name} TEMPLATE {}", self.template))?;
        let mut url = url::Url::parse(&self.admin).unwrap();
        url.set_path(&format!("/{name}"));
        let result = run(url.as_str(), &format!("SET search_path TO corpus, public; {sql}"))
            .map_err(|e| format!("the mutation failed: {e}"))
            .and_then(|()| {
                let out = schema(&self.dir, url.as_str(), &["diff", "--format", "json"]);
                let json = serde_json::from_slice(&out.stdout).map_err(|e| format!("{e}: {}", text(&out)))?;
                Ok((out.status.code(), json))
            });
        run(&self.admin, &format!("DROP DATABASE {name}"))?;
        result
    }

    /// Each case on its own copy, two at a time; the problems of all cases.
    fn each(
        &self,
        cases: &[Vec<String>],
        check: impl Fn(&[String], Option<i32>, &serde_json::Value) -> Option<String> + Sync,
    ) -> Vec<String> {
        let (next, problems) = (AtomicUsize::new(0), Mutex::new(Vec::new()));
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let sql = case.last().unwrap();
                    let said = match self.diff_after(&format!("{}_{i}", self.template), sql) {
                        Ok((code, json)) => check(case, code, &json),
                        Err(e) => Some(e),
                    };
                    if let Some(problem) = said {
                        problems.lock().unwrap().push(format!("`{sql}`: {problem}"));
                    }
                });
            }
        });
        problems.into_inner().unwrap()
    }
}

#[test]
fn every_catalog_mutation_is_a_finding() {
    let corpus = corpus();
    let cases = cases("mutations.tsv");
    assert!(cases.len() >= 120, "{} mutations", cases.len());
    let problems = corpus.each(&cases, |case, code, json| {
        let (kind, object, property) = (&case[0], &case[1], &case[2]);
        let findings = json["findings"].as_array().cloned().unwrap_or_default();
        let named = findings.iter().any(|f| {
            f["kind"] == kind.as_str()
                && f["object"] == object.as_str()
                && (property == "-" || f["property"] == property.as_str())
                && f["hint"].as_str().is_some_and(|h| !h.is_empty())
        });
        let listed = || {
            findings
                .iter()
                .map(|f| format!("{} {} {}", f["kind"], f["object"], f["property"]))
                .collect::<Vec<_>>()
                .join("; ")
        };
        match (code, named) {
            (Some(1), true) => None,
            _ => Some(format!("exit {code:?}, wanted `{kind} {object} {property}`, found: {}", listed())),
        }
    });
    assert!(problems.is_empty(), "{} of {} mutations:\n{}", problems.len(), cases.len(), problems.join("\n"));
}

#[test]
fn equivalent_spellings_stay_clean() {
    let corpus = corpus();
    let cases = cases("equivalent.tsv");
    let problems = corpus.each(&cases, |case, code, json| {
        (code != Some(0)).then(|| format!("{}: exit {code:?}: {}", case[0], json["findings"]))
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
