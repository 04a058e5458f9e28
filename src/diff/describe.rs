//! Findings in words: what each side has, as a line of text, and where the YAML holds it.

use super::findings::Kind;
use super::Key;
use crate::model::{Action, Column, Deferrable, Index, Table, View};

pub(super) fn table_text(t: &Table) -> String {
    let n = t.columns.len();
    format!("table ({n} column{})", if n == 1 { "" } else { "s" })
}

pub(super) fn columns(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

pub(super) fn check_text(k: &Key) -> String {
    format!("CHECK ({})", k.check.as_deref().unwrap_or_default())
}

/// A key's columns and what it does beyond them, in the server's words (defaults left out).
pub(super) fn key_text(k: &Key) -> String {
    let nulls = if k.nulls_not_distinct { "NULLS NOT DISTINCT " } else { "" };
    let mut text = format!("{nulls}{}", columns(&k.columns));
    if let Some((table, refs)) = &k.references {
        text.push_str(&format!(" REFERENCES {table} {}", columns(refs)));
        if k.match_full {
            text.push_str(" MATCH FULL");
        }
        for (on, action) in [("UPDATE", k.on_update), ("DELETE", k.on_delete)] {
            if action != Action::NoAction {
                text.push_str(&format!(" ON {on} {}", action.sql()));
            }
        }
    }
    if k.deferrable != Deferrable::No {
        text.push_str(&format!(" {}", k.deferrable.sql()));
    }
    text
}

pub fn column_text(c: &Column) -> String {
    let mut text = c.ty.to_string();
    if let Some(i) = c.identity {
        text.push_str(&format!(" IDENTITY({}, {})", i.seed, i.step));
    }
    if let Some(d) = &c.default {
        text.push_str(&format!(" DEFAULT {d}"));
    }
    if !c.nullable {
        text.push_str(" NOT NULL");
    }
    text
}

pub(super) fn index_text(i: &Index) -> String {
    let unique = if i.unique { "UNIQUE " } else { "" };
    let predicate = i.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
    format!("{unique}{}{predicate}", columns(&i.columns))
}

pub(super) fn yes_no(on: bool) -> String {
    if on { "YES" } else { "NO" }.into()
}

pub(super) fn comment_text(c: &Option<String>) -> String {
    c.clone().unwrap_or_else(|| "none".into())
}

pub(super) fn mv_options(v: &View) -> String {
    let sort = if v.sort_key.columns.is_empty() { "none".into() } else { columns(&v.sort_key.columns) };
    format!(
        "BACKUP {}, DISTSTYLE {}, SORTKEY {sort}, AUTO REFRESH {}",
        yes_no(v.backup),
        v.distribution,
        yes_no(v.auto_refresh)
    )
}

/// Where the YAML holds what a finding of `kind` is about, or what else to do.
pub(super) fn hint(kind: Kind) -> &'static str {
    match kind {
        Kind::MissingTable
        | Kind::MissingView
        | Kind::MissingEnum
        | Kind::MissingSequence
        | Kind::MissingExtension
        | Kind::MissingColumn
        | Kind::MissingIndex => "the YAML declares it: run `schema migrate`, or remove it from the YAML",
        Kind::ExtraTable | Kind::ExtraView | Kind::ExtraEnum | Kind::ExtraSequence | Kind::ExtraExtension => {
            "declare it in the YAML, or name it in `ignore:`"
        }
        Kind::SequenceOptions => "`sequences:` in schema.yaml",
        Kind::ExtraColumn => "declare it under the table's `columns:`, or drop it",
        Kind::ExtraIndex => "declare it under the table's `indexes:`, or drop it",
        Kind::RenamedColumn => "`renamed_from:` on the column, or rename it back",
        Kind::EnumValues => "`enums:` in schema.yaml",
        Kind::ViewKind => "`view:`, `materialized_view:` or `late_binding:`",
        Kind::ColumnType => "the column's `type:`",
        Kind::Nullability => "the column's `nullable:`",
        Kind::Default => "the column's `default:`",
        Kind::Identity => "the column's `identity:`",
        Kind::Encoding => "the column's `encode:`",
        Kind::PrimaryKey => "`primary_key:` (of the table or a column)",
        Kind::UniqueKey => "`unique:` (of the table or a column)",
        Kind::ForeignKey => "`foreign_keys:` or a column's `references:`",
        Kind::Index => "the table's `indexes:`",
        Kind::Distribution => "the table's `distribution:`",
        Kind::SortKey => "the table's `sort_key:`",
        Kind::Backup => "the table's `backup:`",
        Kind::ViewBody => "the view's `sql:`",
        Kind::MvOptions => "the view's `backup:`, `distribution:`, `sort_key:` and `auto_refresh:`",
        Kind::MvState => "run `schema refresh`; a view the server cannot refresh must be recreated",
        Kind::Comment => "`description:`",
        Kind::Grant => "`grants:` (the project's or the object's)",
        Kind::CheckConstraint => "the table's `check_constraints:`",
        Kind::ColumnPosition => "list the columns in the database's order, or rebuild the table in the YAML's",
        Kind::IdentityGeneration
        | Kind::Trigger
        | Kind::Policy
        | Kind::RowLevelSecurity
        | Kind::Rule
        | Kind::Unmodelled
        | Kind::Unmanaged => "the YAML cannot express it; name it in `ignore:` to accept it",
    }
}
