//! `ryx --directory ryx.toml tenants move` as a real process, between a
//! database of the local server and a private cluster: the tenant arrives
//! whole, the directory file names its new server, `tenants list` shows it
//! there, and what cannot be moved is one `error:` line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::cluster::PgCluster;
use common::{expect, expect_one_line_error, fixtures, ryx, unique, PgDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

#[test]
fn a_tenant_moves_between_servers_through_the_command_line() {
    let first = PgDb::new();
    let second = PgCluster::start();
    let tenant = unique("moving");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ryx.toml");
    std::fs::write(
        &file,
        format!(
            "[servers.first]\nurl = \"{}\"\n\n[servers.second]\nurl = \"{}\"\n\n[tenants]\n{tenant} = \"first\"\n",
            first.url(),
            second.url()
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let migrations = fixtures("basic");
    let migrations = migrations.to_str().unwrap();
    // created and migrated on its server through the directory
    expect(
        &ryx(&[
            "--directory",
            file,
            "tenants",
            "create",
            &tenant,
            "--dir",
            migrations,
        ]),
        0,
    );
    let mut conn = PgConnection::establish(&first.url()).unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO \"{tenant}\".ms_authors (id, name) SELECT i, 'a' || i FROM generate_series(2, 300) i"
    ))
    .unwrap();

    // without --directory, to its own server, online where it cannot be: refused
    expect_one_line_error(
        &ryx(&[
            "--url",
            &first.url(),
            "tenants",
            "move",
            &tenant,
            "--to",
            "second",
        ]),
        2,
        "tenants move needs --directory",
    );
    expect_one_line_error(
        &ryx(&[
            "--directory",
            file,
            "tenants",
            "move",
            &tenant,
            "--to",
            "first",
        ]),
        2,
        "already on server `first`",
    );
    expect_one_line_error(
        &ryx(&[
            "--directory",
            file,
            "tenants",
            "move",
            &tenant,
            "--to",
            "second",
            "--online",
        ]),
        2,
        "cannot move online",
    );

    let out = ryx(&[
        "--directory",
        file,
        "tenants",
        "move",
        &tenant,
        "--to",
        "second",
        "--format",
        "json",
    ]);
    let (stdout, _) = expect(&out, 0);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["from"], "first");
    assert_eq!(json["to"], "second");
    assert_eq!(
        json["online"], false,
        "the local server has no wal_level = logical"
    );
    let rows: u64 = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(rows, 300 + 3, "300 authors and 3 history rows");

    let (stdout, _) = expect(&ryx(&["--directory", file, "tenants", "list"]), 0);
    let line = stdout.lines().find(|l| l.contains(&tenant)).unwrap();
    assert!(line.contains("second"), "{stdout}");
    let (stdout, _) = expect(
        &ryx(&[
            "--directory",
            file,
            "showmigrations",
            "--schema",
            &tenant,
            "--dir",
            migrations,
        ]),
        0,
    );
    assert_eq!(stdout.matches("[X]").count(), 3, "{stdout}");
    // the old copy refuses writes
    let e = conn
        .batch_execute(&format!(
            "INSERT INTO \"{tenant}\".ms_authors (id, name) VALUES (999, 'late')"
        ))
        .err()
        .unwrap();
    assert!(e.to_string().contains("has moved to server second"), "{e}");

    // back to the first server: refused while the fenced copy is there
    expect_one_line_error(
        &ryx(&[
            "--directory",
            file,
            "tenants",
            "move",
            &tenant,
            "--to",
            "first",
        ]),
        2,
        "already has a schema",
    );
    expect(
        &ryx(&["--url", &first.url(), "tenants", "drop", &tenant, "--yes"]),
        0,
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--directory",
            file,
            "tenants",
            "move",
            &tenant,
            "--to",
            "first",
            "--drop-source",
        ]),
        0,
    );
    assert!(
        stdout.contains("the old copy on second was dropped"),
        "{stdout}"
    );
    let mut on_second = PgConnection::establish(&second.url()).unwrap();
    assert!(on_second
        .batch_execute(&format!("SELECT 1 FROM \"{tenant}\".ms_authors"))
        .is_err());
    conn.batch_execute(&format!(
        "INSERT INTO \"{tenant}\".ms_authors (id, name) VALUES (999, 'back')"
    ))
    .unwrap();
}

#[test]
fn tenants_move_help_has_an_example() {
    let (stdout, _) = expect(&ryx(&["tenants", "move", "--help"]), 0);
    assert!(
        stdout.contains("ryx --directory ryx.toml tenants move acme --to eu"),
        "{stdout}"
    );
}
