//! Which database a command works on. A database is used only when something names it: the
//! local development cluster is never a silent fallback, and in CI the project's default
//! target is not used either, so a job whose secret is missing fails instead of going green.

use crate::db::{environment_names_a_database, Env, Params, Target, UNRESERVED};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::local::LocalCluster;
use crate::model::targets::{is_target_name, variables, Connection, TargetSpec};
use crate::model::{Dialect, Project};
use crate::suggest::nearest;
use percent_encoding::utf8_percent_encode;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the command line asked for.
#[derive(Debug, Default, Clone)]
pub struct Request {
    pub database_url: Option<String>,
    pub target: Option<String>,
    pub local: bool,
    pub dialect: Option<Dialect>,
    pub connect_timeout: Option<Duration>,
}

/// The database chosen, what named it, and the target's settings if a target did.
pub struct Chosen {
    pub target: Target,
    /// `target prod`, `--database-url`, `DATABASE_URL`, `local`, `PG* environment`.
    pub named_by: String,
    pub spec: Option<TargetSpec>,
}

impl Chosen {
    /// The line every database command prints first, on stderr.
    pub fn describe(&self) -> String {
        format!("database: {} ({}, {})", self.target.redacted(), self.target.dialect(), self.named_by)
    }
}

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// In order: `--database-url`, `--target`, `--local`, SCHEMA_TARGET, DATABASE_URL, the PG*
/// environment, then the project's `default_target` (not in CI).
pub fn choose(request: &Request, layout: &Layout, project: Option<&Project>, env: &Env) -> Result<Chosen> {
    let url = |text: &str, named_by: &str| -> Result<Chosen> {
        let params = parsed(text)?;
        Ok(Chosen { target: connectable(params, request, None, env)?, named_by: named_by.into(), spec: None })
    };
    if let Some(text) = &request.database_url {
        return url(text, "--database-url");
    }
    if let Some(name) = &request.target {
        return named(name, "target", request, layout, project, env);
    }
    if request.local {
        return local(layout, project, request, "local");
    }
    if let Some(name) = env.get("SCHEMA_TARGET") {
        return named(name, "SCHEMA_TARGET", request, layout, project, env);
    }
    if let Some(text) = env.get("DATABASE_URL") {
        return url(text, "DATABASE_URL");
    }
    // In CI the PG* variables alone name nothing: a job's services container sets them, and a
    // deploy whose secret is missing must not fall back to it.
    if environment_names_a_database(env) && !in_ci(env) {
        let target = connectable(Params::default(), request, None, env)?;
        return Ok(Chosen { target, named_by: "PG* environment".into(), spec: None });
    }
    let default = project.and_then(|p| p.targets.default.as_deref());
    match default {
        Some(name) if !in_ci(env) => named(name, "default target", request, layout, project, env),
        Some(name) => Err(Error::new(format!(
            "CI is set and no database was named: pass --target NAME (or set SCHEMA_TARGET), --database-url \
             (or DATABASE_URL), or --local; the default target `{name}` is for interactive use only"
        ))),
        None if in_ci(env) && environment_names_a_database(env) => Err(Error::new(
            "CI is set and no database was named: the PG* variables alone are not used in CI; pass --target NAME \
             (or set SCHEMA_TARGET), --database-url (or DATABASE_URL), or --local",
        )),
        None => Err(Error::new(
            "no database named: pass --target NAME (targets are in schema.yaml), --database-url URL, or --local \
             for the local development PostgreSQL",
        )),
    }
}

