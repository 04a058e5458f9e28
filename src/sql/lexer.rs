//! The one SQL lexer for PostgreSQL and Amazon Redshift text. Every caller that needs to know where a
//! string, identifier, comment or statement ends asks it, so they cannot disagree about quoting.
//! Tokens borrow from the input, cover it exactly and never overlap.

/// Whether a backslash escapes inside a plain `'...'` literal; the server decides, so the caller says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escapes {
    /// PostgreSQL with `standard_conforming_strings = on` (its default): `\` is an ordinary character.
    Standard,
    /// Redshift, and PostgreSQL with `standard_conforming_strings = off`: `\` escapes the next character.
    Backslash,
}

/// What a token is: enough to tell code from text and to find statement boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Spaces, tabs, newlines, carriage returns, form and vertical feeds (other Unicode spaces are
    /// identifier characters to PostgreSQL).
    Whitespace,
    /// `--` up to, not including, the line break.
    LineComment,
    /// `/* ... */`; nests, as in PostgreSQL.
    BlockComment,
    /// A bare identifier or keyword.
    Word,
    /// `"..."` or `U&"..."`.
    QuotedIdent,
    /// `'...'`, optionally prefixed `E`, `N`, `B`, `X` or `U&`, with its continuations: another
    /// `'...'` after whitespace holding a line break (and `--` comments ending at one) is part of
    /// the same literal, read with its first part's escape rule (`E'a'` NEWLINE `'\''` is one
    /// string), as PostgreSQL reads it.
    String,
    /// `$$...$$` or `$tag$...$tag$`.
    DollarString,
    /// Digits with optional fraction and exponent; signs are separate operators. As in PostgreSQL
    /// 15+, identifier characters right after a number or parameter belong to it (`0x1F`, `1_000`,
    /// `$1E`, `1abc`; the last two are errors there), so `1E'\''` is no escape string, and `1e-`
    /// is one token, so `1e--x` holds no comment. Older servers and Redshift split `1` from what
    /// follows; such text is invalid SQL either way.
    Number,
    /// A positional parameter such as `$1`.
    Param,
    /// One of `( ) , ; . [ ]`, `::` and `..`, or a single character SQL gives no meaning (`{`, a
    /// lone `$`, control characters), so that no input is ever dropped.
    Punct,
    /// A run of operator characters, or `:` / `:=`.
    Operator,
}

/// A slice of the input with its kind; `start` is the byte offset, for error positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// What the text is.
    pub kind: Kind,
    /// The exact input text, quotes and comment markers included.
    pub text: &'a str,
    /// Byte offset of `text` in the input.
    pub start: usize,
    /// False when a string, identifier or comment runs to the end of input without closing, so
    /// callers can report it instead of executing half a statement.
    pub terminated: bool,
}

impl Token<'_> {
    /// Whitespace and comments: what callers skip when looking at the SQL itself.
    pub fn is_trivia(&self) -> bool {
        self.kind == Kind::Whitespace || self.is_comment()
    }

    /// Comments must be found to reject text that could hide SQL from a reader.
    pub fn is_comment(&self) -> bool {
        matches!(self.kind, Kind::LineComment | Kind::BlockComment)
    }

    /// Keywords are case-insensitive; only bare words can be keywords.
    pub fn is_word(&self, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    /// Single-character punctuation such as `;` or `(`; `::` is matched by its text instead.
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct && self.text == c.encode_utf8(&mut [0; 4])
    }
}

/// The iterator [`tokens`] returns, named so callers can keep it in a struct or clone it to look ahead.
#[derive(Clone, Debug)]
pub struct Lexer<'a> {
    sql: &'a str,
    escapes: Escapes,
    pos: usize,
    /// End of an operator run whose trailing `+`/`-` characters are single tokens; remembered so a
    /// long run is not rescanned for each of them (which would be quadratic).
    lone_ops_end: usize,
}

