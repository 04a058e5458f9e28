//! The Redshift side of the catalog mutation corpus: no cluster is reachable, so each hand change
//! of tests/fixtures/redshift/mutations.tsv is made to the catalog rows of a freshly migrated
//! cluster (shaped as AWS documents them, tests/fixtures/redshift/features_catalog.txt); the
//! drift report on them must name it with its kind, object and property.

mod common;

use common::catalog_rows::features_catalog;
use schema::dialect::redshift::catalog as redshift;
use schema::drift;
use schema::model::Dialect;
use std::path::Path;

#[test]
fn every_redshift_catalog_mutation_is_a_finding() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = schema::load::load(&root.join("tests/fixtures/features/schema")).unwrap();
    let diff = |catalog| {
        let mut live = redshift::build(&["analytics".to_string()], &catalog);
        let desired = redshift::normalise(&project.enabled(), &mut live);
        drift::report(&project, &desired, live, Dialect::Redshift)
    };
    let clean = diff(features_catalog(|_, text| text));
    assert!(clean.findings.is_empty(), "the unchanged rows drift: {:#?}", clean.findings);

    let text = std::fs::read_to_string(root.join("tests/fixtures/redshift/mutations.tsv")).unwrap();
    let cases: Vec<Vec<String>> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(|f| f.replace("\\n", "\n")).collect())
        .collect();
    assert!(cases.len() >= 30, "{} mutations", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        let [kind, object, property, source, from, to] = &case[..] else { panic!("bad line: {case:?}") };
        let report = diff(features_catalog(|section, text| {
            if section != source {
                return text;
            }
            assert!(text.contains(from.as_str()), "{source} has no `{from}`");
            text.replacen(from.as_str(), to, 1)
        }));
        let named = report.findings.iter().any(|f| {
            f.kind.to_string() == *kind
                && f.object == *object
                && (property == "-" || f.property.as_deref() == Some(property.as_str()))
        });
        if !named {
            let found: Vec<String> = report.findings.iter().map(|f| format!("{} {}", f.kind, f.object)).collect();
            problems
                .push(format!("{source}: `{from}` -> `{to}`: wanted `{kind} {object} {property}`, found {found:?}"));
        }
    }
    assert!(problems.is_empty(), "{} of {}:\n{}", problems.len(), cases.len(), problems.join("\n"));
}
