//! The tool's lexer against PostgreSQL 15 itself. Every safety decision on SQL text (one
//! expression, no `;`, no comment, no transaction control) is the lexer's, so its statement,
//! comment and string boundaries must be the server's. The server shows its own: the extended
//! protocol's Parse refuses more than one command, a SELECT returns the columns whose aliases were
//! code (not swallowed by a comment or string) and the values of its literals, and every error
//! points at the start of the token where the server stopped. Checked on a generated corpus
//! (every operator character before `--` and `/*`, strings of every kind in both escape modes,
//! continuations, dollar tags, nested comments, numbers) and on a bounded random run with a fixed
//! seed (`SCHEMA_FUZZ_TEXTS` and `SCHEMA_FUZZ_SEED` run others, longer).

mod common;

use common::rng::{setting, Rng};
use postgres::error::ErrorPosition;
use postgres::{Client, SimpleQueryMessage};
use schema::sql::lexer::{ident_value, split_statements, string_value, tokens, Escapes, Kind, Token};
use std::time::{Duration, Instant};

const OP_CHARS: &str = "+-*/<>=~!@#%^&|`?";
/// Texts of the random run.
const TEXTS: u64 = 4_000;

/// How the server read a text.
#[derive(Debug)]
enum Read {
    /// One statement: its columns, and its first row (None when running it failed or gave none).
    Columns(Vec<String>, Option<Vec<Option<String>>>),
    /// More than one statement.
    Several,
    /// An error; `at` is the byte offset it points at.
    Error { message: String, at: Option<usize> },
}

/// A session whose `standard_conforming_strings` matches `escapes`.
struct Server {
    client: Client,
    escapes: Escapes,
}

impl Server {
    fn new(url: &str, escapes: Escapes) -> Server {
        let mut client = schema::db::Target::parse(url, None, Duration::from_secs(10)).unwrap().connect().unwrap();
        client.batch_execute("SET statement_timeout = '5s'").unwrap();
        if escapes == Escapes::Backslash {
            client.batch_execute("SET standard_conforming_strings = off; SET escape_string_warning = off").unwrap();
        }
        Server { client, escapes }
    }

    fn read(&mut self, text: &str) -> Read {
        match self.client.prepare(text) {
            Ok(statement) => {
                let names = statement.columns().iter().map(|c| c.name().to_string()).collect();
                let row = self.client.simple_query(text).ok().and_then(|messages| {
                    messages.into_iter().find_map(|m| match m {
                        SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                        }
                        _ => None,
                    })
                });
                Read::Columns(names, row)
            }
            Err(e) => {
                let db = e.as_db_error().unwrap_or_else(|| panic!("{text:?}: {e}"));
                if db.message() == "cannot insert multiple commands into a prepared statement" {
                    return Read::Several;
                }
                let at = match db.position() {
                    Some(ErrorPosition::Original(p)) => {
                        Some(text.char_indices().nth(*p as usize - 1).map_or(text.len(), |(i, _)| i))
                    }
                    _ => None,
                };
                Read::Error { message: db.message().to_string(), at }
            }
        }
    }

    /// Where the lexer and the server disagree on `text`, and on each statement the lexer cut it into.
    fn check(&mut self, text: &str) -> Result<Read, String> {
        let read = self.read(text);
        agree(text, self.escapes, &read)?;
        if matches!(read, Read::Several) {
            for statement in split_statements(text, self.escapes) {
                let alone = self.read(statement);
                agree(statement, self.escapes, &alone).map_err(|e| format!("statement {statement:?}: {e}"))?;
                if matches!(alone, Read::Several) {
                    return Err(format!("the server finds several statements in the lexer's {statement:?}"));
                }
            }
        }
        Ok(read)
    }
}

