//! `schema seed`: synthetic rows for the tables of a project, for tests, demos and benchmarks.
//!
//! Rows follow the column types, keys and checks of the YAML: primary keys are unique, foreign
//! keys point at generated parent rows, `derived: DATE(x)` columns hold the date of `x`,
//! latency checks get consistent timestamps, `col IN (...)` and `a = b + c` conditions hold,
//! and a few column names of the shipped schema get realistic values. Row `i` of a table depends
//! only on the seed, the table, `i` and the end date, so a seed always gives the same data.
//!
//! A defect `[table.]check=N` makes N rows of the table (of every selected table that has the
//! check, without a table) fail exactly that check, so a validation test can assert exact counts.
//! Rows are loaded with COPY FROM STDIN: PostgreSQL only.

use crate::calendar;
use crate::db::{self, Target};
use crate::error::{describe, Error, Result};
use crate::graph;
use crate::model::{Check, CheckKind, ColumnType, Project, Table};
use crate::render::Renderer;
use crate::sql::lexer::{ident_value, significant, string_value, Escapes, Kind};
use crate::suggest::unknown;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::{Duration, Instant};

pub struct Options {
    pub rows: u64,
    pub seed: u64,
    pub tables: Vec<String>,
    /// `[table.]check=count`
    pub defects: Vec<String>,
    /// Rows span this many days before `end`.
    pub days: u32,
    /// Day after the last generated one (`YYYY-MM-DD`); default today (UTC).
    pub end: Option<String>,
    /// Empty the tables first instead of refusing tables that have rows.
    pub replace: bool,
}

const DAY_MS: i64 = 86_400_000;

/// Realistic values for column names of the shipped schema.
const POOLS: &[(&str, &[&str])] = &[
    ("model", &["gpt-4o", "gpt-4o-mini", "o3-mini", "claude-sonnet-4", "gemini-2.0-flash"]),
    ("search_type", &["web", "news", "images", "shopping"]),
    ("action_type", &["click", "type", "navigate", "search", "scroll", "extract"]),
    ("status", &["completed", "completed", "completed", "failed", "in_progress"]),
    ("execution_status", &["success", "success", "success", "failed"]),
    ("finish_reason", &["stop", "stop", "length", "tool_calls"]),
    ("tool_name", &["web_search", "search_history", "group_tabs", "open_tab", "fill_form"]),
    ("reasoning_step_type", &["web_search", "browser_tool_execution", "agent_progress"]),
    ("agent_step_type", &["ENTROPY_REQUEST"]),
    ("response_type", &["message", "tool_call"]),
    ("object_type", &["chat.completion"]),
    ("created_by", &["user", "agent"]),
    ("preferred_language", &["ko-KR", "en-US", "ja-JP"]),
    ("time_zone", &["Asia/Seoul", "America/New_York", "Europe/Berlin"]),
];

/// A generated value.
#[derive(Clone)]
enum Val {
    Null,
    Int(i64),
    /// A timestamp, in milliseconds since the epoch.
    Ms(i64),
    /// A date, in days since the epoch.
    Day(i64),
    Num(f64, u8),
    Bool(bool),
    Text(String),
}

/// How a column gets its value.
enum Rule {
    /// `i + 1`: integer primary keys (identity values given explicitly, so children can refer to them).
    Serial,
    /// A hex key of (salt, n), with n = i, or i % group for a member of a unique constraint.
    Key {
        salt: u64,
        len: usize,
        group: Option<u64>,
    },
    /// The key of a row of a seeded parent: a random one, or row i / group (unique constraints).
    Parent {
        salt: u64,
        len: Option<usize>,
        rows: u64,
        group: Option<u64>,
    },
    /// i % group: the integer member of a unique constraint.
    Member(u64),
    Pick(Vec<String>),
    /// The row's instant (event_timestamp), or latency later (the end of a latency check).
    Instant {
        plus_latency: bool,
    },
    /// Within ten minutes of the row's instant (its day, for a date column).
    Around {
        date: bool,
    },
    Null,
    Latency,
    /// The date of another column (`derived: DATE(x)`).
    DateOf(usize),
    Sum(usize, usize),
    Int(i64, i64),
    Num {
        lo: f64,
        hi: f64,
        scale: u8,
    },
    Bool,
    Word {
        name: String,
        len: usize,
    },
    Id {
        salt: u64,
        len: usize,
        distinct: u64,
    },
    Json,
    Uuid,
    TimeOfDay,
}

