//! Safety of `ryx tenants create|drop` and `showmigrations` on PostgreSQL, run
//! as a real process and through the library: reserved schemas are never
//! tenants, an existing schema is adopted only when asked, an existing tenant
//! is not "created" again, a missing schema is an error, and failure messages
//! speak of the backend in use.
#![cfg(all(feature = "postgres", feature = "cli"))]
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::{expect, expect_one_line_error, fixtures, ryx, unique, PgDb, Schemas};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The tables of `schema`.
fn tables(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1",
    )
    .bind::<diesel::sql_types::Text, _>(schema)
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

#[test]
fn reserved_schemas_are_never_created_or_dropped() {
    // a database of its own: a wrong `create` must not touch the shared one
    let db = PgDb::new();
    let url = db.url();
    for schema in ["information_schema", "public"] {
        expect_one_line_error(
            &ryx(&["--url", &url, "tenants", "create", schema, "--no-migrate"]),
            2,
            "reserved",
        );
        expect_one_line_error(
            &ryx(&["--url", &url, "tenants", "drop", schema, "--yes"]),
            2,
            "reserved",
        );
    }
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "create", "pg_x", "--no-migrate"]),
        2,
        "PostgreSQL reserves",
    );
    let mut conn = PgConnection::establish(&url).unwrap();
    assert!(
        !tables(&mut conn, "information_schema").contains(&"ryx_migrations".to_owned()),
        "nothing was created in information_schema"
    );
    assert!(tables(&mut conn, "public").is_empty(), "nothing in public");
    // the library refuses too, with the same words
    for schema in ["information_schema", "public"] {
        let e = ryx_migrate::create_tenant(&mut conn, schema).unwrap_err();
        assert!(e.to_string().contains("reserved"), "{e}");
    }
    let e = ryx_migrate::fleet::drop_tenant(&mut conn, "information_schema").unwrap_err();
    assert!(e.to_string().contains("reserved"), "{e}");
    assert!(
        matches!(e, ryx_migrate::Error::ReservedSchema { .. }),
        "{e:?}"
    );
    let e = ryx_migrate::fleet::adopt_tenant(&mut conn, "public").unwrap_err();
    assert!(
        matches!(e, ryx_migrate::Error::ReservedSchema { .. }),
        "{e:?}"
    );
    // `public` keeps its documented answer: not a tenant, nothing dropped
    assert!(!ryx_migrate::fleet::drop_tenant(&mut conn, "public").unwrap());
}

#[test]
fn an_existing_schema_is_adopted_only_with_adopt() {
    let schemas = Schemas::new(2);
    let (legacy, empty) = (&schemas.0[0], &schemas.0[1]);
    let url = common::pg_url();
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{legacy}\"; CREATE TABLE \"{legacy}\".important (id INT); \
         CREATE SCHEMA \"{empty}\""
    ))
    .unwrap();
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    for args in [
        &["tenants", "create", legacy, "--no-migrate"][..],
        &["tenants", "create", legacy, "--dir", dir],
        &["tenants", "create", empty, "--no-migrate"],
    ] {
        let args: Vec<&str> = ["--url", url.as_str()]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        expect_one_line_error(&ryx(&args), 2, "--adopt");
    }
    assert_eq!(tables(&mut conn, legacy), ["important"], "left as it was");
    assert!(tables(&mut conn, empty).is_empty(), "left as it was");
    // so `drop --yes` still refuses it
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", legacy, "--yes"]),
        2,
        "not a ryx tenant",
    );
    assert_eq!(tables(&mut conn, legacy), ["important"]);
    // the library refuses by default and names the way to adopt
    let e = ryx_migrate::create_tenant(&mut conn, legacy).unwrap_err();
    assert!(e.to_string().contains("adopt_tenant"), "{e}");
    assert!(matches!(e, ryx_migrate::Error::NotATenant { .. }), "{e:?}");
    assert_eq!(tables(&mut conn, legacy), ["important"]);
    // `fleet::adopt_tenant` is the library's `--adopt`
    ryx_migrate::fleet::adopt_tenant(&mut conn, empty).unwrap();
    assert_eq!(tables(&mut conn, empty), ["ryx_migrations"]);
    ryx_migrate::create_tenant(&mut conn, empty).unwrap(); // a tenant now: nothing to do
                                                           // asked for: adopted, and migrated
    let (stdout, _) = expect(
        &ryx(&[
            "--url", &url, "tenants", "create", legacy, "--adopt", "--dir", dir,
        ]),
        0,
    );
    assert!(stdout.contains("adopted"), "{stdout}");
    assert!(stdout.contains("3 migration(s) applied"), "{stdout}");
    let t = tables(&mut conn, legacy);
    assert!(
        t.contains(&"important".to_owned()) && t.contains(&"ryx_migrations".to_owned()),
        "{t:?}"
    );
}

