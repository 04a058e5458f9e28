//! The databases a project deploys to, by name (`targets:` in schema.yaml): where each one is
//! and how to reach it. Resolving one (variables, the password command) is `crate::connect`'s.

use super::Dialect;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `targets:` and `default_target:`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    pub named: BTreeMap<String, TargetSpec>,
    /// Used when no database is named, except in CI.
    pub default: Option<String>,
    /// Where `generate` (and `check --dev-url`) prove migrations in scratch databases.
    pub dev: Option<Dev>,
}

/// The dev database of a project: a server on which scratch databases are created and dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Dev {
    /// `dev_url:` in schema.yaml, `${VAR}` expanded when used.
    Url(String),
    /// The target marked `dev: true`.
    Target(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    pub connection: Connection,
    pub dialect: Option<Dialect>,
    pub sslmode: Option<String>,
    /// Relative to the project root.
    pub sslrootcert: Option<PathBuf>,
    /// A program and its arguments (no shell) printing the password.
    pub password_command: Vec<String>,
    pub connect_timeout: Option<Duration>,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// The development PostgreSQL that `schema local` manages.
    Local,
    /// A URL or key=value string, `${VAR}` expanded when used.
    Url(String),
    /// The name of an environment variable holding the URL.
    UrlEnv(String),
}

/// A target's name: letters, digits, `_` and `-`, starting with a letter. Anything else given
/// as one (a URL, a key=value string) is not echoed back: it may hold a password.
pub fn is_target_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `30s`, `5m`, `2h`, `500ms`, or a number of seconds; `0` is no limit.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a duration like 30s, 5m, 2h or 500ms"))?;
    let millis = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" | "min" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(format!("`{text}` is not a duration like 30s, 5m, 2h or 500ms")),
    };
    // PostgreSQL's timeouts are 32-bit milliseconds.
    millis
        .filter(|ms| *ms <= i32::MAX as u64)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is longer than the 24 days PostgreSQL's timeouts allow"))
}

/// The names of the `${NAME}` variables in a text, or what is malformed. `$` not followed by
/// `{` is literal.
pub fn variables(text: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let end = after.find('}').ok_or_else(|| format!("`${{` without its `}}` in `{}`", &rest[i..]))?;
        let name = &after[..end];
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("`${{{name}}}` is not a variable name (letters, digits and `_`)"));
        }
        names.push(name);
        rest = &after[end + 1..];
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "s", "-1s", "1.5s", "3d", "1 h x"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("600h").unwrap_err().contains("24 days"));
        assert!(parse_duration("99999999999999999999").is_err());
    }

    #[test]
    fn variable_names() {
        assert_eq!(variables("postgres://${USER_1}@${HOST}:5439/$db"), Ok(vec!["USER_1", "HOST"]));
        assert!(variables("x${HOST").unwrap_err().contains("without its"));
        assert!(variables("${1X}").unwrap_err().contains("not a variable name"));
        assert!(variables("${}").is_err());
    }
}
