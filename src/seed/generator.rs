//! One table's rows: a rule per column from its type, keys, checks and the project's value pools,
//! defects planted in exactly the rows asked for, written in COPY text format.

use super::values::*;
use super::DAY_MS;
use crate::calendar;
use crate::error::{Error, Result};
use crate::model::{Check, CheckKind, ColumnType, Project, Table};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

pub(super) struct Generator<'a> {
    pub(super) table: &'a Table,
    pub(super) salt: u64,
    pub(super) rules: Vec<Rule>,
    /// Nullable columns no check reads: NULL in a few rows, as real data has.
    pub(super) sparse: Vec<bool>,
    pub(super) defects: Vec<Defect>,
}

impl<'a> Generator<'a> {
    pub(super) fn new(
        project: &'a Project,
        table: &'a Table,
        sizes: &BTreeMap<&str, u64>,
        rows: u64,
    ) -> Result<Generator<'a>> {
        let idx = |name: &str| table.columns.iter().position(|c| c.name == name);
        let sql_forms = |ratio: bool| -> Vec<Form> {
            table
                .checks
                .iter()
                .flat_map(|c| match &c.kind {
                    CheckKind::Ratio { when, .. } if ratio => forms(when),
                    CheckKind::Condition { sql } if !ratio => forms(sql),
                    _ => vec![],
                })
                .collect()
        };
        let (conditions, ratios) = (sql_forms(false), sql_forms(true));
        let latency = table.checks.iter().find_map(|c| match &c.kind {
            CheckKind::Latency { reported, start, end, .. } => Some((reported, start, end)),
            _ => None,
        });
        // The columns derived dates are computed from hold the row's instant (event_timestamp).
        let derivations: Vec<Form> =
            table.columns.iter().filter_map(|c| c.derived.as_deref()).flat_map(forms).collect();
        let sources: Vec<&str> =
            derivations.iter().filter_map(|f| if let Form::DateOf(c) = f { Some(c.as_str()) } else { None }).collect();
        let mut rules = Vec::new();
        for column in &table.columns {
            let name = column.name.as_str();
            let text_len = match column.ty {
                ColumnType::Varchar(n) | ColumnType::Char(n) => n as usize,
                _ => 64,
            };
            // Members of a multi-column unique constraint: a foreign key takes row i / group of
            // its parent and the others i % group, so no two rows share the combination.
            let group =
                table.unique.iter().map(|u| &u.columns).find(|u| u.len() > 1 && u.iter().any(|c| c == name)).map(|u| {
                    let parents =
                        table.foreign_keys.iter().filter(|fk| fk.columns.len() == 1 && u.contains(&fk.columns[0]));
                    let parent_rows = parents.filter_map(|fk| sizes.get(fk.table.as_str())).min();
                    parent_rows.map_or(rows, |p| rows.div_ceil((*p).max(1)))
                });
            let fk = table.foreign_keys.iter().find(|fk| fk.columns == [name]);
            let rule = if table.primary_key == [name] {
                if column.ty.is_integer() {
                    Rule::Serial
                } else {
                    Rule::Key { salt: salt(&table.name), len: text_len, group: None }
                }
            } else if let Some(fk) = fk {
                let parent = project.table(&fk.table).expect("foreign keys are checked by the loader");
                let referenced = fk.references.first().map_or("", String::as_str);
                match sizes.get(parent.name.as_str()) {
                    _ if !parent.rows.is_empty() => Rule::Pick(reference_values(parent, referenced)),
                    Some(&rows) if parent.primary_key == [referenced] => {
                        let len = (!column.ty.is_integer()).then_some(text_len);
                        Rule::Parent { salt: salt(&parent.name), len, rows, group }
                    }
                    _ => {
                        return Err(Error::new(format!(
                            "cannot generate {}.{name}: it references {}.{referenced}, which is neither seeded nor reference data",
                            table.name, parent.name
                        )))
                    }
                }
            } else if let Some(group) = group {
                if column.ty.is_integer() {
                    Rule::Member(group)
                } else {
                    Rule::Key { salt: salt(&format!("{}.{name}", table.name)), len: text_len, group: Some(group) }
                }
            } else if let Some((reported, _, end)) = latency.filter(|(r, s, e)| [*r, *s, *e].contains(&&column.name)) {
                if name == reported {
                    Rule::Latency
                } else {
                    Rule::Instant { plus_latency: name == end }
                }
            } else if sources.contains(&name) {
                Rule::Instant { plus_latency: false }
            } else if let Some(derived) = &column.derived {
                match forms(derived).first() {
                    Some(Form::DateOf(src)) => idx(src).map_or(Rule::Null, Rule::DateOf),
                    // Any other derivation is left NULL, for `schema backfill` to fill.
                    _ => Rule::Null,
                }
            } else if let Some(rule) = conditions.iter().find_map(|f| match f {
                Form::OneOf(c, items) if c == name => Some(Rule::Pick(items.clone())),
                Form::Sum(c, a, b) if c == name => Some(Rule::Sum(idx(a)?, idx(b)?)),
                _ => None,
            }) {
                rule
            } else if let ColumnType::Enum(e) = &column.ty {
                Rule::Pick(project.enums.get(e).cloned().unwrap_or_default())
            } else if let ColumnType::Array(_) = &column.ty {
                // The empty array, which every element type takes.
                Rule::Pick(vec!["{}".into()])
            } else if let Some(pool) = project.seed_values.get(name) {
                Rule::Pick(pool.clone())
            } else if let Some(values) = project
                .tables
                .iter()
                .filter(|t| t.name != table.name && !t.rows.is_empty())
                .map(|t| reference_values(t, name))
                .find(|v| !v.is_empty())
            {
                Rule::Pick(values)
            } else if column.ty.is_native() {
                // No generator knows the text a type of any kind reads: NULL, which every type
                // takes, or the values `seed_values:` lists for the column.
                if !column.nullable {
                    return Err(Error::new(format!(
                        "cannot generate {}.{name}: no values are generated for type `{}`; list some under `seed_values: {{ {name}: [...] }}` in schema.yaml",
                        table.name, column.ty
                    )));
                }
                Rule::Null
            } else {
                fallback(&column.ty, name, &table.name, text_len, rows)
            };
            // Only defect rows may match a ratio check.
            let rule = match rule {
                Rule::Pick(items) => Rule::Pick(
                    items
                        .into_iter()
                        .filter(|v| !ratios.iter().any(|f| matches!(f, Form::Equals(c, s) if c == name && s == v)))
                        .collect(),
                ),
                rule => rule,
            };
            rules.push(rule);
        }
        let read: BTreeSet<String> = table.checks.iter().flat_map(check_words).collect();
        let sparse = table
            .columns
            .iter()
            .map(|c| {
                c.nullable && !read.contains(&c.name) && c.derived.is_none() && table.primary_key != [c.name.as_str()]
            })
            .collect();
        Ok(Generator { table, salt: salt(&table.name), rules, sparse, defects: Vec::new() })
    }

    /// The reference rows of the lookup of column `c` (match values → value), read from the
    /// database once the reference table is loaded. A single match column then takes the
    /// reference keys (not those whose value only defect rows of a ratio check may have), so
    /// rows find their reference row as real data does; the lookup column takes its value.
    pub(super) fn set_lookup(&mut self, c: usize, values: std::collections::HashMap<Vec<String>, String>) {
        let Some(lookup) = self.table.columns[c].lookup.as_deref() else { return };
        let idx = |name: &str| self.table.columns.iter().position(|x| x.name == name);
        let Some(on) = lookup.on.iter().map(|(mine, _)| idx(mine)).collect::<Option<Vec<usize>>>() else { return };
        if let ([m], Rule::Pick(_) | Rule::Word { .. } | Rule::Id { .. }) = (on.as_slice(), &self.rules[on[0]]) {
            let column = &self.table.columns[c].name;
            let rare = |v: &String| self.table.checks.iter().any(|k| ratio_value(k, column).as_ref() == Some(v));
            let mut keys: Vec<String> = values.iter().filter(|(_, v)| !rare(v)).map(|(k, _)| k[0].clone()).collect();
            keys.sort();
            if !keys.is_empty() {
                self.rules[*m] = Rule::Pick(keys);
            }
        }
        let default = lookup.default.as_ref().map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_string));
        self.rules[c] = Rule::Lookup(Box::new(LookedUp { on, values, default }));
    }

    /// `count` rows of this table will fail `check`, and only it.
    pub(super) fn add_defect(&mut self, check: &Check, count: u64) -> Result<()> {
        let table = self.table;
        let idx = |name: &str| table.columns.iter().position(|c| c.name == name).unwrap_or(0);
        let cannot = |why: &str| Error::new(format!("--defect {}.{}: {why}", table.name, check.name));
        let violation = match &check.kind {
            CheckKind::NotNull { column } => {
                if !table.column(column).is_some_and(|c| c.nullable) {
                    return Err(cannot(&format!(
                        "column {column} is NOT NULL in the schema, so it cannot hold the defect"
                    )));
                }
                Violation::Null(idx(column))
            }
            CheckKind::Derived { column, expr } => match forms(expr).first() {
                Some(Form::DateOf(_)) => Violation::NextDay(idx(column)),
                _ => return Err(cannot(&format!("only `DATE(column)` derivations can be made wrong, not `{expr}`"))),
            },
            CheckKind::Ratio { when, .. } => match forms(when).into_iter().next() {
                Some(Form::Equals(c, s)) => Violation::Set(idx(&c), s),
                _ => {
                    return Err(cannot(&format!("rows matching `{when}` can only be generated for `column = 'text'`")))
                }
            },
            CheckKind::Condition { sql } => {
                match forms(sql).into_iter().find(|f| matches!(f, Form::OneOf(..) | Form::Sum(..) | Form::Bound(..))) {
                    Some(Form::OneOf(c, _)) => Violation::Set(idx(&c), "invalid".into()),
                    Some(Form::Sum(c, ..)) => Violation::AddOne(idx(&c)),
                    Some(Form::Bound(c, value)) => Violation::Set(idx(&c), value),
                    _ => {
                        return Err(cannot(&format!(
                            "rows violating `{sql}` can only be generated for `col IN (...)`, `col = a + b` or `col >= n` (>, <, <=)"
                        )))
                    }
                }
            }
            CheckKind::Latency { reported, tolerance_ms, .. } => Violation::Off(idx(reported), *tolerance_ms),
            CheckKind::Unique { .. } => {
                return Err(cannot("duplicate keys are not generated (PostgreSQL would refuse most of them)"))
            }
            CheckKind::Relationship { columns, table: parent, .. } => {
                if table.foreign_keys.iter().any(|fk| &fk.columns == columns && &fk.table == parent) {
                    return Err(cannot("PostgreSQL enforces this foreign key, so it cannot hold an orphan"));
                }
                Violation::Set(idx(&columns[0]), "no_such_parent".into())
            }
            CheckKind::AcceptedValues { column, .. } => Violation::Set(idx(column), "not_accepted".into()),
            CheckKind::Lookup { column, .. } => Violation::Set(idx(column), "not_looked_up".into()),
            CheckKind::Volume { .. } => {
                return Err(cannot("volume is the number of rows: choose it with --rows instead"))
            }
            CheckKind::Freshness { .. } => {
                return Err(cannot("freshness is the age of the newest row: choose it with --end instead"))
            }
            CheckKind::Range { column, min, max } => match (max, min) {
                (Some(m), _) if m.is_number() => {
                    Violation::Set(idx(column), format!("{}", m.as_f64().unwrap_or(0.0) + 1.0))
                }
                (_, Some(m)) if m.is_number() => {
                    Violation::Set(idx(column), format!("{}", m.as_f64().unwrap_or(0.0) - 1.0))
                }
                _ => return Err(cannot("only numeric ranges can be made wrong")),
            },
        };
        let within_days = check.window.as_ref().map(|w| w.days.saturating_sub(2).max(1));
        self.defects.push(Defect { violation, count, within_days });
        Ok(())
    }

    /// The defect of the m-th defect row: the first `count` rows go to the first defect, and so on.
    pub(super) fn defect(&self, mut m: u64) -> &Defect {
        for d in &self.defects {
            if m < d.count {
                return d;
            }
            m -= d.count;
        }
        unreachable!("m is below the total count")
    }

    /// Writes `rows` rows in COPY text format.
    pub(super) fn write(
        &self,
        out: &mut impl Write,
        rows: u64,
        seed: u64,
        end_ms: i64,
        days: u32,
    ) -> std::io::Result<()> {
        let total: u64 = self.defects.iter().map(|d| d.count).sum();
        let (mut next_defect, mut line) = (0u64, String::new());
        let mut values = vec![Val::Null; self.rules.len()];
        for i in 0..rows {
            // Defect rows are spread evenly: defect m is row m * rows / total.
            let defect = (next_defect < total && i == next_defect * rows / total).then(|| {
                next_defect += 1;
                self.defect(next_defect - 1)
            });
            let mut rng = Rng(hash(seed ^ self.salt, i));
            let span = defect.and_then(|d| d.within_days).unwrap_or(days).max(1) as i64 * DAY_MS;
            let instant = end_ms - 1 - rng.below(span as u64) as i64;
            let latency = 200 + rng.below(20_000) as i64;
            for (c, rule) in self.rules.iter().enumerate() {
                values[c] = self.value(rule, i, instant, latency, &values, &mut rng);
                if self.sparse[c] && rng.below(50) == 0 {
                    values[c] = Val::Null;
                }
            }
            // Rules that read other columns: again, now that those are known.
            for (c, rule) in self.rules.iter().enumerate() {
                if matches!(rule, Rule::DateOf(_) | Rule::Sum(..) | Rule::Lookup(_)) {
                    values[c] = self.value(rule, i, instant, latency, &values, &mut rng);
                }
            }
            if let Some(d) = defect {
                match &d.violation {
                    Violation::Null(c) => values[*c] = Val::Null,
                    Violation::NextDay(c) => values[*c] = Val::Day(instant.div_euclid(DAY_MS) + 1),
                    Violation::Set(c, s) => {
                        values[*c] = Val::Text(s.clone());
                        // A ratio's value that is the lookup's default: the row finds no reference
                        // row, so it fails the ratio and not the lookup.
                        if let Rule::Lookup(l) = &self.rules[*c] {
                            if l.default.as_ref() == Some(s) && l.on.len() == 1 {
                                values[l.on[0]] = Val::Text("no_such_key".into());
                            }
                        }
                    }
                    Violation::AddOne(c) => values[*c] = Val::Int(as_int(&values[*c]) + 1),
                    Violation::Off(c, tolerance) => {
                        values[*c] = Val::Int(latency + *tolerance as i64 + 1 + rng.below(1000) as i64)
                    }
                }
            }
            line.clear();
            for (c, v) in values.iter().enumerate() {
                if c > 0 {
                    line.push('\t');
                }
                copy_text(v, &mut line);
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    pub(super) fn value(&self, rule: &Rule, i: u64, instant: i64, latency: i64, values: &[Val], rng: &mut Rng) -> Val {
        match rule {
            Rule::Serial => Val::Int(i as i64 + 1),
            Rule::Key { salt, len, group } => Val::Text(key(*salt, group.map_or(i, |g| i % g), *len)),
            Rule::Parent { salt, len, rows, group } => {
                let j = group.map_or_else(|| rng.below(*rows), |g| (i / g).min(rows - 1));
                len.map_or(Val::Int(j as i64 + 1), |len| Val::Text(key(*salt, j, len)))
            }
            Rule::Member(group) => Val::Int((i % group) as i64),
            Rule::Pick(items) if items.is_empty() => Val::Null,
            Rule::Pick(items) => Val::Text(items[rng.below(items.len() as u64) as usize].clone()),
            Rule::Instant { plus_latency } => Val::Ms(instant + if *plus_latency { latency } else { 0 }),
            Rule::Around { date } => {
                let ms = instant + rng.below(1_200_000) as i64 - 600_000;
                if *date {
                    Val::Day(ms.div_euclid(DAY_MS))
                } else {
                    Val::Ms(ms)
                }
            }
            Rule::Null => Val::Null,
            Rule::Latency => Val::Int(latency),
            Rule::DateOf(c) => match values[*c] {
                Val::Ms(ms) => Val::Day(ms.div_euclid(DAY_MS)),
                _ => Val::Null,
            },
            Rule::Sum(a, b) => Val::Int(as_int(&values[*a]) + as_int(&values[*b])),
            Rule::Lookup(l) => {
                let key: Option<Vec<String>> = l.on.iter().map(|&c| as_text(&values[c])).collect();
                match key.and_then(|k| l.values.get(&k)).or(l.default.as_ref()) {
                    Some(v) => Val::Text(v.clone()),
                    None => Val::Null,
                }
            }
            Rule::Int(lo, hi) => Val::Int(lo + rng.below((hi - lo + 1) as u64) as i64),
            Rule::Num { lo, hi, scale } => Val::Num(lo + (hi - lo) * (rng.below(1_000_000) as f64 / 1e6), *scale),
            Rule::Bool => Val::Bool(rng.below(2) == 0),
            Rule::Word { name, len } => {
                let mut w = format!("{name}_{}", rng.below(20));
                w.truncate(*len);
                Val::Text(w)
            }
            Rule::Id { salt, len, distinct } => Val::Text(key(*salt, rng.below(*distinct), *len)),
            Rule::Json => Val::Text(format!("{{\"theme\": \"{}\"}}", ["dark", "light"][rng.below(2) as usize])),
            Rule::Uuid => {
                let k = format!("{:016x}{:016x}", rng.next(), rng.next());
                Val::Text(format!("{}-{}-{}-{}-{}", &k[..8], &k[8..12], &k[12..16], &k[16..20], &k[20..]))
            }
            Rule::TimeOfDay => Val::Text(calendar::timestamp_text(rng.below(DAY_MS as u64) as i64)[11..19].to_string()),
        }
    }
}
