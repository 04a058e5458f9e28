//! refinery's history table, read defensively. refinery's own reader panics on a version column
//! that is not BIGINT (a refinery without 64-bit versions makes it INTEGER), a NULL, an
//! `applied_on` that is not RFC 3339 or a checksum that is not a number: such a table or row is
//! reported here instead, and `migrate` refuses to hand it to refinery.

use crate::db::text_rows;
use crate::error::{Context, Error, Result};
use crate::layout::HISTORY_TABLE as HISTORY;
use crate::sql::ident;
use crate::terminal::safe;
use postgres::types::FromSql;
use postgres::Client;
use std::collections::BTreeMap;

/// One history row as stored.
pub struct Row {
    pub name: Option<String>,
    pub applied_on: Option<String>,
    pub checksum: Option<String>,
}

impl Row {
    /// Why refinery could not read this row, if it could not.
    pub fn unreadable(&self) -> Option<String> {
        let columns = [("name", &self.name), ("applied_on", &self.applied_on), ("checksum", &self.checksum)];
        if let Some((column, _)) = columns.iter().find(|(_, value)| value.is_none()) {
            return Some(format!("the history row has no {column} (NULL)"));
        }
        match (self.applied_on.as_deref(), self.checksum.as_deref()) {
            (Some(on), _) if !rfc3339(on) => Some(format!("applied_on `{}` is not an RFC 3339 timestamp", safe(on))),
            (_, Some(sum)) if sum.parse::<u64>().is_err() => Some(format!("checksum `{}` is not a number", safe(sum))),
            _ => None,
        }
    }
}

pub struct History {
    pub rows: BTreeMap<i64, Row>,
    /// What is wrong with the table itself.
    pub problems: Vec<String>,
}

/// The history (empty if the table does not exist yet), read without creating anything so
/// `status` and `--dry-run` change nothing.
pub fn read(client: &mut Client, namespace: &str) -> Result<History> {
    let mut history = History { rows: BTreeMap::new(), problems: vec![] };
    if !table_exists(client, namespace, HISTORY)? {
        return Ok(history);
    }
    let table = format!("{}.{HISTORY}", ident(namespace));
    let what = || "reading the migration history".to_string();
    let columns = client.prepare(&format!("SELECT version, name, applied_on, checksum FROM {table}")).context(what)?;
    for column in columns.columns() {
        let (fits, wanted) = match column.name() {
            "version" => (i64::accepts(column.type_()), "BIGINT"),
            _ => (String::accepts(column.type_()), "VARCHAR(255)"),
        };
        if !fits {
            history.problems.push(format!(
                "{table}: column {name} is {}, which refinery cannot read: ALTER TABLE {table} ALTER COLUMN {name} TYPE {wanted}",
                column.type_(),
                name = column.name(),
            ));
        }
    }
    // As text, whatever the column types: nothing here can fail to convert.
    let sql = format!("SELECT version::BIGINT, name, applied_on, checksum FROM {table} ORDER BY 1");
    for row in text_rows(client, &sql).context(what)? {
        let mut cells = row.into_iter();
        let Some(version) = cells.next().flatten().and_then(|v| v.parse::<i64>().ok()) else {
            history.problems.push(format!("{table} has a row without a version: delete it"));
            continue;
        };
        let mut next = || cells.next().flatten();
        history.rows.insert(version, Row { name: next(), applied_on: next(), checksum: next() });
    }
    Ok(history)
}

pub fn table_exists(client: &mut Client, namespace: &str, table: &str) -> Result<bool> {
    let sql =
        "SELECT COUNT(*)::INTEGER FROM pg_catalog.pg_tables WHERE schemaname = $1::VARCHAR AND tablename = $2::VARCHAR";
    let row = client.query_one(sql, &[&namespace, &table]).context(|| format!("looking up {namespace}.{table}"))?;
    Ok(row.get::<_, i32>(0) > 0)
}

/// Creates the namespace if it is missing. Not `CREATE SCHEMA IF NOT EXISTS` alone: that needs
/// the CREATE privilege on the database even when the schema exists, which a role owning just
/// its schema lacks.
pub fn ensure_schema(client: &mut Client, namespace: &str) -> Result<()> {
    let sql = "SELECT COUNT(*)::INTEGER FROM pg_catalog.pg_namespace WHERE nspname = $1::VARCHAR";
    let exists = client.query_one(sql, &[&namespace]).context(|| format!("looking up schema {namespace}"))?;
    if exists.get::<_, i32>(0) == 0 {
        let create = format!("CREATE SCHEMA IF NOT EXISTS {}", ident(namespace));
        client
            .batch_execute(&create)
            .map_err(|e| Error::database(format!("creating schema {namespace}: {}", crate::error::describe(&e))))?;
    }
    Ok(())
}

/// A strict subset of the RFC 3339 timestamps refinery's parser accepts (it writes
/// `2024-05-01T10:20:30.123456789Z`), so a value passing here cannot make it panic.
fn rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |at: usize, len: usize| -> Option<u32> {
        let digits = b.get(at..at + len)?;
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2))
    else {
        return false;
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')].iter().all(|&(at, c)| b[at] == c)
        && matches!(b[10], b'T' | b't' | b' ');
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let date = (1..=12).contains(&month) && day >= 1 && day <= days[month as usize - 1];
    let time = hour < 24 && minute < 60 && second < 60;
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => true,
        &[b'+' | b'-', h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'));
            two(h1, h2).is_some_and(|h| h < 24) && two(m1, m2).is_some_and(|m| m < 60)
        }
        _ => false,
    };
    separators && date && time && offset
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn accepts_what_refinery_writes_and_nothing_its_parser_refuses() {
        for ok in ["2024-05-01T10:20:30.123456789Z", "2024-02-29T00:00:00Z", "2023-12-31 23:59:59+05:30"] {
            assert!(rfc3339(ok), "{ok}");
        }
        for bad in [
            "yesterday",
            "2023-02-29T00:00:00Z",
            "2024-05-01T10:20:30",
            "2024-05-01T10:20:60Z",
            "2024-05-01T10:20:30.Z",
            "2024-05-01T10:20:30+24:00",
            "2024-05-01T10:20:30Zjunk",
            "2024-13-01T10:20:30Z",
        ] {
            assert!(!rfc3339(bad), "{bad}");
        }
    }
}
