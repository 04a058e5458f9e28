//! SQL text from the YAML (column defaults, derived columns, check conditions, partial-index
//! predicates, view bodies) is pasted into generated SQL as written. Parsing it at load time as
//! exactly one expression, or exactly one query, keeps it from closing the construct it is pasted
//! into (`x) THEN 1 … ; DELETE …`) or commenting out what follows it (`'a' -- ` before
//! `NOT NULL`), and lets the loader refuse what Redshift would reject before a migration does.
//!
//! Only facts are kept, not the tree: the text is emitted as written (re-printing it would churn
//! generated migrations), and a tree can be as deep as its text is long (see [`with_large_stack`]).
//!
//! Gaps of sqlparser's Redshift dialect (0.64), found by testing: it refuses `GROUPING SETS`, which
//! Redshift has, and aggregate `FILTER (WHERE …)` and `E'…'` strings, which the PostgreSQL dialect
//! takes. So Redshift text its grammar refuses is parsed again, from the same tokens (comments and
//! `;` already refused), with PostgreSQL's, and `postgres_only` reports what Redshift lacks.
//! Neither dialect parses `APPROXIMATE COUNT(DISTINCT …)`: it is refused as invalid SQL.

use std::fmt;

use sqlparser::ast::{self, LimitClause, SetExpr, Statement};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use super::lexer::{self, Escapes, Kind};

use walk::{facts_of, Facts};

/// A parser grammar: the dialect drivers say which (`Driver::grammars`).
pub type Grammar = &'static (dyn sqlparser::dialect::Dialect + Sync);

/// How a dialect's text is read: the tool's lexer with the server's escape rule decides what is
/// code, text and comment; then sqlparser's grammar parses the structure, with a second grammar
/// to try when the first refuses the text.
#[derive(Clone, Copy)]
pub struct Grammars {
    pub escapes: Escapes,
    pub primary: Grammar,
    pub fallback: Option<Grammar>,
}

/// Longest expression accepted: far beyond real ones, and it bounds the work.
pub const MAX_EXPRESSION_BYTES: usize = 10 * 1024;
/// Longest view body accepted.
pub const MAX_QUERY_BYTES: usize = 100 * 1024;
/// sqlparser's nesting limit (parentheses, subqueries, CASE…): deeper is an error, not a crash.
const RECURSION_LIMIT: usize = 64;
/// Stack of the parsing thread: holds the deepest tree a text within the limits can make
/// (`1+1+…` is one level per two bytes; about 16 MiB in a debug build at 100 KB).
const STACK_BYTES: usize = 64 << 20;

/// Whether `name` is one of the words of `list`.
pub fn listed(list: &str, name: &str) -> bool {
    list.split_whitespace().any(|w| w == name)
}

/// An error with the byte offset inside the parsed text where it was found (0 if unknown), so the
/// loader can point at line:col in the YAML. `message` has no subject, to follow the YAML key:
/// "`default` contains a comment …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

impl ParseError {
    fn new(message: impl Into<String>, offset: usize) -> ParseError {
        ParseError { message: message.into(), offset }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// What an expression is used for: words errors and decides what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A column default: no columns, subqueries or aggregates (PostgreSQL refuses them).
    Default,
    /// A derived column's expression, computed per row (`UPDATE … SET c = (expr)`).
    Derived,
    /// A check condition (`condition`, `ratio.when`, `unique.where`), pasted inside an aggregate.
    Condition,
    /// A partial index's `WHERE`: PostgreSQL refuses subqueries and aggregates there.
    IndexPredicate,
    /// A table's CHECK constraint: PostgreSQL refuses subqueries and aggregates there too.
    CheckConstraint,
    /// A PostgreSQL generated column's expression: no subqueries or aggregates either.
    Generated,
}

impl Role {
    fn noun(self) -> &'static str {
        match self {
            Role::Default => "a column default",
            Role::Derived => "a derived column",
            Role::Condition => "a check condition",
            Role::IndexPredicate => "an index predicate",
            Role::CheckConstraint => "a CHECK constraint",
            Role::Generated => "a generated column",
        }
    }
}

