//! Connections and the local cluster against real PostgreSQL servers: the shared test server,
//! plus dedicated clusters for TLS, password authentication and the cluster lifecycle.

mod common;

use schema::db::{Env, Target};
use schema::local::{LocalCluster, LocalStatus};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(3);
const SECRET: &str = "hunter2-secret";

fn connect(url: &str) -> Result<postgres::Client, String> {
    Target::parse(url, None, TIMEOUT).and_then(|t| t.connect()).map_err(|e| e.to_string())
}

fn connect_err(url: &str) -> String {
    match connect(url) {
        Ok(_) => panic!("connecting to {url} should fail"),
        Err(e) => e,
    }
}

/// The error shape every failure must have: one line, leading with what failed, no password.
fn assert_error(err: &str, starts: &str, contains: &str) {
    assert!(err.starts_with(starts), "expected `{starts}…`, got: {err}");
    assert!(err.contains(contains), "expected `{contains}` in: {err}");
    assert!(!err.contains(SECRET), "password leaked: {err}");
    assert!(!err.contains('\n'), "not one line: {err}");
}

fn query_one(client: &mut postgres::Client, sql: &str) -> String {
    client.query_one(sql, &[]).unwrap().get(0)
}

fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.query_pairs_mut().append_pair(key, value);
    url.to_string()
}

/// A cluster owned by one test, stopped even if the test panics.
struct Cluster {
    cluster: LocalCluster,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn new() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        Cluster { cluster: LocalCluster::new(dir.path()), dir }
    }

    fn port(&self) -> u16 {
        match self.cluster.status() {
            LocalStatus::Running { port, .. } => port,
            other => panic!("cluster not running: {other:?}"),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.cluster.stop();
    }
}

#[test]
fn local_cluster_lifecycle() {
    let c = Cluster::new();
    assert_eq!(c.cluster.status(), LocalStatus::NotCreated);
    assert_eq!(c.cluster.url(), None);

    let url = c.cluster.start().unwrap();
    let port = c.port();
    let passfile = c.dir.path().canonicalize().unwrap().join("pgpass");
    let passfile = url::form_urlencoded::byte_serialize(passfile.to_str().unwrap().as_bytes()).collect::<String>();
    assert_eq!(url, format!("postgres://postgres@127.0.0.1:{port}/postgres?passfile={passfile}"));
    assert_eq!(c.cluster.status(), LocalStatus::Running { port, url: url.clone() });
    assert_eq!(query_one(&mut connect(&url).unwrap(), "SELECT 'ok'::text"), "ok");
    assert_eq!(c.cluster.start().unwrap(), url, "second start returns the same URL");

    c.cluster.stop().unwrap();
    assert_eq!(c.cluster.status(), LocalStatus::Stopped);
    assert_eq!(c.cluster.url(), None);
    c.cluster.stop().unwrap();
    assert_eq!(c.cluster.start().unwrap(), url, "restart reuses the recorded port");
}

/// The local cluster takes no connection without its password (scram-sha-256): not on
/// 127.0.0.1, not on its socket, and no other user of the machine can read the password file.
fn only_the_password_opens(c: &Cluster, url: &str) {
    use std::os::unix::fs::PermissionsExt;
    let pgpass = c.dir.path().join("pgpass");
    assert_eq!(std::fs::metadata(&pgpass).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(query_one(&mut connect(url).unwrap(), "SELECT current_user::text"), "postgres");
    let port = c.port();
    let socket = c.dir.path().canonicalize().unwrap();
    for without in [
        format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        format!("postgres://postgres@localhost:{port}/postgres?host={}", socket.display()),
        format!("postgres://postgres:wrong@127.0.0.1:{port}/postgres"),
    ] {
        let err = connect_err(&without);
        assert!(err.contains("password"), "{without}: {err}");
    }
    let hba = std::fs::read_to_string(c.dir.path().join("data/pg_hba.conf")).unwrap();
    let rules: Vec<&str> = hba.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).collect();
    assert!(!rules.is_empty() && rules.iter().all(|l| l.ends_with("scram-sha-256")), "{hba}");
}

