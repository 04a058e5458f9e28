//! The JSON Schemas of the YAML files (schema/.jsonschema): up to date with the loader's types,
//! accepting the shipped project and the examples, rejecting the key and type mistakes of the
//! malformed corpus.

use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schema/.jsonschema").join(name)).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// The document a YAML file holds, as JSON, and which schema it answers to; None when the text is
/// not YAML at all (a syntax error no schema sees).
fn document(path: &Path, text: &str, project_file: bool) -> Option<(serde_json::Value, &'static str)> {
    let value: serde_json::Value = serde_yaml::from_str(text).ok()?;
    let kind = if project_file || path.file_name().is_some_and(|n| n == "schema.yaml") {
        "project.json"
    } else if value.get("table").is_some() {
        "table.json"
    } else {
        "view.json"
    };
    Some((value, kind))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn the_checked_in_schemas_are_those_the_loader_generates() {
    for (name, text) in schema::load::json_schema::documents() {
        let path = repo().join("schema/.jsonschema").join(name);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(checked_in == text, "{} is out of date: run `make jsonschema`", path.display());
    }
}

#[test]
fn the_shipped_project_and_the_examples_validate() {
    let mut files = Vec::new();
    yaml_files(&repo().join("schema"), &mut files);
    for example in std::fs::read_dir(repo().join("examples")).unwrap() {
        let dir = example.unwrap().path().join("schema");
        if dir.is_dir() {
            yaml_files(&dir, &mut files);
        }
    }
    assert!(files.len() > 30, "{} files", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (value, kind) = document(&path, &text, false).unwrap();
        let errors: Vec<String> = validator(kind).iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{} against {kind}: {errors:#?}", path.display());
    }
}

#[test]
fn the_key_and_type_mistakes_of_the_malformed_corpus_are_refused() {
    let cases = repo().join("tests/malformed/cases");
    let mut checked = 0;
    for entry in std::fs::read_dir(&cases).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // What serde refuses before any semantic check: the schema must refuse it too.
        let typed = text.lines().take_while(|l| l.starts_with('#')).any(|l| {
            l.starts_with("# expect:")
                && ["unknown field", "invalid type", "unknown variant"].iter().any(|m| l.contains(m))
        });
        let Some((value, kind)) = document(&path, &text, text.starts_with("# project-file")).filter(|_| typed) else {
            continue;
        };
        assert!(!validator(kind).is_valid(&value), "{} passes {kind}", path.display());
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} cases checked");
}
