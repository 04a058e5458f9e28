//! `schema seed`: synthetic rows for the tables of a project, for tests, demos and benchmarks.
//!
//! Rows follow the column types, keys and checks of the YAML: primary keys are unique, foreign
//! keys point at generated parent rows, `derived: DATE(x)` columns hold the date of `x`,
//! latency checks get consistent timestamps, `col IN (...)` and `a = b + c` conditions hold,
//! and a few column names of the shipped schema get realistic values. Row `i` of a table depends
//! only on the seed, the table, `i` and the end date, so a seed always gives the same data.
//!
//! Values of columns named in the project's `seed_values` (schema.yaml) are picked from there.
//!
//! A defect `[table.]check=N` makes N rows of the table (of every selected table that has the
//! check, without a table) fail exactly that check, so a validation test can assert exact counts.
//! Rows are loaded with COPY FROM STDIN: PostgreSQL only.

use crate::calendar;
use crate::db::{self, Target};
use crate::error::{describe, Error, Result};
use crate::graph;
use crate::model::{Project, Table};
use crate::render::Renderer;
use crate::suggest::unknown;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::{Duration, Instant};

mod generator;
mod values;

use generator::Generator;

pub struct Options {
    pub rows: u64,
    pub seed: u64,
    pub tables: Vec<String>,
    /// `[table.]check=count`
    pub defects: Vec<String>,
    /// Rows span this many days before `end`.
    pub days: u32,
    /// Day after the last generated one (`YYYY-MM-DD`); default today (UTC).
    pub end: Option<String>,
    /// Empty the tables first instead of refusing tables that have rows.
    pub replace: bool,
}

const DAY_MS: i64 = 86_400_000;

/// Rows of a lookup's reference table seeded only because a seeded table looks values up in it
/// (and it is empty): reference tables are small.
const REFERENCE_ROWS: u64 = 100;

/// The tables to fill: those named (all enabled ones by default) plus the tables they reference,
/// parents first; tables with reference rows are filled by their migration instead. Then the
/// reference tables of their lookups that are not among them (seeded only while empty), first.
fn selection<'a>(project: &'a Project, names: &[String]) -> Result<(Vec<&'a Table>, BTreeSet<&'a str>)> {
    let mut wanted: BTreeSet<&str> =
        project.enabled_tables(names).map_err(Error::new)?.iter().map(|t| t.name.as_str()).collect();
    while let Some(parent) = project
        .tables
        .iter()
        .filter(|t| wanted.contains(t.name.as_str()))
        .flat_map(|t| t.foreign_keys.iter().map(|fk| fk.table.as_str()))
        .find(|p| !wanted.contains(p))
    {
        wanted.insert(parent);
    }
    let looked_up: BTreeSet<&str> = (project.tables.iter())
        .filter(|t| wanted.contains(t.name.as_str()))
        .flat_map(|t| t.columns.iter().filter_map(|c| Some(c.lookup.as_deref()?.table.as_str())))
        .collect();
    let references = looked_up.iter().copied().filter(|t| !wanted.contains(t)).collect();
    // A lookup reads its reference rows once they are loaded: reference tables go first (those
    // without foreign keys of their own, which need their parents before them).
    let mut order: Vec<&Table> = graph::table_order(&project.tables)
        .into_iter()
        .filter(|t| (wanted.contains(t.name.as_str()) || looked_up.contains(t.name.as_str())) && t.rows.is_empty())
        .collect();
    order.sort_by_key(|t| !(looked_up.contains(t.name.as_str()) && t.foreign_keys.is_empty()));
    Ok((order, references))
}