#[test]
fn the_local_cluster_takes_only_its_password() {
    let c = Cluster::new();
    let url = c.cluster.start().unwrap();
    only_the_password_opens(&c, &url);
    assert!(!c.dir.path().join("initdb-password").exists());
}

/// A cluster an older version made with trust authentication gets a password when it starts.
#[test]
fn a_trust_cluster_from_an_older_version_gets_a_password() {
    let c = Cluster::new();
    c.cluster.start().unwrap();
    c.cluster.stop().unwrap();
    let trust = "local all all trust\nhost all all 127.0.0.1/32 trust\n";
    std::fs::write(c.dir.path().join("data/pg_hba.conf"), trust).unwrap();
    std::fs::remove_file(c.dir.path().join("pgpass")).unwrap();
    let url = c.cluster.start().unwrap();
    only_the_password_opens(&c, &url);
}

#[test]
fn concurrent_starts_create_one_cluster() {
    let c = Cluster::new();
    let urls: Vec<String> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..2).map(|_| s.spawn(|| c.cluster.start())).collect();
        starts.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
    });
    assert_eq!(urls[0], urls[1]);
    assert_eq!(query_one(&mut connect(&urls[0]).unwrap(), "SELECT 'ok'::text"), "ok");
}

#[test]
fn fresh_databases_are_distinct_and_usable_from_many_threads() {
    let names: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let url = common::fresh_database();
                    let mut client = connect(&url).unwrap();
                    client.batch_execute("CREATE TABLE t (id int)").unwrap();
                    query_one(&mut client, "SELECT current_database()::text")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
}

#[test]
fn connects_with_sslmode_disable_and_sets_application_name() {
    let url = with_param(&common::fresh_database(), "sslmode", "disable");
    let mut client = connect(&url).unwrap();
    assert_eq!(query_one(&mut client, "SHOW application_name"), "schema");
    let target = Target::parse(&url, None, TIMEOUT).unwrap();
    let mut other = target.with_database("postgres").connect().unwrap();
    assert_eq!(query_one(&mut other, "SELECT current_database()::text"), "postgres");
}

