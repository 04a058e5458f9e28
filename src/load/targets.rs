//! The semantic pass over `targets:` and `default_target:` in schema.yaml.

use super::docs::{DurationDoc, TargetDoc};
use super::project::Loader;
use super::Source;
use crate::db::{ssl_modes, Params};
use crate::model::targets::{is_target_name, parse_duration, variables, Connection, Dev, TargetSpec, Targets};
use crate::suggest::nearest;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

impl Loader<'_> {
    pub(super) fn targets(
        &mut self,
        src: &Source,
        docs: &BTreeMap<String, TargetDoc>,
        default: Option<&str>,
        dev_url: Option<&str>,
    ) -> Targets {
        let mut named = BTreeMap::new();
        for (name, doc) in docs {
            let at = |field: &str| format!("targets.{name}.{field}");
            if !is_target_name(name) {
                self.at(
                    src,
                    &format!("targets.{name}"),
                    format!("target name `{name}`: use letters, digits, `_` and `-`"),
                );
            }
            if let Some(spec) = self.target(src, doc, &at) {
                named.insert(name.clone(), spec);
            }
        }
        if let Some(d) = default.filter(|d| !docs.contains_key(*d)) {
            let message = format!("default_target `{d}` is not one of `targets:`");
            self.at_help(src, "default_target", message, nearest(d, docs.keys().map(String::as_str)));
        }
        let marked: Vec<&String> = docs.iter().filter(|(_, d)| d.dev).map(|(name, _)| name).collect();
        for extra in marked.iter().skip(1) {
            self.at(src, &format!("targets.{extra}.dev"), format!("`{}` is the dev database already", marked[0]));
        }
        let dev = match (dev_url, marked.first()) {
            (Some(_), Some(name)) => {
                let message = format!("dev_url and target `{name}` (dev: true) both name the dev database: keep one");
                self.at(src, "dev_url", message);
                None
            }
            (Some(url), None) => match variables(url).err().or_else(|| literal_password(url)) {
                Some(why) => {
                    self.at(src, "dev_url", why);
                    None
                }
                None => Some(Dev::Url(url.to_string())),
            },
            (None, name) => name.map(|n| Dev::Target(n.to_string())),
        };
        Targets { named, default: default.map(str::to_string), dev }
    }

    fn target(&mut self, src: &Source, doc: &TargetDoc, at: &dyn Fn(&str) -> String) -> Option<TargetSpec> {
        let connection = match (doc.local, &doc.url, &doc.url_env) {
            (true, None, None) => Connection::Local,
            (false, Some(url), None) => Connection::Url(url.clone()),
            (false, None, Some(var)) => Connection::UrlEnv(var.clone()),
            _ => {
                let message = "a target has exactly one of `url`, `url_env` or `local: true`";
                self.at(src, &at(if doc.url.is_some() { "url" } else { "url_env" }), message);
                return None;
            }
        };
        let mut ok = true;
        let mut fail = |this: &mut Self, field: &str, message: String| {
            this.at(src, &at(field), message);
            ok = false;
        };
        match &connection {
            Connection::Url(url) => {
                if let Err(e) = variables(url) {
                    fail(self, "url", e);
                } else if let Some(why) = literal_password(url) {
                    fail(self, "url", why);
                }
            }
            Connection::UrlEnv(var) if variables(&format!("${{{var}}}")).is_err() => {
                fail(self, "url_env", format!("`{var}` is not an environment variable name"))
            }
            Connection::Local if doc.dialect.is_some_and(|d| d != crate::dialect::LOCAL) => fail(
                self,
                "dialect",
                format!("the local development database is {}, not {}", crate::dialect::LOCAL, doc.dialect.unwrap()),
            ),
            Connection::Local if !doc.password_command.is_empty() || doc.sslmode.is_some() => {
                fail(self, "local", "the local development database takes no password or sslmode".into())
            }
            _ => {}
        }
        if let Some(d) = doc.dialect.filter(|d| !self.dialects.contains(d)) {
            fail(self, "dialect", format!("the project does not target {d}: add it to `dialects` first"));
        }
        if let Some(mode) = doc.sslmode.as_deref().filter(|m| !ssl_modes().any(|k| k == *m)) {
            let expected = ssl_modes().collect::<Vec<_>>().join(", ");
            fail(self, "sslmode", format!("unknown sslmode `{mode}` (expected {expected})"));
        }
        if doc.password_command.first().is_some_and(|p| p.trim().is_empty()) {
            fail(self, "password_command", "the first word of password_command is the program to run".into());
        }
        let mut duration = |this: &mut Self, field: &str, value: &Option<DurationDoc>| -> Option<Duration> {
            match value.as_ref()? {
                DurationDoc::Seconds(n) => parse_duration(&n.to_string()),
                DurationDoc::Text(t) => parse_duration(t),
            }
            .map_err(|e| fail(this, field, e))
            .ok()
        };
        let connect_timeout = duration(self, "connect_timeout", &doc.connect_timeout);
        let lock_timeout = duration(self, "lock_timeout", &doc.lock_timeout);
        let statement_timeout = duration(self, "statement_timeout", &doc.statement_timeout);
        ok.then(|| TargetSpec {
            connection,
            dialect: doc.dialect,
            sslmode: doc.sslmode.clone(),
            sslrootcert: doc.sslrootcert.as_ref().map(PathBuf::from),
            password_command: doc.password_command.clone(),
            connect_timeout,
            lock_timeout,
            statement_timeout,
        })
    }
}

/// A password written into schema.yaml would be committed: it must come from a variable, the
/// environment, the password file or password_command.
fn literal_password(url: &str) -> Option<String> {
    const MARK: &str = "SCHEMAVARIABLE";
    let mut marked = url.to_string();
    for name in variables(url).unwrap_or_default() {
        marked = marked.replace(&format!("${{{name}}}"), MARK);
    }
    let params = Params::parse(&marked).map_err(|why| format!("not a connection string: {why}"));
    match params {
        Err(why) => Some(why),
        Ok(p) if p.get("password").is_some_and(|pw| !pw.contains(MARK)) => Some(
            "a password in schema.yaml would be committed: use ${VAR}, PGPASSWORD, ~/.pgpass or password_command"
                .into(),
        ),
        Ok(_) => None,
    }
}
