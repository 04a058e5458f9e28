//! Whether a value written in the YAML (a reference row's value, a literal column default) is
//! one the server stores in its column: what `check` accepts here, `migrate` must not refuse.
//! Stricter than the server where it would round or guess (`1.5` into an integer, dates in
//! other forms than ISO 8601), never looser.

use crate::model::{Column, ColumnType};
use crate::sql::lexer::{ident_value, significant, string_value, Escapes, Kind};

/// Whether a YAML number can be stored in a numeric column without loss or overflow.
pub(super) fn number_fits(n: &serde_json::Number, ty: &ColumnType) -> bool {
    let int_range = |bits: u32| n.as_i64().is_some_and(|v| (-(1i64 << (bits - 1))..1i64 << (bits - 1)).contains(&v));
    match ty {
        ColumnType::SmallInt => int_range(16),
        ColumnType::Integer => int_range(32),
        ColumnType::BigInt => n.as_i64().is_some(),
        // A float prints without an exponent (`1e300` as 301 digits), so digits count as written.
        ColumnType::Decimal(..) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) => decimal_fits(&f.to_string(), ty),
            None => decimal_fits(&n.to_string(), ty),
        },
        ColumnType::Real => n.as_f64().is_some_and(real_fits),
        ColumnType::Double => true,
        // PostgreSQL's unconstrained numeric keeps any number exactly.
        ColumnType::Native(name) => name == "numeric",
        _ => false,
    }
}

/// What a plain YAML scalar `written` says that `value`, the JSON YAML read it as, does not:
/// YAML's infinities and not-a-number (read as null), a number beyond every float (read as null
/// too), one too small for any (read as 0), or more digits than a float keeps.
pub(super) fn number_lost(written: &str, value: &serde_json::Value) -> Option<String> {
    let quoted = |what: &str, instead: &str| {
        format!("`{written}` is YAML's {what}, which a row cannot hold as a number: write '{instead}' (quoted) for a real or double precision column")
    };
    match written.trim_start_matches(['-', '+']).to_ascii_lowercase().as_str() {
        ".inf" if written.starts_with('-') => return Some(quoted("minus infinity", "-Infinity")),
        ".inf" => return Some(quoted("infinity", "Infinity")),
        ".nan" => return Some(quoted("not-a-number", "NaN")),
        _ => {}
    }
    let decimal = written.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    let read = written.parse::<f64>().ok().filter(|_| decimal && written.bytes().any(|b| b.is_ascii_digit()))?;
    let digits = |text: &str| -> String {
        let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
        mantissa.chars().filter(char::is_ascii_digit).collect::<String>().trim_matches('0').to_string()
    };
    if !read.is_finite() {
        Some(format!("`{written}` is beyond the range of every number type"))
    } else if !value.as_f64().is_some_and(|v| v == read) || !value.as_number().is_some_and(serde_json::Number::is_f64) {
        None
    } else if read == 0.0 && !digits(written).is_empty() {
        Some(format!("`{written}` is too small for any number type: it would be stored as 0"))
    } else if digits(written) != digits(&format!("{read:e}")) {
        Some(format!(
            "`{written}` has more digits than a number read from YAML keeps (about 16): quote it for a decimal column"
        ))
    } else {
        None
    }
}

/// PostgreSQL refuses a `real` that overflows or underflows to zero.
fn real_fits(v: f64) -> bool {
    let single = v as f32;
    single.is_finite() && (v == 0.0 || single != 0.0)
}

/// Float input: a number the type holds (neither overflowing nor underflowing to zero), NaN or
/// infinity.
fn float(t: &str, single: bool) -> bool {
    let Ok(v) = t.parse::<f64>() else { return false };
    let word = t.trim_start_matches(['-', '+']).to_ascii_lowercase();
    if ["nan", "inf", "infinity"].contains(&word.as_str()) {
        return true;
    }
    let zero = t.split(['e', 'E']).next().unwrap_or_default().bytes().all(|b| !(b'1'..=b'9').contains(&b));
    v.is_finite() && (zero || v != 0.0) && (!single || real_fits(v))
}

