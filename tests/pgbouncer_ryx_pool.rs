//! ryx's connection manager in transaction-pooler mode behind a real PgBouncer
//! (transaction mode, fewer server connections than clients): the load that
//! mixes tenants with diesel's own manager (see `pgbouncer_default_pool.rs`)
//! has no error and no foreign row; fleet migrations run through it; an empty
//! `search_path` is checked, never set.
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

use common::pgbouncer::PgBouncer;
use common::tables::*;
use common::tenant_load::{self, LoadOutcome};
use common::{pg_connect, PgSchemas};
use ryx::migrate::fleet::{self, FleetRunner};
use ryx::migrate::{load_dir, Error, FileRunner};
use ryx::pool::{ConnectionManager, Pool};
use ryx::prelude::*;

const TENANTS: usize = 12;
const SERVER_CONNECTIONS: u32 = 3;
const CLIENT_CONNECTIONS: u32 = 8;
const REQUESTS_PER_CLIENT: usize = 150;

fn pooler_manager(bouncer: &PgBouncer) -> ConnectionManager<PgConnection> {
    ConnectionManager::new(bouncer.url()).transaction_pooler(true)
}

fn load(test_on_check_out: bool) -> LoadOutcome {
    let bouncer = PgBouncer::start(SERVER_CONNECTIONS);
    let schemas = PgSchemas::with_tables(&mut pg_connect(), TENANTS);
    let tenants = tenant_load::seed(&mut pg_connect(), &schemas.names);
    let pool = Pool::builder()
        .max_size(CLIENT_CONNECTIONS)
        .test_on_check_out(test_on_check_out)
        .build(pooler_manager(&bouncer))
        .unwrap_or_else(|e| {
            panic!(
                "pool through PgBouncer: {e}\nPgBouncer log:\n{}",
                bouncer.log()
            )
        });
    let outcome = tenant_load::run(
        &pool,
        &tenants,
        CLIENT_CONNECTIONS as usize,
        REQUESTS_PER_CLIENT,
    );
    drop(pool);
    println!("{outcome:#?}");
    assert_eq!(
        outcome.requests,
        CLIENT_CONNECTIONS as usize * REQUESTS_PER_CLIENT
    );
    outcome
}

/// 8 threads, 1,200 requests rotating over 12 tenants (a scoped select, a
/// scoped insert, a scoped update each), 3 server connections: nothing fails
/// and every read and write stays in its own tenant.
#[test]
fn pooler_mode_behind_pgbouncer_keeps_tenants_apart() {
    let outcome = load(true);
    assert!(outcome.is_clean(), "{outcome:#?}");
}

/// The same without r2d2's checkout ping (with diesel's manager this variant
/// crosses tenants in every run).
#[test]
fn pooler_mode_behind_pgbouncer_without_checkout_test_keeps_tenants_apart() {
    let outcome = load(false);
    assert!(outcome.is_clean(), "{outcome:#?}");
}

fn fixtures(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations")
        .join(name)
}

/// A fleet whose connections go through PgBouncer in transaction mode
/// without saying so (no `transaction_pooler(true)`; statements unnamed, so
/// they survive the pooler): each migration takes its schema's lock inside
/// its own transaction, so no lock stays behind on a server connection the
/// client no longer has, and runners waiting for a busy schema do not hang.
/// Two fleets over the same tenants at once apply each migration once; then
/// a direct connection takes every tenant's lock (a rollback) in bounded time.
#[test]
fn unflagged_pooler_connections_migrate_without_stuck_locks() {
    let bouncer = PgBouncer::start(2);
    let schemas = PgSchemas::reserve(4);
    let migrations = load_dir(fixtures("basic")).expect("load migrations");
    let (done, finished) = std::sync::mpsc::channel();
    for _ in 0..2 {
        let pool = Pool::builder()
            .max_size(3)
            .build(ConnectionManager::<PgConnection>::new(bouncer.url()).statement_cache_limit(0))
            .unwrap_or_else(|e| {
                panic!(
                    "pool through PgBouncer: {e}\nPgBouncer log:\n{}",
                    bouncer.log()
                )
            });
        let (migrations, names, done) = (migrations.clone(), schemas.names.clone(), done.clone());
        std::thread::spawn(move || {
            let report = FleetRunner::new()
                .migrations(migrations)
                .schemas(names)
                .jobs(3)
                .run(&pool);
            let _ = done.send(report.map(|r| r.is_success()));
        });
    }
    for _ in 0..2 {
        let outcome = finished
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("a fleet run hung waiting for a schema lock");
        assert!(matches!(outcome, Ok(true)), "{outcome:?}");
    }
    let mut direct = pg_connect();
    for s in &schemas.names {
        let applied = FileRunner::new()
            .schema(s)
            .applied(&mut direct)
            .expect("history");
        assert_eq!(applied.len(), migrations.len(), "{s}");
    }
    // every schema's lock can be taken again: none is stuck on a server connection
    let (done, finished) = std::sync::mpsc::channel();
    let names = schemas.names.clone();
    std::thread::spawn(move || {
        let mut direct = pg_connect();
        for s in &names {
            let reverted = FileRunner::new()
                .migrations_dir(fixtures("basic"))
                .schema(s)
                .rollback(&mut direct, 1)
                .map(|r| r.reverted.len());
            let _ = done.send(reverted);
        }
    });
    for _ in &schemas.names {
        let reverted = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("a schema's lock was left held");
        assert!(matches!(reverted, Ok(1)), "{reverted:?}");
    }
}

