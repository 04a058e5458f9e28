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
    let mut loader = Loader { dir, diags: Vec::new() };
    let project_file = dir.join("schema.yaml");
    let mut settings = None;
    let mut broken = BTreeSet::new();
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
            continue;
        }
        let name = declared_name(&src.text);
        let parsed = match loader.kind(&src) {
            Some(Kind::Table) => loader.parse_table(&src).map(|d| tables.push((src, d))),
            Some(Kind::View) => loader.parse::<ViewDoc>(&src).map(|d| views.push((src, d))),
            None => None,
        };
        if parsed.is_none() {
            broken.extend(name);
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
    let project = loader.project(&src, doc, &tables, &views, &broken);
    if loader.diags.is_empty() {
        Ok(project)
    } else {
        Err(loader.diags)
    }
}

/// The file declaring each table and view (found by its top-level `table:`, `view:` or
/// `materialized_view:` line, without a full load): where to point findings about an object.
pub fn declarations(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = Vec::new();
    let _ = yaml_files(dir, &mut files);
    let mut found = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            let value = value.split(" #").next().unwrap_or_default();
            matches!(key, "table" | "view" | "materialized_view")
                .then(|| value.trim().trim_matches(['"', '\'']).to_string())
        });
        if let Some(name) = name {
            found.insert(name, path);
        }
    }
    found
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
    /// Parsed in the semantic pass, so a bad type gets its exact position and a suggestion.
    #[serde(rename = "type")]
    ty: String,
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

struct Loader<'a> {
    dir: &'a Path,
    diags: Vec<Diagnostic>,
}

/// What other files need to know about a table or view while one file is validated.
struct Declared<'a> {
    file: &'a Path,
    phase: u8,
    columns: Vec<&'a str>,
    types: BTreeMap<&'a str, ColumnType>,
    /// Primary key, then single-column unique keys: what a foreign key may reference.
    keys: Vec<Vec<&'a str>>,
    view: Option<bool>,
}

struct Ctx<'a> {
    namespace: &'a str,
    redshift: bool,
    objects: BTreeMap<&'a str, Declared<'a>>,
    /// Names declared by files that failed to deserialise: references to them are not
    /// reported again.
    broken: &'a BTreeSet<String>,
}