/// Plain decimal text (`-12.50`) with at most `p - s` integer and `s` fraction digits.
fn decimal_fits(text: &str, ty: &ColumnType) -> bool {
    let ColumnType::Decimal(p, s) = ty else { return false };
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    !(int.is_empty() && frac.is_empty())
        && digits(int)
        && digits(frac)
        && int.trim_start_matches('0').len() <= (p - s) as usize
        && frac.trim_end_matches('0').len() <= *s as usize
}

/// Whether text is input the server parses into `ty`: a quoted default becomes one when the
/// table is created, a row's string when it is inserted. Lengths are checked by the caller.
pub(super) fn text_fits(text: &str, ty: &ColumnType) -> bool {
    let t = text.trim();
    match ty {
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => {
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && t.parse::<i64>().ok().and_then(|v| number_fits(&v.into(), ty).then_some(())).is_some()
        }
        ColumnType::Decimal(..) => decimal_fits(t, ty),
        ColumnType::Real | ColumnType::Double => float(t, *ty == ColumnType::Real),
        ColumnType::Boolean => boolean(t),
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::Text => true,
        ColumnType::Date => special(t, &["today", "tomorrow", "yesterday"]) || date(t).is_some_and(str::is_empty),
        ColumnType::Time => special(t, &["allballs"]) || time(t).is_some_and(|rest| zone(rest) == Some(false)),
        ColumnType::Timestamp | ColumnType::TimestampTz => {
            special(t, &["today", "tomorrow", "yesterday"])
                || date(t).is_some_and(|rest| {
                    rest.is_empty()
                        || rest.strip_prefix([' ', 'T']).and_then(time).and_then(zone)
                            == Some(*ty == ColumnType::TimestampTz)
                        || rest.strip_prefix([' ', 'T']).and_then(time) == Some("")
                })
        }
        // jsonb cannot hold the \u0000 escape.
        ColumnType::Json => serde_json::from_str::<serde_json::Value>(t).is_ok() && !t.contains("\\u0000"),
        ColumnType::Uuid => uuid(t),
        // The label is checked against the declared enum where the project is known (load/enums).
        ColumnType::Enum(_) => true,
        // An array's text input: the braces of `'{a,b}'`; the server parses the elements.
        ColumnType::Array(_) => t.starts_with('{') && t.ends_with('}'),
        // The type's own input function reads the text when the row is inserted; generate's
        // proof on a scratch database runs that insert.
        ColumnType::Native(_) => true,
    }
}

/// PostgreSQL's boolean input: a word or its unambiguous prefix, any case.
fn boolean(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    let prefix_of = |word: &str| !t.is_empty() && word.starts_with(t.as_str());
    ["true", "false", "yes", "no"].iter().any(|w| prefix_of(w)) || ["on", "of", "off", "1", "0"].contains(&t.as_str())
}

/// The words every date and time type takes, and `extra`.
fn special(t: &str, extra: &[&str]) -> bool {
    let t = t.to_ascii_lowercase();
    ["now", "epoch", "infinity", "-infinity"].contains(&t.as_str()) || extra.contains(&t.as_str())
}

/// `YYYY-MM-DD`, a real date from year 1 to 9999 (PostgreSQL and Redshift both hold it); the rest.
fn date(t: &str) -> Option<&str> {
    let (head, rest) = (t.get(..10)?, t.get(10..)?);
    let b = head.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    crate::calendar::parse_day(head).map(|_| rest)
}

/// `HH:MM[:SS[.fraction]]` within a day (24:00:00 included); the rest.
fn time(t: &str) -> Option<&str> {
    let two =
        |s: &str| s.get(..2).filter(|d| d.bytes().all(|b| b.is_ascii_digit())).and_then(|d| d.parse::<u32>().ok());
    let (h, m) = (two(t)?, two(t.get(3..)?)?);
    if t.as_bytes()[2] != b':' || h > 24 || m > 59 {
        return None;
    }
    let mut rest = &t[5..];
    let mut s = 0;
    if let Some(after) = rest.strip_prefix(':') {
        s = two(after)?;
        rest = &after[2..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            (n > 0).then_some(())?;
            rest = &frac[n..];
        }
    }
    (s <= 59 && (h < 24 || (m == 0 && s == 0))).then_some(rest)
}

