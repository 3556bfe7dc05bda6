//! Part 2, the no-op rerun: up-to-date tenants made in bulk, the queries
//! `fleet::status` and the CLI's path send, their timed rounds, and the
//! cost split (catalog query, one `UNION ALL` chunk, the digest shape).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::Pool;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::fleet::{self, FleetRunner};
use ryx_migrate::MigrationFile;

use crate::commands::ryx_migrate;
use crate::counting::{is_catalog, is_union, recorded};
use crate::setup::{quote, Made, HISTORY_DDL};
use crate::stats::{median, ms, spread};
use crate::{Res, Settings};

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// `Planning Time` and `Execution Time` (ms) of an `EXPLAIN (.., SUMMARY)`.
fn explain_times(conn: &mut PgConnection, sql: &str) -> Res<(f64, f64)> {
    let rows: Vec<PlanLine> = diesel::sql_query(sql).load(conn)?;
    let find = |label: &str| {
        rows.iter()
            .find_map(|r| r.line.strip_prefix(label))
            .and_then(|v| v.trim().trim_end_matches("ms").trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    Ok((find("Planning Time:"), find("Execution Time:")))
}

/// The catalog query of `tenant_schemas(None)`.
const CATALOG_SQL: &str = "SELECT n.nspname::text AS name FROM pg_catalog.pg_namespace n \
     JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
     WHERE c.relname = 'ryx_migrations' AND c.relkind IN ('r', 'p') ORDER BY 1";

/// The proposed one-query shape: each tenant's history digest, kept in its
/// history table's comment, read from the catalog with the tenant list.
const DIGEST_SQL: &str = "SELECT n.nspname::text AS name, d.description::text AS digest \
     FROM pg_catalog.pg_namespace n \
     JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
     LEFT JOIN pg_catalog.pg_description d ON d.objoid = c.oid \
       AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 \
     WHERE c.relname = 'ryx_migrations' AND c.relkind IN ('r', 'p') ORDER BY 1";

#[derive(QueryableByName)]
struct Digest {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    digest: Option<String>,
}

/// One 500-arm chunk as `history_names` writes it, the binds inlined.
fn chunk_sql(tenants: &[String]) -> String {
    tenants
        .iter()
        .map(|s| {
            format!(
                "SELECT '{s}'::text AS schema, name::text AS name, checksum::text AS checksum FROM {}.\"ryx_migrations\"",
                quote(s)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

pub(crate) fn noop(
    settings: &Settings,
    made: &Made,
    pid: u32,
    mig_dir: &Path,
    migrations: &[MigrationFile],
    n: usize,
) -> Res<()> {
    let db = format!("ryx_bench_fm_{pid}_noop_{n}");
    let url = made.create_db(&db)?;
    let tenants: Vec<String> = (0..n).map(|i| format!("n_{i:05}")).collect();
    let digest = format!(
        "ryx:{}",
        migrations
            .iter()
            .map(|m| format!("{}={}", m.name, m.checksum()))
            .collect::<Vec<_>>()
            .join(",")
    );
    let t = Instant::now();
    {
        let mut conn = PgConnection::establish(&url)?;
        // in transactions of 250 tenants: one of 10,000 new tables would
        // outgrow the lock table
        for chunk in tenants.chunks(250) {
            let mut sql = String::from("BEGIN;\n");
            for s in chunk {
                let q = quote(s);
                writeln!(
                    sql,
                    "CREATE SCHEMA {q}; CREATE TABLE {q}.\"ryx_migrations\" {HISTORY_DDL}; \
                     COMMENT ON TABLE {q}.\"ryx_migrations\" IS '{digest}';"
                )?;
                for m in migrations {
                    writeln!(
                        sql,
                        "INSERT INTO {q}.\"ryx_migrations\" (name, checksum, execution_ms) VALUES ('{}', '{}', 1);",
                        m.name,
                        m.checksum()
                    )?;
                }
            }
            sql.push_str("COMMIT;");
            conn.batch_execute(&sql)?;
        }
        conn.batch_execute("ANALYZE pg_catalog.pg_class; ANALYZE pg_catalog.pg_namespace")?;
        let st = fleet::status(&mut conn, None, migrations)?;
        if st.len() != n || st.iter().any(|s| !s.is_current(false)) {
            return Err(format!("the {n} bulk-made tenants are not all current for ryx").into());
        }
    }
    println!(
        "\nno-op rerun: {n} up-to-date tenants (made in bulk in {:.1} s), {} rounds",
        t.elapsed().as_secs_f64(),
        settings.rounds
    );

    // the queries each path sends
    let mut conn = PgConnection::establish(&url)?;
    let (_, status_q) = recorded(|| Ok(fleet::status(&mut conn, None, migrations)?))?;
    let pool =
        Pool::builder()
            .max_size(2)
            .min_idle(Some(0))
            .build(ryx_pool::ConnectionManager::<PgConnection>::new(
                url.as_str(),
            ))?;
    let (report, cli_q) = recorded(|| {
        let mut c = pool.get()?;
        let schemas = fleet::tenants(&mut c)?;
        drop(c);
        Ok(FleetRunner::new()
            .migrations(migrations.to_vec())
            .schemas(schemas)
            .jobs(2)
            .run(&pool)?)
    })?;
    drop(pool);
    if report.current().count() != n {
        return Err("the no-op FleetRunner run did not find every tenant current".into());
    }
    let kinds = |q: &[String]| {
        let union = q.iter().filter(|s| is_union(s)).count();
        let catalog = q.iter().filter(|s| is_catalog(s)).count();
        format!(
            "{} queries ({catalog} catalog, {union} UNION ALL chunks, {} other)",
            q.len(),
            q.len() - catalog - union
        )
    };
    println!("  queries, fleet::status(None): {}", kinds(&status_q));
    println!(
        "  queries, the CLI's library path (fleet::tenants + FleetRunner::run, ryx_pool): {}",
        kinds(&cli_q)
    );

    // timed rounds, interleaved
    let mut status_t = Vec::new();
    let mut cli_t = Vec::new();
    for round in 0..settings.rounds {
        let mut order = [0, 1];
        if round % 2 == 1 {
            order.reverse();
        }
        for v in order {
            if v == 0 {
                let mut c = PgConnection::establish(&url)?;
                let t = Instant::now();
                let st = fleet::status(&mut c, None, migrations)?;
                status_t.push(t.elapsed());
                if st.len() != n {
                    return Err("status lost tenants".into());
                }
            } else {
                cli_t.push(ryx_migrate(&url, mig_dir, 2)?);
            }
        }
    }
    for (name, times) in [("status", &status_t), ("cli", &cli_t)] {
        let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
        let (lo, hi) = spread(&secs);
        println!(
            "fleet_noop_{name}_{n}_vs_1s: {:.3}x (goal {})\n  spread {lo:.3}-{hi:.3} over {} rounds (seconds; {})",
            median(&secs),
            if n >= 10_000 { "<= 1.0" } else { "none" },
            secs.len(),
            if name == "status" {
                "fleet::status(None) on a fresh connection, connect excluded"
            } else {
                "`ryx migrate --all-schemas --jobs 2`, the whole process"
            }
        );
    }

    // the cost split, on a fresh backend (cold caches, as each CLI run) and warm
    let chunk = chunk_sql(&tenants[..n.min(500)]);
    let mut split = Vec::new();
    for _ in 0..settings.rounds {
        let mut c = PgConnection::establish(&url)?;
        let (cat_plan, cat_exec) =
            explain_times(&mut c, &format!("EXPLAIN (ANALYZE, SUMMARY) {CATALOG_SQL}"))?;
        let (cold_plan, cold_exec) =
            explain_times(&mut c, &format!("EXPLAIN (ANALYZE, SUMMARY) {chunk}"))?;
        let (warm_plan, warm_exec) =
            explain_times(&mut c, &format!("EXPLAIN (ANALYZE, SUMMARY) {chunk}"))?;
        let t = Instant::now();
        let _: Vec<PlanLine> =
            diesel::sql_query(format!("EXPLAIN (SUMMARY) {chunk}")).load(&mut c)?;
        let plan_only_wall = ms(t.elapsed());
        // the whole chunk query as a client sees it, warm
        let t = Instant::now();
        diesel::sql_query(&chunk).execute(&mut c)?;
        let chunk_wall = ms(t.elapsed());
        drop(c);
        // the proposed shape, on a fresh backend
        let mut c = PgConnection::establish(&url)?;
        let t = Instant::now();
        let rows: Vec<Digest> = diesel::sql_query(DIGEST_SQL).load(&mut c)?;
        let digest_wall = ms(t.elapsed());
        let current = rows
            .iter()
            .filter(|r| r.digest.as_deref() == Some(digest.as_str()))
            .count();
        if current != n {
            return Err(format!("digest query: {current} of {n} current").into());
        }
        let t = Instant::now();
        let _: Vec<Digest> = diesel::sql_query(DIGEST_SQL).load(&mut c)?;
        let digest_warm = ms(t.elapsed());
        split.push([
            cat_plan,
            cat_exec,
            cold_plan,
            cold_exec,
            warm_plan,
            warm_exec,
            plan_only_wall,
            chunk_wall,
            digest_wall,
            digest_warm,
        ]);
    }
    let col = |i: usize| median(&split.iter().map(|r| r[i]).collect::<Vec<_>>());
    let chunks = n.div_ceil(500);
    println!(
        "  cost split (medians over {} fresh backends, ms; server-side times from EXPLAIN (ANALYZE, SUMMARY)):",
        split.len()
    );
    println!(
        "    catalog query (tenant_schemas):        plan {:.2} + exec {:.2}",
        col(0),
        col(1)
    );
    println!(
        "    one 500-arm UNION ALL, cold backend:   plan {:.1} + exec {:.1}   (x{chunks} chunks)",
        col(2),
        col(3)
    );
    println!(
        "    one 500-arm UNION ALL, warm backend:   plan {:.1} + exec {:.1}; EXPLAIN (SUMMARY) round trip {:.1}; the query itself {:.1}",
        col(4),
        col(5),
        col(6),
        col(7)
    );
    println!(
        "    proposed: one catalog query with each tenant's history digest: {:.1} cold, {:.1} warm (client wall, {n} rows)",
        col(8),
        col(9)
    );
    drop(conn);
    made.drop_db(&db)?;
    Ok(())
}
