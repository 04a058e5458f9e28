//! What Redshift refuses in a project that targets it, checked on the model: each rule cites
//! the AWS Database Developer Guide page it comes from.

use crate::dialect::Lint;
use crate::model::{ColumnType, Project};

pub(super) fn lint(project: &Project) -> Vec<Lint> {
    let mut out = Vec::new();
    for t in &project.tables {
        for (i, c) in t.columns.iter().enumerate() {
            // "Unsupported PostgreSQL data types": TEXT silently becomes VARCHAR(256), no UUID.
            let help = match c.ty {
                ColumnType::Text => "declare varchar(n) with the longest length you expect, e.g. varchar(1024)",
                ColumnType::Uuid => "declare char(36)",
                _ => continue,
            };
            out.push(Lint {
                object: t.name.clone(),
                path: format!("columns.{i}.type"),
                message: format!("type `{}` cannot be deployed to Redshift, a target dialect of this project", c.ty),
                help: Some(help.into()),
            });
        }
    }
    for v in project.views.iter().filter(|v| v.materialized) {
        // "CREATE MATERIALIZED VIEW": the query cannot reference standard views.
        for dep in &v.depends_on {
            if project.view(dep).is_some_and(|d| !d.materialized) {
                out.push(Lint {
                    object: v.name.clone(),
                    path: format!("ref:{dep}"),
                    message: format!(
                        "materialized view `{}` reads the plain view `{dep}`, which Redshift does not allow",
                        v.name
                    ),
                    help: Some("read the view's tables directly, or make it a materialized view".into()),
                });
            }
        }
    }
    out
}
