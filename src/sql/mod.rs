//! SQL text: one lexer every splitter and scanner uses, so all agree on where quotes and
//! comments end; the YAML's expressions and view bodies parsed with a real SQL parser before
//! they are pasted into generated SQL; quoted identifiers and the `ref()` of view bodies.

pub mod expr;
pub mod lexer;

use minijinja::{Environment, UndefinedBehavior};
use std::sync::{Arc, Mutex};

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
    let ns = namespace.to_string();
    expand_refs_with(sql, move |name| qualified(&ns, name))
}

/// Renders the `{{ ref('t') }}` placeholders of a view body as `resolve` names each object, and
/// returns the names referenced, sorted and unique.
pub fn expand_refs_with(
    sql: &str,
    resolve: impl Fn(&str) -> String + Send + Sync + 'static,
) -> std::result::Result<(String, Vec<String>), minijinja::Error> {
    let refs = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    let seen = refs.clone();
    env.add_function("ref", move |name: &str| {
        seen.lock().unwrap().push(name.to_string());
        resolve(name)
    });
    let body = env.render_str(sql, ())?;
    let mut names = refs.lock().unwrap().clone();
    names.sort();
    names.dedup();
    Ok((body.trim_end().to_string(), names))
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

#[cfg(test)]
mod tests {
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
    fn identifiers_double_their_quotes() {
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
