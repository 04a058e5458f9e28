//! The semantic pass over a table's reference rows and data checks.

use super::docs::{CheckDoc, DurationDoc, LookupDoc, TableDoc, ThresholdDoc};
use super::project::Ctx;
use super::project::Loader;
use super::values::{number_fits, number_lost, text_fits};
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
                if let Some((at, why)) = lost_number(src, &path, value) {
                    self.at(src, &at, why);
                    continue;
                }
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
                    // Any other value is JSON there, and rendered as JSON.
                    _ if col.ty == ColumnType::Json => true,
                    serde_json::Value::String(s) => value_fits(value, &col.ty) && self.enum_label_fits(&col.ty, s),
                    v => value_fits(v, &col.ty),
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
        self.repeated_keys(src, doc);
    }

    /// Two reference rows with one value of a primary or unique key (a unique index's too, where
    /// its `where` is a lone column the rows give) make the INSERT fail. Rows that leave a key
    /// column out or NULL are not compared, as the server does not.
    fn repeated_keys(&mut self, src: &Source, doc: &TableDoc) {
        let mut keys: Vec<(Vec<String>, Option<&str>)> = Vec::new();
        let pk: Vec<String> = doc.columns.iter().filter(|c| c.primary_key).map(|c| c.name.clone()).collect();
        keys.push((if doc.primary_key_columns().is_empty() { pk } else { doc.primary_key_columns().to_vec() }, None));
        keys.extend(doc.columns.iter().filter(|c| c.unique).map(|c| (vec![c.name.clone()], None)));
        keys.extend(doc.unique.iter().map(|u| (u.columns().to_vec(), None)));
        for index in doc.indexes.iter().filter(|i| i.unique) {
            let columns = index.column_names().map(str::to_string);
            match index.predicate.as_deref().map(str::trim) {
                None => keys.push((columns.collect(), None)),
                Some(p) if doc.columns.iter().any(|c| c.name == p) => keys.push((columns.collect(), Some(p))),
                Some(_) => {}
            }
        }
        let canonical = |v: &serde_json::Value| match v {
            serde_json::Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()),
            other => other.to_string(),
        };
        for (key, only_where) in keys.iter().filter(|(k, _)| !k.is_empty()) {
            let mut seen = std::collections::HashMap::new();
            for (i, row) in doc.rows.iter().enumerate() {
                // A row that leaves the `where` column out takes its default.
                let default_true = |p: &str| {
                    doc.columns.iter().any(|c| {
                        c.name == p && c.default.as_deref().is_some_and(|d| d.trim().eq_ignore_ascii_case("true"))
                    })
                };
                if only_where
                    .is_some_and(|p| row.get(p).map_or(!default_true(p), |v| v != &serde_json::Value::Bool(true)))
                {
                    continue;
                }
                let values: Option<Vec<String>> =
                    key.iter().map(|c| row.get(c).filter(|v| !v.is_null()).map(canonical)).collect();
                let Some(values) = values else { continue };
                if let Some(first) = seen.insert(values.clone(), i) {
                    let msg = format!(
                        "rows {first} and {i} have the same ({}) = ({}), a unique key of table `{}`",
                        key.join(", "),
                        values.join(", "),
                        doc.table
                    );
                    self.at(src, &format!("rows.{i}"), msg);
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
        ctx: &Ctx,
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
        if let Some(r) = &doc.relationship {
            for (j, c) in r.columns.iter().enumerate() {
                col(self, &format!("relationship.columns.{j}"), c);
            }
            if let Some(to) = self.related(src, &at("relationship"), &r.table, &r.to, r.columns.len(), ctx) {
                kinds.push(CheckKind::Relationship { columns: r.columns.clone(), table: r.table.clone(), to });
            }
        }
        if let Some(a) = &doc.accepted_values {
            let column = columns.iter().find(|c| c.name == a.column);
            col(self, "accepted_values.column", &a.column);
            match (&a.from, a.values.is_empty()) {
                (Some(from), true) => {
                    let to = vec![from.columns.first().cloned().unwrap_or_default()];
                    if let Some(to) = self.related(src, &at("accepted_values.from"), &from.table, &to, 1, ctx) {
                        kinds.push(CheckKind::Relationship {
                            columns: vec![a.column.clone()],
                            table: from.table.clone(),
                            to,
                        });
                    }
                }
                (None, false) => {
                    for (j, v) in a.values.iter().enumerate() {
                        if column.is_some_and(|c| !value_fits(v, &c.ty)) {
                            self.at(
                                src,
                                &at(&format!("accepted_values.values.{j}")),
                                format!("value {v} does not fit column `{}`", a.column),
                            );
                        }
                    }
                    kinds.push(CheckKind::AcceptedValues { column: a.column.clone(), values: a.values.clone() });
                }
                _ => self.at(
                    src,
                    &at("accepted_values"),
                    "give either `values: [...]` or `from: {table, columns: [column]}`",
                ),
            }
        }
        if let Some(r) = &doc.range {
            col(self, "range.column", &r.column);
            let column = columns.iter().find(|c| c.name == r.column);
            for (field, bound) in [("range.min", &r.min), ("range.max", &r.max)] {
                if let (Some(v), Some(c)) = (bound, column) {
                    if !value_fits(v, &c.ty) || v.is_null() {
                        self.at(src, &at(field), format!("{v} is not a value of column `{}` ({})", c.name, c.ty));
                    }
                }
            }
            match (&r.min, &r.max) {
                (None, None) => self.at(src, &at("range"), "a range needs `min`, `max` or both"),
                (Some(a), Some(b)) if a.as_f64().zip(b.as_f64()).is_some_and(|(a, b)| a > b) => {
                    self.at(src, &at("range.max"), format!("`max` {b} is below `min` {a}"))
                }
                _ => {}
            }
            kinds.push(CheckKind::Range { column: r.column.clone(), min: r.min.clone(), max: r.max.clone() });
        }
        if let Some(f) = &doc.freshness {
            let ty = columns.iter().find(|c| c.name == f.column).map(|c| &c.ty);
            if col(self, "freshness.column", &f.column)
                && !matches!(ty, Some(ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz))
            {
                self.at(src, &at("freshness.column"), format!("`{}` is not a date or timestamp", f.column));
            }
            let age = |this: &mut Self, field: &str, d: &Option<DurationDoc>| {
                let text = match d.as_ref()? {
                    DurationDoc::Seconds(n) => return Some(*n),
                    DurationDoc::Text(t) => t,
                };
                age_seconds(text).or_else(|| {
                    this.at(src, &at(field), format!("`{text}` is not an age such as 90m, 26h or 2d"));
                    None
                })
            };
            let warn_after = age(self, "freshness.warn_after", &f.warn_after);
            let error_after = age(self, "freshness.error_after", &f.error_after);
            if f.warn_after.is_none() && f.error_after.is_none() {
                self.at(src, &at("freshness"), "freshness needs `warn_after`, `error_after` or both");
            }
            if doc.window.is_some() {
                self.at(src, &at("window"), "a freshness check looks at the newest row: it takes no window");
            }
            let zoned = ty == Some(&ColumnType::TimestampTz);
            kinds.push(CheckKind::Freshness { column: f.column.clone(), warn_after, error_after, zoned });
        }
        if let Some(v) = &doc.volume {
            let runs = v.runs.unwrap_or(7);
            if !(1..=100).contains(&runs) {
                self.at(src, &at("volume.runs"), format!("`runs` is 1 to 100 recorded runs, not {runs}"));
            }
            let text = v.tolerance.as_deref().unwrap_or("50%");
            let tolerance =
                match self.threshold(src, &at("volume.tolerance"), Some(&ThresholdDoc::Percent(text.into()))) {
                    Some(Threshold::Ratio(r)) => r,
                    _ => 0.5,
                };
            kinds.push(CheckKind::Volume { runs, tolerance });
        }
        let warn_above = self.threshold(src, &at("warn_above"), doc.warn_above.as_ref());
        let error_above = self.threshold(src, &at("error_above"), doc.error_above.as_ref());
        if let Some(w) = &doc.window {
            if col(self, "window.column", &w.column) {
                let ty = columns.iter().find(|c| c.name == w.column).map(|c| &c.ty);
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
                "check `{}` needs exactly one of `not_null`, `ratio`, `condition`, `latency`, `unique`, `relationship`, `accepted_values`, `range`, `freshness`, `volume`",
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
            warn_above,
            error_above,
        })
    }
}

impl Loader<'_> {
    /// A column's `lookup:`: the reference table, its columns and its `where` must exist, and
    /// the default must be a value of the column.
    pub(super) fn lookup(
        &mut self,
        src: &Source,
        path: &str,
        doc: &LookupDoc,
        (table, columns): (&str, &[&str]),
        column: (&str, &ColumnType),
        ctx: &Ctx,
    ) -> Option<Lookup> {
        let Some(target) = ctx.objects.get(doc.table.as_str()).filter(|d| d.view.is_none()) else {
            let tables = ctx.objects.iter().filter(|(_, d)| d.view.is_none()).map(|(k, _)| *k);
            let msg = format!("unknown table `{}`", doc.table);
            self.at_help(src, &format!("{path}.table"), msg, nearest(&doc.table, tables));
            return None;
        };
        let refs = target.columns.clone();
        let mut ok = !doc.on.is_empty();
        if !ok {
            self.at(src, &format!("{path}.match"), "`match` pairs this table's columns with the reference table's");
        }
        for (mine, theirs) in &doc.on {
            ok &= self.column_ref(src, &format!("{path}.match.{mine}"), table, columns, mine);
            ok &= self.column_ref(src, &format!("{path}.match.{mine}"), &doc.table, &refs, theirs);
        }
        ok &= self.column_ref(src, &format!("{path}.value"), &doc.table, &refs, &doc.value);
        if let Some(filter) = &doc.filter {
            self.expression_over(
                src,
                &format!("{path}.where"),
                "lookup.where",
                filter,
                Role::Condition,
                &doc.table,
                &refs,
            );
        }
        if let Some(v) = doc.default.as_ref().filter(|v| !value_fits(v, column.1)) {
            self.at(
                src,
                &format!("{path}.default"),
                format!("{v} is not a value of column `{}` ({})", column.0, column.1),
            );
            ok = false;
        }
        ok.then(|| Lookup {
            table: doc.table.clone(),
            on: doc.on.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
            value: doc.value.clone(),
            filter: doc.filter.clone(),
            default: doc.default.clone(),
        })
    }

    /// The columns of `table` a relationship points at (`to`, default its primary key), if the
    /// table is declared and has them.
    fn related(
        &mut self,
        src: &Source,
        path: &str,
        table: &str,
        to: &[String],
        n: usize,
        ctx: &Ctx,
    ) -> Option<Vec<String>> {
        let Some(target) = ctx.objects.get(table).filter(|d| d.view.is_none()) else {
            let tables = ctx.objects.iter().filter(|(_, d)| d.view.is_none()).map(|(k, _)| *k);
            self.at_help(src, &format!("{path}.table"), format!("unknown table `{table}`"), nearest(table, tables));
            return None;
        };
        let to: Vec<String> = match to {
            [] => target.keys.first().map(|k| k.iter().map(|c| c.to_string()).collect()).unwrap_or_default(),
            given => given.to_vec(),
        };
        if to.len() != n {
            self.at(src, path, format!("{n} column(s) cannot match {} column(s) of `{table}`", to.len()));
            return None;
        }
        let known = to.iter().all(|c| self.column_ref(src, path, table, &target.columns, c));
        known.then_some(to)
    }

    /// `warn_above` / `error_above`: a number of rows, or a percentage of the rows checked.
    fn threshold(&mut self, src: &Source, path: &str, doc: Option<&ThresholdDoc>) -> Option<Threshold> {
        match doc? {
            ThresholdDoc::Rows(n) => Some(Threshold::Rows(*n)),
            ThresholdDoc::Percent(text) => {
                let share = text.trim().strip_suffix('%').and_then(|n| n.trim().parse::<f64>().ok());
                match share.filter(|p| (0.0..=100.0).contains(p)) {
                    Some(p) => Some(Threshold::Ratio(p / 100.0)),
                    None => {
                        self.at(src, path, format!("`{text}`: a number of rows or a percentage such as \"0.5%\""));
                        None
                    }
                }
            }
        }
    }
}

