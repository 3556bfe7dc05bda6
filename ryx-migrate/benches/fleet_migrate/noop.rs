//! Part 2, the no-op rerun: up-to-date tenants made in bulk, the queries
//! `fleet::status` and the CLI's path send, their timed rounds, and the
//! cost split (the digest catalog query, one `UNION ALL` chunk, and the
//! server-side-hash alternative).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::Pool;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::fleet::{self, FleetRunner};
use ryx_migrate::{FileRunner, MigrationFile};

use crate::commands::ryx_migrate;
use crate::counting::{is_catalog, is_union, recorded};
use crate::setup::{history_comment, quote, Made, HISTORY_DDL};
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

/// `tenant_digests(None)`: every tenant with its history's digest, the one
/// query of `fleet::status` on a current fleet.
const DIGEST_SQL: &str = "SELECT n.nspname::text AS name, d.description AS digest \
     FROM pg_catalog.pg_namespace n \
     JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
     LEFT JOIN pg_catalog.pg_description d ON d.objoid = c.oid \
     AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 \
     WHERE c.relname = 'ryx_migrations' AND c.relkind IN ('r', 'p') ORDER BY 1";

/// The alternative that needs no digest: each tenant's history hashed on the
/// server, one `query_to_xml` per catalog row (each plans and runs its own
/// query, and every history table stays locked until the statement ends).
const SERVER_HASH_SQL: &str = "SELECT count(*) AS n FROM (SELECT n.nspname, \
     pg_catalog.query_to_xml(pg_catalog.format('SELECT md5(string_agg(name || '':'' || checksum, '','' ORDER BY name)) AS d FROM %I.ryx_migrations', n.nspname), false, false, '') AS x \
     FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
     WHERE c.relname = 'ryx_migrations' AND c.relkind IN ('r', 'p')) s";

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
    let t = Instant::now();
    {
        let mut conn = PgConnection::establish(&url)?;
        // the first tenant migrated by ryx, its digest copied to the others,
        // whose history rows are the same
        FileRunner::new()
            .migrations(migrations.to_vec())
            .schema(&tenants[0])
            .run(&mut conn)?;
        let digest = history_comment(&mut conn, &tenants[0])?;
        // in transactions of 250 tenants: one of 10,000 new tables would
        // outgrow the lock table
        for chunk in tenants[1..].chunks(250) {
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
        conn.batch_execute("ANALYZE pg_catalog.pg_class; ANALYZE pg_catalog.pg_namespace; ANALYZE pg_catalog.pg_description")?;
        let st = fleet::verified_status(&mut conn, None, migrations)?;
        if st.len() != n || st.iter().any(|s| !s.is_current(false)) {
            return Err(format!("the {n} bulk-made tenants are not all current for ryx").into());
        }
        if fleet::status(&mut conn, None, migrations)? != st {
            return Err("status and verified_status disagree".into());
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
    let (_, verified_q) = recorded(|| Ok(fleet::verified_status(&mut conn, None, migrations)?))?;
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
        "  queries, fleet::verified_status(None) (every history table read): {}",
        kinds(&verified_q)
    );
    println!(
        "  queries, the CLI's library path (fleet::tenants + FleetRunner::run, ryx_pool): {}",
        kinds(&cli_q)
    );

    // timed rounds, interleaved (the order flips every other round)
    let mut times: [Vec<Duration>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..settings.rounds {
        let mut order = [0, 1, 2];
        if round % 2 == 1 {
            order.reverse();
        }
        for v in order {
            if v == 2 {
                times[2].push(ryx_migrate(&url, mig_dir, 2)?);
                continue;
            }
            let mut c = PgConnection::establish(&url)?;
            let t = Instant::now();
            let st = if v == 0 {
                fleet::status(&mut c, None, migrations)?
            } else {
                fleet::verified_status(&mut c, None, migrations)?
            };
            times[v].push(t.elapsed());
            if st.len() != n {
                return Err("status lost tenants".into());
            }
        }
    }
    for (i, name, what, goal) in [
        (
            0,
            "status",
            "fleet::status(None) on a fresh connection, connect excluded",
            n >= 10_000,
        ),
        (
            1,
            "verified_status",
            "fleet::verified_status(None), every history table read, as before the digests",
            false,
        ),
        (
            2,
            "cli",
            "`ryx migrate --all-schemas --jobs 2`, the whole process",
            n >= 10_000,
        ),
    ] {
        let secs: Vec<f64> = times[i].iter().map(Duration::as_secs_f64).collect();
        let (lo, hi) = spread(&secs);
        println!(
            "fleet_noop_{name}_{n}_vs_1s: {:.3}x (goal {})\n  spread {lo:.3}-{hi:.3} over {} rounds (seconds; {what})",
            median(&secs),
            if goal { "<= 1.0" } else { "none" },
            secs.len(),
        );
    }

    // the cost split, on a fresh backend (cold caches, as each CLI run) and warm
    let chunk = chunk_sql(&tenants[..n.min(500)]);
    let mut split = Vec::new();
    for _ in 0..settings.rounds {
        let mut c = PgConnection::establish(&url)?;
        let (cat_plan, cat_exec) =
            explain_times(&mut c, &format!("EXPLAIN (ANALYZE, SUMMARY) {DIGEST_SQL}"))?;
        let (cold_plan, cold_exec) =
            explain_times(&mut c, &format!("EXPLAIN (ANALYZE, SUMMARY) {chunk}"))?;
        let (warm_plan, warm_exec) =
            explain_times(&mut c, &format!("EXPLAIN (ANALYZE, SUMMARY) {chunk}"))?;
        drop(c);
        split.push([
            cat_plan, cat_exec, cold_plan, cold_exec, warm_plan, warm_exec,
        ]);
    }
    let col = |i: usize| median(&split.iter().map(|r| r[i]).collect::<Vec<_>>());
    let chunks = n.div_ceil(500);
    println!(
        "  cost split (medians over {} fresh backends, ms; server-side times from EXPLAIN (ANALYZE, SUMMARY)):",
        split.len()
    );
    println!(
        "    catalog query with the digests (status's one query): plan {:.2} + exec {:.2}",
        col(0),
        col(1)
    );
    println!(
        "    one 500-arm UNION ALL, cold backend:   plan {:.1} + exec {:.1}   (x{chunks} chunks in verified_status)",
        col(2),
        col(3)
    );
    println!(
        "    one 500-arm UNION ALL, warm backend:   plan {:.1} + exec {:.1}",
        col(4),
        col(5)
    );
    // the alternative without a digest, once, on a fresh backend
    let mut c = PgConnection::establish(&url)?;
    let t = Instant::now();
    let server_hash = diesel::sql_query(SERVER_HASH_SQL).execute(&mut c);
    let took = ms(t.elapsed());
    match server_hash {
        Ok(_) => println!(
            "    alternative, a server-side hash per tenant (query_to_xml per catalog row), one statement: {took:.0} ms cold"
        ),
        Err(e) => println!(
            "    alternative, a server-side hash per tenant (query_to_xml per catalog row), one statement: failed after {took:.0} ms: {}",
            e.to_string().lines().next().unwrap_or("")
        ),
    }
    drop(c);
    drop(conn);
    made.drop_db(&db)?;
    Ok(())
}
