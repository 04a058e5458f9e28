//! What of a live namespace the YAML format can hold. Names are any PostgreSQL accepts where
//! the project's dialects keep a quoted name's case, else identifiers of `[a-z_][a-z0-9_]*`; a
//! table or view's holds no `/` (docs/yaml-reference.md); an object
//! that breaks a rule is not written but listed in `ignore:`, so the project loads and `diff`
//! does not report it, and so is every view reading it; a foreign key to it is left out alone
//! (its table stays). As a last guard the files are loaded before they are written: an object whose
//! file does not load is set aside the same way, with the loader's message.

use crate::diff::findings::{Kind, Unmanaged};
use crate::load::{check_ident, check_name, check_relation_name, load_texts, names_keep_case};
use crate::model::{split_key, ColumnType, Project};
use std::collections::BTreeMap;
use std::path::Path;

/// Project files (path relative to the YAML folder, text) and warnings.
/// Project files (path relative to the YAML folder, text), warnings, and the project the files
/// load into.
type Written = (Vec<(String, String)>, Vec<String>, Project);

/// Moves what the format cannot hold out of `project` into its `ignore:` list; returns the
/// files, which load, and a warning per object set aside. An error when even `schema.yaml`
/// does not load (the namespace itself is not an identifier). A view that calls a routine of
/// the namespace (`routines`) is set aside too: a database rebuilt from the YAML lacks it. An
/// extension outside the managed namespaces whose types columns use (`extensions`: table,
/// column, `ns.name`) is declared, so the migrations create it.
pub fn adoptable(
    project: &mut Project,
    unmanaged: &[Unmanaged],
    routines: &[(String, String)],
    extensions: &[(String, String, String)],
) -> Result<Written, String> {
    let keep_case = names_keep_case(&project.dialects);
    let mut aside: BTreeMap<String, String> = BTreeMap::new();
    for t in &project.tables {
        if let Some(why) = table_problem(t, keep_case) {
            aside.insert(t.name.clone(), why);
        }
    }
    for v in &project.views {
        if let Err(e) = check_relation_name(split_key(&v.name).1, keep_case) {
            aside.insert(v.name.clone(), e);
        }
    }
    for (view, routine) in routines {
        let why = format!("it calls {routine}, which the YAML cannot hold (a routine of the namespace)");
        aside.entry(view.clone()).or_insert(why);
    }
    // An enum the YAML can name: a name that is no built-in type's (`type: text` is the
    // built-in; `type: Text` names an enum `Text`). Columns of the others are left out (the
    // self-check then names each), not written as the built-in type of that name.
    let named = |name: &String| {
        check_name(name, keep_case).is_ok()
            && (check_ident(name).is_err() || ColumnType::parse(name) == Ok(ColumnType::Enum(name.clone())))
    };
    for name in project.enums.keys().filter(|n| !named(n)) {
        aside.insert(name.clone(), "an enum type whose name the YAML cannot write as a type".into());
    }
    project.enums.retain(|name, _| named(name));
    let mut left_out = Vec::new();
    for t in &mut project.tables {
        t.columns.retain(|c| {
            let unnamed = c.ty.enum_name().is_some_and(|name| !project.enums.contains_key(name));
            if unnamed {
                let ty = format!("{}.{}", project.namespace, c.ty);
                left_out
                    .push(format!("{}.{}: type `{ty}` cannot be written in the YAML format; left out", t.name, c.name));
            }
            !unnamed
        });
    }
    let writable = |name: &String| check_name(name, keep_case).is_ok();
    for name in project.sequences.keys().filter(|n| !writable(n)) {
        aside.insert(name.clone(), "a sequence whose name the YAML cannot write".into());
    }
    project.sequences.retain(|name, _| writable(name));
    for name in project.domains.keys().filter(|n| !writable(n)) {
        aside.insert(name.clone(), "a domain whose name the YAML cannot write".into());
    }
    project.domains.retain(|name, _| writable(name));
    let mut warnings = left_out;
    warnings.extend(outside_types(project, extensions));
    // Each round sets aside at least one more object, or stops.
    for _ in 0..=project.tables.len() + project.views.len() {
        set_aside(project, &mut aside, &mut warnings);
        let (files, left_out) = super::files(project);
        let dir = Path::new("/adopted");
        let texts = files.iter().map(|(path, text)| (dir.join(path), Ok(text.clone()))).collect();
        let diagnostics = match load_texts(dir, texts) {
            Ok(mut loaded) => {
                // Ignore rules for what the YAML does not hold change only schema.yaml's
                // `ignore:` list: the loaded project takes it as the files now say it.
                let (files, left_out) = if unmanaged_rules(project, unmanaged, &mut warnings) {
                    super::files(project)
                } else {
                    (files, left_out)
                };
                loaded.ignore = project.ignore.clone();
                warnings.extend(left_out);
                return Ok((files, warnings, loaded));
            }
            Err(diagnostics) => diagnostics,
        };
        let paths: BTreeMap<String, String> = super::object_paths(project).into_iter().collect();
        for d in diagnostics {
            let file = d.file.strip_prefix(dir).unwrap_or(&d.file).to_string_lossy().into_owned();
            match paths.get(&file).cloned() {
                Some(name) => {
                    aside
                        .entry(name)
                        .or_insert_with(|| format!("the YAML written for it does not load: {}", d.message));
                }
                None => return Err(format!("the namespace cannot be adopted: {}", d.message)),
            }
        }
    }
    Err("the namespace cannot be adopted: its objects keep failing to load".into())
}

