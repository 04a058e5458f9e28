//! The building blocks of synthetic rows: values, how a column gets its value (rules), what a
//! defect does to a row, a small deterministic random generator, and the few forms of check SQL
//! the generator understands (read with the project's lexer).

use crate::calendar;
use crate::model::{Check, CheckKind, ColumnType, Table};
use crate::sql::lexer::{ident_value, significant, string_value, Escapes, Kind};

/// A generated value.
#[derive(Clone)]
pub(super) enum Val {
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
pub(super) enum Rule {
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
    /// A `lookup:` column's value for the row's match columns, else the default.
    Lookup(Box<LookedUp>),
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
/// A lookup's reference rows as the database holds them: match values → value.
pub(super) struct LookedUp {
    pub(super) on: Vec<usize>,
    pub(super) values: std::collections::HashMap<Vec<String>, String>,
    pub(super) default: Option<String>,
}

pub(super) enum Violation {
    Null(usize),
    NextDay(usize),
    Set(usize, String),
    AddOne(usize),
    Off(usize, u32),
}

pub(super) struct Defect {
    pub(super) violation: Violation,
    pub(super) count: u64,
    /// Rows fall inside the check's window: at most this many days back.
    pub(super) within_days: Option<u32>,
}

/// SplitMix64: small, fast and good enough for synthetic data.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub(super) fn hash(a: u64, b: u64) -> u64 {
    Rng(a ^ b.rotate_left(29).wrapping_mul(0xD6E8_FEB8_6659_FD93)).next()
}

pub(super) fn salt(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3))
}

/// A 24-hex-digit key (a MongoDB ObjectId's shape), cut to the column's length.
pub(super) fn key(salt: u64, n: u64, len: usize) -> String {
    let mut k = format!("{:016x}{:08x}", hash(salt, n), hash(salt ^ 1, n) as u32);
    k.truncate(len);
    k
}

/// SQL words: identifiers (lowercased), quoted strings and single symbols.
#[derive(Debug, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Str(String),
    Sym(char),
    /// A comparison of two characters: `>=`, `<=`, `<>`, `!=`.
    Cmp(String),
}

pub(super) fn tokens(sql: &str) -> Vec<Tok> {
    significant(sql, Escapes::Standard)
        .filter_map(|t| match t.kind {
            Kind::Word | Kind::QuotedIdent => ident_value(&t).map(Tok::Word),
            Kind::Number => Some(Tok::Word(t.text.to_string())),
            Kind::String => string_value(&t, Escapes::Standard).map(Tok::Str),
            _ if t.text.len() == 2 && t.text.chars().all(|c| "<>=!".contains(c)) => Some(Tok::Cmp(t.text.into())),
            _ => t.text.chars().next().map(Tok::Sym),
        })
        .collect()
}

/// The forms of check SQL the generator understands.
pub(super) enum Form {
    /// `col IN ('a', 'b')`
    OneOf(String, Vec<String>),
    /// `col = a + b`
    Sum(String, String, String),
    /// `col = 'text'`
    Equals(String, String),
    /// `DATE(col)`
    DateOf(String),
    /// `col >= 0`, `col < 100`: the column and the nearest value that breaks it.
    Bound(String, String),
}

pub(super) fn forms(sql: &str) -> Vec<Form> {
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
            [Word(c), op, Word(n), ..] if n.parse::<f64>().is_ok() => {
                let n: f64 = n.parse().unwrap_or_default();
                let breaking = match op {
                    Cmp(o) if o == ">=" => Some(n - 1.0),
                    Cmp(o) if o == "<=" => Some(n + 1.0),
                    Sym('>') | Sym('<') => Some(n),
                    _ => None,
                };
                out.extend(breaking.map(|v| Form::Bound(c.clone(), v.to_string())));
            }
            _ => {}
        }
    }
    out
}

pub(super) fn as_int(v: &Val) -> i64 {
    match v {
        Val::Int(n) => *n,
        _ => 0,
    }
}

/// Columns a check reads (where a NULL would change its outcome).
pub(super) fn check_words(check: &Check) -> Vec<String> {
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
        CheckKind::Relationship { columns, .. } => columns.clone(),
        CheckKind::Volume { .. } => vec![],
        CheckKind::Lookup { column, lookup } => {
            [vec![column.clone()], lookup.on.iter().map(|(c, _)| c.clone()).collect()].concat()
        }
        CheckKind::AcceptedValues { column, .. }
        | CheckKind::Range { column, .. }
        | CheckKind::Freshness { column, .. } => vec![column.clone()],
    };
    words.extend(check.window.iter().map(|w| w.column.clone()));
    words
}

/// The distinct values of a column in a table's reference rows.
pub(super) fn reference_values(table: &Table, column: &str) -> Vec<String> {
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
pub(super) fn fallback(ty: &ColumnType, name: &str, table: &str, len: usize, rows: u64) -> Rule {
    match ty {
        ColumnType::SmallInt => Rule::Int(0, 100),
        ColumnType::Integer | ColumnType::BigInt if name.ends_with("_tokens") => Rule::Int(20, 4000),
        ColumnType::Integer | ColumnType::BigInt => Rule::Int(0, 1000),
        &ColumnType::Decimal(p, s) => {
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

/// The value as the server prints it (None for NULL), to find it among rows read back as text.
pub(super) fn as_text(v: &Val) -> Option<String> {
    match v {
        Val::Null => None,
        Val::Text(s) => Some(s.clone()),
        v => {
            let mut out = String::new();
            copy_text(v, &mut out);
            Some(out)
        }
    }
}

/// The value a ratio check counts in `column` (`column = 'text'`), if it is one.
pub(super) fn ratio_value(check: &Check, column: &str) -> Option<String> {
    let CheckKind::Ratio { when, .. } = &check.kind else { return None };
    forms(when).into_iter().find_map(|f| match f {
        Form::Equals(c, s) if c == column => Some(s),
        _ => None,
    })
}

pub(super) fn copy_text(v: &Val, out: &mut String) {
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

    #[test]
    fn copy_text_escapes_what_copy_would_misread() {
        let mut out = String::new();
        copy_text(&Val::Text("a\tb\\c\n".into()), &mut out);
        assert_eq!(out, "a\\tb\\\\c\\n");
    }
}
