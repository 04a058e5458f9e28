//! A tool-managed PostgreSQL cluster for development and tests, driven by the installed
//! server's own `initdb`, `postgres` and `pg_ctl`.
//!
//! Layout of `dir`: `data/` (the cluster), `postgres.log`, `port` (last port used, reused when
//! free so the URL stays stable), `lock`, the server's unix socket, and `pgpass`: the superuser's
//! password, generated, in a file only its owner can read. Every connection, on 127.0.0.1 or the
//! socket, must prove it (scram-sha-256), so another user of the machine is no superuser of the
//! cluster (one could run programs as `postgres` with `COPY ... TO PROGRAM`). Its URLs name the
//! file (`passfile`, as libpq reads it), so they hold no secret.

use crate::db::{Target, UNRESERVED};
use percent_encoding::percent_encode;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct LocalCluster {
    dir: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalStatus {
    NotCreated,
    Stopped,
    Running { port: u16, url: String },
}

impl LocalCluster {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        // Absolute, because the server resolves its socket directory from the data dir.
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        LocalCluster { dir }
    }

    /// Create the cluster if needed and start it; returns its URL. Idempotent, and safe to
    /// call from several processes at once.
    pub fn start(&self) -> Result<String, String> {
        fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        // An OS file lock (flock) is released even if its holder dies: no stale lock files.
        let lock_path = self.dir.join("lock");
        let lock = fs::File::create(&lock_path)
            .and_then(|f| f.lock().map(|()| f))
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        if let LocalStatus::Running { url, .. } = self.status() {
            return Ok(url);
        }
        if is_root() {
            // The server runs as `postgres` and writes its log, socket and data in here.
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&self.dir), "chown")?;
            let reachable = Command::new("runuser")
                .args(["-u", "postgres", "--", "test", "-w"])
                .arg(&self.dir)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                return Err(format!(
                    "the `postgres` OS user (PostgreSQL refuses to run as root) cannot reach {}: a parent folder is not traversable by others; run from another folder or `chmod o+x` the parents",
                    self.dir.display()
                ));
            }
        }
        match (self.data().join("PG_VERSION").exists(), self.password()) {
            (false, password) => self.initdb(password)?,
            // A cluster an older version made with trust authentication: from now on, a password.
            (true, None) => {
                let password = generated_password()?;
                self.set_password(&password)?;
                self.write_for_server(&self.data().join("pg_hba.conf"), HBA)?;
                write_private(&self.dir.join("pgpass"), &pgpass(&password))?;
            }
            (true, Some(_)) => {}
        }
        // Left by a server that died; its PID may belong to another process by now, and the
        // server refuses to start while that process lives.
        match fs::remove_file(self.data().join("postmaster.pid")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot remove a stale postmaster.pid: {e}"))
            }
            _ => {}
        }
        let port = self.free_port()?;
        self.spawn_server(port)?;
        fs::write(self.dir.join("port"), port.to_string()).map_err(|e| format!("cannot record port: {e}"))?;
        drop(lock);
        Ok(self.url_at(port))
    }

    /// A new cluster whose superuser has `password` (or a new one), kept in `pgpass` first: a
    /// failed initdb leaves a password the next attempt takes.
    fn initdb(&self, password: Option<String>) -> Result<(), String> {
        let password = match password {
            Some(password) => password,
            None => generated_password()?,
        };
        write_private(&self.dir.join("pgpass"), &pgpass(&password))?;
        let pwfile = self.dir.join("initdb-password");
        self.write_for_server(&pwfile, &password)?;
        let mut initdb = self.tool("initdb");
        initdb.arg("-D").arg(self.data()).arg("--pwfile").arg(&pwfile);
        initdb.args(["-A", "scram-sha-256", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
        let made = run(initdb.arg("--no-instructions"), "initdb");
        let _ = fs::remove_file(&pwfile);
        made
    }

    /// The superuser's password, from `pgpass`.
    fn password(&self) -> Option<String> {
        let text = fs::read_to_string(self.dir.join("pgpass")).ok()?;
        Some(text.trim_end().rsplit(':').next()?.to_string()).filter(|p| !p.is_empty())
    }

    /// A private file the server's user reads (`postgres`, when we are root).
    fn write_for_server(&self, path: &Path, text: &str) -> Result<(), String> {
        write_private(path, text)?;
        if is_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(path), "chown")?;
        }
        Ok(())
    }

    /// Sets the superuser's password in single-user mode, the server stopped. What the backend
    /// says is not shown: it may repeat the statement, password included.
    fn set_password(&self, password: &str) -> Result<(), String> {
        let mut child = self
            .tool("postgres")
            .args(["--single", "-c", "exit_on_error=on", "-D"])
            .arg(self.data())
            .arg("postgres")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", bin("postgres").display()))?;
        let statement = format!("ALTER ROLE postgres PASSWORD '{password}'\n");
        let written = child.stdin.take().map(|mut stdin| stdin.write_all(statement.as_bytes()));
        let status = child.wait().map_err(|e| e.to_string())?;
        match written {
            Some(Ok(())) if status.success() => Ok(()),
            _ => Err(format!("setting the superuser's password in single-user mode failed ({status})")),
        }
    }

    /// Runs `postgres` directly, detached, and waits until it accepts connections. Not through
    /// `pg_ctl start`: it hands the data directory, the log path and its options to /bin/sh, where
    /// a folder named with a backtick or `$(...)` runs as a command.
    fn spawn_server(&self, port: u16) -> Result<(), String> {
        let log_path = self.dir.join("postgres.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let log_tail = || tail(&fs::read_to_string(&log_path).unwrap_or_default());
        let mut cmd = Command::new(bin("postgres"));
        cmd.arg("-D")
            .arg(self.data())
            .args(["-p", &port.to_string(), "-k"])
            .arg(self.socket_dirs())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| format!("cannot open {}: {e}", log_path.display()))?)
            .stderr(log)
            // Its own process group: Ctrl-C in the terminal that started it does not stop it.
            .process_group(0);
        if is_root() {
            let (uid, gid) = postgres_ids()?;
            cmd.uid(uid).gid(gid);
        }
        let mut server = cmd.spawn().map_err(|e| format!("cannot run {}: {e}", bin("postgres").display()))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.ready(server.id()) {
            if let Ok(Some(status)) = server.try_wait() {
                return Err(format!("postgres failed to start ({status}); log: {}", log_tail()));
            }
            if Instant::now() > deadline {
                return Err(format!("postgres did not become ready within 60 s; log: {}", log_tail()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Reaped when it exits, should this process outlive it.
        std::thread::spawn(move || server.wait());
        Ok(())
    }

    /// `unix_socket_directories` for the server: this folder, quoted as that setting's list
    /// syntax requires (a comma would split it); none if the socket path would exceed sun_path's
    /// 108 bytes, rather than fail.
    fn socket_dirs(&self) -> OsString {
        let dir = self.dir.as_os_str().as_bytes();
        if dir.len() + ".s.PGSQL.65535".len() + 1 >= 108 {
            return OsString::new();
        }
        let mut quoted = vec![b'"'];
        for &b in dir {
            quoted.extend(if b == b'"' { &b"\"\""[..] } else { std::slice::from_ref(&b) });
        }
        quoted.push(b'"');
        OsString::from_vec(quoted)
    }

    /// postmaster.pid names `pid` and says `ready` (line 8).
    fn ready(&self, pid: u32) -> bool {
        let pid_file = fs::read_to_string(self.data().join("postmaster.pid")).unwrap_or_default();
        let lines: Vec<&str> = pid_file.lines().map(str::trim).collect();
        lines.first() == Some(&pid.to_string().as_str()) && lines.get(7) == Some(&"ready")
    }

    /// Fast shutdown (open sessions are disconnected). Not running is fine.
    pub fn stop(&self) -> Result<(), String> {
        if !matches!(self.status(), LocalStatus::Running { .. }) {
            return Ok(());
        }
        run(self.tool("pg_ctl").args(["stop", "-w", "-m", "fast", "-D"]).arg(self.data()), "pg_ctl stop")
    }

    pub fn status(&self) -> LocalStatus {
        if !self.data().join("PG_VERSION").exists() {
            return LocalStatus::NotCreated;
        }
        match self.running_port() {
            Some(port) => LocalStatus::Running { port, url: self.url_at(port) },
            None => LocalStatus::Stopped,
        }
    }

    /// The port of this cluster's server, if it runs. A postmaster.pid is no proof: a server
    /// that died leaves it behind, and its PID may since belong to another process. A postmaster
    /// works in its data directory, so the PID's working directory must be this one.
    fn running_port(&self) -> Option<u16> {
        let pid_file = fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        let pid: u32 = pid_file.lines().next()?.trim().parse().ok()?;
        let cwd = fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
        if fs::canonicalize(self.data()).ok()? != cwd {
            return None;
        }
        // Line 4 is the port it listens on.
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    /// A database named after the project on the running cluster, created if missing (several
    /// processes may race to create it; the losers find it created).
    pub fn ensure_database(&self, server: &Target, project: &str) -> Result<Target, String> {
        let name = database_name(project);
        let mut client = server.connect().map_err(|e| e.to_string())?;
        let exists = |c: &mut postgres::Client| {
            c.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).map(|r| r.is_some())
        };
        let describe = |e: postgres::Error| format!("creating database {name}: {}", crate::error::describe(&e));
        if !exists(&mut client).map_err(describe)? {
            if let Err(e) = client.batch_execute(&format!("CREATE DATABASE {}", crate::sql::ident(&name))) {
                if !exists(&mut client).map_err(describe)? {
                    return Err(describe(e));
                }
            }
        }
        Ok(server.with_database(&name))
    }

    /// The server's URL while it runs (its `postgres` database).
    pub fn url(&self) -> Option<String> {
        match self.status() {
            LocalStatus::Running { url, .. } => Some(url),
            _ => None,
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server's `postgres` database on `port`, its password in `pgpass`.
    fn url_at(&self, port: u16) -> String {
        let passfile = self.dir.join("pgpass");
        let passfile = percent_encode(passfile.as_os_str().as_bytes(), UNRESERVED);
        format!("postgres://postgres@127.0.0.1:{port}/postgres?passfile={passfile}")
    }

    /// The recorded port if it is still free, else one the OS picks.
    fn free_port(&self) -> Result<u16, String> {
        let recorded = fs::read_to_string(self.dir.join("port"))
            .ok()
            .and_then(|p| p.trim().parse::<u16>().ok())
            .filter(|&p| TcpListener::bind(("127.0.0.1", p)).is_ok());
        match recorded {
            Some(port) => Ok(port),
            None => TcpListener::bind(("127.0.0.1", 0))
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .map_err(|e| format!("cannot find a free port: {e}")),
        }
    }

    /// A server binary, run as `postgres` when we are root (PostgreSQL refuses root).
    fn tool(&self, name: &str) -> Command {
        let mut cmd = if is_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(bin(name));
            cmd
        } else {
            Command::new(bin(name))
        };
        // A cwd the postgres user can enter (ours may be /root).
        cmd.current_dir(&self.dir);
        cmd
    }
}

/// Authentication of a cluster an older version made with `initdb -A trust`.
const HBA: &str = "# Written by `schema local`: every connection proves the password kept in ../pgpass.
local   all   all                  scram-sha-256
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
";

/// 24 random bytes as hex: a password no one guesses, with no character to quote anywhere.
fn generated_password() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom for a password: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The password file of a cluster: one line for every host, port and database, as the file
/// serves this cluster alone.
fn pgpass(password: &str) -> String {
    format!("*:*:*:postgres:{password}\n")
}

/// Writes a file only its owner can read or write.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut file =
        fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(fail)?;
    file.set_permissions(fs::Permissions::from_mode(0o600)).map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)
}

/// A server binary, from `bindir` if found, else PATH.
fn bin(name: &str) -> PathBuf {
    bindir().map_or_else(|| PathBuf::from(name), |d| d.join(name))
}

/// The uid and gid of the `postgres` OS user, which the server runs as when we are root.
fn postgres_ids() -> Result<(u32, u32), String> {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, "postgres"]).output().ok().filter(|o| o.status.success())?;
        String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().ok()
    };
    id("-u").zip(id("-g")).ok_or_else(|| "no `postgres` OS user to run the server as (it refuses root)".to_string())
}

