//! The pair matrix (tests/common/redshift/pairs.rs): every pair of lowering rules on a parent and
//! its child, or on a table and the materialized view reading it, applied at once on the
//! emulated Redshift holding data, then checked: rows and values kept, columns in the YAML's
//! order, identities ahead of the copied ids, owners and grants kept, no work tables left, no
//! drift, no Redshift rule broken. Four batches, run in parallel.

mod common;

use common::redshift::pairs::{matrix, run, Case};

/// Batch `n` of `of`: its cases together, and when that finds problems, each case alone, so that
/// each problem is told with its pair.
fn batch(n: usize, of: usize) {
    let cases: Vec<(usize, Case)> = matrix().into_iter().enumerate().filter(|(k, _)| k % of == n).collect();
    let problems = run(&cases);
    if problems.is_empty() {
        return;
    }
    let mut told = Vec::new();
    for (k, case) in &cases {
        let alone = run(&[(*k, *case)]);
        if !alone.is_empty() {
            told.push(format!("case {k} {case:?}:\n  {}", alone.join("\n  ")));
        }
    }
    panic!(
        "{} of {} pairs fail ({} problems together):\n{}\n\nproblems of the batch:\n{}",
        told.len(),
        cases.len(),
        problems.len(),
        told.join("\n"),
        problems.join("\n")
    );
}

#[test]
fn pairs_batch_1_of_4() {
    batch(0, 4);
}

#[test]
fn pairs_batch_2_of_4() {
    batch(1, 4);
}

#[test]
fn pairs_batch_3_of_4() {
    batch(2, 4);
}

#[test]
fn pairs_batch_4_of_4() {
    batch(3, 4);
}
