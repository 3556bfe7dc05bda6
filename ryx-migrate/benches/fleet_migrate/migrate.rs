//! Part 1, the cold migrate: 500 tenants migrated by `ryx migrate` (jobs 1
//! and 2) against the psql floor, interleaved rounds and their ratio lines,
//! then the statements a library `FleetRunner` run sends per tenant.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::r2d2::Pool;
use diesel::{Connection, PgConnection};
use ryx_migrate::fleet::{self, FleetRunner};
use ryx_migrate::MigrationFile;

use crate::commands::{psql_script, ryx_migrate};
use crate::counting::{is_catalog, is_union, recorded};
use crate::setup::{fleet_db, migrated_tenants, quote, Made, UP_SQL};
use crate::stats::{median, ms, spread};
use crate::{Res, Settings};

/// Tenants of the cold migration.
const MIGRATE_TENANTS: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    /// The brief's floor: per tenant `SET search_path` and the DDL, each
    /// statement its own transaction (psql's autocommit).
    Psql,
    /// The same with `BEGIN`/`COMMIT` around each tenant: one commit per
    /// tenant, as ryx makes.
    PsqlTxn,
    Ryx(usize),
}

pub(crate) fn cold_migrate(
    settings: &Settings,
    made: &Made,
    pid: u32,
    mig_dir: &Path,
    migrations: &[MigrationFile],
) -> Res<()> {
    let tenants: Vec<String> = (0..MIGRATE_TENANTS).map(|i| format!("t_{i:05}")).collect();
    let script = made.dir.join("floor.sql");
    let mut sql = String::new();
    for t in &tenants {
        writeln!(sql, "SET search_path TO {};\n{UP_SQL}", quote(t))?;
    }
    std::fs::write(&script, sql)?;
    let script_txn = made.dir.join("floor_txn.sql");
    let mut sql = String::new();
    for t in &tenants {
        writeln!(
            sql,
            "BEGIN;\nSET LOCAL search_path TO {};\n{UP_SQL}COMMIT;",
            quote(t)
        )?;
    }
    std::fs::write(&script_txn, sql)?;

    let variants = [
        Variant::Ryx(1),
        Variant::Ryx(2),
        Variant::Psql,
        Variant::PsqlTxn,
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); variants.len()];
    println!(
        "\ncold migrate: {MIGRATE_TENANTS} tenants x 1 migration (2 tables, 2 indexes, 1 foreign key), {} rounds, a fresh database per variant and round",
        settings.rounds
    );
    for round in 0..settings.rounds {
        let mut order: Vec<usize> = (0..variants.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        let mut line = format!("  round {round}:");
        for i in order {
            let db = format!("ryx_bench_fm_{pid}_r{round}_{i}");
            let url = fleet_db(made, &db, &tenants)?;
            let took = match variants[i] {
                Variant::Psql => psql_script(&settings.psql, &url, &script)?,
                Variant::PsqlTxn => psql_script(&settings.psql, &url, &script_txn)?,
                Variant::Ryx(jobs) => ryx_migrate(&url, mig_dir, jobs)?,
            };
            let mut conn = PgConnection::establish(&url)?;
            let done = migrated_tenants(&mut conn)?;
            if done != MIGRATE_TENANTS {
                return Err(
                    format!("{:?}: {done} of {MIGRATE_TENANTS} migrated", variants[i]).into(),
                );
            }
            if let Variant::Ryx(_) = variants[i] {
                let st = fleet::status(&mut conn, None, migrations)?;
                if st.len() != MIGRATE_TENANTS || st.iter().any(|s| !s.pending.is_empty()) {
                    return Err("ryx left tenants with pending migrations".into());
                }
            }
            drop(conn);
            made.drop_db(&db)?;
            times[i].push(took);
            write!(line, " {:?} {:.0} ms;", variants[i], ms(took))?;
        }
        println!("{line}");
    }
    let med_ms = |t: &[Duration]| median(&t.iter().map(|d| ms(*d)).collect::<Vec<_>>());
    for (i, floor, name, goal) in [
        (0, 2, "fleet_migrate_ryx_jobs1_vs_psql", "<= 1.25"),
        (1, 2, "fleet_migrate_ryx_jobs2_vs_psql", "none"),
        (0, 3, "fleet_migrate_ryx_jobs1_vs_psql_txn", "none"),
        (1, 3, "fleet_migrate_ryx_jobs2_vs_psql_txn", "none"),
    ] {
        let ratios: Vec<f64> = times[i]
            .iter()
            .zip(&times[floor])
            .map(|(r, p)| r.as_secs_f64() / p.as_secs_f64())
            .collect();
        let (lo, hi) = spread(&ratios);
        println!(
            "{name}: {:.3}x (goal {goal})\n  spread {lo:.3}-{hi:.3} over {} rounds x {MIGRATE_TENANTS} tenants; median {:.0} ms ({:?}) vs {:.0} ms ({:?})",
            median(&ratios),
            ratios.len(),
            med_ms(&times[i]),
            variants[i],
            med_ms(&times[floor]),
            variants[floor],
        );
    }

    // The statements behind it: FleetRunner, jobs 1, over ryx's pool manager
    // with the CLI's pool settings.
    let db = format!("ryx_bench_fm_{pid}_count");
    let url = fleet_db(made, &db, &tenants)?;
    let pool =
        Pool::builder()
            .max_size(1)
            .min_idle(Some(0))
            .build(ryx_pool::ConnectionManager::<PgConnection>::new(
                url.as_str(),
            ))?;
    let t = Instant::now();
    let (report, seen) = recorded(|| {
        Ok(FleetRunner::new()
            .migrations(migrations.to_vec())
            .schemas(tenants.iter().cloned())
            .jobs(1)
            .run(&pool)?)
    })?;
    let lib_time = t.elapsed();
    if report.migrated().count() != MIGRATE_TENANTS {
        return Err("the library run did not migrate every tenant".into());
    }
    drop(pool);
    made.drop_db(&db)?;
    // the fleet's own queries end with its status read (the catalog query,
    // and UNION ALL chunks for tenants without a matching digest); then each
    // tenant's cycle starts with the pool's check-in of the previous borrow
    let before = seen
        .iter()
        .rposition(|s| is_union(s) || is_catalog(s))
        .map_or(0, |p| p + 1);
    let per_tenant = (seen.len() - before) as f64 / MIGRATE_TENANTS as f64;
    println!(
        "statements (library FleetRunner, jobs 1, ryx_pool manager as the CLI builds it, one run, {:.0} ms): {} in all = {before} for the fleet (connect, status) + {per_tenant:.2} per tenant",
        ms(lib_time),
        seen.len()
    );
    println!(
        "  one tenant's cycle (check-in of the previous borrow, check-out test, then the tenant):"
    );
    let cycle = (seen.len() - before).div_ceil(MIGRATE_TENANTS);
    for s in seen.iter().skip(before).take(cycle) {
        println!("    {s}");
    }
    Ok(())
}
