//! YAML → model. Strict: every problem becomes a [`Diagnostic`] naming file, line and column,
//! what was expected and the nearest valid name; all of a run's diagnostics are returned.

mod positions;

use crate::model::*;
use crate::render;
use positions::{Pos, Positions};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const ENCODINGS: [&str; 13] = [
    "raw",
    "az64",
    "bytedict",
    "delta",
    "delta32k",
    "lzo",
    "mostly8",
    "mostly16",
    "mostly32",
    "runlength",
    "text255",
    "text32k",
    "zstd",
];
const MAX_IDENT: usize = 63;
const MAX_COMPOUND: usize = 400;
const MAX_INTERLEAVED: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: error: {}", self.file.display(), self.line, self.col, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Loads the project whose YAML lives in `dir` (`schema.yaml` plus object files below it).
pub fn load(dir: &Path) -> Result<Project, Vec<Diagnostic>> {
    let mut files = Vec::new();
    if let Err(e) = yaml_files(dir, &mut files) {
        return Err(vec![diag_at(dir, Pos { line: 1, col: 1 }, format!("cannot read the project folder: {e}"), None)]);
    }
    files.sort();
    let mut loader = Loader::default();
    let project_file = dir.join("schema.yaml");
    let mut settings = None;
    let mut tables = Vec::new();
    let mut views = Vec::new();
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t.replace("\r\n", "\n"),
            Err(e) => {
                loader.diags.push(diag_at(&path, Pos { line: 1, col: 1 }, format!("cannot read file: {e}"), None));
                continue;
            }
        };
        let src = Source { positions: OnceLock::new(), path, text };
        if src.path == project_file {
            settings = loader.parse::<ProjectDoc>(&src).map(|doc| (src, doc));
        } else if let Some(kind) = loader.kind(&src) {
            match kind {
                Kind::Table => tables.extend(loader.parse::<TableDoc>(&src).map(|d| (src, d))),
                Kind::View => views.extend(loader.parse::<ViewDoc>(&src).map(|d| (src, d))),
            }
        }
    }
    let Some((src, doc)) = settings else {
        if !loader.diags.iter().any(|d| d.file == project_file) {
            loader.diags.push(diag_at(
                &project_file,
                Pos { line: 1, col: 1 },
                "project file not found".into(),
                Some("create schema.yaml with `name`, `namespace` and `dialects`".into()),
            ));
        }
        return Err(loader.diags);
    };
    let project = loader.project(&src, doc, &tables, &views);
    if loader.diags.is_empty() {
        Ok(project)
    } else {
        Err(loader.diags)
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            yaml_files(&path, out)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(path);
        }
    }
    Ok(())
}

struct Source {
    path: PathBuf,
    text: String,
    /// Built on first use: only files with diagnostics need it, and it costs a second parse.
    positions: OnceLock<Positions>,
}

impl Source {
    fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| Positions::index(&self.text))
    }
}

enum Kind {
    Table,
    View,
}

