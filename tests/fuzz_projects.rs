//! A bounded mutation run over the shipped schema and the examples: thousands of projects made
//! by flipping, duplicating, deleting and swapping lines, swapping values and writing hostile
//! strings and types into them. It holds the loader to one invariant: a project `check`
//! accepts is one `migrate` can apply. Nothing panics, `check` exits 0 or 2, no project takes
//! over a second to load, and the first migration (PostgreSQL DDL) of every accepted project
//! applies on a real server. The seed is fixed, so a failure reproduces.

mod common;

use common::rng::{setting, Rng};
use schema::model::Dialect;
use schema::sql::lexer::{split_statements, tokens, Escapes};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Projects per run; `SCHEMA_FUZZ_PROJECTS` and `SCHEMA_FUZZ_SEED` run others, longer.
const PROJECTS: usize = 2_400;
/// Of which this many also run through the real binary.
const BINARY_EVERY: usize = 12;
const THREADS: usize = 2;

/// A project as shipped: its `schema.yaml` and its object files (path under the YAML folder,
/// declared name, text).
struct Corpus {
    project: String,
    files: Vec<(PathBuf, String, String)>,
}

fn corpora() -> Vec<Corpus> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("schema")];
    for e in std::fs::read_dir(root.join("examples")).unwrap() {
        dirs.push(e.unwrap().path().join("schema"));
    }
    dirs.sort();
    dirs.iter()
        .map(|dir| {
            let mut files = Vec::new();
            for sub in ["tables", "views"] {
                let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
                let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
                paths.sort();
                for p in paths {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let name = text
                        .lines()
                        .find_map(|l| l.split_once(':').filter(|(k, _)| !k.starts_with(' ')).map(|(_, v)| v.trim()))
                        .unwrap()
                        .to_string();
                    files.push((PathBuf::from(sub).join(p.file_name().unwrap()), name, text));
                }
            }
            Corpus { project: std::fs::read_to_string(dir.join("schema.yaml")).unwrap(), files }
        })
        .collect()
}

/// The file at `i` and, transitively, every file whose object it names: the tables a foreign
/// key or a view reads, so most mutants still have what they refer to.
fn closure(corpus: &Corpus, i: usize) -> Vec<usize> {
    let mut keep = vec![i];
    let mut k = 0;
    while k < keep.len() {
        let text = &corpus.files[keep[k]].2;
        for (j, (_, name, _)) in corpus.files.iter().enumerate() {
            let named = text.match_indices(name.as_str()).any(|(at, _)| {
                let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                !word(text[..at].chars().next_back()) && !word(text[at + name.len()..].chars().next())
            });
            if named && !keep.contains(&j) {
                keep.push(j);
            }
        }
        k += 1;
    }
    keep
}

/// Text that has broken tools before: quoting of every kind, comments, statement ends, control
/// characters, template syntax, numbers at the edges of their types, YAML's own syntax.
const HOSTILE: &[&str] = &[
    "'",
    "\"it's\"",
    "\"\\\\\"",
    "\"x\\\\\"",
    "\"\\\\'; DROP TABLE sentinel; --\"",
    "\"'; DROP TABLE sentinel; --\"",
    "$$",
    "\"$tag$ x $tag$\"",
    "-- comment",
    "/* c */",
    "\"a\\nb\"",
    "\"a\\rb\"",
    "\"a\\0b\"",
    "\"\\u0000\"",
    "\"\\x00\"",
    "é",
    "\"\u{202e}\u{1F642}\"",
    "\"\\t\"",
    "1e300",
    "-1e300",
    "1e-300",
    "0.1",
    "-0",
    "9223372036854775808",
    "-9223372036854775809",
    "2147483648",
    "32768",
    "123456789012345678901234567890123456789",
    "1.5",
    "[1, 2]",
    "{a: 1}",
    "{}",
    "[]",
    "~",
    "null",
    "true",
    "yes",
    ".inf",
    ".nan",
    "0x10",
    "0000-01-01",
    "2024-02-30",
    "'2024-01-01'",
    "\"{{ ref('x') }}\"",
    "\"{% raw %}\"",
    "\"{{\"",
    "&anchor x",
    "*anchor",
    "!!binary aGk=",
    "|",
    ">",
    "@x",
    "`x`",
    "pg_catalog",
    "pg_temp",
    "information_schema",
    "pg_x",
    "public",
    "\"\"",
    "x; SELECT 1",
    "(SELECT 1)",
    "now()",
    "CURRENT_DATE",
    "1/0",
    "NULL",
    "'a' || 'b'",
    "E'\\\\'",
    "ARRAY[1]",
    "x::text",
    // An operator's own characters before a comment: the server ends the operator there.
    "\"0 >-- '\"",
    "\"1 #-- x\\n+ 0\"",
    "\"1 ||/* x */ 2\"",
    "\"x @/* '\\n*/ 1\"",
    "\"E'a'\\n'\\\\' || ' x'\"",
];

