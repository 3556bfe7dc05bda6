//! A new tenant by copying a template (`lifecycle::clone_tenant`) against
//! the baseline, migrating it from the folder (`FileRunner`), on a real
//! PostgreSQL, in the same process; then `lifecycle::tenant_sizes` over
//! 10,000 tenants, and the comparison again in that crowded database.
//!
//! ```text
//! cargo bench -p ryx-migrate --bench clone_vs_migrate
//! RYX_BENCH_ROUNDS=20 RYX_BENCH_SIZES_TENANTS=0 cargo bench -p ryx-migrate --bench clone_vs_migrate
//! ```
//!
//! Two folders are generated into a temporary directory. `short`: 30 tables,
//! each in its own migration (a `BIGSERIAL` key, a foreign key to the
//! previous table, a check, defaults, an index), then 10 migrations each
//! adding a column, a partial unique index and a comment to 3 tables, and one
//! migration of 3 views: 41 migrations. `long`: the same, then 3 migrations
//! per table that leave little trace in the end state (a column added,
//! backfilled and dropped; an index built and dropped; a default changed and
//! back): 131 migrations. Rounds interleave the two ways (ABAB, the order
//! swapped every round, one warm-up round not counted); reported: the median
//! of the per-round ratios migrate / clone, and each way's median time.
//!
//! Knobs: `RYX_BENCH_POSTGRES_URL` (a database to CREATE/DROP DATABASE from;
//! default `postgres://postgres@127.0.0.1:5432/postgres`), `RYX_BENCH_ROUNDS`
//! (default 10), `RYX_BENCH_SIZES_TENANTS` (default 10000; 0 skips it). The
//! bench's database is dropped at the end, also after a failure.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use ryx_migrate::lifecycle::{clone_tenant, tenant_sizes, tenant_sizes_exact, CloneOptions};
use ryx_migrate::{fleet, load_dir, FileRunner};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const TABLES: usize = 30;

