//! A tool-managed PostgreSQL cluster for development and tests, driven by the installed
//! server's own `initdb`, `postgres` and `pg_ctl`.
//!
//! Layout of `dir`: `data/` (the cluster), `postgres.log`, `port` (last port used, reused when
//! free so the URL stays stable), `lock`, and the server's unix socket.

use crate::db::Target;
use std::ffi::OsString;
use std::fs;
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
        if !self.data().join("PG_VERSION").exists() {
            run(
                self.tool("initdb").arg("-D").arg(self.data()).args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ]),
                "initdb",
            )?;
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
        Ok(url(port))
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
            Some(port) => LocalStatus::Running { port, url: url(port) },
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

fn url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
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
