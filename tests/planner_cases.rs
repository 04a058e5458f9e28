//! What adoption meets, as the planner lowers it: each case is a table before and after one
//! edit, with rows; `generate` writes the migration, `migrate` applies it to a real PostgreSQL,
//! and either the rows read back as expected and diff is clean, or the migration fails with the
//! expected message and changes nothing.

mod common;

use common::{psql, schema, text};
use std::path::Path;

/// Tables as `(name, the YAML after its `table:` line)`, and views as `(name, the whole YAML)`.
type Tables = &'static [(&'static str, &'static str)];

struct Case {
    name: &'static str,
    before: Tables,
    after: Tables,
    /// Rows inserted before the edit (SQL on `n.t`).
    rows: &'static str,
    /// What `SELECT string_agg(...)` of the check query returns after the migration, or the
    /// message the migration fails with.
    outcome: Result<(&'static str, &'static str), &'static str>,
}

const ID: &str = "columns:\n  - { name: id, type: integer, primary_key: true }\n";
const FK_CHILD: &str =
    "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: p_id, type: integer, references: p }\n";
const NAMED: &str = "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: name, type: text }\n";
const VIEW: &str = "view: v\nsql: SELECT id, name FROM {{ ref('t') }}\n";
const GENERATED: &str = "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: qty, type: integer }\n  - { name: total, type: integer, generated: \"qty * 2\" }\n";
const SERIAL: &str = "columns:\n  - { name: id, type: serial, primary_key: true }\n  - { name: v, type: text }\n";
const NAMED_BODY: &str =
    "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: body, type: text }\n";
const ID_CODE: &str = "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: code, type: integer, nullable: false }\n";

/// A row added, the rows, and the type and bound of the identity sequence of `n.t.id`.
const IDENTITY_TYPE: &str = "INSERT INTO n.t (v) VALUES ('c'); SELECT string_agg(id || v, ',' ORDER BY id) || ' ' ||
  (SELECT seqtypid::regtype || ' ' || seqmax FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence('n.t', 'id')::regclass) FROM n.t";

