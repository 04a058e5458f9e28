//! The pipeline from two projects to one dialect's statements: diff (neutral changes), lower
//! (the driver's operations, in order) and render (the templates). `generate` writes plans as
//! migrations, `render` prints the plan from nothing, `diff --sql` the plan from the live
//! catalog.

use crate::dialect::lower::{lower, Hazard, Op};
use crate::dialect::{driver, Driver};
use crate::diff::{diff, Change};
use crate::error::{Error, Result};
use crate::model::{Dialect, Project};
use crate::render::Renderer;

/// One operation of a plan: its SQL, what it comes from and what it risks.
#[derive(Debug, Clone)]
pub struct Step {
    pub op: Op,
    /// Index of the change in `Plan::changes` it comes from, if any.
    pub source: Option<usize>,
    /// One line saying what it does (`add column ns.t.c`).
    pub comment: String,
    pub sql: String,
    pub hazards: Vec<Hazard>,
    /// Whether it may run inside a transaction block.
    pub transactional: bool,
}

/// The changes from one project to another and the steps that make them on one dialect.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dialect: Dialect,
    pub changes: Vec<Change>,
    pub steps: Vec<Step>,
}

/// Diff, lower and render. `Error::Unsupported` lists the changes no migration can express.
pub fn plan(dialect: Dialect, from: &Project, to: &Project) -> Result<Plan> {
    let changes = diff(from, to);
    plan_changes(dialect, from, to, changes)
}

/// Lower and render changes already computed (`diff(from, to)`).
pub fn plan_changes(dialect: Dialect, from: &Project, to: &Project, changes: Vec<Change>) -> Result<Plan> {
    let d: &dyn Driver = driver(dialect);
    let lowered = lower(d, from, to, &changes).map_err(Error::Unsupported)?;
    let renderer = Renderer::new(dialect, &to.namespace);
    let steps = lowered
        .into_iter()
        .map(|l| {
            Ok(Step {
                comment: l.op.describe(&to.namespace),
                sql: renderer.op(&l.op)?,
                hazards: d.hazards(&l.op),
                transactional: d.transactional(&l.op),
                source: l.source,
                op: l.op,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Plan { dialect, changes, steps })
}

impl Plan {
    /// The SQL of every step, separated by blank lines.
    pub fn sql(&self) -> String {
        self.steps.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// The DDL that creates every object of `project` into an empty namespace: what `render`
/// prints, and the canonical form in which `diff` shows live and desired side by side.
pub fn create_all(project: &Project, dialect: Dialect) -> Result<String> {
    Ok(plan(dialect, &project.emptied(), project)?.sql())
}
