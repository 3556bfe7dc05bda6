//! Shared support for the fault-injection tests (`fleet_fault_*`): migration
//! folders whose history can be checked against the tables a schema holds,
//! finding and terminating a migrating backend, running the `ryx` binary and
//! `FleetRunner` under a watchdog, and reading the JSON fleet report.
#![cfg(all(feature = "postgres", feature = "cli"))]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use diesel::r2d2::Pool;
use diesel::sql_types::{Integer, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::fleet::{FleetReport, FleetRunner};
use ryx_migrate::Error;

use super::{unique, PgDb};

/// Generous bound for anything that should take seconds: reaching it means
/// a hang, not a slow machine.
pub const WATCHDOG: Duration = Duration::from_secs(120);

/// One migration folder: its name, its `up.sql` and the tables it creates.
pub struct Mig {
    pub name: &'static str,
    pub up: String,
    pub tables: &'static [&'static str],
}

/// A statement that names the migrating backend after its tenant
/// (`rf:<schema>`, transaction-local) so the test can find and kill it.
const TAG: &str =
    "SELECT pg_catalog.set_config('application_name', 'rf:' || current_schema(), true);";

/// `[a] [b, then a sleep] [c]`.
pub fn sleepy(seconds: &str) -> Vec<Mig> {
    vec![
        Mig {
            name: "2024-01-01-000000_a",
            up: "CREATE TABLE a (id BIGINT PRIMARY KEY);\n".into(),
            tables: &["a"],
        },
        Mig {
            name: "2024-01-02-000000_b",
            up: format!(
                "CREATE TABLE b (id BIGINT PRIMARY KEY);\n{TAG}\nSELECT pg_catalog.pg_sleep({seconds});\n"
            ),
            tables: &["b"],
        },
        Mig {
            name: "2024-01-03-000000_c",
            up: "CREATE TABLE c (id BIGINT PRIMARY KEY);\n".into(),
            tables: &["c"],
        },
    ]
}

/// A migrations folder of its own, removed at the end.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(migs: &[Mig]) -> Self {
        let dir = Dir(std::env::temp_dir().join(unique("ryx_faults")));
        for m in migs {
            let folder = dir.0.join(m.name);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("up.sql"), &m.up).unwrap();
            let down: String = m
                .tables
                .iter()
                .map(|t| format!("DROP TABLE {t};\n"))
                .collect();
            std::fs::write(folder.join("down.sql"), down).unwrap();
        }
        dir
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(QueryableByName)]
pub struct Name {
    #[diesel(sql_type = Text)]
    pub name: String,
}

#[derive(QueryableByName)]
struct Backend {
    #[diesel(sql_type = Integer)]
    pid: i32,
    #[diesel(sql_type = Text)]
    app: String,
}

