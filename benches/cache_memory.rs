//! Memory of the prepared-statement cache per (tenant × query shape), on the
//! client and on the server, with ryx's bound (`statement_cache_limit(256)`)
//! and without one (diesel's default `PgConnection`, one named statement per
//! distinct SQL text, kept for the connection's life).
//!
//! Each measurement runs in a fresh child process (this binary, started
//! again), so that the client's figure is not blurred by memory an earlier
//! measurement freed: the child opens one connection, warms it up on a spare
//! tenant (both shapes), reads its own resident set size (`VmRSS` of
//! `/proc/self/status`) and the backend's memory (`pg_backend_memory_contexts`
//! of its own connection: the sum of `total_bytes`, and the part in
//! `CachedPlanSource`/`CachedPlanQuery`/`CachedPlan` contexts, which is the
//! prepared statements themselves), then runs a point select and a filtered
//! select on each of N tenants and reads both again. The deltas divided by
//! N × 2 are the bytes per (tenant × shape). The bounded and unbounded
//! children alternate, the order flipping every round; each round gives the
//! ratios bounded / unbounded, and the median of those is printed:
//!
//! ```text
//! cache_memory_client_bounded_vs_unbounded: <ratio>x (goal <= 0.25)
//! cache_memory_server_bounded_vs_unbounded: <ratio>x (goal <= 0.5)
//! cache_memory_server_plans_bounded_vs_unbounded: <ratio>x (goal <= 0.25)
//! ```
//!
//! The whole backend also grows with the catalog entries of every table it
//! touches (relcache, catcache), bound or not: that is why the total has a
//! looser goal than the plans.
//!
//! ```text
//! cargo bench --bench cache_memory                       # 2,000 tenants, 5 rounds
//! RYX_BENCH_QUICK=1 cargo bench --bench cache_memory     # 300 tenants, 3 rounds
//! RYX_BENCH_TENANTS=500 RYX_BENCH_ROUNDS=3 cargo bench --bench cache_memory
//! ```
//!
//! It creates its own schemas (`ryx_cmbench_<pid>_<i>`) and drops them at the
//! end; `RYX_BENCH_POSTGRES_URL` overrides
//! `postgres://postgres@127.0.0.1:5432/test`.

use std::process::Command;

use diesel::connection::{LoadConnection, SimpleConnection};
use diesel::sql_types::BigInt;
use ryx::pool::ConnectionManager;
use ryx::prelude::*;

ryx::ryx_table! {
    bench_cache (id) {
        id -> Int8,
        name -> Varchar,
    }
}

/// The statement bound measured.
const LIMIT: usize = 256;
/// Set in a child: `bounded` or `unbounded`.
const CHILD_ENV: &str = "RYX_CACHE_MEMORY_CHILD";
/// Set in a child: the tenants' name prefix and count.
const PREFIX_ENV: &str = "RYX_CACHE_MEMORY_PREFIX";
const COUNT_ENV: &str = "RYX_CACHE_MEMORY_TENANTS";

type BoxError = Box<dyn std::error::Error>;

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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn spread(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn tenant_name(prefix: &str, i: usize) -> String {
    format!("{prefix}_{i:05}")
}

/// The two query shapes on one tenant.
fn visit<C>(conn: &mut C, tenant: &str) -> QueryResult<()>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    let name: String = bench_cache::table
        .in_schema(tenant)
        .find(1_i64)
        .select(bench_cache::name)
        .get_result(conn)?;
    debug_assert!(name.starts_with(tenant));
    bench_cache::table
        .in_schema(tenant)
        .filter(bench_cache::name.eq(tenant))
        .select(bench_cache::id)
        .get_result::<i64>(conn)
        .optional()?;
    Ok(())
}

/// This process's resident set size in bytes (`VmRSS`, reported in kB).
fn rss() -> Result<f64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .ok_or("no VmRSS in /proc/self/status")?;
    Ok(kb * 1024.0)
}

