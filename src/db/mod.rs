//! Database connections: libpq's parameters (URL, key=value, environment, password file),
//! its `sslmode`s on top of rust-postgres, and one-line errors that never contain the password.

mod conninfo;
mod redact;
mod tls;

use conninfo::password_in_file;
pub use conninfo::{environment_names_a_database, Env, Params, UNRESERVED};
pub use redact::redact_urls;

use crate::model::Dialect;
use postgres::config::SslMode as PgSslMode;
use redact::{chain, decode, is_secret_key, redact_url, scrub};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use url::Url;

/// A connection failure or an invalid URL. One line, password already masked.
#[derive(Debug)]
pub struct DbError(String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    const ALL: [(&'static str, SslMode); 5] = [
        ("disable", SslMode::Disable),
        ("prefer", SslMode::Prefer),
        ("require", SslMode::Require),
        ("verify-ca", SslMode::VerifyCa),
        ("verify-full", SslMode::VerifyFull),
    ];

    const HELP: &'static str = "expected disable, prefer, require, verify-ca or verify-full";

    fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, m)| *m == self).map_or("", |(n, _)| n)
    }
}

/// The `sslmode`s libpq knows, all of which are supported.
pub fn ssl_modes() -> impl Iterator<Item = &'static str> {
    SslMode::ALL.into_iter().map(|(name, _)| name)
}

/// A parsed database URL, ready to connect.
#[derive(Clone)]
pub struct Target {
    config: postgres::Config,
    /// What `redacted` and errors show.
    shown: Shown,
    /// The password as given and as decoded, scrubbed from library messages.
    secrets: Vec<String>,
    ssl_mode: SslMode,
    root_cert: Option<PathBuf>,
    dialect: Dialect,
    /// Run on every new connection (timeouts).
    session: Vec<String>,
}

/// The URL rebuilt from its parsed parts with the password masked, so no spelling of it (a
/// percent-encoded key, a fragment) can slip through: `scheme://user:***@host:port`, the path
/// and the query with decoded keys.
#[derive(Clone)]
struct Shown {
    authority: String,
    path: String,
    query: String,
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.authority, self.path, self.query)
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({})", self.shown)
    }
}

impl Target {
    /// Parse a postgres:// URL or libpq key=value pairs, as given: nothing from the environment.
    /// Dialect: `dialect` if given, else inferred from the host and port.
    pub fn parse(text: &str, dialect: Option<Dialect>, default_timeout: Duration) -> Result<Target, DbError> {
        Target::from_params(&parse_params(text)?, dialect, default_timeout)
    }

    /// What libpq would connect to: the parameters of `text` (if any), then the PG* variables,
    /// the operating system user and the password file for what it leaves out.
    pub fn resolve(
        text: Option<&str>,
        env: &Env,
        dialect: Option<Dialect>,
        default_timeout: Duration,
    ) -> Result<Target, DbError> {
        let mut params = text.map(parse_params).transpose()?.unwrap_or_default();
        params.fill_from_env(env);
        params.fill_password_from_file(env).map_err(DbError)?;
        Target::from_params(&params, dialect, default_timeout)
    }

    /// Connect with these libpq parameters.
    pub fn from_params(
        params: &Params,
        dialect: Option<Dialect>,
        default_timeout: Duration,
    ) -> Result<Target, DbError> {
        Target::parse_url(&params.to_url(), dialect, default_timeout)
    }

