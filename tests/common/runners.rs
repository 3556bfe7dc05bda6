//! Helpers for the runner tests: fixture folders, runners on them, history
//! and the refusal to run inside an open transaction.

use std::path::{Path, PathBuf};

use ryx::migrate::{Error, FileRunner};

pub fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations")
        .join(name)
}

pub fn runner(fixture: &str, schema: &str) -> FileRunner {
    FileRunner::new()
        .migrations_dir(fixtures(fixture))
        .schema(schema)
}

/// The names in a schema's history, oldest first.
pub fn history<C: ryx::migrate::RunnerConnection>(conn: &mut C, schema: &str) -> Vec<String> {
    FileRunner::new()
        .schema(schema)
        .applied(conn)
        .expect("read the history")
        .into_iter()
        .map(|r| r.name)
        .collect()
}

/// Asserts `result` is the refusal to run inside an open transaction.
#[track_caller]
pub fn assert_refused<T: std::fmt::Debug>(result: Result<T, Error>, why: &str) {
    match result {
        Err(Error::InTransaction { reason, .. }) => {
            assert!(reason.contains(why), "the reason names {why:?}: {reason}");
        }
        other => panic!("expected Error::InTransaction ({why}), got {other:?}"),
    }
}