/// The dev database (the server scratch databases are created on): `--dev-url URL`, else
/// `--local` or a bare `--dev-url` (`asked`) or, when `project_wide`, the project's (`dev_url:`,
/// or its target with `dev: true`). None when nothing names one.
pub fn dev(
    flag: Option<&str>,
    request: &Request,
    layout: &Layout,
    project: &Project,
    env: &Env,
    project_wide: bool,
) -> Result<Option<Chosen>> {
    use crate::model::targets::Dev;
    if let Some(url) = flag.filter(|u| !u.is_empty()) {
        let target = connectable(parsed(url)?, request, Some(crate::dialect::LOCAL), env)?;
        return Ok(Some(Chosen { target, named_by: "--dev-url".into(), spec: None }));
    }
    if request.local {
        return local(layout, Some(project), request, "local").map(Some);
    }
    if flag.is_none() && !project_wide {
        return Ok(None);
    }
    match &project.targets.dev {
        Some(Dev::Url(text)) => {
            let text = interpolate(text, env).map_err(|e| Error::new(format!("dev_url: {e}")))?;
            let target = connectable(parsed(&text)?, request, Some(crate::dialect::LOCAL), env)?;
            Ok(Some(Chosen { target, named_by: "dev_url".into(), spec: None }))
        }
        Some(Dev::Target(name)) => named(name, "dev target", request, layout, Some(project), env).map(Some),
        None if flag.is_some() => Err(Error::new(
            "--dev-url without a URL uses the project's dev database, and it names none: add `dev_url:` or `dev: true` on a target to schema.yaml, or pass --dev-url URL",
        )),
        None => Ok(None),
    }
}

/// Whether a flag or its variable names a database (not the project's default target).
pub fn named_explicitly(request: &Request, env: &Env) -> bool {
    request.database_url.is_some()
        || request.target.is_some()
        || request.local
        || ["SCHEMA_TARGET", "DATABASE_URL"].iter().any(|v| env.get(v).is_some())
        || environment_names_a_database(env)
}

/// `CI` set to anything but empty, `0` or `false`, as CI services do.
pub fn in_ci(env: &Env) -> bool {
    env.get("CI").is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false"))
}

fn named(
    name: &str,
    via: &str,
    request: &Request,
    layout: &Layout,
    project: Option<&Project>,
    env: &Env,
) -> Result<Chosen> {
    let targets = project.map(|p| &p.targets.named);
    let Some(spec) = targets.and_then(|t| t.get(name)) else {
        if !is_target_name(name) {
            let flag = if via == "target" { "--target" } else { via };
            return Err(Error::new(format!(
                "{flag} takes a target name (letters, digits, `_` and `-`, one of schema.yaml's `targets:`); its value is \
                 none and is not shown, as a connection string may hold a password: give a database URL with --database-url \
                 or DATABASE_URL"
            )));
        }
        let known: Vec<&str> = targets.into_iter().flat_map(|t| t.keys().map(String::as_str)).collect();
        let hint = nearest(name, known.iter().copied()).map(|h| format!("; {h}")).unwrap_or_default();
        let listed = if known.is_empty() { "none".to_string() } else { known.join(", ") };
        return Err(Error::new(format!("no target `{name}` in schema.yaml (targets: {listed}){hint}")));
    };
    let named_by = format!("{via} {name}");
    let text = match &spec.connection {
        Connection::Local => {
            let mut chosen = local(layout, project, request, &named_by)?;
            chosen.spec = Some(spec.clone());
            return Ok(chosen);
        }
        Connection::Url(text) => interpolate(text, env).map_err(|e| Error::new(format!("target {name}: {e}")))?,
        Connection::UrlEnv(var) => env
            .get(var)
            .ok_or_else(|| Error::new(format!("target {name}: the environment variable {var} is not set")))?
            .to_string(),
    };
    let mut params = parsed(&text).map_err(|e| Error::new(format!("target {name}: {e}")))?;
    if let Some(mode) = &spec.sslmode {
        params.set("sslmode", mode);
    }
    if let Some(cert) = &spec.sslrootcert {
        params.set("sslrootcert", &layout.root.join(cert).to_string_lossy());
    }
    if let Some(t) = spec.connect_timeout {
        params.set("connect_timeout", &whole_seconds(t).to_string());
    }
    if !spec.password_command.is_empty() {
        run_password_command(&spec.password_command, &mut params)
            .map_err(|e| Error::new(format!("target {name}: password_command {e}")))?;
    }
    let target = connectable(params, request, spec.dialect, env)?;
    Ok(Chosen { target, named_by, spec: Some(spec.clone()) })
}