const CASES: &[Case] = &[
    Case {
        name: "retype_a_column_with_a_default",
        before: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: code, type: varchar(8), default: \"'7'\" }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: code, type: integer, default: \"7\" }\n")],
        rows: "INSERT INTO n.t (id, code) VALUES (1, '3'); INSERT INTO n.t (id) VALUES (2)",
        outcome: Ok((
            "INSERT INTO n.t (id) VALUES (3); SELECT string_agg(id || '=' || code, ',' ORDER BY id) FROM n.t",
            "1=3,2=7,3=7",
        )),
    },
    Case {
        name: "add_not_null_without_default_to_an_empty_table",
        before: &[("t", ID)],
        after: &[("t", ID_CODE)],
        rows: "",
        outcome: Ok((
            "SELECT attnotnull::text FROM pg_attribute WHERE attrelid = 'n.t'::regclass AND attname = 'code'",
            "true",
        )),
    },
    Case {
        name: "add_not_null_without_default_to_a_table_with_rows",
        before: &[("t", ID)],
        after: &[("t", ID_CODE)],
        rows: "INSERT INTO n.t (id) VALUES (1)",
        outcome: Err("cannot add n.t.code NOT NULL without a default: the table has rows"),
    },
    Case {
        name: "a_key_foreign_keys_depend_on_is_replaced_after_them",
        before: &[
            ("p", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: code, type: integer, nullable: false }\n"),
            ("c", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: p_id, type: integer, references: p.id }\n"),
        ],
        after: &[
            ("p", "columns:\n  - { name: id, type: integer, nullable: false }\n  - { name: code, type: integer, primary_key: true }\n"),
            ("c", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: p_id, type: integer, references: p.code }\n"),
        ],
        rows: "INSERT INTO n.p VALUES (1, 1); INSERT INTO n.c VALUES (1, 1)",
        outcome: Ok(("SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) FROM pg_constraint WHERE conrelid IN ('n.p'::regclass, 'n.c'::regclass) AND contype IN ('p', 'f')",
            "c_p_id_fkey FOREIGN KEY (p_id) REFERENCES n.p(code); c_pkey PRIMARY KEY (id); p_pkey PRIMARY KEY (code)")),
    },
    Case {
        name: "an_identity_added_to_a_column_with_rows_continues_after_them",
        before: &[("t", "columns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: id, type: bigint, identity: true, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t VALUES (5, 'a'), (9, 'b')",
        outcome: Ok(("INSERT INTO n.t (v) VALUES ('c'); SELECT string_agg(id || v, ',' ORDER BY id) FROM n.t", "5a,9b,10c")),
    },
    Case {
        name: "an_identity_added_to_an_empty_table_starts_at_its_seed",
        before: &[("t", "columns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: id, type: bigint, identity: { seed: 100, step: 10 }, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "",
        outcome: Ok(("INSERT INTO n.t (v) VALUES ('a'), ('b'); SELECT string_agg(id || v, ',' ORDER BY id) FROM n.t", "100a,110b")),
    },
    Case {
        name: "an_identity_dropped_leaves_the_values",
        before: &[("t", "columns:\n  - { name: id, type: bigint, identity: true, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: id, type: bigint, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t (v) VALUES ('a'), ('b')",
        outcome: Ok(("INSERT INTO n.t VALUES (7, 'c'); SELECT string_agg(id || v, ',' ORDER BY id) FROM n.t", "1a,2b,7c")),
    },
    Case {
        name: "an_identity_step_changed_continues_from_the_last_value",
        before: &[("t", "columns:\n  - { name: id, type: bigint, identity: true, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: id, type: bigint, identity: { seed: 1, step: 10 }, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t (v) VALUES ('a'), ('b')",
        outcome: Ok(("INSERT INTO n.t (v) VALUES ('c'); SELECT string_agg(id || v, ',' ORDER BY id) FROM n.t", "1a,2b,12c")),
    },
    Case {
        name: "an_identity_column_added_to_a_table_with_rows_numbers_them",
        before: &[("t", "columns:\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: v, type: text }\n  - { name: id, type: bigint, identity: true }\n")],
        rows: "INSERT INTO n.t VALUES ('a'), ('b')",
        outcome: Ok(("INSERT INTO n.t (v) VALUES ('c'); SELECT string_agg(id || v, ',' ORDER BY id) FROM n.t", "1a,2b,3c")),
    },
    Case {
        name: "an_identity_sequence_widened_to_bigint_keeps_its_last_value",
        before: &[("t", "columns:\n  - { name: id, type: integer, identity: true, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, identity: { as: bigint }, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t (v) VALUES ('a'), ('b')",
        outcome: Ok((IDENTITY_TYPE, "1a,2b,3c bigint 9223372036854775807")),
    },
    Case {
        name: "a_retyped_identity_column_keeps_its_sequence_type",
        before: &[("t", "columns:\n  - { name: id, type: smallint, identity: { as: bigint }, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, identity: { as: bigint }, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t (v) VALUES ('a'), ('b')",
        outcome: Ok((IDENTITY_TYPE, "1a,2b,3c bigint 9223372036854775807")),
    },
    Case {
        name: "an_identity_column_of_another_sequence_type_added_to_a_table_with_rows_numbers_them",
        before: &[("t", "columns:\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: v, type: text }\n  - { name: id, type: bigint, identity: { as: smallint, max: 100 } }\n")],
        rows: "INSERT INTO n.t VALUES ('a'), ('b')",
        outcome: Ok((IDENTITY_TYPE, "1a,2b,3c smallint 100")),
    },
    Case {
        name: "a_column_with_a_default_becomes_an_enum",
        before: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: s, type: varchar(8), default: \"'open'\" }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: s, type: state, default: \"'open'\" }\n")],
        rows: "INSERT INTO n.t VALUES (1, 'closed'); INSERT INTO n.t (id) VALUES (2)",
        outcome: Ok((
            "INSERT INTO n.t (id) VALUES (3); SELECT string_agg(id || s::text || pg_typeof(s)::text, ',' ORDER BY id) FROM n.t",
            "1closedn.state,2openn.state,3openn.state",
        )),
    },
    // Keys changed in place: the rows stay, the catalog shows the new form.
    Case {
        name: "a_foreign_key_action_changes",
        before: &[("p", ID), ("c", FK_CHILD)],
        after: &[("p", ID), ("c", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: p_id, type: integer }\nforeign_keys:\n  - { columns: [p_id], references: { table: p }, on_delete: cascade }\n")],
        rows: "INSERT INTO n.p VALUES (1), (2); INSERT INTO n.c VALUES (10, 1), (20, 2)",
        outcome: Ok((
            "DELETE FROM n.p WHERE id = 1; SELECT string_agg(id || ':' || p_id, ',' ORDER BY id) || ' ' || (SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'c_p_id_fkey') FROM n.c",
            "20:2 FOREIGN KEY (p_id) REFERENCES n.p(id) ON DELETE CASCADE",
        )),
    },
    Case {
        name: "a_key_is_renamed",
        before: &[("p", ID), ("c", FK_CHILD)],
        after: &[("p", "primary_key: { columns: [id], name: p_pk }\ncolumns:\n  - { name: id, type: integer }\n"), ("c", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: p_id, type: integer }\nforeign_keys:\n  - { columns: [p_id], references: { table: p }, name: fk_rails_0a1b2c }\n")],
        rows: "INSERT INTO n.p VALUES (1); INSERT INTO n.c VALUES (10, 1)",
        outcome: Ok((
            "SELECT string_agg(conname, ',' ORDER BY conname) || ' ' || (SELECT count(*) FROM n.c) FROM pg_constraint WHERE connamespace = 'n'::regnamespace AND conname NOT LIKE 'refinery%'",
            "c_pkey,fk_rails_0a1b2c,p_pk 1",
        )),
    },
    Case {
        name: "a_foreign_key_becomes_initially_deferred",
        before: &[("p", ID), ("c", FK_CHILD)],
        after: &[("p", ID), ("c", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: p_id, type: integer }\nforeign_keys:\n  - { columns: [p_id], references: { table: p }, deferrable: initially_deferred }\n")],
        rows: "INSERT INTO n.p VALUES (1); INSERT INTO n.c VALUES (10, 1)",
        outcome: Ok((
            "BEGIN; INSERT INTO n.c VALUES (20, 2); INSERT INTO n.p VALUES (2); COMMIT; SELECT string_agg(id || ':' || p_id, ',' ORDER BY id) || ' ' || (SELECT condeferrable::text || condeferred::text FROM pg_constraint WHERE conname = 'c_p_id_fkey') FROM n.c",
            "10:1,20:2 truetrue",
        )),
    },
    // PostgreSQL's own properties (`attrs`): in place where ALTER can, else re-created.
    Case {
        name: "a_collation_changes_in_place_and_the_view_reading_the_column_follows",
        before: &[("t", NAMED), ("v", VIEW)],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: name, type: text, collation: C }\n"), ("v", VIEW)],
        rows: "INSERT INTO n.t VALUES (1, 'a'), (2, 'B')",
        outcome: Ok(("SELECT string_agg(name, ',' ORDER BY name) FROM n.v", "B,a")),
    },
    Case {
        name: "a_generation_expression_is_set_on_a_column_with_rows_and_its_index_follows",
        before: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: qty, type: integer }\n  - { name: total, type: integer }\nindexes:\n  - { name: t_total, columns: [total] }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: qty, type: integer }\n  - { name: total, type: integer, generated: \"qty * 2\" }\nindexes:\n  - { name: t_total, columns: [total] }\n")],
        rows: "INSERT INTO n.t VALUES (1, 3, NULL)",
        outcome: Ok((
            "SELECT string_agg(id || '=' || total, ',') || ' ' || (SELECT count(*) FROM pg_indexes WHERE indexname = 't_total') FROM n.t",
            "1=6 1",
        )),
    },
    Case {
        name: "a_generation_expression_changes",
        before: &[("t", GENERATED)],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: qty, type: integer }\n  - { name: total, type: integer, generated: \"qty * 3\" }\n")],
        rows: "INSERT INTO n.t (id, qty) VALUES (1, 3)",
        outcome: Ok(("SELECT string_agg(id || '=' || total, ',') FROM n.t", "1=9")),
    },
    Case {
        name: "a_generation_expression_is_dropped_and_the_values_stay",
        before: &[("t", GENERATED)],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: qty, type: integer }\n  - { name: total, type: integer }\n")],
        rows: "INSERT INTO n.t (id, qty) VALUES (1, 3)",
        outcome: Ok(("UPDATE n.t SET qty = 5; SELECT string_agg(id || '=' || total, ',') FROM n.t", "1=6")),
    },
    Case {
        name: "an_identity_becomes_always_with_options",
        before: &[("t", "columns:\n  - { name: id, type: bigint, identity: true, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", "columns:\n  - { name: id, type: bigint, identity: { always: true, max: 1000, cache: 5 }, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t (v) VALUES ('a'), ('b')",
        outcome: Ok((
            "SELECT attidentity::text || ' ' || (SELECT seqmax || ',' || seqcache FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence('n.t', 'id')::regclass) FROM pg_attribute WHERE attrelid = 'n.t'::regclass AND attname = 'id'",
            "a 1000,5",
        )),
    },
    Case {
        name: "an_integer_becomes_serial_and_continues_after_its_values",
        before: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: v, type: text }\n")],
        after: &[("t", SERIAL)],
        rows: "INSERT INTO n.t VALUES (5, 'a'), (9, 'b')",
        outcome: Ok(("INSERT INTO n.t (v) VALUES ('c'); SELECT string_agg(id || v, ',' ORDER BY id) FROM n.t", "5a,9b,10c")),
    },
    Case {
        name: "a_serial_becomes_an_identity_and_continues",
        before: &[("t", SERIAL)],
        after: &[("t", "columns:\n  - { name: id, type: integer, identity: true, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t (v) VALUES ('a'), ('b')",
        outcome: Ok((
            "INSERT INTO n.t (v) VALUES ('c'); SELECT string_agg(id || v, ',' ORDER BY id) || ' ' || (SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'n.t'::regclass AND attname = 'id') FROM n.t",
            "1a,2b,3c d",
        )),
    },
    Case {
        name: "a_serial_becomes_a_plain_integer_without_its_sequence",
        before: &[("t", SERIAL)],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: v, type: text }\n")],
        rows: "INSERT INTO n.t (v) VALUES ('a'), ('b')",
        outcome: Ok((
            "SELECT string_agg(id || v, ',' ORDER BY id) || ' ' || (SELECT count(*) FROM pg_class WHERE relname = 't_id_seq') FROM n.t",
            "1a,2b 0",
        )),
    },
    Case {
        name: "a_table_becomes_unlogged_with_storage_parameters",
        before: &[("t", NAMED)],
        after: &[("t", "unlogged: true\nwith: { fillfactor: 50, toast.autovacuum_enabled: false }\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: name, type: text }\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a'), (2, 'b')",
        outcome: Ok((
            "SELECT relpersistence::text || ' ' || array_to_string(reloptions, ',') || ' ' || (SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = c.reltoastrelid) || ' ' || (SELECT count(*) FROM n.t) FROM pg_class c WHERE oid = 'n.t'::regclass",
            "u fillfactor=50 autovacuum_enabled=false 2",
        )),
    },
    Case {
        name: "a_table_becomes_logged_and_its_storage_parameters_change",
        before: &[("t", "unlogged: true\nwith: { fillfactor: 50, autovacuum_enabled: false }\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n")],
        after: &[("t", "with: { fillfactor: 70 }\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n")],
        rows: "INSERT INTO n.t VALUES (1)",
        outcome: Ok((
            "SELECT relpersistence::text || ' ' || array_to_string(reloptions, ',') || ' ' || (SELECT count(*) FROM n.t) FROM pg_class WHERE oid = 'n.t'::regclass",
            "p fillfactor=70 1",
        )),
    },
    Case {
        name: "an_exclusion_constraint_is_added_and_then_changed_by_name",
        before: &[("t", "exclude: [{ name: one_name, using: hash, elements: [{ column: name, with: \"=\" }] }]\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: name, type: text }\n")],
        after: &[("t", "exclude: [{ name: one_name, using: hash, elements: [{ expression: \"lower(name)\", with: \"=\" }], where: \"id > 1\", deferrable: true }]\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: name, type: text }\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a'), (2, 'A'), (3, 'b')",
        outcome: Ok((
            "SELECT (SELECT count(*) FROM n.t) || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'n.t'::regclass AND contype = 'x'",
            "3 EXCLUDE USING hash (lower(name) WITH =) WHERE ((id > 1)) DEFERRABLE",
        )),
    },
    Case {
        name: "an_exclusion_constraint_the_rows_break_fails_the_migration",
        before: &[("t", NAMED)],
        after: &[("t", "exclude: [{ name: one_name, using: hash, elements: [{ column: name, with: \"=\" }] }]\ncolumns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: name, type: text }\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a'), (2, 'a')",
        outcome: Err("could not create exclusion constraint \"one_name\""),
    },
    Case {
        name: "view_options_change_in_place",
        before: &[("t", NAMED), ("v", "view: v\ncheck_option: local\nsql: SELECT id, name FROM {{ ref('t') }} WHERE id > 0\n")],
        after: &[("t", NAMED), ("v", "view: v\ncheck_option: cascaded\nsecurity_barrier: true\nsql: SELECT id, name FROM {{ ref('t') }} WHERE id > 0\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a')",
        outcome: Ok((
            "SELECT string_agg(o, ',' ORDER BY o) FROM unnest((SELECT reloptions FROM pg_class WHERE oid = 'n.v'::regclass)) o",
            "check_option=cascaded,security_barrier=true",
        )),
    },
    Case {
        name: "column_storage_statistics_and_compression_set_then_back_to_the_defaults",
        before: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: body, type: text, storage: main, statistics: 500, compression: lz4 }\n")],
        after: &[("t", NAMED_BODY)],
        rows: "INSERT INTO n.t VALUES (1, 'a')",
        outcome: Ok((
            "SELECT attstorage || attstattarget || attcompression::text FROM pg_attribute WHERE attrelid = 'n.t'::regclass AND attname = 'body'",
            "x-1",
        )),
    },
    Case {
        name: "column_storage_statistics_and_compression_set_on_a_kept_column",
        before: &[("t", NAMED_BODY)],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: body, type: text, storage: external, statistics: 0, compression: pglz }\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a')",
        outcome: Ok((
            "SELECT attstorage || attstattarget || attcompression::text FROM pg_attribute WHERE attrelid = 'n.t'::regclass AND attname = 'body'",
            "e0p",
        )),
    },
    Case {
        name: "materialized_view_storage_parameters_change_in_place",
        before: &[("t", NAMED), ("v", "materialized_view: v\nwith: { fillfactor: 70 }\nsql: SELECT id, name FROM {{ ref('t') }}\n")],
        after: &[("t", NAMED), ("v", "materialized_view: v\nwith: { fillfactor: 50, autovacuum_enabled: false }\nsql: SELECT id, name FROM {{ ref('t') }}\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a'); REFRESH MATERIALIZED VIEW n.v",
        outcome: Ok(("SELECT array_to_string(reloptions, ',') || ' ' || (SELECT count(*) FROM n.v) FROM pg_class WHERE oid = 'n.v'::regclass", "autovacuum_enabled=false,fillfactor=50 1")),
    },
    Case {
        name: "partition_bounds_that_take_over_each_others_ranges",
        before: &[("t", "columns:\n  - { name: id, type: integer, nullable: false }\npartition_by: { range: [id] }\npartitions:\n  - { name: p1, from: [0], to: [10] }\n  - { name: p2, from: [10], to: [20] }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, nullable: false }\npartition_by: { range: [id] }\npartitions:\n  - { name: p1, from: [0], to: [20] }\n  - { name: p2, from: [20], to: [30] }\n")],
        rows: "INSERT INTO n.t VALUES (5)",
        outcome: Ok((
            "SELECT string_agg(relname || ' ' || pg_get_expr(relpartbound, oid), '; ' ORDER BY relname) FROM pg_class WHERE relispartition AND relnamespace = 'n'::regnamespace",
            "p1 FOR VALUES FROM (0) TO (20); p2 FOR VALUES FROM (20) TO (30)",
        )),
    },
    Case {
        name: "column_settings_reach_every_partition_old_and_new",
        before: &[("t", "columns:\n  - { name: id, type: integer, nullable: false }\n  - { name: body, type: text }\npartition_by: { list: [id] }\npartitions:\n  - { name: p1, in: [1] }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, nullable: false }\n  - { name: body, type: text, statistics: 300, compression: lz4, storage: main }\npartition_by: { list: [id] }\npartitions:\n  - { name: p1, in: [1] }\n  - { name: p2, in: [2] }\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a')",
        outcome: Ok((
            "SELECT string_agg(attrelid::regclass || ' ' || attstattarget || attcompression::text || attstorage::text, ', ' ORDER BY attrelid::regclass::text) FROM pg_attribute WHERE attname = 'body' AND attrelid IN ('n.t'::regclass, 'n.p1'::regclass, 'n.p2'::regclass)",
            "n.p1 300lm, n.p2 300lm, n.t 300lm",
        )),
    },
    Case {
        name: "a_retyped_column_keeps_its_storage",
        before: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: code, type: varchar(100), storage: external }\n")],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: code, type: text, storage: external }\n")],
        rows: "INSERT INTO n.t VALUES (1, 'a')",
        outcome: Ok(("SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'n.t'::regclass AND attname = 'code'", "e")),
    },
    Case {
        name: "a_storage_the_type_has_already_is_no_change",
        before: &[("t", NAMED_BODY)],
        after: &[("t", "columns:\n  - { name: id, type: integer, primary_key: true }\n  - { name: body, type: text, storage: extended }\n")],
        rows: "",
        outcome: Ok(("SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'n.t'::regclass AND attname = 'body'", "x")),
    },
];

fn write(dir: &Path, tables: Tables) {
    let _ = std::fs::remove_dir_all(dir.join("schema/tables"));
    std::fs::create_dir_all(dir.join("schema/tables")).unwrap();
    let settings = "name: n\nnamespace: n\ndialects: [postgres]\nenums:\n  state: [open, closed]\n";
    std::fs::write(dir.join("schema/schema.yaml"), settings).unwrap();
    // A view's YAML is written whole.
    for (name, yaml) in tables {
        let view = yaml.starts_with("view:") || yaml.starts_with("materialized_view:");
        let text = if view { yaml.to_string() } else { format!("table: {name}\n{yaml}") };
        std::fs::write(dir.join(format!("schema/tables/{name}.yaml")), text).unwrap();
    }
}

#[test]
fn each_case_migrates_with_its_rows_or_fails_changing_nothing() {
    let mut problems = Vec::new();
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, case.before);
        assert!(schema(dir, "postgres://unused", &["generate", "--name", "before"]).status.success(), "{}", case.name);
        let url = common::fresh_database();
        assert!(schema(dir, &url, &["migrate"]).status.success(), "{}", case.name);
        if !case.rows.is_empty() {
            psql(&url, case.rows);
        }
        write(dir, case.after);
        let out = schema(dir, "postgres://unused", &["generate", "--allow-destructive", "--name", "edit"]);
        assert!(out.status.success(), "{}: {}", case.name, text(&out));
        let out = schema(dir, &url, &["migrate"]);
        match case.outcome {
            Ok((query, expected)) => {
                let got = if out.status.success() { psql(&url, query) } else { text(&out) };
                if got != expected {
                    problems.push(format!("{}: expected {expected:?}, got {got:?}", case.name));
                    continue;
                }
                let diff = schema(dir, &url, &["diff"]);
                if diff.status.code() != Some(0) {
                    problems.push(format!("{}: diff after the migration: {}", case.name, text(&diff)));
                }
            }
            Err(message) => {
                let applied =
                    psql(&url, "SELECT string_agg(version::text, ',' ORDER BY version) FROM n.refinery_schema_history");
                if out.status.code() != Some(2) || !text(&out).contains(message) || applied != "1" {
                    problems.push(format!(
                        "{}: expected a failure saying {message:?}: {} (applied {applied})",
                        case.name,
                        text(&out)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Redshift refuses ADD COLUMN ... NOT NULL without a DEFAULT even on an empty table: generate
/// says so for the Redshift file instead of writing one that cannot run.
#[test]
fn redshift_refuses_a_not_null_column_without_a_default() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, &[("t", ID)]);
    let yaml = dir.join("schema/schema.yaml");
    std::fs::write(&yaml, "name: n\nnamespace: n\ndialects: [postgres, redshift]\n").unwrap();
    assert!(schema(dir, "postgres://unused", &["generate", "--name", "before"]).status.success());
    let columns =
        "  - { name: id, type: integer, primary_key: true }\n  - { name: code, type: integer, nullable: false }\n";
    std::fs::write(dir.join("schema/tables/t.yaml"), format!("table: t\ncolumns:\n{columns}")).unwrap();
    let out = schema(dir, "postgres://unused", &["generate", "--name", "edit"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("column `t.code` is added NOT NULL without a default"), "{}", text(&out));
}