/// Every token of `sql`, trivia included; their texts concatenate to `sql`.
pub fn tokens(sql: &str, escapes: Escapes) -> Lexer<'_> {
    Lexer { sql, escapes, pos: 0, lone_ops_end: 0 }
}

/// The tokens that matter to SQL: everything except whitespace and comments.
pub fn significant(sql: &str, escapes: Escapes) -> impl Iterator<Item = Token<'_>> {
    tokens(sql, escapes).filter(|t| !t.is_trivia())
}

const OP_CHARS: &[u8] = b"+-*/<>=~!@#%^&|`?";

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        // Every token ends at an ASCII byte or at the end of input, so slicing stays on char boundaries.
        let (b, start) = (self.sql.as_bytes(), self.pos);
        let first = *b.get(start)?;
        let plain = if self.escapes == Escapes::Backslash { Rule::Backslash } else { Rule::Doubled };
        let string = |prefix, rule| (Kind::String, literal(b, start + prefix, rule));
        let (kind, (end, terminated)) = match (first, b.get(start + 1).copied()) {
            (b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c, _) => (Kind::Whitespace, (skip(b, start, is_space), true)),
            (b'-', Some(b'-')) => (Kind::LineComment, (skip(b, start, |&c| c != b'\n' && c != b'\r'), true)),
            (b'/', Some(b'*')) => (Kind::BlockComment, block_comment(b, start)),
            (b'\'', _) => string(0, plain),
            (b'"', _) => (Kind::QuotedIdent, quoted(b, start + 1, b'"', Rule::Doubled)),
            (b'e' | b'E', Some(b'\'')) => string(1, Rule::Backslash),
            // PostgreSQL reads N'..' as NCHAR followed by a plain literal.
            (b'n' | b'N', Some(b'\'')) => string(1, plain),
            // A bit string's `''` is two literals, not an escaped quote.
            (b'b' | b'B' | b'x' | b'X', Some(b'\'')) => string(1, Rule::Bits),
            (b'u' | b'U', Some(b'&')) if b.get(start + 2) == Some(&b'\'') => string(2, Rule::Doubled),
            (b'u' | b'U', Some(b'&')) if b.get(start + 2) == Some(&b'"') => {
                (Kind::QuotedIdent, quoted(b, start + 3, b'"', Rule::Doubled))
            }
            (b'$', Some(b'0'..=b'9')) => (Kind::Param, (junk(b, skip(b, start + 1, u8::is_ascii_digit)), true)),
            (b'$', _) => match dollar_tag(b, start) {
                Some(open) => {
                    let tag = &self.sql[start..open];
                    let close = self.sql[open..].find(tag).map(|n| (open + n + tag.len(), true));
                    (Kind::DollarString, close.unwrap_or((b.len(), false)))
                }
                None => (Kind::Punct, (start + 1, true)),
            },
            (b'0'..=b'9', _) | (b'.', Some(b'0'..=b'9')) => (Kind::Number, (number(b, start), true)),
            // PL/pgSQL's range `1..10`.
            (b'.', Some(b'.')) => (Kind::Punct, (start + 2, true)),
            (b'(' | b')' | b',' | b';' | b'.' | b'[' | b']', _) => (Kind::Punct, (start + 1, true)),
            (b':', Some(b':')) => (Kind::Punct, (start + 2, true)),
            (b':', Some(b'=')) => (Kind::Operator, (start + 2, true)),
            (b':', _) => (Kind::Operator, (start + 1, true)),
            (c, _) if OP_CHARS.contains(&c) => (Kind::Operator, (self.operator(start), true)),
            (c, _) if is_ident_start(c) => (Kind::Word, (skip(b, start, is_ident_cont), true)),
            _ => (Kind::Punct, (start + 1, true)),
        };
        self.pos = end;
        Some(Token { kind, text: &self.sql[start..end], start, terminated })
    }
}

impl std::iter::FusedIterator for Lexer<'_> {}

