//! A failing `run_in_transaction = false` migration on real PostgreSQL: a
//! failed `CREATE UNIQUE INDEX CONCURRENTLY` leaves an invalid index, which
//! ryx drops (and says so) so that the next run, once the cause is fixed,
//! completes instead of failing with "already exists"; no history row is
//! written for it; an index another session is building at the same time is
//! left alone.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::runners::history;
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Bool, Text};
use ryx::migrate::{Error, FileRunner};
use ryx::prelude::*;

/// A migrations folder of the test's own, removed at the end.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(dir: &Path, name: &str, up: &str, down: &str, non_transactional: bool) {
    let m = dir.join(name);
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("up.sql"), up).unwrap();
    std::fs::write(m.join("down.sql"), down).unwrap();
    if non_transactional {
        std::fs::write(m.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
    }
}

#[derive(QueryableByName)]
struct Index {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    valid: bool,
}

/// Every index of `schema` but the history table's, with whether it is valid.
fn indexes(conn: &mut PgConnection, schema: &str) -> Vec<(String, bool)> {
    diesel::sql_query(
        "SELECT i.relname::text AS name, x.indisvalid AS valid FROM pg_catalog.pg_index x \
         JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace \
         WHERE n.nspname = $1 AND i.relname <> 'ryx_migrations_pkey' ORDER BY 1",
    )
    .bind::<Text, _>(schema)
    .load::<Index>(conn)
    .unwrap()
    .into_iter()
    .map(|i| (i.name, i.valid))
    .collect()
}

