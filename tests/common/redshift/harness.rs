//! A project in a temp folder whose Redshift migrations are applied to an emulated database as
//! `schema generate` writes them, with the checks run after each.

use super::access::{access, access_kept, column_order, Access};
use super::checks::{
    foreign_keys, grants, identities_ahead, load, no_drift, no_leftovers, rows_kept, snapshot_of, unmoved,
};
use super::{apply_file, migration_files, static_violations_dir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Emulated {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub url: String,
    applied: Vec<PathBuf>,
}

/// What applying one YAML edit's migrations gave.
pub struct Outcome {
    /// The new Redshift migration files.
    pub files: Vec<PathBuf>,
    /// The first failure while applying them.
    pub applied: Result<(), String>,
    /// Static violations of the new files, and, when they applied, failed checks.
    pub problems: Vec<String>,
}

impl Emulated {
    /// A project whose YAML folder `schema/` is filled by `fill`, on a fresh database that has
    /// the stand-ins of the Redshift catalog views the migrations read.
    pub fn new(fill: impl FnOnce(&Path)) -> Emulated {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        std::fs::create_dir_all(root.join("schema")).unwrap();
        fill(&root.join("schema"));
        let url = crate::common::fresh_database();
        crate::common::psql(&url, schema::dialect::redshift::emulation::STAND_INS);
        Emulated { _tmp: tmp, root, url, applied: Vec::new() }
    }

    /// A copy of the shipped project's YAML.
    pub fn shipped() -> Emulated {
        Emulated::new(|dir| crate::common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema"), dir))
    }

    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.root.join("schema").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    pub fn write(&self, file: &str, text: &str) {
        let path = self.root.join("schema").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn sql(&self, sql: &str) -> String {
        crate::common::psql(&self.url, sql)
    }

    pub fn namespace(&self) -> String {
        load(&self.root).namespace
    }

    /// `schema generate` (no database needed); a refusal is a broken test, not a finding.
    pub fn generate(&self, name: &str, flags: &[&str]) {
        let out = Command::new(env!("CARGO_BIN_EXE_schema"))
            .arg("--project")
            .arg(&self.root)
            .args(["generate", "--name", name])
            .args(flags)
            .output()
            .unwrap();
        assert!(out.status.success(), "schema generate --name {name} {flags:?}:\n{}", crate::common::text(&out));
    }

    /// Redshift migrations not applied yet, by version.
    pub fn pending(&self) -> Vec<PathBuf> {
        let all = migration_files(&self.root.join("migrations/redshift"));
        all.into_iter().filter(|f| !self.applied.contains(f)).collect()
    }

    /// Applies the pending Redshift migrations; stops at the first failure.
    pub fn apply_pending(&mut self) -> (Vec<PathBuf>, Result<(), String>) {
        let files = self.pending();
        for f in &files {
            self.applied.push(f.clone());
            if let Err(e) = apply_file(&self.url, f) {
                return (files, Err(e));
            }
        }
        (files, Ok(()))
    }

    /// Static violations of some migration files, read in the context of every file before.
    pub fn static_violations(&self, files: &[PathBuf]) -> Vec<String> {
        let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().to_string()).collect();
        let all = static_violations_dir(&self.root.join("migrations/redshift"));
        all.into_iter().filter(|v| names.iter().any(|n| v.starts_with(&format!("{n}: ")))).collect()
    }

    /// Generates the migration of the YAML as it is now, applies the new Redshift files on the
    /// data already there, and runs every check: (a) rows kept (`renames`: table, from, to),
    /// (b) identities ahead, (c) no leftovers, (d) foreign keys, (e) no drift, (f) static rules,
    /// (g) grants, (h) owners and grants the YAML does not manage kept, (i) columns in the YAML's
    /// order.
    pub fn step(&mut self, name: &str, flags: &[&str], renames: &[(&str, &str, &str)]) -> Outcome {
        self.step_moving(name, flags, renames, &[])
    }

    /// The same when tables move to other namespaces (`moves`: old key, new key): they are
    /// compared with what they were.
    pub fn step_moving(
        &mut self,
        name: &str,
        flags: &[&str],
        renames: &[(&str, &str, &str)],
        moves: &[(&str, &str)],
    ) -> Outcome {
        let before = self.before();
        self.generate(name, flags);
        let (files, applied) = self.apply_pending();
        let mut problems: Vec<String> =
            self.static_violations(&files).into_iter().map(|v| format!("static: {v}")).collect();
        if applied.is_ok() {
            problems.extend(self.checks_moving(&before, renames, moves));
        }
        Outcome { files, applied, problems }
    }

    /// What the checks compare with: the rows, owners and grants before a migration, in every
    /// namespace the project manages.
    pub fn before(&self) -> Before {
        let namespaces = load(&self.root).managed_namespaces();
        Before {
            rows: snapshot_of(&mut crate::common::Db::connect(&self.url), &namespaces),
            access: access(&self.url, &namespaces),
        }
    }

    /// Checks (a) to (i), except (f), against what was there before the migration.
    pub fn checks(&self, before: &Before, renames: &[(&str, &str, &str)]) -> Vec<String> {
        self.checks_moving(before, renames, &[])
    }

    pub fn checks_moving(
        &self,
        before: &Before,
        renames: &[(&str, &str, &str)],
        moves: &[(&str, &str)],
    ) -> Vec<String> {
        let project = load(&self.root);
        let ns = &project.namespace;
        let namespaces = project.managed_namespaces();
        let after = unmoved(snapshot_of(&mut crate::common::Db::connect(&self.url), &namespaces), moves);
        let tagged = |tag: &str, v: Vec<String>| v.into_iter().map(|p| format!("{tag}: {p}")).collect::<Vec<_>>();
        let mut out = tagged("rows", rows_kept(&before.rows, &after, renames));
        out.extend(tagged("identity", identities_ahead(&self.url, &project)));
        out.extend(tagged("leftover", no_leftovers(&self.url, ns)));
        out.extend(tagged("foreign keys", foreign_keys(&self.url, &project)));
        out.extend(tagged("grants", grants(&self.url, &project)));
        out.extend(tagged("diff", no_drift(&self.root, &self.url, &project)));
        let access_after = unmoved(access(&self.url, &namespaces), moves);
        out.extend(tagged("access", access_kept(&before.access, &access_after, &project)));
        out.extend(tagged("column order", column_order(&self.url, &project)));
        out
    }
}

/// The state of the database a migration starts from.
pub struct Before {
    pub rows: super::checks::Snapshot,
    pub access: BTreeMap<String, Access>,
}
