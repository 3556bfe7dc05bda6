//! The `ryx` binary on SQLite and MySQL (MariaDB), which have no schemas:
//! `--schema` is ignored with a note, migrate/show/rollback work on the one
//! database, and read-only commands never create a SQLite file.
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

use common::{expect, expect_one_line_error, fixtures, ryx, unique};
#[cfg(feature = "mysql")]
use diesel::{connection::SimpleConnection, Connection};

#[test]
fn sqlite_ignores_schema_with_a_note() {
    let path = std::env::temp_dir().join(format!("{}.sqlite3", unique("ryx_cli")));
    let url = format!("sqlite://{}", path.display());
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let (stdout, stderr) = expect(
        &ryx(&[
            "--url", &url, "migrate", "--dir", dir, "--schema", "tenant1",
        ]),
        0,
    );
    assert!(
        stderr.contains("note: SQLite has no schemas; --schema is ignored"),
        "{stderr}"
    );
    assert!(stdout.contains("migrated (3 applied)"), "{stdout}");
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            path.to_str().unwrap(),
            "showmigrations",
            "--dir",
            dir,
        ]),
        0,
    );
    assert!(
        stdout.contains(" [X] 2024-01-03-000000_add_posts_slug"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url", &url, "rollback", "--schema", "tenant1", "--dir", dir,
        ]),
        0,
    );
    assert!(
        stdout.contains("reverted 2024-01-03-000000_add_posts_slug"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "showmigrations", "--dir", dir, "--unapplied"]),
        0,
    );
    assert!(
        stdout.contains(" [ ] 2024-01-03-000000_add_posts_slug") && !stdout.contains("[X]"),
        "{stdout}"
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", "x", "--yes"]),
        2,
        "no schemas",
    );
    // the script a run sends on SQLite: `BEGIN IMMEDIATE` .. `COMMIT`
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "sqlmigrate",
            "2024-01-03-000000",
            "--schema",
            "tenant1",
            "--dir",
            dir,
        ]),
        0,
    );
    assert!(
        stdout.contains("BEGIN IMMEDIATE;\nALTER TABLE ms_posts ADD COLUMN slug")
            && stdout.ends_with("COMMIT;\n"),
        "{stdout}"
    );
    let _ = std::fs::remove_file(&path);
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_migrate_show_and_rollback() {
    let server = std::env::var("RYX_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned());
    let name = unique("ryx_cli");
    let mut admin = diesel::MysqlConnection::establish(&server).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE `{name}`"))
        .unwrap();
    let url = format!("{server}/{name}");
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let result = std::panic::catch_unwind(|| {
        let (stdout, stderr) = expect(
            &ryx(&[
                "--url", &url, "migrate", "--dir", dir, "--schema", "t1", "--format", "json",
            ]),
            0,
        );
        assert!(stderr.contains("MySQL has no schemas"), "{stderr}");
        let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(
            json["migrated"][0]["applied"].as_array().unwrap().len(),
            3,
            "{json}"
        );
        let (stdout, _) = expect(&ryx(&["--url", &url, "showmigrations", "--dir", dir]), 0);
        assert!(
            stdout.contains(" [X] 2024-01-02-000000_create_posts"),
            "{stdout}"
        );
        expect(
            &ryx(&[
                "--url", &url, "rollback", "--schema", "t1", "--steps", "3", "--dir", dir,
            ]),
            0,
        );
        let (stdout, _) = expect(&ryx(&["--url", &url, "showmigrations", "--dir", dir]), 0);
        assert!(!stdout.contains("[X]"), "{stdout}");
    });
    let _ = admin.batch_execute(&format!("DROP DATABASE `{name}`"));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn read_only_commands_do_not_create_sqlite_files() {
    let path = std::env::temp_dir().join(format!("{}.sqlite3", unique("ryx_cli_missing")));
    let dir = fixtures("basic");
    expect_one_line_error(
        &ryx(&[
            "--url",
            path.to_str().unwrap(),
            "showmigrations",
            "--dir",
            dir.to_str().unwrap(),
        ]),
        2,
        "no SQLite database",
    );
    assert!(!path.exists());
}