/// libpq's connect_timeout is whole seconds and 0 is no limit: 500ms must not become that.
fn whole_seconds(t: Duration) -> u64 {
    if t.is_zero() {
        0
    } else {
        t.as_secs() + u64::from(t.subsec_nanos() > 0)
    }
}

fn parsed(text: &str) -> Result<Params> {
    // Parsing through Target gives the same masked error messages.
    Target::parse(text, None, Duration::ZERO)?;
    Params::parse(text).map_err(Error::new)
}

/// The environment and password file fill what is left, then the command line's settings win.
fn connectable(mut params: Params, request: &Request, dialect: Option<Dialect>, env: &Env) -> Result<Target> {
    if let Some(t) = request.connect_timeout {
        params.set("connect_timeout", &whole_seconds(t).to_string());
    }
    params.fill_from_env(env);
    params.fill_password_from_file(env).map_err(Error::new)?;
    Ok(Target::from_params(&params, request.dialect.or(dialect), DEFAULT_CONNECT_TIMEOUT)?)
}

fn local(layout: &Layout, project: Option<&Project>, request: &Request, named_by: &str) -> Result<Chosen> {
    let project = project.ok_or_else(|| Error::new("--local needs a project: its name names the database"))?;
    let cluster = LocalCluster::new(layout.local_dir());
    let was_running = cluster.url().is_some();
    let url = cluster.start().map_err(Error::new)?;
    let timeout = request.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let server = Target::parse(&url, Some(crate::dialect::LOCAL), timeout)?;
    let target = cluster.ensure_database(&server, &project.name).map_err(Error::new)?;
    // Never silent: a server this command started goes on running after it.
    let named_by = match was_running {
        true => named_by.to_string(),
        false => format!("{named_by}; {}", crate::local::started_note(&layout.local_dir())),
    };
    Ok(Chosen { target, named_by, spec: None })
}

/// `${NAME}` replaced by the variable's value, in one pass (a value is never expanded again); an
/// unset one is an error naming it. A value is the whole text as is; inside a URL it is
/// percent-encoded, and inside key=value pairs backslash-escaped, so a `/`, `@`, space or quote
/// in a password cannot move the host or end the value.
pub fn interpolate(text: &str, env: &Env) -> std::result::Result<String, String> {
    variables(text)?;
    let url = text.trim_start().starts_with("postgres://") || text.trim_start().starts_with("postgresql://");
    let (mut out, mut rest) = (String::new(), text);
    while let Some(i) = rest.find("${") {
        let end = rest[i..].find('}').map(|e| i + e).ok_or("unterminated `${`")?;
        let name = &rest[i + 2..end];
        let value = env.get(name).ok_or_else(|| format!("${{{name}}} is not set"))?;
        out.push_str(&rest[..i]);
        let whole = i == 0 && end + 1 == rest.len() && out.is_empty();
        match (whole, url) {
            (true, _) => out.push_str(value),
            (false, true) => out.extend(utf8_percent_encode(value, UNRESERVED).map(str::to_string)),
            (false, false) => value.chars().for_each(|c| {
                if c.is_whitespace() || matches!(c, '\\' | '\'') {
                    out.push('\\');
                }
                out.push(c);
            }),
        }
        rest = &rest[end + 1..];
    }
    Ok(out + rest)
}

