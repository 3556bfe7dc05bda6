//! `lifecycle::rename_tenant` and `ryx tenants rename OLD NEW`: the schema,
//! its rows and its history move together; nothing else is renamed.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
#![cfg(all(feature = "cli", feature = "postgres"))]

mod common;

use common::{expect, expect_one_line_error, fixtures, pg_url, ryx, Schemas};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::lifecycle::rename_tenant;
use ryx_migrate::{Error, FileRunner};

fn connect() -> PgConnection {
    PgConnection::establish(&pg_url()).unwrap()
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Bool)]
    found: bool,
}

fn exists(conn: &mut PgConnection, schema: &str) -> bool {
    diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS found",
    )
    .bind::<Text, _>(schema)
    .get_result::<Found>(conn)
    .unwrap()
    .found
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

#[test]
fn rename_moves_the_schema_its_rows_and_its_history() {
    let schemas = Schemas::new(3);
    let (old, new, plain) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let mut conn = connect();
    FileRunner::new()
        .migrations_dir(fixtures("clone"))
        .schema(old)
        .run(&mut conn)
        .unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO \"{old}\".accounts (email) VALUES ('a@example.com'); \
         CREATE SCHEMA \"{plain}\""
    ))
    .unwrap();
    rename_tenant(&mut conn, old, new).unwrap();
    assert!(!exists(&mut conn, old) && exists(&mut conn, new));
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM \"{new}\".ryx_migrations")
        ),
        3
    );
    // defaults and views keep working under the new name
    conn.batch_execute(&format!(
        "INSERT INTO \"{new}\".accounts (email) VALUES ('b@example.com')"
    ))
    .unwrap();
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT max(id)::int8 AS n FROM \"{new}\".live_accounts")
        ),
        2
    );
    // the runners see it as a tenant with everything applied
    let report = FileRunner::new()
        .migrations_dir(fixtures("clone"))
        .schema(new)
        .run(&mut conn)
        .unwrap();
    assert!(report.applied.is_empty(), "{report:?}");

    // refusals change nothing
    let e = rename_tenant(&mut conn, old, "anything_else").unwrap_err();
    assert!(matches!(e, Error::NoSuchTenant { .. }), "{e:?}");
    let e = rename_tenant(&mut conn, plain, "anything_else").unwrap_err();
    assert!(matches!(e, Error::NoSuchTenant { .. }), "{e:?}");
    let e = rename_tenant(&mut conn, new, plain).unwrap_err();
    assert!(matches!(e, Error::SchemaExists { .. }), "{e:?}");
    let e = rename_tenant(&mut conn, new, "public").unwrap_err();
    assert!(matches!(e, Error::ReservedSchema { .. }), "{e:?}");
    let e = rename_tenant(&mut conn, new, "pg_x").unwrap_err();
    assert!(matches!(e, Error::InvalidSchemaName(_)), "{e:?}");
    assert!(exists(&mut conn, new) && exists(&mut conn, plain));
}

#[test]
fn tenants_rename_as_a_process() {
    let url = pg_url();
    let schemas = Schemas::new(3);
    let (old, new, other) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    expect(
        &ryx(&["--url", &url, "tenants", "create", old, "--dir", dir]),
        0,
    );
    expect(
        &ryx(&["--url", &url, "tenants", "create", other, "--no-migrate"]),
        0,
    );
    let (stdout, _) = expect(&ryx(&["--url", &url, "tenants", "rename", old, new]), 0);
    assert_eq!(stdout.trim(), format!("{old}: renamed to {new}"));
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "showmigrations",
            "--schema",
            new,
            "--dir",
            dir,
        ]),
        0,
    );
    assert_eq!(stdout.matches("[X]").count(), 3, "{stdout}");
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "rename", old, "x"]),
        2,
        &format!("`{old}` is not a ryx tenant"),
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "rename", new, other]),
        2,
        &format!("schema `{other}` already exists"),
    );
    expect_one_line_error(
        &ryx(&[
            "--url",
            &url,
            "tenants",
            "rename",
            new,
            "information_schema",
        ]),
        2,
        "reserved",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "rename", new, ""]),
        2,
        "invalid schema name",
    );
    let out = ryx(&["--url", &url, "tenants", "rename", new]);
    let (_, stderr) = expect(&out, 2);
    assert!(stderr.starts_with("error:"), "{stderr}");
}
