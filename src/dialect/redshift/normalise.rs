//! The desired project and the live one in the same spelling, with what the Redshift catalog
//! cannot show taken from the YAML.

use super::attrs::SortKind;
use super::{encode_auto, Redshift};
use crate::dialect::catalog::{order_like, settle_identities, Live, Unknown};
use crate::dialect::{acl, Driver};
use crate::model::grants::merge;
use crate::model::{ColumnType, Grant, Grantee, Project};
use crate::sql::lexer::{tokens, Escapes, Kind, Token};

/// The desired project and the live one in one spelling, for comparing. Redshift keeps
/// materialized-view definitions as written and prints defaults with casts; with no server-side
/// normaliser to ask (PostgreSQL's scratch views would not apply to MVs), both sides are
/// squashed: whitespace collapsed, lower case outside quotes, casts dropped from defaults.
/// Plain views, which Redshift stores re-printed, may therefore show as changed when they are
/// not.
pub fn normalise(desired: &Project, live: &mut Live) -> Project {
    let mut desired = desired.clone();
    // Types as Redshift stores them (TEXT is VARCHAR(256)).
    for c in desired.tables.iter_mut().flat_map(|t| &mut t.columns) {
        if let Ok(ty) = ColumnType::parse(&Redshift.type_sql(&c.ty, &desired.namespace)) {
            c.ty = ty;
        }
    }
    squash_project(&mut desired);
    squash_project(&mut live.project);
    overlay(&desired, live);
    desired
}

/// What the catalog cannot show is taken from the YAML (indexes, which Redshift lacks; BACKUP,
/// sort key, AUTO REFRESH and grants to roles where the catalog left them unknown), and the
/// encodings Redshift picked for columns the YAML leaves to it. Grants only where the YAML
/// manages them. Keys in the YAML's order; columns stay in the table's (their position is compared).
fn overlay(desired: &Project, live: &mut Live) {
    acl::keep_managed(&mut live.project, desired);
    let unknown = |object: &str, what: Unknown| live.unknown.contains(&(object.to_string(), what));
    let tables = desired.tables_by_name();
    for t in &mut live.project.tables {
        let Some(d) = tables.get(t.name.as_str()) else { continue };
        t.indexes = d.indexes.clone();
        if unknown(&t.name, Unknown::RoleGrants) {
            t.grants = declared_roles(t.grants.take(), &d.grants);
        }
        if unknown(&t.name, Unknown::Backup) {
            t.redshift.backup = d.redshift.backup;
        }
        // Unlisted by SVV_TABLE_INFO: read as AUTO (no key column) or as the compound key its
        // columns show, either of which AUTO or an explicit key could be.
        let ambiguous = matches!(
            (d.redshift.sort_key.kind, t.redshift.sort_key.kind),
            (SortKind::None, SortKind::Auto) | (SortKind::Auto, SortKind::Compound)
        );
        if unknown(&t.name, Unknown::SortKey) && ambiguous {
            t.redshift.sort_key = d.redshift.sort_key.clone();
        }
        // Columns the YAML leaves without an encoding get whatever Redshift picks, unless the
        // YAML wants ENCODE AUTO and the catalog shows the table is not on it.
        let auto_unknown = unknown(&t.name, Unknown::EncodeAuto);
        for c in &mut t.columns {
            let declared = d.column(&c.name).and_then(|dc| dc.redshift.encode.as_ref());
            if declared.is_none() && (auto_unknown || !encode_auto(d)) {
                c.redshift.encode = None;
            }
        }
        settle_identities(t, d);
        order_like(&mut t.unique, &d.unique, |a, b| a == b);
        order_like(&mut t.foreign_keys, &d.foreign_keys, |a, b| a == b);
    }
    for v in &mut live.project.views {
        let Some(d) = desired.view(&v.name) else { continue };
        v.indexes = d.indexes.clone();
        if unknown(&v.name, Unknown::Backup) {
            v.redshift.backup = d.redshift.backup;
        }
        if unknown(&v.name, Unknown::AutoRefresh) {
            v.redshift.auto_refresh = d.redshift.auto_refresh;
        }
        if unknown(&v.name, Unknown::RoleGrants) {
            v.grants = declared_roles(v.grants.take(), &d.grants);
        }
    }
}

/// Live grants with the YAML's grants to roles added, for those the catalog may not show; the
/// grants to roles it shows stay, so one the YAML does not declare is still found.
fn declared_roles(live: Option<Vec<Grant>>, desired: &Option<Vec<Grant>>) -> Option<Vec<Grant>> {
    let roles = desired.as_ref()?.iter().filter(|g| matches!(g.to, Grantee::Role(_))).cloned();
    Some(merge(live.unwrap_or_default().into_iter().chain(roles)))
}

fn squash_project(p: &mut Project) {
    for c in p.tables.iter_mut().flat_map(|t| &mut t.columns) {
        c.default = c.default.as_deref().map(|d| strip_casts(&squash(d)));
    }
    for v in &mut p.views {
        v.sql = squash(&v.sql);
    }
}

/// Whitespace runs → one space (none inside parentheses' edges or before commas), comments
/// dropped, lower case outside quoted text.
pub fn squash(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut space = false;
    for t in tokens(sql.trim(), Escapes::Backslash) {
        if t.is_trivia() {
            space = true;
            continue;
        }
        if space && !out.is_empty() && !out.ends_with('(') && !t.is_punct(')') && !t.is_punct(',') {
            out.push(' ');
        }
        space = false;
        match t.kind {
            Kind::String | Kind::DollarString | Kind::QuotedIdent => out.push_str(t.text),
            _ => out.push_str(&t.text.to_ascii_lowercase()),
        }
    }
    out
}

/// Drops `::type` casts (`'x'::character varying(10)` → `'x'`): Redshift prints defaults with
/// casts the YAML does not write.
fn strip_casts(expr: &str) -> String {
    const TYPE_WORDS: [&str; 6] = ["varying", "precision", "without", "with", "time", "zone"];
    let tokens: Vec<Token> = tokens(expr, Escapes::Backslash).collect();
    let mut out = String::with_capacity(expr.len());
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].text != "::" {
            out.push_str(tokens[i].text);
            i += 1;
            continue;
        }
        // The type: a name, its extra words, and a parenthesised length.
        i += 1;
        let mut first = true;
        while let Some(t) = tokens.get(i) {
            let word = t.kind == Kind::Word || t.kind == Kind::QuotedIdent;
            if t.kind == Kind::Whitespace && tokens.get(i + 1).is_some_and(|n| TYPE_WORDS.iter().any(|w| n.is_word(w)))
            {
                i += 1;
            } else if word && (first || TYPE_WORDS.iter().any(|w| t.is_word(w))) {
                first = false;
                i += 1;
            } else if t.is_punct('(') && !first {
                while tokens.get(i).is_some_and(|t| !t.is_punct(')')) {
                    i += 1;
                }
                i += 1;
                break;
            } else {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squashes_text_and_casts() {
        assert_eq!(
            squash("SELECT  a ,\n  COUNT( * )  FROM \"T\" WHERE x = 'A  B'"),
            "select a, count(*) from \"T\" where x = 'A  B'"
        );
        assert_eq!(strip_casts(&squash("'Unknown'::character varying")), "'Unknown'");
        assert_eq!(strip_casts("'a::b'::text || 0::numeric(12,2)"), "'a::b' || 0");
        assert_eq!(strip_casts("now()::timestamp without time zone"), "now()");
    }
}