const TYPES: &[&str] = &[
    "smallint",
    "integer",
    "bigint",
    "decimal(38,0)",
    "decimal(5,2)",
    "decimal",
    "real",
    "double precision",
    "boolean",
    "char",
    "char(3)",
    "varchar(1)",
    "varchar(64)",
    "varchar(max)",
    "text",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "json",
    "uuid",
];

/// The value part of a `key: value` line (after `- ` for list items), if any.
fn value_span(line: &str) -> Option<(usize, usize)> {
    let colon = line.find(": ")?;
    let start = colon + 2;
    (start < line.len()).then_some((start, line.len()))
}

fn mutate(rng: &mut Rng, text: &str, donors: &[&str]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(lines.len());
        match rng.below(10) {
            0 => {
                lines.remove(i);
                if lines.is_empty() {
                    lines.push(String::new());
                }
            }
            1 => lines.insert(i, lines[i].clone()),
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 => {
                // A line of another file, at this line's indentation.
                let donor = rng.pick(donors).lines().collect::<Vec<_>>();
                let line = donor[rng.below(donor.len())].trim_start();
                let indent = lines[i].len() - lines[i].trim_start().len();
                lines.insert(i, format!("{}{line}", " ".repeat(indent)));
            }
            4..=6 => {
                if let Some((a, b)) = value_span(&lines[i]) {
                    let hostile = *rng.pick(HOSTILE);
                    let new = match rng.below(4) {
                        0 => format!("{}{hostile}", &lines[i][a..b]),
                        1 => format!("{hostile}{}", &lines[i][a..b]),
                        _ => hostile.to_string(),
                    };
                    lines[i].replace_range(a..b, &new);
                }
            }
            7 => {
                if let Some((a, b)) = value_span(&lines[i]) {
                    let ty = rng.pick(TYPES).to_string();
                    lines[i].replace_range(a..b, &ty);
                }
            }
            8 => {
                // Swap the values of two lines.
                let j = rng.below(lines.len());
                if let (Some((a, b)), Some((c, d))) = (value_span(&lines[i]), value_span(&lines[j])) {
                    let (x, y) = (lines[i][a..b].to_string(), lines[j][c..d].to_string());
                    lines[i].replace_range(a..b, &y);
                    lines[j].replace_range(c..d, &x);
                }
            }
            _ => {
                if let Some((a, b)) = value_span(&lines[i]) {
                    let long = format!("\"{}\"", "x'\\".repeat(20_000 + rng.below(20_000)));
                    lines[i].replace_range(a..b, &long);
                }
            }
        }
    }
    lines.join("\n") + "\n"
}

#[derive(Default)]
struct Tally {
    projects: AtomicUsize,
    accepted: AtomicUsize,
    applied: AtomicUsize,
    unresolved: AtomicUsize,
    binary: AtomicUsize,
    failures: Mutex<Vec<String>>,
    slowest: Mutex<Duration>,
}