#[test]
fn refused_port_fails_fast() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let err = connect_err(&format!("postgres://app:{SECRET}@127.0.0.1:{port}/db?sslmode=disable"));
    assert_error(&err, &format!("cannot connect to postgres://app:***@127.0.0.1:{port}/db"), "refused");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn silent_server_times_out() {
    // Accepted by the kernel's backlog but never answered: the black hole that TCP-level
    // timeouts miss.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let err = connect_err(&format!("postgres://app:{SECRET}@127.0.0.1:{port}/db?connect_timeout=1"));
    assert_error(&err, "cannot connect to postgres://app:***@", "timed out after 1s");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn malformed_url_is_rejected_without_the_password() {
    let err =
        Target::parse(&format!("postgres://app:{SECRET}@host:notaport/db"), None, TIMEOUT).unwrap_err().to_string();
    assert_error(&err, "invalid database URL postgres://app:***@host:notaport/db", "invalid port");
}

/// A CA and a leaf for localhost/127.0.0.1 signed by it (rustls rejects a CA used as a leaf).
fn make_certs(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509", "-days", "2", "-subj", "/CN=schema test CA"],
            &ec[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        ]
        .concat(),
    );
    openssl(&[&["req", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"], &ec[..]].concat());
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        "2",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        "-out",
        "server.pem",
    ]);
}

#[test]
fn tls_and_password_authentication() {
    let c = Cluster::new();
    let dir = c.dir.path();
    let mut admin = connect(&c.cluster.start().unwrap()).unwrap();
    let port = c.port();

    // Phase 1, a server without TLS: `require` must not fall back to plaintext.
    let err = connect_err(&format!("postgres://app:{SECRET}@127.0.0.1:{port}/postgres?sslmode=require"));
    assert_error(
        &err,
        &format!("cannot connect to postgres://app:***@127.0.0.1:{port}/postgres?sslmode=require: "),
        "server does not support TLS (sslmode=require)",
    );

    // Phase 2: TLS on, and a SCRAM password for `app` (trust everywhere else).
    make_certs(dir);
    std::fs::write(
        dir.join("hba.conf"),
        "host all app 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\nlocal all all trust\n",
    )
    .unwrap();
    std::fs::set_permissions(dir.join("server.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let d = dir.display();
    // One statement per call: ALTER SYSTEM refuses to run inside a multi-statement batch.
    for sql in [
        format!("CREATE ROLE app LOGIN PASSWORD '{SECRET}'"),
        "ALTER SYSTEM SET ssl = on".into(),
        format!("ALTER SYSTEM SET ssl_cert_file = '{d}/server.pem'"),
        format!("ALTER SYSTEM SET ssl_key_file = '{d}/server.key'"),
        format!("ALTER SYSTEM SET hba_file = '{d}/hba.conf'"),
    ] {
        admin.batch_execute(&sql).unwrap();
    }
    drop(admin);
    c.cluster.stop().unwrap();
    // As root, start() hands the whole directory (key included) to the postgres user.
    c.cluster.start().unwrap();
    let port = c.port();
    let base = format!("postgres://app:{SECRET}@127.0.0.1:{port}/postgres");
    let ca = format!("sslrootcert={d}/ca.pem");

    let err = connect_err(&format!("postgres://app:wrong-{SECRET}@127.0.0.1:{port}/postgres?sslmode=disable"));
    assert_error(&err, "cannot connect to postgres://app:***@", "password authentication failed for user \"app\"");
    let err = connect_err(&format!("postgres://app@127.0.0.1:{port}/postgres?sslmode=disable&password=wrong-{SECRET}"));
    // A password in the query shows, masked, where the user's goes.
    assert_error(&err, "cannot connect to postgres://app:***@", "password authentication failed");

    let ssl_in_use = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let mut client = connect(&format!("{base}?sslmode=verify-full&{ca}")).unwrap();
    assert_eq!(query_one(&mut client, ssl_in_use), "true");
    connect(&format!("{base}?sslmode=require&{ca}")).unwrap();
    // libpq's `prefer` encrypts without checking the certificate.
    assert_eq!(query_one(&mut connect(&base).unwrap(), ssl_in_use), "true");

    for mode in ["require", "verify-ca", "verify-full"] {
        let err = connect_err(&format!("{base}?sslmode={mode}"));
        assert_error(&err, "cannot connect to postgres://app:***@", "invalid peer certificate: UnknownIssuer");
        assert!(err.ends_with(&format!("(sslmode={mode})")), "{err}");
    }

    // Name the server `wrong.invalid` but reach it via hostaddr: only verify-ca accepts that.
    let renamed = format!("postgres://app:{SECRET}@wrong.invalid:{port}/postgres?hostaddr=127.0.0.1&{ca}");
    connect(&format!("{renamed}&sslmode=verify-ca")).unwrap();
    let err = connect_err(&format!("{renamed}&sslmode=verify-full"));
    assert_error(
        &err,
        "cannot connect to postgres://app:***@wrong.invalid",
        "certificate not valid for name \"wrong.invalid\"",
    );

    let err = connect_err(&format!("{base}?sslmode=verify-full&sslrootcert={d}/missing.pem"));
    assert_error(&err, "cannot connect to postgres://app:***@", "cannot read sslrootcert");

    // libpq's ways to give the password, against a server that checks it.
    let resolve = |text: Option<&str>, env: &[(&str, &str)]| {
        Target::resolve(text, &Env::from_pairs(env.iter().copied()), None, Duration::from_secs(5))
            .and_then(|t| t.connect())
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let pairs = format!("host=127.0.0.1 port={port} user=app dbname=postgres sslmode=disable");
    let err = resolve(Some(&pairs), &[]).unwrap_err();
    assert!(err.contains("password"), "without a password the server refuses: {err}");
    resolve(Some(&pairs), &[("PGPASSWORD", SECRET)]).unwrap();
    let quoted = format!("host=127.0.0.1 port={port} user=app dbname=postgres sslmode=disable password='{SECRET}'");
    resolve(Some(&quoted), &[]).unwrap();
    let port_text = port.to_string();
    let everything_from_env = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port_text.as_str()),
        ("PGUSER", "app"),
        ("PGDATABASE", "postgres"),
        ("PGSSLMODE", "disable"),
        ("PGPASSWORD", SECRET),
    ];
    resolve(None, &everything_from_env).unwrap();
    let pgpass = dir.join("pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:{port}:*:app:{SECRET}\n")).unwrap();
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let pgpass_text = pgpass.to_string_lossy().into_owned();
    resolve(Some(&pairs), &[("PGPASSFILE", pgpass_text.as_str())]).unwrap();

    // The binary: the password from the environment works and is never printed.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schema"))
        .args(["--project", env!("CARGO_MANIFEST_DIR"), "--database-url", &pairs, "status"])
        .env("PGPASSWORD", SECRET)
        .env_remove("CI")
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains(&format!("database: postgres://app:***@127.0.0.1:{port}/postgres?sslmode=disable")), "{all}");
    assert!(!all.contains(SECRET), "{all}");
}

