//! `FleetRunner` with more jobs than the pool has connections: it starts no
//! more workers than the pool can serve, so a migration that outlasts the
//! pool's `connection_timeout` does not fail the tenants waiting for a
//! connection.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{pg_url, unique, Schemas};
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::PgConnection;
use ryx_migrate::fleet::{FleetRunner, Outcome};

/// A migrations folder of its own, removed at the end.
struct Dir(std::path::PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn more_jobs_than_connections_waits_instead_of_failing() {
    let dir = Dir(std::env::temp_dir().join(unique("ryx_slow")));
    let migration = dir.0.join("2024-01-01-000000_slow");
    std::fs::create_dir_all(&migration).unwrap();
    // each tenant holds the only connection longer than the pool's timeout
    std::fs::write(
        migration.join("up.sql"),
        "SELECT pg_sleep(0.6);\nCREATE TABLE slow_t (id BIGINT PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(migration.join("down.sql"), "DROP TABLE slow_t;\n").unwrap();
    let schemas = Schemas::new(3);
    let pool = Pool::builder()
        .max_size(1)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_millis(250))
        .build(ConnectionManager::<PgConnection>::new(pg_url()))
        .unwrap();
    let report = FleetRunner::new()
        .migrations(ryx_migrate::load_dir(&dir.0).unwrap())
        .schemas(schemas.0.clone())
        .jobs(4)
        .run(&pool)
        .unwrap();
    for t in &report.tenants {
        assert!(
            matches!(t.outcome, Outcome::Migrated(_)),
            "{}: {:?}",
            t.schema,
            t.outcome
        );
    }
    assert_eq!(report.tenants.len(), 3);
    assert!(report.is_success());
}
