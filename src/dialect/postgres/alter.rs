//! How PostgreSQL changes its own properties (`attrs`) of an existing table, its columns and its
//! views: in place where ALTER can (collation, identity generation and options, serial,
//! dropping a generation expression, persistence, storage parameters, view options), else by
//! re-creating the column (a new or changed generation expression), which the hazards say.

use super::Postgres;
use crate::dialect::lower::{Hazard, Op};
use crate::dialect::postgres::attrs::{option_changes, Created, PartitionChange, Partitioning};
use crate::dialect::Driver;
use crate::diff::{keys, ColumnChanges, TableChange, TableDiff, ViewChanges};
use crate::model::{Column, View};
use crate::sql::expr::{expression, Role};

/// A modified column: (old, new).
type Modified<'a> = (&'a Column, &'a Column);

/// The modified columns to alter in place, and the generated columns to re-create: PostgreSQL
/// 15 can drop a generation expression (DROP EXPRESSION) but not set or change one.
pub(super) fn columns(d: &TableDiff) -> (Vec<Modified<'_>>, Vec<Modified<'_>>) {
    let (mut altered, mut regenerated) = (Vec::new(), Vec::new());
    for change in &d.changes {
        let TableChange::ModifyColumn { from, to, changed } = change else { continue };
        let (old, new) = (&from.postgres.generated, &to.postgres.generated);
        if new.is_some() && old != new {
            regenerated.push((from, to));
        } else if changed.definition() || changed.has(ColumnChanges::IDENTITY) || changed.has(ColumnChanges::POSTGRES) {
            altered.push((from, to));
        }
    }
    (altered, regenerated)
}

/// Re-creates each generated column, then the indexes on it (the server drops them with the
/// column, whatever the plan created before). Refused where a key or a CHECK constraint reads
/// the column: the server would drop those too.
pub(super) fn regenerate(d: &TableDiff, columns: &[Modified]) -> Result<Vec<Op>, String> {
    let table = &d.to.name;
    let reads = |text: &str, role: Role, name: &str| {
        expression(text, Postgres.grammars(), role).is_ok_and(|e| e.columns().iter().any(|c| c == name))
    };
    let mut ops = Vec::new();
    for (_, c) in columns {
        let name = c.name.as_str();
        let key = keys(&d.to).into_iter().find(|k| {
            k.columns.iter().any(|k| k == name)
                || k.check.as_deref().is_some_and(|x| reads(x, Role::CheckConstraint, name))
        });
        if let Some(k) = key {
            return Err(format!(
                "the generation expression of `{table}.{name}` changes, which PostgreSQL does only by dropping the column and adding it again, and {} reads it: write this migration by hand",
                k.describe()
            ));
        }
        ops.push(Op::RegenerateColumn { table: table.clone(), column: (*c).clone() });
        for index in &d.to.indexes {
            let on = index.columns.iter().any(|e| e.reads(name, Postgres.grammars()))
                || index.predicate.as_deref().is_some_and(|p| reads(p, Role::IndexPredicate, name));
            if on {
                ops.push(Op::CreateIndex { table: table.clone(), index: index.clone() });
            }
        }
    }
    Ok(ops)
}

/// The table's persistence and storage parameters that change.
pub(super) fn table_options(d: &TableDiff) -> Vec<Op> {
    let options = |c: &TableChange| match c {
        TableChange::Postgres { from, to } => {
            let (set, reset) = option_changes(&from.with, &to.with);
            let unlogged = (from.unlogged != to.unlogged).then_some(to.unlogged);
            // Nothing to set where only the exclusion constraints change (`exclusions`).
            let options = unlogged.is_some() || !set.is_empty() || !reset.is_empty();
            options.then(|| Op::SetOptions { object: d.to.name.clone(), on: "TABLE", unlogged, set, reset })
        }
        _ => None,
    };
    d.changes.iter().filter_map(options).collect()
}

/// The exclusion constraints that go, or change (dropped and added again), then those that come.
pub(super) fn exclusions(d: &TableDiff) -> Vec<Op> {
    let change = |c: &TableChange| match c {
        TableChange::Postgres { from, to } if from.exclude != to.exclude => {
            let dropped = from.exclude.iter().filter(|x| !to.exclude.contains(x)).map(|x| x.name.clone()).collect();
            let added = to.exclude.iter().filter(|x| !from.exclude.contains(x)).cloned().collect();
            Some(Op::Exclusions { table: d.to.name.clone(), dropped, added })
        }
        _ => None,
    };
    d.changes.iter().filter_map(change).collect()
}