/// Whether the lexer reads `text` as the server did.
fn agree(text: &str, escapes: Escapes, read: &Read) -> Result<(), String> {
    let tokens: Vec<Token> = tokens(text, escapes).collect();
    let statements = split_statements(text, escapes).len();
    let open = tokens.iter().find(|t| !t.terminated);
    match read {
        Read::Several if statements < 2 => Err(format!("the server finds several statements, the lexer {statements}")),
        Read::Several | Read::Columns(..) if open.is_some() => {
            Err(format!("the lexer finds `{}` unterminated where the server parsed the text", open.unwrap().text))
        }
        Read::Several => Ok(()),
        Read::Columns(..) if statements > 1 => Err(format!("the server finds one statement, the lexer {statements}")),
        Read::Columns(names, row) => {
            let items = items(&tokens);
            let aliases: Vec<Option<String>> = items.iter().map(|(_, alias)| alias.clone()).collect();
            let same = aliases.len() == names.len()
                && aliases.iter().zip(names).all(|(a, n)| a.as_ref().is_none_or(|a| a == n));
            if !same {
                return Err(format!(
                    "the server returns the columns {names:?}, the lexer reads the aliases {aliases:?}"
                ));
            }
            for ((expr, _), value) in items.iter().zip(row.iter().flatten()) {
                if let [literal] = expr[..] {
                    let decoded = string_value(&literal, escapes);
                    if decoded.is_some() && decoded.as_ref() != value.as_ref() {
                        return Err(format!(
                            "the server reads {:?} as {value:?}, the lexer as {decoded:?}",
                            literal.text
                        ));
                    }
                }
            }
            Ok(())
        }
        // PostgreSQL 15 reads a vertical tab as a stray character, 16 and later (and the lexer) as
        // whitespace: a syntax error either way, on this server.
        Read::Error { at: Some(at), .. } if text.as_bytes().get(*at) == Some(&0x0b) => Ok(()),
        Read::Error { message, at: Some(at) } => {
            let starts = |t: &&Token| (t.start == *at || server_start(t) == *at) && t.kind != Kind::Whitespace;
            let token = tokens.iter().find(starts);
            let escape = message.contains("escape") || message.contains("Unicode");
            let inside = tokens.iter().any(|t| {
                matches!(t.kind, Kind::String | Kind::QuotedIdent) && t.start < *at && *at < t.start + t.text.len()
            });
            if token.is_none() && *at < text.len() && !(escape && inside) {
                return Err(format!("the server stops at byte {at} ({message}), where the lexer starts no token"));
            }
            if message.starts_with("unterminated") && token.is_none_or(|t| t.terminated) {
                return Err(format!(
                    "the server finds an unterminated token at byte {at} ({message}), the lexer does not"
                ));
            }
            match open {
                Some(t) if *at > server_start(t) => Err(format!(
                    "the lexer finds `{}` unterminated at byte {}, the server reads on to byte {at} ({message})",
                    t.text, t.start
                )),
                _ => Ok(()),
            }
        }
        Read::Error { .. } => Ok(()),
    }
}

/// Where the server sees the token's text start: it reads `N'..'` as the keyword NCHAR and a
/// string, and points at the quote.
fn server_start(t: &Token) -> usize {
    t.start + usize::from(t.kind == Kind::String && t.text.starts_with(['n', 'N']))
}

/// The select list of a one-statement text as the lexer reads it: each item's expression tokens
/// and its alias (`AS name` at the end, outside brackets; None when the item has none).
fn items<'a>(tokens: &[Token<'a>]) -> Vec<(Vec<Token<'a>>, Option<String>)> {
    let significant: Vec<Token> = tokens.iter().filter(|t| !t.is_trivia() && !t.is_punct(';')).copied().collect();
    let Some(([_select], rest)) = significant.split_first_chunk().filter(|([f], _)| f.is_word("select")) else {
        return vec![];
    };
    let (mut out, mut item, mut depth) = (Vec::new(), Vec::<Token>::new(), 0usize);
    for t in rest.iter().chain([&Token { kind: Kind::Punct, text: ",", start: usize::MAX, terminated: true }]) {
        match t.kind {
            Kind::Punct if matches!(t.text, "(" | "[") => depth += 1,
            Kind::Punct if matches!(t.text, ")" | "]") => depth = depth.saturating_sub(1),
            Kind::Punct if t.text == "," && depth == 0 && item.is_empty() && t.start == usize::MAX => break,
            Kind::Punct if t.text == "," && depth == 0 => {
                let alias = match item[..] {
                    [.., as_, name] if as_.is_word("as") => ident_value(&name),
                    _ => None,
                };
                let expr = if alias.is_some() { item[..item.len() - 2].to_vec() } else { item.clone() };
                out.push((expr, alias));
                item.clear();
                continue;
            }
            _ => {}
        }
        item.push(*t);
    }
    out
}

