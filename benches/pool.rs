//! Connection-pool benchmark on a real PostgreSQL, all variants in one
//! process, interleaved round by round (the machines are shared and noisy):
//!
//! 1. Per-request cost of a primary-key select rotating over 10 tenants:
//!    ryx's manager in transaction-pooler mode (unnamed statements, parsed
//!    and planned every time) against its cached path (named statements,
//!    bounded), the cached path against diesel's own `PgConnection`, and
//!    pooler mode through a private PgBouncer in transaction mode against
//!    pooler mode direct and the cached path direct. PgBouncer runs as in
//!    `tests/common/pgbouncer.rs` (its own temp dir and free port, as the
//!    `postgres` OS user under root); without the binary
//!    (`/usr/sbin/pgbouncer`, or `RYX_BENCH_PGBOUNCER`) those two lines say
//!    `skipped`.
//! 2. Per-request cost over all N tenants and two query shapes, more
//!    statements than the bound: ryx's manager with the bound (256) against
//!    diesel's unbounded cache (`PgConnection`), both warmed over every
//!    tenant and shape first.
//! 3. A connection's server memory (`pg_backend_memory_contexts`) and
//!    prepared statements after visiting N tenants with two query shapes,
//!    with the bound (256) and without it (diesel's default).
//!
//! ```text
//! cargo bench --bench pool                                  # 2,000 tenants
//! RYX_BENCH_TENANTS=500 RYX_BENCH_ROUNDS=9 cargo bench --bench pool
//! ```
//!
//! Printed per comparison: `<name>: <median of per-round ratios>x (goal ..)`,
//! then the spread of the per-round ratios.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// `requests` selects over every tenant and both shapes, starting at request
/// `start`: tenant `(i / 2) % n`, the point select for even `i`, the filtered
/// one for odd; seconds taken.
fn mixed_requests<C>(
    conn: &mut C,
    tenants: &[String],
    start: usize,
    requests: usize,
) -> QueryResult<f64>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    let t = Instant::now();
    for i in start..start + requests {
        let tenant = &tenants[(i / 2) % tenants.len()];
        if i % 2 == 0 {
            point_select(conn, tenant, 1)?;
        } else {
            filtered_select(conn, tenant).optional()?;
        }
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

/// `<name>: <median>x (goal <goal>)` and the spread line under it.
fn ratio_line(name: &str, ratios: &[f64], goal: &str, what: &str) -> String {
    let (lo, hi) = spread(ratios);
    format!(
        "{name}: {:.3}x (goal {goal})\n  spread {lo:.3}-{hi:.3} over {} rounds x {what}",
        median(ratios.to_vec()),
        ratios.len()
    )
}

/// A private PgBouncer in transaction mode in front of the bench's server,
/// set up like `tests/common/pgbouncer.rs` does: its own temp directory,
/// config and free port, run as the `postgres` OS user under root (PgBouncer
/// refuses root). Stopped and removed on drop.
struct Bouncer {
    child: Option<Child>,
    dir: PathBuf,
    url: String,
}

/// Why PgBouncer is not used: the reason goes into the `skipped` lines.
struct Skip(String);

impl Bouncer {
    fn start(upstream: &str) -> Result<Bouncer, Skip> {
        let binary = PathBuf::from(
            std::env::var("RYX_BENCH_PGBOUNCER").unwrap_or_else(|_| "/usr/sbin/pgbouncer".into()),
        );
        if !binary.is_file() {
            return Err(Skip(format!(
                "pgbouncer is not installed ({} not found; apt-get install pgbouncer)",
                binary.display()
            )));
        }
        let fail = |what: &str, e: &dyn std::fmt::Display| Skip(format!("PgBouncer: {what}: {e}"));
        // postgres://user[:password]@host[:port]/db[?...]
        let rest = upstream
            .strip_prefix("postgres://")
            .or_else(|| upstream.strip_prefix("postgresql://"))
            .ok_or_else(|| {
                Skip(format!(
                    "PgBouncer needs a postgres:// TCP URL, got {upstream}"
                ))
            })?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, db) = rest.split_once('/').unwrap_or((rest, "postgres"));
        let (userinfo, hostport) = authority
            .rsplit_once('@')
            .unwrap_or(("postgres", authority));
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));

        let dir = std::env::temp_dir().join(format!("ryx_bench_pgbouncer_{}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|e| fail("create its directory", &e))?;
        let port_free = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| fail("find a free port", &e))?;
        let auth = dir.join("userlist.txt");
        let log = dir.join("pgbouncer.log");
        let ini = dir.join("pgbouncer.ini");
        let mut bouncer = Bouncer {
            child: None,
            dir: dir.clone(),
            url: format!("postgres://{userinfo}@127.0.0.1:{port_free}/{db}"),
        };
        fs::write(&auth, format!("\"{user}\" \"{password}\"\n")).map_err(|e| fail("write", &e))?;
        fs::write(
            &ini,
            format!(
                "[databases]\n{db} = host={host} port={port} dbname={db}\n\n[pgbouncer]\n\
                 listen_addr = 127.0.0.1\nlisten_port = {port_free}\nunix_socket_dir =\n\
                 auth_type = trust\nauth_file = {}\npool_mode = transaction\n\
                 default_pool_size = 2\nmin_pool_size = 0\nreserve_pool_size = 0\n\
                 max_client_conn = 20\nlogfile = {}\npidfile = {}\n",
                auth.display(),
                log.display(),
                dir.join("pgbouncer.pid").display()
            ),
        )
        .map_err(|e| fail("write", &e))?;
        let mut command = Command::new(&binary);
        command
            .arg(&ini)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if fs::metadata("/proc/self").map(|m| m.uid()).ok() == Some(0) {
            let (uid, gid) = postgres_user().ok_or_else(|| {
                Skip("PgBouncer refuses root and there is no postgres OS user".into())
            })?;
            for path in [&dir, &auth] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .map_err(|e| fail("chown", &e))?;
            }
            command.uid(uid).gid(gid);
        }
        bouncer.child = Some(command.spawn().map_err(|e| fail("spawn", &e))?);
        let listening = format!("listening on 127.0.0.1:{port_free}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if fs::read_to_string(&log)
                .unwrap_or_default()
                .contains(&listening)
                && PgConnection::establish(&bouncer.url).is_ok()
            {
                return Ok(bouncer);
            }
            let exited = bouncer
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() >= deadline {
                return Err(Skip(format!(
                    "PgBouncer did not start on 127.0.0.1:{port_free}; its log:\n{}",
                    fs::read_to_string(&log).unwrap_or_default()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM: PgBouncer's immediate shutdown; SIGKILL after 5 s
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while let Ok(None) = child.try_wait() {
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// uid and gid of the `postgres` OS user.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() > 3 && f[0] == "postgres").then_some(())?;
        Some((f[2].parse().ok()?, f[3].parse().ok()?))
    })
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
    let memory_rounds = env_or("RYX_BENCH_MEMORY_ROUNDS", 4).max(1);
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
        let bouncer = Bouncer::start(&url);
        let mut bounced = match &bouncer {
            Ok(b) => Some(
                ConnectionManager::<PgConnection>::new(&b.url)
                    .transaction_pooler(true)
                    .connect_once()?,
            ),
            Err(_) => None,
        };
        // warm up: every statement prepared, every catalog entry cached
        requests(&mut cached, ten, 100)?;
        requests(&mut pooler, ten, 100)?;
        requests(&mut plain, ten, 100)?;
        if let Some(conn) = bounced.as_mut() {
            requests(conn, ten, 100)?;
        }
        let (mut pooler_vs_cached, mut cached_vs_diesel) = (Vec::new(), Vec::new());
        let (mut bounced_vs_pooler, mut bounced_vs_cached) = (Vec::new(), Vec::new());
        let mut per_request: [Vec<f64>; 4] = Default::default();
        for round in 0..rounds {
            // ABCD, then DCBA: no variant always runs first
            let order = if round % 2 == 0 {
                [0, 1, 2, 3]
            } else {
                [3, 2, 1, 0]
            };
            let mut t = [0.0; 4];
            for v in order {
                t[v] = match v {
                    0 => requests(&mut cached, ten, per_round)?,
                    1 => requests(&mut pooler, ten, per_round)?,
                    2 => requests(&mut plain, ten, per_round)?,
                    _ => match bounced.as_mut() {
                        Some(conn) => requests(conn, ten, per_round)?,
                        None => 0.0,
                    },
                };
            }
            pooler_vs_cached.push(t[1] / t[0]);
            cached_vs_diesel.push(t[0] / t[2]);
            bounced_vs_pooler.push(t[3] / t[1]);
            bounced_vs_cached.push(t[3] / t[0]);
            for (v, time) in t.iter().enumerate() {
                per_request[v].push(time / per_round as f64 * 1e6);
            }
        }
        let what = format!("{per_round} requests over 10 tenants");
        let [a, b, c, d] = per_request;
        println!(
            "point select, {rounds} rounds x {what} (median µs/request): \
             ryx cached {:.1}, ryx pooler mode {:.1}, diesel PgConnection {:.1}, \
             ryx pooler mode through PgBouncer {}",
            median(a),
            median(b),
            median(c),
            if bounced.is_some() {
                format!("{:.1}", median(d))
            } else {
                "skipped".into()
            }
        );
        println!(
            "{}",
            ratio_line("pooler_mode_vs_cached", &pooler_vs_cached, "<= 1.5", &what)
        );
        println!(
            "{}",
            ratio_line("ryx_cached_vs_diesel", &cached_vs_diesel, "<= 1.03", &what)
        );
        match &bouncer {
            Ok(_) => {
                println!(
                    "{}",
                    ratio_line(
                        "pgbouncer_pooler_vs_direct_pooler",
                        &bounced_vs_pooler,
                        "<= 1.5",
                        &what
                    )
                );
                println!(
                    "{}",
                    ratio_line(
                        "pgbouncer_pooler_vs_direct_cached",
                        &bounced_vs_cached,
                        "<= 2.0",
                        &what
                    )
                );
            }
            Err(Skip(why)) => {
                println!("pgbouncer_pooler_vs_direct_pooler: skipped, {why}");
                println!("pgbouncer_pooler_vs_direct_cached: skipped, {why}");
            }
        }
        drop(bounced);
        drop(bouncer);

        // Per request over all tenants and both shapes (more statements than
        // the bound): bound 256 against diesel's unbounded cache, both warmed.
        let mut bounded = ConnectionManager::<PgConnection>::new(&url)
            .statement_cache_limit(256)
            .connect_once()?;
        let mut unbounded = PgConnection::establish(&url)?;
        mixed_requests(&mut bounded, &tenants, 0, 2 * tenant_count)?;
        mixed_requests(&mut unbounded, &tenants, 0, 2 * tenant_count)?;
        let (mut bounded_vs_unbounded, mut times) = (Vec::new(), (Vec::new(), Vec::new()));
        for round in 0..rounds {
            let start = round * per_round;
            let (b, u) = if round % 2 == 0 {
                let b = mixed_requests(&mut bounded, &tenants, start, per_round)?;
                (
                    b,
                    mixed_requests(&mut unbounded, &tenants, start, per_round)?,
                )
            } else {
                let u = mixed_requests(&mut unbounded, &tenants, start, per_round)?;
                (mixed_requests(&mut bounded, &tenants, start, per_round)?, u)
            };
            bounded_vs_unbounded.push(b / u);
            times.0.push(b / per_round as f64 * 1e6);
            times.1.push(u / per_round as f64 * 1e6);
        }
        println!(
            "select over {tenant_count} tenants x 2 shapes, {rounds} rounds x {per_round} requests \
             (median µs/request): bound 256 {:.1}, unbounded (diesel default) {:.1}",
            median(times.0),
            median(times.1)
        );
        println!(
            "{}",
            ratio_line(
                "bounded_vs_unbounded_per_query",
                &bounded_vs_unbounded,
                "<= 1.5",
                &format!("{per_round} requests over {tenant_count} tenants x 2 shapes")
            )
        );
        drop(bounded);
        drop(unbounded);

        // Memory after visiting every tenant with two shapes, bounded vs not,
        // each on a fresh connection, the order flipping every round.
        let mut memory_ratios = Vec::new();
        let mut rows = Vec::new();
        for round in 0..memory_rounds {
            let mut after_of = [0.0; 2];
            for bounded in if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            } {
                let (before, after, statements) = if bounded {
                    let mut conn = ConnectionManager::<PgConnection>::new(&url)
                        .statement_cache_limit(256)
                        .connect_once()?;
                    let before = server_memory(&mut conn)?.0;
                    mixed_requests(&mut conn, &tenants, 0, 2 * tenant_count)?;
                    // Read through the inner connection: a query on the
                    // managed one could reset a full cache first.
                    let inner: &mut PgConnection = &mut conn;
                    let (after, statements) = server_memory(inner)?;
                    (before, after, statements)
                } else {
                    let mut conn = PgConnection::establish(&url)?;
                    let before = server_memory(&mut conn)?.0;
                    mixed_requests(&mut conn, &tenants, 0, 2 * tenant_count)?;
                    let (after, statements) = server_memory(&mut conn)?;
                    (before, after, statements)
                };
                after_of[usize::from(bounded)] = after;
                rows.push((bounded, before, after, statements));
            }
            memory_ratios.push(after_of[0] / after_of[1]);
        }
        for bounded in [true, false] {
            let of = |f: fn(&(bool, f64, f64, i64)) -> f64| {
                median(rows.iter().filter(|r| r.0 == bounded).map(f).collect())
            };
            println!(
                "server memory after {tenant_count} tenants x 2 shapes, {} (median of {memory_rounds}): \
                 {:.1} MiB -> {:.1} MiB, {} prepared statements",
                if bounded { "bound 256" } else { "unbounded (diesel default)" },
                of(|r| r.1),
                of(|r| r.2),
                of(|r| r.3 as f64)
            );
        }
        println!(
            "{}",
            ratio_line(
                "memory_unbounded_vs_bounded",
                &memory_ratios,
                ">= 2.0",
                &format!("1 visit of {tenant_count} tenants x 2 shapes (server memory of the connection)")
            )
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
