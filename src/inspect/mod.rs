//! Model → YAML project files in the documented format (docs/yaml-reference.md): the inverse
//! of `load`, so that `schema inspect` can adopt an existing database. Only what differs from
//! the format's defaults is written.

use crate::db::Target;
use crate::dialect::redshift::attrs::Spelling;
use crate::dialect::{catalog::Live, driver};
use crate::error::{Error, Result};
use crate::load::json_schema::{modeline, Kind};
use crate::model::*;
use std::collections::BTreeMap;
use std::path::Path;

mod adoptable;
mod attrs;
mod indexes;

/// What `inspect` produced: the files (paths relative to the YAML folder; written under
/// `written` when a folder was given) and what could not be expressed.
pub struct Adopted {
    pub files: Vec<(String, String)>,
    pub warnings: Vec<String>,
    /// Where the project went; None when printed, or when the self-check found differences
    /// and `force` was not given (then nothing was written or printed).
    pub written: Option<std::path::PathBuf>,
    /// How the project, loaded and built as `schema diff` builds it, differs from the database
    /// it was read from: empty when it reproduces it (apart from what `ignore:` lists).
    pub differences: Vec<String>,
    pub tables: usize,
    pub views: usize,
}

impl Adopted {
    /// Whether the files are given (written or printed): the self-check was clean, or forced.
    pub fn given(&self, force: bool) -> bool {
        self.differences.is_empty() || force
    }
}

/// `schema inspect`: reads the namespaces (the first becomes the project's, the others are
/// managed beside it) and prints its project files, or writes a whole project
/// into `out` (an empty or new folder): `schema/` with the YAML and an empty `migrations/`, so
/// `schema --project <out> generate` and `baseline` work on it as they are. Warnings say what the
/// YAML cannot carry. Before anything is written the project proves itself: it is loaded and
/// compared with the database exactly as `schema diff` would (`self_check`); with differences,
/// nothing is written unless `force`.
pub fn adopt(
    target: &Target,
    namespaces: &[String],
    name: Option<String>,
    out: Option<&Path>,
    force: bool,
) -> Result<Adopted> {
    // Said before the catalog is read, and plainly.
    if let Some(dir) = out {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::new(format!(
                "--out {} is not a folder: inspect writes a project (schema/ and migrations/) into an empty or new folder",
                dir.display()
            )));
        }
        if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(Error::new(format!(
                "{} is not empty: inspect writes only into an empty or new folder",
                dir.display()
            )));
        }
    }
    let mut client = target.connect()?;
    let (live, _) = driver(target.dialect()).inspect(&mut client, namespaces, None)?;
    // The self-check compares with this same read (no second one, where the driver can).
    let mut read = live.clone();
    let mut adopted = live.project;
    adopted.name = name.unwrap_or_else(|| namespaces[0].clone());
    let (files, mut warnings, loaded) =
        adoptable::adoptable(&mut adopted, &live.unmanaged, &live.routines, &live.outside_extensions)
            .map_err(Error::new)?;
    // The read found those outside the managed namespaces through the types the columns use.
    read.project.extensions.extend(adopted.extensions.iter().cloned());
    warnings.extend(live.warnings);
    warnings.extend(
        live.foreign_types
            .iter()
            .map(|(t, c, ty)| format!("{t}.{c}: type `{ty}` cannot be written in the YAML format; left out")),
    );
    warnings.extend(live.unknown.iter().map(|(object, what)| format!("{object}: the catalog does not show {what}")));
    if adopted.tables.is_empty() && adopted.views.is_empty() {
        warnings.push(format!("{} has no tables or views on {}", namespaces.join(", "), target.redacted()));
    }
    let (tables, views) = (adopted.tables.len(), adopted.views.len());
    let differences = self_check(&mut client, target, &loaded, read, &mut warnings)?;
    let adopted = Adopted { files, warnings, written: None, differences, tables, views };
    let Some(dir) = out.filter(|_| adopted.given(force)) else {
        return Ok(adopted);
    };
    let layout = crate::layout::Layout::find(dir);
    for (path, text) in &adopted.files {
        let path = layout.schema.join(path);
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| Error::new(format!("writing {}: {e}", path.display())))?;
    }
    std::fs::create_dir_all(&layout.migrations)
        .map_err(|e| Error::new(format!("creating {}: {e}", layout.migrations.display())))?;
    crate::load::json_schema::write(&layout.schema.join(crate::load::json_schema::FOLDER))
        .map_err(|e| Error::new(format!("writing the JSON schemas into {}: {e}", layout.schema.display())))?;
    Ok(Adopted { written: Some(dir.to_path_buf()), ..adopted })
}