impl Tally {
    fn fail(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }
}

/// The mutant `n`: which corpus, its files (path, text) under a folder.
fn mutant(n: usize, seed: u64, corpora: &[Corpus]) -> Vec<(PathBuf, String)> {
    let mut rng = Rng((seed << 32) ^ n as u64);
    let corpus = rng.pick(corpora);
    let target = rng.below(corpus.files.len());
    let donors: Vec<&str> = corpus.files.iter().map(|f| f.2.as_str()).collect();
    let mut files: Vec<(PathBuf, String)> =
        closure(corpus, target).into_iter().map(|i| (corpus.files[i].0.clone(), corpus.files[i].2.clone())).collect();
    files[0].1 = mutate(&mut rng, &files[0].1, &donors);
    let project = if rng.below(8) == 0 { mutate(&mut rng, &corpus.project, &donors) } else { corpus.project.clone() };
    files.push((PathBuf::from("schema.yaml"), project));
    files
}

fn run(n: usize, seed: u64, corpora: &[Corpus], client: &mut postgres::Client, tally: &Tally) {
    let files = mutant(n, seed, corpora);
    let dir = Path::new("/fuzz/schema");
    let texts = files.iter().map(|(p, t)| (dir.join(p), Ok(t.clone()))).collect();
    let started = Instant::now();
    let loaded = std::panic::catch_unwind(|| schema::load::load_texts(dir, texts));
    let took = started.elapsed();
    tally.projects.fetch_add(1, Ordering::Relaxed);
    let mut slowest = tally.slowest.lock().unwrap();
    *slowest = (*slowest).max(took);
    drop(slowest);
    // The mutated file, and the project file when it differs from the corpus's.
    let show = || {
        files.iter().take(1).chain(files.last()).map(|(p, t)| format!("--- {}\n{t}", p.display())).collect::<String>()
    };
    let short = |s: String| s.chars().take(3000).collect::<String>();
    if took > Duration::from_secs(1) {
        tally.fail(format!("mutant {n}: loading took {took:?}\n{}", short(show())));
    }
    let project = match loaded {
        Err(_) => return tally.fail(format!("mutant {n}: the loader panicked\n{}", short(show()))),
        Ok(Err(diags)) => {
            if diags.iter().any(|d| d.message == "the semantic checks failed to run") {
                tally.fail(format!("mutant {n}: the semantic checks panicked\n{}", short(show())));
            }
            None
        }
        Ok(Ok(project)) => Some(project),
    };
    if n.is_multiple_of(BINARY_EVERY) {
        binary(n, &files, project.is_some(), tally);
    }
    let Some(project) = project else { return };
    tally.accepted.fetch_add(1, Ordering::Relaxed);
    let enabled = project.enabled();
    for &dialect in &project.dialects {
        let ddl = match std::panic::catch_unwind(|| schema::plan::create_all(&enabled, dialect)) {
            Ok(Ok(ddl)) => ddl,
            Ok(Err(e)) => {
                return tally.fail(format!("mutant {n}: accepted, but {dialect:?} DDL fails: {e}\n{}", short(show())))
            }
            Err(_) => return tally.fail(format!("mutant {n}: rendering {dialect:?} panicked\n{}", short(show()))),
        };
        // Text from the YAML may not open a comment in the SQL it is pasted into.
        if tokens(&ddl, schema::driver(dialect).escapes()).any(|t| t.is_comment()) {
            return tally
                .fail(format!("mutant {n}: accepted, but its {dialect:?} DDL holds a comment\n{}", short(show())));
        }
        if dialect != Dialect::Postgres {
            continue;
        }
        match apply(client, &ddl) {
            Ok(()) => {
                tally.applied.fetch_add(1, Ordering::Relaxed);
            }
            Err((statement, e)) if unresolved(&statement, &e) => {
                tally.unresolved.fetch_add(1, Ordering::Relaxed);
            }
            Err((statement, e)) => tally.fail(format!(
                "mutant {n}: accepted, but PostgreSQL refuses its DDL: {}\n{}\n--- refused\n{}",
                schema::error::describe(&e),
                short(show()),
                short(statement)
            )),
        }
    }
}

