//! EXCLUDE constraints: no two rows whose elements all compare true under their operators (no
//! overlapping stays of one room). The catalog prints one with `pg_get_constraintdef`; `parse`
//! reads back exactly what `text` writes, and anything else is left to be reported unmodelled.

use crate::model::Deferrable;
use crate::sql::ident;
use crate::sql::lexer::{ident_value, significant, Escapes, Kind, Token};
use serde::{Deserialize, Serialize};

fn gist() -> String {
    "gist".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub name: String,
    /// The index access method (`gist`, `btree`, `hash`, `spgist`).
    #[serde(default = "gist")]
    pub using: String,
    pub elements: Vec<ExclusionElement>,
    #[serde(default, rename = "where")]
    pub predicate: Option<String>,
    #[serde(default)]
    pub deferrable: Deferrable,
}

/// A column, or one expression, and the operator its values are compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionElement {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub expression: Option<String>,
    pub with: String,
}

/// Whether `op` is an operator the YAML may name: operator characters only, so it is pasted
/// into SQL as one token.
pub fn operator_ok(op: &str) -> bool {
    let chars = !op.is_empty() && op.len() <= 63 && op.chars().all(|c| "+-*/<>=~!@#%^&|`?".contains(c));
    // A comment cannot start inside one (PostgreSQL's rule too).
    chars && !op.contains("--") && !op.contains("/*")
}

impl Exclusion {
    /// As SQL after the constraint's name, and as a finding shows it.
    pub fn text(&self) -> String {
        let elements: Vec<String> = self
            .elements
            .iter()
            .map(|e| format!("{} WITH {}", super::element_sql(&e.column, &e.expression), e.with))
            .collect();
        let mut out = format!("EXCLUDE USING {} ({})", shown_name(&self.using), elements.join(", "));
        if let Some(p) = &self.predicate {
            out.push_str(&format!(" WHERE ({p})"));
        }
        if self.deferrable != Deferrable::No {
            out.push(' ');
            out.push_str(self.deferrable.sql());
        }
        out
    }

    /// From `pg_get_constraintdef`; None where it holds what the model does not (operator
    /// classes, orderings, INCLUDE, storage parameters, a qualified operator).
    pub fn parse(name: &str, definition: &str) -> Option<Exclusion> {
        let tokens: Vec<Token> = significant(definition, Escapes::Standard).collect();
        let mut at = 0;
        let word = |at: usize, w: &str| tokens.get(at).is_some_and(|t| t.is_word(w));
        if !(word(0, "EXCLUDE") && word(1, "USING")) {
            return None;
        }
        let using = ident_value(tokens.get(2)?)?;
        if !tokens.get(3)?.is_punct('(') {
            return None;
        }
        at += 4;
        let mut elements = Vec::new();
        loop {
            // The element runs up to WITH at depth 0.
            let start = at;
            let mut depth = 0;
            while !(depth == 0 && word(at, "WITH")) {
                let t = tokens.get(at)?;
                depth += i32::from(t.is_punct('(')) - i32::from(t.is_punct(')'));
                if depth < 0 {
                    return None;
                }
                at += 1;
            }
            let run = &tokens[start..at];
            let op = tokens.get(at + 1)?;
            if op.kind != Kind::Operator || !operator_ok(op.text) {
                return None;
            }
            elements.push(element(definition, run, op.text)?);
            at += 2;
            match tokens.get(at)? {
                t if t.is_punct(',') => at += 1,
                t if t.is_punct(')') => break,
                _ => return None,
            }
        }
        at += 1;
        let mut predicate = None;
        if word(at, "WHERE") {
            let (open, close) = balanced(&tokens, at + 1)?;
            predicate = Some(unwrap(&definition[tokens[open].start + 1..tokens[close].start]));
            at = close + 1;
        }
        let rest: Vec<String> = tokens[at..].iter().map(|t| t.text.to_ascii_uppercase()).collect();
        let deferrable = match rest.join(" ").as_str() {
            "" => Deferrable::No,
            "DEFERRABLE" => Deferrable::Immediate,
            "DEFERRABLE INITIALLY DEFERRED" => Deferrable::Deferred,
            _ => return None,
        };
        Some(Exclusion { name: name.to_string(), using, elements, predicate, deferrable })
    }
}