impl Lexer<'_> {
    /// PostgreSQL's operator rule: a run of operator characters, cut before a comment start, and
    /// (unless it holds one of `~!@#%^&|`?`) not ending in `+` or `-`, so `=-1` is `=`, `-`, `1`.
    fn operator(&mut self, start: usize) -> usize {
        if start < self.lone_ops_end {
            return start + 1;
        }
        let b = self.sql.as_bytes();
        let mut end = start;
        while end < b.len() && OP_CHARS.contains(&b[end]) && !(end > start && starts_comment(b, end)) {
            end += 1;
        }
        if !b[start..end].iter().any(|c| b"~!@#%^&|`?".contains(c)) {
            self.lone_ops_end = end;
            while end > start + 1 && matches!(b[end - 1], b'+' | b'-') {
                end -= 1;
            }
        }
        end
    }
}

fn starts_comment(b: &[u8], i: usize) -> bool {
    matches!(b.get(i..i + 2), Some(b"--" | b"/*"))
}

/// Whitespace as PostgreSQL 16 and later read it; 15 reads a vertical tab (0x0b) as a stray
/// character, a syntax error wherever it stands outside quotes and comments.
fn is_space(c: &u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// PostgreSQL treats every non-ASCII byte as an identifier character.
fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_cont(c: &u8) -> bool {
    is_ident_start(*c) || c.is_ascii_digit() || *c == b'$'
}

/// The end of the run from `i` of bytes matching `keep`.
fn skip(b: &[u8], i: usize, keep: impl Fn(&u8) -> bool) -> usize {
    b[i..].iter().position(|c| !keep(c)).map_or(b.len(), |n| i + n)
}

/// How a quoted text escapes its quote.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// A doubled quote stands for one.
    Doubled,
    /// A doubled quote, or anything after `\\`.
    Backslash,
    /// Nothing: a bit string (`B'..'`, `X'..'`) ends at the next quote.
    Bits,
}

/// The end of a quoted text whose body starts at `i`, and whether it closed.
fn quoted(b: &[u8], mut i: usize, quote: u8, rule: Rule) -> (usize, bool) {
    while i < b.len() {
        match b[i] {
            b'\\' if rule == Rule::Backslash => i += 2,
            c if c == quote && rule != Rule::Bits && b.get(i + 1) == Some(&quote) => i += 2,
            c if c == quote => return (i + 1, true),
            _ => i += 1,
        }
    }
    (b.len(), false)
}

/// The end of a string literal whose opening quote is at `i`, continuations included, and
/// whether it closed.
fn literal(b: &[u8], mut i: usize, rule: Rule) -> (usize, bool) {
    loop {
        let (end, closed) = quoted(b, i + 1, b'\'', rule);
        match continuation(b, end).filter(|_| closed) {
            Some(next) => i = next,
            None => return (end, closed),
        }
    }
}

/// PostgreSQL's `quotecontinue`: the quote that continues the literal closed before `i`, when
/// only whitespace holding a line break, and `--` comments each ending at one, stand between.
fn continuation(b: &[u8], mut i: usize) -> Option<usize> {
    let mut newline = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' | b'\r' => newline = true,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = skip(b, i, |&c| c != b'\n' && c != b'\r');
                continue;
            }
            b'\'' if newline => return Some(i),
            c if is_space(&c) => {}
            _ => return None,
        }
        i += 1;
    }
    None
}

fn block_comment(b: &[u8], mut i: usize) -> (usize, bool) {
    let mut depth = 0usize;
    while i < b.len() {
        match &b[i..(i + 2).min(b.len())] {
            b"/*" => (depth, i) = (depth + 1, i + 2),
            b"*/" => {
                (depth, i) = (depth - 1, i + 2);
                if depth == 0 {
                    return (i, true);
                }
            }
            _ => i += 1,
        }
    }
    (b.len(), false)
}

/// The end of a `$tag$` opener at `i` (tags are identifier characters without `$`; `$1` was
/// taken as a parameter before this is asked).
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    let n = b[i + 1..].iter().position(|&c| !(is_ident_start(c) || c.is_ascii_digit()))?;
    (b[i + 1 + n] == b'$').then_some(i + n + 2)
}