/// The project the files load into (as `schema` loads a project), compared with the database as
/// `schema diff` compares them (the desired state built in its rolled-back scratch
/// transaction): each finding, or the canonical DDL's difference, as one line. A materialized
/// view not populated (a schema-only restore leaves them so) is the data's state, not the
/// project's: a warning, which `schema diff` repeats until it is refreshed.
fn self_check(
    client: &mut postgres::Client,
    target: &Target,
    project: &Project,
    read: Live,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>> {
    let report = crate::drift::compare(client, target.dialect(), project, Some(read))?;
    let (state, findings): (Vec<_>, Vec<_>) =
        report.findings.iter().partition(|f| f.kind == crate::diff::findings::Kind::MvState);
    for f in state {
        let found = f.actual.as_deref().unwrap_or_default();
        warnings.push(format!("{}: {found}; `schema diff` reports it until the view is refreshed", f.object));
    }
    let mut differences: Vec<String> = findings.iter().map(|f| f.summary()).collect();
    if differences.is_empty() && !report.diff.is_empty() {
        differences.push(format!("the canonical DDL differs:\n{}", report.diff));
    }
    Ok(differences)
}

/// `schema.yaml`, `tables/<name>.yaml` and `views/<name>.yaml` (paths relative to the YAML
/// folder) with their text, plus what could not be expressed and was left out.
pub fn files(project: &Project) -> (Vec<(String, String)>, Vec<String>) {
    let mut warnings = Vec::new();
    let dialects: Vec<&str> = project.dialects.iter().map(|d| d.name()).collect();
    let mut settings = format!("name: {}\nnamespace: {}\n", scalar(&project.name), scalar(&project.namespace));
    if !project.namespaces.is_empty() {
        settings.push_str(&format!("namespaces: {}\n", list(&project.namespaces)));
    }
    settings.push_str(&format!("dialects: [{}]\nphases: [1]\n", dialects.join(", ")));
    if !project.ignore.is_empty() {
        settings.push_str(&format!("ignore: {}\n", list(&project.ignore)));
    }
    if !project.enums.is_empty() {
        settings.push_str("enums:\n");
        for (name, values) in &project.enums {
            settings.push_str(&format!("  {}: {}\n", scalar(name), list(values)));
        }
    }
    if !project.extensions.is_empty() {
        let names: Vec<String> = project.extensions.iter().cloned().collect();
        settings.push_str(&format!("extensions: {}\n", list(&names)));
    }
    if !project.sequences.is_empty() {
        settings.push_str("sequences:\n");
        for (name, s) in &project.sequences {
            settings.push_str(&format!("  {}: {}\n", scalar(name), sequence(&s.minimal())));
        }
    }
    if !project.domains.is_empty() {
        settings.push_str("domains:\n");
        for (name, d) in &project.domains {
            settings.push_str(&format!("  {}: {}\n", scalar(name), domain(d)));
        }
    }
    let mut files = vec![(Kind::Project, "schema.yaml".to_string(), settings)];
    let paths = object_paths(project);
    for (t, path) in project.tables.iter().zip(&paths) {
        files.push((Kind::Table, path.0.clone(), table(t, &mut warnings)));
    }
    for (v, path) in project.views.iter().zip(&paths[project.tables.len()..]) {
        files.push((Kind::View, path.0.clone(), view(v, &mut warnings)));
    }
    // Editors with a YAML language server check each file against the schemas written beside.
    let files = files
        .into_iter()
        .map(|(kind, path, text)| {
            let line = modeline(kind, Path::new(&path));
            (path, line + &text)
        })
        .collect();
    (files, warnings)
}

/// The file of each table (`tables/<name>.yaml`), then of each view (`views/<name>.yaml`), with
/// its name. On a file system that ignores case, `User` and `user` would be one file: a name
/// equal to an earlier one of its folder but for case is written `<name>.2.yaml` (`.3`, ...),
/// which no other object's file can be (a table or view name holds no dot).
pub(super) fn object_paths(project: &Project) -> Vec<(String, String)> {
    let names =
        (project.tables.iter().map(|t| ("tables", &t.name))).chain(project.views.iter().map(|v| ("views", &v.name)));
    let mut seen: BTreeMap<(&str, String), usize> = BTreeMap::new();
    names
        .map(|(folder, name)| {
            let count = seen.entry((folder, name.to_lowercase())).or_default();
            *count += 1;
            let stem = match *count {
                1 => name.clone(),
                n => format!("{name}.{n}"),
            };
            (format!("{folder}/{stem}.yaml"), name.clone())
        })
        .collect()
}

fn table(t: &Table, warnings: &mut Vec<String>) -> String {
    let mut y = format!("table: {}\n", scalar(&t.name));
    if let Some(d) = &t.description {
        y.push_str(&format!("description: {}\n", scalar(d)));
    }
    attrs::table_lines(t, &mut y);
    lines(&mut y, t.redshift.yaml(&SPELLING));
    y.push_str(if t.columns.is_empty() { "columns: []\n" } else { "columns:\n" });
    for c in &t.columns {
        let mut fields = vec![format!("name: {}", scalar(&c.name)), format!("type: {}", attrs::column_type(c))];
        let implied = t.primary_key.contains(&c.name) || c.identity.is_some() || c.postgres.serial;
        if !c.nullable && !implied {
            fields.push("nullable: false".into());
        }
        if let Some(d) = &c.default {
            fields.push(format!("default: {}", expression(d)));
        }
        attrs::column_fields(c, &mut fields);
        fields.extend(c.redshift.yaml(&SPELLING));
        if let Some(d) = &c.description {
            fields.push(format!("description: {}", scalar(d)));
        }
        y.push_str(&format!("  - {{ {} }}\n", fields.join(", ")));
    }
    // Keys in the short form unless they carry a name or an option (only those differing from
    // the defaults are written).
    match &t.primary_key_name {
        _ if t.primary_key.is_empty() => {}
        Some(name) => {
            y.push_str(&format!("primary_key: {{ columns: {}, name: {} }}\n", list(&t.primary_key), scalar(name)))
        }
        None => y.push_str(&format!("primary_key: {}\n", list(&t.primary_key))),
    }
    if !t.unique.is_empty() {
        y.push_str("unique:\n");
        for u in &t.unique {
            let mut fields = vec![format!("columns: {}", list(&u.columns))];
            fields.extend(u.name.as_deref().map(|n| format!("name: {}", scalar(n))));
            if u.nulls_not_distinct {
                fields.push("nulls_not_distinct: true".into());
            }
            match fields.len() {
                1 => y.push_str(&format!("  - {}\n", list(&u.columns))),
                _ => y.push_str(&format!("  - {{ {} }}\n", fields.join(", "))),
            }
        }
    }
    if !t.foreign_keys.is_empty() {
        y.push_str("foreign_keys:\n");
        for fk in &t.foreign_keys {
            y.push_str(&format!("  - {}\n", foreign_key(fk)));
        }
    }
    if !t.check_constraints.is_empty() {
        y.push_str("check_constraints:\n");
        for k in &t.check_constraints {
            y.push_str(&format!("  - {{ name: {}, expression: {} }}\n", scalar(&k.name), expression(&k.expression)));
        }
    }
    attrs::exclusion_lines(t, &mut y);
    attrs::partition_lines(t, &mut y);
    indexes::write(&mut y, &t.indexes);
    grants(&mut y, &t.name, &t.grants, false, warnings);
    y
}

fn view(v: &View, warnings: &mut Vec<String>) -> String {
    let key = if v.materialized { "materialized_view" } else { "view" };
    let mut y = format!("{key}: {}\n", scalar(&v.name));
    if let Some(d) = &v.description {
        y.push_str(&format!("description: {}\n", scalar(d)));
    }
    if v.materialized {
        lines(&mut y, v.redshift.yaml(&SPELLING));
        indexes::write(&mut y, &v.indexes);
    }
    if v.late_binding {
        y.push_str("late_binding: true\n");
    }
    attrs::view_lines(v, &mut y);
    grants(&mut y, &v.name, &v.grants, true, warnings);
    // A literal block; its indentation is that of the first line, so that one starts flush.
    y.push_str("sql: |\n");
    for line in crate::sql::escape_strings(v.sql.trim()).lines() {
        let line = line.trim_end();
        if line.is_empty() {
            y.push('\n');
        } else {
            y.push_str(&format!("  {line}\n"));
        }
    }
    y
}

/// `{ type: integer, start: 1000 }`: the options given, in the reference's order.
/// `{ type: text, nullable: false, default: ..., check_constraints: [{ name, expression }] }`.
fn domain(d: &crate::model::Domain) -> String {
    let checks: Vec<String> = (d.check_constraints.iter())
        .map(|k| format!("{{ name: {}, expression: {} }}", scalar(&k.name), expression(&k.expression)))
        .collect();
    let fields: Vec<String> = std::iter::once(format!("type: {}", scalar(&d.ty.to_string())))
        .chain((!d.nullable).then(|| "nullable: false".to_string()))
        .chain(d.default.as_ref().map(|x| format!("default: {}", expression(x))))
        .chain((!checks.is_empty()).then(|| format!("check_constraints: [{}]", checks.join(", "))))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

fn sequence(s: &Sequence) -> String {
    let numbers = [("start", s.start), ("increment", s.increment), ("min", s.min), ("max", s.max), ("cache", s.cache)];
    let fields: Vec<String> = (s.ty.map(|t| format!("type: {t}")).into_iter())
        .chain(numbers.iter().filter_map(|(key, v)| v.map(|v| format!("{key}: {v}"))))
        .chain(s.cycle.then(|| "cycle: true".to_string()))
        .collect();
    if fields.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", fields.join(", "))
    }
}

/// A foreign key as a flow mapping: its name and the options that differ from the defaults.
fn foreign_key(fk: &ForeignKey) -> String {
    let target = format!("references: {{ table: {}, columns: {} }}", scalar(&fk.table), list(&fk.references));
    let mut fields = vec![format!("columns: {}", list(&fk.columns)), target];
    fields.extend(fk.name.as_deref().map(|n| format!("name: {}", scalar(n))));
    for (field, action) in [("on_delete", fk.on_delete), ("on_update", fk.on_update)] {
        if action != Action::NoAction {
            fields.push(format!("{field}: {}", action.name()));
        }
    }
    if fk.match_full {
        fields.push("match: full".into());
    }
    match fk.deferrable {
        Deferrable::No => {}
        Deferrable::Immediate => fields.push("deferrable: true".into()),
        Deferrable::Deferred => fields.push("deferrable: initially_deferred".into()),
    }
    format!("{{ {} }}", fields.join(", "))
}

/// The grants found, minus what the format cannot hold (names that are not identifiers, and
/// on a view anything but SELECT), which is left out with a warning.
fn grants(y: &mut String, object: &str, grants: &Option<Vec<Grant>>, view: bool, warnings: &mut Vec<String>) {
    let mut lines = Vec::new();
    for g in grants.iter().flatten() {
        if let Some(Err(e)) = g.to.name().map(crate::load::check_ident) {
            warnings.push(format!("{object}: grant {g}: {e}; left out"));
            continue;
        }
        let (kept, dropped): (Vec<Privilege>, Vec<Privilege>) =
            g.privileges.iter().partition(|p| !view || **p == Privilege::Select);
        if !dropped.is_empty() {
            let left = Grant { to: g.to.clone(), privileges: dropped };
            warnings.push(format!("{object}: grant {left}: a view takes SELECT only in the YAML; left out"));
        }
        if !kept.is_empty() {
            let privileges: Vec<String> = kept.iter().map(|p| p.name().to_string()).collect();
            lines.push(format!("  - {{ to: {}, privileges: {} }}\n", scalar(&g.to.to_string()), list(&privileges)));
        }
    }
    if !lines.is_empty() {
        y.push_str("grants:\n");
        y.push_str(&lines.concat());
    }
}

/// How a driver's own properties spell names in the YAML.
const SPELLING: Spelling = Spelling { name: &scalar, list: &list };

fn lines(y: &mut String, lines: Vec<String>) {
    lines.into_iter().for_each(|line| y.push_str(&(line + "\n")));
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|i| scalar(i)).collect::<Vec<_>>().join(", "))
}