    /// `sslmode`, `sslrootcert`, `connect_timeout` and `passfile` are handled here (rust-postgres
    /// rejects the first two's libpq values and knows no password file); every other parameter
    /// is passed on to rust-postgres.
    fn parse_url(url: &str, dialect: Option<Dialect>, default_timeout: Duration) -> Result<Target, DbError> {
        let parsed = Url::parse(url).map_err(|e| DbError(format!("invalid database URL {}: {e}", redact_url(url))))?;
        let mut secrets: Vec<String> = parsed.password().into_iter().flat_map(|p| [p.to_string(), decode(p)]).collect();

        // Work on raw `k=v` segments so the rest reaches rust-postgres byte for byte. Keys are
        // compared decoded, as rust-postgres reads them.
        let (mut ssl_mode, mut root_cert, mut timeout) = (SslMode::Prefer, None, default_timeout);
        let mut passfile = None;
        let (mut passed, mut shown_query) = (Vec::new(), Vec::new());
        let mut bad = None;
        for seg in parsed.query().unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            let (raw_key, raw) = seg.split_once('=').unwrap_or((seg, ""));
            let (key, value) = (decode(raw_key), decode(raw));
            match key.as_str() {
                "sslmode" => match SslMode::ALL.iter().find(|(n, _)| *n == value) {
                    Some((_, m)) => ssl_mode = *m,
                    None => bad = Some(format!("unknown sslmode `{value}` ({})", SslMode::HELP)),
                },
                "sslrootcert" => root_cert = Some(PathBuf::from(&value)),
                "passfile" => passfile = Some(PathBuf::from(&value)),
                "connect_timeout" => match value.trim().parse() {
                    Ok(secs) => timeout = Duration::from_secs(secs),
                    Err(_) => bad = Some(format!("invalid connect_timeout `{value}`")),
                },
                _ => passed.push(seg),
            }
            if is_secret_key(&key) {
                secrets.extend([raw.to_string(), value]);
                shown_query.push(format!("{key}=***"));
            } else {
                // Decoded for reading (`host=/run/postgresql`), control characters blanked.
                let shown: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
                shown_query.push(format!("{key}={shown}"));
            }
        }
        let user = match (parsed.username(), parsed.password()) {
            (u, Some(_)) => format!("{u}:***@"),
            ("", None) => String::new(),
            (u, None) => format!("{u}@"),
        };
        let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
        let shown = Shown {
            authority: format!("{}://{user}{}{port}", parsed.scheme(), parsed.host_str().unwrap_or("")),
            path: parsed.path().to_string(),
            query: if shown_query.is_empty() { String::new() } else { format!("?{}", shown_query.join("&")) },
        };

        let invalid = |why: String| DbError(format!("invalid database URL {shown}: {why}"));
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(invalid("expected a postgres:// or postgresql:// URL".into()));
        }
        if let Some(why) = bad {
            return Err(invalid(why));
        }
        let mut rest = parsed.clone();
        let rest_query = passed.join("&");
        rest.set_query((!rest_query.is_empty()).then_some(rest_query.as_str()));
        let mut config = postgres::Config::from_str(rest.as_str()).map_err(|e| invalid(scrub(&secrets, &chain(&e))))?;
        if let (None, Some(file)) = (config.get_password(), &passfile) {
            let port = parsed.port().unwrap_or(5432).to_string();
            let user = config.get_user().unwrap_or_default().to_string();
            let db = config.get_dbname().map_or(user.clone(), str::to_string);
            let host = parsed.host_str().unwrap_or("localhost").trim_start_matches('[').trim_end_matches(']');
            if let Some(password) = password_in_file(file, [host, &port, &db, &user]).map_err(invalid)? {
                config.password(password);
            }
        }
        // What rust-postgres will send, whichever spelling the URL used (a fragment, say).
        secrets.extend(config.get_password().map(|p| String::from_utf8_lossy(p).into_owned()));
        if config.get_application_name().is_none() {
            config.application_name("schema");
        }
        // libpq semantics: 0 means wait forever.
        if !timeout.is_zero() {
            config.connect_timeout(timeout);
        }
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            _ => PgSslMode::Require,
        });
        Ok(Target {
            config,
            dialect: dialect.unwrap_or_else(|| crate::dialect::infer(parsed.host_str().unwrap_or(""), parsed.port())),
            shown,
            secrets,
            ssl_mode,
            root_cert,
            session: Vec::new(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The URL with the password replaced by `***`: safe to print.
    pub fn redacted(&self) -> String {
        self.shown.to_string()
    }

    /// The same database, running these statements (`SET ...`) on every new connection.
    pub fn with_session(&self, statements: Vec<String>) -> Target {
        Target { session: statements, ..self.clone() }
    }

    /// Same server and credentials, another database name.
    pub fn with_database(&self, db: &str) -> Target {
        let mut t = self.clone();
        t.config.dbname(db);
        t.shown.path = format!("/{db}");
        t
    }

    /// Connect, giving up after the connect timeout.
    pub fn connect(&self) -> Result<postgres::Client, DbError> {
        let fail = |why: String| DbError(format!("cannot connect to {}: {why}", self.shown));
        let tls = match self.ssl_mode {
            SslMode::Disable => None,
            _ => Some(self.tls().map_err(fail)?),
        };
        // rust-postgres's connect_timeout only bounds the TCP connect: a server or proxy that
        // accepts and then stays silent would hang us forever. Bound the whole handshake, as
        // libpq does; on timeout the attempt is abandoned on its thread.
        let config = self.config.clone();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(match tls {
                Some(tls) => config.connect(tls),
                None => config.connect(postgres::NoTls),
            });
        });
        let outcome = match self.config.get_connect_timeout() {
            Some(t) => rx.recv_timeout(*t).map_err(|_| format!("timed out after {t:?}")),
            None => rx.recv().map_err(|e| e.to_string()),
        };
        let mut client = outcome.map_err(fail)?.map_err(|e| fail(self.describe(&e)))?;
        for statement in &self.session {
            client.batch_execute(statement).map_err(|e| fail(format!("{statement}: {}", self.describe(&e))))?;
        }
        Ok(client)
    }

    /// A short, single-line, password-free description of a rust-postgres error.
    fn describe(&self, e: &postgres::Error) -> String {
        let msg = match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => {
                let chain = chain(e);
                let msg = chain.strip_prefix("error connecting to server: ").unwrap_or(&chain);
                if msg.contains("TLS") {
                    format!("{msg} (sslmode={})", self.ssl_mode.name())
                } else {
                    msg.to_string()
                }
            }
        };
        scrub(&self.secrets, &msg)
    }
}