/// The tables of `schema`, `ryx_migrations` excepted, from the catalog.
fn live_tables(conn: &mut PgConnection, schema: &str) -> BTreeSet<String> {
    diesel::sql_query(
        "SELECT tablename::text AS name FROM pg_catalog.pg_tables \
         WHERE schemaname = $1 AND tablename <> 'ryx_migrations'",
    )
    .bind::<Text, _>(schema)
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

/// The names in `schema`'s `ryx_migrations`, oldest first.
fn history(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    diesel::sql_query(format!(
        "SELECT name::text AS name FROM \"{schema}\".ryx_migrations ORDER BY name"
    ))
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

/// The tables of `schema` are exactly those created by the migrations its
/// history lists, plus `extra` (tables the test made itself); returns the
/// history.
#[track_caller]
pub fn assert_history_matches_tables(
    conn: &mut PgConnection,
    schema: &str,
    migs: &[Mig],
    extra: &[&str],
) -> Vec<String> {
    let recorded = history(conn, schema);
    let mut expected: BTreeSet<String> = extra.iter().map(|t| (*t).to_owned()).collect();
    for name in &recorded {
        let m = migs
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{schema}: unknown history row {name}"));
        expected.extend(m.tables.iter().map(|t| (*t).to_owned()));
    }
    assert_eq!(
        live_tables(conn, schema),
        expected,
        "{schema}: tables do not match the history {recorded:?}"
    );
    recorded
}

pub fn all_names(migs: &[Mig]) -> Vec<String> {
    migs.iter().map(|m| m.name.to_owned()).collect()
}

/// Polls `f` until it gives a value; panics after [`WATCHDOG`].
#[track_caller]
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WATCHDOG;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A backend of database `db` sleeping in the tagged migration:
/// `(pid, schema)`.
pub fn sleeper(admin: &mut PgConnection, db: &str) -> Option<(i32, String)> {
    diesel::sql_query(
        "SELECT pid, application_name::text AS app FROM pg_catalog.pg_stat_activity \
         WHERE datname = $1 AND application_name LIKE 'rf:%' AND state = 'active' \
         AND query LIKE '%pg_sleep%' ORDER BY pid LIMIT 1",
    )
    .bind::<Text, _>(db)
    .load::<Backend>(admin)
    .unwrap()
    .into_iter()
    .next()
    .map(|b| (b.pid, b.app["rf:".len()..].to_owned()))
}

pub fn terminate(admin: &mut PgConnection, pid: i32) {
    diesel::sql_query("SELECT pg_catalog.pg_terminate_backend($1)::text AS name")
        .bind::<Integer, _>(pid)
        .load::<Name>(admin)
        .unwrap();
}

/// The error and its sources on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

pub fn db_name(url: &str) -> String {
    url.rsplit_once('/').unwrap().1.to_owned()
}

/// `n` tenants (schemas with a history table) in `db`, sorted.
pub fn tenants(db: &PgDb, n: usize) -> Vec<String> {
    let mut conn = PgConnection::establish(&db.url()).unwrap();
    let mut names: Vec<String> = (0..n).map(|_| unique("ryx_cli")).collect();
    names.sort();
    for s in &names {
        ryx_migrate::create_tenant(&mut conn, s).unwrap();
    }
    names
}

/// The `ryx` binary started with `args` (output piped).
pub fn spawn_ryx(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ryx"))
        .env_remove("DATABASE_URL")
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("ryx_test_state"),
        )
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` (killing it and failing after [`WATCHDOG`]).
pub fn finish(mut child: Child) -> Output {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).unwrap();
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).unwrap();
        buf
    });
    let deadline = Instant::now() + WATCHDOG;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ryx did not finish: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `ryx migrate --all-schemas --format json` over `db`, its exit code and
/// report.
pub fn migrate_json(url: &str, dir: &Dir, jobs: &str) -> (i32, serde_json::Value) {
    let child = spawn_ryx(&[
        "--url",
        url,
        "migrate",
        "--dir",
        dir.path(),
        "--all-schemas",
        "--jobs",
        jobs,
        "--format",
        "json",
    ]);
    json_of(&finish(child))
}

pub fn json_of(out: &Output) -> (i32, serde_json::Value) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: stdout:\n{stdout}\nstderr:\n{stderr}"));
    (out.status.code().expect("killed by a signal"), json)
}

pub fn schemas_in(json: &serde_json::Value, key: &str) -> Vec<String> {
    json[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        .iter()
        .map(|t| t["schema"].as_str().or(t.as_str()).unwrap().to_owned())
        .collect()
}

/// Runs `f` on a thread of its own; panics if it does not return within
/// [`WATCHDOG`].
pub fn guarded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx
}

#[track_caller]
pub fn join<T>(rx: &mpsc::Receiver<T>) -> T {
    rx.recv_timeout(WATCHDOG)
        .expect("the run did not return: it hangs (or panicked)")
}

pub type RyxPool = Pool<ryx_pool::ConnectionManager<PgConnection>>;

/// A pool like the CLI's, with a short `connection_timeout`.
pub fn pool(url: &str, jobs: u32) -> RyxPool {
    Pool::builder()
        .max_size(jobs)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(1))
        .build_unchecked(ryx_pool::ConnectionManager::<PgConnection>::new(url))
}

pub fn fleet(
    pool: RyxPool,
    migrations: Vec<ryx_migrate::MigrationFile>,
    schemas: Vec<String>,
    done: Arc<AtomicUsize>,
) -> mpsc::Receiver<Result<FleetReport, Box<Error>>> {
    guarded(move || {
        FleetRunner::new()
            .migrations(migrations)
            .schemas(schemas)
            .jobs(2)
            .on_done(move |_| {
                done.fetch_add(1, Ordering::SeqCst);
            })
            .run(&pool)
            .map_err(Box::new)
    })
}
