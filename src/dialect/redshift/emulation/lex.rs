//! Tokens of Redshift SQL text, from the project's one lexer (`crate::sql::lexer`) in its
//! backslash-escape mode: Redshift string literals treat backslash as an escape character (AWS
//! "QUOTE_LITERAL function" doubles backslashes), so `'it\'s'` is one literal. Owned tokens,
//! because the translation rewrites them.

use crate::sql::lexer::{self as sql, Escapes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A keyword or an unquoted identifier.
    Word,
    /// A double-quoted identifier.
    Quoted,
    /// A single-quoted string literal.
    Str,
    /// A dollar-quoted body (`$$ … $$`, `$tag$ … $tag$`).
    Dollar,
    Number,
    Punct,
    Space,
    Comment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub text: String,
}

impl Token {
    /// This keyword or unquoted identifier, in any case.
    pub fn is(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(word)
    }

    pub fn punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }

    /// Whitespace and comments: not part of the statement's meaning.
    pub fn blank(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Comment)
    }
}

pub fn tokens(text: &str) -> Vec<Token> {
    sql::tokens(text, Escapes::Backslash)
        .map(|t| {
            let kind = match t.kind {
                sql::Kind::Word => Kind::Word,
                sql::Kind::QuotedIdent => Kind::Quoted,
                sql::Kind::String => Kind::Str,
                sql::Kind::DollarString => Kind::Dollar,
                sql::Kind::Number | sql::Kind::Param => Kind::Number,
                sql::Kind::Punct | sql::Kind::Operator => Kind::Punct,
                sql::Kind::Whitespace => Kind::Space,
                sql::Kind::LineComment | sql::Kind::BlockComment => Kind::Comment,
            };
            Token { kind, text: t.text.to_string() }
        })
        .collect()
}

/// The statements of a migration file, split where the tool itself splits them, each from its
/// first meaningful token (comments before it are not part of it).
pub fn statements(text: &str) -> Vec<String> {
    let from_code = |s: &str| sql::significant(s, Escapes::Backslash).next().map(|t| s[t.start..].to_string());
    sql::split_statements(text, Escapes::Backslash).into_iter().filter_map(from_code).collect()
}

/// The indexes of the meaningful tokens (not blanks).
pub fn significant(tokens: &[Token]) -> Vec<usize> {
    tokens.iter().enumerate().filter(|(_, t)| !t.blank()).map(|(i, _)| i).collect()
}

/// Position in `sig` of the `)` closing the `(` at `sig[open]`.
pub fn closing(tokens: &[Token], sig: &[usize], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, &i) in sig.iter().enumerate().skip(open) {
        if tokens[i].punct("(") {
            depth += 1;
        } else if tokens[i].punct(")") {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// A possibly qualified name starting at `sig[k]`: its normalised form (unquoted parts
/// lowercased, as the server folds them) and the position after it.
pub fn name_at(tokens: &[Token], sig: &[usize], k: usize) -> Option<(String, usize)> {
    let mut parts = Vec::new();
    let mut k = k;
    loop {
        let t = &tokens[*sig.get(k)?];
        parts.push(match t.kind {
            Kind::Word => t.text.to_ascii_lowercase(),
            Kind::Quoted => t.text[1..t.text.len() - 1].replace("\"\"", "\""),
            _ => return None,
        });
        k += 1;
        if !sig.get(k).is_some_and(|&i| tokens[i].punct(".")) {
            return Some((parts.join("."), k));
        }
        k += 1;
    }
}
