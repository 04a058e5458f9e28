//! Redshift's own properties as the YAML writes them (flat: `distribution:`, `sort_key:`,
//! `backup:`, `encode:`), checked and read into the driver's attributes: the one place the
//! documents become `dialect::redshift::attrs`.

use super::docs::{ColumnDoc, DistStyle, DistributionDoc, SortKeyDoc, TableDoc, ViewDoc};
use super::project::Loader;
use super::Source;
use crate::dialect::redshift::attrs::{ColumnAttrs, Distribution, SortKey, SortKind, TableAttrs, ViewAttrs};
use crate::dialect::redshift::{can_be_key, ENCODINGS};
use crate::suggest::nearest;
use std::collections::BTreeSet;

const MAX_COMPOUND: usize = 400;
const MAX_INTERLEAVED: usize = 8;

impl Loader<'_> {
    /// A table's; `backup:` is true where the YAML leaves it out (`docs`).
    pub(super) fn redshift_table(&mut self, src: &Source, doc: &TableDoc) -> TableAttrs {
        let name = doc.table.as_str();
        let distribution = self.distribution(src, doc.distribution.as_ref(), Ok((name, &doc.columns)), DistStyle::Auto);
        let sort_key = self.sort_key(src, doc.sort_key.as_ref(), name, &doc.columns);
        TableAttrs { distribution, sort_key, backup: doc.backup }
    }

    /// A column's, the column at `path` (`columns.<i>`).
    pub(super) fn redshift_column(&mut self, src: &Source, path: &str, c: &ColumnDoc) -> ColumnAttrs {
        if let Some(enc) = &c.encode {
            if !ENCODINGS.contains(&enc.as_str()) {
                let msg = format!("unknown encoding `{enc}`");
                self.at_help(src, &format!("{path}.encode"), msg, nearest(enc, ENCODINGS.iter().copied()));
            }
        }
        ColumnAttrs { encode: c.encode.clone() }
    }

    /// A materialized view's options (a plain view's are the defaults: the loader refuses them
    /// there). Its keys name output columns, which must appear in its body.
    pub(super) fn redshift_view(&mut self, src: &Source, doc: &ViewDoc) -> ViewAttrs {
        let default = ViewAttrs::default();
        let distribution = self.distribution(src, doc.distribution.as_ref(), Err(&doc.sql), DistStyle::Even);
        let sort_key = match &doc.sort_key {
            None => default.sort_key,
            Some(s) => {
                if !matches!(s.kind, None | Some(SortKind::Compound)) {
                    self.at(src, "sort_key.kind", "a Redshift materialized view takes a compound sort key only");
                }
                for (i, c) in s.columns.iter().enumerate() {
                    self.in_body(src, &format!("sort_key.columns.{i}"), &doc.sql, c);
                }
                SortKey { kind: SortKind::Compound, columns: s.columns.clone() }
            }
        };
        ViewAttrs {
            backup: doc.backup.unwrap_or(default.backup),
            auto_refresh: doc.auto_refresh.unwrap_or(default.auto_refresh),
            distribution,
            sort_key,
        }
    }

    /// Validates a distribution, of a table (name, columns) or of a materialized view (its SQL).
    fn distribution(
        &mut self,
        src: &Source,
        doc: Option<&DistributionDoc>,
        owner: Result<(&str, &[ColumnDoc]), &str>,
        default: DistStyle,
    ) -> Distribution {
        let Some(doc) = doc else {
            return if default == DistStyle::Even { Distribution::Even } else { Distribution::Auto };
        };
        let style = doc.style.unwrap_or(if doc.key.is_some() { DistStyle::Key } else { default });
        match (style, &doc.key) {
            (DistStyle::Key, Some(key)) => {
                match owner {
                    Ok((name, columns)) => {
                        let cols: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                        if self.column_ref(src, "distribution.key", name, &cols, key) {
                            self.key_type(src, "distribution.key", columns, key);
                        }
                    }
                    Err(sql) => self.in_body(src, "distribution.key", sql, key),
                }
                Distribution::Key(key.clone())
            }
            (DistStyle::Key, None) => {
                self.at(src, "distribution", "`style: key` needs `key: <column>` (exactly one column)");
                Distribution::Auto
            }
            (_, Some(_)) => {
                self.at(src, "distribution.key", "`key` is only allowed with `style: key`");
                Distribution::Auto
            }
            (DistStyle::Auto, None) if owner.is_err() => {
                self.at_help(
                    src,
                    "distribution.style",
                    "Redshift materialized views take no DISTSTYLE AUTO",
                    Some("use even, all or key".into()),
                );
                Distribution::Even
            }
            (DistStyle::Auto, None) => Distribution::Auto,
            (DistStyle::Even, None) => Distribution::Even,
            (DistStyle::All, None) => Distribution::All,
        }
    }

    fn key_type(&mut self, src: &Source, path: &str, columns: &[ColumnDoc], key: &str) {
        let ty = columns.iter().find(|c| c.name == key).and_then(|c| self.read_type(&c.ty).ok());
        if let Some(ty) = ty.filter(|t| !can_be_key(t)) {
            self.at(src, path, format!("column `{key}` of type `{ty}` cannot be a Redshift distribution or sort key"));
        }
    }

    fn sort_key(&mut self, src: &Source, doc: Option<&SortKeyDoc>, table: &str, columns: &[ColumnDoc]) -> SortKey {
        let Some(doc) = doc else { return SortKey::AUTO };
        let kind = doc.kind.unwrap_or(if doc.columns.is_empty() { SortKind::Auto } else { SortKind::Compound });
        let cols: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        match kind {
            SortKind::Auto | SortKind::None if !doc.columns.is_empty() => self.at(
                src,
                "sort_key.columns",
                format!("a sort key of kind `{kind:?}` takes no columns").to_lowercase(),
            ),
            SortKind::Compound | SortKind::Interleaved if doc.columns.is_empty() => {
                self.at(src, "sort_key", "a compound or interleaved sort key needs `columns`")
            }
            SortKind::Compound if doc.columns.len() > MAX_COMPOUND => {
                self.at(src, "sort_key.columns", format!("a compound sort key takes at most {MAX_COMPOUND} columns"))
            }
            SortKind::Interleaved if doc.columns.len() > MAX_INTERLEAVED => self.at(
                src,
                "sort_key.columns",
                format!("an interleaved sort key takes at most {MAX_INTERLEAVED} columns, not {}", doc.columns.len()),
            ),
            _ => {}
        }
        let mut seen = BTreeSet::new();
        for (i, c) in doc.columns.iter().enumerate() {
            let path = format!("sort_key.columns.{i}");
            if !seen.insert(c) {
                self.at(src, &path, format!("column `{c}` appears twice in the sort key"));
            } else if self.column_ref(src, &path, table, &cols, c) {
                self.key_type(src, &path, columns, c);
            }
        }
        SortKey { kind, columns: doc.columns.clone() }
    }
}