/// How long a password command may take (a token service, a vault).
const PASSWORD_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the program (no shell) and takes the password from what it prints: the whole output,
/// or `DbPassword` (and `DbUser`) when it is the JSON of Redshift's GetClusterCredentials.
/// Nothing it prints, on stdout or stderr, is ever shown; a failure says its exit code only.
fn run_password_command(argv: &[String], params: &mut Params) -> std::result::Result<(), String> {
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // What it says on stderr may be the secret itself (a vault's debug output): never shown.
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("`{}` cannot run: {e}", argv[0]))?;
    let mut stdout = child.stdout.take().expect("piped above");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).map(|_| out)
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if started.elapsed() > PASSWORD_COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{}` did not finish in {PASSWORD_COMMAND_TIMEOUT:?}", argv[0]));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let out = reader.join().map_err(|_| "output unreadable".to_string())?.map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(match status.code() {
            Some(code) => format!("`{}` failed with exit code {code}", argv[0]),
            None => format!("`{}` was stopped by a signal", argv[0]),
        });
    }
    let credentials = serde_json::from_str::<serde_json::Value>(&out).ok();
    let field = |key: &str| credentials.as_ref().and_then(|c| c.get(key)?.as_str().map(str::to_string));
    let password = field("DbPassword").unwrap_or_else(|| out.trim_end_matches(['\r', '\n']).to_string());
    if password.is_empty() {
        return Err(format!("`{}` printed no password", argv[0]));
    }
    if let Some(user) = field("DbUser") {
        params.set("user", &user);
    }
    params.set("password", &password);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_expanded_or_named_when_unset() {
        let env = Env::from_pairs([("HOST", "db.example"), ("EMPTY", "")]);
        assert_eq!(interpolate("postgres://u@${HOST}:5439/x", &env).unwrap(), "postgres://u@db.example:5439/x");
        assert_eq!(interpolate("postgres://${NOPE}/x", &env).unwrap_err(), "${NOPE} is not set");
        assert_eq!(interpolate("${EMPTY}", &env).unwrap_err(), "${EMPTY} is not set");
        assert_eq!(interpolate("host=$HOST", &env).unwrap(), "host=$HOST");
        // A password with URL or key=value syntax in it stays a password.
        let env = Env::from_pairs([("PW", "a/b@c d'\\"), ("URL", "postgres://u@h/db"), ("X", "${PW}")]);
        assert_eq!(interpolate("postgres://u:${PW}@h/db", &env).unwrap(), "postgres://u:a%2Fb%40c%20d%27%5C@h/db");
        assert_eq!(interpolate("host=h password=${PW}", &env).unwrap(), "host=h password=a/b@c\\ d\\'\\\\");
        assert_eq!(interpolate("${URL}", &env).unwrap(), "postgres://u@h/db", "a whole value is used as is");
        assert_eq!(interpolate("host=${X}", &env).unwrap(), "host=$\\{PW\\}".replace('\\', ""), "never expanded twice");
    }

    #[test]
    fn ci_is_set_unless_empty_zero_or_false() {
        for (value, ci) in [("true", true), ("1", true), ("yes", true), ("", false), ("0", false), ("FALSE", false)] {
            assert_eq!(in_ci(&Env::from_pairs([("CI", value)])), ci, "{value}");
        }
        assert!(!in_ci(&Env::default()));
    }

    #[test]
    fn a_password_command_gives_the_password_or_redshift_credentials() {
        let sh = |script: &str| vec!["sh".to_string(), "-c".to_string(), script.to_string()];
        let mut p = Params::default();
        run_password_command(&sh("printf 's3cret\\n'"), &mut p).unwrap();
        assert_eq!(p.get("password"), Some("s3cret"));
        run_password_command(&sh(r#"echo '{"DbUser": "IAM:deploy", "DbPassword": "tok", "Expiration": "x"}'"#), &mut p)
            .unwrap();
        assert_eq!((p.get("user"), p.get("password")), (Some("IAM:deploy"), Some("tok")));
        let e = run_password_command(&sh("echo leaked; exit 3"), &mut p).unwrap_err();
        assert!(e.contains("failed") && !e.contains("leaked"), "{e}");
        assert!(run_password_command(&sh("true"), &mut p).unwrap_err().contains("printed no password"));
        let e = run_password_command(&["/nonexistent/prog".to_string()], &mut p).unwrap_err();
        assert!(e.contains("cannot run"), "{e}");
    }
}
