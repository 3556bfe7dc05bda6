//! A diesel project's migrations run per tenant on real PostgreSQL: diesel's
//! own `00000000000000_diesel_initial_setup` installs
//! `diesel_manage_updated_at` in `public`, and a tenant migration calling it
//! finds it, because a migration's `search_path` is the tenant's schema, then
//! `public` (configurable); the trigger it makes lands on the tenant's table.
//! Each test works in a database of its own.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use ryx::migrate::{load_dir, Error, FileRunner, MigrationFile};
use ryx::prelude::*;

/// A database of the test's own, dropped at the end.
struct OwnDb {
    name: String,
}

impl OwnDb {
    fn new() -> (Self, PgConnection) {
        let name = common::unique_name("ryx_diesel");
        common::pg_connect()
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        let url = common::pg_url();
        let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
        let conn = PgConnection::establish(&format!("{base}/{name}")).unwrap();
        (OwnDb { name }, conn)
    }
}

impl Drop for OwnDb {
    fn drop(&mut self) {
        let _ = common::pg_connect().batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
    }
}

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations/diesel_project")
}

/// The project's folder as ryx loads it: diesel's setup migration is
/// skipped (diesel applies it to `public`), the tenant migrations remain.
fn tenant_migrations() -> Vec<MigrationFile> {
    load_dir(fixture()).unwrap()
}

/// Installs diesel's setup functions in `public`, as `diesel setup` does:
/// its `up.sql` on a connection whose `search_path` is the default.
fn diesel_setup_in_public(conn: &mut PgConnection) {
    let up = std::fs::read_to_string(fixture().join("00000000000000_diesel_initial_setup/up.sql"))
        .unwrap();
    conn.batch_execute(&up).unwrap();
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Row {
    #[diesel(sql_type = Text)]
    value: String,
}

fn values(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Row>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect()
}

#[test]
fn diesel_manage_updated_at_from_public_works_in_every_tenant() {
    let (_db, mut conn) = OwnDb::new();
    diesel_setup_in_public(&mut conn);
    for tenant in ["acme", "globex"] {
        let report = FileRunner::new()
            .migrations(tenant_migrations())
            .schema(tenant)
            .run(&mut conn)
            .unwrap();
        assert_eq!(report.applied.len(), 1, "{tenant}");
    }
    // one trigger per tenant table, each on the tenant's own `users`
    assert_eq!(
        values(
            &mut conn,
            "SELECT n.nspname || '.' || c.relname AS value FROM pg_catalog.pg_trigger t \
             JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE t.tgname = 'set_updated_at' ORDER BY 1"
        ),
        ["acme.users", "globex.users"]
    );
    // and it works: an update sets updated_at
    conn.batch_execute(
        "INSERT INTO acme.users (name) VALUES ('a'); UPDATE acme.users SET name = 'b'",
    )
    .unwrap();
    assert_eq!(
        values(
            &mut conn,
            "SELECT CAST(updated_at > '2000-01-01' AS TEXT) AS value FROM acme.users"
        ),
        ["true"]
    );
    // nothing of a tenant's landed in public
    assert_eq!(
        values(
            &mut conn,
            "SELECT relname::text AS value FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn with_no_shared_schemas_the_function_in_public_is_not_found() {
    let (_db, mut conn) = OwnDb::new();
    diesel_setup_in_public(&mut conn);
    let err = FileRunner::new()
        .migrations(tenant_migrations())
        .schema("acme")
        .shared_schemas(Vec::<String>::new())
        .run(&mut conn)
        .unwrap_err();
    assert!(matches!(err, Error::MigrationFailed { .. }), "{err:?}");
    let source = std::error::Error::source(&err)
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(source.contains("diesel_manage_updated_at"), "{source}");
    // the dry run shows the path each way
    let mut shown = |runner: FileRunner| {
        let report = runner.dry_run(true).run(&mut conn).unwrap();
        report.planned[0].sql[0].clone()
    };
    assert_eq!(
        shown(
            FileRunner::new()
                .migrations(tenant_migrations())
                .schema("acme")
        ),
        r#"SET LOCAL search_path TO "acme", "public""#
    );
    assert_eq!(
        shown(
            FileRunner::new()
                .migrations(tenant_migrations())
                .schema("acme")
                .shared_schemas(["ext", "public"])
        ),
        r#"SET LOCAL search_path TO "acme", "ext", "public""#
    );
}

#[test]
fn the_setup_migration_is_left_to_diesel_and_the_functions_stay_in_public() {
    let (_db, mut conn) = OwnDb::new();
    let names: Vec<String> = tenant_migrations().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["2024-01-01-000000_create_users"]);
    diesel_setup_in_public(&mut conn);
    FileRunner::new()
        .migrations(tenant_migrations())
        .schema("acme")
        .run(&mut conn)
        .unwrap();
    assert_eq!(
        values(
            &mut conn,
            "SELECT n.nspname || '.' || p.proname AS value FROM pg_catalog.pg_proc p \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.proname LIKE 'diesel_%' ORDER BY 1"
        ),
        [
            "public.diesel_manage_updated_at",
            "public.diesel_set_updated_at"
        ]
    );
    // the rollback runs down.sql with the same path
    FileRunner::new()
        .migrations(tenant_migrations())
        .schema("acme")
        .rollback(&mut conn, 1)
        .unwrap();
    assert!(values(
        &mut conn,
        "SELECT c.relname::text AS value FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'acme' AND c.relname = 'users'"
    )
    .is_empty());
}

#[test]
fn shared_schema_names_are_checked() {
    let (_db, mut conn) = OwnDb::new();
    let err = FileRunner::new()
        .migrations(tenant_migrations())
        .schema("acme")
        .shared_schemas([""])
        .run(&mut conn)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSchemaName(_)), "{err:?}");
}