/// The partitions that go (dropped with their rows), whose bound changes (detached and attached
/// again, which proves their rows fit) and that come. Refused where the partition key changes,
/// or a kept partition's own: PostgreSQL has no ALTER for either.
pub(super) fn partitions(d: &TableDiff) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    for change in &d.changes {
        let TableChange::Postgres { from, to } = change else { continue };
        let (old, new) = (from.partitioning.as_ref(), to.partitioning.as_ref());
        if old == new {
            continue;
        }
        let key = |p: Option<&Partitioning>| p.map(|p| (p.strategy, p.key.clone()));
        let created = |p: Option<&Partitioning>, table: &str| p.map(|p| p.created(table)).unwrap_or_default();
        // Named in the table's new namespace on both sides: a moved table's partitions moved first.
        let (old, new) = match key(old) == key(new) {
            true => (created(old, &d.to.name), created(new, &d.to.name)),
            false => return Err(refused(&d.to.name, from.shown("partition key"), to.shown("partition key"))),
        };
        if let Some((o, n)) = old
            .iter()
            .find_map(|o| Some((o, new.iter().find(|n| n.name == o.name)?)))
            .filter(|(o, n)| o.parent != n.parent || o.by != n.by)
        {
            let shown = |c: &Created| format!("{} of {}", c.by.as_deref().unwrap_or("no PARTITION BY"), c.parent);
            return Err(refused(&o.name, shown(o), shown(n)));
        }
        let kept = |c: &Created, side: &[Created]| side.iter().any(|x| x.name == c.name);
        let gone: Vec<&Created> = old.iter().filter(|o| !kept(o, &new)).collect();
        // A sub-partition goes with its partition.
        let dropped = (gone.iter().filter(|o| !gone.iter().any(|g| g.name == o.parent)))
            .map(|o| PartitionChange::Drop(o.name.clone()));
        let rebound: Vec<&Created> =
            new.iter().filter(|n| old.iter().any(|o| o.name == n.name && o.bound != n.bound)).collect();
        let detached = rebound.iter().map(|n| PartitionChange::Detach((*n).clone()));
        let attached = rebound.iter().map(|n| PartitionChange::Attach((*n).clone()));
        let statistics: Vec<(String, i32)> =
            d.to.columns.iter().filter_map(|c| Some((c.name.clone(), c.postgres.statistics?))).collect();
        let added =
            (new.iter().filter(|n| !kept(n, &old))).map(|n| PartitionChange::Create(n.clone(), statistics.clone()));
        let changes = dropped.chain(detached).chain(attached).chain(added);
        ops.extend(changes.map(|change| Op::Partition { table: d.to.name.clone(), change }));
    }
    Ok(ops)
}

fn refused(object: &str, from: String, to: String) -> String {
    format!(
        "the partitioning of `{object}` changes ({from} → {to}), which PostgreSQL cannot change in place: write this migration by hand (a new partitioned table, the rows copied, the names swapped)"
    )
}

/// A kept view's options that change, in place.
pub(super) fn view_options(from: &View, to: &View, changed: ViewChanges) -> Vec<Op> {
    if !changed.postgres {
        return Vec::new();
    }
    let ((set, reset), on) = match to.materialized {
        true => (option_changes(&from.postgres.with, &to.postgres.with), "MATERIALIZED VIEW"),
        false => (option_changes(&from.postgres.options(), &to.postgres.options()), "VIEW"),
    };
    vec![Op::SetOptions { object: to.name.clone(), on, unlogged: None, set, reset }]
}

