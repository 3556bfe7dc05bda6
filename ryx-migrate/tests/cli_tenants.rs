//! `ryx tenants create|list|drop` and `sqlmigrate` on PostgreSQL, run as a
//! real process: only ryx tenants can be dropped.
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

use common::{expect, expect_one_line_error, fixtures, ryx, PgDb, Schemas};

#[test]
fn tenants_create_list_drop_and_sqlmigrate() {
    let db = PgDb::new();
    let url = db.url();
    let schemas = Schemas::new(2);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let (a, b) = (&schemas.0[0], &schemas.0[1]);
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "tenants", "create", a, "--dir", dir]),
        0,
    );
    assert!(stdout.contains("3 migration(s) applied"), "{stdout}");
    expect(
        &ryx(&["--url", &url, "tenants", "create", b, "--no-migrate"]),
        0,
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "tenants", "list", "--format", "json"]),
        0,
    );
    let list: Vec<String> = serde_json::from_str(stdout.trim()).unwrap();
    assert!(list.contains(a) && list.contains(b), "{list:?}");
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            b,
            "--dry-run",
        ]),
        0,
    );
    assert!(
        stdout.contains(&format!("SET LOCAL search_path TO \"{b}\", \"public\";")),
        "{stdout}"
    );
    assert!(stdout.contains("CREATE TABLE ms_authors"), "{stdout}");
    // the same script `sqlmigrate` prints: transaction and lock included
    assert!(
        stdout.contains("BEGIN;\nSELECT pg_advisory_xact_lock(") && stdout.contains("COMMIT;"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "sqlmigrate",
            "2024-01-03-000000",
            "--schema",
            a,
            "--backend",
            "postgres",
            "--dir",
            dir,
        ]),
        0,
    );
    assert!(
        stdout.contains("BEGIN;")
            && stdout.contains("ALTER TABLE ms_posts ADD COLUMN slug")
            && stdout.contains("COMMIT;"),
        "{stdout}"
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", "public", "--yes"]),
        2,
        "not a ryx tenant",
    );
    let (stdout, _) = expect(&ryx(&["--url", &url, "tenants", "drop", a, "--yes"]), 0);
    assert!(stdout.contains("dropped"));
    let (stdout, _) = expect(&ryx(&["--url", &url, "tenants", "list"]), 0);
    assert!(
        !stdout.lines().any(|l| l == a) && stdout.lines().any(|l| l == b),
        "{stdout}"
    );
}
