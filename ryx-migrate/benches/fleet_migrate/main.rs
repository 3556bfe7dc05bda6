//! Fleet migration against the database's own floor, as a new user would
//! measure it, on a real PostgreSQL.
//!
//! ```text
//! cargo bench -p ryx-migrate --bench fleet_migrate                     # full
//! RYX_BENCH_QUICK=1 cargo bench -p ryx-migrate --bench fleet_migrate   # quick
//! ```
//!
//! 1. **Cold migrate**: 500 tenants (made with `ryx_migrate::create_tenant`,
//!    untimed) and one migration folder (2 tables, 2 indexes, a foreign key),
//!    applied by the `ryx` binary (`ryx --url URL migrate --all-schemas
//!    --jobs N --dir DIR`, N = 1 and 2) and, as the floor, by one `psql -X -q
//!    -v ON_ERROR_STOP=1 -f script` whose script holds, per tenant, `SET
//!    search_path TO "t";` and the same DDL. Every variant of every round runs
//!    in a fresh database of its own (CREATE DATABASE / DROP DATABASE,
//!    untimed); the variants are interleaved and their order flips every
//!    other round. Printed: `fleet_migrate_ryx_jobs1_vs_psql` and
//!    `fleet_migrate_ryx_jobs2_vs_psql`, medians of the per-round ratios.
//!    Then one library-level run of `fleet::FleetRunner` (jobs 1, over ryx's
//!    pool manager, as the CLI builds it), with a diesel `Instrumentation`
//!    counting `StartQuery` events: the statements ryx sends per tenant.
//! 2. **No-op rerun**: 1,000 and (full mode only) 10,000 up-to-date tenants:
//!    the first migrated by ryx, the others created in bulk with the history
//!    table exactly as ryx writes it, one history row whose checksum is
//!    `MigrationFile::checksum`, and the first tenant's history digest as the
//!    table's comment. Timed per round (interleaved): `fleet::status(conn,
//!    None, ..)` and `fleet::verified_status` (every history table read, as
//!    before the digests) on a fresh connection (connect excluded), and the
//!    `ryx migrate --all-schemas` process. The queries each sends are
//!    counted, and the cost is split: the digest catalog query, one 500-arm
//!    `UNION ALL` chunk's planning and execution (`EXPLAIN (ANALYZE,
//!    SUMMARY)`, on a fresh backend and again warm), and, once, the
//!    alternative that needs no digest (a server-side hash of each history,
//!    `query_to_xml` per catalog row).
//!
//! Knobs: `RYX_BENCH_QUICK=1` (1 round, 1,000 tenants for the no-op),
//! `RYX_BENCH_ROUNDS`, `RYX_BENCH_POSTGRES_URL` (a database to connect to for
//! CREATE/DROP DATABASE; default `postgres://postgres@127.0.0.1:5432/postgres`),
//! `RYX_BENCH_PSQL` (the psql binary), `RYX_BENCH_RYX` (the `ryx` binary to
//! time, default the one Cargo built with the bench). Every database it creates is dropped
//! at the end (`WITH (FORCE)`), also when a step fails or panics, and the
//! temporary folder is removed.

mod commands;
mod counting;
mod migrate;
mod noop;
mod setup;
mod stats;

use std::cell::RefCell;

use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::load_dir;

use crate::commands::ryx_bin;
use crate::counting::make_counter;
use crate::migrate::cold_migrate;
use crate::noop::noop;
use crate::setup::{Made, DOWN_SQL, MIGRATION_NAME, UP_SQL};

pub(crate) type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The knobs, read from the environment.
pub(crate) struct Settings {
    pub(crate) admin_url: String,
    pub(crate) quick: bool,
    pub(crate) rounds: usize,
    pub(crate) psql: String,
}

fn main() -> Res<()> {
    let quick = std::env::var("RYX_BENCH_QUICK").is_ok_and(|v| v == "1");
    let settings = Settings {
        admin_url: std::env::var("RYX_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
        quick,
        rounds: std::env::var("RYX_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if quick { 1 } else { 3 }),
        psql: std::env::var("RYX_BENCH_PSQL").unwrap_or_else(|_| "psql".to_owned()),
    };
    diesel::connection::set_default_instrumentation(make_counter)?;
    let pid = std::process::id();
    let made = Made {
        admin_url: settings.admin_url.clone(),
        databases: RefCell::new(Vec::new()),
        dir: std::env::temp_dir().join(format!("ryx_bench_fleet_migrate_{pid}")),
    };
    let result = run(&settings, &made, pid);
    drop(made);
    result
}

fn run(settings: &Settings, made: &Made, pid: u32) -> Res<()> {
    let mig_dir = made.dir.join("migrations");
    let one = mig_dir.join(MIGRATION_NAME);
    std::fs::create_dir_all(&one)?;
    std::fs::write(one.join("up.sql"), UP_SQL)?;
    std::fs::write(one.join("down.sql"), DOWN_SQL)?;
    let migrations = load_dir(&mig_dir)?;

    let mut admin = PgConnection::establish(&settings.admin_url)?;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let version: Version =
        diesel::sql_query("SELECT pg_catalog.version() AS v").get_result(&mut admin)?;
    println!(
        "fleet_migrate ({} mode): {}; ryx binary {}",
        if settings.quick { "quick" } else { "full" },
        version.v,
        ryx_bin()
    );
    drop(admin);

    cold_migrate(settings, made, pid, &mig_dir, &migrations)?;
    let sizes: &[usize] = if settings.quick {
        &[1_000]
    } else {
        &[1_000, 10_000]
    };
    for &n in sizes {
        noop(settings, made, pid, &mig_dir, &migrations, n)?;
    }
    Ok(())
}