/// The backend's memory: all contexts, and the prepared statements' own.
fn server_memory(conn: &mut PgConnection) -> QueryResult<(f64, f64, i64)> {
    let total =
        diesel::sql_query("SELECT sum(total_bytes)::int8 AS n FROM pg_backend_memory_contexts")
            .get_result::<Number>(conn)?
            .n;
    let plans = diesel::sql_query(
        "SELECT coalesce(sum(total_bytes), 0)::int8 AS n FROM pg_backend_memory_contexts \
         WHERE name IN ('CachedPlanSource', 'CachedPlanQuery', 'CachedPlan')",
    )
    .get_result::<Number>(conn)?
    .n;
    let statements = diesel::sql_query("SELECT count(*) AS n FROM pg_prepared_statements")
        .get_result::<Number>(conn)?
        .n;
    Ok((total as f64, plans as f64, statements))
}

/// One measurement (in a child process); prints
/// `result <client bytes> <server bytes> <plan bytes> <statements>` (deltas).
fn child(kind: &str) -> Result<(), BoxError> {
    let url = url();
    let prefix = std::env::var(PREFIX_ENV)?;
    let count: usize = std::env::var(COUNT_ENV)?.parse()?;
    let spare = tenant_name(&prefix, count);
    let tenants: Vec<String> = (0..count).map(|i| tenant_name(&prefix, i)).collect();
    let (client, server, plans, statements) = if kind == "bounded" {
        let mut conn = ConnectionManager::<PgConnection>::new(&url)
            .statement_cache_limit(LIMIT)
            .connect_once()?;
        visit(&mut conn, &spare)?;
        // Read through the inner connection: a query on the managed one
        // could reset a full cache first.
        server_memory(&mut conn)?;
        let (rss0, (total0, plans0, _)) = (rss()?, server_memory(&mut conn)?);
        for t in &tenants {
            visit(&mut conn, t)?;
        }
        let rss1 = rss()?;
        let (total1, plans1, statements) = server_memory(&mut conn)?;
        (rss1 - rss0, total1 - total0, plans1 - plans0, statements)
    } else {
        let mut conn = PgConnection::establish(&url)?;
        visit(&mut conn, &spare)?;
        server_memory(&mut conn)?;
        let (rss0, (total0, plans0, _)) = (rss()?, server_memory(&mut conn)?);
        for t in &tenants {
            visit(&mut conn, t)?;
        }
        let rss1 = rss()?;
        let (total1, plans1, statements) = server_memory(&mut conn)?;
        (rss1 - rss0, total1 - total0, plans1 - plans0, statements)
    };
    println!("result {client} {server} {plans} {statements}");
    Ok(())
}

