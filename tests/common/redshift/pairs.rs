//! The pair matrix: every pair of lowering rules applied at once to related objects, a parent
//! and its child (a foreign key) or a table and the materialized view reading it, on the
//! emulation holding data. Each case has its own parent `p<k>`, child `c<k>` and view `mv<k>`,
//! so one project, one migration and one round of checks cover many cases; a batch with
//! problems is run again case by case, so each problem is told with the pair it comes from.

use super::harness::Emulated;

/// One lowering rule, as the YAML edit that leads the planner to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    AddColumn,
    AddDerived,
    AddBetween,
    DropColumn,
    Rename,
    Widen,
    Narrow,
    RebuildLast,
    DefaultLast,
    RetypeBetween,
    RoundScale,
    NotNull,
    Backup,
    Interleave,
    SortKey,
    SortAuto,
    DistAll,
    LeaveEncodeAuto,
    Grants,
    Comment,
    Unique,
    Move,
    ViewBody,
    ViewBackup,
}

impl Rule {
    /// The rules that change a table.
    pub const TABLE: [Rule; 22] = [
        Rule::AddColumn,
        Rule::AddDerived,
        Rule::AddBetween,
        Rule::DropColumn,
        Rule::Rename,
        Rule::Widen,
        Rule::Narrow,
        Rule::RebuildLast,
        Rule::DefaultLast,
        Rule::RetypeBetween,
        Rule::RoundScale,
        Rule::NotNull,
        Rule::Backup,
        Rule::Interleave,
        Rule::SortKey,
        Rule::SortAuto,
        Rule::DistAll,
        Rule::LeaveEncodeAuto,
        Rule::Grants,
        Rule::Comment,
        Rule::Unique,
        Rule::Move,
    ];
    /// The rules that change a materialized view.
    pub const VIEW: [Rule; 2] = [Rule::ViewBody, Rule::ViewBackup];
}

/// A parent rule, a child rule and a view rule, at most one each.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub parent: Option<Rule>,
    pub child: Option<Rule>,
    pub view: Option<Rule>,
}

/// Every pair: each table rule on the parent with each on the child, and each table rule on
/// either with each view rule.
pub fn matrix() -> Vec<Case> {
    let mut out = Vec::new();
    for a in Rule::TABLE {
        out.extend(Rule::TABLE.map(|b| Case { parent: Some(a), child: Some(b), view: None }));
        for v in Rule::VIEW {
            out.push(Case { parent: Some(a), child: None, view: Some(v) });
            out.push(Case { parent: None, child: Some(a), view: Some(v) });
        }
    }
    out
}

#[derive(Clone)]
struct Column {
    name: &'static str,
    ty: &'static str,
    flags: Vec<String>,
}

impl Column {
    fn new(name: &'static str, ty: &'static str) -> Column {
        Column { name, ty, flags: vec![] }
    }
}

/// A table of a case as the YAML declares it.
#[derive(Clone)]
struct Table {
    key: String,
    columns: Vec<Column>,
    head: Vec<String>,
    grants: Option<Vec<&'static str>>,
}

impl Table {
    fn new(name: String, parent: Option<&str>) -> Table {
        let mut columns =
            vec![Column { name: "id", ty: "bigint", flags: vec!["identity: true".into(), "primary_key: true".into()] }];
        if let Some(p) = parent {
            columns.push(Column {
                name: "p_id",
                ty: "bigint",
                flags: vec!["nullable: false".into(), format!("references: {p}.id")],
            });
        }
        for (n, t) in [
            ("code", "varchar(20)"),
            ("d", "date"),
            ("n", "integer"),
            ("amount", "decimal(10,4)"),
            ("note", "varchar(64)"),
            ("qty", "integer"),
        ] {
            columns.push(Column::new(n, t));
        }
        let head = vec![
            "distribution: { style: even }".into(),
            "sort_key: { columns: [d] }".into(),
            format!("description: Table {name}."),
        ];
        Table { key: name, columns, head, grants: None }
    }

    fn column(&mut self, name: &str) -> &mut Column {
        self.columns.iter_mut().find(|c| c.name == name).unwrap()
    }