/// `12`, `1.5`, `.5`, `1.`, `1e10`, `1.2E-3`, then any trailing junk (see [`Kind::Number`]).
fn number(b: &[u8], start: usize) -> usize {
    let mut i = skip(b, start, u8::is_ascii_digit);
    if b.get(i) == Some(&b'.') && b.get(i + 1) != Some(&b'.') {
        i = skip(b, i + 1, u8::is_ascii_digit);
    }
    // PostgreSQL takes the longest match: a signed exponent, or else the mantissa and any
    // identifier after it (so `1e5`, `1ex` and `1e1$$a` are each one token).
    match (b.get(i), b.get(i + 1), b.get(i + 2)) {
        (Some(b'e' | b'E'), Some(b'+' | b'-'), Some(b'0'..=b'9')) => junk(b, skip(b, i + 2, u8::is_ascii_digit)),
        // `1e-` is one (rejected) token, so `1e--x` holds no comment.
        (Some(b'e' | b'E'), Some(b'+' | b'-'), _) => i + 2,
        _ => junk(b, i),
    }
}

/// Identifier characters right after a number or parameter belong to it.
fn junk(b: &[u8], i: usize) -> usize {
    if b.get(i).is_some_and(|&c| is_ident_start(c)) {
        skip(b, i, is_ident_cont)
    } else {
        i
    }
}

/// Splits a script into statements the way psql does, to run it one statement at a time: at
/// semicolons outside parentheses (`CREATE RULE ... DO (a; b)`) and outside the `BEGIN ... END` of
/// a `CREATE [OR REPLACE] FUNCTION|PROCEDURE` (SQL-standard bodies). Statements that are only
/// whitespace and comments are dropped; the rest exclude surrounding whitespace and the `;`.
/// An unterminated quote or comment swallows the rest of the script and is kept, so the server
/// reports it.
pub fn split_statements(sql: &str, escapes: Escapes) -> Vec<&str> {
    let (mut out, mut statement) = (Vec::new(), Statement::default());
    for token in tokens(sql, escapes) {
        if token.is_punct(';') && statement.parens == 0 && statement.begins == 0 {
            out.extend(statement.text(sql));
            statement = Statement::default();
        } else {
            statement.see(&token);
        }
    }
    out.extend(statement.text(sql));
    out
}

/// What psql tracks of the statement so far to tell whether a `;` ends it.
#[derive(Default)]
struct Statement {
    kept: bool,
    /// From the first to the last token that is not whitespace.
    span: Option<(usize, usize)>,
    parens: usize,
    begins: usize,
    words: usize,
    /// First letters of `create`, `or`, `replace`, `function`, `procedure` among the first four words.
    head: [u8; 4],
}

