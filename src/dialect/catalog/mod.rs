//! Live database → model, the parts both dialects share. Each driver reads its catalog with a
//! fixed number of queries (one per catalog source, filtered to the namespace on the server)
//! whatever the number of tables, and the rows are joined in Rust. The SQL of a dialect lives in
//! its driver's `catalog` module and nowhere else; this module holds the session that counts
//! round trips, text rows, the assembly of rows into tables and views, and the parsers for
//! constraint definitions and view bodies.

use crate::dialect::Driver;
use crate::diff::findings::{Kind, Unmanaged};
use crate::diff::{default_name, KeyKind};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

mod printed;
mod session;

pub(in crate::dialect) use printed::{identifier, Cursor};
pub use printed::{parse_constraint, to_refs, Constraint};
pub use session::{Row, Rows, Session};

/// What the catalog shows of the managed namespace.
#[derive(Debug, Clone)]
pub struct Live {
    /// Tables and views in model form (phase 1; no rows or checks: the catalog holds neither).
    pub project: Project,
    /// Properties the catalog does not show for an object (e.g. whether an empty Redshift table
    /// is on SORTKEY AUTO or has none): diff does not compare them.
    pub unknown: BTreeSet<(String, Unknown)>,
    /// Columns of a type the YAML format cannot express (on PostgreSQL, one whose printed form
    /// does not read as one type: a modifier that is no number, `geometry(Point,4326)`):
    /// (table, column, type as printed).
    pub foreign_types: Vec<(String, String, String)>,
    /// Columns whose type (or array element type) an extension installed outside the managed
    /// namespaces brought: (table, column, the extension as `ns.name`). `inspect` declares it.
    pub outside_extensions: Vec<(String, String, String)>,
    /// Materialized views the server says it can no longer refresh: (name, why).
    pub broken: Vec<(String, String)>,
    /// Views that call a function, aggregate or procedure of a managed namespace, which the
    /// model does not hold (a rebuilt database lacks it): (view, routine).
    pub routines: Vec<(String, String)>,
    /// What the catalog shows on tables that the model does not hold (triggers, policies, ...).
    pub unmanaged: Vec<Unmanaged>,
    /// Sources that could not be read or objects that could not be normalised, and the effect.
    pub warnings: Vec<String>,
    /// Round trips to the server: constant, whatever the size of the schema.
    pub queries: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unknown {
    /// Whether the table is on ENCODE AUTO (its columns' current encodings are known).
    EncodeAuto,
    /// SORTKEY AUTO or no sort key.
    SortKey,
    Backup,
    AutoRefresh,
    /// Grants to roles (Redshift shows them in SVV_RELATION_PRIVILEGES only).
    RoleGrants,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unknown::EncodeAuto => "whether the table is on ENCODE AUTO (encodings written as found)",
            Unknown::SortKey => "SORTKEY AUTO or none (written as auto)",
            Unknown::Backup => "BACKUP (written as yes)",
            Unknown::AutoRefresh => "AUTO REFRESH (written as no)",
            Unknown::RoleGrants => "grants to roles (none written)",
        })
    }
}

/// SQL true for rows whose namespace column `column` is one of `namespaces`.
pub(in crate::dialect) fn in_namespaces(d: &dyn Driver, namespaces: &[String], column: &str) -> String {
    let list: Vec<String> = namespaces.iter().map(|n| d.literal(n)).collect();
    match list.as_slice() {
        [one] => format!("{column} = {one}"),
        _ => format!("{column} IN ({})", list.join(", ")),
    }
}

/// The SQL of an object's key (`model::split_key`) from its namespace column and its name
/// column: the bare name in the project's namespace (the first), `ns.name` in the others. A
/// name holding a dot (legal when quoted) would read as another object's key: it comes back
/// as `.ns.name`, which no key is, and is set aside (`UNHELD`).
pub(in crate::dialect) fn object_key(d: &dyn Driver, namespaces: &[String], ns: &str, name: &str) -> String {
    let key = match namespaces {
        [home, _, ..] => format!("CASE WHEN {ns} = {} THEN {name} ELSE {ns} || '.' || {name} END", d.literal(home)),
        _ => name.to_string(),
    };
    format!("CASE WHEN STRPOS({name}, '.') > 0 THEN '.' || {ns} || '.' || {name} ELSE {key} END")
}