/// What the operations on PostgreSQL's own properties cost, where they cost anything.
pub(super) fn hazards(op: &Op) -> Option<Vec<Hazard>> {
    match op {
        Op::Exclusions { added, .. } if !added.is_empty() => Some(Hazard::note(
            "adding an exclusion constraint builds its index and checks every row while the table is locked; rows that conflict fail the migration",
        )),
        Op::Partition { change: PartitionChange::Drop(_), .. } => Some(Hazard::guarded("deletes the partition and all its rows")),
        Op::Partition { change: PartitionChange::Attach(_), .. } => Some(Hazard::note(
            "ATTACH PARTITION scans the partition to prove its rows fit the new bound, and a DEFAULT partition for rows the bound now takes; rows that do not fit fail the migration",
        )),
        Op::Partition { change: PartitionChange::Create(p, _), .. } if p.bound != "DEFAULT" => Some(Hazard::note(
            "a new partition makes the server scan the DEFAULT partition, if there is one, for rows the new one would hold; such rows fail the migration",
        )),
        Op::RegenerateColumn { .. } => Some(Hazard::note(
            "PostgreSQL 15 cannot change a generation expression in place: the column is dropped and added again, computed for every row (a rewrite), at the end of the table, and its indexes are created again",
        )),
        Op::SetOptions { unlogged: Some(true), .. } => Some(Hazard::note(
            "SET UNLOGGED rewrites the table; an unlogged table is emptied after a crash and is not replicated",
        )),
        Op::SetOptions { unlogged: Some(false), .. } => {
            Some(Hazard::note("SET LOGGED rewrites the table, writing all of it to the WAL"))
        }
        Op::AddColumn { column, .. } if column.postgres.generated.is_some() => {
            Some(Hazard::note("PostgreSQL computes the generated column for every row (a rewrite)"))
        }
        Op::AlterColumn { from, to, .. }
            if from.ty == to.ty
                && (from.postgres.storage != to.postgres.storage
                    || from.postgres.compression != to.postgres.compression) =>
        {
            Some(Hazard::note(
                "a new storage or compression applies to values written from now on; stored ones keep theirs until rewritten",
            ))
        }
        Op::AlterColumn { from, to, .. } if from.ty == to.ty && from.postgres.collation != to.postgres.collation => {
            Some(Hazard::note(
                "the new collation rebuilds the column's indexes, and its values may sort and compare otherwise",
            ))
        }
        _ => None,
    }
}

