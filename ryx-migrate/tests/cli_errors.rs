//! Bad input to the `ryx` binary: exactly one `error:` line on stderr, no
//! panic or backtrace, and exit code 2 (unknown subcommand, missing or
//! unsupported URL, unreachable server, missing folder, missing or invalid
//! `--schema`, `tenants drop` without `--yes`, no models, unknown migration).
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

use common::{expect, expect_one_line_error, fixtures, pg_url, ryx};

#[test]
fn bad_input_is_one_line_and_exit_code_two() {
    let url = pg_url();
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let long = "a".repeat(64);
    let (_, stderr) = expect(&ryx(&["bogus"]), 2);
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
    expect_one_line_error(&ryx(&["tenants", "list"]), 2, "no database URL");
    expect_one_line_error(
        &ryx(&["--url", "http://example", "tenants", "list"]),
        2,
        "unsupported database URL scheme",
    );
    expect_one_line_error(
        &ryx(&[
            "--url",
            "postgres://nobody@127.0.0.1:1/x",
            "tenants",
            "list",
        ]),
        2,
        "cannot connect",
    );
    expect_one_line_error(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            "no/such/dir",
            "--schema",
            "x",
        ]),
        2,
        "no/such/dir",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir]),
        2,
        "--schema",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", ""]),
        2,
        "empty",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", &long]),
        2,
        "63 bytes",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", "pg_x"]),
        2,
        "pg_",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", "whatever"]),
        2,
        "--yes",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "makemigrations", "x", "--dir", dir]),
        2,
        "no models",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--from-models", "--schema", "x"]),
        2,
        "no models",
    );
    expect_one_line_error(
        &ryx(&[
            "sqlmigrate",
            "nope",
            "--schema",
            "s",
            "--backend",
            "postgres",
            "--dir",
            dir,
        ]),
        2,
        "no migration `nope`",
    );
}