    fn set(&mut self, key: &str, line: String) {
        self.head.retain(|l| !l.starts_with(key));
        self.head.push(line);
    }

    fn yaml(&self) -> String {
        let mut out = format!("table: {}\n{}\ncolumns:\n", self.key, self.head.join("\n"));
        for c in &self.columns {
            let flags: String = c.flags.iter().map(|f| format!(", {f}")).collect();
            out.push_str(&format!("  - {{ name: {}, type: \"{}\"{flags} }}\n", c.name, c.ty));
        }
        if let Some(grants) = &self.grants {
            out.push_str(&format!("grants:\n{}", grants.iter().map(|g| format!("  - {g}\n")).collect::<String>()));
        }
        out
    }

    /// Applies a table rule; the column rename or table move it makes, for the checks.
    fn apply(&mut self, rule: Rule, renames: &mut Vec<(String, String, String)>, moves: &mut Vec<(String, String)>) {
        let name = self.key.clone();
        match rule {
            Rule::AddColumn => self.columns.push(Column::new("extra", "varchar(8)")),
            Rule::AddDerived => {
                self.columns.push(Column { name: "day", ty: "date", flags: vec!["derived: DATE(d)".into()] })
            }
            Rule::AddBetween => self.columns.insert(1, Column::new("extra", "varchar(8)")),
            Rule::DropColumn => self.columns.retain(|c| c.name != "note"),
            Rule::Rename => {
                let c = self.column("note");
                c.name = "remark";
                c.flags.push("renamed_from: note".into());
                renames.push((name, "note".into(), "remark".into()));
            }
            Rule::Widen => self.column("note").ty = "varchar(128)",
            Rule::Narrow => self.column("code").ty = "varchar(10)",
            Rule::RebuildLast => self.column("qty").ty = "bigint",
            Rule::DefaultLast => self.column("qty").flags.push("default: '0'".into()),
            Rule::RetypeBetween => self.column("n").ty = "bigint",
            Rule::RoundScale => self.column("amount").ty = "decimal(10,2)",
            Rule::NotNull => self.column("note").flags.push("nullable: false".into()),
            Rule::Backup => self.set("backup", "backup: false".into()),
            Rule::Interleave => self.set("sort_key", "sort_key: { kind: interleaved, columns: [d, code] }".into()),
            Rule::SortKey => self.set("sort_key", "sort_key: { columns: [d, id] }".into()),
            Rule::SortAuto => self.set("sort_key", "sort_key: { kind: auto }".into()),
            Rule::DistAll => self.set("distribution", "distribution: { style: all }".into()),
            Rule::LeaveEncodeAuto => self.column("note").flags.push("encode: zstd".into()),
            Rule::Grants => {
                // The grants the table had, now declared, and one more.
                let mut grants = vec![
                    "{ to: user pm_reader, privileges: [select] }",
                    "{ to: group pm_readers, privileges: [select] }",
                ];
                if self.columns.iter().any(|c| c.name == "p_id") {
                    grants.push("{ to: role pm_etl, privileges: [insert] }");
                }
                self.grants = Some(grants);
            }
            Rule::Comment => self.set("description", format!("description: Table {name}, described again.")),
            Rule::Unique => self.column("code").flags.push("unique: true".into()),
            Rule::Move => {
                self.key = format!("pm_archive.{name}");
                moves.push((name, self.key.clone()));
            }
            Rule::ViewBody | Rule::ViewBackup => unreachable!("a view rule on a table"),
        }
    }
}

/// The YAML files of the cases, with the column renames and table moves the rules make.
pub struct Project {
    pub files: Vec<(String, String)>,
    pub renames: Vec<(String, String, String)>,
    pub moves: Vec<(String, String)>,
}