/// What the loader needs to know of an expression [`expression`] accepted (the text itself is
/// emitted as written).
#[derive(Debug, Clone)]
pub struct Expression {
    facts: Facts,
}

impl Expression {
    /// Column names the expression reads outside subqueries: unqualified identifiers and the last
    /// part of compound ones; bare words folded to lower case, quoted ones as written. Function
    /// names, SYSDATE-like keywords and date parts (`DATEDIFF(millisecond, …)`) are not columns.
    /// Sorted, unique.
    pub fn columns(&self) -> Vec<String> {
        self.facts.columns.iter().map(|(name, _)| name.clone()).collect()
    }

    /// Functions called (the last part of a qualified name), lower case, sorted, unique.
    pub fn functions(&self) -> Vec<String> {
        self.facts.functions.iter().cloned().collect()
    }

    /// PostgreSQL-only constructs Redshift refuses, each as a short phrase.
    pub fn postgres_only(&self) -> Vec<String> {
        self.facts.postgres_only.iter().cloned().collect()
    }
}

/// What the loader needs to know of a query [`query`] accepted.
#[derive(Debug, Clone)]
pub struct Query {
    facts: Facts,
    /// ORDER BY / LIMIT / OFFSET / FETCH of the outermost query (through parentheses).
    top_level: Vec<&'static str>,
}

impl Query {
    /// PostgreSQL-only constructs Redshift refuses in any query, each as a short phrase.
    pub fn postgres_only(&self) -> Vec<String> {
        self.facts.postgres_only.iter().cloned().collect()
    }

    /// ORDER BY / LIMIT / OFFSET / FETCH of the outermost query (through parentheses).
    pub fn top_level(&self) -> &[&'static str] {
        &self.top_level
    }

    /// Functions called anywhere in the query, lower case, sorted, unique.
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.facts.functions.iter().map(String::as_str)
    }

    /// Tables and views read, as written (qualified or not), sorted, unique.
    pub fn relations(&self) -> impl Iterator<Item = &str> {
        self.facts.relations.iter().map(String::as_str)
    }

    /// Tables and views read without a schema: neither qualified nor a WITH query's name.
    pub fn unqualified_relations(&self) -> impl Iterator<Item = &str> {
        self.relations().filter(|r| !r.contains('.') && !self.facts.ctes.contains(*r))
    }
}

/// Parses `text` as exactly one expression: no comments (they can hide the rest of a statement),
/// no `;`, nothing after the expression, and nothing `role` forbids.
pub fn expression(text: &str, grammars: Grammars, role: Role) -> Result<Expression, ParseError> {
    let facts = parse(text, grammars, MAX_EXPRESSION_BYTES, "an SQL expression", |p| {
        let expr = p.parse_expr()?;
        let next = p.peek_token();
        if next.token != Token::EOF {
            let msg = format!("is not a single SQL expression: `{:.40}` follows it", next.token.to_string());
            return Err(ParseError::new(msg, offset(text, next.span.start)));
        }
        Ok(facts_of(&expr, text))
    })?;
    let forbid = |what: String, at: usize| Err(ParseError::new(format!("{what}, which {} cannot", role.noun()), at));
    if let Some((kind, at)) = &facts.statement {
        return forbid(format!("contains {kind}"), *at);
    }
    if let Some((word, at)) = &facts.reserved {
        return Err(reserved(word, *at));
    }
    if let Some((name, at)) = facts.columns.first().filter(|_| role == Role::Default) {
        return forbid(format!("reads a column (`{name}`)"), *at);
    }
    if let Some(at) = facts.subquery.filter(|_| role != Role::Condition) {
        return forbid("contains a subquery".into(), at);
    }
    if let Some((name, at)) = &facts.aggregate {
        return forbid(format!("uses an aggregate or window function (`{name}`)"), *at);
    }
    Ok(Expression { facts })
}