fn url() -> String {
    std::env::var("RYX_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Runs one child; its four figures.
fn measure(kind: &str, prefix: &str, count: usize) -> Result<[f64; 4], BoxError> {
    let out = Command::new(std::env::current_exe()?)
        .env(CHILD_ENV, kind)
        .env(PREFIX_ENV, prefix)
        .env(COUNT_ENV, count.to_string())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("result "));
    match (out.status.success(), line) {
        (true, Some(line)) => {
            let v: Vec<f64> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()?;
            Ok([v[0], v[1], v[2], v[3]])
        }
        _ => Err(format!(
            "the {kind} measurement failed ({}): {}{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )
        .into()),
    }
}

fn create_tenants(conn: &mut PgConnection, names: &[String]) -> QueryResult<()> {
    for chunk in names.chunks(200) {
        let mut sql = String::new();
        for name in chunk {
            let s = ryx::quote_identifier(name, '"');
            let literal = format!("'{}'", name.replace('\'', "''"));
            sql.push_str(&format!(
                "CREATE SCHEMA {s}; CREATE TABLE {s}.bench_cache (id BIGSERIAL PRIMARY KEY, name VARCHAR NOT NULL); \
                 INSERT INTO {s}.bench_cache (name) SELECT {literal} || '/' || g FROM generate_series(1, 3) g;"
            ));
        }
        conn.batch_execute(&sql)?;
    }
    Ok(())
}

fn drop_tenants(conn: &mut PgConnection, names: &[String]) -> QueryResult<()> {
    for chunk in names.chunks(200) {
        let sql: Vec<String> = chunk
            .iter()
            .map(|s| {
                format!(
                    "DROP SCHEMA IF EXISTS {} CASCADE;",
                    ryx::quote_identifier(s, '"')
                )
            })
            .collect();
        conn.batch_execute(&sql.join("\n"))?;
    }
    Ok(())
}

fn ratio_line(name: &str, ratios: &[f64], goal: &str, what: &str) -> String {
    let (lo, hi) = spread(ratios);
    format!(
        "{name}: {:.3}x (goal {goal})\n  spread {lo:.3}-{hi:.3} over {} rounds x {what}",
        median(ratios.to_vec()),
        ratios.len()
    )
}

fn main() -> Result<(), BoxError> {
    if let Ok(kind) = std::env::var(CHILD_ENV) {
        return child(&kind);
    }
    let quick = std::env::var("RYX_BENCH_QUICK").is_ok_and(|v| v == "1");
    let count = env_or("RYX_BENCH_TENANTS", if quick { 300 } else { 2000 }).max(10);
    let rounds = env_or("RYX_BENCH_ROUNDS", if quick { 3 } else { 5 }).max(1);
    let prefix = format!("ryx_cmbench_{}", std::process::id());
    // the last one is the spare tenant used for the warm-up
    let tenants: Vec<String> = (0..=count).map(|i| tenant_name(&prefix, i)).collect();

    let mut admin = PgConnection::establish(&url())?;
    create_tenants(&mut admin, &tenants)?;
    let result = (|| -> Result<(), BoxError> {
        // rows: [client, server, plans, statements] per variant
        let (mut bounded, mut unbounded) = (Vec::new(), Vec::new());
        let mut ratios: [Vec<f64>; 3] = Default::default();
        for round in 0..rounds {
            let (b, u) = if round % 2 == 0 {
                let b = measure("bounded", &prefix, count)?;
                (b, measure("unbounded", &prefix, count)?)
            } else {
                let u = measure("unbounded", &prefix, count)?;
                (measure("bounded", &prefix, count)?, u)
            };
            for (k, r) in ratios.iter_mut().enumerate() {
                r.push(b[k] / u[k]);
            }
            bounded.push(b);
            unbounded.push(u);
        }
        let entries = (count * 2) as f64;
        let per =
            |rows: &[[f64; 4]], k: usize| median(rows.iter().map(|r| r[k] / entries).collect());
        let statements = |rows: &[[f64; 4]]| median(rows.iter().map(|r| r[3]).collect());
        println!(
            "bytes per (tenant x shape) after {count} tenants x 2 shapes (median of {rounds} runs each): \
             client RSS bound {LIMIT} {:.0}, unbounded {:.0}; server total bound {LIMIT} {:.0}, unbounded {:.0}; \
             server plan contexts bound {LIMIT} {:.0}, unbounded {:.0}; prepared statements at the end: \
             bound {LIMIT} {:.0}, unbounded {:.0}",
            per(&bounded, 0),
            per(&unbounded, 0),
            per(&bounded, 1),
            per(&unbounded, 1),
            per(&bounded, 2),
            per(&unbounded, 2),
            statements(&bounded),
            statements(&unbounded),
        );
        let what = format!("1 visit of {count} tenants x 2 shapes per variant");
        let names = [
            ("cache_memory_client_bounded_vs_unbounded", "<= 0.25"),
            ("cache_memory_server_bounded_vs_unbounded", "<= 0.5"),
            ("cache_memory_server_plans_bounded_vs_unbounded", "<= 0.25"),
        ];
        for ((name, goal), r) in names.iter().zip(&ratios) {
            println!("{}", ratio_line(name, r, goal, &what));
        }
        Ok(())
    })();
    drop_tenants(&mut admin, &tenants)?;
    result
}