fn main() -> Result<()> {
    let admin_url = std::env::var("RYX_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let rounds: usize = env_number("RYX_BENCH_ROUNDS", 10);
    let sizes_tenants: usize = env_number("RYX_BENCH_SIZES_TENANTS", 10_000);
    let db = format!("ryx_bench_clone_{}", std::process::id());
    let mut admin = PgConnection::establish(&admin_url)?;
    admin.batch_execute(&format!("CREATE DATABASE \"{db}\""))?;
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{db}"),
        None => return Err("RYX_BENCH_POSTGRES_URL has no database part".into()),
    };
    let dir = std::env::temp_dir().join(&db);
    let result = run(&url, &dir, rounds, sizes_tenants);
    let _ = std::fs::remove_dir_all(&dir);
    drop(admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")));
    result
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run(url: &str, dir: &Path, rounds: usize, sizes_tenants: usize) -> Result<()> {
    let mut conn = PgConnection::establish(url)?;
    let short = dir.join("short");
    write_folder(&short, false)?;
    let long = dir.join("long");
    write_folder(&long, true)?;
    compare(&mut conn, &short, "short", rounds)?;
    compare(&mut conn, &long, "long", rounds)?;
    if sizes_tenants > 0 {
        sizes(&mut conn, sizes_tenants)?;
        compare(&mut conn, &short, "short_in_big_db", rounds.div_ceil(2))?;
    }
    Ok(())
}

/// Migrates a template from `dir`, then `rounds` rounds (after one warm-up
/// round) of one clone and one migration of a new tenant, interleaved.
fn compare(conn: &mut PgConnection, dir: &Path, label: &str, rounds: usize) -> Result<()> {
    let files = load_dir(dir)?;
    let migrations = files.len();
    let template = format!("template_{label}");
    FileRunner::new()
        .migrations(files.clone())
        .schema(template.clone())
        .run(conn)?;
    let (mut clone_times, mut migrate_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=rounds {
        let clone = |conn: &mut PgConnection| -> Result<Duration> {
            let t = Instant::now();
            let report = clone_tenant(
                conn,
                &template,
                &format!("cloned_{label}_{round}"),
                CloneOptions::new(),
            )?;
            let elapsed = t.elapsed();
            assert_eq!(report.migrations, migrations);
            Ok(elapsed)
        };
        let migrate = |conn: &mut PgConnection| -> Result<Duration> {
            let t = Instant::now();
            let report = FileRunner::new()
                .migrations(files.clone())
                .schema(format!("migrated_{label}_{round}"))
                .run(conn)?;
            let elapsed = t.elapsed();
            assert_eq!(report.applied.len(), migrations);
            Ok(elapsed)
        };
        let (c, m) = if round % 2 == 0 {
            let c = clone(conn)?;
            (c, migrate(conn)?)
        } else {
            let m = migrate(conn)?;
            (clone(conn)?, m)
        };
        // round 0 warms both paths up (connection caches, catalog) and is not counted
        if round > 0 {
            clone_times.push(c.as_secs_f64());
            migrate_times.push(m.as_secs_f64());
            ratios.push(m.as_secs_f64() / c.as_secs_f64());
        }
    }
    println!("[{label}] {TABLES} tables, {migrations} migrations, {rounds} rounds (ABAB)");
    println!(
        "  clone_tenant:        median {:.1} ms",
        median(&mut clone_times) * 1e3
    );
    println!(
        "  FileRunner (folder): median {:.1} ms (baseline)",
        median(&mut migrate_times) * 1e3
    );
    println!(
        "  migrate / clone:     median of per-round ratios {:.2}x (min {:.2}x, max {:.2}x)",
        median(&mut ratios),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max)
    );
    Ok(())
}

/// Writes the folder (see the crate docs above); with `history`, 3 more
/// migrations per table that leave little trace in the end state (a column
/// added, backfilled and dropped; an index built and dropped; a default
/// changed and changed back), as years of history do.
fn write_folder(dir: &Path, history: bool) -> Result<()> {
    let mut n = 0;
    let mut write = |name: String, up: String| -> Result<()> {
        n += 1;
        let path: PathBuf = dir.join(format!("2024-01-01-{n:06}_{name}"));
        std::fs::create_dir_all(&path)?;
        std::fs::write(path.join("up.sql"), up)?;
        Ok(())
    };
    for i in 0..TABLES {
        let parent = if i == 0 {
            String::new()
        } else {
            format!(",\n    parent_id BIGINT REFERENCES t{:02} (id)", i - 1)
        };
        write(
            format!("create_t{i:02}"),
            format!(
                "CREATE TABLE t{i:02} (\n    id BIGSERIAL PRIMARY KEY,\n    name TEXT NOT NULL,\n    \
                 status TEXT NOT NULL DEFAULT 'new',\n    amount NUMERIC(12, 2) NOT NULL DEFAULT 0 \
                 CHECK (amount >= 0),\n    created_at TIMESTAMPTZ NOT NULL DEFAULT now(){parent}\n);\n\
                 CREATE INDEX t{i:02}_created ON t{i:02} (created_at);\n"
            ),
        )?;
    }
    for step in 0..10 {
        let mut up = String::new();
        for i in (step * 3)..(step * 3 + 3) {
            up.push_str(&format!(
                "ALTER TABLE t{i:02} ADD COLUMN code TEXT;\n\
                 CREATE UNIQUE INDEX t{i:02}_code ON t{i:02} (code) WHERE code IS NOT NULL;\n\
                 COMMENT ON TABLE t{i:02} IS 'table {i}';\n"
            ));
        }
        write(format!("codes_{step}"), up)?;
    }
    write(
        "views".to_owned(),
        "CREATE VIEW open_t00 AS SELECT id, name FROM t00 WHERE status = 'new';\n\
         CREATE VIEW t01_with_parent AS SELECT c.id, p.name AS parent FROM t01 c JOIN t00 p ON p.id = c.parent_id;\n\
         CREATE VIEW totals AS SELECT status, sum(amount) AS total FROM t02 GROUP BY status;\n"
            .to_owned(),
    )?;
    if history {
        for i in 0..TABLES {
            write(
                format!("backfill_t{i:02}"),
                format!(
                    "ALTER TABLE t{i:02} ADD COLUMN name_lower TEXT;\n\
                     UPDATE t{i:02} SET name_lower = lower(name);\n\
                     ALTER TABLE t{i:02} DROP COLUMN name_lower;\n"
                ),
            )?;
            write(
                format!("try_index_t{i:02}"),
                format!("CREATE INDEX t{i:02}_name ON t{i:02} (name);\nDROP INDEX t{i:02}_name;\n"),
            )?;
            write(
                format!("default_t{i:02}"),
                format!(
                    "ALTER TABLE t{i:02} ALTER COLUMN status SET DEFAULT 'open';\n\
                     ALTER TABLE t{i:02} ALTER COLUMN status SET DEFAULT 'new';\n"
                ),
            )?;
        }
    }
    Ok(())
}

/// `tenant_sizes` over `n` tenants (made server-side, 200 per transaction:
/// a history table and two tables with keys, an index and a foreign key
/// each), against `fleet::tenants` (names only) as the baseline.
fn sizes(conn: &mut PgConnection, n: usize) -> Result<()> {
    let t = Instant::now();
    for start in (0..n).step_by(200) {
        let end = (start + 200).min(n);
        conn.batch_execute(&format!(
            "DO $$ BEGIN FOR i IN {start}..{} LOOP EXECUTE format(\
             'CREATE SCHEMA %1$I; \
              CREATE TABLE %1$I.ryx_migrations (name VARCHAR(255) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, \
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_ms BIGINT NOT NULL); \
              CREATE TABLE %1$I.accounts (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL); \
              CREATE INDEX ON %1$I.accounts (email); \
              CREATE TABLE %1$I.orders (id BIGSERIAL PRIMARY KEY, account_id BIGINT REFERENCES %1$I.accounts (id))', \
             'tenant_' || i); END LOOP; END $$",
            end - 1
        ))?;
    }
    let setup = t.elapsed();
    let (mut estimated, mut exact, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let list = fleet::tenants(conn)?;
        names.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let sizes = tenant_sizes(conn)?;
        estimated.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let read = tenant_sizes_exact(conn)?;
        exact.push(t.elapsed().as_secs_f64());
        assert_eq!(sizes.len(), list.len());
        assert_eq!(read.len(), list.len());
        assert!(sizes.len() > n);
    }
    println!(
        "[sizes] {n} tenants (+ the clone rounds'; made in {:.1} s), median of 5:\n  \
         tenant_sizes (catalog estimate): {:.0} ms\n  \
         tenant_sizes_exact (pg_total_relation_size): {:.0} ms\n  \
         fleet::tenants (names only, baseline): {:.0} ms",
        setup.as_secs_f64(),
        median(&mut estimated) * 1e3,
        median(&mut exact) * 1e3,
        median(&mut names) * 1e3
    );
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
