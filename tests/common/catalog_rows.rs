//! Catalog rows written as text, shaped as the AWS documentation shows them, for the tests of
//! the Redshift catalog mapping (no cluster is reachable).

use schema::dialect::catalog::Rows;

/// Rows from psql-like text: a header line, then one line per row; `|` separates values and an
/// empty or missing value is NULL.
pub fn rows(text: &str) -> Rows {
    let mut lines = text.trim().lines().map(str::trim);
    let header: Vec<&str> = lines.next().unwrap().split('|').collect();
    let value = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let data = lines
        .map(|l| {
            let mut row: Vec<Option<String>> = l.split('|').map(value).collect();
            row.resize(header.len(), None);
            row
        })
        .collect();
    Rows::new(&header, data)
}

pub fn views(definitions: &[(&str, &str)]) -> Rows {
    let data = definitions.iter().map(|(n, d)| vec![Some(n.to_string()), Some(d.to_string())]).collect();
    Rows::new(&["viewname", "definition"], data)
}
