//! libpq's connection parameters: a URL or a `key=value` string, the PG* environment for what
//! the string leaves out, and the password file, with libpq's precedence (string, then
//! environment, then defaults; the password file only when no password is given).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use url::Url;

/// What a URL part keeps as is: RFC 3986's unreserved characters.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The environment a connection is resolved in: the process's, or a map in tests.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    pub fn process() -> Env {
        Env(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
        Env(pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// A variable, if set and not empty (libpq treats an empty PG* variable as unset).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// The PG* variables libpq reads, and the keyword each one fills.
const ENVIRONMENT: [(&str, &str); 12] = [
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGDATABASE", "dbname"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGAPPNAME", "application_name"),
    ("PGOPTIONS", "options"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
];

/// Whether the environment names a server by itself (`psql` with no arguments would connect).
pub fn environment_names_a_database(env: &Env) -> bool {
    ["PGHOST", "PGHOSTADDR", "PGDATABASE"].iter().any(|k| env.get(k).is_some())
}

/// Connection parameters by libpq keyword, in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// A `postgres://` / `postgresql://` URL or libpq `key=value` pairs.
    pub fn parse(text: &str) -> Result<Params, String> {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            from_url(text)
        } else if text.contains('=') {
            from_pairs(text)
        } else if text.contains("://") {
            Err("expected a postgres:// or postgresql:// URL".into())
        } else {
            Err("expected a postgres:// URL or libpq key=value pairs (host=... dbname=...)".into())
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Sets a parameter, replacing any earlier value.
    pub fn set(&mut self, key: &str, value: &str) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_string(), value.to_string()));
    }

    /// Sets a parameter the string left out or empty (libpq reads an empty value as unset).
    fn set_default(&mut self, key: &str, value: &str) {
        if self.get(key).is_none_or(str::is_empty) {
            self.set(key, value);
        }
    }

    /// libpq's fallbacks for what the string left out: the PG* variables, then the operating
    /// system user, then the server's local socket (or localhost).
    pub fn fill_from_env(&mut self, env: &Env) {
        for (var, key) in ENVIRONMENT {
            if let Some(value) = env.get(var) {
                self.set_default(key, value);
            }
        }
        if let Some(user) = env.get("USER").or(env.get("LOGNAME")) {
            self.set_default("user", user);
        }
        if self.get("host").is_none_or(str::is_empty) && self.get("hostaddr").is_none_or(str::is_empty) {
            let port = self.get("port").unwrap_or("5432").to_string();
            let socket = ["/var/run/postgresql", "/tmp"]
                .into_iter()
                .find(|dir| Path::new(dir).join(format!(".s.PGSQL.{port}")).exists());
            self.set("host", socket.unwrap_or("localhost"));
        }
    }

    /// The password from the password file (PGPASSFILE, else ~/.pgpass) when none is given. A
    /// `passfile` parameter names the file instead, read when the connection is made (`Target`).
    pub fn fill_password_from_file(&mut self, env: &Env) -> Result<(), String> {
        if self.get("password").is_some() || self.get("passfile").is_some() {
            return Ok(());
        }
        let Some(path) =
            env.get("PGPASSFILE").map(PathBuf::from).or(env.get("HOME").map(|h| Path::new(h).join(".pgpass")))
        else {
            return Ok(());
        };
        // A socket connection matches `localhost`, as in libpq.
        let host = match self.get("host").or(self.get("hostaddr")).unwrap_or("localhost") {
            h if h.starts_with('/') => "localhost",
            h => h,
        };
        let port = self.get("port").unwrap_or("5432");
        let (db, user) = (self.get("dbname").or(self.get("user")).unwrap_or(""), self.get("user").unwrap_or(""));
        if let Some(password) = password_in_file(&path, [host, port, db, user])? {
            self.set("password", &password);
        }
        Ok(())
    }

    /// The parameters as one URL, each part percent-encoded. A socket path or a list of hosts
    /// goes into the query, as libpq accepts it there.
    pub fn to_url(&self) -> String {
        let enc = |s: &str| utf8_percent_encode(s, UNRESERVED).to_string();
        let host = self.get("host").unwrap_or("");
        // A URL's authority holds one plain host; user and password go with it.
        let simple = !host.is_empty() && !host.starts_with('/') && !host.contains(',');
        let mut authority = String::new();
        if simple {
            if let Some(user) = self.get("user") {
                authority.push_str(&enc(user));
                if let Some(password) = self.get("password") {
                    authority = format!("{authority}:{}", enc(password));
                }
                authority.push('@');
            }
            authority.push_str(&if host.contains(':') { format!("[{host}]") } else { host.to_string() });
            if let Some(port) = self.get("port").filter(|p| !p.contains(',')) {
                authority = format!("{authority}:{port}");
            }
        }
        let in_authority = |key: &str| match key {
            "dbname" => true,
            "host" => simple,
            "user" => simple,
            "password" => simple && self.get("user").is_some(),
            "port" => simple && !self.get("port").unwrap_or("").contains(','),
            _ => false,
        };
        let query: Vec<String> =
            self.0.iter().filter(|(k, _)| !in_authority(k)).map(|(k, v)| format!("{k}={}", enc(v))).collect();
        let path = self.get("dbname").map(|d| format!("/{}", enc(d))).unwrap_or_default();
        let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
        format!("postgres://{authority}{path}{query}")
    }
}

