//! SQL text inside the YAML (defaults, derived expressions, index predicates, check conditions,
//! view bodies) is parsed at load, for every dialect the project targets, as exactly one
//! expression or one query: nothing else can reach a migration or a validation query.

use super::positions::Pos;
use super::project::Loader;
use super::Source;
use crate::dialect::driver;
use crate::model::Dialect;
use crate::sql::expr::{self, ParseError, Role};
use crate::sql::lexer::{significant, Kind};
use crate::suggest::nearest;

impl Loader<'_> {
    /// Parses `text` (the value of `key` at `path`) as one expression of `role` in every dialect
    /// of the project; the columns it reads, or None when it does not parse (reported).
    pub(super) fn expression(
        &mut self,
        src: &Source,
        path: &str,
        key: &str,
        text: &str,
        role: Role,
    ) -> Option<Vec<String>> {
        let mut columns = Vec::new();
        for dialect in self.dialects.clone() {
            // Projects repeat expressions (`DATE(event_timestamp)` in every table): parse each once.
            let parsed = self
                .parsed
                .entry((text.to_string(), dialect, role))
                .or_insert_with(|| {
                    let columns = expr::expression(text, driver(dialect).grammars(), role).map(|e| e.columns())?;
                    setting_independent(text, dialect).map(|()| columns)
                })
                .clone();
            match parsed {
                Ok(c) => columns = c,
                Err(e) => {
                    let pos = self.within(src, path, text, &e);
                    self.error(src, pos, format!("`{key}` {}", e.message), None);
                    return None;
                }
            }
        }
        Some(columns)
    }

    /// Like `expression`, and every column it reads must be one of `cols` of `table`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn expression_over(
        &mut self,
        src: &Source,
        path: &str,
        key: &str,
        text: &str,
        role: Role,
        table: &str,
        cols: &[&str],
    ) {
        for word in self.expression(src, path, key, text, role).unwrap_or_default() {
            if !cols.contains(&word.as_str()) {
                let msg = format!("`{key}` uses `{word}`, which is not a column of table `{table}`");
                self.at_help(src, path, msg, nearest(&word, cols.iter().copied()));
            }
        }
    }

    /// Parses a view body (refs expanded) as one query in every dialect of the project.
    pub(super) fn query(&mut self, src: &Source, body: &str) -> bool {
        for dialect in self.dialects.clone() {
            if let Err(e) =
                expr::query(body, driver(dialect).grammars()).and_then(|_| setting_independent(body, dialect))
            {
                let near: String = body[e.offset.min(body.len())..].chars().take(30).collect();
                let near = near.split_whitespace().collect::<Vec<_>>().join(" ");
                let msg = if near.is_empty() {
                    format!("`sql` {}", e.message)
                } else {
                    format!("`sql` {} (near `{near}`)", e.message)
                };
                self.at(src, "sql", msg);
                return false;
            }
        }
        true
    }

    /// Where a parse error sits: its exact column when the text is written on one line as it
    /// reads (a plain scalar), else the start of the value.
    fn within(&self, src: &Source, path: &str, text: &str, e: &ParseError) -> Pos {
        let base = src.positions().value(path);
        let line = src.text.lines().nth(base.line.saturating_sub(1)).unwrap_or_default();
        let at: usize = line.chars().take(base.col.saturating_sub(1)).map(char::len_utf8).sum();
        let before = &text[..e.offset.min(text.len())];
        if line.get(at..).is_some_and(|rest| rest.starts_with(before)) && !before.contains('\n') {
            Pos { line: base.line, col: base.col + before.chars().count() }
        } else {
            base
        }
    }
}

/// Literals that read back as written wherever they run. PostgreSQL reads a backslash in a plain
/// `'...'` string as itself, or as an escape when the server has `standard_conforming_strings =
/// off`: text parsed one way here would run the other way there (`'\' || '; DROP …'` closes
/// differently); `E'...'` means the same either way. And `migrate` reads CRLF in a migration as
/// LF, so a carriage return inside quotes would not survive: it is written as an escape.
fn setting_independent(text: &str, dialect: Dialect) -> Result<(), ParseError> {
    let driver = crate::dialect::driver(dialect);
    let quoted = [Kind::String, Kind::DollarString, Kind::QuotedIdent];
    for t in significant(text, driver.escapes()) {
        let message = if quoted.contains(&t.kind) && t.text.contains('\r') {
            "has a carriage return inside quotes, which `migrate` would read as part of a line end: \
             write it as an escape (E'\\r' on PostgreSQL, CHR(13))"
        } else if driver.backslash_depends_on_settings()
            && t.kind == Kind::String
            && t.text.starts_with(['\'', 'n', 'N'])
            && t.text.contains('\\')
        {
            "has a backslash in a '...' string, which PostgreSQL reads as an escape when \
             standard_conforming_strings is off: write it as E'...' with the backslash doubled"
        } else {
            continue;
        };
        return Err(ParseError { message: message.into(), offset: t.start });
    }
    Ok(())
}