// ---- The documents as written (serde, strict) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectDoc {
    name: String,
    namespace: String,
    dialects: Vec<Dialect>,
    #[serde(default = "phase_one")]
    phases: Vec<u8>,
    #[serde(default)]
    ignore: Vec<String>,
    refresh_procedure: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDoc {
    table: String,
    #[serde(default = "one")]
    phase: u8,
    description: Option<String>,
    #[serde(default = "yes")]
    backup: bool,
    distribution: Option<DistributionDoc>,
    sort_key: Option<SortKeyDoc>,
    columns: Vec<ColumnDoc>,
    #[serde(default)]
    primary_key: Vec<String>,
    #[serde(default)]
    unique: Vec<Vec<String>>,
    #[serde(default)]
    foreign_keys: Vec<ForeignKeyDoc>,
    #[serde(default)]
    indexes: Vec<Index>,
    #[serde(default)]
    rows: Vec<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    checks: Vec<CheckDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnDoc {
    name: String,
    #[serde(rename = "type")]
    ty: ColumnType,
    nullable: Option<bool>,
    default: Option<String>,
    identity: Option<IdentityDoc>,
    #[serde(default)]
    primary_key: bool,
    #[serde(default)]
    unique: bool,
    references: Option<String>,
    description: Option<String>,
    encode: Option<String>,
    derived: Option<String>,
    renamed_from: Option<String>,
    #[serde(default)]
    checks: Vec<ColumnCheck>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ColumnCheck {
    NotNull,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistributionDoc {
    style: Option<DistStyle>,
    key: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum DistStyle {
    Auto,
    Even,
    All,
    Key,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SortKeyDoc {
    kind: Option<SortKind>,
    #[serde(default)]
    columns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForeignKeyDoc {
    columns: Vec<String>,
    references: RefDoc,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefDoc {
    table: String,
    #[serde(default)]
    columns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckDoc {
    name: String,
    severity: Option<Severity>,
    window: Option<Window>,
    not_null: Option<String>,
    ratio: Option<RatioDoc>,
    condition: Option<String>,
    latency: Option<LatencyDoc>,
    unique: Option<UniqueDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioDoc {
    when: String,
    max: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyDoc {
    reported: String,
    start: String,
    end: String,
    tolerance_ms: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UniqueDoc {
    columns: Vec<String>,
    #[serde(rename = "where")]
    filter: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewDoc {
    view: Option<String>,
    materialized_view: Option<String>,
    #[serde(default = "one")]
    phase: u8,
    description: Option<String>,
    backup: Option<bool>,
    auto_refresh: Option<bool>,
    distribution: Option<DistributionDoc>,
    sort_key: Option<SortKeyDoc>,
    #[serde(default)]
    indexes: Vec<Index>,
    sql: String,
}

/// `identity: true` or `identity: { seed: 1, step: 1 }`.
struct IdentityDoc(Option<Identity>);

impl<'de> Deserialize<'de> for IdentityDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdentityDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true`, `false` or `{ seed: N, step: N }`")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<IdentityDoc, E> {
                Ok(IdentityDoc(on.then_some(Identity { seed: 1, step: 1 })))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<IdentityDoc, A::Error> {
                Identity::deserialize(de::value::MapAccessDeserializer::new(map)).map(|i| IdentityDoc(Some(i)))
            }
        }
        d.deserialize_any(V)
    }
}

fn one() -> u8 {
    1
}
fn yes() -> bool {
    true
}
fn phase_one() -> Vec<u8> {
    vec![1]
}

// ---- Conversion and validation ----

#[derive(Default)]
struct Loader {
    diags: Vec<Diagnostic>,
}

/// What other files need to know about a table or view while one file is validated.
struct Declared<'a> {
    file: &'a Path,
    phase: u8,
    columns: Vec<&'a str>,
    /// Primary key, then single-column unique keys: what a foreign key may reference.
    keys: Vec<Vec<&'a str>>,
    view: Option<bool>,
}

struct Ctx<'a> {
    namespace: &'a str,
    redshift: bool,
    objects: BTreeMap<&'a str, Declared<'a>>,
}

impl Loader {
    fn error(&mut self, src: &Source, pos: Pos, message: impl Into<String>, help: Option<String>) {
        self.diags.push(diag_at(&src.path, pos, message.into(), help));
    }

    fn at(&mut self, src: &Source, path: &str, message: impl Into<String>) {
        self.error(src, src.positions().value(path), message, None);
    }

    fn at_help(&mut self, src: &Source, path: &str, message: impl Into<String>, help: Option<String>) {
        self.error(src, src.positions().value(path), message, help);
    }

    fn parse<T: de::DeserializeOwned>(&mut self, src: &Source) -> Option<T> {
        match serde_yaml::from_str::<T>(&src.text) {
            Ok(doc) => Some(doc),
            Err(e) => {
                let pos =
                    e.location().map(|l| Pos { line: l.line(), col: l.column() }).unwrap_or(Pos { line: 1, col: 1 });
                let text = e.to_string();
                let message = match text.rfind(" at line ") {
                    Some(i) => text[..i].to_string(),
                    None => text,
                };
                let help = suggestion_from_serde(&message);
                self.error(src, pos, message, help);
                None
            }
        }
    }

    fn kind(&mut self, src: &Source) -> Option<Kind> {
        // Block-style files name their kind in a top-level key at column 0: no parse needed.
        for line in src.text.lines() {
            match line.split(':').next().map(str::trim_end) {
                Some("table") => return Some(Kind::Table),
                Some("view" | "materialized_view") => return Some(Kind::View),
                _ => {}
            }
        }
        let value: serde_yaml::Value = self.parse(src)?;
        let has = |k: &str| value.as_mapping().is_some_and(|m| m.contains_key(k));
        if has("table") {
            Some(Kind::Table)
        } else if has("view") || has("materialized_view") {
            Some(Kind::View)
        } else {
            self.at(src, "", "expected an object file with a `table`, `view` or `materialized_view` key");
            None
        }
    }

    fn ident(&mut self, src: &Source, path: &str, name: &str) {
        if let Err(msg) = check_ident(name) {
            let lower = name.to_ascii_lowercase().replace(['-', ' ', '.'], "_");
            let help = (check_ident(&lower).is_ok()).then(|| format!("did you mean `{lower}`?"));
            self.at_help(src, path, msg, help);
        }
    }

    fn column_ref(&mut self, src: &Source, path: &str, table: &str, columns: &[&str], name: &str) -> bool {
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

    fn project(
        &mut self,
        src: &Source,
        doc: ProjectDoc,
        tables: &[(Source, TableDoc)],
        views: &[(Source, ViewDoc)],
    ) -> Project {
        self.ident(src, "namespace", &doc.namespace);
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
        for (i, p) in doc.phases.iter().enumerate() {
            if !(1..=2).contains(p) {
                self.at(src, &format!("phases.{i}"), format!("unknown phase {p}: phases are 1 and 2"));
            }
        }
        let mut phases = doc.phases.clone();
        phases.sort();
        phases.dedup();

        let mut ctx = Ctx {
            namespace: &doc.namespace,
            redshift: dialects.contains(&Dialect::Redshift),
            objects: BTreeMap::new(),
        };
        for (src, t) in tables {
            let columns: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            let mut keys = vec![if t.primary_key.is_empty() {
                t.columns.iter().filter(|c| c.primary_key).map(|c| c.name.as_str()).collect()
            } else {
                t.primary_key.iter().map(String::as_str).collect()
            }];
            keys.extend(t.columns.iter().filter(|c| c.unique).map(|c| vec![c.name.as_str()]));
            keys.extend(t.unique.iter().map(|u| u.iter().map(String::as_str).collect()));
            self.declare(
                &mut ctx,
                src,
                "table",
                &t.table,
                Declared { file: &src.path, phase: t.phase, columns, keys, view: None },
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
                keys: vec![],
                view: Some(key == "materialized_view"),
            };
            self.declare(&mut ctx, src, key, name, declared);
        }

        let mut index_names: HashMap<&str, &Path> = HashMap::new();
        let mut all_indexes = tables
            .iter()
            .flat_map(|(s, t)| t.indexes.iter().enumerate().map(move |(i, x)| (s, i, x)))
            .chain(views.iter().flat_map(|(s, v)| v.indexes.iter().enumerate().map(move |(i, x)| (s, i, x))));
        all_indexes.try_for_each(|(s, i, x)| {
            let path = format!("indexes.{i}.name");
            self.ident(s, &path, &x.name);
            if let Some(first) = index_names.insert(&x.name, &s.path) {
                self.at(s, &path, format!("index `{}` is already declared in {}", x.name, first.display()));
            } else if ctx.objects.contains_key(x.name.as_str()) {
                self.at(
                    s,
                    &path,
                    format!("index `{}` has the name of a table or view (they share one namespace)", x.name),
                );
            }
            Some(())
        });

        let mut project = Project {
            name: doc.name,
            namespace: doc.namespace.clone(),
            dialects,
            phases,
            ignore: doc.ignore,
            refresh_procedure: doc.refresh_procedure,
            tables: tables.iter().map(|(s, t)| self.table(s, t, &ctx)).collect(),
            views: views.iter().filter_map(|(s, v)| self.view(s, v, &ctx)).collect(),
        };
        self.cycles(&project, views);
        project.tables.sort_by(|a, b| a.name.cmp(&b.name));
        project.views.sort_by(|a, b| a.name.cmp(&b.name));
        project
    }

    fn declare<'a>(&mut self, ctx: &mut Ctx<'a>, src: &Source, key: &str, name: &'a str, declared: Declared<'a>) {
        self.ident(src, key, name);
        if !(1..=2).contains(&declared.phase) {
            self.at(src, "phase", format!("unknown phase {}: phases are 1 and 2", declared.phase));
        }
        if let Some(first) = ctx.objects.get(name) {
            let msg = format!("`{name}` is already declared in {}", first.file.display());
            self.at(src, key, msg);
        } else {
            ctx.objects.insert(name, declared);
        }
    }

    fn table(&mut self, src: &Source, doc: &TableDoc, ctx: &Ctx) -> Table {
        let name = doc.table.as_str();
        let cols: Vec<&str> = doc.columns.iter().map(|c| c.name.as_str()).collect();
        if cols.is_empty() {
            self.at(src, "columns", format!("table `{name}` needs at least one column"));
        }
        let mut seen = BTreeSet::new();
        let mut columns = Vec::new();
        let mut primary_key: Vec<String> = doc.primary_key.clone();
        let mut unique = Vec::new();
        let mut foreign_keys = Vec::new();
        let mut checks = Vec::new();
        let column_pk: Vec<&str> = doc.columns.iter().filter(|c| c.primary_key).map(|c| c.name.as_str()).collect();
        if !column_pk.is_empty() && !primary_key.is_empty() {
            self.at(src, "primary_key", "the primary key is declared twice: on columns and in `primary_key`");
        }
        if primary_key.is_empty() {
            primary_key = column_pk.iter().map(|s| s.to_string()).collect();
        }
        for (i, pk) in doc.primary_key.iter().enumerate() {
            self.column_ref(src, &format!("primary_key.{i}"), name, &cols, pk);
        }

        for (i, c) in doc.columns.iter().enumerate() {
            let at = |field: &str| format!("columns.{i}.{field}");
            self.ident(src, &at("name"), &c.name);
            if !seen.insert(c.name.as_str()) {
                self.at(src, &at("name"), format!("column `{}` is declared twice in table `{name}`", c.name));
            }
            if ctx.redshift {
                let help = match c.ty {
                    ColumnType::Text => {
                        Some("declare varchar(n) with the longest length you expect, e.g. varchar(1024)")
                    }
                    ColumnType::Uuid => Some("declare char(36)"),
                    _ => None,
                };
                if let Some(help) = help {
                    let msg =
                        format!("type `{}` cannot be deployed to Redshift, a target dialect of this project", c.ty);
                    self.at_help(src, &at("type"), msg, Some(help.into()));
                }
            }
            let in_pk = primary_key.contains(&c.name);
            let identity = c.identity.as_ref().and_then(|i| i.0);
            if identity.is_some() {
                if !c.ty.is_integer() {
                    self.at(src, &at("identity"), format!("`identity` needs an integer type, not `{}`", c.ty));
                }
                if c.default.is_some() {
                    self.at(src, &at("default"), "a column cannot have both `identity` and `default`");
                }
            }
            if c.nullable == Some(true) && (in_pk || identity.is_some()) {
                self.at(src, &at("nullable"), "primary key and identity columns cannot be nullable");
            }
            if let Some(enc) = &c.encode {
                if !ENCODINGS.contains(&enc.as_str()) {
                    let msg = format!("unknown encoding `{enc}`");
                    self.at_help(src, &at("encode"), msg, nearest(enc, ENCODINGS.iter().copied()));
                }
            }
            if let Some(expr) = &c.derived {
                if expr.trim().is_empty() {
                    self.at(src, &at("derived"), "`derived` needs an SQL expression, e.g. DATE(event_timestamp)");
                }
                checks.push(Check {
                    name: format!("{}_derived", c.name),
                    severity: Severity::Error,
                    window: None,
                    kind: CheckKind::Derived { column: c.name.clone(), expr: expr.clone() },
                });
            }
            if c.unique {
                unique.push(vec![c.name.clone()]);
            }
            if let Some(target) = &c.references {
                let (table, column) = match target.split_once('.') {
                    Some((t, col)) => (t, Some(col)),
                    None => (target.as_str(), None),
                };
                let refs = column.map(|c| vec![c.to_string()]).unwrap_or_default();
                if let Some(fk) = self.foreign_key(src, &at("references"), doc, vec![c.name.clone()], table, refs, ctx)
                {
                    foreign_keys.push(fk);
                }
            }
            for check in &c.checks {
                match check {
                    ColumnCheck::NotNull => checks.push(Check {
                        name: format!("{}_not_null", c.name),
                        severity: Severity::Error,
                        window: None,
                        kind: CheckKind::NotNull { column: c.name.clone() },
                    }),
                }
            }
            columns.push(Column {
                name: c.name.clone(),
                ty: c.ty,
                nullable: c.nullable.unwrap_or(true) && !in_pk && identity.is_none(),
                default: c.default.clone(),
                identity,
                encode: c.encode.clone(),
                derived: c.derived.clone(),
                renamed_from: c.renamed_from.clone(),
                description: c.description.clone(),
            });
        }

        for (i, u) in doc.unique.iter().enumerate() {
            for (j, col) in u.iter().enumerate() {
                self.column_ref(src, &format!("unique.{i}.{j}"), name, &cols, col);
            }
            unique.push(u.clone());
        }
        for (i, fk) in doc.foreign_keys.iter().enumerate() {
            for (j, col) in fk.columns.iter().enumerate() {
                self.column_ref(src, &format!("foreign_keys.{i}.columns.{j}"), name, &cols, col);
            }
            let at = format!("foreign_keys.{i}.references");
            let refs = fk.references.columns.clone();
            if let Some(fk) = self.foreign_key(src, &at, doc, fk.columns.clone(), &fk.references.table, refs, ctx) {
                foreign_keys.push(fk);
            }
        }

        let distribution =
            self.distribution(src, doc.distribution.as_ref(), Some((name, &doc.columns)), DistStyle::Auto);
        let sort_key = self.sort_key(src, doc.sort_key.as_ref(), name, &doc.columns);
        for (i, index) in doc.indexes.iter().enumerate() {
            self.index_columns(src, i, index, name, &cols);
        }
        self.rows(src, doc, &columns);
        for (i, c) in doc.checks.iter().enumerate() {
            if let Some(check) = self.check(src, i, c, name, &columns) {
                checks.push(check);
            }
        }
        let mut names = BTreeSet::new();
        for c in &checks {
            if !names.insert(c.name.as_str()) {
                let i = doc.checks.iter().rposition(|d| d.name == c.name);
                let path = i.map_or("columns".to_string(), |i| format!("checks.{i}.name"));
                self.at(src, &path, format!("check `{}` is declared twice in table `{name}`", c.name));
            }
        }

        Table {
            name: name.to_string(),
            phase: doc.phase,
            description: doc.description.clone(),
            columns,
            primary_key,
            unique,
            foreign_keys,
            distribution,
            sort_key,
            backup: doc.backup,
            indexes: doc.indexes.clone(),
            rows: doc.rows.clone(),
            checks,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn foreign_key(
        &mut self,
        src: &Source,
        path: &str,
        doc: &TableDoc,
        columns: Vec<String>,
        table: &str,
        mut references: Vec<String>,
        ctx: &Ctx,
    ) -> Option<ForeignKey> {
        let Some(target) = ctx.objects.get(table).filter(|d| d.view.is_none()) else {
            let tables = ctx.objects.iter().filter(|(_, d)| d.view.is_none()).map(|(n, _)| *n);
            self.at_help(src, path, format!("foreign key references unknown table `{table}`"), nearest(table, tables));
            return None;
        };
        if target.phase > doc.phase {
            let msg = format!(
                "table `{}` (phase {}) references `{table}`, which is in phase {}",
                doc.table, doc.phase, target.phase
            );
            self.at(src, path, msg);
        }
        if references.is_empty() {
            references = target.keys[0].iter().map(|s| s.to_string()).collect();
        }
        for r in &references {
            if !target.columns.contains(&r.as_str()) {
                let msg = format!("unknown column `{r}` in table `{table}`");
                self.at_help(src, path, msg, nearest(r, target.columns.iter().copied()));
                return None;
            }
        }
        if columns.len() != references.len() {
            self.at(
                src,
                path,
                format!("foreign key has {} column(s) but references {}", columns.len(), references.len()),
            );
            return None;
        }
        if !target.keys.iter().any(|k| !k.is_empty() && k.iter().copied().eq(references.iter().map(String::as_str))) {
            let msg =
                format!("`{table}({})` is not the primary key or a unique key of `{table}`", references.join(", "));
            self.at_help(
                src,
                path,
                msg,
                Some("PostgreSQL only accepts foreign keys to a primary or unique key".into()),
            );
        }
        Some(ForeignKey { columns, table: table.to_string(), references })
    }

    /// Validates a distribution; `table` is None for materialized views (columns unknown).
    fn distribution(
        &mut self,
        src: &Source,
        doc: Option<&DistributionDoc>,
        table: Option<(&str, &[ColumnDoc])>,
        default: DistStyle,
    ) -> Distribution {
        let Some(doc) = doc else {
            return if default == DistStyle::Even { Distribution::Even } else { Distribution::Auto };
        };
        let style = doc.style.unwrap_or(if doc.key.is_some() { DistStyle::Key } else { default });
        match (style, &doc.key) {
            (DistStyle::Key, Some(key)) => {
                if let Some((name, columns)) = table {
                    let cols: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                    if self.column_ref(src, "distribution.key", name, &cols, key) {
                        self.key_type(src, "distribution.key", columns, key);
                    }
                } else {
                    self.in_body(src, "distribution.key", key);
                }
                Distribution::Key(key.clone())
            }
            (DistStyle::Key, None) => {
                self.at(src, "distribution", "`style: key` needs `key: <column>` (exactly one column)");
                Distribution::Auto
            }
            (_, Some(_)) => {
                self.at(src, "distribution.key", "`key` is only allowed with `style: key`");
                Distribution::Auto
            }
            (DistStyle::Auto, None) if table.is_none() => {
                self.at_help(
                    src,
                    "distribution.style",
                    "Redshift materialized views take no DISTSTYLE AUTO",
                    Some("use even, all or key".into()),
                );
                Distribution::Even
            }
            (DistStyle::Auto, None) => Distribution::Auto,
            (DistStyle::Even, None) => Distribution::Even,
            (DistStyle::All, None) => Distribution::All,
        }
    }

    fn key_type(&mut self, src: &Source, path: &str, columns: &[ColumnDoc], key: &str) {
        if let Some(c) = columns.iter().find(|c| c.name == key) {
            if !c.ty.can_be_redshift_key() {
                self.at(
                    src,
                    path,
                    format!("column `{key}` of type `{}` cannot be a Redshift distribution or sort key", c.ty),
                );
            }
        }
    }

    fn sort_key(&mut self, src: &Source, doc: Option<&SortKeyDoc>, table: &str, columns: &[ColumnDoc]) -> SortKey {
        let Some(doc) = doc else { return SortKey::AUTO };
        let kind = doc.kind.unwrap_or(if doc.columns.is_empty() { SortKind::Auto } else { SortKind::Compound });
        let cols: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        match kind {
            SortKind::Auto | SortKind::None if !doc.columns.is_empty() => self.at(
                src,
                "sort_key.columns",
                format!("a sort key of kind `{kind:?}` takes no columns").to_lowercase(),
            ),
            SortKind::Compound | SortKind::Interleaved if doc.columns.is_empty() => {
                self.at(src, "sort_key", "a compound or interleaved sort key needs `columns`")
            }
            SortKind::Compound if doc.columns.len() > MAX_COMPOUND => {
                self.at(src, "sort_key.columns", format!("a compound sort key takes at most {MAX_COMPOUND} columns"))
            }
            SortKind::Interleaved if doc.columns.len() > MAX_INTERLEAVED => self.at(
                src,
                "sort_key.columns",
                format!("an interleaved sort key takes at most {MAX_INTERLEAVED} columns, not {}", doc.columns.len()),
            ),
            _ => {}
        }
        let mut seen = BTreeSet::new();
        for (i, c) in doc.columns.iter().enumerate() {
            let path = format!("sort_key.columns.{i}");
            if !seen.insert(c) {
                self.at(src, &path, format!("column `{c}` appears twice in the sort key"));
            } else if self.column_ref(src, &path, table, &cols, c) {
                self.key_type(src, &path, columns, c);
            }
        }
        SortKey { kind, columns: doc.columns.clone() }
    }

    fn index_columns(&mut self, src: &Source, i: usize, index: &Index, table: &str, cols: &[&str]) {
        if index.columns.is_empty() {
            self.at(src, &format!("indexes.{i}.columns"), "an index needs at least one column");
        }
        for (j, entry) in index.columns.iter().enumerate() {
            let mut words = entry.split_whitespace();
            let column = words.next().unwrap_or_default();
            let path = format!("indexes.{i}.columns.{j}");
            let order: Vec<String> = words.map(str::to_ascii_uppercase).collect();
            let valid = [
                "",
                "ASC",
                "DESC",
                "NULLS FIRST",
                "NULLS LAST",
                "ASC NULLS FIRST",
                "ASC NULLS LAST",
                "DESC NULLS FIRST",
                "DESC NULLS LAST",
            ];
            if !valid.contains(&order.join(" ").as_str()) {
                self.at(src, &path, format!("`{entry}`: expected a column name optionally followed by ASC or DESC"));
            } else if !cols.is_empty() {
                self.column_ref(src, &path, table, cols, column);
            }
        }
    }

    fn rows(&mut self, src: &Source, doc: &TableDoc, columns: &[Column]) {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for (i, row) in doc.rows.iter().enumerate() {
            for (key, value) in row {
                let path = format!("rows.{i}.{key}");
                let Some(col) = columns.iter().find(|c| &c.name == key) else {
                    self.error(
                        src,
                        src.positions().key(&path),
                        format!("unknown column `{key}` in table `{}`", doc.table),
                        nearest(key, names.iter().copied()),
                    );
                    continue;
                };
                let fits = match value {
                    serde_json::Value::Null => col.nullable,
                    serde_json::Value::Bool(_) => col.ty == ColumnType::Boolean,
                    serde_json::Value::Number(_) => matches!(
                        col.ty,
                        ColumnType::SmallInt
                            | ColumnType::Integer
                            | ColumnType::BigInt
                            | ColumnType::Decimal(..)
                            | ColumnType::Real
                            | ColumnType::Double
                    ),
                    serde_json::Value::String(_) => !matches!(col.ty, ColumnType::Boolean) && !col.ty.is_integer(),
                    _ => col.ty == ColumnType::Json,
                };
                if !fits {
                    self.at(src, &path, format!("value {value} does not fit column `{key}` of type `{}`", col.ty));
                }
            }
            for col in columns {
                if !col.nullable && col.default.is_none() && col.identity.is_none() && !row.contains_key(&col.name) {
                    self.at(
                        src,
                        &format!("rows.{i}"),
                        format!("row needs a value for `{}` (NOT NULL without a default)", col.name),
                    );
                }
            }
        }
    }

    fn check(&mut self, src: &Source, i: usize, doc: &CheckDoc, table: &str, columns: &[Column]) -> Option<Check> {
        let at = |field: &str| format!("checks.{i}.{field}");
        self.ident(src, &at("name"), &doc.name);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let col = |this: &mut Self, field: &str, name: &str| this.column_ref(src, &at(field), table, &names, name);
        let mut kinds = Vec::new();
        if let Some(c) = &doc.not_null {
            col(self, "not_null", c);
            kinds.push(CheckKind::NotNull { column: c.clone() });
        }
        if let Some(r) = &doc.ratio {
            if !(0.0..=1.0).contains(&r.max) {
                self.at(src, &at("ratio.max"), format!("`max` is a share between 0 and 1, not {}", r.max));
            }
            kinds.push(CheckKind::Ratio { when: r.when.clone(), max: r.max });
        }
        if let Some(sql) = &doc.condition {
            kinds.push(CheckKind::Condition { sql: sql.clone() });
        }
        if let Some(l) = &doc.latency {
            for (field, name) in
                [("latency.reported", &l.reported), ("latency.start", &l.start), ("latency.end", &l.end)]
            {
                col(self, field, name);
            }
            kinds.push(CheckKind::Latency {
                reported: l.reported.clone(),
                start: l.start.clone(),
                end: l.end.clone(),
                tolerance_ms: l.tolerance_ms,
            });
        }
        if let Some(u) = &doc.unique {
            for (j, c) in u.columns.iter().enumerate() {
                col(self, &format!("unique.columns.{j}"), c);
            }
            kinds.push(CheckKind::Unique { columns: u.columns.clone(), filter: u.filter.clone() });
        }
        if let Some(w) = &doc.window {
            if col(self, "window.column", &w.column) {
                let ty = columns.iter().find(|c| c.name == w.column).map(|c| c.ty);
                if !matches!(ty, Some(ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz)) {
                    self.at(
                        src,
                        &at("window.column"),
                        format!("window column `{}` must be a date or timestamp", w.column),
                    );
                }
            }
        }
        if kinds.len() != 1 {
            let msg = format!(
                "check `{}` needs exactly one of `not_null`, `ratio`, `condition`, `latency`, `unique`",
                doc.name
            );
            self.at(src, &format!("checks.{i}"), msg);
            return None;
        }
        Some(Check {
            name: doc.name.clone(),
            severity: doc.severity.unwrap_or(Severity::Error),
            window: doc.window.clone(),
            kind: kinds.remove(0),
        })
    }

    fn view(&mut self, src: &Source, doc: &ViewDoc, ctx: &Ctx) -> Option<View> {
        let (name, materialized) = match (&doc.view, &doc.materialized_view) {
            (Some(n), None) => (n.clone(), false),
            (None, Some(n)) => (n.clone(), true),
            _ => return None,
        };
        if !materialized {
            for (field, set) in [
                ("backup", doc.backup.is_some()),
                ("auto_refresh", doc.auto_refresh.is_some()),
                ("distribution", doc.distribution.is_some()),
                ("sort_key", doc.sort_key.is_some()),
                ("indexes", !doc.indexes.is_empty()),
            ] {
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
        let distribution = self.distribution(src, doc.distribution.as_ref(), None, DistStyle::Even);
        let sort_key = match &doc.sort_key {
            None => SortKey { kind: SortKind::Compound, columns: vec![] },
            Some(s) => {
                if !matches!(s.kind, None | Some(SortKind::Compound)) {
                    self.at(src, "sort_key.kind", "a Redshift materialized view takes a compound sort key only");
                }
                for (i, c) in s.columns.iter().enumerate() {
                    self.in_body(src, &format!("sort_key.columns.{i}"), c);
                }
                SortKey { kind: SortKind::Compound, columns: s.columns.clone() }
            }
        };
        for (i, index) in doc.indexes.iter().enumerate() {
            for (j, c) in index.columns.iter().enumerate() {
                let column = c.split_whitespace().next().unwrap_or_default();
                self.in_body(src, &format!("indexes.{i}.columns.{j}"), column);
            }
        }
        let depends_on = match render::expand_refs(&doc.sql, ctx.namespace) {
            Ok((_, refs)) => refs,
            Err(e) => {
                let base = src.positions().value("sql");
                // Block scalars start on the line after `sql: |`.
                let offset = if doc.sql.contains('\n') && base.line < src.text.lines().count() { 1 } else { 0 };
                let line = base.line + offset + e.line().unwrap_or(1) - 1;
                self.error(
                    src,
                    Pos { line, col: base.col },
                    format!("in the SQL body: {}", e.detail().unwrap_or("template error")),
                    None,
                );
                return None;
            }
        };
        for dep in &depends_on {
            let pos = ref_position(src, dep);
            match ctx.objects.get(dep.as_str()) {
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
                Some(d) if materialized && ctx.redshift && d.view == Some(false) => self.error(
                    src,
                    pos,
                    format!("materialized view `{name}` reads the plain view `{dep}`, which Redshift does not allow"),
                    Some("read the view's tables directly, or make it a materialized view".into()),
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
            backup: doc.backup.unwrap_or(true),
            auto_refresh: doc.auto_refresh.unwrap_or(false),
            distribution,
            sort_key,
            indexes: doc.indexes.clone(),
        })
    }

    /// Materialized-view keys name output columns we cannot know without the database: at
    /// least require that the name appears in the body.
    fn in_body(&mut self, src: &Source, path: &str, column: &str) {
        let sql = src.text.split_once("sql:").map(|(_, body)| body).unwrap_or_default();
        let found =
            sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| word.eq_ignore_ascii_case(column));
        if !found {
            self.at(src, path, format!("column `{column}` does not appear in the view's SQL"));
        }
    }

    fn cycles(&mut self, project: &Project, views: &[(Source, ViewDoc)]) {
        if let Err(cycle) = crate::plan::view_order(&project.views) {
            let first = &cycle[0];
            if let Some((src, _)) =
                views.iter().find(|(_, v)| v.view.as_ref().or(v.materialized_view.as_ref()) == Some(first))
            {
                self.at(src, "sql", format!("views depend on each other in a cycle: {}", cycle.join(" -> ")));
            }
        }
    }
}

fn ref_position(src: &Source, name: &str) -> Pos {
    for quote in ['\'', '"'] {
        if let Some(i) = src.text.find(&format!("ref({quote}{name}{quote})")) {
            let before = &src.text[..i];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map(|n| n + 1).unwrap_or(0) + 1;
            return Pos { line, col };
        }
    }
    src.positions().value("sql")
}

fn diag_at(file: &Path, pos: Pos, message: String, help: Option<String>) -> Diagnostic {
    Diagnostic { file: file.to_path_buf(), line: pos.line, col: pos.col, message, help }
}

fn check_ident(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok_start = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let ok_rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok_start && ok_rest && name.len() <= MAX_IDENT {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid identifier: use lowercase letters, digits and `_`, starting with a letter or `_`, at most {MAX_IDENT} bytes"
        ))
    }
}

/// The closest candidate, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// serde names the offending field or variant and the expected ones: turn that into a hint.
fn suggestion_from_serde(message: &str) -> Option<String> {
    if message.contains("unbalanced parenthesis") {
        return Some("inside `{ ... }` a comma ends the value: quote the type, e.g. type: \"decimal(18,4)\"".into());
    }
    let ticked = |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    for marker in ["unknown field ", "unknown variant "] {
        if let Some(i) = message.find(marker) {
            let names = ticked(&message[i..]);
            let (word, expected) = names.split_first()?;
            return nearest(word, expected.iter().map(String::as_str))
                .or_else(|| (!expected.is_empty()).then(|| format!("expected one of: {}", expected.join(", "))));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_from_serde_messages() {
        let m = "columns[1]: unknown field `nulable`, expected one of `name`, `type`, `nullable`";
        assert_eq!(suggestion_from_serde(m).as_deref(), Some("did you mean `nullable`?"));
        let m = "unknown variant `evn`, expected one of `auto`, `even`, `all`, `key`";
        assert_eq!(suggestion_from_serde(m).as_deref(), Some("did you mean `even`?"));
    }

    #[test]
    fn identifiers() {
        assert!(check_ident("event_date").is_ok());
        assert!(check_ident("EventDate").is_err());
        assert!(check_ident("1abc").is_err());
        assert!(check_ident(&"a".repeat(64)).is_err());
    }
}
