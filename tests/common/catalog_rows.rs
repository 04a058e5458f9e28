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

/// The catalog of tests/fixtures/redshift/features_catalog.txt, each section's text passed
/// through `edit(section, text)` first (the mutation corpus changes one row).
pub fn features_catalog(edit: impl Fn(&str, String) -> String) -> schema::dialect::redshift::catalog::Catalog {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/fixtures/redshift/features_catalog.txt")).unwrap();
    let project = schema::load::load(&root.join("tests/fixtures/features/schema")).unwrap();
    let ddl = schema::plan::create_all(&project.enabled(), schema::model::Dialect::Redshift).unwrap();
    let statements = schema::sql::lexer::split_statements(&ddl, schema::sql::lexer::Escapes::Backslash);
    let create = |name: &str| {
        let head = format!("CREATE MATERIALIZED VIEW \"analytics\".\"{name}\"");
        statements.iter().find(|s| s.starts_with(&head)).unwrap().to_string()
    };
    let mut sections = std::collections::BTreeMap::new();
    for section in text.split("\n## ").skip(1) {
        let (name, body) = section.split_once('\n').unwrap();
        sections.insert(name.to_string(), edit(name, body.to_string()));
    }
    let source = |name: &str| rows(&sections[name]);
    let optional = |name: &str| Some(source(name));
    let views: Vec<(String, String)> = sections["views"]
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, definition) = l.split_once('|').unwrap();
            let definition = match definition.strip_prefix("{create ").and_then(|d| d.strip_suffix('}')) {
                Some(mv) => create(mv),
                None => definition.to_string(),
            };
            (name.to_string(), definition)
        })
        .collect();
    let views: Vec<(&str, &str)> = views.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
    schema::dialect::redshift::catalog::Catalog {
        relations: source("relations"),
        columns: source("columns"),
        constraints: source("constraints"),
        views: self::views(&views),
        deployer: source("deployer"),
        backup: optional("backup"),
        table_info: optional("table_info"),
        mv_info: optional("mv_info"),
        external_tables: optional("external_tables"),
        role_grants: optional("role_grants"),
    }
}