/// How `object_key` marks a name holding a dot.
const UNHELD: char = '.';

/// Rows of both dialects joined into tables and views.
pub(in crate::dialect) struct Builder {
    namespace: String,
    /// Whether the dialect's other types are carried as written (`ColumnType::Native`).
    natives: bool,
    pub(in crate::dialect) tables: BTreeMap<String, Table>,
    pub(in crate::dialect) views: BTreeMap<String, View>,
    pub(in crate::dialect) live: Live,
}

impl Builder {
    /// `namespaces`: the project's first, then the others it manages.
    pub(in crate::dialect) fn new(namespaces: &[String], dialect: Dialect) -> Builder {
        let namespace = &namespaces[0];
        let project = Project {
            name: namespace.to_string(),
            namespace: namespace.to_string(),
            namespaces: namespaces[1..].to_vec(),
            dialects: vec![dialect],
            phases: vec![1],
            ignore: vec![],
            // Procedures are not read from the catalog; diff does not compare them.
            refresh_procedure: None,
            seed_values: Default::default(),
            enums: Default::default(),
            extensions: Default::default(),
            sequences: Default::default(),
            domains: Default::default(),
            tables: vec![],
            views: vec![],
            targets: Default::default(),
            key_checks: Default::default(),
        };
        let live = Live {
            project,
            unknown: BTreeSet::new(),
            foreign_types: vec![],
            outside_extensions: vec![],
            broken: vec![],
            routines: vec![],
            unmanaged: vec![],
            warnings: vec![],
            queries: 0,
        };
        let (tables, views) = (BTreeMap::new(), BTreeMap::new());
        let natives = crate::dialect::driver(dialect).native_types();
        Builder { namespace: namespace.to_string(), natives, tables, views, live }
    }

    /// A table of the namespace; the tool's own bookkeeping tables are not part of the model.
    pub(in crate::dialect) fn table(&mut self, name: &str, description: Option<&str>) {
        if crate::layout::INTERNAL_TABLES.contains(&name) || self.unheld(name) {
            return;
        }
        let table = Table {
            name: name.to_string(),
            phase: 1,
            description: description.map(str::to_string),
            columns: vec![],
            primary_key: vec![],
            primary_key_name: None,
            unique: vec![],
            foreign_keys: vec![],
            check_constraints: vec![],
            redshift: Default::default(),
            indexes: vec![],
            rows: vec![],
            checks: vec![],
            key_checks: None,
            grants: None,
            postgres: Default::default(),
        };
        self.tables.insert(name.to_string(), table);
    }

    pub(in crate::dialect) fn view(&mut self, name: &str, materialized: bool, description: Option<&str>) {
        if self.unheld(name) {
            return;
        }
        let view = View {
            name: name.to_string(),
            materialized,
            phase: 1,
            description: description.map(str::to_string),
            sql: String::new(),
            depends_on: vec![],
            late_binding: false,
            redshift: Default::default(),
            indexes: vec![],
            grants: None,
            postgres: Default::default(),
        };
        self.views.insert(name.to_string(), view);
    }

    /// A name `object_key` marked: said, and not part of the model (rows about it are ignored).
    fn unheld(&mut self, key: &str) -> bool {
        let Some(qualified) = key.strip_prefix(UNHELD) else { return false };
        self.live.warnings.push(format!(
            "{qualified}: a name holding a dot cannot be told from a namespace-qualified one in the YAML; not compared"
        ));
        true
    }