/// Fills the tables; `report` gets each table with its row count and load time.
pub fn seed(
    target: &Target,
    project: &Project,
    options: &Options,
    mut report: impl FnMut(&str, u64, Duration),
) -> Result<()> {
    if !crate::dialect::driver(target.dialect()).copy_from_stdin() {
        return Err(Error::new(format!(
            "schema seed loads with COPY FROM STDIN, which {} does not have (it copies from S3)",
            target.dialect()
        )));
    }
    let end_day = match &options.end {
        Some(text) => calendar::parse_day(text)
            .ok_or_else(|| Error::new(format!("--end `{text}`: expected YYYY-MM-DD, year 1 to 9999")))?,
        None => calendar::now_ms().div_euclid(DAY_MS),
    };
    let (tables, references) = selection(project, &options.tables)?;
    // The server computes generated columns: COPY gives them no value.
    let tables: Vec<Table> = tables
        .into_iter()
        .map(|t| {
            let columns = t.columns.iter().filter(|c| c.postgres.generated.is_none()).cloned().collect();
            Table { columns, ..t.clone() }
        })
        .collect();
    let rows_of = |t: &str| if references.contains(t) { options.rows.min(REFERENCE_ROWS) } else { options.rows };
    let sizes: BTreeMap<&str, u64> = tables.iter().map(|t| (t.name.as_str(), rows_of(&t.name))).collect();
    let mut generators = tables
        .iter()
        .map(|t| Generator::new(project, t, &sizes, sizes[t.name.as_str()]))
        .collect::<Result<Vec<_>>>()?;
    for spec in &options.defects {
        let bad =
            || Error::new(format!("--defect `{spec}`: expected [table.]check=count, e.g. event_date_not_null=100"));
        let (target, count) = spec.split_once('=').ok_or_else(bad)?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        // `check`, `table.check` or `ns.table.check`.
        let (table, check) = match target.rsplit_once('.') {
            Some((t, c)) => (Some(t), c),
            None => (None, target),
        };
        let mut used = false;
        for g in generators.iter_mut().filter(|g| table.is_none_or(|t| t == g.table.name)) {
            if let Some(c) = g.table.checks.iter().find(|c| c.name == check) {
                g.add_defect(c, count)?;
                used = true;
            }
        }
        if !used {
            let names = generators.iter().flat_map(|g| g.table.checks.iter().map(|c| c.name.as_str()));
            let what = table.map_or("check".to_string(), |t| format!("check on seeded table {t}:"));
            return Err(Error::new(format!("--defect `{spec}`: {}", unknown(&what, check, names))));
        }
    }
    for g in &generators {
        let (defects, rows): (u64, u64) = (g.defects.iter().map(|d| d.count).sum(), sizes[g.table.name.as_str()]);
        if defects > rows {
            return Err(Error::new(format!("{}: {defects} defect rows but only {rows} rows", g.table.name)));
        }
    }
    let renderer = Renderer::new(target.dialect(), &project.namespace);
    let client = &mut target.connect()?;
    let fail = |what: String| move |e: postgres::Error| Error::new(format!("{what}: {}", describe(&e)));
    let mut full = Vec::new();
    let mut kept = BTreeSet::new();
    for t in &tables {
        let sql = renderer.query("seed", minijinja::context! { step => "probe", table => &t.name })?;
        let rows = db::text_rows(client, &sql).map_err(fail(format!("reading {}", t.name)))?;
        match rows.first().and_then(|r| r[0].as_deref()) {
            Some("0") => {}
            // Reference rows the user did not ask to replace are looked up as they are.
            _ if references.contains(t.name.as_str()) => drop(kept.insert(t.name.as_str())),
            _ => full.push(t.name.as_str()),
        }
    }
    generators.retain(|g| !kept.contains(g.table.name.as_str()));
    if !full.is_empty() {
        if !options.replace {
            return Err(Error::new(format!(
                "{} already hold rows: pass --replace to empty them first",
                full.join(", ")
            )));
        }
        let names: Vec<&str> = generators.iter().map(|g| g.table.name.as_str()).collect();
        let sql = renderer.query("seed", minijinja::context! { step => "truncate", tables => names })?;
        client.batch_execute(&sql).map_err(fail("emptying the tables".into()))?;
    }
    for g in &mut generators {
        let started = Instant::now();
        let name = &g.table.name;
        for (c, column) in g.table.columns.iter().enumerate() {
            let Some(lookup) = column.lookup.as_deref() else { continue };
            let sql = renderer.query("seed", minijinja::context! { step => "lookup", lookup => lookup })?;
            let rows = db::text_rows(client, &sql).map_err(fail(format!("reading {}", lookup.table)))?;
            let values = rows.into_iter().filter_map(|mut r| {
                let value = r.pop()??;
                Some((r.into_iter().collect::<Option<Vec<String>>>()?, value))
            });
            g.set_lookup(c, values.collect());
        }
        let columns: Vec<&str> = g.table.columns.iter().map(|c| c.name.as_str()).collect();
        let sql = renderer.query("seed", minijinja::context! { step => "copy", table => name, columns => columns })?;
        let mut writer = client.copy_in(&sql).map_err(fail(format!("loading {name}")))?;
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut writer);
        let rows = sizes[name.as_str()];
        let written = g.write(&mut buffered, rows, options.seed, end_day * DAY_MS, options.days);
        let flushed = written.and_then(|_| buffered.flush());
        drop(buffered);
        flushed.map_err(|e| Error::new(format!("loading {name}: {e}")))?;
        writer.finish().map_err(fail(format!("loading {name}")))?;
        // So do serials: their sequences also move past the values given.
        let numbered = |c: &&crate::model::Column| c.identity.is_some() || c.postgres.serial;
        let identity: Vec<&str> = g.table.columns.iter().filter(numbered).map(|c| c.name.as_str()).collect();
        let ctx = minijinja::context! { step => "finish", table => name, identity => identity };
        for sql in renderer.script("seed", ctx)? {
            client.batch_execute(&sql).map_err(fail(format!("finishing {name}")))?;
        }
        report(name, rows, started.elapsed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(seed: u64, defects: &[(&str, u64)]) -> String {
        let project = crate::load::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")).unwrap();
        let table = project.table("usage_metrics").unwrap();
        let sizes = BTreeMap::from([("chat_sessions", 100), ("usage_metrics", 100)]);
        let mut g = Generator::new(&project, table, &sizes, 100).unwrap();
        for (check, n) in defects {
            g.add_defect(table.checks.iter().find(|c| c.name == *check).unwrap(), *n).unwrap();
        }
        let mut out = Vec::new();
        g.write(&mut out, 100, seed, 20_000 * DAY_MS, 30).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_seed_always_gives_the_same_rows_and_defects_touch_only_their_rows() {
        let a = rows(7, &[]);
        assert_eq!(a, rows(7, &[]));
        assert_ne!(a, rows(8, &[]));
        assert_eq!(a.lines().count(), 100);
        let bad = rows(7, &[("latency", 3), ("event_date_not_null", 2)]);
        let changed: Vec<usize> =
            a.lines().zip(bad.lines()).enumerate().filter(|(_, (x, y))| x != y).map(|(i, _)| i).collect();
        assert_eq!(changed, [0, 20, 40, 60, 80], "defect rows are spread evenly");
        assert!(bad.lines().nth(60).unwrap().ends_with("\\N"), "event_date is the last column");
    }
}