#[test]
fn creating_an_existing_tenant_says_it_exists() {
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let url = common::pg_url();
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "tenants", "create", s, "--dir", dir]),
        0,
    );
    assert!(
        stdout.contains("created, 3 migration(s) applied"),
        "{stdout}"
    );
    for args in [
        &["tenants", "create", s.as_str(), "--no-migrate"][..],
        &["tenants", "create", s.as_str(), "--dir", dir],
    ] {
        let args: Vec<&str> = ["--url", url.as_str()]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let (stdout, _) = expect(&ryx(&args), 0);
        assert!(stdout.contains(&format!("{s}: already exists")), "{stdout}");
        assert!(!stdout.contains("created"), "{stdout}");
    }
}

#[test]
fn showmigrations_of_a_missing_schema_fails() {
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let missing = unique("ryx_cli_missing");
    let url = common::pg_url();
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    expect(
        &ryx(&["--url", &url, "tenants", "create", s, "--dir", dir]),
        0,
    );
    let out = ryx(&[
        "--url",
        &url,
        "showmigrations",
        "--dir",
        dir,
        "--schema",
        s,
        "--schema",
        &missing,
    ]);
    let (stdout, stderr) = expect(&out, 1);
    assert!(
        stderr.contains(&format!("schema `{missing}` does not exist")),
        "{stderr}"
    );
    assert!(!stdout.contains(&missing), "{stdout}");
    assert!(
        stdout.contains(&format!("{s}\n [X] ")),
        "the other schema is listed: {stdout}"
    );
    let out = ryx(&[
        "--url",
        &url,
        "showmigrations",
        "--dir",
        dir,
        "--schema",
        &missing,
        "--format",
        "json",
    ]);
    let (stdout, stderr) = expect(&out, 1);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert_eq!(stdout.trim(), "[]");
}

