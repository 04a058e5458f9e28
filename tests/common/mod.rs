//! Test databases against real PostgreSQL: one fresh, empty database per test, on the server
//! in TEST_DATABASE_URL or on a throwaway cluster started once per test binary.
#![allow(dead_code)] // each test binary uses its own subset

pub mod catalog_rows;
pub mod redshift;
pub mod rng;

use schema::db::Target;
use schema::local::LocalCluster;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// URL of a new, empty database for one test. Thread-safe.
pub fn fresh_database() -> String {
    // Holds the failure too, so a broken setup fails every test the same way, once.
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = SERVER
        .get_or_init(|| std::env::var("TEST_DATABASE_URL").or_else(|_| start_throwaway_cluster()))
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"));
    let name = format!("t_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let target = Target::parse(server, None, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    let mut client = target.connect().unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = client.batch_execute(&format!("CREATE DATABASE {name}")) {
        let why = e.as_db_error().map_or_else(|| e.to_string(), |db| db.message().to_string());
        panic!("cannot create test database {name}: {why}");
    }
    let mut url = url::Url::parse(server).expect("server URL parsed above");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The password of the server a test URL names: from the password file its `passfile`
/// parameter names (the local cluster's), for tests that give it another way.
pub fn password(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    let file = url.query_pairs().find(|(k, _)| k == "passfile").map(|(_, v)| v.into_owned()).expect("a passfile");
    let text = std::fs::read_to_string(file).unwrap();
    text.trim_end().rsplit(':').next().unwrap().to_string()
}

static CLUSTER_DIR: OnceLock<PathBuf> = OnceLock::new();

extern "C" {
    fn atexit(callback: extern "C" fn()) -> i32;
}

/// Runs at normal process exit (the test harness never drops statics): stop and delete the
/// throwaway cluster.
extern "C" fn stop_throwaway_cluster() {
    if let Some(dir) = CLUSTER_DIR.get() {
        let _ = LocalCluster::new(dir).stop();
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn start_throwaway_cluster() -> Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("schema-test-")
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir: {e}"))?
        .keep();
    CLUSTER_DIR.set(dir.clone()).expect("started once per process");
    // SAFETY: registers a plain extern "C" fn that lives as long as the process.
    unsafe { atexit(stop_throwaway_cluster) };
    watchdog(&dir);
    LocalCluster::new(&dir).start().map_err(|e| format!("cannot start the test cluster: {e}"))
}

/// Backstop for a killed test process (Ctrl-C, timeout), where atexit never runs: a detached
/// shell, in its own process group so Ctrl-C spares it, waits for this process to vanish, then
/// fast-stops the server (SIGINT to the postmaster) and deletes the directory.
fn watchdog(dir: &std::path::Path) {
    let script = r#"
        while kill -0 "$1" 2>/dev/null; do sleep 1; done
        pid=$(head -n 1 "$2/data/postmaster.pid" 2>/dev/null) && kill -INT "$pid" &&
            while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
        rm -rf "$2""#;
    let _ = Command::new("sh")
        .args(["-c", script, "watchdog"])
        .arg(std::process::id().to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}

/// A fresh database with the shipped schema (this repository's) migrated into it.
/// A database with the shipped project migrated and its materialized views refreshed, as the
/// deploy recipe of docs/ci.md leaves it (PostgreSQL creates them empty).
pub fn shipped_database() -> String {
    let url = fresh_database();
    for command in ["migrate", "refresh"] {
        let out = schema(Path::new(env!("CARGO_MANIFEST_DIR")), &url, &[command]);
        assert!(out.status.success(), "{}", text(&out));
    }
    url
}

/// The real binary on a project folder and database.
pub fn schema(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schema"))
        .arg("--project")
        .arg(dir)
        .args(["--database-url", url])
        .args(args)
        .output()
        .unwrap()
}

/// `schema inspect --namespace NS --out DIR`, run from DIR's parent (a folder without a project).
pub fn inspect_into(url: &str, namespace: &str, dir: &Path) -> Output {
    schema(dir.parent().unwrap(), url, &["inspect", "--namespace", namespace, "--out", dir.to_str().unwrap()])
}

/// Generates the project's migrations, applies them to a new empty database and asserts that
/// `diff` is clean there: an adopted project rebuilds what it read. That database's URL.
/// `inspect_into`, which must succeed with no warning: nothing left out or set aside.
pub fn adopt_whole(url: &str, namespace: &str, dir: &Path) {
    let out = inspect_into(url, namespace, dir);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("warning"), "nothing is left out: {}", text(&out));
}

pub fn rebuild(project: &Path) -> String {
    let out = schema(project, "postgres://unused", &["generate"]);
    assert!(out.status.success(), "generate: {}", text(&out));
    let fresh = fresh_database();
    let out = schema(project, &fresh, &["migrate"]);
    assert!(out.status.success(), "migrate: {}", text(&out));
    let out = schema(project, &fresh, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "diff after the rebuild: {}", text(&out));
    fresh
}

/// Stdout then stderr, for assertion messages.
/// A project `app` of these dialects whose tables are `tables` (files `t0.yaml`, `t1.yaml`, ...).
pub fn app_project(dir: &Path, dialects: &str, tables: &[&str]) {
    std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
    std::fs::write(dir.join("schema/schema.yaml"), format!("name: app\nnamespace: app\ndialects: [{dialects}]\n"))
        .unwrap();
    for (i, t) in tables.iter().enumerate() {
        std::fs::write(dir.join(format!("schema/tables/t{i}.yaml")), t).unwrap();
    }
}

/// Runs the plan `diff --sql` prints, then says what is wrong: drift left, or rows lost from
/// `table` (which held one).
pub fn plan_problem(dir: &Path, url: &str, table: &str) -> Option<String> {
    let out = schema(dir, url, &["diff", "--sql"]);
    psql(url, &String::from_utf8_lossy(&out.stdout));
    let out = schema(dir, url, &["diff"]);
    if out.status.code() != Some(0) {
        return Some(format!("after the plan: {}", text(&out)));
    }
    (psql(url, &format!("SELECT count(*) FROM {table}")) != "1").then(|| "the plan lost rows".to_string())
}

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Runs SQL; the rows of its results, columns joined by `|`, rows by newlines.
pub fn psql(url: &str, sql: &str) -> String {
    Db::connect(url).rows(sql)
}

/// One connection for many queries (`psql` connects for each).
pub struct Db(postgres::Client);

impl Db {
    pub fn connect(url: &str) -> Db {
        Db(Target::parse(url, None, Duration::from_secs(5)).unwrap().connect().unwrap())
    }

    /// As `psql`.
    pub fn rows(&mut self, sql: &str) -> String {
        let rows = self.0.simple_query(sql).unwrap_or_else(|e| panic!("{sql}: {}", schema::error::describe(&e)));
        rows.iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).unwrap_or("")).collect::<Vec<_>>().join("|"))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Creates roles unless they exist. Roles belong to the cluster, shared by the tests' databases:
/// whichever test comes first creates them.
pub fn create_roles(url: &str, roles: &[&str]) {
    for role in roles {
        let create = format!("CREATE ROLE \"{role}\"");
        psql(
            url,
            &format!("DO $$ BEGIN {create}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"),
        );
    }
}

/// The shipped project (schema/ and migrations/) in a temp folder, and that folder.
pub fn shipped_project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&shipped.join("schema"), &root.join("schema"));
    copy_dir(&shipped.join("migrations"), &root.join("migrations"));
    (tmp, root)
}