/// Why a table cannot be written, if it cannot.
fn table_problem(t: &crate::model::Table, keep_case: bool) -> Option<String> {
    if let Err(e) = check_relation_name(split_key(&t.name).1, keep_case) {
        return Some(e);
    }
    let names = t.columns.iter().map(|c| (&c.name, "column")).chain(t.indexes.iter().map(|i| (&i.name, "index")));
    for (name, what) in names {
        if let Err(e) = check_name(name, keep_case) {
            return Some(format!("{what} {e}"));
        }
    }
    None
}

/// Removes the objects in `aside` and the views that read them, adding their names to
/// `ignore:` and a warning for each one not set aside before. A foreign key to a table set
/// aside, or into a namespace the project does not manage, is left out alone: its table stays,
/// and `foreign_key <table>.<name>` in `ignore:` keeps diff from reporting it.
fn set_aside(project: &mut Project, aside: &mut BTreeMap<String, String>, warnings: &mut Vec<String>) {
    let managed: Vec<String> = std::iter::once(&project.namespace).chain(&project.namespaces).cloned().collect();
    let mut rules = Vec::new();
    for t in project.tables.iter_mut().filter(|t| !aside.contains_key(&t.name)) {
        let names = crate::diff::foreign_key_names(t);
        let mut kept = Vec::new();
        for (fk, name) in std::mem::take(&mut t.foreign_keys).into_iter().zip(names) {
            let outside = split_key(&fk.table).0.is_some_and(|ns| !managed.iter().any(|m| m == ns));
            let why = match (outside, aside.contains_key(&fk.table)) {
                (true, _) => "outside the managed namespaces (inspect with `--namespace` listing it too to manage it)",
                (_, true) => "which is left out",
                _ => {
                    kept.push(fk);
                    continue;
                }
            };
            let rule = format!("foreign_key {}.{name}", t.name);
            let columns = fk.columns.join(", ");
            warnings.push(format!(
                "{}: foreign key {name} ({columns}) references {}, {why}; left out and listed in `ignore:` as `{rule}`",
                t.name, fk.table
            ));
            rules.push(rule);
        }
        t.foreign_keys = kept;
    }
    project.ignore.extend(rules);
    loop {
        let mut more = Vec::new();
        for v in project.views.iter().filter(|v| !aside.contains_key(&v.name)) {
            if let Some(d) = v.depends_on.iter().find(|d| aside.contains_key(*d)) {
                more.push((v.name.clone(), format!("it reads {d}, which is left out")));
            }
        }
        if more.is_empty() {
            break;
        }
        aside.extend(more);
    }
    for (name, why) in aside.iter() {
        if project.ignore.contains(name) {
            continue;
        }
        warnings.push(format!("{name}: {why}; left out and listed in `ignore:`, so diff does not report it"));
        project.ignore.push(name.clone());
    }
    project.tables.retain(|t| !aside.contains_key(&t.name));
    project.views.retain(|v| !aside.contains_key(&v.name));
}