/// Parses `text` as exactly one query: no comments, no `;`, no data-modifying statement inside
/// (`WITH d AS (DELETE …)`), no `SELECT … INTO`.
pub fn query(text: &str, grammars: Grammars) -> Result<Query, ParseError> {
    parse(text, grammars, MAX_QUERY_BYTES, "a query", |p| {
        let mut statements = p.parse_statements()?;
        let query = match (statements.pop(), statements.is_empty()) {
            (Some(Statement::Query(q)), true) => q,
            (Some(other), true) => {
                let sql = other.to_string();
                let kind = sql.split_whitespace().next().unwrap_or_default().to_uppercase();
                return Err(ParseError::new(format!("is a {kind} statement, not a query (SELECT …)"), 0));
            }
            _ => return Err(ParseError::new("is several statements, not a query", 0)),
        };
        let facts = facts_of(&*query, text);
        if let Some((kind, at)) = &facts.statement {
            return Err(ParseError::new(format!("contains {kind}, which a query cannot"), *at));
        }
        if let Some((word, at)) = &facts.reserved {
            return Err(reserved(word, *at));
        }
        if let Some(at) = facts.select_into {
            return Err(ParseError::new("uses SELECT … INTO, which creates a table", at));
        }
        Ok(Query { facts, top_level: top_level(&query) })
    })
}

fn reserved(word: &str, at: usize) -> ParseError {
    ParseError::new(
        format!("is not valid SQL: `{word}` is a keyword or type name there, not a name (quote a column so named)"),
        at,
    )
}

/// Decides on the tool's lexer (the server's rules) that the text is safe to paste: no comment,
/// no `;`, nothing unterminated, brackets balanced; then tokenizes with the first grammar, which
/// must see the same strings, quoted names and comments the lexer saw (sqlparser reads `>--` as
/// one operator where the server starts a comment), and parses with `body`; text that grammar
/// refuses is parsed again from the same tokens with the fallback.
fn parse<T: Send>(
    text: &str,
    grammars: Grammars,
    max: usize,
    what: &str,
    body: impl Fn(&mut Parser) -> Result<T, ParseError> + Sync,
) -> Result<T, ParseError> {
    if text.len() > max {
        return Err(ParseError::new(format!("is longer than {max} bytes, the most accepted for {what}"), max));
    }
    let quoted = lexed(text, grammars.escapes, what)?;
    let tokens = Tokenizer::new(grammars.primary, text)
        .tokenize_with_location()
        .map_err(|e| ParseError::new(format!("is not valid SQL: {}", e.message), offset(text, e.location)))?;
    agree(text, &tokens, &quoted)?;
    let run = |grammar: Grammar, tokens: Vec<TokenWithSpan>| {
        let mut p = Parser::new(grammar).with_recursion_limit(RECURSION_LIMIT).with_tokens_with_locations(tokens);
        body(&mut p)
    };
    let parsed = with_large_stack(|| {
        let first = run(grammars.primary, tokens.clone()).map_err(|e| e.in_text(text));
        match grammars.fallback {
            Some(grammar) => first.or_else(|e| run(grammar, tokens).map_err(|_| e)),
            None => first,
        }
    });
    parsed.unwrap_or_else(|| Err(ParseError::new("the SQL parser failed on this text", 0)))
}

const COMMENT: &str = "contains a comment (`--` or `/* */`), which could hide the SQL after it; remove it";

/// `migrate` reads a migration's CRLF line ends as LF (so checksums do not depend on a
/// checkout's line endings): a carriage return inside quotes would not survive.
const CARRIAGE_RETURN: &str = "has a carriage return inside quotes, which `migrate` would read as part of a line end: \
     write it as an escape (E'\\r' on PostgreSQL, CHR(13))";

/// PostgreSQL reads a backslash in a plain `'...'` string as itself, or as an escape when the
/// server has `standard_conforming_strings = off`: text checked one way would run the other way
/// there (`'\\' || '; DROP …'` closes differently). `E'...'` means the same either way.
const SETTING_DEPENDENT: &str = "has a backslash in a '...' string, which PostgreSQL reads as an escape when \
     standard_conforming_strings is off: write it as E'...' with the backslash doubled";

