//! SQL text: one lexer every splitter and scanner uses, so all agree on where quotes and
//! comments end; the YAML's expressions and view bodies parsed with a real SQL parser before
//! they are pasted into generated SQL; quoted identifiers and the `ref()` of view bodies.

pub mod expr;
pub mod lexer;
pub mod refs;

pub use refs::{expand_refs, expand_refs_with};

/// Whether a statement starts or ends a transaction: BEGIN, START TRANSACTION, COMMIT, END,
/// ROLLBACK (not ROLLBACK TO a savepoint), ABORT, PREPARE TRANSACTION, COMMIT or ROLLBACK
/// PREPARED. Sent inside a transaction of the tool's (a migration with its history row, a
/// read-only check), it would end that transaction and let what follows run outside it.
pub fn transaction_control(statement: &str, escapes: lexer::Escapes) -> bool {
    let words: Vec<lexer::Token> = lexer::significant(statement, escapes).take(3).collect();
    let word = |i: usize, keywords: &[&str]| words.get(i).is_some_and(|t| keywords.iter().any(|k| t.is_word(k)));
    let to_savepoint = word(1, &["to"]) || (word(1, &["work", "transaction"]) && word(2, &["to"]));
    (word(0, &["rollback"]) && !to_savepoint)
        || word(0, &["begin", "commit", "end", "abort"])
        || (word(0, &["start", "prepare"]) && word(1, &["transaction"]))
}

/// A quoted identifier: the same in both dialects.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The qualified SQL name of the object `key` (`t` in `home`, or `ns.t`): see `model::split_key`.
pub fn qualified(home: &str, key: &str) -> String {
    match crate::model::split_key(key) {
        (Some(ns), name) => format!("{}.{}", ident(ns), ident(name)),
        (None, name) => format!("{}.{}", ident(home), ident(name)),
    }
}

/// Whether a view body may read one of `columns` of the tables it reads: it names one (a bare or
/// quoted identifier, anywhere), or selects `*`. Errs towards yes: a view it names is recreated
/// around a change of that column, one it cannot read is left in place.
pub fn may_read(body: &str, columns: &[String], escapes: lexer::Escapes) -> bool {
    let mut before: Option<lexer::Token> = None;
    for t in lexer::significant(body, escapes) {
        if lexer::ident_value(&t).is_some_and(|name| columns.contains(&name)) {
            return true;
        }
        let list_start = |p: &lexer::Token| ["SELECT", "DISTINCT", "ALL"].iter().any(|w| p.is_word(w));
        if t.text == "*" && before.is_none_or(|p| list_start(&p) || p.is_punct(',') || p.is_punct('.')) {
            return true;
        }
        before = Some(t);
    }
    false
}

/// `text` with each plain `'...'` string that holds a backslash written `E'...'`, the backslash
/// doubled: the server prints its catalog text with standard_conforming_strings on, and the
/// loader refuses plain strings that another setting would read otherwise (`sql::expr`).
pub fn escape_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for t in lexer::tokens(text, lexer::Escapes::Standard) {
        let single = t.text.len() >= 2 && t.text.starts_with('\'') && t.text.ends_with('\'') && !t.text.contains('\n');
        match t.kind == lexer::Kind::String && single && t.text.contains('\\') {
            true => out.push_str(&format!("E{}", t.text.replace('\\', "\\\\"))),
            false => out.push_str(t.text),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn backslashes_in_plain_strings_become_escape_strings() {
        let printed = r"(email ~ '^[^@\s]+@'::text) AND (x <> 'it''s') AND (y ~ E'\\d')";
        let want = r"(email ~ E'^[^@\\s]+@'::text) AND (x <> 'it''s') AND (y ~ E'\\d')";
        assert_eq!(super::escape_strings(printed), want);
    }

    use super::*;

    #[test]
    fn a_view_may_read_the_columns_it_names_or_all_with_a_star() {
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e = lexer::Escapes::Standard;
        let body = "SELECT thread_id, COUNT(*) AS n FROM {{ ref('t') }} GROUP BY 1";
        assert!(may_read(body, &cols(&["thread_id"]), e));
        assert!(!may_read(body, &cols(&["search_query"]), e), "COUNT(*) reads no column");
        assert!(may_read("SELECT \"Odd\" FROM x", &cols(&["Odd"]), e));
        assert!(may_read("SELECT * FROM x", &cols(&["anything"]), e));
        assert!(may_read("SELECT a, t.* FROM x t", &cols(&["b"]), e));
        assert!(!may_read("SELECT a * 2 AS b FROM x -- thread_id", &cols(&["thread_id"]), e), "comments are not read");
    }

    #[test]
    fn transaction_control_is_found_in_any_spelling() {
        use lexer::Escapes::Standard;
        for sql in [
            "COMMIT",
            "commit and chain",
            "/* c */ End Transaction",
            "BEGIN",
            "begin work",
            "START TRANSACTION READ WRITE",
            "ROLLBACK",
            "rollback and no chain",
            "ROLLBACK PREPARED 'x'",
            "COMMIT PREPARED 'x'",
            "PREPARE TRANSACTION 'x'",
            "ABORT",
        ] {
            assert!(transaction_control(sql, Standard), "{sql}");
        }
        for sql in [
            "ROLLBACK TO SAVEPOINT s",
            "rollback work to s",
            "ROLLBACK TRANSACTION TO SAVEPOINT s",
            "SAVEPOINT s",
            "PREPARE p AS SELECT 1",
            "SELECT 'COMMIT'",
            "\"commit\"",
            "DO $$ BEGIN END $$",
            "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$",
            "",
        ] {
            assert!(!transaction_control(sql, Standard), "{sql}");
        }
    }

    #[test]
    fn identifiers_double_their_quotes() {
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
