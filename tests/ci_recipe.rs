//! Keeps docs/ci.md from rotting: its GitHub Actions workflow (the page's first ```yaml block)
//! runs here. Every `run:` script of every job, jobs and steps in the order written, runs under
//! `bash -euo pipefail -c` in a copy of the shipped project, with `CI=true` and the binary under
//! test first on PATH as `schema`.
//!
//! What differs from GitHub, on purpose:
//! - Steps without `run:` (actions: checkout, caches, AWS credentials, the PR comment, the JUnit
//!   upload) have nothing to run; steps whose script starts with `cargo install` are skipped,
//!   as the binary is already built. `if:` conditions are not evaluated: every job runs.
//! - `staging` is a fresh PostgreSQL database, given as STAGING_DATABASE_URL like the secret.
//! - `prod` is Redshift with its password from the AWS CLI, which cannot run here. The copy's
//!   schema.yaml redefines target `prod` as a second fresh PostgreSQL database (url_env
//!   PROD_DATABASE_URL, dialect postgres), so the scripts run verbatim, `--target prod`
//!   included; they apply the PostgreSQL migrations, not the Redshift ones.
//! - Services are not started. The pull-request job's dev database (`DEV_DATABASE_URL`, a
//!   PostgreSQL service container on GitHub) is a database on the test server, where
//!   `check --dev-url` creates and drops its scratch databases.
//! - The databases hold no rows, so `validate` passes (every check holds on empty tables).

mod common;

use common::{fresh_database, psql, text};
use serde_yaml::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The variable the pull-request job passes to `--dev-url`.
const DEV: &str = "DEV_DATABASE_URL";

struct Step {
    job: String,
    name: String,
    script: String,
}

/// The first ```yaml block of docs/ci.md, parsed.
fn workflow() -> Value {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    let start = doc.find("```yaml\n").expect("docs/ci.md has a ```yaml block") + "```yaml\n".len();
    let end = start + doc[start..].find("\n```").expect("the ```yaml block is closed");
    serde_yaml::from_str(&doc[start..end]).unwrap_or_else(|e| panic!("the workflow is not YAML: {e}"))
}

/// The steps to run, in file order (serde_yaml's mappings keep it). Also checks that a job
/// naming a target declares the secret that target reads, as the tests cannot see secrets.
fn steps(workflow: &Value) -> Vec<Step> {
    let jobs = workflow["jobs"].as_mapping().expect("`jobs:` is a mapping");
    let mut steps = vec![];
    for (job, body) in jobs {
        let job = job.as_str().expect("job names are strings");
        for (i, step) in body["steps"].as_sequence().expect("every job has `steps:`").iter().enumerate() {
            let Some(script) = step.get("run").and_then(Value::as_str) else { continue };
            for (target, secret) in [("staging", "STAGING_DATABASE_URL"), ("prod", "REDSHIFT_HOST")] {
                if script.contains(&format!("--target {target}")) {
                    assert!(body["env"].get(secret).is_some(), "job {job} uses {target} without `env: {secret}`");
                }
            }
            // The dev database is the job's own service container, named in the job's env.
            if script.contains("--dev-url") {
                let url = body["env"][DEV].as_str().unwrap_or_default();
                assert!(url.contains("@localhost:"), "job {job} uses --dev-url without `env: {DEV}` on localhost");
                assert!(body["services"].as_mapping().is_some_and(|s| !s.is_empty()), "job {job}: no `services:`");
            }
            if script.trim_start().starts_with("cargo install") {
                continue;
            }
            let name = step.get("name").and_then(Value::as_str).map_or(format!("step {}", i + 1), str::to_string);
            steps.push(Step { job: job.to_string(), name, script: script.to_string() });
        }
    }
    steps
}

/// schema/ and migrations/ in a temp folder, with target `prod` redefined (see above).
fn project() -> tempfile::TempDir {
    let (tmp, _) = common::shipped_project();
    let path = tmp.path().join("schema/schema.yaml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    let start = yaml.find("\n  prod:\n").expect("schema.yaml has a target `prod`") + 1;
    // The block ends at the first line indented less than its settings.
    let body: usize =
        yaml[start..].split_inclusive('\n').skip(1).take_while(|l| l.starts_with("    ")).map(str::len).sum();
    let end = start + "  prod:\n".len() + body;
    let prod = "  prod:\n    url_env: PROD_DATABASE_URL\n    dialect: postgres\n";
    std::fs::write(&path, format!("{}{prod}{}", &yaml[..start], &yaml[end..])).unwrap();
    tmp
}

/// One script as the runner would run it: no database named by the caller's environment.
fn run(dir: &Path, script: &str, env: &[(&str, &str)]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_schema")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", script]).current_dir(dir);
    for (key, _) in std::env::vars() {
        if key == "DATABASE_URL" || key == "SCHEMA_TARGET" || key.starts_with("PG") {
            cmd.env_remove(key);
        }
    }
    cmd.env("PATH", path).env("CI", "true").envs(env.iter().copied()).output().unwrap()
}