fn from_url(text: &str) -> Result<Params, String> {
    let url = Url::parse(text).map_err(|e| e.to_string())?;
    if url.fragment().is_some() {
        return Err("a database URL has no `#` part: write `#` in a value as %23".into());
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut params = Params::default();
    if !url.username().is_empty() {
        params.set("user", &decode(url.username()));
    }
    if let Some(password) = url.password() {
        params.set("password", &decode(password));
    }
    if let Some(host) = url.host_str().filter(|h| !h.is_empty()) {
        params.set("host", host.trim_start_matches('[').trim_end_matches(']'));
    }
    if let Some(port) = url.port() {
        params.set("port", &port.to_string());
    }
    let db = decode(url.path().trim_start_matches('/'));
    if !db.is_empty() {
        params.set("dbname", &db);
    }
    for seg in url.query().unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let (key, value) = seg.split_once('=').unwrap_or((seg, ""));
        params.set(&decode(key), &decode(value));
    }
    Ok(params)
}

/// libpq's `key = value` syntax: values bare or in single quotes, `\` escaping the next
/// character in both.
fn from_pairs(text: &str) -> Result<Params, String> {
    let mut params = Params::default();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(params);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        // Errors name the pair by position only: a stray word may be part of a password.
        let n = params.0.len() + 1;
        if chars.next() != Some('=') {
            return Err(format!("pair {n} of the connection string has no `=`"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => value.extend(chars.next()),
                Some('\'') if quoted => break,
                Some(c) if quoted || !c.is_whitespace() => value.push(c),
                None if quoted => {
                    return Err(format!("the quoted value of pair {n} of the connection string is not closed"))
                }
                _ => break,
            }
        }
        params.set(&key, &value);
    }
}

/// The password a password file gives for `[host, port, database, user]`, if the file exists and
/// has a line for them. A file others can read is refused, as libpq ignores it: a password must
/// not silently come from a file anyone on the machine can read.
pub fn password_in_file(path: &Path, wanted: [&str; 4]) -> Result<Option<String>, String> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    use std::os::unix::fs::PermissionsExt;
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o077 != 0) {
        return Err(format!(
            "the password file {} can be read by group or others, so it is not used: chmod 600 it",
            path.display()
        ));
    }
    Ok(text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|line| {
        let fields = pgpass_fields(line);
        let matches = wanted.iter().enumerate().all(|(i, want)| fields.get(i).is_some_and(|f| f == "*" || f == want));
        (fields.len() == 5 && matches).then(|| fields[4].clone())
    }))
}

