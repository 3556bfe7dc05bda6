//! MySQL / MariaDB with a URL that names no database: `GET_LOCK` over
//! `DATABASE()` returns NULL there, which must read as "no database
//! selected", not as a 600 s lock timeout.
#![cfg(feature = "mysql")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use diesel::{Connection, MysqlConnection};
use ryx_migrate::FileRunner;

fn server() -> String {
    std::env::var("RYX_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

/// The error and its sources, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        text.push_str(": ");
        text.push_str(&s.to_string());
        next = s.source();
    }
    text
}

#[test]
fn a_url_without_a_database_says_so() {
    let mut conn = MysqlConnection::establish(&server()).unwrap();
    let started = std::time::Instant::now();
    let err = FileRunner::new()
        .migrations_dir(common::fixtures("basic"))
        .run(&mut conn)
        .unwrap_err();
    let text = chain(&err);
    assert!(text.contains("no database selected"), "{text}");
    assert!(text.contains("put one in the URL"), "{text}");
    assert!(!text.contains("timed out"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[cfg(feature = "cli")]
#[test]
fn the_cli_says_so_too() {
    let dir = common::fixtures("basic");
    let out = common::ryx(&[
        "--url",
        &server(),
        "migrate",
        "--schema",
        "t1",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (common::text(&out.stdout), common::text(&out.stderr));
    assert_ne!(out.status.code(), Some(0), "{stdout}{stderr}");
    let both = format!("{stdout}{stderr}");
    assert!(both.contains("no database selected"), "{both}");
    assert!(!both.contains("timed out"), "{both}");
}