/// A zone suffix: Some(true) for `Z`, `+HH`, `-HH:MM`…, Some(false) for none, None for junk.
fn zone(rest: &str) -> Option<bool> {
    let rest = rest.trim_start();
    if rest.is_empty() {
        return Some(false);
    }
    if rest.eq_ignore_ascii_case("z") || rest.eq_ignore_ascii_case("utc") {
        return Some(true);
    }
    let offset = rest.strip_prefix(['+', '-'])?;
    let digits: String = offset.chars().filter(|c| *c != ':').collect();
    let ok = matches!(digits.len(), 2 | 4) && digits.bytes().all(|b| b.is_ascii_digit()) && offset.len() <= 5;
    ok.then_some(true)
}

/// 32 hex digits, in braces or not, with a hyphen allowed after any group of four.
fn uuid(t: &str) -> bool {
    let t = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(t);
    let (mut digits, mut hyphen_ok) = (0, false);
    for c in t.chars() {
        match c {
            '-' if hyphen_ok => hyphen_ok = false,
            c if c.is_ascii_hexdigit() => {
                digits += 1;
                hyphen_ok = digits % 4 == 0 && digits < 32;
            }
            _ => return false,
        }
    }
    digits == 32 && !t.ends_with('-')
}

/// What a literal default is, so its type can be checked against the column's; None when the
/// default is any other expression (the server checks those).
pub(super) enum Literal {
    Text(String),
    Number(String),
    Boolean,
    Null,
    /// Numbers and arithmetic only (`60 * 60`, `2024-02-30`): a number of some numeric type.
    Arithmetic,
    /// A call of a well-known function without arguments (`now()`, `CURRENT_DATE`).
    Function(Returns),
}

/// What a well-known default function returns.
#[derive(Clone, Copy)]
pub(super) enum Returns {
    Timestamp,
    Date,
    TimeOfDay,
    Uuid,
}

impl Returns {
    fn of(name: &str) -> Option<Returns> {
        Some(match name.to_ascii_lowercase().as_str() {
            "now"
            | "current_timestamp"
            | "localtimestamp"
            | "transaction_timestamp"
            | "statement_timestamp"
            | "clock_timestamp"
            | "getdate"
            | "sysdate" => Returns::Timestamp,
            "current_date" => Returns::Date,
            "current_time" | "localtime" => Returns::TimeOfDay,
            "gen_random_uuid" | "uuid_generate_v4" => Returns::Uuid,
            _ => return None,
        })
    }

    /// The column types PostgreSQL assigns it to, and the longest text it prints as.
    fn fits(self, ty: &ColumnType) -> bool {
        use ColumnType::*;
        let (types, width): (&[ColumnType], u32) = match self {
            Returns::Timestamp => (&[Timestamp, TimestampTz, Date, Time], 35),
            Returns::Date => (&[Date, Timestamp, TimestampTz], 13),
            Returns::TimeOfDay => (&[Time], 21),
            Returns::Uuid => (&[Uuid], 36),
        };
        match ty {
            Text => true,
            Char(n) | Varchar(n) => *n >= width,
            ty => types.contains(ty),
        }
    }
}

pub(super) fn literal(text: &str, escapes: Escapes) -> Option<Literal> {
    let tokens: Vec<_> = significant(text, escapes).collect();
    match tokens.as_slice() {
        [t] if t.kind == Kind::String || t.kind == Kind::DollarString => string_value(t, escapes).map(Literal::Text),
        [t] if t.kind == Kind::Number => Some(Literal::Number(t.text.to_string())),
        [sign, t] if t.kind == Kind::Number && (sign.text == "-" || sign.text == "+") => {
            Some(Literal::Number(format!("{}{}", sign.text, t.text)))
        }
        [t] if t.is_word("true") || t.is_word("false") => Some(Literal::Boolean),
        [t] if t.is_word("null") => Some(Literal::Null),
        [f] if f.kind == Kind::Word => Returns::of(f.text).map(Literal::Function),
        [f, open, close] if f.kind == Kind::Word && open.text == "(" && close.text == ")" => {
            Returns::of(f.text).map(Literal::Function)
        }
        _ if tokens.iter().any(|t| t.kind == Kind::Number)
            && tokens
                .iter()
                .all(|t| t.kind == Kind::Number || matches!(t.text, "+" | "-" | "*" | "/" | "%" | "^" | "(" | ")")) =>
        {
            Some(Literal::Arithmetic)
        }
        _ => None,
    }
}

