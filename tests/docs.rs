//! The committed Markdown references under docs/schema/ are what `schema docs` writes for the
//! shipped schema and every example: the docs cannot drift from the YAML.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_docs_are_up_to_date() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let projects = [".", "examples/observability", "examples/learning-warehouse", "examples/eav-to-json"];
    let tmp = tempfile::tempdir().unwrap();
    let mut stale = Vec::new();
    for project in projects {
        let out = Command::new(env!("CARGO_BIN_EXE_schema"))
            .arg("--project")
            .arg(repo.join(project))
            .arg("docs")
            .arg("--out")
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{project}: {}", String::from_utf8_lossy(&out.stderr));
        let written = String::from_utf8_lossy(&out.stdout);
        let file = Path::new(written.trim().strip_prefix("wrote ").unwrap()).file_name().unwrap().to_owned();
        let fresh = std::fs::read_to_string(tmp.path().join(&file)).unwrap();
        let committed = repo.join("docs/schema").join(&file);
        if std::fs::read_to_string(&committed).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(committed.display().to_string());
        }
    }
    assert!(stale.is_empty(), "out of date (run `make docs` and commit): {}", stale.join(", "));
}

/// The tool's own tables are named in the README and docs as the code names them.
#[test]
fn documented_table_names_are_the_tools_own() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![repo.join("README.md")];
    pages.extend(std::fs::read_dir(repo.join("docs")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()));
    let mut wrong = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for (at, _) in text.match_indices("schema_") {
            let word: String =
                text[at..].chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
            let ours = word.starts_with("schema_migrat") || word.starts_with("schema_validat");
            if ours && !schema::layout::INTERNAL_TABLES.contains(&word.as_str()) {
                wrong.push(format!("{}: {word}", page.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "not a table of the tool's (layout::INTERNAL_TABLES): {wrong:?}");
}