/// SQL the server printed, as a YAML scalar the loader takes back (see `sql::escape_strings`).
pub(super) fn expression(text: &str) -> String {
    scalar(&crate::sql::escape_strings(text))
}

/// A YAML scalar safe in block and flow context: plain when it is a name or a type like
/// `decimal(5)`, else double-quoted (a JSON string is a valid YAML double-quoted scalar).
fn scalar(text: &str) -> String {
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text == text.trim()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "_ .()".contains(c))
        && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(&text.to_ascii_lowercase().as_str());
    if plain {
        return text.to_string();
    }
    // JSON leaves DEL and the C1 controls as they are, which the loader refuses in a file.
    let json = serde_json::to_string(text).expect("a string serialises");
    json.chars().map(|c| if c.is_control() { format!("\\u{:04x}", c as u32) } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("event_date"), "event_date");
        assert_eq!(scalar("double precision"), "double precision");
        assert_eq!(scalar("decimal(5,4)"), "\"decimal(5,4)\"");
        assert_eq!(scalar("'Unknown'::character varying"), "\"'Unknown'::character varying\"");
        assert_eq!(scalar("no"), "\"no\"");
        assert_eq!(scalar("It's: fine\n"), "\"It's: fine\\n\"");
        assert_eq!(scalar("del\u{7f} nel\u{85}"), "\"del\\u007f nel\\u0085\"");
    }

    #[test]
    fn grants_are_written_as_the_loader_reads_them() {
        let dir = Path::new("/p");
        let load = |files: Vec<(String, String)>| {
            let texts = files.into_iter().map(|(f, t)| (dir.join(f), Ok(t))).collect();
            crate::load::load_texts(dir, texts).unwrap_or_else(|d| panic!("{d:?}"))
        };
        let settings = "name: p\nnamespace: ns\ndialects: [redshift]\ngrants: [{ to: public, privileges: [select] }]\n";
        let table =
            "table: t\ncolumns:\n  - { name: id, type: bigint }\ngrants: [{ to: role etl, privileges: [insert] }]\n";
        let view = "view: v\nsql: SELECT id FROM {{ ref('t') }}\n";
        let files = [("schema.yaml", settings), ("tables/t.yaml", table), ("views/v.yaml", view)];
        let mut project = load(files.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect());
        let (written, warnings) = super::files(&project);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(written[1].1.ends_with(
            "grants:\n  - { to: role etl, privileges: [insert] }\n  - { to: public, privileges: [select] }\n"
        ));
        let again = load(written);
        assert_eq!(
            (&again.tables[0].grants, &again.views[0].grants),
            (&project.tables[0].grants, &project.views[0].grants)
        );
        // What the format cannot hold is left out, with a warning.
        project.views[0].grants =
            Some(vec![Grant { to: Grantee::Role("Etl".into()), privileges: vec![Privilege::Select] }]);
        project.tables[0].grants = None;
        let (written, warnings) = super::files(&project);
        assert!(!written.iter().any(|(_, y)| y.contains("grants:")));
        assert!(
            warnings[0].starts_with("v: grant SELECT to role Etl: `Etl` is not a valid identifier"),
            "{warnings:?}"
        );
    }
}