/// What a defect does to its rows.
#[derive(Clone)]
enum Violation {
    Null(usize),
    NextDay(usize),
    Set(usize, String),
    AddOne(usize),
    Off(usize, u32),
}

struct Defect {
    violation: Violation,
    count: u64,
    /// Rows fall inside the check's window: at most this many days back.
    within_days: Option<u32>,
}

struct Generator<'a> {
    table: &'a Table,
    salt: u64,
    rules: Vec<Rule>,
    /// Nullable columns no check reads: NULL in a few rows, as real data has.
    sparse: Vec<bool>,
    defects: Vec<Defect>,
}

/// SplitMix64: small, fast and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn hash(a: u64, b: u64) -> u64 {
    Rng(a ^ b.rotate_left(29).wrapping_mul(0xD6E8_FEB8_6659_FD93)).next()
}

fn salt(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3))
}

/// A 24-hex-digit key (a MongoDB ObjectId's shape), cut to the column's length.
fn key(salt: u64, n: u64, len: usize) -> String {
    let mut k = format!("{:016x}{:08x}", hash(salt, n), hash(salt ^ 1, n) as u32);
    k.truncate(len);
    k
}

/// SQL words: identifiers (lowercased), quoted strings and single symbols.
#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Sym(char),
}

fn tokens(sql: &str) -> Vec<Tok> {
    significant(sql, Escapes::Standard)
        .filter_map(|t| match t.kind {
            Kind::Word | Kind::QuotedIdent => ident_value(&t).map(Tok::Word),
            Kind::Number => Some(Tok::Word(t.text.to_string())),
            Kind::String => string_value(&t, Escapes::Standard).map(Tok::Str),
            _ => t.text.chars().next().map(Tok::Sym),
        })
        .collect()
}

/// The forms of check SQL the generator understands.
enum Form {
    /// `col IN ('a', 'b')`
    OneOf(String, Vec<String>),
    /// `col = a + b`
    Sum(String, String, String),
    /// `col = 'text'`
    Equals(String, String),
    /// `DATE(col)`
    DateOf(String),
}

fn forms(sql: &str) -> Vec<Form> {
    use Tok::*;
    let t = tokens(sql);
    let mut out = Vec::new();
    for i in 0..t.len() {
        match &t[i..] {
            [Word(c), Word(kw), Sym('('), rest @ ..] if kw == "in" => {
                let items: Vec<String> = rest
                    .iter()
                    .take_while(|x| **x != Sym(')'))
                    .filter_map(|x| if let Str(s) = x { Some(s.clone()) } else { None })
                    .collect();
                out.push(Form::OneOf(c.clone(), items));
            }
            [Word(c), Sym('='), Word(a), Sym('+'), Word(b), ..] => out.push(Form::Sum(c.clone(), a.clone(), b.clone())),
            [Word(c), Sym('='), Str(s), ..] => out.push(Form::Equals(c.clone(), s.clone())),
            [Word(f), Sym('('), Word(c), Sym(')')] if f == "date" && i == 0 => out.push(Form::DateOf(c.clone())),
            _ => {}
        }
    }
    out
}

