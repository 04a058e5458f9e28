//! The pipeline from two projects to one dialect's statements: diff (neutral changes), lower
//! (the driver's operations, in order) and render (the templates). `generate` writes plans as
//! migrations, `render` prints the plan from nothing, `diff --sql` the plan from the live
//! catalog.

use crate::dialect::lower::{lower, Hazard, Op};
use crate::dialect::{driver, Driver};
use crate::diff::{diff, Change};
use crate::error::{Error, Result};
use crate::model::{display_key, Dialect, Project};
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
    let mut plan = Plan { dialect, changes, steps };
    plan.order_hazards(d, &to.namespace);
    Ok(plan)
}

impl Plan {
    /// The SQL of every step, separated by blank lines.
    pub fn sql(&self) -> String {
        self.steps.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps cut into migrations: a run of steps that may share a transaction is one file
    /// (one transaction with its history row), and a run of those Redshift refuses inside a
    /// transaction block is a file of its own, never mixed with transactional changes. A dialect
    /// with nothing to do gets no file: dialects share version numbers, and one may skip some.
    pub fn parts(&self) -> Vec<&[Step]> {
        let mut parts = Vec::new();
        if self.steps.is_empty() {
            return parts;
        }
        let mut start = 0;
        for i in 1..=self.steps.len() {
            if i == self.steps.len() || self.steps[i].transactional != self.steps[start].transactional {
                parts.push(&self.steps[start..i]);
                start = i;
            }
        }
        parts
    }

    /// Hazards of the order of the steps rather than of one step. A table an earlier step of the
    /// same transaction altered stays locked until it commits (ALTER TABLE keeps its lock to the
    /// end of the transaction, on Redshift as on PostgreSQL), so through every long step after
    /// it; and an object dropped in one part and created again in a later one is missing from
    /// the commit of the first until the second runs.
    fn order_hazards(&mut self, driver: &dyn Driver, ns: &str) {
        let part_of: Vec<usize> = self.parts().iter().enumerate().flat_map(|(n, p)| vec![n + 1; p.len()]).collect();
        let total = part_of.last().copied().unwrap_or(0);
        let mut held: Vec<String> = Vec::new();
        for i in 0..self.steps.len() {
            if i > 0 && part_of[i] != part_of[i - 1] {
                held.clear();
            }
            let step = &self.steps[i];
            let own = step.op.table().map(|t| display_key(ns, t));
            let long = driver.long_running(&step.op).filter(|_| step.transactional);
            if let (Some(what), Some(own)) = (long, &own) {
                let others: Vec<&str> = held.iter().filter(|t| *t != own).map(String::as_str).collect();
                if !others.is_empty() {
                    let text = format!(
                        "{} stay locked until this migration commits, for {what} of {own}: altered earlier in its transaction, they keep their locks to its end",
                        others.join(", ")
                    );
                    self.steps[i].hazards.push(Hazard { guarded: false, text });
                }
            }
            // A guard only reads: it blocks nobody's loads.
            let reads =
                matches!(self.steps[i].op, Op::CheckFits { .. } | Op::CheckEmpty { .. } | Op::CheckEncoding { .. });
            if let Some(own) = own.filter(|t| !held.contains(t) && !reads) {
                held.push(own);
            }
            let back = (i + 1..self.steps.len()).find(|&j| recreates(&self.steps[i].op, &self.steps[j].op));
            if let Some(j) = back.filter(|&j| part_of[j] != part_of[i]) {
                let (from, until) = (part_of[i], part_of[j]);
                let text = format!(
                    "{} is missing from the commit of part {from} until part {until} of {total} creates it again; if a part in between fails, it stays missing until migrate runs again",
                    missing(&self.steps[i].op, ns)
                );
                self.steps[i].hazards.push(Hazard { guarded: false, text });
            }
        }
    }
}

/// Whether `later` creates again what `drop` drops.
fn recreates(drop: &Op, later: &Op) -> bool {
    match (drop, later) {
        (Op::DropView { view }, Op::CreateView { view: again }) => view.name == again.name,
        (Op::DropConstraint { table, name }, Op::AddConstraint { table: t, constraint }) => {
            table == t && *name == constraint.name
        }
        _ => false,
    }
}

/// What a dropping step leaves missing, for messages.
fn missing(op: &Op, ns: &str) -> String {
    match op {
        Op::DropView { view } => display_key(ns, &view.name),
        Op::DropConstraint { table, name } => format!("constraint {name} of {}", display_key(ns, table)),
        _ => op.describe(ns),
    }
}

/// The DDL that creates every object of `project` into an empty namespace: what `render`
/// prints, and the canonical form in which `diff` shows live and desired side by side.
pub fn create_all(project: &Project, dialect: Dialect) -> Result<String> {
    Ok(plan(dialect, &project.emptied(), project)?.sql())
}