#[test]
fn a_failed_concurrent_unique_index_is_cleaned_and_the_rerun_completes() {
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    let s = schemas.names[0].as_str();
    let dir = Dir(std::env::temp_dir().join(common::unique_name("ryx_cic")));
    write(
        &dir.0,
        "2024-01-01-000000_create_codes",
        "CREATE TABLE codes (id BIGINT PRIMARY KEY, code TEXT NOT NULL);\n\
         INSERT INTO codes VALUES (1, 'a'), (2, 'a');\n",
        "DROP TABLE codes;\n",
        false,
    );
    write(
        &dir.0,
        "2024-01-02-000000_unique_codes",
        "CREATE UNIQUE INDEX CONCURRENTLY codes_code_key ON codes (code);\n",
        "DROP INDEX CONCURRENTLY codes_code_key;\n",
        true,
    );
    let runner = || FileRunner::new().migrations_dir(&dir.0).schema(s);

    // the duplicate 'a' fails the unique index, which PostgreSQL leaves invalid
    let err = runner().run(&mut conn).unwrap_err();
    match &err {
        Error::NonTransactionalFailed {
            migration, indexes, ..
        } => {
            assert_eq!(migration, "2024-01-02-000000_unique_codes");
            assert_eq!(indexes.dropped, ["codes_code_key"]);
            assert!(indexes.remaining.is_empty(), "{indexes:?}");
        }
        other => panic!("expected NonTransactionalFailed, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("dropped the invalid index(es) it left: `codes_code_key`")
            && message.contains("outside a transaction"),
        "{message}"
    );
    assert!(
        std::error::Error::source(&err)
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("could not create unique index"),
        "the database's own message is the source"
    );
    assert_eq!(
        err.report().map(|r| r.applied.len()),
        Some(1),
        "the first migration"
    );
    assert_eq!(history(&mut conn, s), ["2024-01-01-000000_create_codes"]);
    assert_eq!(indexes(&mut conn, s), [("codes_pkey".to_owned(), true)]);

    // fixed, the rerun completes: no "relation already exists"
    conn.batch_execute(&format!("DELETE FROM \"{s}\".codes WHERE id = 2"))
        .unwrap();
    let report = runner().run(&mut conn).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(
        history(&mut conn, s),
        [
            "2024-01-01-000000_create_codes",
            "2024-01-02-000000_unique_codes"
        ]
    );
    assert_eq!(
        indexes(&mut conn, s),
        [
            ("codes_code_key".to_owned(), true),
            ("codes_pkey".to_owned(), true)
        ]
    );
}

#[test]
fn an_invalid_index_that_was_there_before_is_left_alone() {
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    let s = schemas.names[0].as_str();
    let dir = Dir(std::env::temp_dir().join(common::unique_name("ryx_cic")));
    write(
        &dir.0,
        "2024-01-01-000000_create_codes",
        "CREATE TABLE codes (id BIGINT PRIMARY KEY, code TEXT NOT NULL);\n\
         INSERT INTO codes VALUES (1, 'a'), (2, 'a');\n",
        "DROP TABLE codes;\n",
        false,
    );
    FileRunner::new()
        .migrations_dir(&dir.0)
        .schema(s)
        .run(&mut conn)
        .unwrap();
    // an invalid index of the operator's, from before this run
    let _ = conn.batch_execute(&format!(
        "CREATE UNIQUE INDEX CONCURRENTLY theirs ON \"{s}\".codes (code)"
    ));
    write(
        &dir.0,
        "2024-01-02-000000_unique_codes",
        "CREATE UNIQUE INDEX CONCURRENTLY ours ON codes (code);\n",
        "DROP INDEX CONCURRENTLY ours;\n",
        true,
    );
    let err = FileRunner::new()
        .migrations_dir(&dir.0)
        .schema(s)
        .run(&mut conn)
        .unwrap_err();
    match &err {
        Error::NonTransactionalFailed { indexes, .. } => assert_eq!(indexes.dropped, ["ours"]),
        other => panic!("expected NonTransactionalFailed, got {other:?}"),
    }
    // the migration's own invalid index is dropped, the operator's is not
    assert_eq!(
        indexes(&mut conn, s),
        [
            ("codes_pkey".to_owned(), true),
            ("theirs".to_owned(), false)
        ]
    );
}

#[test]
fn an_index_another_session_is_building_is_not_taken_for_a_leftover() {
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    let s = schemas.names[0].as_str();
    let dir = Dir(std::env::temp_dir().join(common::unique_name("ryx_cic")));
    write(
        &dir.0,
        "2024-01-01-000000_create_codes",
        "CREATE TABLE codes (id BIGINT PRIMARY KEY, code TEXT NOT NULL);\n",
        "DROP TABLE codes;\n",
        false,
    );
    FileRunner::new()
        .migrations_dir(&dir.0)
        .schema(s)
        .run(&mut conn)
        .unwrap();
    // a writer keeps another session's CREATE INDEX CONCURRENTLY waiting,
    // its index already in the catalog and invalid
    let mut writer = common::pg_connect();
    writer
        .batch_execute(&format!("BEGIN; INSERT INTO \"{s}\".codes VALUES (1, 'a')"))
        .unwrap();
    let schema = s.to_owned();
    let builder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        common::pg_connect().batch_execute(&format!(
            "CREATE INDEX CONCURRENTLY theirs ON \"{schema}\".codes (code)"
        ))
    });
    // ours fails while theirs is being built
    write(
        &dir.0,
        "2024-01-02-000000_broken",
        "SELECT pg_catalog.pg_sleep(1.5);\nSELECT no_such_function();\n",
        "SELECT 1;\n",
        true,
    );
    // (with a bound: dropping theirs would wait for their build, which waits
    // for the writer, which this test commits only afterwards)
    let (done, finished) = std::sync::mpsc::channel();
    let (folder, schema) = (dir.0.clone(), s.to_owned());
    std::thread::spawn(move || {
        let result = FileRunner::new()
            .migrations_dir(&folder)
            .schema(schema)
            .run(&mut common::pg_connect());
        let _ = done.send(result);
    });
    let err = finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the failed run waited on another session's index build")
        .unwrap_err();
    match &err {
        Error::NonTransactionalFailed { indexes, .. } => {
            assert!(indexes.dropped.is_empty(), "{indexes:?}");
            assert!(indexes.remaining.is_empty(), "{indexes:?}");
        }
        other => panic!("expected NonTransactionalFailed, got {other:?}"),
    }
    writer.batch_execute("COMMIT").unwrap();
    builder.join().unwrap().unwrap();
    assert_eq!(
        indexes(&mut conn, s),
        [("codes_pkey".to_owned(), true), ("theirs".to_owned(), true)]
    );
}
