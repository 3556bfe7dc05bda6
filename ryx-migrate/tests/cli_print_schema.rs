//! `ryx print-schema` as a real process: it prints the checked-in
//! `tests/fixtures/print_schema/printed.rs` for the fixture schema (the
//! root crate's `migrate_print_schema` test compiles that file and migrates
//! it back), `--table` picks tables, and bad input is one `error:` line with
//! exit 2: an unknown schema or table, a type ryx_table! cannot declare, an
//! SQLite URL, an invalid schema name.
#![cfg(feature = "postgres")]
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

use std::path::Path;

use common::{expect, expect_one_line_error, pg_url, ryx, unique, Schemas};
use diesel::connection::SimpleConnection;
use diesel::Connection;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/print_schema")
            .join(name),
    )
    .unwrap()
}

/// Creates `schema` holding `sql`'s tables.
fn create_schema(schema: &str, sql: &str) {
    let mut conn = diesel::PgConnection::establish(&pg_url()).unwrap();
    conn.batch_execute(&format!(
        "BEGIN; CREATE SCHEMA \"{schema}\"; SET LOCAL search_path TO \"{schema}\"; {sql}; COMMIT;"
    ))
    .unwrap();
}

#[test]
fn prints_the_fixture_schema_as_the_checked_in_file() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    create_schema(s, &fixture("schema.sql"));
    let (stdout, stderr) = expect(&ryx(&["--url", &url, "print-schema", "--schema", s]), 0);
    assert_eq!(stdout, fixture("printed.rs"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");

    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "print-schema",
            "--schema",
            s,
            "--table",
            "tags",
            "--table",
            "posts",
        ]),
        0,
    );
    assert!(
        stdout.contains("    posts (id) {") && stdout.contains("    tags (post_id, name) {"),
        "{stdout}"
    );
    assert!(!stdout.contains("authors (id)"), "{stdout}");
    // a reference to a table not printed is a note, not a `references`
    assert!(
        stdout.contains("// foreign key `posts_author_id_fkey` is not declared: the table or column it references is not printed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("diesel::joinable!(tags -> posts (post_id));"),
        "{stdout}"
    );
}

#[test]
fn unsupported_types_are_an_error_or_a_comment() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    create_schema(
        s,
        "CREATE TABLE events (id BIGINT PRIMARY KEY, took INTERVAL)",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "print-schema", "--schema", s]),
        2,
        "column `events.took`: its type `interval` is not one ryx_table! declares",
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "print-schema",
            "--schema",
            s,
            "--skip-unsupported",
        ]),
        0,
    );
    assert!(
        stdout.contains("        // column `took` is not declared: its type `interval`"),
        "{stdout}"
    );
    assert!(stdout.contains("#[ryx(no_auto_increment)]"), "{stdout}");
}

#[test]
fn bad_input_is_one_error_line_and_exit_two() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    create_schema(s, "CREATE TABLE a (id BIGINT PRIMARY KEY)");
    let missing = unique("ryx_cli_none");
    expect_one_line_error(
        &ryx(&["--url", &url, "print-schema", "--schema", &missing]),
        2,
        &format!("schema `{missing}` does not exist"),
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "print-schema", "--schema", s, "--table", "b"]),
        2,
        "has no table `b`; its tables are: a",
    );
    // refused before connecting: no server at this port
    expect_one_line_error(
        &ryx(&[
            "--url",
            "postgres://nobody@127.0.0.1:1/x",
            "print-schema",
            "--schema",
            &"x".repeat(64),
        ]),
        2,
        "invalid schema name",
    );
    let sqlite = std::env::temp_dir().join(format!("{}.sqlite3", unique("ryx_cli")));
    expect_one_line_error(
        &ryx(&[
            "--url",
            &format!("sqlite://{}", sqlite.display()),
            "print-schema",
            "--schema",
            "main",
        ]),
        2,
        "print-schema supports PostgreSQL only",
    );
    assert!(
        !sqlite.exists(),
        "print-schema created {}",
        sqlite.display()
    );
    expect_one_line_error(&ryx(&["print-schema", "--schema", s]), 2, "no database URL");
}

#[test]
fn help_has_an_example() {
    let (stdout, _) = expect(&ryx(&["print-schema", "--help"]), 0);
    assert!(
        stdout.contains("Example:")
            && stdout.contains("print-schema --schema acme > src/schema.rs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--table") && stdout.contains("--skip-unsupported"),
        "{stdout}"
    );
    let (stdout, _) = expect(&ryx(&["--help"]), 0);
    assert!(stdout.contains("print-schema"), "{stdout}");
}
