//! The semantic pass over a project: settings, the names every file declares, views and their
//! references. Tables are checked in `table`.

use super::docs::{ProjectDoc, TableDoc, ViewDoc};
use super::positions::Pos;
use super::{check_ident, diag_at, snake_case, Diagnostic, Source};
use crate::model::*;
use crate::sql::expr::{ParseError, Role};
use crate::sql::lexer::{ident_value, significant, Escapes};
use crate::suggest::nearest;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

pub(super) struct Loader<'a> {
    pub(super) dir: &'a Path,
    pub(super) diags: Vec<Diagnostic>,
    /// The project's dialects: SQL text must parse in each.
    pub(super) dialects: Vec<Dialect>,
    /// The project's enum types: name → values, in order.
    pub(super) enums: BTreeMap<String, Vec<String>>,
    /// Expressions parsed so far: (text, dialect, role) → the columns they read.
    pub(super) parsed: HashMap<(String, Dialect, Role), Result<Vec<String>, ParseError>>,
}

/// What other files need to know about a table or view while one file is validated.
pub(super) struct Declared<'a> {
    pub(super) file: &'a Path,
    pub(super) phase: u8,
    pub(super) columns: Vec<&'a str>,
    pub(super) types: BTreeMap<&'a str, ColumnType>,
    /// Primary key, then single-column unique keys: what a foreign key may reference.
    pub(super) keys: Vec<Vec<&'a str>>,
    pub(super) view: Option<bool>,
}

pub(super) struct Ctx<'a> {
    pub(super) namespace: &'a str,
    /// The other namespaces the project manages.
    pub(super) namespaces: &'a [String],
    pub(super) objects: BTreeMap<&'a str, Declared<'a>>,
    /// Names declared by files that failed to deserialise: references to them are not
    /// reported again.
    pub(super) broken: &'a BTreeSet<String>,
    /// The project's default grants, part of every object's.
    pub(super) grants: Vec<Grant>,
}