    /// A table read, to complete with what its dialect's other queries say.
    pub(in crate::dialect) fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.get_mut(name)
    }

    pub(in crate::dialect) fn view_mut(&mut self, name: &str) -> Option<&mut View> {
        self.views.get_mut(name)
    }

    pub(in crate::dialect) fn view_body(&mut self, name: &str, sql: String, depends_on: Vec<String>) {
        if let Some(v) = self.views.get_mut(name) {
            v.sql = sql;
            v.depends_on = depends_on;
        }
    }

    /// The next value of an enum type of the namespace.
    pub(in crate::dialect) fn enum_value(&mut self, name: &str, label: &str) {
        self.live.project.enums.entry(name.to_string()).or_default().push(label.to_string());
    }

    /// The column's type, or None (recorded) when the model cannot express it. An enum is one
    /// of a managed namespace's, printed qualified (`ns.mood`, `ns.mood[]`, `ns."Mood"`) and keyed
    /// like objects (`mood` in the project's namespace, `ns.mood` in another). Any other type is, where
    /// the dialect carries its types as written, the native type as the server prints it:
    /// qualified outside pg_catalog (the catalog is read with `search_path` set to pg_catalog),
    /// since migrations run with whatever search_path the session has; a `numeric` without
    /// precision among them (PostgreSQL keeps any value exactly; the YAML's `decimal` rounds).
    /// Where it is not, such a type is one the model does not hold.
    pub(in crate::dialect) fn column_type(&mut self, table: &str, column: &str, printed: &str) -> Option<ColumnType> {
        let enums = &self.live.project.enums;
        let managed = std::iter::once(&self.namespace).chain(&self.live.project.namespaces);
        let prefixes = managed.flat_map(|ns| [ns.clone(), crate::sql::ident(ns)].map(|p| (ns, format!("{p}."))));
        let prefixes: Vec<(&String, String)> = prefixes.collect();
        let local = prefixes.iter().find_map(|(ns, p)| Some((*ns, printed.strip_prefix(p.as_str())?)));
        let namespace_enum = local.and_then(|(ns, l)| {
            let base = l.trim_end_matches("[]");
            let name = identifier(base)?;
            let key = if *ns == self.namespace { name } else { format!("{ns}.{name}") };
            ColumnType::declared_enum(&format!("{key}{}", &l[base.len()..]), |n| enums.contains_key(n))
        });
        // The YAML's `json` is jsonb on PostgreSQL: a `json` column (text kept as written, keys
        // repeated and in order) is another type, spelt qualified so it stays itself.
        let plain_json = printed.trim_end_matches("[]") == "json";
        let parsed = match namespace_enum {
            Some(t) => Some(t),
            None if plain_json && self.natives => ColumnType::parse_postgres(&format!("pg_catalog.{printed}")).ok(),
            None if plain_json => None,
            None if self.natives => ColumnType::parse_postgres(printed).and_then(|t| t.undeclared(|_| false)).ok(),
            None if local.is_some() || printed.trim_end_matches("[]") == "numeric" => None,
            None => ColumnType::parse(printed).ok().filter(|t| t.enum_name().is_none() && !t.is_native()),
        };
        if parsed.is_none() && self.tables.contains_key(table) {
            self.live.foreign_types.push((table.to_string(), column.to_string(), printed.to_string()));
        }
        parsed
    }

    pub(in crate::dialect) fn column(&mut self, table: &str, column: Column) {
        if let Some(t) = self.tables.get_mut(table) {
            t.columns.push(column);
        }
    }

    /// A PRIMARY KEY, UNIQUE or FOREIGN KEY definition as `pg_get_constraintdef` prints it, named
    /// `name` (None where the source does not say). A name other than the deterministic one is
    /// kept; the options the model does not hold are said.
    pub(in crate::dialect) fn constraint(&mut self, table: &str, name: Option<&str>, definition: &str) {
        let Some(t) = self.tables.get_mut(table) else { return };
        let Some((constraint, options)) = parse_constraint(definition) else {
            let found = definition.to_string();
            let u = Unmanaged::unmodelled(table, name, "constraint", None, &found);
            self.live.warnings.push(format!("{table}: constraint `{definition}` is not understood"));
            self.live.unmanaged.push(u);
            return;
        };
        let given =
            |kind, columns: &[String]| name.filter(|n| *n != default_name(table, kind, columns)).map(str::to_string);
        match constraint {
            Constraint::PrimaryKey(columns) => {
                t.primary_key_name = given(KeyKind::Primary, &columns);
                t.primary_key = columns;
            }
            Constraint::Unique { columns, nulls_not_distinct } => {
                let name = given(KeyKind::Unique, &columns);
                t.unique.push(UniqueKey { columns, name, nulls_not_distinct });
            }
            Constraint::ForeignKey(printed) => {
                let mut fk = printed.key;
                if let Some(s) = printed.schema.filter(|s| *s != self.namespace) {
                    fk.table = format!("{s}.{}", fk.table);
                }
                fk.name = given(KeyKind::Foreign, &fk.columns);
                t.foreign_keys.push(fk);
            }
        }
        if !options.is_empty() {
            self.live.unmanaged.push(Unmanaged::unmodelled(table, name, "constraint options", None, &options));
        }
    }

    /// A CHECK constraint as `pg_get_constraintdef` prints it: `CHECK (<expression>)`, maybe
    /// followed by options the model does not hold (NOT VALID, NO INHERIT), which are said.
    pub(in crate::dialect) fn check_constraint(&mut self, table: &str, name: &str, definition: &str) {
        let Some(t) = self.tables.get_mut(table) else { return };
        let mut text = definition.trim();
        let mut flags = Vec::new();
        while let Some((flag, rest)) =
            ["NOT VALID", "NO INHERIT"].iter().find_map(|o| Some((*o, text.strip_suffix(o)?.strip_suffix(' ')?)))
        {
            flags.insert(0, flag);
            text = rest.trim_end();
        }
        match text.strip_prefix("CHECK (").and_then(|e| e.strip_suffix(')')) {
            Some(expression) => {
                let (name, expression) = (name.to_string(), expression.to_string());
                t.check_constraints.push(CheckConstraint { name: name.clone(), expression });
                if !flags.is_empty() {
                    let u = Unmanaged::unmodelled(table, Some(&name), "constraint options", None, &flags.join(" "));
                    self.live.unmanaged.push(u);
                }
            }
            None => {
                let u = Unmanaged::unmodelled(table, Some(name), "constraint", None, definition);
                self.live.warnings.push(format!("{table}: constraint `{definition}` is not understood"));
                self.live.unmanaged.push(u);
            }
        }
    }

    /// Something on a table of the namespace that the model does not hold.
    pub(in crate::dialect) fn unmanaged(&mut self, kind: Kind, table: &str, item: Option<&str>, definition: &str) {
        if self.tables.contains_key(table) {
            self.live.unmanaged.push(Unmanaged::on(kind, table, item, definition));
        }
    }

    /// A property of a table, view or enum read, or of its column, index or constraint `item`, that the
    /// model does not hold, with another value than the tool's DDL gives it.
    pub(in crate::dialect) fn unmodelled(
        &mut self,
        table: &str,
        item: Option<&str>,
        property: &str,
        expected: Option<&str>,
        found: &str,
    ) {
        let p = &self.live.project;
        let namespace = table == self.namespace || p.namespaces.iter().any(|n| n == table);
        let held = p.enums.contains_key(table)
            || p.sequences.contains_key(table)
            || p.domains.contains_key(table)
            || namespace;
        if self.tables.contains_key(table) || self.views.contains_key(table) || held {
            self.live.unmanaged.push(Unmanaged::unmodelled(table, item, property, expected, found));
        }
    }

    /// The owners of the objects read, `(key, role)`, the tool's own tables included: each table,
    /// view or enum owned by another role than the tool's is `unmodelled` `owner`. The tool's
    /// role owns the migration history; before the first migration, the most common owner.
    pub(in crate::dialect) fn owners<'a>(&mut self, owners: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let owners: Vec<(&str, &str)> = owners.into_iter().collect();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        owners.iter().for_each(|(_, role)| *counts.entry(role).or_default() += 1);
        let history = owners.iter().find(|(key, _)| *key == crate::layout::HISTORY_TABLE).map(|(_, role)| *role);
        let common = counts.iter().max_by_key(|(role, n)| (**n, std::cmp::Reverse(**role))).map(|(role, _)| *role);
        let Some(expected) = history.or(common) else { return };
        for (key, role) in owners.iter().filter(|(_, role)| *role != expected) {
            self.unmodelled(key, None, "owner", Some(expected), role);
        }
    }

    /// An object of a managed namespace that the model cannot hold (`what`: `function`, ...).
    pub(in crate::dialect) fn stray(&mut self, what: &str, key: &str, definition: &str) {
        if !self.unheld(key) {
            self.live.unmanaged.push(Unmanaged::stray(key, what, definition));
        }
    }

    pub(in crate::dialect) fn index(&mut self, owner: &str, index: Index) {
        if let Some(t) = self.tables.get_mut(owner) {
            t.indexes.push(index);
        } else if let Some(v) = self.views.get_mut(owner) {
            v.indexes.push(index);
        }
    }

    pub(in crate::dialect) fn unknown(&mut self, object: &str, what: Unknown) {
        self.live.unknown.insert((object.to_string(), what));
    }

    pub(in crate::dialect) fn finish(mut self) -> Live {
        self.live.project.tables = self.tables.into_values().collect();
        self.live.project.views = self.views.into_values().collect();
        self.live
    }
}