/// What the catalog shows that the YAML does not hold, on the objects written (triggers,
/// policies, rules, row-level security, properties it cannot
/// express) or beside them (functions, sequences, ...): listed in `ignore:` (`Unmanaged::rule`),
/// so `diff` does not report what was there at adoption, each with a warning. True when any was.
fn unmanaged_rules(project: &mut Project, unmanaged: &[Unmanaged], warnings: &mut Vec<String>) -> bool {
    let written = |u: &&Unmanaged| {
        let (table, view) = (project.table(&u.table).is_some(), project.view(&u.table).is_some());
        let typed = project.sequences.contains_key(&u.table)
            || project.enums.contains_key(&u.table)
            || project.domains.contains_key(&u.table);
        u.kind == Kind::Unmanaged || table || view || typed || u.is_schema()
    };
    let written: Vec<&Unmanaged> = unmanaged.iter().filter(written).collect();
    for u in &written {
        let rule = u.rule();
        let what = u.property.clone().unwrap_or_else(|| u.kind.to_string().replace('_', " "));
        warnings.push(format!(
            "{}: {what} ({}) is not held by the YAML; listed in `ignore:` as `{rule}`",
            u.object(),
            u.definition
        ));
        project.ignore.push(rule);
    }
    !written.is_empty()
}

/// Declares each extension outside the managed namespaces that brought a column's type (its
/// key loads: both names are identifiers), and a warning for each other column whose type lives
/// in a namespace the project does not manage (an enum or domain of another schema): the YAML
/// names it, no migration creates it, so a database the migrations run on must already have it.
fn outside_types(project: &mut Project, extensions: &[(String, String, String)]) -> Vec<String> {
    let managed: Vec<String> = std::iter::once(&project.namespace).chain(&project.namespaces).cloned().collect();
    let declarable = |key: &str| {
        let (ns, name) = split_key(key);
        ns.is_some_and(|ns| check_ident(ns).is_ok()) && check_ident(name).is_ok()
    };
    let mut out = Vec::new();
    for t in &project.tables {
        for c in &t.columns {
            let brought = extensions.iter().find(|(et, ec, key)| *et == t.name && *ec == c.name && declarable(key));
            if let Some((_, _, key)) = brought {
                project.extensions.insert(key.clone());
                continue;
            }
            let mut ty = &c.ty;
            while let ColumnType::Array(element) = ty {
                ty = element;
            }
            let ColumnType::Native(text) = ty else { continue };
            let mut tokens = crate::sql::lexer::significant(text, crate::sql::lexer::Escapes::Standard);
            let (Some(first), Some(dot)) = (tokens.next(), tokens.next()) else { continue };
            let Some(ns) = crate::sql::lexer::ident_value(&first).filter(|_| dot.text == ".") else { continue };
            if ns != "pg_catalog" && !managed.contains(&ns) {
                out.push(format!(
                    "{}.{}: type `{text}` lives in namespace {ns}, which the project does not manage: the databases \
                     the migrations run on must have it (inspect with `--namespace` listing {ns} too to create it)",
                    t.name, c.name
                ));
            }
        }
    }
    out
}
