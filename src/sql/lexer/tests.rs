use super::Escapes::{Backslash, Standard};
use super::*;

/// Non-whitespace tokens as `Kind(text)`, `!` marking unterminated ones.
fn show(sql: &str, escapes: Escapes) -> String {
    let tokens = tokens(sql, escapes).filter(|t| t.kind != Kind::Whitespace);
    let shown: Vec<_> =
        tokens.map(|t| format!("{:?}({}){}", t.kind, t.text, if t.terminated { "" } else { "!" })).collect();
    shown.join(" ")
}

#[test]
fn lexes_each_construct() {
    let both: &[(&str, &str)] = &[
        ("'it''s' 'a''' ''", "String('it''s') String('a''') String('')"),
        ("'a' 'b'", "String('a') String('b')"),
        (r"E'a\'b' e'\\' x", r"String(E'a\'b') String(e'\\') Word(x)"),
        (r"B'\' X'ff' U&'d\0061t' u&'x''y'", r"String(B'\') String(X'ff') String(U&'d\0061t') String(u&'x''y')"),
        ("xE'1' date'2020-01-01'", "Word(xE) String('1') Word(date) String('2020-01-01')"),
        (r#""a""b" U&"x\0041" "-- /*""#, r#"QuotedIdent("a""b") QuotedIdent(U&"x\0041") QuotedIdent("-- /*")"#),
        ("$$a;'b$$ $tag$ a $$ b; $tag$", "DollarString($$a;'b$$) DollarString($tag$ a $$ b; $tag$)"),
        ("$1 $12$$x$$ a$b a$$b$$ $é$x$é$", "Param($1) Param($12) DollarString($$x$$) Word(a$b) Word(a$$b$$) DollarString($é$x$é$)"),
        ("$a b $ {}", "Punct($) Word(a) Word(b) Punct($) Punct({) Punct(})"),
        ("-- c;\nx --y\r\n--", "LineComment(-- c;) Word(x) LineComment(--y) LineComment(--)"),
        ("/* a /* b; */ c */ d /*/ e */ /**/", "BlockComment(/* a /* b; */ c */) Word(d) BlockComment(/*/ e */) BlockComment(/**/)"),
        ("Über_1$x a\u{a0}b ñ", "Word(Über_1$x) Word(a\u{a0}b) Word(ñ)"),
        ("12 1.5 .5 1e10 1.2E-3 1. 1..2 .5a", "Number(12) Number(1.5) Number(.5) Number(1e10) Number(1.2E-3) Number(1.) Number(1) Punct(..) Number(2) Number(.5a)"),
        ("0x1F 1_000 1e+x 1e--x 1E'a' $1E'a' 1e1$$a$$ 1.5e-1$$a$$", "Number(0x1F) Number(1_000) Number(1e+) Word(x) Number(1e-) Operator(-) Word(x) Number(1E) String('a') Param($1E) String('a') Number(1e1$$a$$) Number(1.5e-1) DollarString($$a$$)"),
        ("a::int f(x := 1)[1:2];", "Word(a) Punct(::) Word(int) Word(f) Punct(() Word(x) Operator(:=) Number(1) Punct()) Punct([) Number(1) Operator(:) Number(2) Punct(]) Punct(;)"),
        ("a-->b\nc+/*x*/d", "Word(a) LineComment(-->b) Word(c) Operator(+) BlockComment(/*x*/) Word(d)"),
        ("x<=-1 y*--z", "Word(x) Operator(<=) Operator(-) Number(1) Word(y) Operator(*) LineComment(--z)"),
        ("a @- b !=+ c */ d ++-", "Word(a) Operator(@-) Word(b) Operator(!=+) Word(c) Operator(*/) Word(d) Operator(+) Operator(+) Operator(-)"),
        ("'abc", "String('abc)!"),
        ("\"a\"\"", "QuotedIdent(\"a\"\")!"),
        ("$q$ x $Q$ $q", "DollarString($q$ x $Q$ $q)!"),
        ("$$", "DollarString($$)!"),
        ("/* a /* b */", "BlockComment(/* a /* b */)!"),
        (r"E'\'", r"String(E'\')!"),
        ("U&'", "String(U&')!"),
        // A bit string ends at the next quote: PostgreSQL reads `B'1''0'` as two literals.
        ("B'1''0' x'f''a'", "String(B'1') String('0') String(x'f') String('a')"),
        // Continuations keep the first part's escapes; a block comment, or no line break, ends them.
        ("E'a'\n'\\' || ' x'", "String(E'a'\n'\\' || ') String(x')!"),
        (
            "'a' -- c\n'b' 'c'\n/* d */ 'e' 'f' \r\n\t--\n'g'",
            "String('a' -- c\n'b') String('c') BlockComment(/* d */) String('e') String('f' \r\n\t--\n'g')",
        ),
        ("B'1'\n'0' U&'a'\n''''", "String(B'1'\n'0') String(U&'a'\n'''')"),
    ];
    for (sql, expected) in both {
        for escapes in [Standard, Backslash] {
            assert_eq!(show(sql, escapes), *expected, "{sql} in {escapes:?}");
        }
    }
    let modal: &[(&str, &str, &str)] = &[
        (r"'a\'b'", r"String('a\') String(b')!", r"String('a\'b')"),
        (r"'a\\' x", r"String('a\\') Word(x)", r"String('a\\') Word(x)"),
        (r"'a\''b' x", r"String('a\''b') Word(x)", r"String('a\'') String(b' x)!"),
        (r"N'a\'c'", r"String(N'a\') Word(c) String(')!", r"String(N'a\'c')"),
        (r"'\", r"String('\)!", r"String('\)!"),
    ];
    for (sql, standard, backslash) in modal {
        assert_eq!(show(sql, Standard), *standard, "{sql}");
        assert_eq!(show(sql, Backslash), *backslash, "{sql}");
    }
}

#[test]
fn splits_statements_at_top_level_semicolons() {
    let script = "-- header; not a statement\nCREATE TABLE \"a;b\" (x TEXT DEFAULT ';');\n/* c; */ ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(9);\n\
        CREATE PROCEDURE p() AS $body$ BEGIN x := ';'; RETURN; END; $body$ LANGUAGE plpgsql;\n-- trailing; comment\n;; /* only */ ;SELECT 1 AS x\u{a0}\n";
    for escapes in [Standard, Backslash] {
        assert_eq!(
            split_statements(script, escapes),
            [
                "-- header; not a statement\nCREATE TABLE \"a;b\" (x TEXT DEFAULT ';')",
                "/* c; */ ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(9)",
                "CREATE PROCEDURE p() AS $body$ BEGIN x := ';'; RETURN; END; $body$ LANGUAGE plpgsql",
                "SELECT 1 AS x\u{a0}",
            ]
        );
    }
    let hostile = r"SELECT 'a\'; DROP TABLE t; --'; SELECT 2";
    assert_eq!(split_statements(hostile, Backslash), [r"SELECT 'a\'; DROP TABLE t; --'", "SELECT 2"]);
    assert_eq!(split_statements(hostile, Standard), [r"SELECT 'a\'", "DROP TABLE t"]);
    assert_eq!(split_statements("SELECT 'x; SELECT 2", Standard), ["SELECT 'x; SELECT 2"]);
    assert!(split_statements(" ;\n-- x\n; /* ; */", Standard).is_empty());
    assert_eq!(split_statements("/* x */ ; SELECT 1; /* open", Standard), ["SELECT 1", "/* open"]);
    // Like psql: no split inside parentheses or a SQL-standard routine body.
    let cases: &[(&str, &[&str])] = &[
        ("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); NOTIFY b); SELECT 1", &["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); NOTIFY b)", "SELECT 1"]),
        ("create or replace function f() returns int begin atomic select case when true then 1 end; select 2; end; select 3", &["create or replace function f() returns int begin atomic select case when true then 1 end; select 2; end", "select 3"]),
        ("BEGIN; SELECT 1 AS begin; CREATE TABLE function (begin int); END", &["BEGIN", "SELECT 1 AS begin", "CREATE TABLE function (begin int)", "END"]),
        ("SELECT (1; SELECT 2); SELECT 3) ; SELECT 4", &["SELECT (1; SELECT 2)", "SELECT 3)", "SELECT 4"]),
    ];
    for (sql, expected) in cases {
        assert_eq!(split_statements(sql, Backslash), *expected);
    }
}

#[test]
fn decodes_identifiers_and_strings() {
    let first = |sql, escapes| tokens(sql, escapes).next().unwrap();
    let idents = [
        ("Foo", Some("foo")),
        ("\"Foo\"\"x\"", Some("Foo\"x")),
        ("ÉTÉ", Some("ÉtÉ")),
        ("U&\"x\"", None),
        ("\"x", None),
        ("'x'", None),
    ];
    for (sql, expected) in idents {
        assert_eq!(ident_value(&first(sql, Standard)).as_deref(), expected, "{sql}");
    }
    let strings = [
        ("'it''s'", Standard, Some("it's")),
        (r"'a\nb'", Standard, Some(r"a\nb")),
        (r"'a\nb\'c'", Backslash, Some("a\nb'c")),
        (r"N'x\'y'", Backslash, Some("x'y")),
        (r"E'\t\x41\101\u00e9\U0001F600\uD83D\uDE00\q\\\'''\b\f\r'", Standard, Some("\tAAé😀😀q\\''\u{8}\u{c}\r")),
        (r"E'\xc3\xa9\x4g\xg'", Standard, Some("é\u{4}gxg")),
        (r"E'\xff'", Standard, None),
        (r"E'\u12'", Standard, None),
        (r"E'\uD83D'", Standard, None),
        (r"E'\uDE00'", Standard, None),
        (r"E'\0'", Standard, None),
        ("$f$a'b$$\\$f$", Standard, Some("a'b$$\\")),
        ("$$$$", Backslash, Some("")),
        ("E'a'\n'\\'' -- c\n'\\n'", Standard, Some("a'\n")),
        ("'a\\'\n'b''' -- c", Standard, Some("a\\b'")),
        ("B'01'", Standard, None),
        ("U&'x'", Standard, None),
        ("'abc", Standard, None),
        ("abc", Standard, None),
    ];
    for (sql, escapes, expected) in strings {
        assert_eq!(string_value(&first(sql, escapes), escapes).as_deref(), expected, "{sql}");
    }
    let t = first("Select", Standard);
    assert!(t.is_word("SELECT") && !t.is_word("selec") && first(";", Standard).is_punct(';'));
    assert!(!first("::", Standard).is_punct(':') && first("/**/", Standard).is_trivia());
}

/// Texts concatenate back to the input, offsets agree, only the last token can be unterminated,
/// and nothing panics, on random input drawn mostly from the characters that matter.
#[test]
fn round_trips_random_input() {
    let pieces = [
        "'", "\"", "$", "$$", "$a$", "-", "--", "/", "/*", "*/", "*", "\\", ";", ":", ".", "e", "E'", "U&", "n", "1",
        "x", " ", "\n", "\r", "é", "€", "😀", "\u{a0}", "\0", "+", "@", "{",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5000 {
        let len = next() % 40;
        let sql: String = (0..len)
            .map(|_| match next() {
                // Now and then any character at all.
                r if r % 5 == 0 => char::from_u32((r >> 32) as u32 % 0x11_0000).unwrap_or('\u{fffd}').to_string(),
                r => pieces[r as usize % pieces.len()].to_owned(),
            })
            .collect();
        for escapes in [Standard, Backslash] {
            let mut offset = 0;
            for token in tokens(&sql, escapes) {
                assert!(!token.text.is_empty() && token.start == offset, "{sql:?}");
                offset += token.text.len();
                assert!(token.terminated || offset == sql.len(), "{sql:?}");
                let _ = (ident_value(&token), string_value(&token, escapes));
            }
            assert_eq!(offset, sql.len(), "{sql:?}");
            for statement in split_statements(&sql, escapes) {
                assert!(!statement.is_empty() && sql.contains(statement), "{sql:?}");
            }
        }
    }
}

#[test]
fn long_hostile_input_is_linear() {
    for sql in ["+".repeat(200_000), "/*".repeat(100_000), "$a".repeat(100_000), "'".repeat(200_001)] {
        assert_eq!(tokens(&sql, Backslash).map(|t| t.text.len()).sum::<usize>(), sql.len());
    }
}
