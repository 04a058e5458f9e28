//! Extensions the project creates (`extensions:` in schema.yaml, PostgreSQL only): adopted by
//! inspect, created by V1 before the columns that use their types, compared by `diff`. Before,
//! an extension was only an unmanaged object: the adopted V1 of a table with a `citext` or
//! `hstore` column failed on an empty database (`type "shop.citext" does not exist`).

mod common;

use common::{psql, schema, text};

#[test]
fn extensions_are_adopted_created_before_their_types_and_compared() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE SCHEMA shop; CREATE EXTENSION citext SCHEMA shop; CREATE EXTENSION hstore SCHEMA shop;
         CREATE TABLE shop.users (id int PRIMARY KEY, email shop.citext NOT NULL, attrs shop.hstore);",
    );
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("shop");
    common::adopt_whole(&url, "shop", &project);
    let settings = std::fs::read_to_string(project.join("schema/schema.yaml")).unwrap();
    assert!(settings.contains("extensions: [citext, hstore]\n"), "{settings}");

    let fresh = common::rebuild(&project);
    let installed = "SELECT extname FROM pg_extension WHERE extnamespace = 'shop'::regnamespace ORDER BY 1";
    assert_eq!(psql(&fresh, installed), "citext\nhstore");

    // One dropped by hand is drift, named.
    psql(&fresh, "DROP EXTENSION hstore CASCADE");
    let out = schema(&project, &fresh, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("missing_extension shop.hstore"), "{}", text(&out));

    // Redshift has none.
    let both = settings.replace("[postgres]", "[postgres, redshift]");
    std::fs::write(project.join("schema/schema.yaml"), both).unwrap();
    let out = schema(&project, "postgres://unused", &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Redshift has no extensions (`citext`)"), "{}", text(&out));
}

/// An extension in a namespace the project does not manage (Rails enables hstore in `public`):
/// inspect declares it as `public.hstore` from the column's type, where it warned before and V1
/// failed on an empty database; diff sees it there only because the YAML declares it, and the
/// plan never drops one the YAML does not list.
#[test]
fn an_extension_outside_the_managed_namespaces_is_declared_created_and_compared() {
    let url = common::fresh_database();
    psql(
        &url,
        "CREATE EXTENSION hstore SCHEMA public; CREATE EXTENSION citext SCHEMA public; CREATE SCHEMA shop;
         CREATE TABLE shop.parts (id int PRIMARY KEY, attrs public.hstore[], name text);",
    );
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("shop");
    common::adopt_whole(&url, "shop", &project);
    let settings = std::fs::read_to_string(project.join("schema/schema.yaml")).unwrap();
    assert!(settings.contains("extensions: [public.hstore]\n"), "{settings}");

    let fresh = common::rebuild(&project);
    let installed = "SELECT extname FROM pg_extension WHERE extnamespace = 'public'::regnamespace ORDER BY 1";
    assert_eq!(psql(&fresh, installed), "hstore");
    // Undeclared, citext in `public` is no concern of the project: not reported, never dropped.
    psql(&fresh, "CREATE EXTENSION citext SCHEMA public");
    let out = schema(&project, &fresh, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    psql(&fresh, "DROP EXTENSION hstore CASCADE");
    let out = schema(&project, &fresh, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("missing_extension public.hstore"), "{}", text(&out));
    let out = schema(&project, &fresh, &["diff", "--sql"]);
    assert!(text(&out).contains("CREATE EXTENSION IF NOT EXISTS \"hstore\" SCHEMA \"public\";"), "{}", text(&out));

    let both = settings.replace("[postgres]", "[postgres, redshift]");
    std::fs::write(project.join("schema/schema.yaml"), both).unwrap();
    let out = schema(&project, "postgres://unused", &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Redshift has no extensions (`public.hstore`)"), "{}", text(&out));
}
