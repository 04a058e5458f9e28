//! View bodies are SQL with `{{ ref('name') }}` placeholders, and nothing else of a template
//! language: no blocks, loops, comments, filters or arithmetic, so a body cannot compute (a
//! 174-byte `{% for %}` would run for minutes) and text the catalog holds cannot become code.
//! `{{ '{{' }}`, `{{ '{%' }}` and `{{ '{#' }}` write those pairs as text (and `{{ '{' }}` a brace
//! before a placeholder); `inspect` escapes catalog text so ([`escape`]).

use std::fmt;

/// What is not a `ref` or an escape, with its byte offset in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RefError {}

/// The pairs that open a template tag.
const OPENERS: [&str; 3] = ["{{", "{%", "{#"];

/// The body with each `{{ ref('t') }}` replaced by the qualified name of `t` (see
/// [`super::qualified`]) and each escape by its text, trailing whitespace dropped; and the
/// names referenced, sorted and unique.
pub fn expand_refs(sql: &str, namespace: &str) -> Result<(String, Vec<String>), RefError> {
    expand_refs_with(sql, |name| super::qualified(namespace, name))
}

/// As [`expand_refs`], each `t` written as `resolve` names it (diff's scratch copies).
pub fn expand_refs_with(sql: &str, resolve: impl Fn(&str) -> String) -> Result<(String, Vec<String>), RefError> {
    let (mut out, mut names, mut rest) = (String::with_capacity(sql.len()), Vec::new(), sql);
    while let Some(at) = rest.find('{') {
        let offset = sql.len() - rest.len() + at;
        out.push_str(&rest[..at]);
        if !rest.get(at..at + 2).is_some_and(|p| OPENERS.contains(&p)) {
            out.push('{');
            rest = &rest[at + 1..];
            continue;
        }
        let fail = |message: String| RefError { message, offset };
        if !rest[at..].starts_with("{{") {
            return Err(fail(format!(
                "`{}` opens a template tag, which a view body does not have: only `{{{{ ref('name') }}}}`; write `{{{{ '{0}' }}}}` for the text",
                &rest[at..at + 2]
            )));
        }
        let (inner, after) = match rest[at + 2..].find("}}") {
            Some(end) => (&rest[at + 2..at + 2 + end], at + 2 + end + 2),
            None => return Err(fail("`{{` is not closed by `}}`".into())),
        };
        match placeholder(inner) {
            Some(Placeholder::Ref(name)) => {
                out.push_str(&resolve(name));
                names.push(name.to_string());
            }
            Some(Placeholder::Text(text)) => out.push_str(text),
            None => {
                let shown: String = inner.trim().chars().take(40).collect();
                return Err(fail(format!(
                    "`{{{{ {shown} }}}}` is not `{{{{ ref('name') }}}}`, the one expression a view body may hold (write `{{{{ '{{{{' }}}}` for the text `{{{{`)"
                )));
            }
        }
        rest = &rest[after..];
    }
    out.push_str(rest);
    names.sort();
    names.dedup();
    Ok((out.trim_end().to_string(), names))
}

enum Placeholder<'a> {
    Ref(&'a str),
    Text(&'a str),
}

/// `ref('name')` or `ref("name")`, or a quoted opener (`'{{'`) or brace, spaces allowed around
/// tokens.
fn placeholder(inner: &str) -> Option<Placeholder<'_>> {
    let inner = inner.trim();
    if let Some(text) = quoted(inner).filter(|t| OPENERS.contains(t) || *t == "{") {
        return Some(Placeholder::Text(text));
    }
    let args = inner.strip_prefix("ref")?.trim_start().strip_prefix('(')?.strip_suffix(')')?;
    quoted(args.trim()).filter(|name| !name.is_empty()).map(Placeholder::Ref)
}

/// The text of `'...'` or `"..."` holding no quote or backslash.
fn quoted(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let body = text.strip_prefix(quote)?.strip_suffix(quote)?;
    (!body.contains(['\'', '"', '\\'])).then_some(body)
}