/// Why a literal default does not fit its column, if it does not: PostgreSQL refuses a default
/// of another type family, or a quoted one its type cannot read, when it creates the table;
/// too long or out of range, when a row takes it.
pub(super) fn default_problem(literal: &Literal, ty: &ColumnType) -> Option<String> {
    // Of a type the tool does not know (`timestamp(3)`, a domain) the server is the judge: it
    // takes `CURRENT_TIMESTAMP` for `timestamp(3)` by an assignment cast; generate's proof says.
    if ty.is_native() {
        return None;
    }
    let text_type = matches!(ty, ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::Text);
    let numeric = ty.is_integer() || matches!(ty, ColumnType::Decimal(..) | ColumnType::Real | ColumnType::Double);
    let too_long = |s: &str| match ty {
        ColumnType::Char(n) | ColumnType::Varchar(n) => s.chars().count() > *n as usize,
        _ => false,
    };
    match literal {
        Literal::Null => None,
        Literal::Text(s) if too_long(s.trim_end_matches(' ')) => Some(format!("is longer than the column's `{ty}`")),
        Literal::Text(s) if !text_fits(s, ty) => Some(format!("is not a value of type `{ty}`")),
        Literal::Text(_) => None,
        Literal::Boolean if *ty == ColumnType::Boolean || text_type => None,
        Literal::Boolean => Some(format!("is a boolean, which a `{ty}` column cannot take")),
        Literal::Function(returns) if returns.fits(ty) => None,
        Literal::Function(_) => Some(format!("returns a value a `{ty}` column cannot take")),
        Literal::Arithmetic if text_type || numeric => None,
        Literal::Arithmetic => Some(format!("is a number, which a `{ty}` column cannot take")),
        Literal::Number(n) if text_type => too_long(n).then(|| format!("is longer than the column's `{ty}`")),
        Literal::Number(n) => match serde_json::from_str::<serde_json::Number>(n) {
            Ok(number) if number_fits(&number, ty) => None,
            _ if matches!(ty, ColumnType::Decimal(..)) && decimal_fits(n, ty) => None,
            _ => Some(format!("is not a value of type `{ty}` (out of range, or a number of another kind)")),
        },
    }
}

