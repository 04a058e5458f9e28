//! `schema refresh`: REFRESH MATERIALIZED VIEW for the materialized views of the enabled phases,
//! each after the views it reads, stopping at the first failure.

use crate::db::Target;
use crate::error::{describe, Error, Result};
use crate::model::{Project, View};
use crate::render::Renderer;
use crate::suggest::unknown;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The materialized views to refresh, in order: all of them, or `only` and every view that
/// reads it directly or through other views.
pub fn selection<'a>(project: &'a Project, only: Option<&str>) -> Result<Vec<&'a View>> {
    let enabled: Vec<&View> = project.views.iter().filter(|v| project.phases.contains(&v.phase)).collect();
    let mut wanted: BTreeSet<&str> = enabled.iter().map(|v| v.name.as_str()).collect();
    if let Some(name) = only {
        match project.view(name) {
            None => return Err(Error::new(unknown("view", name, project.views.iter().map(|v| v.name.as_str())))),
            Some(v) if !wanted.contains(name) => {
                return Err(Error::new(format!("view `{name}` is in phase {}, which is not enabled", v.phase)))
            }
            Some(v) if !v.materialized => {
                return Err(Error::new(format!("`{name}` is a plain view: only materialized views are refreshed")))
            }
            Some(_) => {}
        }
        wanted = BTreeSet::from([name]);
        // Dependents, through plain views too (PostgreSQL lets a materialized view read one).
        while let Some(v) = enabled
            .iter()
            .find(|v| !wanted.contains(v.name.as_str()) && v.depends_on.iter().any(|d| wanted.contains(d.as_str())))
        {
            wanted.insert(&v.name);
        }
    }
    let enabled: Vec<View> = enabled.into_iter().cloned().collect();
    let order = crate::graph::materialized(&enabled);
    Ok(order.iter().filter(|n| wanted.contains(n.as_str())).filter_map(|n| project.view(n)).collect())
}

/// What `refresh` reports as it goes.
pub enum Progress {
    Started,
    Done(Duration),
    Failed,
}

/// Refreshes the views in the given order, each in its own transaction.
pub fn refresh(
    target: &Target,
    namespace: &str,
    views: &[&View],
    mut report: impl FnMut(&View, Progress),
) -> Result<()> {
    let renderer = Renderer::new(target.dialect(), namespace);
    let mut client = target.connect()?;
    for (i, view) in views.iter().enumerate() {
        report(view, Progress::Started);
        let started = Instant::now();
        let sql = renderer.query("refresh", minijinja::context! { view => &view.name })?;
        if let Err(e) = client.batch_execute(&sql) {
            report(view, Progress::Failed);
            let rest: Vec<&str> = views[i + 1..].iter().map(|v| v.name.as_str()).collect();
            let rest = if rest.is_empty() { String::new() } else { format!("; not refreshed: {}", rest.join(", ")) };
            return Err(Error::new(format!("refreshing {}: {}{rest}", view.name, describe(&e))));
        }
        report(view, Progress::Done(started.elapsed()));
    }
    Ok(())
}