/// `90m`, `26h`, `2d`, `45s` or a number of seconds.
/// The first number, at `path` or inside the JSON there, that YAML read into something else
/// than it says (`values::number_lost`): where, and why.
fn lost_number(src: &Source, path: &str, value: &serde_json::Value) -> Option<(String, String)> {
    if let Some(why) = src.positions().plain(path).and_then(|written| number_lost(written, value)) {
        return Some((path.to_string(), why));
    }
    match value {
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| lost_number(src, &format!("{path}.{i}"), v))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| lost_number(src, &format!("{path}.{k}"), v)),
        _ => None,
    }
}

fn age_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let n: u64 = text[..split].parse().ok()?;
    let unit = match text[split..].trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// Whether a YAML value is a value of the column's type (a range bound, an accepted value).
fn value_fits(v: &serde_json::Value, ty: &ColumnType) -> bool {
    match v {
        serde_json::Value::Number(n) => number_fits(n, ty),
        serde_json::Value::String(s) => match ty {
            ColumnType::Varchar(len) | ColumnType::Char(len) => s.len() <= *len as usize,
            ty => !matches!(ty, ColumnType::Boolean) && !ty.is_integer() && text_fits(s, ty),
        },
        serde_json::Value::Bool(_) => *ty == ColumnType::Boolean,
        _ => false,
    }
}
