//! A connection to a catalog that counts its round trips, and the text rows it returns.

use crate::error::{describe, Error, Result};

/// A connection that counts its round trips. Everything goes through the simple protocol: text
/// results need no type lookups, which Redshift's catalog does not always support.
pub struct Session<'a> {
    client: &'a mut ::postgres::Client,
    pub queries: usize,
}

impl<'a> Session<'a> {
    pub fn new(client: &'a mut ::postgres::Client) -> Session<'a> {
        Session { client, queries: 0 }
    }

    pub fn rows(&mut self, sql: &str) -> Result<Rows> {
        self.queries += 1;
        let messages = self
            .client
            .simple_query(sql)
            .map_err(|e| Error::Catalog(format!("reading the catalog: {}", describe(&e))))?;
        let mut rows = Rows::default();
        for message in messages {
            match message {
                ::postgres::SimpleQueryMessage::RowDescription(columns) => {
                    rows.columns = columns.iter().map(|c| c.name().to_string()).collect();
                }
                ::postgres::SimpleQueryMessage::Row(row) => {
                    rows.data.push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect());
                }
                _ => {}
            }
        }
        Ok(rows)
    }

    /// The rows of one query in a READ ONLY transaction of its own, after `setup` (a SET LOCAL),
    /// in one round trip: whatever the query locks is released as it ends.
    pub fn rows_read_only(&mut self, sql: &str, setup: &str) -> Result<Rows> {
        let rows = self.rows(&format!("BEGIN READ ONLY; {setup}; {sql}; ROLLBACK"));
        if rows.is_err() {
            // The server stopped at the error, inside the transaction.
            let _ = self.client.batch_execute("ROLLBACK");
        }
        rows
    }

    /// The rows of one query in a READ ONLY transaction of its own.
    pub fn read_only(&mut self, sql: &str) -> Result<Rows> {
        self.execute("BEGIN READ ONLY").map_err(|e| Error::Catalog(format!("reading the catalog: {e}")))?;
        let rows = self.rows(sql);
        let end = self.execute("ROLLBACK");
        let rows = rows?;
        end.map_err(|e| Error::Catalog(format!("ending the catalog transaction: {e}")))?;
        Ok(rows)
    }

    /// One query through the extended protocol, its parameters bound as data, in one round trip:
    /// each text column of each row as `(i32, String)`.
    pub fn query_typed(
        &mut self,
        sql: &str,
        params: &[(&(dyn ::postgres::types::ToSql + Sync), ::postgres::types::Type)],
    ) -> std::result::Result<Vec<(i32, String)>, String> {
        self.queries += 1;
        let rows = self.client.query_typed(sql, params).map_err(|e| describe(&e))?;
        rows.iter()
            .map(|r| Ok((r.try_get(0).map_err(|e| e.to_string())?, r.try_get(1).map_err(|e| e.to_string())?)))
            .collect()
    }

    /// Runs statements; the error is the server's message.
    pub fn execute(&mut self, sql: &str) -> std::result::Result<(), String> {
        self.queries += 1;
        self.client.batch_execute(sql).map_err(|e| describe(&e))
    }
}

/// The text rows of one query, read by column name.
#[derive(Debug, Default, Clone)]
pub struct Rows {
    columns: Vec<String>,
    data: Vec<Vec<Option<String>>>,
}

impl Rows {
    pub fn new(columns: &[&str], data: Vec<Vec<Option<String>>>) -> Rows {
        Rows { columns: columns.iter().map(|c| c.to_string()).collect(), data }
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.data.len()).map(move |i| Row { rows: self, i })
    }
}

#[derive(Clone, Copy)]
pub struct Row<'a> {
    rows: &'a Rows,
    i: usize,
}

impl<'a> Row<'a> {
    /// The value, None for NULL. Panics on a column the query does not select (a bug).
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let j = self.rows.columns.iter().position(|c| c == column);
        let j = j.unwrap_or_else(|| panic!("catalog query has no column `{column}`"));
        self.rows.data[self.i][j].as_deref()
    }

    pub fn text(&self, column: &str) -> &'a str {
        self.get(column).unwrap_or("")
    }

    pub fn int(&self, column: &str) -> Option<i64> {
        self.get(column).and_then(|v| v.trim().parse().ok())
    }

    /// Booleans as either server prints them (`t`, `true`, `1`, `y`).
    pub fn flag(&self, column: &str) -> bool {
        matches!(
            self.get(column).map(|v| v.trim().to_ascii_lowercase()).as_deref(),
            Some("t" | "true" | "1" | "y" | "yes")
        )
    }
}