/// The lexer's verdict: the byte ranges of the strings and quoted names, or why the text could
/// reach beyond the construct it is pasted into, or read differently on another server or
/// with other settings. `Escapes::Standard` is PostgreSQL's default, which a setting changes.
fn lexed(text: &str, escapes: Escapes, what: &str) -> Result<Vec<(usize, usize)>, ParseError> {
    let (mut quoted, mut open, mut stray, mut blank) = (Vec::new(), Vec::new(), None, true);
    for t in lexer::tokens(text, escapes) {
        let at = t.start;
        if t.is_comment() {
            return Err(ParseError::new(COMMENT, at));
        }
        if !t.terminated {
            let msg = format!("is not valid SQL: `{:.20}` is not closed", t.text);
            return Err(ParseError::new(msg, at));
        }
        let string = matches!(t.kind, Kind::String | Kind::DollarString | Kind::QuotedIdent);
        if string && t.text.contains('\r') {
            return Err(ParseError::new(CARRIAGE_RETURN, at));
        }
        let plain = t.kind == Kind::String && t.text.starts_with(['\'', 'n', 'N']);
        if plain && escapes == Escapes::Standard && t.text.contains('\\') {
            return Err(ParseError::new(SETTING_DEPENDENT, at));
        }
        match t.kind {
            Kind::Punct if t.text == ";" => {
                return Err(ParseError::new(format!("contains `;`: it must be {what} alone, not statements"), at))
            }
            Kind::Punct if matches!(t.text, "(" | "[") => open.push((t.text, at)),
            Kind::Punct if matches!(t.text, ")" | "]") => {
                let opener = if t.text == ")" { "(" } else { "[" };
                if open.pop().map(|(o, _)| o) != Some(opener) {
                    stray = stray.or(Some((t.text, at)));
                }
            }
            Kind::String | Kind::DollarString | Kind::QuotedIdent => quoted.push((at, at + t.text.len())),
            _ => {}
        }
        blank &= t.kind == Kind::Whitespace;
    }
    if blank {
        return Err(ParseError::new(format!("is empty: expected {what}"), 0));
    }
    if let Some((closer, at)) = stray {
        return Err(ParseError::new(format!("is not a single SQL expression: `{closer}` follows it"), at));
    }
    if let Some((o, at)) = open.pop() {
        return Err(ParseError::new(format!("is not valid SQL: `{o}` is not closed"), at));
    }
    Ok(quoted)
}

/// The parser must read strings and quoted names where the lexer does, and no comment: else the
/// two disagree about what is code, and the text is refused rather than trusted to either.
fn agree(text: &str, tokens: &[TokenWithSpan], quoted: &[(usize, usize)]) -> Result<(), ParseError> {
    let (mut seen, offset) = (Vec::new(), Locator::new(text));
    for t in tokens {
        let at = offset.at(t.span.start);
        match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)) => {
                return Err(ParseError::new(COMMENT, at))
            }
            Token::SemiColon => return Err(ParseError::new("contains `;`", at)),
            Token::Whitespace(_) => {}
            Token::Word(w) if w.quote_style.is_none() => {}
            Token::Word(_)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::EscapedStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::UnicodeStringLiteral(_) => seen.push((at, offset.at(t.span.end))),
            _ => {}
        }
    }
    match seen.iter().zip(quoted).find(|(a, b)| a != b).map(|(a, b)| a.0.min(b.0)) {
        None if seen.len() == quoted.len() => Ok(()),
        at => {
            let at = at.unwrap_or_else(|| seen.get(quoted.len()).or(quoted.get(seen.len())).map_or(0, |q| q.0));
            let msg =
                "is read differently by the server and the SQL parser here (a quote or comment); write it plainly";
            Err(ParseError::new(msg, at))
        }
    }
}