/// Text written into a view body that [`expand_refs`] gives back as is: each `{{`, `{%` and
/// `{#` written as its escape. `before_ref`: a `ref` placeholder follows, so a last lone `{` would
/// open a tag with it and is escaped too.
pub fn escape(text: &str, before_ref: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let pair = rest.get(at..at + 2).filter(|p| OPENERS.contains(p));
        match pair {
            Some(pair) => out.push_str(&format!("{{{{ '{pair}' }}}}")),
            None if before_ref && at + 1 == rest.len() => out.push_str("{{ '{' }}"),
            None => out.push('{'),
        }
        rest = &rest[at + pair.map_or(1, str::len)..];
    }
    out + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_qualified_and_recorded() {
        let (sql, refs) =
            expand_refs("SELECT 1 FROM {{ ref('b') }} JOIN {{ref(\"a\")}} USING (x) JOIN {{  ref( 'b' )  }}\n", "ns")
                .unwrap();
        assert_eq!(sql, "SELECT 1 FROM \"ns\".\"b\" JOIN \"ns\".\"a\" USING (x) JOIN \"ns\".\"b\"");
        assert_eq!(refs, vec!["a", "b"]);
        let (sql, refs) = expand_refs("SELECT 1 FROM {{ ref('raw.b') }}", "ns").unwrap();
        assert_eq!((sql.as_str(), refs), ("SELECT 1 FROM \"raw\".\"b\"", vec!["raw.b".to_string()]));
    }

    #[test]
    fn nothing_else_of_a_template_language_is_read() {
        let bomb = "{% for a in range(99999) %}{% for b in range(99999) %}{% for c in range(99999) %}x{% endfor %}{% endfor %}{% endfor %}";
        for (body, at, says) in [
            (bomb, 0, "`{%` opens a template tag"),
            ("SELECT 1 {# c #}", 9, "`{#` opens a template tag"),
            ("SELECT {{ 7*7 }}", 7, "`{{ 7*7 }}` is not `{{ ref('name') }}`"),
            ("SELECT {{ ref('t') | upper }}", 7, "is not `{{ ref('name') }}`"),
            ("SELECT {{ ref(x) }}", 7, "is not"),
            ("SELECT {{ ref('') }}", 7, "is not"),
            ("SELECT {{- ref('t') -}}", 7, "is not"),
            ("SELECT {{ 'x' }}", 7, "is not"),
            ("SELECT {{ ref('t') ", 7, "not closed"),
            ("SELECT 1; {{{ ref('t') }}", 10, "is not"),
        ] {
            let e = expand_refs(body, "ns").unwrap_err();
            assert!(e.message.contains(says) && e.offset == at, "{body}: {e:?}");
        }
        // Braces alone are text, as in SQL's arrays and JSON paths.
        let plain = "SELECT '{1,2}'::int[], j #> '{a}', '}}', '{ {'";
        assert_eq!(expand_refs(plain, "ns").unwrap().0, plain);
    }

    #[test]
    fn escaped_text_comes_back_as_it_was() {
        for text in ["'{{ 7*7 }}'::text", "'{% raw %}{#x#}' || '{'", "{{{", "'{'", "x {{ ref('t') }} y", "}}"] {
            for before_ref in [false, true] {
                let escaped = escape(text, before_ref);
                let body = if before_ref { format!("{escaped}{{{{ ref('t') }}}}") } else { escaped.clone() };
                let (expanded, refs) = expand_refs(&body, "ns").unwrap_or_else(|e| panic!("{text:?}: {e}"));
                let tail = if before_ref { "\"ns\".\"t\"" } else { "" };
                assert_eq!(expanded, format!("{text}{tail}"), "{escaped}");
                assert_eq!(refs.len(), usize::from(before_ref));
            }
        }
        assert_eq!(escape("'{{ x }}'", false), "'{{ '{{' }} x }}'");
    }
}