#[test]
fn a_postgresql_failure_does_not_speak_of_mysql() {
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let url = common::pg_url();
    let dir = fixtures("failing");
    let out = ryx(&[
        "--url",
        &url,
        "migrate",
        "--schema",
        s,
        "--dir",
        dir.to_str().unwrap(),
    ]);
    let (stdout, stderr) = expect(&out, 1);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        !stdout.contains("MySQL") && !stderr.contains("MySQL"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn runners_never_adopt_a_schema_holding_tables_without_history() {
    let schemas = Schemas::new(1);
    let legacy = &schemas.0[0];
    let url = common::pg_url();
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{legacy}\"; CREATE TABLE \"{legacy}\".important (id INT)"
    ))
    .unwrap();
    let dir = fixtures("basic");
    // the library's file runner refuses, naming the way to adopt it
    let e = ryx_migrate::FileRunner::new()
        .migrations_dir(&dir)
        .schema(legacy.as_str())
        .run(&mut conn)
        .unwrap_err();
    assert!(matches!(e, ryx_migrate::Error::NotATenant { .. }), "{e:?}");
    assert!(e.to_string().contains("--adopt"), "{e}");
    assert_eq!(tables(&mut conn, legacy), ["important"], "left as it was");
    // the CLI too: the tenant fails, with the same words, and nothing changes
    let out = ryx(&[
        "--url",
        &url,
        "migrate",
        "--schema",
        legacy,
        "--dir",
        dir.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (common::text(&out.stdout), common::text(&out.stderr));
    assert_ne!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("not a ryx tenant"),
        "{stdout}{stderr}"
    );
    assert_eq!(tables(&mut conn, legacy), ["important"], "left as it was");
    // so `drop --yes` still refuses it
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", legacy, "--yes"]),
        2,
        "not a ryx tenant",
    );
    // adopted on purpose, it migrates
    ryx_migrate::fleet::adopt_tenant(&mut conn, legacy).unwrap();
    let report = ryx_migrate::FileRunner::new()
        .migrations_dir(&dir)
        .schema(legacy.as_str())
        .run(&mut conn)
        .unwrap();
    assert_eq!(report.applied.len(), 3);
    // a schema holding only a view (or a sequence) is someone's too
    let schemas3 = Schemas::new(2);
    let (views, sequences) = (&schemas3.0[0], &schemas3.0[1]);
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{views}\"; CREATE VIEW \"{views}\".v AS SELECT 1 AS one; \
         CREATE SCHEMA \"{sequences}\"; CREATE SEQUENCE \"{sequences}\".s"
    ))
    .unwrap();
    for schema in [views, sequences] {
        let e = ryx_migrate::FileRunner::new()
            .migrations_dir(&dir)
            .schema(schema.as_str())
            .run(&mut conn)
            .unwrap_err();
        assert!(matches!(e, ryx_migrate::Error::NotATenant { .. }), "{e:?}");
        assert!(
            tables(&mut conn, schema).is_empty(),
            "nothing created in {schema}"
        );
    }
    // an empty schema made by hand is not a tenant's data: a runner may use it
    let schemas2 = Schemas::new(1);
    let empty = &schemas2.0[0];
    conn.batch_execute(&format!("CREATE SCHEMA \"{empty}\""))
        .unwrap();
    ryx_migrate::FileRunner::new()
        .migrations_dir(&dir)
        .schema(empty.as_str())
        .run(&mut conn)
        .unwrap();
}

#[test]
fn names_differing_only_by_case_or_whitespace_need_force() {
    let base = unique("ryx_cli_case");
    let upper = base.to_uppercase();
    let padded = format!("{base} ");
    // every variant is dropped at the end
    let _guard = Schemas(vec![base.clone(), upper.clone(), padded.clone()]);
    let url = common::pg_url();
    expect(
        &ryx(&["--url", &url, "tenants", "create", &base, "--no-migrate"]),
        0,
    );
    for other in [&upper, &padded] {
        expect_one_line_error(
            &ryx(&["--url", &url, "tenants", "create", other, "--no-migrate"]),
            2,
            "--force",
        );
    }
    let mut conn = PgConnection::establish(&url).unwrap();
    let tenants = ryx_migrate::fleet::tenants(&mut conn).unwrap();
    assert!(!tenants.contains(&upper) && !tenants.contains(&padded));
    // forced, each is its own schema, used exactly as given
    for other in [&upper, &padded] {
        let (stdout, _) = expect(
            &ryx(&[
                "--url",
                &url,
                "tenants",
                "create",
                other,
                "--no-migrate",
                "--force",
            ]),
            0,
        );
        assert!(stdout.contains("created"), "{stdout}");
    }
    let tenants = ryx_migrate::fleet::tenants(&mut conn).unwrap();
    for name in [&base, &upper, &padded] {
        assert!(tenants.contains(name), "{name:?} in {tenants:?}");
    }
}

#[test]
fn rollback_of_zero_steps_is_a_usage_error() {
    let schemas = Schemas::new(1);
    let url = common::pg_url();
    let out = ryx(&[
        "--url",
        &url,
        "rollback",
        "--schema",
        &schemas.0[0],
        "--steps",
        "0",
    ]);
    expect_one_line_error(&out, 2, "--steps");
    assert!(common::text(&out.stdout).is_empty());
}
