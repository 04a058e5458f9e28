//! PostgreSQL's own properties (`dialect::postgres::attrs`) as the YAML writes them: flat keys
//! of the column, table or view, only where they are not the defaults.

use super::{expression, scalar};
use crate::dialect::postgres::attrs::{Bound, Partitioning, Value};
use crate::model::Deferrable;
use crate::model::{Column, ColumnType, Table, View};

/// `type: serial` where the column is one, else its type.
pub(super) fn column_type(c: &Column) -> String {
    match (&c.ty, c.postgres.serial) {
        (ColumnType::SmallInt, true) => "smallserial".into(),
        (ColumnType::Integer, true) => "serial".into(),
        (ColumnType::BigInt, true) => "bigserial".into(),
        (ty, _) => scalar(&ty.to_string()),
    }
}

/// The column's `identity:` (with the seed and step that are not 1, and PostgreSQL's options,
/// `as:` where the sequence's type is not the column's), `collation:` and `generated:`.
pub(super) fn column_fields(c: &Column, fields: &mut Vec<String>) {
    let pg = &c.postgres;
    if let Some(i) = c.identity {
        let s = &pg.sequence;
        let mut options: Vec<String> = Vec::new();
        if (i.seed, i.step) != (1, 1) {
            options.extend([format!("seed: {}", i.seed), format!("step: {}", i.step)]);
        }
        if pg.always {
            options.push("always: true".into());
        }
        options.extend(s.ty.map(|t| format!("as: {t}")));
        for (key, value) in [("min", s.min), ("max", s.max), ("cache", s.cache)] {
            options.extend(value.map(|v| format!("{key}: {v}")));
        }
        if s.cycle {
            options.push("cycle: true".into());
        }
        match options.is_empty() {
            true => fields.push("identity: true".into()),
            false => fields.push(format!("identity: {{ {} }}", options.join(", "))),
        }
    }
    if let Some(collation) = &pg.collation {
        fields.push(format!("collation: {}", scalar(collation)));
    }
    if let Some(expr) = &pg.generated {
        fields.push(format!("generated: {}", scalar(expr)));
    }
    fields.extend(pg.storage.map(|_| format!("storage: {}", pg.shown("storage").to_lowercase())));
    fields.extend(pg.statistics.map(|n| format!("statistics: {n}")));
    fields.extend(pg.compression.map(|_| format!("compression: {}", pg.shown("compression"))));
}

/// `unlogged: true` and `with: { ... }`: numbers and booleans as YAML reads them, words quoted
/// where YAML would read them otherwise.
pub(super) fn table_lines(t: &Table, y: &mut String) {
    if t.postgres.unlogged {
        y.push_str("unlogged: true\n");
    }
    with_line(&t.postgres.with, y);
}

/// `with: { ... }` of a table or materialized view.
fn with_line(with: &std::collections::BTreeMap<String, String>, y: &mut String) {
    if !with.is_empty() {
        let typed = |v: &str| v.parse::<f64>().is_ok() || v == "true" || v == "false";
        let value = |v: &String| if typed(v) { v.clone() } else { scalar(v) };
        let pairs: Vec<String> = with.iter().map(|(k, v)| format!("{}: {}", scalar(k), value(v))).collect();
        y.push_str(&format!("with: {{ {} }}\n", pairs.join(", ")));
    }
}

/// `exclude:`, one constraint a line: the access method where it is not gist.
pub(super) fn exclusion_lines(t: &Table, y: &mut String) {
    if t.postgres.exclude.is_empty() {
        return;
    }
    y.push_str(
        "exclude:
",
    );
    for x in &t.postgres.exclude {
        let elements: Vec<String> = (x.elements.iter())
            .map(|e| match (&e.column, &e.expression) {
                (Some(c), _) => format!("{{ column: {}, with: {} }}", scalar(c), scalar(&e.with)),
                (None, x) => format!(
                    "{{ expression: {}, with: {} }}",
                    expression(x.as_deref().unwrap_or_default()),
                    scalar(&e.with)
                ),
            })
            .collect();
        let mut fields = vec![format!("name: {}", scalar(&x.name))];
        if x.using != "gist" {
            fields.push(format!("using: {}", scalar(&x.using)));
        }
        fields.push(format!("elements: [{}]", elements.join(", ")));
        fields.extend(x.predicate.as_deref().map(|p| format!("where: {}", expression(p))));
        match x.deferrable {
            Deferrable::No => {}
            Deferrable::Immediate => fields.push("deferrable: true".into()),
            Deferrable::Deferred => fields.push("deferrable: initially_deferred".into()),
        }
        y.push_str(&format!("  - {{ {} }}\n", fields.join(", ")));
    }
}

/// `check_option:`, `security_barrier:` and `security_invoker:` of a view.
pub(super) fn view_lines(v: &View, y: &mut String) {
    if let Some(c) = v.postgres.check_option {
        y.push_str(&format!("check_option: {}\n", c.name()));
    }
    if v.postgres.security_barrier {
        y.push_str("security_barrier: true\n");
    }
    if v.postgres.security_invoker {
        y.push_str("security_invoker: true\n");
    }
    with_line(&v.postgres.with, y);
}

/// `partition_by:` and `partitions:`, one partition a line unless it has partitions of its own.
pub(super) fn partition_lines(t: &Table, y: &mut String) {
    if let Some(p) = &t.postgres.partitioning {
        partitioning(p, "", y);
    }
}

fn partitioning(p: &Partitioning, indent: &str, y: &mut String) {
    let parts: Vec<String> = (p.key.iter())
        .map(|k| match (&k.column, &k.expression) {
            (Some(c), _) => scalar(c),
            (None, x) => expression(x.as_deref().unwrap_or_default()),
        })
        .collect();
    let strategy = p.strategy.sql().to_lowercase();
    y.push_str(&format!("{indent}partition_by: {{ {strategy}: [{}] }}\n", parts.join(", ")));
    if p.partitions.is_empty() {
        return;
    }
    y.push_str(&format!("{indent}partitions:\n"));
    let values = |values: &[Value]| {
        let shown: Vec<String> = (values.iter())
            .map(|v| match v {
                Value::Literal(text) => scalar(text),
                other => other.shown(),
            })
            .collect();
        format!("[{}]", shown.join(", "))
    };
    for part in &p.partitions {
        let mut fields = vec![format!("name: {}", scalar(&part.name))];
        match &part.bound {
            Bound::Range { from, to } => {
                fields.extend([format!("from: {}", values(from)), format!("to: {}", values(to))])
            }
            Bound::List { values: list } => fields.push(format!("in: {}", values(list))),
            Bound::Hash { modulus, remainder } => {
                fields.extend([format!("modulus: {modulus}"), format!("remainder: {remainder}")])
            }
            Bound::Default => fields.push("default: true".into()),
        }
        match &part.partitioning {
            None => y.push_str(&format!("{indent}  - {{ {} }}\n", fields.join(", "))),
            Some(sub) => {
                let inner = format!("{indent}    ");
                y.push_str(&format!("{indent}  - {}\n", fields.join(&format!("\n{inner}"))));
                partitioning(sub, &inner, y);
            }
        }
    }
}