impl<'a> Generator<'a> {
    fn new(project: &'a Project, table: &'a Table, sizes: &BTreeMap<&str, u64>, rows: u64) -> Result<Generator<'a>> {
        let idx = |name: &str| table.columns.iter().position(|c| c.name == name);
        let sql_forms = |ratio: bool| -> Vec<Form> {
            table
                .checks
                .iter()
                .flat_map(|c| match &c.kind {
                    CheckKind::Ratio { when, .. } if ratio => forms(when),
                    CheckKind::Condition { sql } if !ratio => forms(sql),
                    _ => vec![],
                })
                .collect()
        };
        let (conditions, ratios) = (sql_forms(false), sql_forms(true));
        let latency = table.checks.iter().find_map(|c| match &c.kind {
            CheckKind::Latency { reported, start, end, .. } => Some((reported, start, end)),
            _ => None,
        });
        // The columns derived dates are computed from hold the row's instant (event_timestamp).
        let derivations: Vec<Form> =
            table.columns.iter().filter_map(|c| c.derived.as_deref()).flat_map(forms).collect();
        let sources: Vec<&str> =
            derivations.iter().filter_map(|f| if let Form::DateOf(c) = f { Some(c.as_str()) } else { None }).collect();
        let mut rules = Vec::new();
        for column in &table.columns {
            let name = column.name.as_str();
            let text_len = match column.ty {
                ColumnType::Varchar(n) | ColumnType::Char(n) => n as usize,
                _ => 64,
            };
            // Members of a multi-column unique constraint: a foreign key takes row i / group of
            // its parent and the others i % group, so no two rows share the combination.
            let group = table.unique.iter().find(|u| u.len() > 1 && u.iter().any(|c| c == name)).map(|u| {
                let parents =
                    table.foreign_keys.iter().filter(|fk| fk.columns.len() == 1 && u.contains(&fk.columns[0]));
                let parent_rows = parents.filter_map(|fk| sizes.get(fk.table.as_str())).min();
                parent_rows.map_or(rows, |p| rows.div_ceil((*p).max(1)))
            });
            let fk = table.foreign_keys.iter().find(|fk| fk.columns == [name]);
            let rule = if table.primary_key == [name] {
                if column.ty.is_integer() {
                    Rule::Serial
                } else {
                    Rule::Key { salt: salt(&table.name), len: text_len, group: None }
                }
            } else if let Some(fk) = fk {
                let parent = project.table(&fk.table).expect("foreign keys are checked by the loader");
                let referenced = fk.references.first().map_or("", String::as_str);
                match sizes.get(parent.name.as_str()) {
                    _ if !parent.rows.is_empty() => Rule::Pick(reference_values(parent, referenced)),
                    Some(&rows) if parent.primary_key == [referenced] => {
                        let len = (!column.ty.is_integer()).then_some(text_len);
                        Rule::Parent { salt: salt(&parent.name), len, rows, group }
                    }
                    _ => {
                        return Err(Error::new(format!(
                            "cannot generate {}.{name}: it references {}.{referenced}, which is neither seeded nor reference data",
                            table.name, parent.name
                        )))
                    }
                }
            } else if let Some(group) = group {
                if column.ty.is_integer() {
                    Rule::Member(group)
                } else {
                    Rule::Key { salt: salt(&format!("{}.{name}", table.name)), len: text_len, group: Some(group) }
                }
            } else if let Some((reported, _, end)) = latency.filter(|(r, s, e)| [*r, *s, *e].contains(&&column.name)) {
                if name == reported {
                    Rule::Latency
                } else {
                    Rule::Instant { plus_latency: name == end }
                }
            } else if sources.contains(&name) {
                Rule::Instant { plus_latency: false }
            } else if let Some(derived) = &column.derived {
                match forms(derived).first() {
                    Some(Form::DateOf(src)) => idx(src).map_or(Rule::Null, Rule::DateOf),
                    // Any other derivation is left NULL, for `schema backfill` to fill.
                    _ => Rule::Null,
                }
            } else if let Some(rule) = conditions.iter().find_map(|f| match f {
                Form::OneOf(c, items) if c == name => Some(Rule::Pick(items.clone())),
                Form::Sum(c, a, b) if c == name => Some(Rule::Sum(idx(a)?, idx(b)?)),
                _ => None,
            }) {
                rule
            } else if let Some((_, pool)) = POOLS.iter().find(|(n, _)| *n == name) {
                Rule::Pick(pool.iter().map(|s| s.to_string()).collect())
            } else if let Some(values) = project
                .tables
                .iter()
                .filter(|t| t.name != table.name && !t.rows.is_empty())
                .map(|t| reference_values(t, name))
                .find(|v| !v.is_empty())
            {
                Rule::Pick(values)
            } else {
                fallback(column.ty, name, &table.name, text_len, rows)
            };
            // Only defect rows may match a ratio check.
            let rule = match rule {
                Rule::Pick(items) => Rule::Pick(
                    items
                        .into_iter()
                        .filter(|v| !ratios.iter().any(|f| matches!(f, Form::Equals(c, s) if c == name && s == v)))
                        .collect(),
                ),
                rule => rule,
            };
            rules.push(rule);
        }
        let read: BTreeSet<String> = table.checks.iter().flat_map(check_words).collect();
        let sparse = table
            .columns
            .iter()
            .map(|c| {
                c.nullable && !read.contains(&c.name) && c.derived.is_none() && table.primary_key != [c.name.as_str()]
            })
            .collect();
        Ok(Generator { table, salt: salt(&table.name), rules, sparse, defects: Vec::new() })
    }

    /// `count` rows of this table will fail `check`, and only it.
    fn add_defect(&mut self, check: &Check, count: u64) -> Result<()> {
        let table = self.table;
        let idx = |name: &str| table.columns.iter().position(|c| c.name == name).unwrap_or(0);
        let cannot = |why: &str| Error::new(format!("--defect {}.{}: {why}", table.name, check.name));
        let violation = match &check.kind {
            CheckKind::NotNull { column } => {
                if !table.column(column).is_some_and(|c| c.nullable) {
                    return Err(cannot(&format!(
                        "column {column} is NOT NULL in the schema, so it cannot hold the defect"
                    )));
                }
                Violation::Null(idx(column))
            }
            CheckKind::Derived { column, expr } => match forms(expr).first() {
                Some(Form::DateOf(_)) => Violation::NextDay(idx(column)),
                _ => return Err(cannot(&format!("only `DATE(column)` derivations can be made wrong, not `{expr}`"))),
            },
            CheckKind::Ratio { when, .. } => match forms(when).into_iter().next() {
                Some(Form::Equals(c, s)) => Violation::Set(idx(&c), s),
                _ => {
                    return Err(cannot(&format!("rows matching `{when}` can only be generated for `column = 'text'`")))
                }
            },
            CheckKind::Condition { sql } => {
                match forms(sql).into_iter().find(|f| matches!(f, Form::OneOf(..) | Form::Sum(..))) {
                    Some(Form::OneOf(c, _)) => Violation::Set(idx(&c), "invalid".into()),
                    Some(Form::Sum(c, ..)) => Violation::AddOne(idx(&c)),
                    _ => {
                        return Err(cannot(&format!(
                            "rows violating `{sql}` can only be generated for `col IN (...)` or `col = a + b`"
                        )))
                    }
                }
            }
            CheckKind::Latency { reported, tolerance_ms, .. } => Violation::Off(idx(reported), *tolerance_ms),
            CheckKind::Unique { .. } => {
                return Err(cannot("duplicate keys are not generated (PostgreSQL would refuse most of them)"))
            }
        };
        let within_days = check.window.as_ref().map(|w| w.days.saturating_sub(2).max(1));
        self.defects.push(Defect { violation, count, within_days });
        Ok(())
    }

    /// The defect of the m-th defect row: the first `count` rows go to the first defect, and so on.
    fn defect(&self, mut m: u64) -> &Defect {
        for d in &self.defects {
            if m < d.count {
                return d;
            }
            m -= d.count;
        }
        unreachable!("m is below the total count")
    }

    /// Writes `rows` rows in COPY text format.
    fn write(&self, out: &mut impl Write, rows: u64, seed: u64, end_ms: i64, days: u32) -> std::io::Result<()> {
        let total: u64 = self.defects.iter().map(|d| d.count).sum();
        let (mut next_defect, mut line) = (0u64, String::new());
        let mut values = vec![Val::Null; self.rules.len()];
        for i in 0..rows {
            // Defect rows are spread evenly: defect m is row m * rows / total.
            let defect = (next_defect < total && i == next_defect * rows / total).then(|| {
                next_defect += 1;
                self.defect(next_defect - 1)
            });
            let mut rng = Rng(hash(seed ^ self.salt, i));
            let span = defect.and_then(|d| d.within_days).unwrap_or(days).max(1) as i64 * DAY_MS;
            let instant = end_ms - 1 - rng.below(span as u64) as i64;
            let latency = 200 + rng.below(20_000) as i64;
            for (c, rule) in self.rules.iter().enumerate() {
                values[c] = self.value(rule, i, instant, latency, &values, &mut rng);
                if self.sparse[c] && rng.below(50) == 0 {
                    values[c] = Val::Null;
                }
            }
            // Rules that read other columns: again, now that those are known.
            for (c, rule) in self.rules.iter().enumerate() {
                if matches!(rule, Rule::DateOf(_) | Rule::Sum(..)) {
                    values[c] = self.value(rule, i, instant, latency, &values, &mut rng);
                }
            }
            if let Some(d) = defect {
                match &d.violation {
                    Violation::Null(c) => values[*c] = Val::Null,
                    Violation::NextDay(c) => values[*c] = Val::Day(instant.div_euclid(DAY_MS) + 1),
                    Violation::Set(c, s) => values[*c] = Val::Text(s.clone()),
                    Violation::AddOne(c) => values[*c] = Val::Int(as_int(&values[*c]) + 1),
                    Violation::Off(c, tolerance) => {
                        values[*c] = Val::Int(latency + *tolerance as i64 + 1 + rng.below(1000) as i64)
                    }
                }
            }
            line.clear();
            for (c, v) in values.iter().enumerate() {
                if c > 0 {
                    line.push('\t');
                }
                copy_text(v, &mut line);
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    fn value(&self, rule: &Rule, i: u64, instant: i64, latency: i64, values: &[Val], rng: &mut Rng) -> Val {
        match rule {
            Rule::Serial => Val::Int(i as i64 + 1),
            Rule::Key { salt, len, group } => Val::Text(key(*salt, group.map_or(i, |g| i % g), *len)),
            Rule::Parent { salt, len, rows, group } => {
                let j = group.map_or_else(|| rng.below(*rows), |g| (i / g).min(rows - 1));
                len.map_or(Val::Int(j as i64 + 1), |len| Val::Text(key(*salt, j, len)))
            }
            Rule::Member(group) => Val::Int((i % group) as i64),
            Rule::Pick(items) if items.is_empty() => Val::Null,
            Rule::Pick(items) => Val::Text(items[rng.below(items.len() as u64) as usize].clone()),
            Rule::Instant { plus_latency } => Val::Ms(instant + if *plus_latency { latency } else { 0 }),
            Rule::Around { date } => {
                let ms = instant + rng.below(1_200_000) as i64 - 600_000;
                if *date {
                    Val::Day(ms.div_euclid(DAY_MS))
                } else {
                    Val::Ms(ms)
                }
            }
            Rule::Null => Val::Null,
            Rule::Latency => Val::Int(latency),
            Rule::DateOf(c) => match values[*c] {
                Val::Ms(ms) => Val::Day(ms.div_euclid(DAY_MS)),
                _ => Val::Null,
            },
            Rule::Sum(a, b) => Val::Int(as_int(&values[*a]) + as_int(&values[*b])),
            Rule::Int(lo, hi) => Val::Int(lo + rng.below((hi - lo + 1) as u64) as i64),
            Rule::Num { lo, hi, scale } => Val::Num(lo + (hi - lo) * (rng.below(1_000_000) as f64 / 1e6), *scale),
            Rule::Bool => Val::Bool(rng.below(2) == 0),
            Rule::Word { name, len } => {
                let mut w = format!("{name}_{}", rng.below(20));
                w.truncate(*len);
                Val::Text(w)
            }
            Rule::Id { salt, len, distinct } => Val::Text(key(*salt, rng.below(*distinct), *len)),
            Rule::Json => Val::Text(format!("{{\"theme\": \"{}\"}}", ["dark", "light"][rng.below(2) as usize])),
            Rule::Uuid => {
                let k = format!("{:016x}{:016x}", rng.next(), rng.next());
                Val::Text(format!("{}-{}-{}-{}-{}", &k[..8], &k[8..12], &k[12..16], &k[16..20], &k[20..]))
            }
            Rule::TimeOfDay => Val::Text(calendar::timestamp_text(rng.below(DAY_MS as u64) as i64)[11..19].to_string()),
        }
    }
}

fn as_int(v: &Val) -> i64 {
    match v {
        Val::Int(n) => *n,
        _ => 0,
    }
}

/// Columns a check reads (where a NULL would change its outcome).
fn check_words(check: &Check) -> Vec<String> {
    let sql_words =
        |s: &str| tokens(s).into_iter().filter_map(|t| if let Tok::Word(w) = t { Some(w) } else { None }).collect();
    let mut words: Vec<String> = match &check.kind {
        CheckKind::NotNull { column } => vec![column.clone()],
        CheckKind::Derived { column, expr } => [vec![column.clone()], sql_words(expr)].concat(),
        CheckKind::Ratio { when, .. } => sql_words(when),
        CheckKind::Condition { sql } => sql_words(sql),
        CheckKind::Latency { reported, start, end, .. } => vec![reported.clone(), start.clone(), end.clone()],
        CheckKind::Unique { columns, filter } => {
            [columns.clone(), filter.as_deref().map(sql_words).unwrap_or_default()].concat()
        }
    };
    words.extend(check.window.iter().map(|w| w.column.clone()));
    words
}

/// The distinct values of a column in a table's reference rows.
fn reference_values(table: &Table, column: &str) -> Vec<String> {
    let mut values: Vec<String> = table
        .rows
        .iter()
        .filter_map(|r| r.get(column))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect();
    values.sort();
    values.dedup();
    values
}

/// Values from the column type, with a few hints from the name.
fn fallback(ty: ColumnType, name: &str, table: &str, len: usize, rows: u64) -> Rule {
    match ty {
        ColumnType::SmallInt => Rule::Int(0, 100),
        ColumnType::Integer | ColumnType::BigInt if name.ends_with("_tokens") => Rule::Int(20, 4000),
        ColumnType::Integer | ColumnType::BigInt => Rule::Int(0, 1000),
        ColumnType::Decimal(p, s) => {
            let top = 10f64.powi((p - s) as i32) - 10f64.powi(-(s as i32));
            let (lo, hi): (f64, f64) = match name {
                _ if name.contains("confidence") => (0.5, 1.0),
                _ if name.contains("cost") => (0.0, 0.05),
                _ => (0.0, 100.0),
            };
            Rule::Num { lo: lo.min(top), hi: hi.min(top), scale: s }
        }
        ColumnType::Real | ColumnType::Double => Rule::Num { lo: 0.0, hi: 1000.0, scale: 3 },
        ColumnType::Boolean => Rule::Bool,
        ColumnType::Date => Rule::Around { date: true },
        ColumnType::Timestamp | ColumnType::TimestampTz => Rule::Around { date: false },
        ColumnType::Time => Rule::TimeOfDay,
        ColumnType::Json => Rule::Json,
        ColumnType::Uuid => Rule::Uuid,
        // Identifiers repeat as in real data: about four rows per value.
        _ if name.ends_with("_id") => Rule::Id { salt: salt(&format!("{table}.{name}")), len, distinct: rows / 4 + 1 },
        _ => Rule::Word { name: name.to_string(), len },
    }
}

fn copy_text(v: &Val, out: &mut String) {
    use std::fmt::Write as _;
    let _ = match v {
        Val::Null => write!(out, "\\N"),
        Val::Int(n) => write!(out, "{n}"),
        Val::Ms(ms) => write!(out, "{}", calendar::timestamp_text(*ms)),
        Val::Day(d) => write!(out, "{}", calendar::date_text(*d)),
        Val::Num(x, scale) => write!(out, "{x:.*}", *scale as usize),
        Val::Bool(b) => write!(out, "{}", if *b { 't' } else { 'f' }),
        Val::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
            Ok(())
        }
    };
}

/// The tables to fill: those named (all enabled ones by default) plus the tables they reference,
/// parents first; tables with reference rows are filled by their migration instead.
fn selection<'a>(project: &'a Project, names: &[String]) -> Result<Vec<&'a Table>> {
    let mut wanted: BTreeSet<&str> =
        project.enabled_tables(names).map_err(Error::new)?.iter().map(|t| t.name.as_str()).collect();
    while let Some(parent) = project
        .tables
        .iter()
        .filter(|t| wanted.contains(t.name.as_str()))
        .flat_map(|t| t.foreign_keys.iter().map(|fk| fk.table.as_str()))
        .find(|p| !wanted.contains(p))
    {
        wanted.insert(parent);
    }
    let order = graph::table_order(&project.tables);
    Ok(order.into_iter().filter(|t| wanted.contains(t.name.as_str()) && t.rows.is_empty()).collect())
}

