//! The server refusing new connections halfway through a fleet run by
//! `FleetRunner` over a pool like the CLI's. The run returns instead of
//! hanging, the tenants it could not reach fail with the pool's error (naming
//! the server's refusal) or are not started, each tenant's `ryx_migrations`
//! history matches the tables its schema holds (a migration is recorded
//! exactly when its tables exist), and once connections are allowed again a
//! rerun migrates exactly the tenants left behind.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::faults::{
    all_names, assert_history_matches_tables, chain, db_name, fleet, join, pool, sleeper, sleepy,
    tenants, wait_for, Dir, Name,
};
use common::{pg_url, PgDb};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, RunQueryDsl};
use ryx_migrate::fleet::Outcome;
use ryx_migrate::Error;

/// Turns connections to a database back on at the end, even after a panic.
struct AllowConnections<'a>(&'a str);

impl AllowConnections<'_> {
    fn set(&self, allow: bool) {
        let mut admin = PgConnection::establish(&pg_url()).unwrap();
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS {allow}",
                self.0
            ))
            .unwrap();
    }
}

impl Drop for AllowConnections<'_> {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&pg_url()) {
            let _ = admin.batch_execute(&format!(
                "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true",
                self.0
            ));
        }
    }
}

/// `FleetRunner` over a pool like the CLI's: halfway through, the database
/// stops accepting connections and the run's backends are terminated. The
/// run returns, the tenants it could not reach fail with the pool's error,
/// and once connections are allowed again a rerun finishes the rest.
#[test]
fn fleet_survives_the_server_refusing_connections() {
    let db = PgDb::new();
    let url = db.url();
    let name = db_name(&url);
    let names = tenants(&db, 20);
    let migs = sleepy("0.5");
    let dir = Dir::new(&migs);
    let migrations = ryx_migrate::load_dir(&dir.0).unwrap();
    let mut admin = PgConnection::establish(&pg_url()).unwrap();
    let gate = AllowConnections(&name);

    let done = Arc::new(AtomicUsize::new(0));
    let run = fleet(
        pool(&url, 2),
        migrations.clone(),
        names.clone(),
        done.clone(),
    );
    // some tenants finished, one is in the middle of its migration
    wait_for("four tenants and a sleeper", || {
        (done.load(Ordering::SeqCst) >= 4)
            .then(|| sleeper(&mut admin, &name))
            .flatten()
    });
    gate.set(false);
    diesel::sql_query(
        "SELECT pg_catalog.pg_terminate_backend(pid)::text AS name FROM pg_catalog.pg_stat_activity \
         WHERE datname = $1 AND backend_type = 'client backend'",
    )
    .bind::<Text, _>(&name)
    .load::<Name>(&mut admin)
    .unwrap();
    let report = join(&run).expect("the run itself fails only before it starts");

    assert_eq!(report.tenants.len(), 20);
    let (mut refused, mut with_reason) = (0, 0);
    for t in &report.tenants {
        match &t.outcome {
            Outcome::Migrated(r) => assert_eq!(r.applied.len(), 3, "{}", t.schema),
            Outcome::Failed(e) => {
                let message = chain(e);
                assert!(
                    message.contains(&t.schema) || matches!(e, Error::Pool(_)),
                    "{message}"
                );
                match e {
                    Error::Pool(_) => {
                        refused += 1;
                        assert!(
                            message.contains("check that the database accepts connections"),
                            "{}: {message}",
                            t.schema
                        );
                        // r2d2 hands the last connect error to one waiter
                        // only: the others time out without the reason
                        if message.contains("is not currently accepting connections") {
                            with_reason += 1;
                        }
                    }
                    Error::MigrationFailed { .. } | Error::Database { .. } => {}
                    other => panic!("{}: unexpected failure {other:?}", t.schema),
                }
            }
            // once a worker gets no connection, no tenant is started
            // (each would wait the pool's whole timeout)
            Outcome::NotStarted => {}
            other => panic!("{}: {other:?}", t.schema),
        }
    }
    let migrated = report.migrated().count();
    let failed = report.failed().count();
    assert!(migrated >= 4, "{report:#?}");
    assert!(report.not_started().count() >= 1, "{report:#?}");
    assert!(failed >= 1 && refused >= 1, "{report:#?}");
    assert!(
        with_reason >= 1,
        "no failure names the server's refusal: {report:#?}"
    );
    assert!(!report.is_success());

    gate.set(true);
    let mut conn = PgConnection::establish(&url).unwrap();
    let mut incomplete = Vec::new();
    for t in &report.tenants {
        let recorded = assert_history_matches_tables(&mut conn, &t.schema, &migs, &[]);
        if recorded != all_names(&migs) {
            incomplete.push(t.schema.as_str());
        }
        if matches!(t.outcome, Outcome::Migrated(_)) {
            assert_eq!(recorded, all_names(&migs), "{}", t.schema);
        }
        if matches!(
            t.outcome,
            Outcome::Failed(Error::Pool(_)) | Outcome::NotStarted
        ) {
            // never started: nothing of it ran
            assert!(recorded.is_empty(), "{}: {recorded:?}", t.schema);
        }
    }

    let rerun = fleet(pool(&url, 2), migrations, names.clone(), done);
    let report = join(&rerun).unwrap();
    assert!(report.is_success(), "{report:#?}");
    // exactly the tenants left behind are migrated now
    let migrated: Vec<&str> = report.migrated().map(|t| t.schema.as_str()).collect();
    assert_eq!(migrated, incomplete, "{report:#?}");
    for s in &names {
        let recorded = assert_history_matches_tables(&mut conn, s, &migs, &[]);
        assert_eq!(recorded, all_names(&migs), "{s}");
    }
}
