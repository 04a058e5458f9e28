//! PostgreSQL types the model carries as written (`ColumnType::Native`): the text is read as
//! exactly one SQL data type and spelt again from its tokens, never passed on as written.

use crate::sql::lexer::{ident_value, significant, Escapes, Kind};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token as SqlToken;

/// Spellings folded to the one `format_type` prints (leading words, before any modifier).
const ALIASES: [(&str, &str); 6] = [
    ("varchar", "character varying"),
    ("char varying", "character varying"),
    ("varbit", "bit varying"),
    ("decimal", "numeric"),
    ("timestamptz", "timestamp with time zone"),
    ("timetz", "time with time zone"),
];

/// The canonical spelling of `text` as one PostgreSQL type without array brackets: words in
/// lower case, quoted identifiers quoted again, numeric modifiers only, single spaces. Refuses
/// anything sqlparser does not read as exactly one data type, and what the rebuild cannot spell
/// (strings, operators, `;`, words or expressions inside the modifiers).
pub(super) fn canonical(text: &str) -> Result<String, String> {
    let refuse = |why: &str| format!("`{text}` is not one PostgreSQL type: {why}");
    let mut parser = Parser::new(&PostgreSqlDialect {}).try_with_sql(text).map_err(|e| refuse(&e.to_string()))?;
    parser.parse_data_type().map_err(|e| refuse(&e.to_string()))?;
    let rest = parser.peek_token().token;
    if rest != SqlToken::EOF {
        return Err(refuse(&format!("`{rest}` follows the type (only a type name and its modifiers are accepted)")));
    }
    let (mut out, mut depth) = (String::new(), 0);
    for t in significant(text, Escapes::Standard) {
        let spaced = out.ends_with(|c: char| c != '(' && c != '.' && c != ',') && !out.is_empty();
        match t.kind {
            Kind::Word | Kind::QuotedIdent if depth == 0 => {
                let name = ident_value(&t).ok_or_else(|| refuse("an unterminated name"))?;
                let plain = t.kind == Kind::Word;
                out.push_str(if spaced { " " } else { "" });
                out.push_str(&if plain { name } else { crate::sql::ident(&name) });
            }
            Kind::Number if depth > 0 && t.text.bytes().all(|b| b.is_ascii_digit()) => out.push_str(t.text),
            Kind::Punct if t.text == "(" && depth == 0 => {
                depth += 1;
                out.push('(');
            }
            Kind::Punct if t.text == ")" && depth == 1 => {
                depth -= 1;
                out.push(')');
            }
            Kind::Punct if (t.text == "," && depth == 1) || (t.text == "." && depth == 0) => out.push_str(t.text),
            _ => return Err(refuse(&format!("`{}` is not part of a type name or a numeric modifier", t.text))),
        }
    }
    Ok(fold(out))
}

/// `varchar(8)` as `character varying(8)`, `timestamp(3)` as `timestamp(3) without time zone`.
fn fold(text: String) -> String {
    let split = text.find('(').unwrap_or(text.len());
    let (words, rest) = text.split_at(split);
    let (modifiers, after) = match rest.find(')') {
        Some(end) => rest.split_at(end + 1),
        None => (rest, ""),
    };
    let words = ALIASES.iter().find(|(alias, _)| *alias == words).map_or(words, |(_, canonical)| canonical);
    // `format_type` puts the modifier after the first words: `timestamp(3) with time zone`.
    let (head, zone) = match words.split_once(" with") {
        Some((head, zone)) if head == "timestamp" || head == "time" => (head, format!(" with{zone}")),
        _ => (words, String::new()),
    };
    let zone = match (head, after, zone.as_str()) {
        ("timestamp" | "time", "", "") if !modifiers.is_empty() => " without time zone".to_string(),
        _ => zone,
    };
    format!("{head}{modifiers}{zone}{after}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_spelt_as_the_server_prints_them() {
        for (text, canonical_text) in [
            ("tsvector", "tsvector"),
            ("BIT VARYING ( 8 )", "bit varying(8)"),
            ("varbit(8)", "bit varying(8)"),
            ("interval  day to second", "interval day to second"),
            ("interval day to second(3)", "interval day to second(3)"),
            ("varchar", "character varying"),
            ("varchar(70000)", "character varying(70000)"),
            ("numeric(40, 2)", "numeric(40,2)"),
            ("timestamp(3)", "timestamp(3) without time zone"),
            ("timestamptz(3)", "timestamp(3) with time zone"),
            ("timestamp(3) with time zone", "timestamp(3) with time zone"),
            ("Other_NS.Mood", "other_ns.mood"),
            ("\"Other NS\".mood", "\"Other NS\".mood"),
            ("\"char\"", "\"char\""),
            ("int4range", "int4range"),
        ] {
            assert_eq!(canonical(text).as_deref(), Ok(canonical_text), "{text}");
            assert_eq!(canonical(canonical_text).as_deref(), Ok(canonical_text), "again: {canonical_text}");
        }
    }

    #[test]
    fn anything_beyond_one_type_is_refused() {
        for text in [
            "int; drop table x",
            "int default 1",
            "text collate \"C\"",
            "int generated always as (1) stored",
            "numeric(1+1)",
            "geometry(Point, 4326)",
            "varchar('x')",
            "int -- comment\n; drop table x",
            "",
        ] {
            assert!(canonical(text).is_err(), "{text}: {:?}", canonical(text));
        }
    }
}