/// `kind object: expected -> actual` of every finding of a `diff --format json` document.
pub fn described(json: &serde_json::Value) -> Vec<String> {
    let said = |v: &serde_json::Value| v.as_str().unwrap_or("nothing").to_string();
    let all = json["findings"].as_array().unwrap().iter();
    all.map(|f| {
        format!("{} {}: {} -> {}", said(&f["kind"]), said(&f["object"]), said(&f["expected"]), said(&f["actual"]))
    })
    .collect()
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            copy_dir(&p, &to.join(p.file_name().unwrap()));
        } else {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// The Python that has sqlfluff: `SCHEMA_PYTHON` (set by `make test` to the Makefile's virtual
/// environment), else that environment if it exists, else `python3`.
pub fn python() -> Command {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python3");
    let program = match std::env::var_os("SCHEMA_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ if venv.exists() => venv,
        _ => PathBuf::from("python3"),
    };
    Command::new(program)
}

/// Runs scripts/lint_sql.py on one file or folder of SQL; the report when something does not parse.
pub fn redshift_grammar_accepts_path(path: &Path) -> Result<(), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lint_sql.py");
    let out = python().arg(script).args(["--dialect", "redshift"]).arg(path).output().expect("python runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// Runs scripts/lint_sql.py (sqlfluff, pinned in requirements-dev.txt) on SQL text.
pub fn redshift_grammar_accepts(sql: &str) -> Result<(), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lint_sql.py");
    let mut child = python()
        .arg(script)
        .args(["--dialect", "redshift", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}