/// Fills the tables; `report` gets each table with its row count and load time.
pub fn seed(
    target: &Target,
    project: &Project,
    options: &Options,
    mut report: impl FnMut(&str, u64, Duration),
) -> Result<()> {
    if !crate::dialect::driver(target.dialect()).copy_from_stdin() {
        return Err(Error::new(format!(
            "schema seed loads with COPY FROM STDIN, which {} does not have (it copies from S3)",
            target.dialect()
        )));
    }
    let end_day = match &options.end {
        Some(text) => calendar::parse_day(text)
            .ok_or_else(|| Error::new(format!("--end `{text}`: expected YYYY-MM-DD, year 1 to 9999")))?,
        None => calendar::now_ms().div_euclid(DAY_MS),
    };
    let tables = selection(project, &options.tables)?;
    let sizes: BTreeMap<&str, u64> = tables.iter().map(|t| (t.name.as_str(), options.rows)).collect();
    let mut generators =
        tables.iter().map(|t| Generator::new(project, t, &sizes, options.rows)).collect::<Result<Vec<_>>>()?;
    for spec in &options.defects {
        let bad =
            || Error::new(format!("--defect `{spec}`: expected [table.]check=count, e.g. event_date_not_null=100"));
        let (target, count) = spec.split_once('=').ok_or_else(bad)?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        let (table, check) = match target.split_once('.') {
            Some((t, c)) => (Some(t), c),
            None => (None, target),
        };
        let mut used = false;
        for g in generators.iter_mut().filter(|g| table.is_none_or(|t| t == g.table.name)) {
            if let Some(c) = g.table.checks.iter().find(|c| c.name == check) {
                g.add_defect(c, count)?;
                used = true;
            }
        }
        if !used {
            let names = generators.iter().flat_map(|g| g.table.checks.iter().map(|c| c.name.as_str()));
            let what = table.map_or("check".to_string(), |t| format!("check on seeded table {t}:"));
            return Err(Error::new(format!("--defect `{spec}`: {}", unknown(&what, check, names))));
        }
    }
    for g in &generators {
        let defects: u64 = g.defects.iter().map(|d| d.count).sum();
        if defects > options.rows {
            return Err(Error::new(format!("{}: {defects} defect rows but only {} rows", g.table.name, options.rows)));
        }
    }
    let renderer = Renderer::new(target.dialect(), &project.namespace);
    let client = &mut target.connect()?;
    let fail = |what: String| move |e: postgres::Error| Error::new(format!("{what}: {}", describe(&e)));
    let mut full = Vec::new();
    for t in &tables {
        let sql = renderer.query("seed", minijinja::context! { step => "probe", table => &t.name })?;
        let rows = db::text_rows(client, &sql).map_err(fail(format!("reading {}", t.name)))?;
        if rows.first().and_then(|r| r[0].as_deref()) != Some("0") {
            full.push(t.name.as_str());
        }
    }
    if !full.is_empty() {
        if !options.replace {
            return Err(Error::new(format!(
                "{} already hold rows: pass --replace to empty them first",
                full.join(", ")
            )));
        }
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        let sql = renderer.query("seed", minijinja::context! { step => "truncate", tables => names })?;
        client.batch_execute(&sql).map_err(fail("emptying the tables".into()))?;
    }
    for g in &mut generators {
        let started = Instant::now();
        let name = &g.table.name;
        let columns: Vec<&str> = g.table.columns.iter().map(|c| c.name.as_str()).collect();
        let sql = renderer.query("seed", minijinja::context! { step => "copy", table => name, columns => columns })?;
        let mut writer = client.copy_in(&sql).map_err(fail(format!("loading {name}")))?;
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut writer);
        let written = g.write(&mut buffered, options.rows, options.seed, end_day * DAY_MS, options.days);
        let flushed = written.and_then(|_| buffered.flush());
        drop(buffered);
        flushed.map_err(|e| Error::new(format!("loading {name}: {e}")))?;
        writer.finish().map_err(fail(format!("loading {name}")))?;
        let identity: Vec<&str> =
            g.table.columns.iter().filter(|c| c.identity.is_some()).map(|c| c.name.as_str()).collect();
        let sql =
            renderer.query("seed", minijinja::context! { step => "finish", table => name, identity => identity })?;
        client.batch_execute(&sql).map_err(fail(format!("finishing {name}")))?;
        report(name, options.rows, started.elapsed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn understands_the_check_forms_it_generates_for() {
        let f = forms("tool_category IN ('web_search', 'it''s')");
        assert!(matches!(&f[0], Form::OneOf(c, v) if c == "tool_category" && v == &["web_search", "it's"]));
        let f = forms("total_tokens IS NULL OR total_tokens = prompt_tokens + completion_tokens");
        assert!(
            matches!(&f[0], Form::Sum(c, a, b) if c == "total_tokens" && a == "prompt_tokens" && b == "completion_tokens")
        );
        assert!(
            matches!(&forms("domain_category = 'Unknown'")[0], Form::Equals(c, s) if c == "domain_category" && s == "Unknown")
        );
        assert!(matches!(&forms("DATE(event_timestamp)")[0], Form::DateOf(c) if c == "event_timestamp"));
        assert!(forms("DATE(a) + 1").iter().all(|f| !matches!(f, Form::DateOf(_))));
    }

    fn rows(seed: u64, defects: &[(&str, u64)]) -> String {
        let project = crate::load::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")).unwrap();
        let table = project.table("usage_metrics").unwrap();
        let sizes = BTreeMap::from([("chat_sessions", 100), ("usage_metrics", 100)]);
        let mut g = Generator::new(&project, table, &sizes, 100).unwrap();
        for (check, n) in defects {
            g.add_defect(table.checks.iter().find(|c| c.name == *check).unwrap(), *n).unwrap();
        }
        let mut out = Vec::new();
        g.write(&mut out, 100, seed, 20_000 * DAY_MS, 30).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_seed_always_gives_the_same_rows_and_defects_touch_only_their_rows() {
        let a = rows(7, &[]);
        assert_eq!(a, rows(7, &[]));
        assert_ne!(a, rows(8, &[]));
        assert_eq!(a.lines().count(), 100);
        let bad = rows(7, &[("latency", 3), ("event_date_not_null", 2)]);
        let changed: Vec<usize> =
            a.lines().zip(bad.lines()).enumerate().filter(|(_, (x, y))| x != y).map(|(i, _)| i).collect();
        assert_eq!(changed, [0, 20, 40, 60, 80], "defect rows are spread evenly");
        assert!(bad.lines().nth(60).unwrap().ends_with("\\N"), "event_date is the last column");
    }

    #[test]
    fn copy_text_escapes_what_copy_would_misread() {
        let mut out = String::new();
        copy_text(&Val::Text("a\tb\\c\n".into()), &mut out);
        assert_eq!(out, "a\\tb\\\\c\\n");
    }
}