/// An identity's seed only says where a new table starts (a deep copy starts after the ids it
/// copied): where the catalog shows an identity of the same step, it takes the YAML's seed.
pub(in crate::dialect) fn settle_identities(live: &mut Table, desired: &Table) {
    for c in &mut live.columns {
        let wanted = desired.column(&c.name).and_then(|d| d.identity);
        if let (Some(found), Some(wanted)) = (&mut c.identity, wanted) {
            if found.step == wanted.step {
                found.seed = wanted.seed;
            }
        }
    }
}

/// Puts the items the YAML also has in the YAML's order, the others after them: the order of keys
/// and indexes is no property of the table, and the DDL diff reads better.
pub(in crate::dialect) fn order_like<T>(live: &mut [T], desired: &[T], same: impl Fn(&T, &T) -> bool) {
    live.sort_by_cached_key(|l| desired.iter().position(|d| same(l, d)).unwrap_or(usize::MAX));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_keeps_foreign_schemas_and_places_indexes() {
        let mut b = Builder::new(&["ns".to_string()], Dialect::Postgres);
        b.table("t", None);
        b.view("mv", true, None);
        b.constraint("t", None, "FOREIGN KEY (a) REFERENCES ns.u(id)");
        b.constraint("t", Some("t_b_fkey"), "FOREIGN KEY (b) REFERENCES other.u(id)");
        b.constraint("t", Some("odd"), "CHECK (a > 0)");
        let index = |name: &str| Index::new(name, vec![IndexColumn::named("a")]);
        b.index("t", index("t_a"));
        b.index("mv", index("mv_a"));
        b.index("nowhere", index("x"));
        let live = b.finish();
        let (t, mv) = (&live.project.tables[0], &live.project.views[0]);
        let targets: Vec<&str> = t.foreign_keys.iter().map(|f| f.table.as_str()).collect();
        assert_eq!(targets, ["u", "other.u"]);
        assert_eq!((t.indexes[0].name.as_str(), mv.indexes[0].name.as_str()), ("t_a", "mv_a"));
        assert_eq!(live.warnings, ["t: constraint `CHECK (a > 0)` is not understood"]);
        let said: Vec<_> =
            live.unmanaged.iter().map(|u| (u.object(), u.property.clone().unwrap(), u.definition.clone())).collect();
        assert_eq!(said, [("t.odd".to_string(), "constraint".to_string(), "CHECK (a > 0)".to_string())]);
    }

    #[test]
    fn an_identity_takes_the_yaml_seed_only_with_the_same_step() {
        let yaml = "table: t\ncolumns:\n  - { name: a, type: bigint, identity: { seed: 1, step: 1 } }\n  - { name: b, type: bigint, identity: { seed: 1, step: 1 } }\n";
        let files = vec![
            ("/p/schema.yaml".into(), Ok("name: p\nnamespace: ns\ndialects: [postgres]\n".to_string())),
            ("/p/tables/t.yaml".into(), Ok(yaml.to_string())),
        ];
        let desired = crate::load::load_texts(std::path::Path::new("/p"), files).unwrap().tables.remove(0);
        let mut live = desired.clone();
        live.columns[0].identity = Some(Identity { seed: 500, step: 1 });
        live.columns[1].identity = Some(Identity { seed: 500, step: 2 });
        settle_identities(&mut live, &desired);
        assert_eq!(live.columns[0].identity, Some(Identity { seed: 1, step: 1 }));
        assert_eq!(live.columns[1].identity, Some(Identity { seed: 500, step: 2 }));
    }
}
