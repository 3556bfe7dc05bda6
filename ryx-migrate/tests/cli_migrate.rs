//! `ryx migrate`, `showmigrations` and `rollback` on PostgreSQL tenants, run
//! as a real process: the text output, rollbacks (and a refused one past the
//! first migration), repeated `--schema`s, and edited migrations.
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

use common::{expect, expect_one_line_error, fixtures, pg_url, ryx, unique, Schemas};

#[test]
fn rollback_past_the_first_migration_is_refused() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    expect(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", s]),
        0,
    );
    expect_one_line_error(
        &ryx(&[
            "--url", &url, "rollback", "--schema", s, "--steps", "4", "--dir", dir,
        ]),
        2,
        "only 3 applied",
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url", &url, "rollback", "--schema", s, "--steps", "2", "--dir", dir,
        ]),
        0,
    );
    assert!(
        stdout.contains("reverted 2024-01-03-000000_add_posts_slug"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reverted 2024-01-02-000000_create_posts"),
        "{stdout}"
    );
}

#[test]
fn text_output_is_one_line_per_tenant_and_a_summary() {
    let url = pg_url();
    let schemas = Schemas::new(2);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            &schemas.0[0],
            "--schema",
            &schemas.0[1],
        ]),
        0,
    );
    for s in &schemas.0 {
        assert!(
            stdout.contains(&format!("{s}: migrated (3 applied)")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("migrated                2"), "{stdout}");
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            &schemas.0[0],
        ]),
        0,
    );
    assert!(
        stdout.contains(&format!("{}: already current", schemas.0[0])),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            &schemas.0[0],
            "--dry-run",
        ]),
        0,
    );
    assert!(stdout.contains("up to date"), "{stdout}");
}

#[test]
fn repeated_schemas_run_once_and_edited_migrations_are_not_current() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = schemas.0[0].as_str();
    let dir = std::env::temp_dir().join(unique("ryx_cli_dir"));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixtures("basic")).unwrap() {
        let entry = entry.unwrap();
        let to = dir.join(entry.file_name());
        std::fs::create_dir_all(&to).unwrap();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
        }
    }
    let d = dir.to_str().unwrap();
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            d,
            "--schema",
            s,
            "--schema",
            s,
            "--jobs",
            "4294967295",
            "--format",
            "json",
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["migrated"].as_array().unwrap().len(), 1, "{json}");
    assert!(json["current"].as_array().unwrap().is_empty(), "{json}");
    // edit an applied migration: the tenant is no longer "current"
    std::fs::write(
        dir.join("2024-01-01-000000_create_authors/up.sql"),
        "CREATE TABLE ms_authors (id BIGINT PRIMARY KEY);",
    )
    .unwrap();
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "showmigrations", "--dir", d, "--schema", s]),
        0,
    );
    assert!(
        stdout.contains("2024-01-01-000000_create_authors (changed since it was applied)"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "migrate", "--dir", d, "--schema", s]),
        1,
    );
    assert!(
        stdout.contains("FAILED") && stdout.contains("--allow-changed"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            d,
            "--schema",
            s,
            "--allow-changed",
        ]),
        0,
    );
    assert!(stdout.contains("already current"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