/// Why a partial index's `where` is no condition, when it is plainly not: a lone column that is
/// not boolean, a number or a string that is no boolean (PostgreSQL: "argument of WHERE must be
/// type boolean"). Parentheses and signs aside.
pub(super) fn predicate_problem(text: &str, columns: &[Column]) -> Option<String> {
    match literal(text, Escapes::Standard) {
        Some(Literal::Number(_) | Literal::Arithmetic) => return Some("is a number, not a condition".into()),
        Some(Literal::Text(s)) if !boolean(s.trim()) => return Some("is a string, not a condition".into()),
        Some(Literal::Function(_)) => return Some("is a function's value, not a condition".into()),
        _ => {}
    }
    let tokens: Vec<_> = significant(text, Escapes::Standard).filter(|t| !matches!(t.text, "(" | ")")).collect();
    let [t] = tokens.as_slice() else { return None };
    let name = ident_value(t)?;
    let column = columns.iter().find(|c| c.name == name)?;
    (column.ty != ColumnType::Boolean)
        .then(|| format!("is column `{name}` of type `{}`, not a condition (boolean)", column.ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: serde_json::Value) -> serde_json::Number {
        match v {
            serde_json::Value::Number(n) => n,
            _ => unreachable!(),
        }
    }

    #[test]
    fn numbers_fit_their_columns() {
        assert!(number_fits(&n(serde_json::json!(32767)), &ColumnType::SmallInt));
        assert!(!number_fits(&n(serde_json::json!(100000)), &ColumnType::SmallInt));
        assert!(!number_fits(&n(serde_json::json!(3.5)), &ColumnType::Integer));
        assert!(number_fits(&n(serde_json::json!(12.25)), &ColumnType::Decimal(5, 2)));
        assert!(!number_fits(&n(serde_json::json!(1234.5)), &ColumnType::Decimal(5, 2)));
        // Written with an exponent, a float still has all its digits.
        assert!(!number_fits(&n(serde_json::json!(1e300)), &ColumnType::Decimal(38, 0)));
        assert!(number_fits(&n(serde_json::json!(1e3)), &ColumnType::Decimal(38, 0)));
        assert!(!number_fits(&n(serde_json::json!(1e300)), &ColumnType::Real));
        assert!(!number_fits(&n(serde_json::json!(1e-300)), &ColumnType::Real));
        assert!(number_fits(&n(serde_json::json!(1e38)), &ColumnType::Real));
        assert!(number_fits(&n(serde_json::json!(1e300)), &ColumnType::Double));
    }

    #[test]
    fn text_is_read_as_the_server_reads_it() {
        use ColumnType::*;
        for (text, ty) in [
            (" 42 ", Integer),
            ("-12.50", Decimal(5, 2)),
            ("NaN", Double),
            ("-Infinity", Real),
            ("YES", Boolean),
            ("of", Boolean),
            ("2024-02-29", Date),
            ("today", Date),
            ("2024-02-29 23:59:59.999+02:00", TimestampTz),
            ("2024-02-29T23:59:59", Timestamp),
            ("24:00:00", Time),
            ("{\"a\": [1]}", Json),
            ("{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", Uuid),
        ] {
            assert!(text_fits(text, &ty), "{text} as {ty}");
        }
        for (text, ty) in [
            ("4294967296", Integer),
            ("1e3", Decimal(5, 2)),
            ("1e39", Real),
            ("1e-400", Double),
            ("1e400", Double),
            ("o", Boolean),
            ("2023-02-29", Date),
            ("2024-01-0é", Date),
            ("2024-01-01é", Timestamp),
            ("0000-01-01", Date),
            ("01/02/2024", Date),
            ("2024-01-01 25:00", Timestamp),
            ("2024-01-01 10:00+02", Timestamp),
            ("12:60", Time),
            ("{x}", Json),
            ("\"\\u0000\"", Json),
            ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", Uuid),
            ("-a0eebc999c0b4ef8bb6d6bb9bd380a11", Uuid),
        ] {
            assert!(!text_fits(text, &ty), "{text} as {ty}");
        }
    }

    #[test]
    fn literal_defaults_are_typed() {
        let problem = |d: &str, ty| default_problem(&literal(d, Escapes::Standard).unwrap(), &ty);
        assert_eq!(problem("'{}'", ColumnType::Json), None);
        assert!(problem("'{}'", ColumnType::Real).is_some());
        assert!(problem("0", ColumnType::Boolean).is_some());
        assert!(problem("TRUE", ColumnType::Integer).is_some());
        assert_eq!(problem("TRUE", ColumnType::Text), None);
        assert!(problem("99999", ColumnType::SmallInt).is_some());
        assert_eq!(problem("-1", ColumnType::SmallInt), None);
        assert!(problem("'abcd'", ColumnType::Varchar(3)).is_some());
        assert_eq!(problem("NULL", ColumnType::Date), None);
        assert!(problem("2024-02-30", ColumnType::Boolean).is_some());
        assert_eq!(problem("60 * (60 + 1)", ColumnType::Integer), None);
        assert_eq!(problem("now()", ColumnType::Date), None);
        assert_eq!(problem("CURRENT_DATE", ColumnType::TimestampTz), None);
        assert_eq!(problem("gen_random_uuid()", ColumnType::Text), None);
        assert!(problem("now()", ColumnType::Boolean).is_some());
        assert!(problem("now()", ColumnType::Varchar(20)).is_some());
        assert!(problem("gen_random_uuid()", ColumnType::Date).is_some());
        assert!(literal("now(1)", Escapes::Standard).is_none());
    }
}
