//! The `ryx` binary's `--help` and `--version`: every subcommand listed, the
//! exit codes documented.
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

use common::{expect, ryx};

#[test]
fn help_and_version() {
    let (stdout, _) = expect(&ryx(&["--help"]), 0);
    for cmd in [
        "migrate",
        "showmigrations",
        "rollback",
        "sqlmigrate",
        "tenants",
        "makemigrations",
    ] {
        assert!(stdout.contains(cmd), "{stdout}");
    }
    assert!(stdout.contains("Exit codes"));
    let (stdout, _) = expect(&ryx(&["migrate", "--help"]), 0);
    assert!(
        stdout.contains("--all-schemas")
            && stdout.contains("--jobs")
            && stdout.contains("--fail-fast")
    );
    let (stdout, _) = expect(&ryx(&["--version"]), 0);
    assert!(stdout.starts_with("ryx "));
}
