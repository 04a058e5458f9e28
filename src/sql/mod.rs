//! SQL text: one lexer every splitter and scanner uses, so all agree on where quotes and
//! comments end; the YAML's expressions and view bodies parsed with a real SQL parser before
//! they are pasted into generated SQL; quoted identifiers and the `ref()` of view bodies.

pub mod expr;
pub mod lexer;

use minijinja::{Environment, UndefinedBehavior};
use std::sync::{Arc, Mutex};

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

/// Renders the `{{ ref('t') }}` placeholders of a view body to qualified names and returns the
/// names referenced, sorted and unique.
pub fn expand_refs(sql: &str, namespace: &str) -> std::result::Result<(String, Vec<String>), minijinja::Error> {
    let refs = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    let (seen, ns) = (refs.clone(), namespace.to_string());
    env.add_function("ref", move |name: &str| {
        seen.lock().unwrap().push(name.to_string());
        qualified(&ns, name)
    });
    let body = env.render_str(sql, ())?;
    let mut names = refs.lock().unwrap().clone();
    names.sort();
    names.dedup();
    Ok((body.trim_end().to_string(), names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_qualified_and_recorded() {
        let (sql, refs) =
            expand_refs("SELECT 1 FROM {{ ref('b') }} JOIN {{ ref(\"a\") }} USING (x) JOIN {{ ref('b') }}", "ns")
                .unwrap();
        assert_eq!(sql, "SELECT 1 FROM \"ns\".\"b\" JOIN \"ns\".\"a\" USING (x) JOIN \"ns\".\"b\"");
        assert_eq!(refs, vec!["a", "b"]);
        let (sql, refs) = expand_refs("SELECT 1 FROM {{ ref('raw.b') }}", "ns").unwrap();
        assert_eq!((sql.as_str(), refs), ("SELECT 1 FROM \"raw\".\"b\"", vec!["raw.b".to_string()]));
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
