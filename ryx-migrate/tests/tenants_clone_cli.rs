//! `ryx tenants create NEW --from TEMPLATE [--with-data]` run as a real
//! process, and the one-line refusal of the schema commands on SQLite and
//! MySQL.
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

use common::{expect, expect_one_line_error, fixtures, pg_url, ryx, unique, Schemas};
use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn rows(conn: &mut PgConnection, schema: &str, table: &str) -> i64 {
    diesel::sql_query(format!("SELECT count(*) AS n FROM \"{schema}\".{table}"))
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[test]
fn create_from_a_template_copies_structure_history_and_optionally_rows() {
    let url = pg_url();
    let schemas = Schemas::new(3);
    let (template, bare, full) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let dir = fixtures("clone");
    let dir = dir.to_str().unwrap();
    expect(
        &ryx(&["--url", &url, "tenants", "create", template, "--dir", dir]),
        0,
    );
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO \"{template}\".accounts (email) VALUES ('a@example.com'), ('b@example.com')"
    ))
    .unwrap();

    let (stdout, _) = expect(
        &ryx(&["--url", &url, "tenants", "create", bare, "--from", template]),
        0,
    );
    assert_eq!(
        stdout.trim(),
        format!(
            "{bare}: created from {template} (5 table(s), 3 view(s), 5 sequence(s), \
             14 constraint(s), 3 index(es), 3 migration(s) in its history)"
        )
    );
    assert_eq!(rows(&mut conn, bare, "accounts"), 0);
    // its history is the template's: nothing pending
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "showmigrations",
            "--schema",
            bare,
            "--dir",
            dir,
            "--unapplied",
        ]),
        0,
    );
    assert!(!stdout.contains("[ ]"), "{stdout}");

    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "tenants",
            "create",
            full,
            "--from",
            template,
            "--with-data",
        ]),
        0,
    );
    assert!(
        stdout.starts_with(&format!("{full}: created from {template} with its rows")),
        "{stdout}"
    );
    assert_eq!(rows(&mut conn, full, "accounts"), 2);

    // the new name exists now: refused, one line, exit 2
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "create", bare, "--from", template]),
        2,
        &format!("schema `{bare}` already exists"),
    );
    let missing = unique("ryx_cli_missing");
    expect_one_line_error(
        &ryx(&[
            "--url", &url, "tenants", "create", &missing, "--from", &missing,
        ]),
        2,
        "is not a ryx tenant",
    );
    // a name that differs from a tenant's only by case needs --force, as for `create`
    let upper = bare.to_uppercase();
    expect_one_line_error(
        &ryx(&[
            "--url", &url, "tenants", "create", &upper, "--from", template,
        ]),
        2,
        "differs only by case",
    );
    expect_one_line_error(
        &ryx(&[
            "--url", &url, "tenants", "create", "public", "--from", template,
        ]),
        2,
        "reserved",
    );
}

#[test]
fn create_from_rejects_flags_that_do_not_go_with_it() {
    for args in [
        &["tenants", "create", "a", "--with-data"][..],
        &["tenants", "create", "a", "--from", "t", "--adopt"],
        &["tenants", "create", "a", "--from", "t", "--no-migrate"],
    ] {
        let out = ryx(args);
        let (_, stderr) = expect(&out, 2);
        assert!(stderr.starts_with("error:"), "{stderr}");
    }
}

#[test]
fn help_shows_examples() {
    for (args, example) in [
        (
            &["tenants", "create", "--help"][..],
            "ryx tenants create acme --from template_tenant",
        ),
        (
            &["tenants", "rename", "--help"],
            "ryx tenants rename acme acme_corp",
        ),
        (
            &["tenants", "list", "--help"],
            "ryx tenants list --sizes --sort size",
        ),
        (
            &["tenants", "drop", "--help"],
            "ryx tenants drop acme --yes",
        ),
    ] {
        let (stdout, _) = expect(&ryx(args), 0);
        assert!(stdout.contains("Example"), "{stdout}");
        assert!(stdout.contains(example), "{stdout}");
    }
    let (stdout, _) = expect(&ryx(&["tenants", "create", "--help"]), 0);
    assert!(
        stdout.contains("--from <TEMPLATE>") && stdout.contains("--with-data"),
        "{stdout}"
    );
}

/// The three schema commands on a database without schemas: one line, exit 2.
fn refused_without_schemas(url: &str, backend: &str) {
    for (args, what) in [
        (
            &["tenants", "create", "b", "--from", "default"][..],
            "`tenants create --from`",
        ),
        (&["tenants", "rename", "a", "b"], "`tenants rename`"),
        (&["tenants", "list", "--sizes"], "`tenants list --sizes`"),
    ] {
        let mut all = vec!["--url", url];
        all.extend_from_slice(args);
        expect_one_line_error(
            &ryx(&all),
            2,
            &format!("not supported on {backend}: {what}"),
        );
    }
    // `tenants list` itself still works
    expect(&ryx(&["--url", url, "tenants", "list"]), 0);
}

#[test]
fn sqlite_refuses_clone_rename_and_sizes() {
    let path = std::env::temp_dir().join(format!("{}.sqlite3", unique("ryx_cli")));
    let url = format!("sqlite://{}", path.display());
    let dir = fixtures("basic");
    expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--all-schemas",
            "--dir",
            dir.to_str().unwrap(),
        ]),
        0,
    );
    refused_without_schemas(&url, "SQLite");
    let _ = std::fs::remove_file(&path);
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_refuses_clone_rename_and_sizes() {
    let server = std::env::var("RYX_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned());
    let name = unique("ryx_cli");
    let mut admin = diesel::MysqlConnection::establish(&server).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE `{name}`"))
        .unwrap();
    let url = format!("{server}/{name}");
    let result = std::panic::catch_unwind(|| refused_without_schemas(&url, "MySQL"));
    let _ = admin.batch_execute(&format!("DROP DATABASE `{name}`"));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