/// The parameters of a URL or key=value string; an error shows a URL with its password masked
/// and never echoes a key=value string (its password may sit anywhere in it).
fn parse_params(text: &str) -> Result<Params, DbError> {
    // A URL starts with its scheme; a key=value string may hold `://` in a value.
    let scheme = text.trim_start().split("://").next().unwrap_or_default();
    let url = text.contains("://")
        && !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    Params::parse(text).map_err(|why| match url {
        true => DbError(format!("invalid database URL {}: {why}", redact_url(text.trim()))),
        false => DbError(format!("invalid connection string: {why}")),
    })
}

/// The rows of a query in a READ ONLY transaction: what validation runs cannot change anything,
/// whatever its SQL says.
pub fn read_only_rows(client: &mut postgres::Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, postgres::Error> {
    client.batch_execute("BEGIN READ ONLY")?;
    let rows = text_rows(client, sql);
    let end = client.batch_execute(if rows.is_ok() { "COMMIT" } else { "ROLLBACK" });
    let rows = rows?;
    end?;
    Ok(rows)
}

/// The rows of a query as text, through the simple protocol: no parameter or type lookups,
/// which Redshift's catalog does not always answer.
pub fn text_rows(client: &mut postgres::Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, postgres::Error> {
    Ok(client
        .simple_query(sql)?
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect()),
            _ => None,
        })
        .collect())
}

/// Runs one command (simple protocol) and returns the number of rows it touched.
pub fn affected(client: &mut postgres::Client, sql: &str) -> Result<u64, postgres::Error> {
    Ok(client
        .simple_query(sql)?
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::CommandComplete(n) => Some(n),
            _ => None,
        })
        .sum())
}