thread_local! {
    static LARGE_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` where parsing is safe: here if this thread has a large stack, else on a new thread
/// that has one (None if it could not start or panicked). sqlparser bounds its own recursion,
/// but the trees it builds for long operator chains (`1+1+…`, `x::INT[][]…`, `… UNION SELECT …`)
/// are as deep as the text is long, and building, walking and dropping them recurses. Callers
/// that parse many texts (the loader) wrap the whole batch, so one thread serves them all.
pub fn with_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    if LARGE_STACK.with(|on| on.get()) {
        return Some(f());
    }
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new().stack_size(STACK_BYTES).spawn_scoped(s, || {
            LARGE_STACK.with(|on| on.set(true));
            f()
        });
        thread.ok()?.join().ok()
    })
}

impl From<ParserError> for ParseError {
    fn from(e: ParserError) -> ParseError {
        let message = match e {
            ParserError::RecursionLimitExceeded => format!("is nested too deeply (more than {RECURSION_LIMIT} levels)"),
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        };
        ParseError::new(message, 0)
    }
}

impl ParseError {
    /// Moves sqlparser's " at Line: L, Column: C" suffix into `offset`.
    fn in_text(mut self, text: &str) -> ParseError {
        if let Some((message, at)) = self.message.rsplit_once(" at Line: ") {
            let mut numbers = at.split(", Column: ").map(|n| n.trim().parse::<u64>().ok());
            if let (Some(Some(line)), Some(Some(column))) = (numbers.next(), numbers.next()) {
                self.offset = offset(text, Location { line, column });
                self.message = message.to_string();
            }
        }
        if self.message.starts_with("Expected") {
            self.message = format!("is not valid SQL: {}", self.message);
        }
        self
    }
}

/// The byte offset of a 1-based line and column (in characters); 0 for an unknown location.
fn offset(text: &str, at: Location) -> usize {
    Locator::new(text).at(at)
}

/// Byte offsets of sqlparser's locations in constant time each, for texts of many tokens.
struct Locator {
    /// The byte offset of each character, and the text's length after the last.
    bytes: Vec<usize>,
    /// The character index where each line starts.
    lines: Vec<usize>,
}

impl Locator {
    fn new(text: &str) -> Locator {
        let mut bytes: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let lines = std::iter::once(0).chain(text.chars().enumerate().filter(|(_, c)| *c == '\n').map(|(i, _)| i + 1));
        let lines = lines.collect();
        bytes.push(text.len());
        Locator { bytes, lines }
    }

    fn at(&self, at: Location) -> usize {
        let Some(&line) = (at.line as usize).checked_sub(1).and_then(|l| self.lines.get(l)) else {
            return if at.line == 0 { 0 } else { self.bytes[self.bytes.len() - 1] };
        };
        let next = self.lines.get(at.line as usize).map_or(self.bytes.len() - 1, |n| n - 1);
        let char = (line + at.column.saturating_sub(1) as usize).min(next.max(line));
        self.bytes[char.min(self.bytes.len() - 1)]
    }
}

/// ORDER BY / LIMIT / OFFSET / FETCH of the outermost query, looking through parentheses.
fn top_level(query: &ast::Query) -> Vec<&'static str> {
    let mut found = Vec::new();
    let mut q = query;
    loop {
        found.extend(q.order_by.as_ref().map(|_| "ORDER BY"));
        match &q.limit_clause {
            Some(LimitClause::LimitOffset { limit, offset, .. }) => {
                found.extend(limit.as_ref().map(|_| "LIMIT"));
                found.extend(offset.as_ref().map(|_| "OFFSET"));
            }
            Some(LimitClause::OffsetCommaLimit { .. }) => found.extend(["LIMIT", "OFFSET"]),
            None => {}
        }
        found.extend(q.fetch.as_ref().map(|_| "FETCH"));
        match &*q.body {
            SetExpr::Query(inner) => q = inner,
            _ => break,
        }
    }
    ["ORDER BY", "LIMIT", "OFFSET", "FETCH"].into_iter().filter(|c| found.contains(c)).collect()
}

/// System tables and views: catalog (PG_, INFORMATION_SCHEMA), log and snapshot (STL_, STV_),
/// system views (SVL_, SVV_) and monitoring views (SYS_), which a materialized view cannot read.
mod walk;

#[cfg(test)]
mod tests;
