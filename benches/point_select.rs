//! Primary-key lookups on a real PostgreSQL over one connection, all
//! variants in one process, interleaved round by round (the order flips
//! every round; the machines are shared and noisy):
//!
//! - **ryx**: `bench_posts::table.in_schema(tenant).find(id)`, rotating over
//!   10 tenants (each tenant's statement prepared once, keyed by its SQL).
//! - **diesel**: the same select on a plain `diesel::table!`, one schema only
//!   (`search_path` set to it before each batch, untimed), diesel's
//!   type-keyed cache.
//! - **search_path**: per request `SET search_path TO tenant`, then the
//!   unqualified select: how libraries that route by session state work.
//! - **pgbench**: the floor, `pgbench -M prepared -n -c 1 -j 1 -t N -f script`
//!   running the same `SELECT` on one tenant (`\set id random(1, 1000)`);
//!   per query is pgbench's own clock from its first query to its last
//!   (`tps ... without initial connection time`: client CPU included,
//!   process start and connection excluded).
//!
//! ```text
//! cargo bench --bench point_select                          # 20 rounds x 1,000 lookups
//! RYX_BENCH_QUICK=1 cargo bench --bench point_select        # 10 rounds x 300
//! RYX_BENCH_ROUNDS=9 RYX_BENCH_REQUESTS=500 cargo bench --bench point_select
//! ```
//!
//! It creates its own schemas (`ryx_psbench_<pid>_<i>`) and drops them at the
//! end. `RYX_BENCH_POSTGRES_URL` overrides
//! `postgres://postgres@127.0.0.1:5432/test`; `RYX_BENCH_PGBENCH` the
//! `pgbench` binary (without one, the floor is skipped); `RYX_BENCH_VERBOSE=1`
//! prints every round's times.
//!
//! Printed per comparison: `<name>: <median of per-round ratios>x (goal ..)`,
//! then the spread of the per-round ratios.

use std::process::Command;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use ryx::prelude::*;

ryx::ryx_table! {
    bench_posts (id) {
        id -> Int8,
        title -> Varchar,
        views -> Int4,
    }
}

/// diesel's own declaration of the same table, no schema: it reads through
/// the connection's `search_path`.
mod plain {
    diesel::table! {
        bench_posts (id) {
            id -> Int8,
            title -> Varchar,
            views -> Int4,
        }
    }
}

const ROWS: i64 = 1000;
const TENANTS: usize = 10;

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

/// Ids in `1..=ROWS`, the same pseudo-random sequence for every variant.
struct Ids(u64);

impl Ids {
    fn next(&mut self) -> i64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        i64::try_from(self.0 % 1000).unwrap_or(0) + 1
    }
}

