//! The semantic pass over a table's reference rows and data checks.

use super::docs::{CheckDoc, TableDoc};
use super::project::Loader;
use super::Source;
use crate::model::*;
use crate::sql::expr::Role;
use crate::suggest::nearest;

impl Loader<'_> {
    pub(super) fn rows(&mut self, src: &Source, doc: &TableDoc, columns: &[Column]) {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for (i, row) in doc.rows.iter().enumerate() {
            for (key, value) in row {
                let path = format!("rows.{i}.{key}");
                let Some(col) = columns.iter().find(|c| &c.name == key) else {
                    self.error(
                        src,
                        src.positions().key(&path),
                        format!("unknown column `{key}` in table `{}`", doc.table),
                        nearest(key, names.iter().copied()),
                    );
                    continue;
                };
                let fits = match value {
                    serde_json::Value::Null => col.nullable,
                    serde_json::Value::Bool(_) => col.ty == ColumnType::Boolean,
                    serde_json::Value::Number(n) => number_fits(n, col.ty),
                    serde_json::Value::String(s) => match col.ty {
                        ColumnType::Varchar(len) | ColumnType::Char(len) => s.len() <= len as usize,
                        ty => !matches!(ty, ColumnType::Boolean) && !ty.is_integer(),
                    },
                    _ => col.ty == ColumnType::Json,
                };
                if !fits {
                    self.at(src, &path, format!("value {value} does not fit column `{key}` of type `{}`", col.ty));
                }
            }
            for col in columns {
                if !col.nullable && col.default.is_none() && col.identity.is_none() && !row.contains_key(&col.name) {
                    self.at(
                        src,
                        &format!("rows.{i}"),
                        format!("row needs a value for `{}` (NOT NULL without a default)", col.name),
                    );
                }
            }
        }
    }

    pub(super) fn check(
        &mut self,
        src: &Source,
        i: usize,
        doc: &CheckDoc,
        table: &str,
        columns: &[Column],
    ) -> Option<Check> {
        let at = |field: &str| format!("checks.{i}.{field}");
        self.ident(src, &at("name"), &doc.name);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let col = |this: &mut Self, field: &str, name: &str| this.column_ref(src, &at(field), table, &names, name);
        let mut kinds = Vec::new();
        if let Some(c) = &doc.not_null {
            col(self, "not_null", c);
            kinds.push(CheckKind::NotNull { column: c.clone() });
        }
        if let Some(r) = &doc.ratio {
            if !(0.0..=1.0).contains(&r.max) {
                self.at(src, &at("ratio.max"), format!("`max` is a share between 0 and 1, not {}", r.max));
            }
            self.expression_over(src, &at("ratio.when"), "ratio.when", &r.when, Role::Condition, table, &names);
            kinds.push(CheckKind::Ratio { when: r.when.clone(), max: r.max });
        }
        if let Some(sql) = &doc.condition {
            self.expression_over(src, &at("condition"), "condition", sql, Role::Condition, table, &names);
            kinds.push(CheckKind::Condition { sql: sql.clone() });
        }
        if let Some(l) = &doc.latency {
            for (field, name) in
                [("latency.reported", &l.reported), ("latency.start", &l.start), ("latency.end", &l.end)]
            {
                col(self, field, name);
            }
            kinds.push(CheckKind::Latency {
                reported: l.reported.clone(),
                start: l.start.clone(),
                end: l.end.clone(),
                tolerance_ms: l.tolerance_ms,
            });
        }
        if let Some(u) = &doc.unique {
            for (j, c) in u.columns.iter().enumerate() {
                col(self, &format!("unique.columns.{j}"), c);
            }
            if let Some(filter) = &u.filter {
                self.expression_over(src, &at("unique.where"), "unique.where", filter, Role::Condition, table, &names);
            }
            kinds.push(CheckKind::Unique { columns: u.columns.clone(), filter: u.filter.clone() });
        }
        if let Some(w) = &doc.window {
            if col(self, "window.column", &w.column) {
                let ty = columns.iter().find(|c| c.name == w.column).map(|c| c.ty);
                if !matches!(ty, Some(ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz)) {
                    self.at(
                        src,
                        &at("window.column"),
                        format!("window column `{}` must be a date or timestamp", w.column),
                    );
                }
            }
        }
        if kinds.len() != 1 {
            let msg = format!(
                "check `{}` needs exactly one of `not_null`, `ratio`, `condition`, `latency`, `unique`",
                doc.name
            );
            self.at(src, &format!("checks.{i}"), msg);
            return None;
        }
        Some(Check {
            name: doc.name.clone(),
            severity: doc.severity.unwrap_or(Severity::Error),
            window: doc.window.clone(),
            kind: kinds.remove(0),
        })
    }
}

/// Whether a YAML number can be stored in a numeric column without loss or overflow.
pub(super) fn number_fits(n: &serde_json::Number, ty: ColumnType) -> bool {
    let int_range = |bits: u32| n.as_i64().is_some_and(|v| v.unsigned_abs() < 1u64 << (bits - 1));
    match ty {
        ColumnType::SmallInt => int_range(16),
        ColumnType::Integer => int_range(32),
        ColumnType::BigInt => n.as_i64().is_some(),
        ColumnType::Decimal(p, s) => {
            let text = n.to_string();
            let (int, frac) = text.trim_start_matches('-').split_once('.').unwrap_or((&text, ""));
            int.trim_start_matches('0').len() <= (p - s) as usize && frac.len() <= s as usize
        }
        ColumnType::Real | ColumnType::Double => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fit_their_columns() {
        let n = |v: serde_json::Value| match v {
            serde_json::Value::Number(n) => n,
            _ => unreachable!(),
        };
        assert!(number_fits(&n(serde_json::json!(32767)), ColumnType::SmallInt));
        assert!(!number_fits(&n(serde_json::json!(100000)), ColumnType::SmallInt));
        assert!(!number_fits(&n(serde_json::json!(3.5)), ColumnType::Integer));
        assert!(number_fits(&n(serde_json::json!(12.25)), ColumnType::Decimal(5, 2)));
        assert!(!number_fits(&n(serde_json::json!(1234.5)), ColumnType::Decimal(5, 2)));
    }
}
