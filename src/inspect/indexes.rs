//! Indexes in the YAML's words: each as a flow mapping with what differs from the defaults, a
//! key column as its plain entry (`slug DESC`) unless it has an operator class or collation.

use super::{expression, list, scalar};
use crate::model::{Index, IndexColumn};

pub(super) fn write(y: &mut String, indexes: &[Index]) {
    if indexes.is_empty() {
        return;
    }
    y.push_str("indexes:\n");
    for i in indexes {
        let columns: Vec<String> = i.columns.iter().map(column).collect();
        let mut fields = vec![format!("name: {}", scalar(&i.name)), format!("columns: [{}]", columns.join(", "))];
        if i.unique {
            fields.push("unique: true".into());
        }
        if i.nulls_not_distinct {
            fields.push("nulls_not_distinct: true".into());
        }
        if let Some(m) = &i.using {
            fields.push(format!("using: {}", scalar(m)));
        }
        if !i.include.is_empty() {
            fields.push(format!("include: {}", list(&i.include)));
        }
        if !i.with.is_empty() {
            let with: Vec<String> = i.with.iter().map(|(k, v)| format!("{}: {}", scalar(k), parameter(v))).collect();
            fields.push(format!("with: {{ {} }}", with.join(", ")));
        }
        if let Some(p) = &i.predicate {
            fields.push(format!("where: {}", expression(p)));
        }
        y.push_str(&format!("  - {{ {} }}\n", fields.join(", ")));
    }
}

fn column(c: &IndexColumn) -> String {
    if c.is_plain() {
        return scalar(&c.entry());
    }
    let mut fields = vec![match &c.expression {
        Some(x) => format!("expression: {}", expression(x)),
        None => format!("column: {}", scalar(&c.column)),
    }];
    fields.extend(c.opclass.as_deref().map(|o| format!("opclass: {}", scalar(o))));
    fields.extend(c.collation.as_deref().map(|o| format!("collation: {}", scalar(o))));
    if c.descending {
        fields.push("order: desc".into());
    }
    if c.nulls_first != c.descending {
        fields.push(format!("nulls: {}", if c.nulls_first { "first" } else { "last" }));
    }
    format!("{{ {} }}", fields.join(", "))
}

/// A storage parameter's value: a number plain where the loader reads it back as the same text
/// (`70`, not `0.10`), anything else as a string.
fn parameter(value: &str) -> String {
    let integer = value.parse::<i64>().is_ok_and(|n| n.to_string() == value);
    let decimal = value.parse::<f64>().is_ok_and(|n| n.is_finite() && n.to_string() == value);
    if integer || decimal {
        value.to_string()
    } else {
        scalar(value)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Index, IndexColumn};
    use std::path::Path;

    /// What inspect writes of each option loads back as the same index.
    #[test]
    fn indexes_are_written_as_the_loader_reads_them() {
        let dir = Path::new("/p");
        let table = "table: t\ncolumns:\n  - { name: a, type: text }\n  - { name: \"b c\", type: text }\n";
        let texts = vec![
            (dir.join("schema.yaml"), Ok("name: p\nnamespace: ns\ndialects: [postgres]\n".to_string())),
            (dir.join("tables/t.yaml"), Ok(table.to_string())),
        ];
        let mut project = crate::load::load_texts(dir, texts).unwrap();
        let column = |c: &str, opclass: Option<&str>, collation: Option<&str>| IndexColumn {
            opclass: opclass.map(String::from),
            collation: collation.map(String::from),
            ..IndexColumn::parse(c).unwrap()
        };
        project.tables[0].indexes = vec![
            Index {
                unique: true,
                ..Index::new("plain", vec![column("a DESC", None, None), column("b c", None, None)])
            },
            Index {
                using: Some("gin".into()),
                include: vec!["b c".into()],
                with: [("fillfactor", "70"), ("scale", "0.10"), ("buffering", "auto"), ("x", "true")]
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .into(),
                predicate: Some("a <> 'x'".into()),
                ..Index::new(
                    "options",
                    vec![column("a NULLS FIRST", Some("public.gin_trgm_ops"), Some("\"en_US.utf8\""))],
                )
            },
            Index {
                unique: true,
                nulls_not_distinct: true,
                ..Index::new("nulls", vec![column("a DESC NULLS LAST", None, Some("C"))])
            },
        ];
        let (files, warnings) = super::super::files(&project);
        assert!(warnings.is_empty(), "{warnings:?}");
        let text = &files[1].1;
        assert!(text.contains("  - { name: plain, columns: [a DESC, b c], unique: true }\n"), "{text}");
        assert!(text.contains("with: { buffering: auto, fillfactor: 70, scale: \"0.10\", x: \"true\" }"), "{text}");
        let texts = files.into_iter().map(|(f, t)| (dir.join(f), Ok(t))).collect();
        let again = crate::load::load_texts(dir, texts).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(again.tables[0].indexes, project.tables[0].indexes);
    }
}