/// `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin (Debian keeps server
/// binaries off PATH), else None: rely on PATH.
fn bindir() -> Option<&'static Path> {
    static BINDIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    let has_initdb = |d: &Path| d.join("initdb").exists();
    BINDIR
        .get_or_init(|| {
            let pg_config = Command::new("pg_config").arg("--bindir").output().ok();
            pg_config
                .filter(|o| o.status.success())
                .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
                .filter(|d| has_initdb(d))
                .or_else(|| {
                    fs::read_dir("/usr/lib/postgresql")
                        .ok()?
                        .filter_map(|e| {
                            let e = e.ok()?;
                            let version: u32 = e.file_name().to_str()?.parse().ok()?;
                            Some((version, e.path().join("bin")))
                        })
                        .filter(|(_, bin)| has_initdb(bin))
                        .max_by_key(|(version, _)| *version)
                        .map(|(_, bin)| bin)
                })
        })
        .as_deref()
}

fn is_root() -> bool {
    extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid takes no arguments, touches no memory and cannot fail.
    unsafe { geteuid() == 0 }
}

/// Run to completion; on failure, one line naming the step and the end of its stderr.
fn run(cmd: &mut Command, step: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{step} failed: cannot run {}: {e}", cmd.get_program().to_string_lossy()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed: {}", tail(&String::from_utf8_lossy(&out.stderr))))
    }
}

/// The last few non-empty lines, joined into one.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

/// What a command that starts the local cluster says: where it lives and how to stop it.
pub fn started_note(dir: &Path) -> String {
    format!(
        "started the local PostgreSQL with its data in {}; it keeps running: `schema local stop` stops it",
        dir.display()
    )
}

/// The local database of a project: its name in lower case, other characters as `_`.
pub fn database_name(project: &str) -> String {
    project.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}