impl Statement {
    fn text<'a>(&self, sql: &'a str) -> Option<&'a str> {
        self.span.filter(|_| self.kept).map(|(from, to)| &sql[from..to])
    }

    fn see(&mut self, token: &Token) {
        self.kept |= !token.is_trivia() || !token.terminated;
        if token.kind != Kind::Whitespace {
            self.span = Some((self.span.map_or(token.start, |(from, _)| from), token.start + token.text.len()));
        }
        match token.kind {
            Kind::Punct if token.text == "(" => self.parens += 1,
            Kind::Punct if token.text == ")" => self.parens = self.parens.saturating_sub(1),
            Kind::Word => {
                let head = ["create", "or", "replace", "function", "procedure"].iter().any(|k| token.is_word(k));
                if let Some(letter) = self.head.get_mut(self.words).filter(|_| head) {
                    *letter = token.text.as_bytes()[0].to_ascii_lowercase();
                }
                self.words += 1;
                let routine = matches!(self.head, [b'c', b'f' | b'p', ..] | [b'c', b'o', b'r', b'f' | b'p']);
                if routine && self.parens == 0 {
                    if token.is_word("begin") || (token.is_word("case") && self.begins > 0) {
                        self.begins += 1;
                    } else if token.is_word("end") {
                        self.begins = self.begins.saturating_sub(1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The name an identifier token denotes: a bare word folded to lower case (ASCII only, as
/// PostgreSQL and Redshift fold), a quoted one with `""` unescaped. None for other tokens, for
/// unterminated ones and for `U&"..."` (its escapes depend on a `UESCAPE` clause after it).
pub fn ident_value(token: &Token) -> Option<String> {
    match token.kind {
        Kind::Word => Some(token.text.to_ascii_lowercase()),
        Kind::QuotedIdent if token.terminated => {
            token.text.strip_prefix('"')?.strip_suffix('"').map(|s| s.replace("\"\"", "\""))
        }
        _ => None,
    }
}

/// The text a string token denotes, decoded as the server would, given the `escapes` it was lexed
/// with; dollar strings are verbatim. None for other tokens, unterminated ones, bit strings
/// (`B`, `X`), `U&` strings, and escapes PostgreSQL rejects (invalid UTF-8, a zero byte).
pub fn string_value(token: &Token, escapes: Escapes) -> Option<String> {
    let text = token.text;
    if !token.terminated {
        return None;
    }
    if token.kind == Kind::DollarString {
        let open = text.get(1..)?.find('$')? + 2;
        return text.get(open..text.len().checked_sub(open)?).map(str::to_owned);
    }
    let plain = if escapes == Escapes::Backslash { Rule::Backslash } else { Rule::Doubled };
    let (body, rule) = match text.as_bytes().first() {
        _ if token.kind != Kind::String => return None,
        Some(b'\'') => (text, plain),
        Some(b'e' | b'E') => (&text[1..], Rule::Backslash),
        Some(b'n' | b'N') => (&text[1..], plain),
        _ => return None,
    };
    let (b, mut i, mut value) = (body.as_bytes(), 0, String::new());
    loop {
        let (end, _) = quoted(b, i + 1, b'\'', rule);
        let part = body.get(i + 1..end - 1)?;
        value += &if rule == Rule::Backslash { unescape(part.as_bytes())? } else { part.replace("''", "'") };
        match continuation(b, end) {
            Some(next) => i = next,
            None => break,
        }
    }
    (!value.contains('\0')).then_some(value)
}

/// Decodes the body of a backslash-escaped literal with PostgreSQL's escapes (`\b \f \n \r \t`,
/// octal `\ooo`, hex `\xhh`, `\uXXXX`, `\UXXXXXXXX` with surrogate pairs; others stand for themselves).
fn unescape(b: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c);
            i += usize::from(c == b'\'');
            continue;
        }
        let e = *b.get(i)?;
        i += 1;
        match e {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'0'..=b'7' => {
                i -= 1;
                out.push(code(b, &mut i, 8, 1, 3)? as u8);
            }
            b'x' => out.push(code(b, &mut i, 16, 1, 2).map_or(b'x', |v| v as u8)),
            b'u' | b'U' => {
                let len = if e == b'u' { 4 } else { 8 };
                let mut cp = code(b, &mut i, 16, len, len)?;
                if (0xD800..0xDC00).contains(&cp) {
                    let len = match b.get(i..i + 2)? {
                        b"\\u" => 4,
                        b"\\U" => 8,
                        _ => return None,
                    };
                    i += 2;
                    let low = code(b, &mut i, 16, len, len)?.checked_sub(0xDC00).filter(|l| *l < 0x400)?;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + low;
                }
                out.extend_from_slice(char::from_u32(cp)?.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => out.push(e),
        }
    }
    String::from_utf8(out).ok()
}

/// The value of `min..=max` digits in `radix` at `*i`, advancing past them.
fn code(b: &[u8], i: &mut usize, radix: u32, min: usize, max: usize) -> Option<u32> {
    let n = b[*i..].iter().take(max).take_while(|c| char::from(**c).is_digit(radix)).count();
    let digits = std::str::from_utf8(&b[*i..*i + n]).ok().filter(|_| n >= min)?;
    *i += n;
    u32::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests;
