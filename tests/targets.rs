//! Which database the binary uses: only one something names (never a silent local cluster),
//! named on stderr with the password masked, targets from schema.yaml, CI strictness, and the
//! timeouts a deploy window needs. Real PostgreSQL (see common/).

mod common;

use common::{fresh_database, psql, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The shipped project in a temp folder, with `targets` as its schema.yaml's targets section.
fn project(targets: &str) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = common::shipped_project();
    let yaml = std::fs::read_to_string(root.join("schema/schema.yaml")).unwrap();
    let settings = &yaml[..yaml.find("# Where the project deploys").expect("shipped targets section")];
    std::fs::write(root.join("schema/schema.yaml"), format!("{settings}{targets}")).unwrap();
    (tmp, root)
}

/// The binary in a clean environment: no CI, DATABASE_URL, SCHEMA_TARGET or PG* variables
/// but those given.
fn run(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schema"));
    cmd.arg("--project").arg(root).args(args);
    for (key, _) in std::env::vars() {
        if key == "CI" || key == "DATABASE_URL" || key == "SCHEMA_TARGET" || key.starts_with("PG") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn no_named_database_is_an_error_and_starts_nothing() {
    let (_tmp, root) = project("");
    for env in [vec![], vec![("CI", "true")]] {
        let out = run(&root, &["migrate"], &env);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(stderr(&out).contains("no database named: pass --target NAME"), "{}", text(&out));
    }
    assert!(!root.join(".schema").exists(), "no local cluster was created");
    // A services container's PG* variables do not stand in for a missing secret in CI.
    let out = run(&root, &["migrate"], &[("CI", "true"), ("PGHOST", "127.0.0.1"), ("PGPORT", "1")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("the PG* variables alone are not used in CI"), "{}", text(&out));
}

#[test]
fn a_default_target_is_used_interactively_but_not_in_ci() {
    let url = fresh_database();
    let (_tmp, root) = project("default_target: staging\ntargets:\n  staging:\n    url_env: STAGING_URL\n");
    let out = run(&root, &["migrate"], &[("STAGING_URL", &url)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let first = stderr(&out).lines().next().unwrap_or_default().to_string();
    assert!(
        first.starts_with("database: postgres://") && first.ends_with("(postgres, default target staging)"),
        "{first}"
    );

    let out = run(&root, &["migrate"], &[("STAGING_URL", &url), ("CI", "true")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("CI is set and no database was named"), "{}", text(&out));
    assert!(stderr(&out).contains("the default target `staging` is for interactive use only"), "{}", text(&out));
    // Named, it works in CI too.
    for (args, env) in [
        (vec!["--target", "staging", "status"], vec![("CI", "true"), ("STAGING_URL", url.as_str())]),
        (vec!["status"], vec![("CI", "true"), ("STAGING_URL", url.as_str()), ("SCHEMA_TARGET", "staging")]),
        (vec!["status"], vec![("CI", "true"), ("DATABASE_URL", url.as_str())]),
    ] {
        let out = run(&root, &args, &env);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }
}

#[test]
fn targets_expand_variables_and_never_print_the_password() {
    let database = fresh_database();
    let url = url::Url::parse(&database).unwrap();
    let (host, port, db) = (url.host_str().unwrap(), url.port().unwrap().to_string(), &url.path()[1..]);
    let targets = format!(
        "targets:\n  deploy:\n    url: postgres://${{DB_USER}}@${{DB_HOST}}:{port}/{db}\n    sslmode: disable\n    \
         password_command: [sh, -c, 'printf %s \"$SECRET_FROM_VAULT\"']\n"
    );
    let (_tmp, root) = project(&targets);
    // The server checks the password: the vault gives the real one.
    let secret = common::password(&database);
    let env = [("DB_USER", "postgres"), ("DB_HOST", host), ("SECRET_FROM_VAULT", secret.as_str())];
    let out = run(&root, &["--target", "deploy", "migrate"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!("database: postgres://postgres:***@{host}:{port}/{db}?sslmode=disable")),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains(&secret), "{}", text(&out));

    let out = run(&root, &["--target", "deploy", "status"], &env[..1]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("target deploy: ${DB_HOST} is not set"), "{}", text(&out));
    let out = run(&root, &["--target", "deplyo", "status"], &env);
    assert!(
        stderr(&out).contains("no target `deplyo` in schema.yaml (targets: deploy); did you mean `deploy`?"),
        "{}",
        text(&out)
    );
}

#[test]
fn schema_yaml_refuses_literal_passwords_and_malformed_targets() {
    for (targets, expected) in [
        ("targets:\n  prod:\n    url: postgres://u:hunter2@h/db\n", "a password in schema.yaml would be committed"),
        ("targets:\n  prod:\n    url: host=h password=hunter2\n", "a password in schema.yaml would be committed"),
        ("targets:\n  prod:\n    url: postgres://u@${HOST/db\n", "without its"),
        ("targets:\n  prod:\n    local: true\n    url: postgres://h/db\n", "exactly one of"),
        ("targets:\n  prod:\n    url_env: X\n    lock_timeout: soon\n", "not a duration"),
        ("targets:\n  prod:\n    url_env: X\n    sslmode: allow\n", "unknown sslmode `allow`"),
        ("targets:\n  prod:\n    url_env: X\n    dialect: mysql\n", "mysql"),
        ("targets:\n  prod:\n    url_env: X\n    timeout: 3\n", "timeout"),
        ("default_target: prd\ntargets:\n  prod:\n    url_env: X\n", "did you mean `prod`"),
    ] {
        let (_tmp, root) = project(targets);
        let out = run(&root, &["check"], &[]);
        assert_eq!(out.status.code(), Some(2), "{targets}: {}", text(&out));
        let err = stderr(&out);
        assert!(err.contains("schema.yaml:") && err.contains(expected), "{targets}: {err}");
        assert!(!err.contains("hunter2") || !err.contains("error: a password"), "{err}");
    }
    let url = "postgres://u:${PW}@h/db";
    let (_tmp, root) = project(&format!("targets:\n  prod:\n    url: {url}\n"));
    assert_eq!(run(&root, &["check"], &[]).status.code(), Some(0), "a password from a variable is fine");
}

#[test]
fn a_migrate_blocked_by_a_lock_gives_up_after_the_lock_timeout() {
    let url = fresh_database();
    let (_tmp, root) = project("");
    let out = run(&root, &["--database-url", &url, "migrate"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A new column on a table a long-running reader holds.
    let table = root.join("schema/tables/chat_sessions.yaml");
    let yaml = std::fs::read_to_string(&table).unwrap();
    let yaml = yaml.replacen("\nindexes:\n", "\n  - name: blocked_probe\n    type: integer\nindexes:\n", 1);
    std::fs::write(&table, yaml).unwrap();
    let out = run(&root, &["generate", "--name", "probe"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let target = schema::db::Target::parse(&url, None, Duration::from_secs(5)).unwrap();
    let mut reader = target.connect().unwrap();
    reader.batch_execute("BEGIN; LOCK TABLE analytics.chat_sessions IN ACCESS SHARE MODE").unwrap();
    let started = Instant::now();
    let out = run(&root, &["--database-url", &url, "migrate", "--lock-timeout", "1s"], &[]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("lock timeout"), "{}", text(&out));
    assert!(took < Duration::from_secs(20), "gave up after {took:?}");
    reader.batch_execute("ROLLBACK").unwrap();
    let applied = psql(&url, "SELECT count(*) FROM analytics.refinery_schema_history");
    assert_eq!(applied.trim(), "2", "the blocked migration left no history row");

    // The target's setting applies when no flag is given, and the flag wins over it.
    let settings = |lock: &str| {
        let t = target.with_session(
            schema::driver(schema::Dialect::Postgres)
                .timeouts(schema::model::targets::parse_duration(lock).unwrap(), Duration::from_secs(7200)),
        );
        let mut c = t.connect().unwrap();
        let show = |c: &mut postgres::Client, what: &str| {
            c.query_one(&format!("SHOW {what}"), &[]).unwrap().get::<_, String>(0)
        };
        (show(&mut c, "lock_timeout"), show(&mut c, "statement_timeout"))
    };
    assert_eq!(settings("30s"), ("30s".to_string(), "2h".to_string()));
}

#[test]
fn local_url_names_the_project_database() {
    let (_tmp, root) = project("");
    let start = run(&root, &["local", "start"], &[]);
    let url = run(&root, &["local", "url"], &[]);
    let used = run(&root, &["--local", "status"], &[]);
    let _ = run(&root, &["local", "stop"], &[]);
    assert_eq!(start.status.code(), Some(0), "{}", text(&start));
    let printed = String::from_utf8_lossy(&url.stdout).trim().to_string();
    // It holds no password: it names the file that does, as libpq (psql) reads it.
    assert!(printed.contains("/chat_analytics?passfile=") && printed.ends_with("/.schema/local/pgpass"), "{printed}");
    assert_eq!(String::from_utf8_lossy(&start.stdout).trim(), printed);
    assert!(stderr(&used).contains(&format!("database: {printed} (postgres, local)")), "{}", text(&used));
}

/// No spelling of a password reaches the terminal: a URL or key=value string given where a
/// target name belongs, a password under any key holding `pass` or `pwd` in an invalid URL, and
/// whatever a `password_command` writes on stderr, when it fails and when it succeeds.
#[test]
fn secrets_are_never_echoed() {
    let secret = "hunter2secret";
    let (_tmp, root) = project(
        "targets:\n  noisy:\n    url: postgres://deploy@127.0.0.1:1/x\n    password_command: [sh, -c, 'echo hunter2secret >&2; exit 3']\n  \
         chatty:\n    url: postgres://deploy@127.0.0.1:1/x\n    connect_timeout: 1s\n    password_command: [sh, -c, 'echo hunter2secret-debug >&2; echo pw']\n",
    );
    let refused_quietly = |args: &[&str], env: &[(&str, &str)]| {
        let out = run(&root, args, env);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {}", text(&out));
        assert!(!text(&out).contains(secret), "{args:?} {env:?}: {}", text(&out));
    };
    for given in ["postgres://deploy:hunter2secret@db/x", "host=db user=deploy password=hunter2secret dbname=x"] {
        refused_quietly(&["--target", given, "status"], &[]);
        refused_quietly(&["status"], &[("SCHEMA_TARGET", given)]);
    }
    for url in [
        "postgres://u@h/db?PASSWORD=hunter2secret&nosuch=1",
        "postgres://u@h/db?pwd=hunter2secret",
        "postgres://u@h/db?passwd=hunter2secret",
        "postgres://u@h/db?Password=hunter2secret&sslmode=x",
        "postgres://u@h:x/db?db_Pass=hunter2secret",
        "host=h PWD=hunter2secret sslmode=x",
    ] {
        refused_quietly(&["--database-url", url, "status"], &[]);
    }
    refused_quietly(&["--target", "noisy", "status"], &[]);
    refused_quietly(&["--target", "chatty", "status"], &[]);
    let out = run(&root, &["--target", "postgres://deploy:hunter2secret@db/x", "status"], &[]);
    assert!(stderr(&out).contains("--target takes a target name"), "{}", text(&out));
    let out = run(&root, &["--target", "noisy", "status"], &[]);
    assert!(stderr(&out).contains("password_command `sh` failed with exit code 3"), "{}", text(&out));
}
