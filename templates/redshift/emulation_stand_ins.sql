-- Redshift system views the generated migrations read when they run, with the columns AWS
-- documents, over PostgreSQL's catalog, for the Redshift emulation (docs/redshift.md):
-- SVV_REDSHIFT_COLUMNS (a column's encoding, which a test sets in emulated_encodings; LZO
-- otherwise) and SVV_RELATION_PRIVILEGES (grants to the grantees listed in emulated_roles are
-- grants to roles; PostgreSQL's relacl shows them too, where Redshift's shows users and groups
-- only). Created in `public` of a scratch database.
CREATE TABLE public.emulated_encodings (schema_name TEXT, table_name TEXT, column_name TEXT, encoding TEXT);
CREATE VIEW public.svv_redshift_columns AS
  SELECT current_database()::TEXT AS database_name, c.table_schema::TEXT AS schema_name, c.table_name::TEXT AS table_name,
         c.column_name::TEXT AS column_name, c.ordinal_position, c.data_type::TEXT AS data_type,
         c.column_default::TEXT AS column_default, c.is_nullable::TEXT AS is_nullable,
         COALESCE(e.encoding, 'lzo') AS encoding, FALSE AS distkey, 0 AS sortkey, NULL::TEXT AS column_acl, NULL::TEXT AS remarks
  FROM information_schema.columns c
  LEFT JOIN public.emulated_encodings e
    ON e.schema_name = c.table_schema AND e.table_name = c.table_name AND e.column_name = c.column_name;
CREATE TABLE public.emulated_roles (name TEXT);
CREATE VIEW public.svv_relation_privileges AS
  SELECT n.nspname::TEXT AS namespace_name, c.relname::TEXT AS relation_name, a.privilege_type::TEXT AS privilege_type,
         a.grantee::INTEGER AS identity_id, pg_get_userbyid(a.grantee)::TEXT AS identity_name,
         'role'::TEXT AS identity_type, a.is_grantable AS admin_option
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
  WHERE pg_get_userbyid(a.grantee) IN (SELECT name FROM public.emulated_roles);