impl Loader<'_> {
    /// A path as shown inside messages: relative to the project folder.
    pub(super) fn show<'p>(&self, path: &'p Path) -> std::path::Display<'p> {
        path.strip_prefix(self.dir).unwrap_or(path).display()
    }

    pub(super) fn error(&mut self, src: &Source, pos: Pos, message: impl Into<String>, help: Option<String>) {
        self.diags.push(diag_at(&src.path, pos, message.into(), help));
    }

    pub(super) fn at(&mut self, src: &Source, path: &str, message: impl Into<String>) {
        self.error(src, src.positions().value(path), message, None);
    }

    pub(super) fn at_help(&mut self, src: &Source, path: &str, message: impl Into<String>, help: Option<String>) {
        self.error(src, src.positions().value(path), message, help);
    }
    pub(super) fn ident(&mut self, src: &Source, path: &str, name: &str) {
        if let Err(msg) = check_ident(name) {
            let lower = snake_case(name);
            let help = (check_ident(&lower).is_ok()).then(|| format!("did you mean `{lower}`?"));
            self.at_help(src, path, msg, help);
        }
    }

    /// The name of an object the server keeps as written (table, view, column, index, check
    /// constraint, enum, sequence): see `check_name`.
    pub(super) fn name(&mut self, src: &Source, path: &str, name: &str) -> bool {
        let keep_case = super::names_keep_case(&self.dialects);
        let checked = super::check_name(name, keep_case);
        match (&checked, keep_case) {
            (Err(_), false) => self.ident(src, path, name),
            (Err(msg), true) => self.at(src, path, msg.clone()),
            (Ok(()), _) => {}
        }
        checked.is_ok()
    }

    /// A table or view's name (see `check_relation_name`), or `ns.name` with `ns` one of
    /// `namespaces:`.
    fn object_name(&mut self, src: &Source, key: &str, name: &str, ctx: &Ctx) {
        let (ns, bare) = split_key(name);
        if self.name(src, key, bare) {
            if let Err(msg) = super::check_relation_name(bare, true) {
                self.at(src, key, msg);
            }
        }
        match ns {
            None => {}
            Some(ns) if check_ident(ns).is_err() => self.ident(src, key, ns),
            Some(ns) if ns == ctx.namespace => self.at_help(
                src,
                key,
                format!("`{ns}` is the project's namespace: its objects are named without it"),
                Some(format!("write `{bare}`")),
            ),
            Some(ns) if !ctx.namespaces.iter().any(|n| n == ns) => {
                let help = match nearest(ns, ctx.namespaces.iter().map(String::as_str)) {
                    Some(near) => Some(near),
                    None => Some(format!("add `{ns}` to `namespaces:` in schema.yaml")),
                };
                self.at_help(src, key, format!("unknown namespace `{ns}` in `{name}`"), help);
            }
            Some(_) => {}
        }
    }

    pub(super) fn column_ref(&mut self, src: &Source, path: &str, table: &str, columns: &[&str], name: &str) -> bool {
        if columns.contains(&name) {
            return true;
        }
        self.at_help(
            src,
            path,
            format!("unknown column `{name}` in table `{table}`"),
            nearest(name, columns.iter().copied()),
        );
        false
    }

    pub(super) fn project(
        &mut self,
        src: &Source,
        doc: ProjectDoc,
        tables: &[(Source, TableDoc)],
        views: &[(Source, ViewDoc)],
        broken: &BTreeSet<String>,
    ) -> Project {
        self.ident(src, "namespace", &doc.namespace);
        if let Err(msg) = super::check_namespace(&doc.namespace) {
            self.at(src, "namespace", msg);
        }
        for (i, ns) in doc.namespaces.iter().enumerate() {
            let path = format!("namespaces.{i}");
            self.ident(src, &path, ns);
            if let Err(msg) = super::check_namespace(ns) {
                self.at(src, &path, msg);
            } else if *ns == doc.namespace {
                self.at(src, &path, format!("`{ns}` is the project's `namespace`: list only the others"));
            } else if doc.namespaces[..i].contains(ns) {
                self.at(src, &path, format!("`{ns}` is listed twice"));
            }
        }
        if let Some(name) = &doc.refresh_procedure {
            self.ident(src, "refresh_procedure", name);
        }
        if doc.name.trim().is_empty() {
            self.at(src, "name", "`name` must not be empty");
        }
        if doc.dialects.is_empty() {
            self.at(src, "dialects", "`dialects` needs at least one of `postgres`, `redshift`");
        }
        let mut dialects = doc.dialects.clone();
        dialects.sort();
        dialects.dedup();
        self.dialects = dialects.clone();
        let relations: Vec<&str> = (tables.iter().map(|(_, t)| t.table.as_str()))
            .chain(views.iter().filter_map(|(_, v)| v.view.as_deref().or(v.materialized_view.as_deref())))
            .collect();
        self.enums(src, &doc.enums, &relations, &doc.namespaces);
        self.sequences(src, &doc.sequences, &relations);
        let typed: Vec<&str> = relations.iter().copied().chain(doc.sequences.keys().map(String::as_str)).collect();
        let domains = self.domains(src, &doc.domains, &typed);
        self.extensions(src, &doc.extensions);
        for (i, p) in doc.phases.iter().enumerate() {
            if !(1..=2).contains(p) {
                self.at(src, &format!("phases.{i}"), format!("unknown phase {p}: phases are 1 and 2"));
            }
        }
        // An entry is a table or view pattern (any name, spaces too), or `<kind> <pattern>`. One
        // whose first word is nearly a kind (`triggers x`) is a typo that would silently become
        // a pattern matching nothing.
        for (i, entry) in doc.ignore.iter().enumerate() {
            let word = entry.split_whitespace().next().unwrap_or_default();
            if word == "identity_generation" {
                let message = format!("`ignore` entry `{entry}`: an identity's generation is part of the YAML now");
                let help = "write `identity: { always: true }` on the column (PostgreSQL's GENERATED ALWAYS)";
                self.at_help(src, &format!("ignore.{i}"), message, Some(help.into()));
                continue;
            }
            let kinds = crate::diff::unmanaged::IGNORABLE.map(|k| k.to_string());
            let near = nearest(word, kinds.iter().map(String::as_str));
            if entry.trim().contains(char::is_whitespace)
                && crate::diff::findings::ignore_rule(entry.trim()).is_none()
                && near.is_some()
            {
                let message = format!(
                    "`ignore` entry `{entry}`: a table or view pattern, or `<kind> <table>.<name>` with kind one of {}",
                    kinds.join(", ")
                );
                self.at_help(src, &format!("ignore.{i}"), message, near);
            }
        }
        let mut phases = doc.phases.clone();
        phases.sort();
        phases.dedup();

        let grants = self.grants(src, &doc.grants, false);
        self.grantee_kinds((src, &doc.grants), tables, views);
        let mut ctx =
            Ctx { namespace: &doc.namespace, namespaces: &doc.namespaces, objects: BTreeMap::new(), broken, grants };
        for (src, t) in tables {
            let columns: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            let types = t.columns.iter().filter_map(|c| Some((c.name.as_str(), self.read_type(&c.ty).ok()?))).collect();
            let mut keys = vec![if t.primary_key_columns().is_empty() {
                t.columns.iter().filter(|c| c.primary_key).map(|c| c.name.as_str()).collect()
            } else {
                t.primary_key_columns().iter().map(String::as_str).collect()
            }];
            keys.extend(t.columns.iter().filter(|c| c.unique).map(|c| vec![c.name.as_str()]));
            keys.extend(t.unique.iter().map(|u| u.columns().iter().map(String::as_str).collect()));
            self.declare(
                &mut ctx,
                src,
                "table",
                &t.table,
                Declared { file: &src.path, phase: t.phase, columns, types, keys, view: None },
            );
        }
        for (src, v) in views {
            let (key, name) = match (&v.view, &v.materialized_view) {
                (Some(n), None) => ("view", n),
                (None, Some(n)) => ("materialized_view", n),
                _ => {
                    self.at(src, "materialized_view", "declare either `view` or `materialized_view`, not both");
                    continue;
                }
            };
            let declared = Declared {
                file: &src.path,
                phase: v.phase,
                columns: vec![],
                types: BTreeMap::new(),
                keys: vec![],
                view: Some(key == "materialized_view"),
            };
            self.declare(&mut ctx, src, key, name, declared);
        }

        // An index lives in its table's namespace, beside the tables and views there.
        let mut index_names: HashMap<String, &Path> = HashMap::new();
        let mut all_indexes = (tables.iter().map(|(s, t)| (s, t.table.as_str(), &t.indexes)))
            .chain(
                views
                    .iter()
                    .map(|(s, v)| (s, v.view.as_deref().or(v.materialized_view.as_deref()).unwrap_or(""), &v.indexes)),
            )
            .flat_map(|(s, owner, list)| list.iter().enumerate().map(move |(i, x)| (s, owner, i, x)));
        all_indexes.try_for_each(|(s, owner, i, x)| {
            let path = format!("indexes.{i}.name");
            self.name(s, &path, &x.name);
            let key = sibling_key(owner, &x.name);
            if let Some(first) = index_names.insert(key.clone(), &s.path) {
                self.at(s, &path, format!("index `{}` is already declared in {}", x.name, self.show(first)));
            } else if ctx.objects.contains_key(key.as_str()) {
                self.at(
                    s,
                    &path,
                    format!("index `{}` has the name of a table or view (they share one namespace)", x.name),
                );
            }
            Some(())
        });
        // A partition is a table of its table's namespace: no other relation may take its name.
        let mut partitions: HashMap<String, &Path> = HashMap::new();
        for (s, t) in tables {
            for (path, name) in partition_names("", &t.partitions) {
                let key = sibling_key(&t.table, name);
                if ctx.objects.contains_key(key.as_str()) || index_names.contains_key(&key) {
                    let message = format!("partition `{name}` has the name of a table, view or index");
                    self.at(s, &format!("{path}name"), message);
                } else if let Some(first) = partitions.insert(key, &s.path).filter(|first| **first != *s.path) {
                    let message = format!("partition `{name}` is already declared in {}", self.show(first));
                    self.at(s, &format!("{path}name"), message);
                }
            }
        }

        let mut project = Project {
            name: doc.name,
            namespace: doc.namespace.clone(),
            namespaces: doc.namespaces.clone(),
            dialects,
            phases,
            ignore: doc.ignore,
            refresh_procedure: doc.refresh_procedure,
            seed_values: doc.seed_values,
            enums: doc.enums,
            extensions: doc.extensions.iter().cloned().collect(),
            sequences: doc.sequences,
            domains,
            tables: tables.iter().map(|(s, t)| self.table(s, t, &ctx)).collect(),
            views: views.iter().filter_map(|(s, v)| self.view(s, v, &ctx)).collect(),
            targets: self.targets(src, &doc.targets, doc.default_target.as_deref(), doc.dev_url.as_deref()),
            key_checks: doc.key_checks,
        };
        self.cycles(&project, views);
        project.tables.sort_by(|a, b| a.name.cmp(&b.name));
        project.views.sort_by(|a, b| a.name.cmp(&b.name));
        project
    }

    pub(super) fn declare<'a>(
        &mut self,
        ctx: &mut Ctx<'a>,
        src: &Source,
        key: &str,
        name: &'a str,
        declared: Declared<'a>,
    ) {
        self.object_name(src, key, name, ctx);
        if !(1..=2).contains(&declared.phase) {
            self.at(src, "phase", format!("unknown phase {}: phases are 1 and 2", declared.phase));
        }
        if let Some(first) = ctx.objects.get(name) {
            let msg = format!("`{name}` is already declared in {}", self.show(first.file));
            self.at(src, key, msg);
        } else {
            ctx.objects.insert(name, declared);
        }
    }
    pub(super) fn view(&mut self, src: &Source, doc: &ViewDoc, ctx: &Ctx) -> Option<View> {
        let (name, materialized) = match (&doc.view, &doc.materialized_view) {
            (Some(n), None) => (n.clone(), false),
            (None, Some(n)) => (n.clone(), true),
            _ => return None,
        };
        if materialized && doc.late_binding {
            // "CREATE MATERIALIZED VIEW": the definition cannot hold late-binding references.
            let message = "`late_binding` applies to a view only: a materialized view cannot be late-binding";
            self.error(src, src.positions().key("late_binding"), message, None);
        }
        if !materialized {
            for (field, set) in doc.materialized_only() {
                if set {
                    self.error(
                        src,
                        src.positions().key(field),
                        format!("`{field}` only applies to a materialized_view"),
                        None,
                    );
                }
            }
        }
        let redshift = self.redshift_view(src, doc);
        let owner = super::indexes::Owner::View { sql: &doc.sql };
        let indexes: Vec<Index> = doc.indexes.iter().enumerate().map(|(i, x)| self.index(src, i, x, &owner)).collect();
        let depends_on = match crate::sql::expand_refs(&doc.sql, ctx.namespace) {
            Ok((body, refs)) => {
                if !self.query(src, &body) {
                    return None;
                }
                refs
            }
            Err(e) => {
                let pos = self.within(src, "sql", &doc.sql, e.offset);
                self.error(src, pos, format!("in the SQL body: {e}"), None);
                return None;
            }
        };
        for dep in &depends_on {
            let pos = ref_position(src, dep);
            match ctx.objects.get(dep.as_str()) {
                None if ctx.broken.contains(dep) => {}
                None => {
                    let help = nearest(dep, ctx.objects.keys().copied());
                    self.error(src, pos, format!("`{name}` references unknown table or view `{dep}`"), help);
                }
                Some(d) if d.phase > doc.phase => self.error(
                    src,
                    pos,
                    format!("`{name}` (phase {}) references `{dep}`, which is in phase {}", doc.phase, d.phase),
                    Some(format!("set `phase: {}`", d.phase)),
                ),
                Some(_) => {}
            }
        }
        Some(View {
            name,
            materialized,
            phase: doc.phase,
            description: doc.description.clone(),
            sql: doc.sql.trim_end().to_string(),
            depends_on,
            late_binding: doc.late_binding,
            redshift,
            indexes,
            grants: self.object_grants(src, doc.grants.as_ref(), &ctx.grants, true),
            postgres: self.view_attrs(src, doc, materialized),
        })
    }

    /// Materialized-view keys name output columns we cannot know without the database: at
    /// least require that the name appears in the body.
    pub(super) fn in_body(&mut self, src: &Source, path: &str, sql: &str, column: &str) {
        let names: Vec<String> = significant(sql, Escapes::Standard).filter_map(|t| ident_value(&t)).collect();
        if !names.iter().any(|n| n == column) {
            let help = nearest(column, names.iter().map(String::as_str));
            self.at_help(src, path, format!("column `{column}` does not appear in the view's SQL"), help);
        }
    }

    pub(super) fn cycles(&mut self, project: &Project, views: &[(Source, ViewDoc)]) {
        if let Err(cycle) = crate::graph::view_order(&project.views) {
            let first = &cycle[0];
            if let Some((src, _)) =
                views.iter().find(|(_, v)| v.view.as_ref().or(v.materialized_view.as_ref()) == Some(first))
            {
                self.at(src, "sql", format!("views depend on each other in a cycle: {}", cycle.join(" -> ")));
            }
        }
    }
}

pub(super) fn ref_position(src: &Source, name: &str) -> Pos {
    let text = &src.text;
    let call = text.match_indices("ref(").find(|(i, _)| {
        let arg = text[i + 4..].trim_start();
        arg.strip_prefix(['\'', '"'])
            .is_some_and(|rest| rest.starts_with(name) && rest[name.len()..].starts_with(['\'', '"']))
    });
    match call {
        Some((i, _)) => {
            let before = &text[..i];
            let line_start = before.rfind('\n').map_or(0, |n| n + 1);
            Pos { line: before.matches('\n').count() + 1, col: before[line_start..].chars().count() + 1 }
        }
        None => src.positions().value("sql"),
    }
}

/// Each partition's path (`partitions.0.partitions.1.`) and name, sub-partitions too.
fn partition_names<'a>(path: &str, partitions: &'a [super::docs::PartitionDoc]) -> Vec<(String, &'a str)> {
    let mut out = Vec::new();
    for (i, p) in partitions.iter().enumerate() {
        let at = format!("{path}partitions.{i}.");
        let sub = partition_names(&at, &p.partitions);
        out.push((at, p.name.as_str()));
        out.extend(sub);
    }
    out
}
