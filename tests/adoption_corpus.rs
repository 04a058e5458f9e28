//! The adoption corpus: each `tests/fixtures/adoption/NN_style_topic.sql` is a schema written the
//! way a real project writes it (Django, Rails, Prisma, Hibernate, pg_dump, hand-written), and
//! goes through the whole adoption path on the real test PostgreSQL:
//!
//! 1. a fresh database, the file loaded with `psql -v ON_ERROR_STOP=1`;
//! 2. `schema inspect --namespace <its namespaces> --out <project>` (the namespaces are named on
//!    the file's first line: `-- namespaces: shop,shop_raw`);
//! 3. `schema check` passes;
//! 4. `schema diff` against the original database is clean;
//! 5. `schema generate --dev-url <server>` writes V1, proven on a scratch database;
//! 6. `schema migrate` into a second fresh database;
//! 7. `schema diff` against the rebuilt database is clean;
//! 8. `pg_dump --schema-only --no-owner` of both databases, normalised, compared.
//!
//! What the tool cannot adopt is stated, never skipped: `<case>.expect` holds, in order,
//! - the warnings of step 2 (sorted; a newline inside one written `\n`);
//! - `! step N: ...` for a step that fails: the first `error:` line of a command, or each finding
//!   of a `diff` (`kind object: expected -> actual`). Steps 2, 3, 5 and 6 stop the case there, a
//!   diff (4, 7) does not. Each such line is a product bug or gap to close;
//! - `# dump` and the lines in which the two dumps differ (`- ` the original, `+ ` the rebuilt),
//!   when they differ. A case without any of these rebuilds to the same dump.
//!
//! The run must equal the file exactly: a new gap and a closed one both fail. `UPDATE_EXPECT=1
//! cargo test --test adoption_corpus` rewrites the files from the run; review their diff.
//! `ADOPTION_CASES=16_,17_` runs only the cases whose file names start so.
//!
//! Test-specific text is replaced before comparing: the databases' names (`<db>`), the scratch
//! database of generate (`<scratch>`), the project folder (`<project>`).
//!
//! The dumps' normalisations, all of which both sides undergo alike:
//! - comment lines, blank lines, the session settings of the preamble (`SET`, `set_config`) and
//!   the `\restrict`/`\unrestrict` lines (a random key per dump) are dropped: they are the same
//!   text on both sides, pg_dump's own headers, or differ on every run;
//! - the tool's own tables (`refinery_schema_history`, `schema_migrate_lock`) and every entry
//!   naming them are dropped: only the rebuilt database has them;
//! - the dump's entries (one per `-- Name:` header) are sorted, and so are the lines of an
//!   entry of GRANT and REVOKE statements: pg_dump orders objects of one kind partly by creation
//!   order, and an object's privileges in the order they were granted, which a migration need
//!   not repeat;
//! - the entries both dumps hold are left out before the line diff is taken.
//!
//! Roles are cluster-wide and shared with other tests, so the fixtures grant only to the roles
//! in `ROLES`, created here idempotently. Cases run on several threads, each through the binary.

mod common;

use common::{create_roles, described, fresh_database, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const ROLES: [&str; 4] = ["adopt_reader", "adopt_writer", "adopt_app", "adopt_admin"];
const WORKERS: usize = 3;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adoption")
}

/// The binary on a project folder and database, without CI's variables (they make it strict
/// about which database a command may use, which is not what is tested here).
fn run(project: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schema"))
        .arg("--project")
        .arg(project)
        .args(["--database-url", url])
        .args(args)
        .env_remove("CI")
        .output()
        .unwrap()
}

/// What one case produced, in the `.expect` format.
struct Outcome {
    warnings: Vec<String>,
    failures: Vec<String>,
    dump: Vec<String>,
}

