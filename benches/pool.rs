//! Connection-pool benchmark on a real PostgreSQL, all variants in one
//! process, interleaved round by round (the machines are shared and noisy):
//!
//! 1. Per-request cost of a primary-key select rotating over 10 tenants:
//!    ryx's manager in transaction-pooler mode (unnamed statements, parsed
//!    and planned every time) against its cached path (named statements,
//!    bounded), and the cached path against diesel's own `PgConnection`.
//! 2. A connection's server memory (`pg_backend_memory_contexts`) and
//!    prepared statements after visiting N tenants with two query shapes,
//!    with the statement bound (100) and without it (diesel's default).
//!
//! ```text
//! cargo bench --bench pool                                  # 2,000 tenants
//! RYX_BENCH_TENANTS=500 RYX_BENCH_ROUNDS=9 cargo bench --bench pool
//! ```

use std::time::Instant;

use diesel::connection::{LoadConnection, SimpleConnection};
use diesel::sql_types::BigInt;
use ryx::pool::ConnectionManager;
use ryx::prelude::*;

ryx::ryx_table! {
    bench_accounts (id) {
        id -> Int8,
        name -> Varchar,
    }
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn point_select<C>(conn: &mut C, tenant: &str, id: i64) -> QueryResult<String>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    bench_accounts::table
        .in_schema(tenant)
        .find(id)
        .select(bench_accounts::name)
        .get_result(conn)
}

fn filtered_select<C>(conn: &mut C, tenant: &str) -> QueryResult<i64>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    bench_accounts::table
        .in_schema(tenant)
        .filter(bench_accounts::name.eq(tenant))
        .select(bench_accounts::id)
        .get_result(conn)
}

/// `requests` point selects rotating over `tenants`; seconds taken.
fn requests<C>(conn: &mut C, tenants: &[String], requests: usize) -> QueryResult<f64>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    let t = Instant::now();
    for i in 0..requests {
        let tenant = &tenants[i % tenants.len()];
        // ids 1..=10, a different one each round over the tenants
        let id = i64::try_from((i / tenants.len()) % 10).unwrap_or(0) + 1;
        let name = point_select(conn, tenant, id)?;
        debug_assert!(name.starts_with(tenant.as_str()));
    }
    Ok(t.elapsed().as_secs_f64())
}

