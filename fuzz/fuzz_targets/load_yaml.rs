//! The YAML loader on one project: `schema.yaml`, a line `---8<---`, then one table or view file
//! (without the line, the whole input is that file, beside a fixed `schema.yaml`). Whatever the
//! input, loading ends with a project or diagnostics, never a panic, and a project it accepts
//! renders for each of its dialects, without a comment: no text from the YAML (a default, a
//! check, a view body) can open one in the SQL it is pasted into (`1 >-- '` ends the operator).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

const PROJECT: &str = "name: fuzz\nnamespace: fuzz\ndialects: [postgres, redshift]\nphases: [1, 2]\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (project, object) = text.split_once("\n---8<---\n").unwrap_or((PROJECT, text));
    let dir = Path::new("/fuzz/schema");
    let files = vec![
        (dir.join("schema.yaml"), Ok(project.to_string())),
        (dir.join("tables/object.yaml"), Ok(object.to_string())),
    ];
    match schema::load::load_texts(dir, files) {
        Ok(project) => {
            for &dialect in &project.dialects {
                let ddl = schema::plan::create_all(&project.enabled(), dialect).expect("an accepted project renders");
                let mut tokens = schema::sql::lexer::tokens(&ddl, schema::driver(dialect).escapes());
                assert!(!tokens.any(|t| t.is_comment()), "a comment in the DDL of an accepted project:\n{ddl}");
            }
        }
        // The semantic pass runs on a thread of its own, which turns a panic into this.
        Err(diags) => assert!(!diags.iter().any(|d| d.message == "the semantic checks failed to run"), "{diags:?}"),
    }
});