/// A fleet migrates through PgBouncer over a pool of ryx's manager in pooler
/// mode (each migration in its own transaction, under a transaction-level
/// advisory lock, `SET LOCAL search_path`); a `run_in_transaction = false`
/// migration is refused for every tenant, before anything changes.
#[test]
fn fleet_migrates_through_pgbouncer_in_pooler_mode() {
    let bouncer = PgBouncer::start(2);
    let schemas = PgSchemas::reserve(6);
    let pool = Pool::builder()
        .max_size(4)
        .build(pooler_manager(&bouncer))
        .unwrap_or_else(|e| {
            panic!(
                "pool through PgBouncer: {e}\nPgBouncer log:\n{}",
                bouncer.log()
            )
        });
    let migrations = load_dir(fixtures("basic")).expect("load migrations");
    let report = FleetRunner::new()
        .migrations(migrations.clone())
        .schemas(schemas.names.iter().cloned())
        .jobs(4)
        .run(&pool)
        .expect("fleet run");
    assert_eq!(report.migrated().count(), 6, "{report:#?}");
    let mut direct = pg_connect();
    for s in &schemas.names {
        let applied = FileRunner::new()
            .schema(s)
            .applied(&mut direct)
            .expect("history");
        assert_eq!(applied.len(), migrations.len(), "{s}");
        // the tables landed in the tenant's schema, not wherever search_path pointed
        ms_authors::table
            .in_schema(s)
            .count()
            .get_result::<i64>(&mut direct)
            .expect("tenant table");
    }

    let refused = PgSchemas::reserve(2);
    let non_transactional = load_dir(fixtures("non_transactional")).expect("load migrations");
    let report = FleetRunner::new()
        .migrations(non_transactional)
        .schemas(refused.names.iter().cloned())
        .jobs(2)
        .run(&pool)
        .expect("fleet run");
    assert_eq!(report.failed().count(), 2, "{report:#?}");
    for result in report.failed() {
        let fleet::Outcome::Failed(e) = &result.outcome else {
            unreachable!()
        };
        assert!(matches!(e, Error::NeedsSessionState { .. }), "{e}");
        let exists = <diesel::pg::Pg as ryx::migrate::MigrationBackend>::schema_exists(
            &mut direct,
            &result.schema,
        )
        .expect("look up schema");
        assert!(!exists, "nothing ran for {}", result.schema);
    }
}

/// The `ryx` command line through PgBouncer with `--transaction-pooler`:
/// tenants are created and migrated, and a non-transactional migration fails
/// its tenants (exit code 1) without touching them.
#[test]
fn the_command_line_migrates_through_pgbouncer_with_transaction_pooler() {
    let bouncer = PgBouncer::start(2);
    let schemas = PgSchemas::reserve(3);
    let url = bouncer.url();
    let run = |args: &[&str]| {
        let mut argv = vec!["ryx", "--url", url.as_str(), "--transaction-pooler"];
        argv.extend_from_slice(args);
        format!("{:?}", ryx::migrate::cli::Cli::new().run_from(argv))
    };
    let success = format!("{:?}", std::process::ExitCode::SUCCESS);
    let failure = format!("{:?}", std::process::ExitCode::from(1));
    let basic = fixtures("basic");
    let basic = basic.to_str().expect("utf-8 path");
    assert_eq!(
        run(&["tenants", "create", &schemas.names[0], "--no-migrate"]),
        success
    );
    let mut migrate = vec!["migrate", "--dir", basic, "--jobs", "2"];
    for s in &schemas.names[..2] {
        migrate.extend(["--schema", s.as_str()]);
    }
    assert_eq!(run(&migrate), success);
    let mut direct = pg_connect();
    for s in &schemas.names[..2] {
        let applied = FileRunner::new()
            .schema(s)
            .applied(&mut direct)
            .expect("history");
        assert_eq!(applied.len(), 3, "{s}");
    }
    let non_transactional = fixtures("non_transactional");
    let refused = run(&[
        "migrate",
        "--dir",
        non_transactional.to_str().expect("utf-8 path"),
        "--schema",
        &schemas.names[2],
    ]);
    assert_eq!(refused, failure);
    let exists = <diesel::pg::Pg as ryx::migrate::MigrationBackend>::schema_exists(
        &mut direct,
        &schemas.names[2],
    )
    .expect("look up schema");
    assert!(!exists, "nothing ran");
}

/// `empty_search_path(true)` behind a pooler: ryx checks what the server
/// connections give and sets nothing. With PgBouncer's `connect_query`
/// emptying it, connections open and an unscoped query fails loudly; without
/// it, the manager refuses to connect and says how to configure it.
#[test]
fn empty_search_path_behind_pgbouncer_is_checked() {
    let configured = PgBouncer::builder()
        .pool_size(2)
        .connect_query("SET search_path TO ''")
        .start();
    let mut conn = ConnectionManager::<PgConnection>::new(configured.url())
        .transaction_pooler(true)
        .empty_search_path(true)
        .connect_once()
        .unwrap_or_else(|e| panic!("{e}\nPgBouncer log:\n{}", configured.log()));
    let err = ms_authors::table
        .count()
        .get_result::<i64>(&mut conn)
        .expect_err("unscoped");
    assert!(
        err.to_string()
            .contains("relation \"ms_authors\" does not exist"),
        "{err}"
    );

    let plain = PgBouncer::start(2);
    let err = ConnectionManager::<PgConnection>::new(plain.url())
        .transaction_pooler(true)
        .empty_search_path(true)
        .connect_once()
        .expect_err("the server's default search_path is not empty");
    assert!(
        matches!(err, ryx::pool::Error::SearchPathNotEmpty { .. }),
        "{err}"
    );
}