#[test]
fn a_short_password_is_masked_without_garbling_the_message() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = connect_err(&format!("postgres://app:e@127.0.0.1:{port}/db?sslmode=disable"));
    assert_error(&err, &format!("cannot connect to postgres://app:***@127.0.0.1:{port}/db"), "Connection refused");
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|e| if e.path().is_dir() { files(&e.path()) } else { vec![e.path()] })
        .collect()
}

#[test]
fn local_start_never_hands_the_folder_to_a_shell() {
    let tmp = tempfile::tempdir().unwrap();
    // Traversable, so the `postgres` OS user reaches the cluster when the tests run as root.
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let dir = tmp.path().join("proj`touch pwned` $HOME \"q\"");
    let cluster = LocalCluster::new(&dir);
    let started = cluster.start();
    let pwned: Vec<_> = files(tmp.path()).into_iter().filter(|p| p.ends_with("pwned")).collect();
    let url = started.unwrap_or_else(|e| panic!("start failed: {e}"));
    assert_eq!(query_one(&mut connect(&url).unwrap(), "SELECT 'ok'::text"), "ok");
    cluster.stop().unwrap();
    assert!(pwned.is_empty(), "the folder name ran as a command: {pwned:?}");
}

/// A live process that is not a postmaster, owned by the user the server runs as.
fn unrelated_process() -> std::process::Child {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, "postgres"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().unwrap()
    };
    let mut sleep = Command::new("sleep");
    sleep.arg("60");
    if Command::new("id").arg("-u").output().unwrap().stdout.starts_with(b"0\n") {
        std::os::unix::process::CommandExt::uid(&mut sleep, id("-u"));
        std::os::unix::process::CommandExt::gid(&mut sleep, id("-g"));
    }
    sleep.spawn().unwrap()
}

#[test]
fn a_stale_pid_file_reads_as_stopped_and_start_recovers() {
    let c = Cluster::new();
    let url = c.cluster.start().unwrap();
    let pid_file = c.dir.path().join("data/postmaster.pid");
    let contents = std::fs::read_to_string(&pid_file).unwrap();
    c.cluster.stop().unwrap();
    // The server died without removing its pid file, and the PID went to another process.
    let mut other = unrelated_process();
    let rest: Vec<&str> = contents.lines().skip(1).collect();
    std::fs::write(&pid_file, format!("{}\n{}\n", other.id(), rest.join("\n"))).unwrap();

    assert_eq!(c.cluster.status(), LocalStatus::Stopped);
    let started = Instant::now();
    c.cluster.stop().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(c.cluster.start().unwrap(), url);
    assert_eq!(query_one(&mut connect(&url).unwrap(), "SELECT 'ok'::text"), "ok");
    other.kill().unwrap();
    other.wait().unwrap();
}