/// The generated corpus.
fn corpus() -> Vec<String> {
    let mut texts = Vec::new();
    let mut ops: Vec<String> = OP_CHARS.chars().map(String::from).collect();
    for a in OP_CHARS.chars() {
        ops.extend(OP_CHARS.chars().map(|b| format!("{a}{b}")));
    }
    ops.extend([">=", "->", "&&", "<<", ">>", "||", "@>", "#>>", "!~~*", "?-|", "~-", "=-", "*-+"].map(String::from));
    for op in &ops {
        for comment in ["--", "/*"] {
            texts.push(format!(
                "SELECT 1 AS m0 WHERE 1 {op}{comment} '\n0; SELECT 2 AS m1 WHERE 1 {op}{comment} '\n+ 0"
            ));
            texts.push(format!("SELECT 1 {op}{comment} x' ;\n 2 AS m1, 3 AS m2 -- */\n, 4 AS m3"));
            texts.push(format!("SELECT 2{op}{comment}$$\n3 AS m1 --*/ ,4 AS m2"));
        }
    }
    let kinds = ["'", "E'", "e'", "N'", "B'", "X'", "U&'", "$$", "$t$", "$é$", "\"", "U&\""];
    let atoms = [
        "", "a", "''", "'", "\\", "\\'", "\\\\", ";", "--", "/*", "*/", "$$", "$t$", "\"", "\"\"", "\n", "\r", "\t",
        "é", "\\x41", "\\101", "\\u0041", "\\n", "$", "0", "1f", "\\\n'",
    ];
    for kind in kinds {
        for a in atoms {
            for b in ["", "x", "'", "\\", "$", ";--", "*/ /*"] {
                texts.push(literal_item(kind, &format!("{a}{b}")));
            }
        }
    }
    for first in ["'", "E'", "B'", "X'", "U&'", "N'"] {
        for sep in ["\n", " -- c\n", "\n/* c */ ", " \r\n\t", "  ", "\n-- c\n", " --c", "\x0c\n", "\n\x0b"] {
            for tail in ["b", "\\'", "\\' || ' x", "''", "\\", "1"] {
                texts.push(format!("SELECT {first}a'{sep}'{tail}' AS m1, 2 AS m2 -- '\n, 3 AS m3"));
            }
        }
    }
    texts.extend(
        [
            "SELECT /* /* */ 1 AS m1 */ 2 AS m2",
            "SELECT 1 /*/ 2 AS m1 */ AS m2",
            "SELECT 1 /**/ AS m1, 2 /*** x ***/ AS m2",
            "SELECT 1 /* a /* b /* c */ */ AS m1 */ AS m2, 3 AS m3",
            "SELECT $a$ $b$ $a$ AS m1, $b$x$b$ AS m2",
            "SELECT $a$$a$ AS m1, $_1$ ; $_1$ AS m2",
            "SELECT 1 AS a$$b$$, 2 AS m2",
            "SELECT 1$$x$$ AS m1",
            "SELECT $1 AS m1",
            "SELECT $1a AS m1",
            "SELECT $a AS m1",
            "SELECT 1e- 2 AS m1",
            "SELECT 1e--x\n AS m1",
            "SELECT 1.e5 AS m1, .5 AS m2, 1..2 AS m3",
            "SELECT 1abc AS m1",
            "SELECT 0x1F AS m1, 1_000 AS m2",
            "SELECT 1::text AS m1, 2 AS m2",
            "SELECT ARRAY[1,2][1:2] AS m1",
            "SELECT 1 AS m1 --\r, 2 AS m2",
            "SELECT 1 AS m1 --\r\n, 2 AS m2",
            "SELECT 1\x0b AS m1",
            "SELECT 'a'\x0b\n'b' AS m1",
            "SELECT \"\" AS m1",
            "SELECT 1 AS \"a\"\"b\", 2 AS U&\"d\\0061t\"",
            "SELECT U&'d!0061t' UESCAPE '!' AS m1",
            "SELECT 1 AS m1; -- c\n;; SELECT 2 AS m2;",
            "SELECT 1 AS m1; /* ; */ SELECT ';' AS m2",
            "BEGIN; COMMIT",
        ]
        .map(String::from),
    );
    texts
}

/// `SELECT <a literal of `kind` holding `content`> AS m1, 2 AS m2`; a quoted-name kind is the alias.
fn literal_item(kind: &str, content: &str) -> String {
    let close = match kind {
        k if k.starts_with('$') => k,
        k if k.ends_with('"') => "\"",
        _ => "'",
    };
    if close == "\"" {
        format!("SELECT 1 AS {kind}{content}{close}, 2 AS m2")
    } else {
        format!("SELECT {kind}{content}{close} AS m1, 2 AS m2")
    }
}

/// Text that breaks lexers: quotes of every kind, escapes, comment marks, statement ends.
const HOSTILE: &[&str] = &[
    "a", "'", "''", "\\", "\\'", ";", "--", "/*", "*/", "$$", "$t$", "\"", "\n", "\r", " ", "é", "\\x27", "e'", "-",
    "N'",
];