/// `n` scoped lookups rotating over `tenants`; seconds taken.
fn ryx_lookups(conn: &mut PgConnection, tenants: &[String], n: usize) -> QueryResult<f64> {
    let mut ids = Ids(0x9e37_79b9_7f4a_7c15);
    let t = Instant::now();
    for i in 0..n {
        let tenant = &tenants[i % tenants.len()];
        let title: String = bench_posts::table
            .in_schema(tenant)
            .find(ids.next())
            .select(bench_posts::title)
            .get_result(conn)?;
        debug_assert!(title.starts_with(tenant.as_str()));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// `n` lookups with diesel on the connection's one schema; seconds taken.
fn diesel_lookups(conn: &mut PgConnection, n: usize) -> QueryResult<f64> {
    let mut ids = Ids(0x9e37_79b9_7f4a_7c15);
    let t = Instant::now();
    for _ in 0..n {
        let title: String = plain::bench_posts::table
            .find(ids.next())
            .select(plain::bench_posts::title)
            .get_result(conn)?;
        debug_assert!(!title.is_empty());
    }
    Ok(t.elapsed().as_secs_f64())
}

/// `n` requests that each set `search_path` to their tenant, then run the
/// unqualified lookup; seconds taken. `set_path[i]` is tenant i's `SET`.
fn search_path_lookups(conn: &mut PgConnection, set_path: &[String], n: usize) -> QueryResult<f64> {
    let mut ids = Ids(0x9e37_79b9_7f4a_7c15);
    let t = Instant::now();
    for i in 0..n {
        conn.batch_execute(&set_path[i % set_path.len()])?;
        let title: String = plain::bench_posts::table
            .find(ids.next())
            .select(plain::bench_posts::title)
            .get_result(conn)?;
        debug_assert!(!title.is_empty());
    }
    Ok(t.elapsed().as_secs_f64())
}

/// One pgbench run of `n` transactions: (seconds per query by pgbench's own
/// clock, wall seconds of the whole process).
fn pgbench(bin: &str, url: &str, script: &std::path::Path, n: usize) -> Result<(f64, f64), String> {
    let t = Instant::now();
    let out = Command::new(bin)
        .args(["-M", "prepared", "-n", "-c", "1", "-j", "1", "-t"])
        .arg(n.to_string())
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()
        .map_err(|e| format!("running {bin}: {e}"))?;
    let wall = t.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{bin} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let tps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("no `tps = ` line in pgbench's output:\n{stdout}"))?;
    Ok((1.0 / tps, wall))
}

fn ratio_line(name: &str, ratios: &[f64], goal: &str, rounds: usize, per_round: usize) -> String {
    let (lo, hi) = spread(ratios);
    format!(
        "{name}: {:.3}x (goal {goal})\n  spread {lo:.3}-{hi:.3} over {rounds} rounds x {per_round} lookups",
        median(ratios.to_vec())
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("RYX_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let quick = std::env::var_os("RYX_BENCH_QUICK").is_some();
    let rounds = env_or("RYX_BENCH_ROUNDS", if quick { 10 } else { 20 }).max(1);
    let per_round = env_or("RYX_BENCH_REQUESTS", if quick { 300 } else { 1000 }).max(TENANTS);
    let pgbench_bin = std::env::var("RYX_BENCH_PGBENCH").unwrap_or_else(|_| "pgbench".to_owned());
    let verbose = std::env::var_os("RYX_BENCH_VERBOSE").is_some();
    let have_pgbench = Command::new(&pgbench_bin).arg("--version").output().is_ok();

    let prefix = format!("ryx_psbench_{}", std::process::id());
    let tenants: Vec<String> = (0..TENANTS).map(|i| format!("{prefix}_{i}")).collect();
    let script = std::env::temp_dir().join(format!("{prefix}.sql"));

    let mut admin = PgConnection::establish(&url)?;
    let mut setup = String::new();
    for t in &tenants {
        let s = ryx::quote_identifier(t, '"');
        let literal = format!("'{}'", t.replace('\'', "''"));
        setup.push_str(&format!(
            "CREATE SCHEMA {s}; \
             CREATE TABLE {s}.bench_posts (id INT8 PRIMARY KEY, title VARCHAR NOT NULL, views INT4 NOT NULL); \
             INSERT INTO {s}.bench_posts SELECT g, {literal} || '/' || g, g % 100 FROM generate_series(1, {ROWS}) g; \
             ANALYZE {s}.bench_posts;"
        ));
    }
    admin.batch_execute(&setup)?;

    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let home = ryx::quote_identifier(&tenants[0], '"');
        std::fs::write(
            &script,
            format!(
                "\\set id random(1, {ROWS})\nSELECT \"bench_posts\".\"title\" FROM {home}.\"bench_posts\" \
                 WHERE \"bench_posts\".\"id\" = :id;\n"
            ),
        )?;
        let set_path: Vec<String> = tenants
            .iter()
            .map(|t| format!("SET search_path TO {}", ryx::quote_identifier(t, '"')))
            .collect();

        // One connection (one server backend) for the three client variants:
        // on this VM a round trip's time depends much on where the scheduler
        // puts the client and its backend, and separate connections gave
        // whole variants 2-3x slower rounds that had nothing to do with them.
        // diesel's batches run with the connection's `search_path` set to
        // tenant 0 first (untimed); ryx's statements are qualified.
        let mut conn = PgConnection::establish(&url)?;

        // warm up: every statement prepared, every catalog entry cached
        ryx_lookups(&mut conn, &tenants, 200)?;
        search_path_lookups(&mut conn, &set_path, 200)?;
        conn.batch_execute(&set_path[0])?;
        diesel_lookups(&mut conn, 200)?;
        if have_pgbench {
            pgbench(&pgbench_bin, &url, &script, 200)?;
        }

        let (mut ryx_us, mut diesel_us, mut path_us, mut floor_us, mut floor_wall_us) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut vs_diesel, mut path_vs_ryx, mut vs_floor) = (Vec::new(), Vec::new(), Vec::new());
        let per = |secs: f64| secs / per_round as f64 * 1e6;
        for round in 0..rounds {
            // ryx, diesel, search_path, pgbench; reversed every other round
            let mut times = [0.0f64; 4];
            let mut floor_wall = 0.0;
            let order: [usize; 4] = if round % 2 == 0 {
                [0, 1, 2, 3]
            } else {
                [3, 2, 1, 0]
            };
            for v in order {
                times[v] = match v {
                    0 => per(ryx_lookups(&mut conn, &tenants, per_round)?),
                    1 => {
                        conn.batch_execute(&set_path[0])?;
                        per(diesel_lookups(&mut conn, per_round)?)
                    }
                    2 => per(search_path_lookups(&mut conn, &set_path, per_round)?),
                    _ if have_pgbench => {
                        let (q, wall) = pgbench(&pgbench_bin, &url, &script, per_round)?;
                        floor_wall = per(wall);
                        q * 1e6
                    }
                    _ => f64::NAN,
                };
            }
            let [r, d, p, f] = times;
            if verbose {
                println!(
                    "  round {round}: µs/lookup ryx {r:.1}, diesel {d:.1}, search_path {p:.1}, pgbench {f:.1}"
                );
            }
            ryx_us.push(r);
            diesel_us.push(d);
            path_us.push(p);
            vs_diesel.push(r / d);
            path_vs_ryx.push(p / r);
            if have_pgbench {
                floor_us.push(f);
                floor_wall_us.push(floor_wall);
                vs_floor.push(r / f);
            }
        }

        println!(
            "point select, {rounds} rounds x {per_round} lookups per variant, 10 tenants (median µs/lookup): \
             ryx {:.1}, diesel one schema {:.1}, search_path per request {:.1}{}",
            median(ryx_us),
            median(diesel_us),
            median(path_us),
            if have_pgbench {
                format!(
                    ", pgbench {:.1} (whole process incl. start and connection: {:.1})",
                    median(floor_us),
                    median(floor_wall_us)
                )
            } else {
                String::new()
            }
        );
        println!(
            "{}",
            ratio_line(
                "point_select_ryx_vs_diesel",
                &vs_diesel,
                "<= 1.03",
                rounds,
                per_round
            )
        );
        println!(
            "{}",
            ratio_line(
                "point_select_search_path_vs_ryx",
                &path_vs_ryx,
                ">= 2.0",
                rounds,
                per_round
            )
        );
        if have_pgbench {
            println!(
                "{}",
                ratio_line(
                    "point_select_ryx_vs_pgbench",
                    &vs_floor,
                    "<= 1.0",
                    rounds,
                    per_round
                )
            );
        } else {
            println!("point_select_ryx_vs_pgbench: skipped, no `{pgbench_bin}` found");
        }
        Ok(())
    })();

    let _ = std::fs::remove_file(&script);
    let drop: Vec<String> = tenants
        .iter()
        .map(|t| {
            format!(
                "DROP SCHEMA IF EXISTS {} CASCADE;",
                ryx::quote_identifier(t, '"')
            )
        })
        .collect();
    admin.batch_execute(&drop.join("\n"))?;
    result
}
