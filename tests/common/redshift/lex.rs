//! Tokens of Redshift SQL text, so rules never look inside string literals, quoted identifiers,
//! comments or dollar-quoted bodies. Redshift string literals treat backslash as an escape
//! character (AWS "QUOTE_LITERAL function" doubles backslashes), so `'it\'s'` is one literal.

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

pub fn tokens(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let kind = match b[i] {
            c if c.is_ascii_whitespace() => {
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                Kind::Space
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                Kind::Comment
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(b.len(), |j| i + 2 + j + 2);
                Kind::Comment
            }
            b'\'' => {
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => break,
                        _ => i += 1,
                    }
                }
                i = (i + 1).min(b.len());
                Kind::Str
            }
            b'"' => {
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'"' if b.get(i + 1) == Some(&b'"') => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                i = (i + 1).min(b.len());
                Kind::Quoted
            }
            b'$' if dollar_tag(&sql[i..]).is_some() => {
                let tag = dollar_tag(&sql[i..]).expect("checked above");
                let body = i + tag.len();
                i = sql[body..].find(tag).map_or(b.len(), |j| body + j + tag.len());
                Kind::Dollar
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                    i += 1;
                }
                Kind::Word
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                Kind::Number
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                i += 2;
                Kind::Punct
            }
            _ => {
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
                Kind::Punct
            }
        };
        out.push(Token { kind, text: sql[start..i].to_string() });
    }
    out
}

/// `$$` or `$tag$` at the start of `s`.
fn dollar_tag(s: &str) -> Option<&str> {
    let rest = &s[1..];
    let end = rest.find('$')?;
    let tag = &rest[..end];
    let valid =
        tag.chars().enumerate().all(|(k, c)| c == '_' || c.is_ascii_alphabetic() || (k > 0 && c.is_ascii_digit()));
    valid.then(|| &s[..end + 2])
}

/// The statements of a migration file, split at top-level semicolons; comments around a
/// statement and empty statements dropped. Kept in one function so the project's own lexer can
/// replace it.
pub fn statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    for t in tokens(text).into_iter().chain(std::iter::once(Token { kind: Kind::Punct, text: ";".into() })) {
        if t.punct(";") {
            let first = current.iter().position(|t| !t.blank());
            let last = current.iter().rposition(|t| !t.blank());
            if let (Some(a), Some(z)) = (first, last) {
                out.push(current[a..=z].iter().map(|t| t.text.as_str()).collect());
            }
            current.clear();
        } else {
            current.push(t);
        }
    }
    out
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
