//! JSON Schemas of the YAML files, generated from the loader's own document types (`docs`), so an
//! editor with a YAML language server completes and checks keys as the loader will. The
//! repository keeps them in `schema/.jsonschema/` (a test fails when they are out of date);
//! `init` and `inspect --out` write them into the projects they create, with a modeline naming
//! them at the top of every file.

use super::docs::{ProjectDoc, TableDoc, ViewDoc};
use std::path::{Path, PathBuf};

/// The folder, inside a project's YAML folder, holding the schemas.
pub const FOLDER: &str = ".jsonschema";

/// Which document a YAML file holds.
#[derive(Clone, Copy)]
pub enum Kind {
    Project,
    Table,
    View,
}

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::Project => "project.json",
            Kind::Table => "table.json",
            Kind::View => "view.json",
        }
    }
}

/// Each schema's file name and text.
pub fn documents() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (kind, mut schema, title) in [
        (Kind::Project, schemars::schema_for!(ProjectDoc), "schema.yaml: a schema project's settings"),
        (Kind::Table, schemars::schema_for!(TableDoc), "A table of a schema project"),
        (Kind::View, schemars::schema_for!(ViewDoc), "A view or materialized view of a schema project"),
    ] {
        schema.insert("title".into(), title.into());
        let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        out.push((kind.file(), text));
    }
    out
}

/// The yaml-language-server modeline of a file at `relative` (to the YAML folder) holding `kind`.
pub fn modeline(kind: Kind, relative: &Path) -> String {
    let depth = relative.components().count().saturating_sub(1);
    format!("# yaml-language-server: $schema={}{FOLDER}/{}\n", "../".repeat(depth), kind.file())
}

/// Writes the schemas into `dir` (a project's is `<yaml folder>/.jsonschema`); returns the paths.
pub fn write(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, text) in documents() {
        std::fs::write(dir.join(name), text)?;
        written.push(dir.join(name));
    }
    Ok(written)
}