impl Loader<'_> {
    /// A path as shown inside messages: relative to the project folder.
    fn show<'p>(&self, path: &'p Path) -> std::path::Display<'p> {
        path.strip_prefix(self.dir).unwrap_or(path).display()
    }

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
                let suffix = format!(" at line {} column {}", pos.line, pos.col);
                let message = plain_serde(text.strip_suffix(&suffix).unwrap_or(&text));
                let help = suggestion_from_serde(&message);
                self.error(src, pos, message, help);
                None
            }
        }
    }

    /// Like `parse`, but when a table file does not deserialise, its columns, checks and other
    /// keys are checked one by one so every mistake in the file is reported, not only the first.
    fn parse_table(&mut self, src: &Source) -> Option<TableDoc> {
        let first = self.diags.len();
        let doc = self.parse::<TableDoc>(src);
        let Ok(serde_yaml::Value::Mapping(mut map)) = serde_yaml::from_str(&src.text) else { return doc };
        if doc.is_some() {
            return doc;
        }
        let whole_file = self.diags.pop();
        for key in ["columns", "checks"] {
            if let Some(serde_yaml::Value::Sequence(items)) = map.get_mut(key) {
                for (i, item) in std::mem::take(items).into_iter().enumerate() {
                    let path = format!("{key}.{i}");
                    match key {
                        "columns" => self.item::<ColumnDoc>(src, &path, item),
                        _ => self.item::<CheckDoc>(src, &path, item),
                    }
                }
            }
        }
        self.item::<TableDoc>(src, "", serde_yaml::Value::Mapping(map));
        // serde located its (first) error exactly, nested paths included: prefer its report.
        let detail = |d: &Diagnostic| d.message.split_once(": ").map_or(d.message.clone(), |(_, m)| m.to_string());
        if let Some(whole) = whole_file {
            let found = self.diags.len() > first;
            match self.diags[first..].iter_mut().find(|d| detail(d) == detail(&whole)) {
                Some(same) => *same = whole,
                None if !found => self.diags.push(whole),
                None => {}
            }
        }
        self.diags[first..].sort_by_key(|d| (d.line, d.col));
        None
    }

    /// Reports why one node does not deserialise, at the key that causes it: the key whose
    /// removal changes the error.
    fn item<D: de::DeserializeOwned>(&mut self, src: &Source, path: &str, item: serde_yaml::Value) {
        let Err(e) = serde_yaml::from_value::<D>(item.clone()) else { return };
        let message = plain_serde(&e.to_string());
        let culprit = item.as_mapping().and_then(|m| {
            m.keys().filter_map(|k| k.as_str()).find(|k| {
                let mut without = m.clone();
                without.remove(*k);
                serde_yaml::from_value::<D>(serde_yaml::Value::Mapping(without)).err().map(|e| e.to_string())
                    != Some(e.to_string())
            })
        });
        let (pos, shown) = match culprit {
            Some(k) if message.starts_with("unknown field") => {
                (src.positions().key(&join_path(path, k)), path.to_string())
            }
            Some(k) => (src.positions().value(&join_path(path, k)), join_path(path, k)),
            None => (src.positions().value(path), path.to_string()),
        };
        let message = if shown.is_empty() { message } else { format!("{}: {message}", display_path(&shown)) };
        let help = suggestion_from_serde(&message);
        self.error(src, pos, message, help);
    }

    fn kind(&mut self, src: &Source) -> Option<Kind> {
        // Block-style files name their kind in a top-level key: no parse needed.
        let mut keys: Vec<String> = top_level(&src.text).map(|(k, _)| k.to_string()).collect();
        if keys.is_empty() {
            let value: serde_yaml::Value = self.parse(src)?;
            let map = value.as_mapping().into_iter().flat_map(|m| m.keys());
            keys = map.filter_map(|k| k.as_str().map(str::to_string)).collect();
        }
        let kinds = ["table", "view", "materialized_view"];
        match keys.iter().find(|k| kinds.contains(&k.as_str())).map(String::as_str) {
            Some("table") => Some(Kind::Table),
            Some(_) => Some(Kind::View),
            None => {
                let help = keys.iter().find_map(|k| nearest(k, kinds));
                self.at_help(
                    src,
                    "",
                    "expected an object file with a `table`, `view` or `materialized_view` key",
                    help,
                );
                None
            }
        }
    }

    fn ident(&mut self, src: &Source, path: &str, name: &str) {
        if let Err(msg) = check_ident(name) {
            let lower = snake_case(name);
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
        broken: &BTreeSet<String>,
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
            broken,
        };
        for (src, t) in tables {
            let columns: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            let types =
                t.columns.iter().filter_map(|c| Some((c.name.as_str(), ColumnType::parse(&c.ty).ok()?))).collect();
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

        let mut index_names: HashMap<&str, &Path> = HashMap::new();
        let mut all_indexes = tables
            .iter()
            .flat_map(|(s, t)| t.indexes.iter().enumerate().map(move |(i, x)| (s, i, x)))
            .chain(views.iter().flat_map(|(s, v)| v.indexes.iter().enumerate().map(move |(i, x)| (s, i, x))));
        all_indexes.try_for_each(|(s, i, x)| {
            let path = format!("indexes.{i}.name");
            self.ident(s, &path, &x.name);
            if let Some(first) = index_names.insert(&x.name, &s.path) {
                self.at(s, &path, format!("index `{}` is already declared in {}", x.name, self.show(first)));
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
            let msg = format!("`{name}` is already declared in {}", self.show(first.file));
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
            let Some(ty) = self.column_type(src, &at("type"), &c.ty) else {
                continue;
            };
            if ctx.redshift {
                let help = match ty {
                    ColumnType::Text => {
                        Some("declare varchar(n) with the longest length you expect, e.g. varchar(1024)")
                    }
                    ColumnType::Uuid => Some("declare char(36)"),
                    _ => None,
                };
                if let Some(help) = help {
                    let msg = format!("type `{ty}` cannot be deployed to Redshift, a target dialect of this project");
                    self.at_help(src, &at("type"), msg, Some(help.into()));
                }
            }
            let in_pk = primary_key.contains(&c.name);
            let identity = c.identity.as_ref().and_then(|i| i.0);
            if identity.is_some() {
                if !ty.is_integer() {
                    self.at(src, &at("identity"), format!("`identity` needs an integer type, not `{ty}`"));
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
                for word in expression_columns(expr).filter(|w| !cols.contains(w)) {
                    let msg = format!("`derived` uses `{word}`, which is not a column of table `{name}`");
                    self.at_help(src, &at("derived"), msg, nearest(word, cols.iter().copied()));
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
                ty,
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
                let written = doc.checks.iter().filter(|d| d.name == c.name).count();
                let msg = if written == 1 {
                    format!("check `{}` has the name of a check generated by a column's `checks: [not_null]` or `derived:` in table `{name}`; rename it", c.name)
                } else {
                    format!("check `{}` is declared twice in table `{name}`", c.name)
                };
                self.at(src, &path, msg);
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
        if ctx.broken.contains(table) {
            return None;
        }
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
        for (col, r) in columns.iter().zip(&references) {
            let ours = doc.columns.iter().find(|c| &c.name == col).and_then(|c| ColumnType::parse(&c.ty).ok());
            if let (Some(ours), Some(theirs)) = (ours, target.types.get(r.as_str())) {
                if !compatible(ours, *theirs) {
                    let msg = format!("`{col}` ({ours}) cannot reference `{table}.{r}` ({theirs}): the types differ");
                    self.at(src, path, msg);
                }
            }
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
        let ty = columns.iter().find(|c| c.name == key).and_then(|c| ColumnType::parse(&c.ty).ok());
        if let Some(ty) = ty.filter(|t| !t.can_be_redshift_key()) {
            self.at(src, path, format!("column `{key}` of type `{ty}` cannot be a Redshift distribution or sort key"));
        }
    }

    fn column_type(&mut self, src: &Source, path: &str, text: &str) -> Option<ColumnType> {
        ColumnType::parse(text)
            .map_err(|msg| {
                let base = text.split('(').next().unwrap_or(text).trim().to_ascii_lowercase();
                let help = msg.starts_with("unknown type").then(|| nearest(&base, TYPE_NAMES)).flatten();
                self.at_help(src, path, msg, help);
            })
            .ok()
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
                    serde_json::Value::Number(n) => number_fits(n, col.ty),
                    serde_json::Value::String(s) => match col.ty {
                        ColumnType::Varchar(len) | ColumnType::Char(len) => s.len() <= len as usize,
                        ty => !matches!(ty, ColumnType::Boolean) && !ty.is_integer(),
                    },
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
                // The index points at the body's first character; lines of a block body share its indent.
                let base = src.positions().value("sql");
                let line = base.line + e.line().unwrap_or(1) - 1;
                let start = e.range().map_or(0, |r| r.start).min(doc.sql.len());
                let in_line = doc.sql[..start].rsplit('\n').next().unwrap_or_default().chars().count();
                self.error(
                    src,
                    Pos { line, col: base.col + in_line },
                    format!("in the SQL body: {}", e.detail().unwrap_or("template error")),
                    None,
                );
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
            let words = sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
            let help = nearest(column, words);
            self.at_help(src, path, format!("column `{column}` does not appear in the view's SQL"), help);
        }
    }

    fn cycles(&mut self, project: &Project, views: &[(Source, ViewDoc)]) {
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

fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// `columns.3.type` → `columns[3].type`, the way serde prints paths.
fn display_path(path: &str) -> String {
    path.split('.')
        .map(|p| if p.chars().all(|c| c.is_ascii_digit()) { format!("[{p}]") } else { format!(".{p}") })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// `key: value` pairs written at column 0 of a block-style file.
fn top_level(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter(|l| !l.starts_with([' ', '#', '-', '{', '\t'])).filter_map(|l| l.split_once(':'))
}

/// The name a file declares, read without parsing (for files that fail to deserialise).
fn declared_name(text: &str) -> Option<String> {
    top_level(text)
        .find(|(k, _)| ["table", "view", "materialized_view"].contains(&k.trim_end()))
        .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_string())
}

fn ref_position(src: &Source, name: &str) -> Pos {
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

/// Whether a YAML number can be stored in a numeric column without loss or overflow.
fn number_fits(n: &serde_json::Number, ty: ColumnType) -> bool {
    let int_range = |bits: u32| n.as_i64().is_some_and(|v| v.unsigned_abs() < 1u64 << (bits - 1));
    match ty {
        ColumnType::SmallInt => int_range(16),
        ColumnType::Integer => int_range(32),
        ColumnType::BigInt => n.as_i64().is_some(),
        ColumnType::Decimal(p, s) => {
            let text = n.to_string();
            let (int, frac) = text.trim_start_matches('-').split_once('.').unwrap_or((&text, ""));
            int.trim_start_matches('0').len() <= (p - s) as usize && frac.len() <= s as usize
        }
        ColumnType::Real | ColumnType::Double => true,
        _ => false,
    }
}

/// The bare identifiers of an SQL expression that name columns: words outside quotes that are
/// not function names (followed by `(`), keywords, type names or numbers.
fn expression_columns(expr: &str) -> impl Iterator<Item = &str> {
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "not",
        "null",
        "is",
        "true",
        "false",
        "case",
        "when",
        "then",
        "else",
        "end",
        "as",
        "in",
        "between",
        "like",
        "ilike",
        "similar",
        "escape",
        "interval",
        "cast",
        "extract",
        "from",
        "at",
        "time",
        "zone",
        "with",
        "without",
        "distinct",
        "current_date",
        "current_timestamp",
        "localtimestamp",
        "sysdate",
        "epoch",
        "century",
        "decade",
        "year",
        "quarter",
        "month",
        "week",
        "day",
        "dow",
        "doy",
        "isodow",
        "hour",
        "minute",
        "second",
        "millisecond",
        "milliseconds",
        "microsecond",
        "microseconds",
        "timezone",
    ];
    let bytes = expr.as_bytes();
    let mut quote = None;
    let mut words = Vec::new();
    let mut start = None;
    for (i, &b) in bytes.iter().chain(b" ").enumerate() {
        let outside = quote.is_none() && b != b'\'' && b != b'"';
        match quote {
            None if !outside => quote = Some(b),
            Some(q) if q == b => quote = None,
            _ => {}
        }
        match (start, outside && (b.is_ascii_alphanumeric() || b == b'_')) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    words.into_iter().filter_map(move |(s, e)| {
        let word = &expr[s..e];
        let lower = word.to_ascii_lowercase();
        let skip = expr[e..].trim_start().starts_with('(')
            || word.starts_with(|c: char| c.is_ascii_digit())
            || KEYWORDS.contains(&lower.as_str())
            || TYPE_NAMES.contains(&lower.as_str());
        (!skip).then_some(word)
    })
}

/// `LoginEvents` / `login-events` → `login_events`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('_') {
            out.push('_');
        }
        out.push(if matches!(c, '-' | ' ' | '.') { '_' } else { c.to_ascii_lowercase() });
    }
    out
}

/// Types PostgreSQL lets a foreign key join: the same family (lengths and widths may differ).
fn compatible(a: ColumnType, b: ColumnType) -> bool {
    use ColumnType::*;
    let numeric = |t| matches!(t, SmallInt | Integer | BigInt | Decimal(..) | Real | Double);
    let text = |t| matches!(t, Char(_) | Varchar(_) | Text);
    a == b || (numeric(a) && numeric(b)) || (text(a) && text(b))
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

/// serde's vocabulary in the user's terms.
fn plain_serde(message: &str) -> String {
    [
        ("expected u8", "expected a whole number such as 1"),
        ("expected u32", "expected a whole number >= 0"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("a sequence", "a list"),
        ("expected a string", "expected text"),
    ]
    .iter()
    .fold(message.to_string(), |m, (from, to)| m.replace(from, to))
}

/// serde names the offending field or variant and the expected ones: turn that into a hint.
fn suggestion_from_serde(message: &str) -> Option<String> {
    // `{ type: decimal(18,4) }`: the flow mapping ends the value at the comma and `4)` becomes a key.
    if message.contains("unknown field `") && message.split('`').nth(1).is_some_and(|f| f.ends_with(')')) {
        return Some("inside `{ ... }` a comma ends the value: quote it, e.g. type: \"decimal(18,4)\"".into());
    }
    let ticked = |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    for marker in ["unknown field ", "unknown variant "] {
        if let Some(i) = message.find(marker) {
            let names = ticked(&message[i..]);
            let (word, expected) = names.split_first()?;
            return nearest(word, expected.iter().map(String::as_str));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_columns_of_an_expression() {
        let cols: Vec<&str> = expression_columns("DATE(event_timestamp) + INTERVAL '1 day' - x2::date").collect();
        assert_eq!(cols, ["event_timestamp", "x2"]);
        let cols: Vec<&str> = expression_columns("CASE WHEN \"a\" = 'b c' THEN CAST(n AS INTEGER) END").collect();
        assert_eq!(cols, ["n"]);
    }

    #[test]
    fn numbers_fit_their_columns() {
        let n = |v: serde_json::Value| match v {
            serde_json::Value::Number(n) => n,
            _ => unreachable!(),
        };
        assert!(number_fits(&n(serde_json::json!(32767)), ColumnType::SmallInt));
        assert!(!number_fits(&n(serde_json::json!(100000)), ColumnType::SmallInt));
        assert!(!number_fits(&n(serde_json::json!(3.5)), ColumnType::Integer));
        assert!(number_fits(&n(serde_json::json!(12.25)), ColumnType::Decimal(5, 2)));
        assert!(!number_fits(&n(serde_json::json!(1234.5)), ColumnType::Decimal(5, 2)));
        assert_eq!(snake_case("LoginEvents"), "login_events");
    }

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
