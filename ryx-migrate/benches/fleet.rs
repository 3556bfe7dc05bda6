//! Fleet benchmark on a real PostgreSQL: how long an up-to-date fleet takes
//! to `migrate --all-schemas`, against the per-tenant loop peers use, in the
//! same process.
//!
//! ```text
//! cargo bench -p ryx-migrate --bench fleet                          # 200 tenants
//! RYX_BENCH_TENANTS=1000 cargo bench -p ryx-migrate --bench fleet
//! ```
//!
//! Reported: cold migration of N tenants (3 migrations each, parallel), the
//! no-op run through `fleet::FleetRunner` (one status query, nothing
//! touched), the no-op run as a per-tenant loop of `FileRunner::run`
//! (baseline), and their ratio.

use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::{Connection, PgConnection};
use ryx_migrate::fleet::{self, FleetRunner};
use ryx_migrate::{load_dir, FileRunner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("RYX_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let n: usize = std::env::var("RYX_BENCH_TENANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/migrations/basic");
    let migrations = load_dir(&dir)?;
    let prefix = format!("ryx_bench_{}", std::process::id());
    let schemas: Vec<String> = (0..n).map(|i| format!("{prefix}_{i:05}")).collect();
    let jobs = std::thread::available_parallelism().map_or(2, usize::from);
    let pool = Pool::builder()
        .max_size(u32::try_from(jobs).unwrap_or(2))
        .build(ConnectionManager::<PgConnection>::new(&url))?;
    let mut conn = PgConnection::establish(&url)?;

    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let runner = FleetRunner::new()
            .migrations(migrations.clone())
            .schemas(schemas.iter().cloned())
            .jobs(jobs);
        let t = Instant::now();
        let cold = runner.run(&pool)?;
        let cold_time = t.elapsed();
        assert_eq!(cold.migrated().count(), n, "every tenant migrated");

        // no-op through the fleet path, best of 3
        let mut fleet_noop = Duration::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let report = runner.run(&pool)?;
            fleet_noop = fleet_noop.min(t.elapsed());
            assert_eq!(report.current().count(), n);
        }
        // all tenants' status, the query behind `showmigrations --all-schemas`
        let mut status_time = Duration::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let all = fleet::status(&mut conn, Some(&schemas), &migrations)?;
            status_time = status_time.min(t.elapsed());
            assert!(all.iter().all(|s| s.pending.is_empty()));
        }
        // baseline: loop over tenants, one runner each (what per-tenant tools do)
        let t = Instant::now();
        for s in &schemas {
            let report = FileRunner::new()
                .migrations(migrations.clone())
                .schema(s.clone())
                .run(&mut conn)?;
            assert!(report.is_noop());
        }
        let loop_noop = t.elapsed();

        println!("tenants: {n}, jobs: {jobs}");
        println!(
            "cold migrate (3 migrations each): {cold_time:.2?} ({:.2?} per tenant)",
            cold_time / u32::try_from(n).unwrap_or(u32::MAX)
        );
        println!("no-op migrate, fleet path:        {fleet_noop:.2?}");
        println!("status of all tenants:            {status_time:.2?}");
        println!("no-op migrate, per-tenant loop:   {loop_noop:.2?} (baseline)");
        println!(
            "ratio baseline / fleet no-op:     {:.1}x",
            loop_noop.as_secs_f64() / fleet_noop.as_secs_f64()
        );
        Ok(())
    })();

    for chunk in schemas.chunks(100) {
        let sql: Vec<String> = chunk
            .iter()
            .map(|s| format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE;"))
            .collect();
        conn.batch_execute(&sql.join("\n"))?;
    }
    result
}