#[test]
fn the_documented_workflow_runs() {
    let steps = steps(&workflow());
    // The gates the page describes are steps of the workflow, not only prose.
    for gate in [
        "schema check --dev-url \"$DEV_DATABASE_URL\"",
        "schema generate --check",
        "schema plan --target staging --format markdown",
        "schema migrate --target staging",
        "schema refresh --target staging",
        "schema migrate --target prod",
        "schema refresh --target prod",
        "schema diff --target prod --format github",
        "schema validate --target prod --samples 5 --format junit > validate.xml",
    ] {
        assert!(steps.iter().any(|s| s.script.contains(gate)), "no step of docs/ci.md runs `{gate}`");
    }

    let dir = project();
    let (staging, prod, dev) = (fresh_database(), fresh_database(), fresh_database());
    let env = [("STAGING_DATABASE_URL", staging.as_str()), ("PROD_DATABASE_URL", prod.as_str()), (DEV, dev.as_str())];
    // Every step runs even after one fails, so one report names all that broke.
    let mut problems = vec![];
    for step in &steps {
        let out = run(dir.path(), &step.script, &env);
        eprintln!("{} / {}: exit {:?}", step.job, step.name, out.status.code());
        let step_name = format!("{} / {} (`{}`)", step.job, step.name, step.script.trim());
        if !out.status.success() {
            problems.push(format!("{step_name}: exit {:?}\n{}", out.status.code(), text(&out)));
            continue;
        }
        // The stand-ins were used because the step named them, not through a fallback.
        for target in ["staging", "prod"] {
            let named = format!("(postgres, target {target})");
            if step.script.contains(&format!("--target {target}")) && !text(&out).contains(&named) {
                problems.push(format!("{step_name}: no `database: ... {named}` line\n{}", text(&out)));
            }
        }
        // The dev database step applied the history of both dialects, not nothing.
        if step.script.contains("--dev-url") {
            for dialect in ["postgres", "redshift"] {
                if !text(&out).contains(&format!("proven: {dialect}: ")) {
                    problems.push(format!("{step_name}: nothing proven for {dialect}\n{}", text(&out)));
                }
            }
        }
    }
    let scratch = "SELECT count(*) FROM pg_database WHERE datname LIKE 'schema_dev_%'";
    if psql(&dev, scratch) != "0" {
        problems.push("the dev database step left scratch databases behind".into());
    }

    let junit = std::fs::read_to_string(dir.path().join("validate.xml")).unwrap_or_default();
    let is_xml =
        junit.starts_with("<?xml") && junit.contains("<testsuite ") && junit.trim_end().ends_with("</testsuites>");
    if !is_xml {
        problems.push(format!("validate.xml is not the JUnit report:\n{junit}"));
    }

    // The generate gate really runs and really gates: a YAML edit without a migration fails it.
    let table = dir.path().join("schema/tables/chat_sessions.yaml");
    let yaml = std::fs::read_to_string(&table).unwrap();
    let edited = yaml.replacen("\nindexes:\n", "\n  - name: ci_probe\n    type: integer\nindexes:\n", 1);
    assert_ne!(edited, yaml, "chat_sessions.yaml has no `indexes:` to add a column before");
    std::fs::write(&table, edited).unwrap();
    let gate = steps.iter().find(|s| s.script.contains("schema generate --check")).unwrap();
    let out = run(dir.path(), &gate.script, &env);
    if out.status.code() != Some(1) || !text(&out).contains("ci_probe") {
        problems.push(format!(
            "`{}` after a YAML edit: exit {:?}, expected 1\n{}",
            gate.script,
            out.status.code(),
            text(&out)
        ));
    }

    // The dev database gate really gates: a view body reading a column its table does not have
    // passes `schema check` alone, and fails on the dev database.
    let view = dir.path().join("schema/views/mv_web_search_statistics.yaml");
    let yaml = std::fs::read_to_string(&view).unwrap();
    let edited = yaml.replacen("SUM(num_results)", "SUM(result_count)", 1);
    assert_ne!(edited, yaml, "mv_web_search_statistics.yaml no longer sums num_results");
    std::fs::write(&view, edited).unwrap();
    let gate = steps.iter().find(|s| s.script.contains("--dev-url")).unwrap();
    let out = run(dir.path(), &gate.script, &env);
    let said = text(&out);
    if out.status.code() != Some(2) || !said.contains("column \"result_count\" does not exist") {
        problems.push(format!("`{}` after a view edit: exit {:?}, expected 2\n{said}", gate.script, out.status.code()));
    }
    if run(dir.path(), "schema check", &env).status.code() != Some(0) {
        problems.push(
            "`schema check` without a database refused the view edit: the dev-database probe proves nothing".into(),
        );
    }
    if psql(&dev, scratch) != "0" {
        problems.push("the failing dev database step left scratch databases behind".into());
    }

    assert!(problems.is_empty(), "docs/ci.md's workflow failed here:\n\n{}", problems.join("\n\n"));
}
