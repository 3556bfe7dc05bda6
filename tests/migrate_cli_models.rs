//! Migrations from models through the command line: `makemigrations` writes
//! a migration folder from the models (on PostgreSQL and SQLite) that brings
//! a fresh schema to exactly the models, and `migrate --from-models` needs a
//! `Cli` built with models.
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

use ryx::migrate::{FileRunner, MigrationBackend, MigrationRunner};
use ryx::prelude::*;

ryx::ryx_table! {
    mk_authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    mk_posts (id) {
        id -> Int8,
        #[ryx(references = mk_authors, index)]
        author_id -> Int8,
        title -> Varchar,
    }
}

ryx::ryx_table! {
    mk_posts_v2 (id) {
        id -> Int8,
        #[ryx(references = mk_authors, index)]
        author_id -> Int8,
        title -> Varchar,
        #[ryx(default = "0")]
        views -> Int4,
    }
}

fn renamed(mut t: ryx::migrate::TableState, name: &str) -> ryx::migrate::TableState {
    t.name = name.to_owned();
    t
}

/// makemigrations twice: first everything, then only the new column; the
/// written folder migrates a fresh schema to exactly the models.
fn make_then_migrate<C: ryx::migrate::RunnerConnection>(conn: &mut C, schema: &str) {
    let dir = std::env::temp_dir().join(common::unique_name("ryx_make"));
    let v1 = [
        mk_authors::table.table_state(),
        mk_posts::table.table_state(),
    ];
    let made = ryx::migrate::make_migration(conn, &dir, &v1, "init")
        .unwrap()
        .expect("a first migration");
    assert!(
        made.up.contains("CREATE TABLE IF NOT EXISTS") && !made.up.contains(schema),
        "{}",
        made.up
    );
    assert!(
        ryx::migrate::make_migration(conn, &dir, &v1, "again")
            .unwrap()
            .is_none(),
        "nothing changed"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a new version (seconds)
    let v2 = [
        mk_authors::table.table_state(),
        renamed(mk_posts_v2::table.table_state(), "mk_posts"),
    ];
    let made = ryx::migrate::make_migration(conn, &dir, &v2, "add_views")
        .unwrap()
        .expect("the new column");
    assert!(
        made.up.contains("ADD COLUMN") && made.up.contains("views"),
        "{}",
        made.up
    );
    assert!(made.down.contains("DROP COLUMN"), "{}", made.down);
    let report = FileRunner::new()
        .migrations_dir(&dir)
        .schema(schema)
        .run(conn)
        .unwrap();
    assert_eq!(report.applied.len(), 2);
    let check = MigrationRunner::new()
        .table(v2[0].clone())
        .table(v2[1].clone())
        .schema(schema)
        .dry_run(true)
        .migrate(conn)
        .unwrap();
    assert!(check.drift.is_empty(), "{check}");
    assert!(
        check
            .planned
            .iter()
            .all(|p| p.name == "model:schema:create"),
        "{check:?}"
    );
    FileRunner::new()
        .migrations_dir(&dir)
        .schema(schema)
        .rollback(conn, 2)
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn makemigrations_on_postgres() {
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    make_then_migrate(&mut conn, &schemas.names[0]);
    // the scratch schema was rolled back
    let leftovers = <diesel::pg::Pg as MigrationBackend>::live_tables(
        &mut conn,
        &format!("ryx_makemigrations_{}", std::process::id()),
    )
    .unwrap();
    assert!(leftovers.is_empty());
}

#[test]
fn makemigrations_on_sqlite() {
    let db = common::SqliteDb::empty();
    let mut conn = db.connect();
    make_then_migrate(&mut conn, "main");
}

#[test]
fn cli_with_models_migrates_from_models() {
    let schemas = common::PgSchemas::reserve(2);
    let url = common::pg_url();
    let cli = || {
        ryx::migrate::cli::Cli::new()
            .model::<mk_authors::table>()
            .model::<mk_posts::table>()
    };
    let code = cli().run_from([
        "ryx",
        "--url",
        url.as_str(),
        "migrate",
        "--from-models",
        "--schema",
        &schemas.names[0],
        "--schema",
        &schemas.names[1],
    ]);
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let mut conn = common::pg_connect();
    for s in &schemas.names {
        let t = <diesel::pg::Pg as MigrationBackend>::live_tables(&mut conn, s).unwrap();
        assert!(t.contains(&"mk_posts".to_owned()), "{t:?}");
    }
    // (without models the same command is a usage error: the `ryx` binary,
    // which has none, is run as a process in ryx-migrate/tests/cli_errors.rs,
    // where its stderr is checked instead of reaching this test's output)
}