/// SQL text that parses but that only the server can resolve: `check` has no database to ask
/// (docs/security.md says so). In a view body, any name or type (a column the tables lack, one
/// not grouped, `NOT` of a text column); elsewhere, names only (a function, operator or type
/// that does not exist). Syntax errors, values out of range and mistyped literals and columns
/// are no such case: the loader refuses those.
fn unresolved(statement: &str, e: &postgres::Error) -> bool {
    const NAMES: [&str; 9] = ["42703", "42883", "42P01", "42803", "42701", "42702", "42P10", "42725", "42704"];
    let code = e.code().map_or("", |c| c.code());
    let view = statement.starts_with("CREATE VIEW") || statement.starts_with("CREATE MATERIALIZED VIEW");
    NAMES.contains(&code) || (view && code.starts_with("42") && code != "42601")
}

/// Runs DDL in a transaction that is rolled back; on failure, again statement by statement
/// to name the one refused.
fn apply(client: &mut postgres::Client, ddl: &str) -> Result<(), (String, postgres::Error)> {
    let first = client.batch_execute(&format!("BEGIN;\n{ddl}\n"));
    client.batch_execute("ROLLBACK").unwrap();
    let Err(error) = first else { return Ok(()) };
    client.batch_execute("BEGIN").unwrap();
    let refused = split_statements(ddl, Escapes::Standard)
        .into_iter()
        .find_map(|s| client.batch_execute(s).err().map(|e| (s.to_string(), e)));
    client.batch_execute("ROLLBACK").unwrap();
    Err(refused.unwrap_or((String::new(), error)))
}

/// The real `schema check`: exit 0 when the library accepts, 2 when it refuses, nothing else.
fn binary(n: usize, files: &[(PathBuf, String)], accepted: bool, tally: &Tally) {
    let root = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = root.path().join("schema").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schema"))
        .arg("--project")
        .arg(root.path())
        .args(["-q", "check"])
        .output()
        .unwrap();
    tally.binary.fetch_add(1, Ordering::Relaxed);
    let expected = if accepted { 0 } else { 2 };
    if out.status.code() != Some(expected) {
        let text = common::text(&out).chars().take(2000).collect::<String>();
        tally.fail(format!("mutant {n}: `schema check` exited {:?}, expected {expected}: {text}", out.status.code()));
    }
}

#[test]
fn mutated_projects_that_check_accepts_migrate() {
    let started = Instant::now();
    let corpora = corpora();
    let (projects, seed) =
        (setting("SCHEMA_FUZZ_PROJECTS", PROJECTS as u64) as usize, setting("SCHEMA_FUZZ_SEED", 0x5eed));
    let tally = Tally::default();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                let url = common::fresh_database();
                let mut client =
                    schema::db::Target::parse(&url, None, Duration::from_secs(10)).unwrap().connect().unwrap();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= projects {
                        break;
                    }
                    run(n, seed, &corpora, &mut client, &tally);
                }
            });
        }
    });
    let failures = tally.failures.into_inner().unwrap();
    let distinct: BTreeSet<String> =
        failures.iter().map(|f| f.lines().next().unwrap_or_default().to_string()).collect();
    println!(
        "seed {seed:#x}: {} projects, {} accepted, {} applied on PostgreSQL ({} more refused on names or view types only the server resolves), \
         {} through the binary; slowest load {:?}; {:?} in all",
        tally.projects.into_inner(),
        tally.accepted.into_inner(),
        tally.applied.into_inner(),
        tally.unresolved.into_inner(),
        tally.binary.into_inner(),
        tally.slowest.into_inner().unwrap(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{} failure(s): {distinct:#?}\n\n{}", failures.len(), failures.join("\n\n"));
}
