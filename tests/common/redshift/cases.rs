//! The project the single-edit cases start from (tests/redshift_cases.rs and
//! tests/redshift_keeps.rs): tables with keys, identities, grants, an interleaved sort key,
//! reference rows and a materialized view, migrated on the emulation and holding data.

use super::harness::Emulated;

pub const PROJECT: &[(&str, &str)] = &[
    ("schema.yaml", "name: emulation_cases\nnamespace: cases\nnamespaces: [cases_archive]\ndialects: [postgres, redshift]\nphases: [1]\n"),
    (
        "tables/accounts.yaml",
        "table: accounts
distribution: { style: all }
sort_key: { columns: [account_id] }
columns:
  - { name: account_id, type: varchar(32), primary_key: true }
  - { name: name, type: varchar(64) }
",
    ),
    (
        "tables/events.yaml",
        "table: events
distribution: { style: key, key: account_id }
sort_key: { columns: [event_date, account_id] }
columns:
  - { name: event_id, type: bigint, identity: true, primary_key: true }
  - { name: account_id, type: varchar(32), nullable: false, references: accounts.account_id }
  - { name: event_date, type: date }
  - { name: amount, type: integer }
  - { name: note, type: varchar(300) }
  - { name: status, type: varchar(16), default: \"'new'\" }
  - { name: price, type: \"decimal(6,4)\" }
  - { name: happened_at, type: timestamp }
grants:
  - { to: group cases_analysts, privileges: [select] }
  - { to: role cases_etl, privileges: [select, insert, update, delete] }
",
    ),
    (
        "tables/event_notes.yaml",
        "table: event_notes
distribution: { style: even }
sort_key: { columns: [note_id] }
columns:
  - { name: note_id, type: bigint, identity: true, primary_key: true }
  - { name: event_id, type: bigint, nullable: false, references: events.event_id }
  - { name: body, type: varchar(256) }
",
    ),
    (
        "tables/clicks.yaml",
        "table: clicks
distribution: { style: even }
sort_key: { kind: interleaved, columns: [click_date, page] }
columns:
  - { name: click_id, type: bigint, identity: true, primary_key: true }
  - { name: click_date, type: date }
  - { name: page, type: varchar(128) }
  - { name: referrer, type: varchar(256), encode: lzo }
",
    ),
    (
        "tables/categories.yaml",
        "table: categories
distribution: { style: all }
sort_key: { columns: [name] }
columns:
  - { name: category_id, type: bigint, identity: true, primary_key: true }
  - { name: name, type: varchar(64), nullable: false }
  - { name: kind, type: varchar(32) }
rows:
  - { name: books, kind: goods }
  - { name: films, kind: media }
  - { name: games, kind: media }
",
    ),
    (
        "tables/tickets.yaml",
        "table: tickets
distribution: { style: even }
sort_key: { columns: [opened] }
columns:
  - { name: ticket_no, type: integer, identity: true }
  - { name: opened, type: date }
",
    ),
    (
        "views/mv_notes.yaml",
        "materialized_view: mv_notes
grants: [{ to: user cases_bi, privileges: [select] }]
sql: |
  SELECT note AS note, COUNT(*) AS events
  FROM {{ ref('events') }}
  GROUP BY note
",
    ),
];

/// Ids come from the generators (1, 2, 3), as the ETL loads them.
pub const DATA: &str = "
INSERT INTO cases.accounts VALUES ('a1', 'Ann'), ('a2', 'Bo');
INSERT INTO cases.events (account_id, event_date, amount, note) VALUES
  ('a1', '2026-11-01', 10, 'first'), ('a2', '2026-11-02', 20, NULL), ('a1', '2026-11-03', 30, 'third');
INSERT INTO cases.event_notes (event_id, body) VALUES (1, 'n1'), (3, 'n3');
INSERT INTO cases.clicks (click_date, page, referrer) VALUES ('2026-11-01', '/a', 'x'), ('2026-11-02', '/b', NULL);
INSERT INTO cases.tickets (opened) VALUES ('2026-11-01'), ('2026-11-02');";

/// Ownership and grants the YAML does not declare, as a DBA leaves them: every relation
/// belongs to another user than the one migrating, and the tables whose grants the YAML does not
/// manage can be read by a reporting user.
const ACCESS: &str = "
GRANT USAGE ON SCHEMA cases TO cases_owner;
ALTER TABLE cases.accounts OWNER TO cases_owner; ALTER TABLE cases.events OWNER TO cases_owner;
ALTER TABLE cases.event_notes OWNER TO cases_owner; ALTER TABLE cases.clicks OWNER TO cases_owner;
ALTER TABLE cases.categories OWNER TO cases_owner; ALTER TABLE cases.tickets OWNER TO cases_owner;
ALTER MATERIALIZED VIEW cases.mv_notes OWNER TO cases_owner;
GRANT SELECT ON cases.accounts, cases.event_notes, cases.clicks, cases.categories, cases.tickets TO cases_reader;
GRANT SELECT, INSERT ON cases.event_notes TO GROUP cases_loaders;";

/// The project migrated on the emulation, holding DATA and ACCESS. Its grantees exist as
/// PostgreSQL roles.
pub fn base() -> Emulated {
    let mut p = Emulated::new(|dir| {
        for (file, text) in PROJECT {
            std::fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
            std::fs::write(dir.join(file), text).unwrap();
        }
    });
    let roles =
        ["cases_analysts", "cases_etl", "cases_bi", "cases_owner", "cases_reader", "cases_loaders", "cases_clickers"];
    crate::common::create_roles(&p.url, &roles);
    // The YAML grants to `role cases_etl`: a role, where Redshift keeps roles apart.
    p.sql("INSERT INTO emulated_roles VALUES ('cases_etl')");
    p.generate("initial", &[]);
    p.apply_pending().1.unwrap_or_else(|e| panic!("{e}"));
    p.sql(DATA);
    p.sql(ACCESS);
    p
}

/// Applies one edit on the base project and fails with every problem found.
pub fn case(what: &str, edit: impl Fn(&Emulated), renames: &[(&str, &str, &str)]) -> Emulated {
    let mut p = base();
    edit(&p);
    let outcome = p.step("change", &["--allow-destructive"], renames);
    let mut problems = outcome.problems;
    if let Err(e) = outcome.applied {
        problems.push(format!("the Redshift migration does not apply: {e}"));
    }
    assert!(problems.is_empty(), "{what}: {} problems:\n{}", problems.len(), problems.join("\n"));
    p
}