fn server_memory<C>(conn: &mut C) -> QueryResult<(f64, i64)>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    let bytes =
        diesel::sql_query("SELECT sum(total_bytes)::int8 AS n FROM pg_backend_memory_contexts")
            .get_result::<Number>(conn)?
            .n;
    let statements = diesel::sql_query("SELECT count(*) AS n FROM pg_prepared_statements")
        .get_result::<Number>(conn)?
        .n;
    Ok((bytes as f64 / (1024.0 * 1024.0), statements))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn spread(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn create_tenants(conn: &mut PgConnection, names: &[String]) -> QueryResult<()> {
    for chunk in names.chunks(200) {
        let mut sql = String::new();
        for name in chunk {
            let s = ryx::quote_identifier(name, '"');
            // the name as an SQL string literal (quotes doubled)
            let literal = format!("'{}'", name.replace('\'', "''"));
            sql.push_str(&format!(
                "CREATE SCHEMA {s}; CREATE TABLE {s}.bench_accounts (id BIGSERIAL PRIMARY KEY, name VARCHAR NOT NULL); \
                 INSERT INTO {s}.bench_accounts (name) SELECT {literal} || '/' || g FROM generate_series(1, 10) g;"
            ));
        }
        conn.batch_execute(&sql)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("RYX_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let tenant_count = env_or("RYX_BENCH_TENANTS", 2000).max(10);
    let rounds = env_or("RYX_BENCH_ROUNDS", 15).max(1);
    let per_round = env_or("RYX_BENCH_REQUESTS", 2000).max(10);
    let prefix = format!("ryx_pbench_{}", std::process::id());
    let tenants: Vec<String> = (0..tenant_count)
        .map(|i| format!("{prefix}_{i:05}"))
        .collect();

    let mut admin = PgConnection::establish(&url)?;
    create_tenants(&mut admin, &tenants)?;
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let ten = &tenants[..10];
        let manager = ConnectionManager::<PgConnection>::new(&url);
        let mut cached = manager.clone().connect_once()?;
        let mut pooler = manager.clone().transaction_pooler(true).connect_once()?;
        let mut plain = PgConnection::establish(&url)?;
        // warm up: every statement prepared, every catalog entry cached
        for conn_time in [
            requests(&mut cached, ten, 100)?,
            requests(&mut pooler, ten, 100)?,
            requests(&mut plain, ten, 100)?,
        ] {
            let _ = conn_time;
        }
        let (mut pooler_vs_cached, mut cached_vs_diesel) = (Vec::new(), Vec::new());
        let mut per_request = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            // ABC, then CBA: no variant always runs first
            let (a, b, c) = if round % 2 == 0 {
                let a = requests(&mut cached, ten, per_round)?;
                let b = requests(&mut pooler, ten, per_round)?;
                let c = requests(&mut plain, ten, per_round)?;
                (a, b, c)
            } else {
                let c = requests(&mut plain, ten, per_round)?;
                let b = requests(&mut pooler, ten, per_round)?;
                let a = requests(&mut cached, ten, per_round)?;
                (a, b, c)
            };
            pooler_vs_cached.push(b / a);
            cached_vs_diesel.push(a / c);
            per_request.0.push(a / per_round as f64 * 1e6);
            per_request.1.push(b / per_round as f64 * 1e6);
            per_request.2.push(c / per_round as f64 * 1e6);
        }
        println!(
            "point select, {rounds} rounds x {per_round} requests over 10 tenants (median µs/request): \
             ryx cached {:.1}, ryx pooler mode {:.1}, diesel PgConnection {:.1}",
            median(per_request.0),
            median(per_request.1),
            median(per_request.2)
        );
        let (lo, hi) = spread(&pooler_vs_cached);
        println!(
            "pooler_mode_vs_cached: {:.2}x (min {lo:.2}, max {hi:.2}; the price of unnamed statements)",
            median(pooler_vs_cached)
        );
        let (lo, hi) = spread(&cached_vs_diesel);
        println!(
            "ryx_cached_vs_diesel: {:.2}x (min {lo:.2}, max {hi:.2}; goal <= 1.03)",
            median(cached_vs_diesel)
        );

        // Memory after visiting every tenant with two shapes, bounded vs not,
        // each on a fresh connection, twice in alternating order.
        let mut rows = Vec::new();
        for pass in 0..2 {
            for bounded in if pass == 0 {
                [true, false]
            } else {
                [false, true]
            } {
                let (before, after, statements) = if bounded {
                    let mut conn = ConnectionManager::<PgConnection>::new(&url)
                        .statement_cache_limit(100)
                        .connect_once()?;
                    let before = server_memory(&mut conn)?.0;
                    for t in &tenants {
                        point_select(&mut conn, t, 1)?;
                        filtered_select(&mut conn, t).ok();
                    }
                    // Read through the inner connection: a query on the
                    // managed one could reset a full cache first.
                    let inner: &mut PgConnection = &mut conn;
                    let (after, statements) = server_memory(inner)?;
                    (before, after, statements)
                } else {
                    let mut conn = PgConnection::establish(&url)?;
                    let before = server_memory(&mut conn)?.0;
                    for t in &tenants {
                        point_select(&mut conn, t, 1)?;
                        filtered_select(&mut conn, t).ok();
                    }
                    let (after, statements) = server_memory(&mut conn)?;
                    (before, after, statements)
                };
                rows.push((bounded, before, after, statements));
            }
        }
        for (bounded, before, after, statements) in &rows {
            println!(
                "server memory after {tenant_count} tenants x 2 shapes, {}: {before:.1} MiB -> {after:.1} MiB, {statements} prepared statements",
                if *bounded { "bound 100" } else { "unbounded (diesel default)" }
            );
        }
        let mean = |b: bool| {
            let v: Vec<f64> = rows.iter().filter(|r| r.0 == b).map(|r| r.2).collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        println!(
            "memory_unbounded_vs_bounded: {:.2}x (server memory of the connection after the visit)",
            mean(false) / mean(true)
        );
        Ok(())
    })();
    for chunk in tenants.chunks(200) {
        let sql: Vec<String> = chunk
            .iter()
            .map(|s| {
                format!(
                    "DROP SCHEMA IF EXISTS {} CASCADE;",
                    ryx::quote_identifier(s, '"')
                )
            })
            .collect();
        admin.batch_execute(&sql.join("\n"))?;
    }
    result
}