/// A random text: statements of select lists whose items are literals of every kind and
/// numbers joined by operators, with comments and whitespace between any two tokens (an
/// operator's own characters before `--` or `/*` included), and now and then a hostile fragment.
fn random_text(rng: &mut Rng) -> String {
    let mut text = String::new();
    for s in 0..1 + rng.below(3) {
        if s > 0 {
            text.push_str(rng.pick::<&str>(&[";", "; ", ";\n", " ;-- x\n", ";;"]));
        }
        text.push_str("SELECT ");
        for k in 0..1 + rng.below(3) {
            if k > 0 {
                text.push(',');
                text.push_str(&gap(rng));
            }
            text.push_str(&operand(rng));
            for _ in 0..rng.below(3) {
                text.push_str(&gap(rng));
                text.push_str(rng.pick::<&str>(&["||", "+", "<", "=", "<>", "-", "*", "#", ">="]));
                text.push_str(&gap(rng));
                text.push_str(&operand(rng));
            }
            if rng.below(8) == 0 {
                text.push_str(&content(rng));
            }
            text.push_str(&gap(rng));
            text.push_str(&format!(" AS m{k}"));
        }
    }
    text
}

fn content(rng: &mut Rng) -> String {
    (0..rng.below(4)).map(|_| *rng.pick(HOSTILE)).collect()
}

/// A literal or number; literals mostly hold text valid for their kind.
fn operand(rng: &mut Rng) -> String {
    let kind = *rng.pick(&["1", "2.5", "'", "'", "E'", "N'", "B'", "X'", "U&'", "$$", "$t$", "(1)"]);
    let body = |rng: &mut Rng| match (kind, rng.below(3)) {
        (_, 0) => content(rng),
        ("B'", _) => "01".into(),
        ("X'", _) => "1f".into(),
        ("E'", _) => rng.pick(&["\\'", "\\\\", "a\\nb", "''"]).to_string(),
        ("$$" | "$t$", _) => rng.pick(&["';--", "/*", "$", "\\"]).to_string(),
        _ => rng.pick(&["a", "''", "x y", ";", "--"]).to_string(),
    };
    match kind {
        "1" | "2.5" | "(1)" => kind.to_string(),
        "$$" | "$t$" => format!("{kind}{}{kind}", body(rng)),
        _ if rng.below(4) == 0 => format!("{kind}{}'{}'{}'", body(rng), gap_with_newline(rng), body(rng)),
        _ => format!("{kind}{}'", body(rng)),
    }
}

/// What may stand between two tokens.
fn gap(rng: &mut Rng) -> String {
    match rng.below(8) {
        0..=2 => " ".into(),
        3 => String::new(),
        4 => format!("--{}\n", content(rng)),
        5 => format!("/*{}*/", content(rng)),
        6 => format!("/*{}/*{}*/{}*/", content(rng), content(rng), content(rng)),
        _ => gap_with_newline(rng),
    }
}

/// What continues a string literal in the next one, or (after a block comment) does not.
fn gap_with_newline(rng: &mut Rng) -> String {
    rng.pick(&["\n", " \r\n", "\t\n ", " -- c\n", "\n-- '\n", "\n/* c */", "\x0c\n", "\n\x0b"]).to_string()
}

/// Runs `texts` in both escape modes; the disagreements, and how often the server parsed a
/// text, found several statements, or stopped at an error.
fn run(texts: &[String]) -> (Vec<String>, [usize; 3]) {
    let url = common::fresh_database();
    let (mut failures, mut seen) = (Vec::new(), [0; 3]);
    for escapes in [Escapes::Standard, Escapes::Backslash] {
        let mut server = Server::new(&url, escapes);
        for text in texts {
            match server.check(text) {
                Ok(read) => {
                    seen[match read {
                        Read::Columns(..) => 0,
                        Read::Several => 1,
                        Read::Error { .. } => 2,
                    }] += 1
                }
                Err(e) => failures.push(format!("{escapes:?} {text:?}: {e}")),
            }
        }
    }
    (failures, seen)
}

fn report(what: &str, texts: usize, started: Instant, (failures, seen): (Vec<String>, [usize; 3])) {
    println!(
        "{what}: {texts} texts in both escape modes, {} parsed, {} several statements, {} errors; {:?}",
        seen[0],
        seen[1],
        seen[2],
        started.elapsed()
    );
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
    // Each kind of verdict occurs, so none of the comparisons above is vacuous.
    assert!(seen.iter().all(|n| *n >= texts / 20), "{seen:?}");
}

#[test]
fn the_generated_corpus_is_lexed_as_postgres_lexes_it() {
    let started = Instant::now();
    let texts = corpus();
    report("corpus", texts.len(), started, run(&texts));
}

#[test]
fn random_texts_are_lexed_as_postgres_lexes_them() {
    let started = Instant::now();
    let (n, seed) = (setting("SCHEMA_FUZZ_TEXTS", TEXTS), setting("SCHEMA_FUZZ_SEED", 0x5eed));
    let texts: Vec<String> = (0..n).map(|i| random_text(&mut Rng((seed << 32) ^ i))).collect();
    println!("seed {seed:#x}");
    report("random", texts.len(), started, run(&texts));
}