impl Outcome {
    fn render(&self) -> String {
        let mut lines = self.warnings.clone();
        lines.extend(self.failures.iter().cloned());
        if !self.dump.is_empty() {
            lines.push("# dump".into());
            lines.extend(self.dump.iter().cloned());
        }
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Replaces what differs from run to run.
struct Names {
    replace: Vec<(String, &'static str)>,
}

impl Names {
    fn clean(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (from, to) in &self.replace {
            text = text.replace(from.as_str(), to);
        }
        let text = replace_words(&text, "postgres://", "<url>", |c| c.is_whitespace() || c == ')' || c == ',');
        let text = replace_words(&text, "schema_dev_", "<scratch>", |c| !(c.is_ascii_alphanumeric() || c == '_'));
        text.replace('\n', "\\n")
    }
}

/// Each word starting with `prefix` (up to a character `end` accepts) replaced by `with`.
fn replace_words(text: &str, prefix: &str, with: &str, end: impl Fn(char) -> bool) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        out.push_str(with);
        rest = &tail[tail.find(&end).unwrap_or(tail.len())..];
    }
    out.push_str(rest);
    out
}

fn database_name(url: &str) -> String {
    url::Url::parse(url).unwrap().path().trim_start_matches('/').to_string()
}

/// The first `error:` line of a failed command, else its last line.
fn error_of(out: &Output) -> String {
    let said = text(out);
    let line = said.lines().find(|l| l.starts_with("error:")).or_else(|| said.lines().rev().find(|l| !l.is_empty()));
    line.unwrap_or("no output").to_string()
}

/// `schema diff --format json`: nothing when clean, else a line per finding (or the error).
fn diff(project: &Path, url: &str, step: u8) -> Vec<String> {
    let out = run(project, url, &["diff", "--format", "json"]);
    match out.status.code() {
        Some(0) => vec![],
        Some(1) => {
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            described(&json).into_iter().map(|f| format!("! step {step}: {f}")).collect()
        }
        _ => vec![format!("! step {step}: {}", error_of(&out))],
    }
}

fn load(url: &str, file: &Path) -> Result<(), String> {
    let out =
        Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"]).arg(file).output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(text(&out))
    }
}