/// An access method's name as the server prints it: bare where it may be.
fn shown_name(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare {
        name.to_string()
    } else {
        ident(name)
    }
}

/// A column alone, a parenthesised expression, or a function call.
fn element(definition: &str, run: &[Token], with: &str) -> Option<ExclusionElement> {
    let with = with.to_string();
    if let [one] = run {
        return Some(ExclusionElement { column: Some(ident_value(one)?), expression: None, with });
    }
    let (first, last) = (run.first()?, run.last()?);
    let text = &definition[first.start..last.start + last.text.len()];
    let whole = |from: usize| balanced(run, from).is_some_and(|(_, close)| close == run.len() - 1);
    let expression = if first.is_punct('(') && whole(0) {
        unwrap(text)
    } else if first.kind == Kind::Word && whole(1) {
        text.to_string()
    } else {
        return None;
    };
    Some(ExclusionElement { column: None, expression: Some(expression), with })
}

/// The `(` at `open` and its matching `)`.
fn balanced(tokens: &[Token], open: usize) -> Option<(usize, usize)> {
    if !tokens.get(open)?.is_punct('(') {
        return None;
    }
    let mut depth = 0;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        depth += i32::from(t.is_punct('(')) - i32::from(t.is_punct(')'));
        if depth == 0 {
            return Some((open, i));
        }
    }
    None
}

/// `text` without the parentheses that enclose all of it, as many pairs as there are.
fn unwrap(text: &str) -> String {
    let mut text = text.trim();
    loop {
        let tokens: Vec<Token> = significant(text, Escapes::Standard).collect();
        match balanced(&tokens, 0) {
            Some((_, close)) if close == tokens.len() - 1 => text = text[1..text.len() - 1].trim(),
            _ => return text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_definitions_read_back_as_written() {
        let def = "EXCLUDE USING gist (room_id WITH =, stay WITH &&) WHERE ((room_id > 0)) DEFERRABLE";
        let x = Exclusion::parse("no_overlap", def).unwrap();
        assert_eq!(
            x.elements[1],
            ExclusionElement { column: Some("stay".into()), expression: None, with: "&&".into() }
        );
        assert_eq!(x.predicate.as_deref(), Some("room_id > 0"));
        assert_eq!(x.deferrable, Deferrable::Immediate);
        assert_eq!(
            x.text(),
            "EXCLUDE USING gist (\"room_id\" WITH =, \"stay\" WITH &&) WHERE (room_id > 0) DEFERRABLE"
        );
        assert_eq!(Exclusion::parse("no_overlap", &x.text()), Some(x));
        let call = Exclusion::parse("n", "EXCLUDE USING gist (lower(guest) WITH =, ((a + b)) WITH =)").unwrap();
        let expressions: Vec<_> = call.elements.iter().map(|e| e.expression.as_deref().unwrap()).collect();
        assert_eq!(expressions, ["lower(guest)", "a + b"]);
        assert_eq!(Exclusion::parse("n", &call.text()), Some(call));
    }

    #[test]
    fn what_the_model_lacks_is_not_read() {
        for def in [
            "EXCLUDE USING gist (stay range_ops WITH &&)",
            "EXCLUDE USING btree (a DESC WITH =)",
            "EXCLUDE USING gist (stay WITH OPERATOR(public.&&))",
            "EXCLUDE USING gist (stay WITH &&) INCLUDE (a)",
            "EXCLUDE USING gist (stay WITH &&) WITH (fillfactor='70')",
            "CHECK (a > 0)",
        ] {
            assert_eq!(Exclusion::parse("n", def), None, "{def}");
        }
    }

    #[test]
    fn operators_are_operator_characters_only() {
        assert!(operator_ok("&&") && operator_ok("=") && operator_ok("-|-"));
        for bad in ["", "OPERATOR(public.&&)", "= 1); DROP TABLE t; --", "a", "&& ", "=--", "&/*"] {
            assert!(!operator_ok(bad), "{bad}");
        }
    }
}