/// What such an operation spends its time on while it holds its locks.
pub(super) fn long_running(op: &Op) -> Option<&'static str> {
    match op {
        Op::RegenerateColumn { .. } | Op::SetOptions { unlogged: Some(_), .. } => Some("the rewrite"),
        Op::Exclusions { added, .. } if !added.is_empty() => Some("the index build"),
        Op::Partition { change: PartitionChange::Attach(_), .. } => Some("the partition scan"),
        Op::AddColumn { column, .. } if column.postgres.generated.is_some() => Some("the rewrite"),
        Op::AlterColumn { from, to, .. } if from.ty == to.ty && from.postgres.collation != to.postgres.collation => {
            Some("the index rebuilds")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Dialect, Project};
    use std::path::PathBuf;

    /// A PostgreSQL project of `table` (t) and `view` (v, over t) when given.
    fn project(table: &str, view: &str) -> Project {
        let dir = PathBuf::from("/p");
        let mut files = vec![(dir.join("schema.yaml"), Ok("name: p\nnamespace: ns\ndialects: [postgres]\n".into()))];
        files.push((dir.join("tables/t.yaml"), Ok(format!("table: t\n{table}"))));
        if !view.is_empty() {
            files.push((dir.join("views/v.yaml"), Ok(format!("view: v\n{view}"))));
        }
        crate::load::load_texts(&dir, files).unwrap_or_else(|d| panic!("{d:?}"))
    }

    /// Each step's (comment, SQL, hazards).
    fn steps(from: &Project, to: &Project) -> Vec<(String, String, Vec<String>)> {
        let plan = crate::plan::plan(Dialect::Postgres, from, to).unwrap_or_else(|e| panic!("{e}"));
        let hazards = |s: &crate::plan::Step| s.hazards.iter().map(|h| h.text.clone()).collect();
        plan.steps.iter().map(|s| (s.comment.clone(), s.sql.trim().to_string(), hazards(s))).collect()
    }

    const ID: &str = "  - { name: id, type: integer, primary_key: true }\n";

    #[test]
    fn persistence_and_storage_parameters_change_in_place() {
        let from = project(&format!("with: {{ fillfactor: 50, autovacuum_enabled: false }}\ncolumns:\n{ID}"), "");
        let to = project(&format!("unlogged: true\nwith: {{ fillfactor: 70 }}\ncolumns:\n{ID}"), "");
        let [(comment, sql, hazards)] = &steps(&from, &to)[..] else { panic!("{:?}", steps(&from, &to)) };
        assert_eq!(comment, "set table ns.t: unlogged, fillfactor=70, reset autovacuum_enabled");
        assert_eq!(
            sql,
            "ALTER TABLE \"ns\".\"t\" SET UNLOGGED;\nALTER TABLE \"ns\".\"t\" SET (fillfactor = '70');\nALTER TABLE \"ns\".\"t\" RESET (autovacuum_enabled);"
        );
        assert!(hazards[0].starts_with("SET UNLOGGED rewrites the table"), "{hazards:?}");
    }

    #[test]
    fn exclusion_constraints_are_added_dropped_and_changed_by_name() {
        let x = |name: &str, tail: &str| {
            format!("  - {{ name: {name}, elements: [{{ column: id, with: \"=\" }}]{tail} }}\n")
        };
        let table = |xs: &str| project(&format!("exclude:\n{xs}columns:\n{ID}"), "");
        let (a, b) = (x("a", ""), x("b", ", using: hash, where: \"id > 0\", deferrable: initially_deferred"));
        let plain = project(&format!("columns:\n{ID}"), "");
        let [(comment, sql, hazards)] = &steps(&plain, &table(&b))[..] else { panic!() };
        assert_eq!(comment, "add exclusion constraint b on ns.t");
        assert_eq!(
            sql,
            "ALTER TABLE \"ns\".\"t\" ADD CONSTRAINT \"b\" EXCLUDE USING \"hash\" (\"id\" WITH =) WHERE (id > 0) DEFERRABLE INITIALLY DEFERRED;"
        );
        assert!(hazards[0].starts_with("adding an exclusion constraint builds its index"), "{hazards:?}");
        let changed = x("a", ", where: \"id > 1\"");
        let got = steps(&table(&format!("{a}{b}")), &table(&changed));
        assert_eq!(
            got[0].0,
            "drop exclusion constraint a, drop exclusion constraint b, add exclusion constraint a on ns.t"
        );
        assert!(got[0].1.starts_with("ALTER TABLE \"ns\".\"t\" DROP CONSTRAINT IF EXISTS \"a\";"), "{got:?}");
        let [(_, sql, hazards)] = &steps(&table(&a), &plain)[..] else { panic!() };
        assert_eq!(sql, "ALTER TABLE \"ns\".\"t\" DROP CONSTRAINT IF EXISTS \"a\";");
        assert!(hazards.is_empty(), "{hazards:?}");
    }

    #[test]
    fn view_options_change_in_place_and_a_body_change_keeps_them() {
        let table = format!("columns:\n{ID}");
        let view = |options: &str, body: &str| format!("{options}sql: SELECT id FROM {{{{ ref('t') }}}}{body}\n");
        let from = project(&table, &view("check_option: local\n", ""));
        let to = project(&table, &view("security_barrier: true\n", ""));
        let got = steps(&from, &to);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            got[0].1,
            "ALTER VIEW \"ns\".\"v\" SET (security_barrier = 'true');\nALTER VIEW \"ns\".\"v\" RESET (check_option);"
        );
        let to = project(&table, &view("check_option: cascaded\n", " WHERE id > 0"));
        let created = steps(&from, &to).into_iter().find(|s| s.1.starts_with("CREATE VIEW")).unwrap();
        assert!(created.1.starts_with("CREATE VIEW \"ns\".\"v\" WITH (check_option = 'cascaded') AS"), "{created:?}");
    }

    #[test]
    fn a_collation_changes_in_place_recreating_the_views_that_read_the_column() {
        let column = |c: &str| format!("columns:\n{ID}  - {{ name: name, type: text{c} }}\n");
        let view = "sql: SELECT name FROM {{ ref('t') }}\n";
        let got = steps(&project(&column(""), view), &project(&column(", collation: C"), view));
        let sql: Vec<&str> = got.iter().map(|s| s.1.as_str()).collect();
        assert_eq!(sql[0], "DROP VIEW IF EXISTS \"ns\".\"v\";");
        assert_eq!(sql[1], "ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"name\" TYPE TEXT COLLATE \"C\";");
        assert!(sql[2].starts_with("CREATE VIEW"), "{sql:?}");
        assert!(got[1].2[0].starts_with("the new collation rebuilds the column's indexes"), "{got:?}");
        let back = steps(&project(&column(", collation: C"), ""), &project(&column(""), ""));
        assert_eq!(back[0].1, "ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"name\" TYPE TEXT COLLATE \"default\";");
    }

    #[test]
    fn a_generation_is_dropped_in_place_and_set_by_re_creating_the_column() {
        let total = |g: &str| {
            format!("columns:\n{ID}  - {{ name: q, type: integer }}\n  - {{ name: total, type: integer{g} }}\nindexes:\n  - {{ name: t_total, columns: [total] }}\n")
        };
        let (plain, generated) = (project(&total(""), ""), project(&total(", generated: \"q * 2\""), ""));
        let dropped = steps(&generated, &plain);
        assert_eq!(dropped[0].1, "ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"total\" DROP EXPRESSION;");
        let set = steps(&plain, &generated);
        let sql: Vec<&str> = set.iter().map(|s| s.1.as_str()).collect();
        assert_eq!(
            sql,
            [
                "ALTER TABLE \"ns\".\"t\" DROP COLUMN \"total\";\nALTER TABLE \"ns\".\"t\" ADD COLUMN \"total\" INTEGER GENERATED ALWAYS AS (q * 2) STORED;",
                "CREATE INDEX \"t_total\" ON \"ns\".\"t\" (\"total\");",
            ]
        );
        assert!(set[0].2[0].starts_with("PostgreSQL 15 cannot change a generation expression in place"), "{set:?}");
        // A key that reads the column would be dropped with it: refused.
        let keyed = |g: &str| format!("{}unique: [[total]]\n", total(g));
        let refused = crate::plan::plan(
            Dialect::Postgres,
            &project(&keyed(""), ""),
            &project(&keyed(", generated: \"q * 2\""), ""),
        );
        let e = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("write this migration by hand"), "{e}");
    }

    #[test]
    fn identities_and_serials_change_in_place() {
        let id = |c: &str| project(&format!("columns:\n  - {{ name: id, {c}, primary_key: true }}\n"), "");
        let got = steps(&id("type: bigint, identity: true"), &id("type: bigint, identity: { always: true, max: 99 }"));
        assert_eq!(
            got[0].1,
            "ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"id\" SET GENERATED ALWAYS;\nALTER TABLE \"ns\".\"t\" ALTER COLUMN \"id\" SET NO MINVALUE SET MAXVALUE 99 SET CACHE 1 SET NO CYCLE;"
        );
        // No identity syntax takes AS: its sequence is altered, whatever its name.
        let got = steps(&id("type: integer, identity: true"), &id("type: integer, identity: { as: bigint }"));
        assert_eq!(
            got[0].1,
            "DO $$BEGIN EXECUTE pg_catalog.format('ALTER SEQUENCE %s AS bigint NO MINVALUE NO MAXVALUE CACHE 1 NO CYCLE', pg_catalog.pg_get_serial_sequence('\"ns\".\"t\"', 'id')); END$$;"
        );
        let typed = id("type: integer, identity: { as: bigint, max: 5000000000 }");
        let created = steps(&typed.emptied(), &typed);
        assert!(created[1].1.contains("\"id\" INTEGER GENERATED BY DEFAULT AS IDENTITY NOT NULL"), "{created:?}");
        assert!(created[1].1.contains("AS bigint NO MINVALUE MAXVALUE 5000000000 CACHE 1 NO CYCLE"), "{created:?}");
        let got = steps(&id("type: integer"), &id("type: serial"));
        assert!(
            got[0].1.starts_with(
                "CREATE SEQUENCE IF NOT EXISTS \"ns\".\"t_id_seq\" AS INTEGER OWNED BY \"ns\".\"t\".\"id\";"
            ),
            "{got:?}"
        );
        let got = steps(&id("type: serial"), &id("type: integer"));
        assert_eq!(
            got[0].1,
            "ALTER TABLE \"ns\".\"t\" ALTER COLUMN \"id\" DROP DEFAULT;\nDROP SEQUENCE IF EXISTS \"ns\".\"t_id_seq\";"
        );
    }
}