/// The normalised schema-only dump of a database, one string per entry, sorted.
fn dump(url: &str) -> Vec<String> {
    let out = Command::new("pg_dump").args(["--schema-only", "--no-owner", "-d", url]).output().unwrap();
    assert!(out.status.success(), "pg_dump: {}", text(&out));
    let mut entries: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if line.starts_with("-- Name: ") {
            entries.push(std::mem::take(&mut current));
        }
        let session = line.starts_with("SET ")
            || line.starts_with("SELECT pg_catalog.set_config(")
            || line.starts_with("\\restrict ")
            || line.starts_with("\\unrestrict ");
        if line.starts_with("--") || line.trim().is_empty() || session {
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    entries.push(current);
    // An object's privileges are printed in the order they were granted, which means nothing.
    for e in entries.iter_mut().filter(|e| e.lines().all(|l| l.starts_with("GRANT ") || l.starts_with("REVOKE "))) {
        let mut lines: Vec<&str> = e.lines().collect();
        lines.sort();
        *e = lines.iter().map(|l| format!("{l}\n")).collect();
    }
    let own = |e: &String| e.contains("refinery_schema_history") || e.contains("schema_migrate_lock");
    let mut entries: Vec<String> = entries.into_iter().filter(|e| !e.is_empty() && !own(e)).collect();
    entries.sort();
    entries
}

/// The lines in which two normalised dumps differ, `- ` original, `+ ` rebuilt: the entries only
/// one side has, then a line diff of those (so an entry that only moved is not shown).
fn dump_difference(original: &[String], rebuilt: &[String]) -> Vec<String> {
    let only = |from: &[String], other: &[String]| {
        let mut left: Vec<&String> = other.iter().collect();
        let mut only = String::new();
        for e in from {
            match left.iter().position(|o| *o == e) {
                Some(i) => drop(left.remove(i)),
                None => only.push_str(e),
            }
        }
        only
    };
    let (a, b) = (only(original, rebuilt), only(rebuilt, original));
    let lines = similar::TextDiff::from_lines(&a, &b);
    lines
        .iter_all_changes()
        .filter_map(|c| match c.tag() {
            similar::ChangeTag::Equal => None,
            similar::ChangeTag::Delete => Some(format!("- {}", c.value().trim_end())),
            similar::ChangeTag::Insert => Some(format!("+ {}", c.value().trim_end())),
        })
        .collect()
}

/// Steps 1 to 8 for one fixture.
fn adopt(sql: &Path, dev: &str) -> Outcome {
    let namespaces = std::fs::read_to_string(sql).unwrap();
    let namespaces = namespaces
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("-- namespaces: "))
        .unwrap_or_else(|| panic!("{}: the first line must be `-- namespaces: a,b`", sql.display()))
        .trim()
        .to_string();
    let original = fresh_database();
    load(&original, sql).unwrap_or_else(|e| panic!("{}: the fixture does not load: {e}", sql.display()));
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    let rebuilt = fresh_database();
    let names = Names {
        replace: vec![
            (project.display().to_string(), "<project>"),
            (database_name(&original), "<db>"),
            (database_name(&rebuilt), "<db>"),
            (database_name(dev), "<dev>"),
        ],
    };
    let mut outcome = Outcome { warnings: vec![], failures: vec![], dump: vec![] };
    let out_dir = project.to_str().unwrap();
    let out =
        run(tmp.path(), &original, &["--format", "json", "inspect", "--namespace", &namespaces, "--out", out_dir]);
    let said: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    if let Some(warnings) = said["warnings"].as_array() {
        outcome.warnings = warnings.iter().map(|w| names.clean(w.as_str().unwrap())).collect();
        outcome.warnings.sort();
    }
    let stop = |outcome: &mut Outcome, step: u8, out: &Output| {
        let failed = !out.status.success();
        if failed {
            outcome.failures.push(format!("! step {step}: {}", names.clean(&error_of(out))));
        }
        failed
    };
    if stop(&mut outcome, 2, &out) {
        return outcome;
    }
    if stop(&mut outcome, 3, &run(&project, "postgres://unused", &["check"])) {
        return outcome;
    }
    outcome.failures.extend(diff(&project, &original, 4).iter().map(|l| names.clean(l)));
    if stop(&mut outcome, 5, &run(&project, "postgres://unused", &["generate", "--dev-url", dev])) {
        return outcome;
    }
    if stop(&mut outcome, 6, &run(&project, &rebuilt, &["migrate"])) {
        return outcome;
    }
    outcome.failures.extend(diff(&project, &rebuilt, 7).iter().map(|l| names.clean(l)));
    outcome.dump = dump_difference(&dump(&original), &dump(&rebuilt)).iter().map(|l| names.clean(l)).collect();
    outcome
}

#[test]
fn every_corpus_schema_is_adopted_rebuilt_and_dumped_as_its_expectation_says() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    // `ADOPTION_CASES=16_,17_` runs the cases whose file names start so (while working on them).
    let only = std::env::var("ADOPTION_CASES");
    if let Ok(only) = &only {
        let stem = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        cases.retain(|p| only.split(',').any(|prefix| stem(p).starts_with(prefix)));
    }
    cases.sort();
    let dev = fresh_database();
    create_roles(&dev, &ROLES);
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(sql) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let got = adopt(sql, &dev).render();
                    let expect = sql.with_extension("expect");
                    let name = sql.file_stem().unwrap().to_string_lossy().into_owned();
                    if update {
                        std::fs::write(&expect, &got).unwrap();
                        continue;
                    }
                    let wanted = std::fs::read_to_string(&expect).unwrap_or_default();
                    if got != wanted {
                        let change = similar::TextDiff::from_lines(&wanted, &got).unified_diff().to_string();
                        problems.lock().unwrap().push(format!("{name}: the run differs from {name}.expect:\n{change}"));
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    assert!(only.is_ok() || cases.len() >= 40, "the corpus holds {} schemas, fewer than 40", cases.len());
    assert!(
        problems.is_empty(),
        "{}\nif the change is intended (a gap closed, a new warning), run with UPDATE_EXPECT=1 and review the .expect files",
        problems.join("\n")
    );
}