/// The cases before (`edited` false) or after their rules.
pub fn project(cases: &[(usize, Case)], edited: bool) -> Project {
    let mut out = Project {
        files: vec![(
            "schema.yaml".into(),
            "name: pairs\nnamespace: pm\nnamespaces: [pm_archive]\ndialects: [postgres, redshift]\nphases: [1]\n"
                .into(),
        )],
        renames: vec![],
        moves: vec![],
    };
    for (k, case) in cases {
        let mut parent = Table::new(format!("p{k}"), None);
        if let Some(rule) = case.parent.filter(|_| edited) {
            parent.apply(rule, &mut out.renames, &mut out.moves);
        }
        let mut child = Table::new(format!("c{k}"), Some(&parent.key));
        if let Some(rule) = case.child.filter(|_| edited) {
            child.apply(rule, &mut out.renames, &mut out.moves);
        }
        let mut view = format!(
            "materialized_view: mv{k}\nsql: |\n  SELECT p.code AS code, COUNT(*) AS children, SUM(c.qty) AS qty\n  FROM {{{{ ref('{}') }}}} p JOIN {{{{ ref('{}') }}}} c ON c.p_id = p.id\n  GROUP BY p.code\n",
            parent.key, child.key
        );
        match case.view.filter(|_| edited) {
            Some(Rule::ViewBody) => view = view.replace("SUM(c.qty) AS qty", "SUM(c.qty) AS qty, MAX(c.d) AS last_day"),
            Some(Rule::ViewBackup) => view = view.replace("sql: |", "backup: false\nsql: |"),
            _ => {}
        }
        out.files.push((format!("tables/p{k}.yaml"), parent.yaml()));
        out.files.push((format!("tables/c{k}.yaml"), child.yaml()));
        out.files.push((format!("views/mv{k}.yaml"), view));
    }
    out
}

/// Rows, owners and grants the YAML does not declare, as a DBA leaves them, for the cases: three
/// parents, each with a child; everything owned by another user than the one migrating, read by
/// a user and loaded by a role.
pub fn data(cases: &[(usize, Case)]) -> String {
    let mut sql = String::from("GRANT USAGE ON SCHEMA pm, pm_archive TO pm_owner;\n");
    for (k, _) in cases {
        sql.push_str(&format!(
            "INSERT INTO pm.p{k} (code, d, n, amount, note, qty) VALUES ('a1', '2026-11-01', 1, 1.5, 'x1', 10), ('a2', '2026-11-02', 2, 2.25, 'x2', 20), ('a3', '2026-11-03', 3, 3, 'x3', 30);
INSERT INTO pm.c{k} (p_id, code, d, n, amount, note, qty) VALUES (1, 'b1', '2026-11-01', 1, 0.5, 'y1', 1), (2, 'b2', '2026-11-02', 2, 0.75, 'y2', 2), (3, 'b3', '2026-11-03', 3, 1, 'y3', 3);
ALTER TABLE pm.p{k} OWNER TO pm_owner; ALTER TABLE pm.c{k} OWNER TO pm_owner; ALTER MATERIALIZED VIEW pm.mv{k} OWNER TO pm_owner;
GRANT SELECT ON pm.p{k}, pm.c{k}, pm.mv{k} TO pm_reader; GRANT INSERT ON pm.c{k} TO pm_etl;\n"
        ));
    }
    sql
}

/// The cases applied together on a fresh emulated database: every problem of the checks, or why
/// the migration did not apply.
pub fn run(cases: &[(usize, Case)]) -> Vec<String> {
    let write = |p: &Emulated, project: &Project| project.files.iter().for_each(|(f, t)| p.write(f, t));
    let mut p = Emulated::new(|_| {});
    write(&p, &project(cases, false));
    crate::common::create_roles(&p.url, &["pm_owner", "pm_reader", "pm_readers", "pm_etl"]);
    p.sql("INSERT INTO emulated_roles VALUES ('pm_etl')");
    p.generate("initial", &[]);
    if let Err(e) = p.apply_pending().1 {
        return vec![format!("the initial migration does not apply: {e}")];
    }
    p.sql(&data(cases));
    let edited = project(cases, true);
    write(&p, &edited);
    // A moved table's file is written under the same name: nothing else to remove.
    let renames: Vec<(&str, &str, &str)> =
        edited.renames.iter().map(|(t, f, n)| (t.as_str(), f.as_str(), n.as_str())).collect();
    let moves: Vec<(&str, &str)> = edited.moves.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
    let outcome = p.step_moving("pairs", &["--allow-destructive"], &renames, &moves);
    let mut problems = outcome.problems;
    if let Err(e) = outcome.applied {
        problems.push(format!("the migration does not apply: {e}"));
    }
    problems
}