/// The five fields of a password file line, `\:` and `\\` unescaped.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().expect("starts with one").extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("starts with one").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &Params) -> Vec<(&str, &str)> {
        p.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn key_value_strings_follow_libpq_quoting() {
        let p = Params::parse(r"host=db.example port = 5439 dbname='chat analytics' password='it\'s \\ x' user=u\ 1")
            .unwrap();
        assert_eq!(
            pairs(&p),
            [
                ("host", "db.example"),
                ("port", "5439"),
                ("dbname", "chat analytics"),
                ("password", r"it's \ x"),
                ("user", "u 1")
            ]
        );
        assert_eq!(Params::parse("host=h dbname").unwrap_err(), "pair 2 of the connection string has no `=`");
        assert_eq!(
            Params::parse("host='h").unwrap_err(),
            "the quoted value of pair 1 of the connection string is not closed"
        );
        let e = Params::parse("host=h password=hunter2 secretpart dbname=x").unwrap_err();
        assert!(!e.contains("secret") && !e.contains("hunter2"), "{e}");
        assert!(Params::parse("mysql://h/db").unwrap_err().contains("postgres://"));
        assert!(Params::parse("just-a-name").unwrap_err().contains("key=value"));
    }

    #[test]
    fn urls_and_pairs_meet_in_one_url() {
        let p = Params::parse("postgres://a%40b:p%3Aw@[::1]:5433/my%20db?sslmode=disable").unwrap();
        assert_eq!(
            pairs(&p),
            [
                ("user", "a@b"),
                ("password", "p:w"),
                ("host", "::1"),
                ("port", "5433"),
                ("dbname", "my db"),
                ("sslmode", "disable")
            ]
        );
        assert_eq!(p.to_url(), "postgres://a%40b:p%3Aw@[::1]:5433/my%20db?sslmode=disable");
        let p = Params::parse("host=/run/postgresql dbname=x user=u").unwrap();
        assert_eq!(p.to_url(), "postgres:///x?host=%2Frun%2Fpostgresql&user=u");
        let p = Params::parse("host=a,b port=1,2 dbname=x").unwrap();
        assert_eq!(p.to_url(), "postgres:///x?host=a%2Cb&port=1%2C2");
        assert!(Params::parse("postgres://u@h/db?password=abc#s3cret").unwrap_err().contains("%23"));
    }

    #[test]
    fn the_environment_fills_only_what_the_string_leaves_out() {
        let env = Env::from_pairs([
            ("PGHOST", "envhost"),
            ("PGPORT", "6543"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "require"),
            ("PGCONNECT_TIMEOUT", ""),
            ("USER", "os"),
        ]);
        let mut p = Params::parse("postgres://given@h/db").unwrap();
        p.fill_from_env(&env);
        assert_eq!(p.to_url(), "postgres://given:envpw@h:6543/db?sslmode=require");
        let mut p = Params::parse("host= dbname=x").unwrap();
        p.fill_from_env(&Env::from_pairs([("USER", "os")]));
        assert!(p.get("host").is_some_and(|h| !h.is_empty()), "an empty host is the default one, as in libpq");
        assert_eq!(p.get("user"), Some("os"));
        assert!(p.get("host").is_some());
        assert!(environment_names_a_database(&env));
        assert!(!environment_names_a_database(&Env::from_pairs([("PGPASSWORD", "x"), ("PGHOST", "")])));
    }

    #[test]
    fn the_password_file_matches_host_port_database_and_user() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:*:*:*:no\ndb.example:5439:analytics:deploy:s3cr\\:et\\\\\n*:*:*:deploy:fallback\n",
        )
        .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let env = Env::from_pairs([("PGPASSFILE", file.to_str().unwrap())]);
        let password = |url: &str| {
            let mut p = Params::parse(url).unwrap();
            p.fill_password_from_file(&env).unwrap();
            p.get("password").map(str::to_string)
        };
        assert_eq!(password("postgres://deploy@db.example:5439/analytics").as_deref(), Some(r"s3cr:et\"));
        assert_eq!(password("postgres://deploy@db.example:5439/other").as_deref(), Some("fallback"));
        assert_eq!(password("postgres://deploy:given@db.example:5439/analytics").as_deref(), Some("given"));
        assert_eq!(password("postgres://nobody@db.example/analytics"), None);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut p = Params::parse("postgres://deploy@db.example:5439/analytics").unwrap();
        assert!(p.fill_password_from_file(&env).unwrap_err().contains("chmod 600"));
    }
}