/// A connection error is already one safe line (no password): it passes through as is.
impl From<DbError> for crate::error::Error {
    fn from(e: DbError) -> crate::error::Error {
        crate::error::Error::Connect(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(3);

    #[test]
    fn redacts_password_in_userinfo_and_query() {
        let t = Target::parse("postgres://app:s%40cret@h/db?sslmode=disable&application_name=x", None, T).unwrap();
        assert_eq!(t.redacted(), "postgres://app:***@h/db?sslmode=disable&application_name=x");
        // The canonical form: a password given in the query shows where the user's does.
        let t = Target::parse("postgres://app@h/db?password=s3cret", None, T).unwrap();
        assert_eq!(t.redacted(), "postgres://app:***@h/db");
        assert_eq!(t.with_database("other").redacted(), "postgres://app:***@h/other");
        let t = Target::parse("host=h user=app password='s3 cret' dbname=db sslmode=disable", None, T).unwrap();
        assert_eq!(t.redacted(), "postgres://app:***@h/db?sslmode=disable");
        let e = Target::parse("host=h password='s3cret", None, T).unwrap_err().to_string();
        assert_eq!(e, "invalid connection string: the quoted value of pair 2 of the connection string is not closed");
        let e = Target::parse("host=h password=hunter2secret application_name=http://x dbname", None, T).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(!format!("{t:?}").contains("s3cret"));
        let shown = Target::parse("postgres://u@h/db?sslpassword=hunter2secret", None, T).map(|t| t.redacted());
        assert!(!format!("{:?}", shown.map_err(|e| e.to_string())).contains("hunter2"));
        assert_eq!(
            redact_urls("unexpected argument 'host=h password=hunter2 x'"),
            "unexpected argument 'host=h password=*** x'"
        );
    }

    #[test]
    fn rejects_bad_urls_without_leaking() {
        for (url, why) in [
            ("postgres://app:hunter2@h:99999/db", "invalid port"),
            ("mysql://app:hunter2@h/db", "expected a postgres://"),
            ("postgres://app:hunter2@h/db?sslmode=allow", "unknown sslmode `allow`"),
            ("postgres://app:hunter2@h/db?connect_timeout=x", "invalid connect_timeout"),
            ("postgres://app:hunter2@h/db?nosuch=1", "unknown option"),
            ("postgres://app:hunter2@h:x/db?password=hunter2", "invalid port"),
        ] {
            let e = Target::parse(url, None, T).unwrap_err().to_string();
            assert!(e.starts_with("invalid database URL "), "{e}");
            assert!(e.contains(why), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn masks_the_password_rust_postgres_uses_whatever_its_spelling() {
        // rust-postgres percent-decodes query keys: `pass%77ord` is `password`.
        let t = Target::parse("postgres://app@h/db?pass%77ord=s3cret&application_name=x", None, T).unwrap();
        assert_eq!(t.redacted(), "postgres://app:***@h/db?application_name=x");
        let t = Target::parse("postgresql://app:s3cret@[::1]:5433/db", None, T).unwrap();
        assert_eq!(t.redacted(), "postgres://app:***@[::1]:5433/db");
        let t = Target::parse("postgres:///db?host=/run/postgresql", None, T).unwrap();
        assert_eq!(t.redacted(), "postgres:///db?host=/run/postgresql");
        // rust-postgres would read a fragment as part of the last value: refused, never shown.
        let e = Target::parse("postgres://app@h/db?password=abc#s3cret", None, T).unwrap_err().to_string();
        assert!(e.contains("%23") && !e.contains("s3cret"), "{e}");
        for url in ["postgres://app@h:x/db?pass%77ord=s3cret", "postgres://app@h/db?pass%77ord=s3cret&nosuch=1"] {
            let e = Target::parse(url, None, T).unwrap_err().to_string();
            assert!(e.starts_with("invalid database URL "), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    #[test]
    fn masks_urls_in_free_text() {
        let text = "error: unexpected argument 'postgres://u:s3cret@h/db?pass%77ord=s3cret2' found";
        let masked = redact_urls(text);
        assert_eq!(masked, "error: unexpected argument 'postgres://u:***@h/db?pass%77ord=***' found");
        let text = "argument 'host=h PWD=s3cret passwd=s3cret2 dbname=x' and postgres://u@h/d?Password=s3cret3&a=b";
        let masked = redact_urls(text);
        assert_eq!(masked, "argument 'host=h PWD=*** passwd=*** dbname=x' and postgres://u@h/d?Password=***&a=b");
    }
}
