//! Eight fleet runners over the same tenants at once (four library
//! `FleetRunner`s on pools of their own, four `ryx migrate --all-schemas`
//! processes), while application threads read and write the tenants' tables:
//! every migration is applied exactly once per tenant (by its history rows,
//! by the rows each migration writes, and by the runners' own reports), no
//! runner fails or deadlocks, every one finishes, and the application sees no
//! error. Once with transactional migrations over 50 tenants, once with a
//! `run_in_transaction = false` one (`CREATE INDEX CONCURRENTLY`).
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{text, unique, PgDb};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::fleet::{FleetRunner, Outcome};

const LIBRARY_RUNNERS: usize = 4;
const CLI_RUNNERS: usize = 4;
const APP_THREADS: usize = 3;
/// A bound for a deadlock, not a benchmark: the run takes seconds.
const WATCHDOG: Duration = Duration::from_secs(240);

const INIT: &str = "2024-01-01-000000_init";

/// A migration the runners race to apply. A transactional one records its
/// own execution in the tenant's `ran` table; `check` is an SQL condition
/// (`$S`: the schema as a string literal, `$T`: as an identifier) that holds
/// once it is applied.
struct Migration {
    name: &'static str,
    up: &'static str,
    transactional: bool,
    check: &'static str,
}

// The transactional ones sleep a little so that the runners overlap
// instead of one finishing before the others start.
const ADD_LABEL: Migration = Migration {
    name: "2024-02-01-000000_add_label",
    up: "SELECT pg_sleep(0.02);\n\
         ALTER TABLE items ADD COLUMN label TEXT NOT NULL DEFAULT '';\n\
         INSERT INTO ran (migration) VALUES ('2024-02-01-000000_add_label');\n",
    transactional: true,
    check: "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a \
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
            WHERE n.nspname = $S AND c.relname = 'items' AND a.attname = 'label' AND NOT a.attisdropped)",
};

const CREATE_NOTES: Migration = Migration {
    name: "2024-02-02-000000_create_notes",
    up: "CREATE TABLE notes (\n\
         \x20   id BIGSERIAL PRIMARY KEY,\n\
         \x20   item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,\n\
         \x20   body TEXT NOT NULL\n\
         );\n\
         CREATE INDEX notes_item_id_idx ON notes (item_id);\n\
         SELECT pg_sleep(0.02);\n\
         INSERT INTO ran (migration) VALUES ('2024-02-02-000000_create_notes');\n",
    transactional: true,
    check: "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k \
            JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
            JOIN pg_catalog.pg_class r ON r.oid = k.confrelid \
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
            WHERE n.nspname = $S AND c.relname = 'notes' AND k.contype = 'f' \
            AND r.relname = 'items' AND r.relnamespace = n.oid) \
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_indexes \
            WHERE schemaname = $S AND indexname = 'notes_item_id_idx')",
};

const LABEL_ITEMS: Migration = Migration {
    name: "2024-02-03-000000_label_items",
    // the strongest lock first: an UPDATE (row locks) then CREATE INDEX
    // (SHARE) would deadlock with a concurrent single-row UPDATE
    up: "LOCK TABLE items IN EXCLUSIVE MODE;\n\
         UPDATE items SET label = 'item ' || id;\n\
         CREATE INDEX items_label_idx ON items (label);\n\
         INSERT INTO ran (migration) VALUES ('2024-02-03-000000_label_items');\n\
         SELECT pg_sleep(0.02);\n",
    transactional: true,
    check: "EXISTS (SELECT 1 FROM pg_catalog.pg_indexes \
            WHERE schemaname = $S AND indexname = 'items_label_idx') \
            AND NOT EXISTS (SELECT 1 FROM $T.items WHERE id <= 20 AND label <> 'item ' || id)",
};

/// Outside a transaction (`run_in_transaction = false`): it cannot record
/// itself in `ran` (a batch with a second statement is a transaction block),
/// so its valid index is the evidence.
const INDEX_CONCURRENTLY: Migration = Migration {
    name: "2024-02-04-000000_index_items_concurrently",
    up: "CREATE INDEX CONCURRENTLY items_v_idx ON items (v);\n",
    transactional: false,
    check: "EXISTS (SELECT 1 FROM pg_catalog.pg_index x \
            JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
            JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace \
            WHERE n.nspname = $S AND i.relname = 'items_v_idx' AND x.indisvalid)",
};

/// A migrations folder of its own, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn add(&self, name: &str, up: &str, down: &str) {
        let m = self.0.join(name);
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(m.join("up.sql"), up).unwrap();
        std::fs::write(m.join("down.sql"), down).unwrap();
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct NameCount {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn tenant_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("tenant_{i:02}")).collect()
}

fn pool(url: &str, size: u32) -> Pool<ConnectionManager<PgConnection>> {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(60))
        .build(ConnectionManager::<PgConnection>::new(url))
        .unwrap()
}

/// A tiny xorshift generator: the application's choices need no quality.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One application operation on `"tenant".items`.
fn app_op(conn: &mut PgConnection, rng: &mut Rng, tenants: &[String]) -> diesel::QueryResult<()> {
    let t = &tenants[usize::try_from(rng.below(tenants.len() as u64)).unwrap()];
    let v = i32::try_from(rng.below(1000)).unwrap();
    match rng.below(5) {
        0 => {
            diesel::sql_query(format!("INSERT INTO \"{t}\".items (v) VALUES ($1)"))
                .bind::<Integer, _>(v)
                .execute(conn)?;
        }
        1 => {
            // explicit columns: a plan never changes its result type when a
            // migration adds a column
            let _: Vec<Id> = diesel::sql_query(format!(
                "SELECT id FROM \"{t}\".items WHERE v >= $1 ORDER BY id LIMIT 5"
            ))
            .bind::<Integer, _>(v)
            .load(conn)?;
        }
        2 => {
            diesel::sql_query(format!(
                "UPDATE \"{t}\".items SET v = v + 1 WHERE id = (SELECT min(id) FROM \"{t}\".items WHERE v >= $1)"
            ))
            .bind::<Integer, _>(v)
            .execute(conn)?;
        }
        3 => {
            // a short transaction holding a row lock across two statements
            conn.transaction(|conn| {
                let rows: Vec<Id> = diesel::sql_query(format!(
                    "SELECT id FROM \"{t}\".items ORDER BY id LIMIT 1 FOR UPDATE"
                ))
                .load(conn)?;
                if let Some(row) = rows.first() {
                    diesel::sql_query(format!("UPDATE \"{t}\".items SET v = $1 WHERE id = $2"))
                        .bind::<Integer, _>(v)
                        .bind::<BigInt, _>(row.id)
                        .execute(conn)?;
                }
                Ok::<_, diesel::result::Error>(())
            })?;
        }
        _ => {
            let _: Vec<Id> = diesel::sql_query(format!("SELECT count(*) AS id FROM \"{t}\".items"))
                .load(conn)?;
        }
    }
    Ok(())
}

/// What one runner reported: the (tenant, migration) pairs it applied, or
/// why it failed.
type Applied = Result<Vec<(String, String)>, String>;

fn library_runner(url: String, dir: PathBuf, tenants: Vec<String>, start: Arc<Barrier>) -> Applied {
    // nothing that can fail before the barrier, which would wait forever
    start.wait();
    let pool = pool(&url, 2);
    let migrations = ryx_migrate::load_dir(&dir).map_err(|e| format!("load_dir: {e}"))?;
    let report = FleetRunner::new()
        .migrations(migrations)
        .schemas(tenants.clone())
        .jobs(2)
        .run(&pool)
        .map_err(|e| format!("FleetRunner::run: {e}"))?;
    let mut applied = Vec::new();
    let mut failures = Vec::new();
    for t in &report.tenants {
        match &t.outcome {
            Outcome::Migrated(r) => {
                applied.extend(r.applied.iter().map(|a| (t.schema.clone(), a.name.clone())));
            }
            Outcome::Current => {}
            other => failures.push(format!("{}: {other:?}", t.schema)),
        }
    }
    if report.tenants.len() != tenants.len() {
        failures.push(format!("{} tenants reported", report.tenants.len()));
    }
    if failures.is_empty() && report.is_success() {
        Ok(applied)
    } else {
        Err(failures.join("\n"))
    }
}

fn cli_runner(
    url: String,
    dir: PathBuf,
    tenants: usize,
    start: Arc<Barrier>,
    pids: Arc<Mutex<Vec<u32>>>,
) -> Applied {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ryx"));
    cmd.env_remove("DATABASE_URL")
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("ryx_test_state"),
        )
        .args(["--url", &url, "migrate", "--dir"])
        .arg(&dir)
        .args(["--all-schemas", "--jobs", "2", "--format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    start.wait();
    let child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    pids.lock().unwrap().push(child.id());
    let out = child.wait_with_output().map_err(|e| format!("wait: {e}"))?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    if out.status.code() != Some(0) {
        return Err(format!(
            "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        ));
    }
    let json: serde_json::Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("{e}: stdout:\n{stdout}\nstderr:\n{stderr}"))?;
    let migrated = json["migrated"].as_array().cloned().unwrap_or_default();
    let current = json["current"].as_array().map_or(0, Vec::len);
    if migrated.len() + current != tenants
        || json["failed"].as_array().map_or(1, Vec::len) != 0
        || json["not_started"].as_array().map_or(1, Vec::len) != 0
    {
        return Err(format!("unexpected summary: {json}"));
    }
    let mut applied = Vec::new();
    for m in migrated {
        let schema = m["schema"].as_str().unwrap_or_default().to_owned();
        for a in m["applied"].as_array().cloned().unwrap_or_default() {
            applied.push((schema.clone(), a.as_str().unwrap_or_default().to_owned()));
        }
    }
    Ok(applied)
}

/// What the database is doing right now: for the watchdog's failure message.
fn activity(url: &str) -> String {
    let Ok(mut conn) = PgConnection::establish(url) else {
        return "(cannot connect)".into();
    };
    let rows: Vec<Name> = diesel::sql_query(
        "SELECT format('pid %s %s wait=%s/%s: %s', pid, state, wait_event_type, wait_event, left(query, 200)) AS name \
         FROM pg_catalog.pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .load(&mut conn)
    .unwrap_or_default();
    rows.into_iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `n` tenants with a first migration applied; then, under application load,
/// eight runners at once over all of them with the migrations `new`, and
/// everything checked.
fn race(n: usize, new: &[Migration]) {
    let db = PgDb::new();
    let url = db.url();
    let dir = Dir(std::env::temp_dir().join(unique("ryx_fleet_conc")));
    let tenants = tenant_names(n);

    // the tenants with the first migration applied, and some rows to work on
    dir.add(
        INIT,
        "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, v INT NOT NULL DEFAULT 0);\n\
         CREATE TABLE ran (migration TEXT NOT NULL);\n\
         INSERT INTO ran (migration) VALUES ('2024-01-01-000000_init');\n",
        "DROP TABLE ran;\nDROP TABLE items;\n",
    );
    let mut conn = PgConnection::establish(&url).unwrap();
    for t in &tenants {
        ryx_migrate::create_tenant(&mut conn, t).unwrap();
    }
    let setup = FleetRunner::new()
        .migrations(ryx_migrate::load_dir(&dir.0).unwrap())
        .schemas(tenants.clone())
        .jobs(2)
        .run(&pool(&url, 2))
        .unwrap();
    assert!(setup.is_success(), "{setup:?}");
    assert_eq!(setup.migrated().count(), n);
    for t in &tenants {
        conn.batch_execute(&format!(
            "INSERT INTO \"{t}\".items (v) SELECT g FROM generate_series(1, 20) g"
        ))
        .unwrap();
    }
    for m in new {
        dir.add(m.name, m.up, "SELECT 1;\n");
        if !m.transactional {
            std::fs::write(
                dir.0.join(m.name).join("metadata.toml"),
                "run_in_transaction = false\n",
            )
            .unwrap();
        }
    }

    // the application: reads and writes until the runners are done
    let stop = Arc::new(AtomicBool::new(false));
    let ops = Arc::new(AtomicU64::new(0));
    let app_errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let app: Vec<JoinHandle<()>> = (0..APP_THREADS)
        .map(|i| {
            let (url, tenants) = (url.clone(), tenants.clone());
            let (stop, ops, errors) = (stop.clone(), ops.clone(), app_errors.clone());
            std::thread::spawn(move || {
                let mut conn = match PgConnection::establish(&url) {
                    Ok(c) => c,
                    Err(e) => return errors.lock().unwrap().push(format!("connect: {e}")),
                };
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
                while !stop.load(Ordering::SeqCst) {
                    match app_op(&mut conn, &mut rng, &tenants) {
                        Ok(()) => {
                            ops.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => errors.lock().unwrap().push(e.to_string()),
                    }
                }
            })
        })
        .collect();

    // the eight runners, released at once
    let start = Arc::new(Barrier::new(LIBRARY_RUNNERS + CLI_RUNNERS));
    let pids: Arc<Mutex<Vec<u32>>> = Arc::default();
    let started = Instant::now();
    let mut runners: Vec<(String, JoinHandle<Applied>)> = Vec::new();
    for i in 0..LIBRARY_RUNNERS {
        let (url, dir, tenants, start) =
            (url.clone(), dir.0.clone(), tenants.clone(), start.clone());
        runners.push((
            format!("FleetRunner #{i}"),
            std::thread::spawn(move || library_runner(url, dir, tenants, start)),
        ));
    }
    for i in 0..CLI_RUNNERS {
        let (url, dir, start, pids) = (url.clone(), dir.0.clone(), start.clone(), pids.clone());
        runners.push((
            format!("ryx migrate #{i}"),
            std::thread::spawn(move || cli_runner(url, dir, n, start, pids)),
        ));
    }

    // the deadlock watchdog: a bound, not a benchmark
    while runners.iter().any(|(_, h)| !h.is_finished()) {
        if started.elapsed() > WATCHDOG {
            let stuck: Vec<&str> = runners
                .iter()
                .filter(|(_, h)| !h.is_finished())
                .map(|(n, _)| n.as_str())
                .collect();
            let what = activity(&url);
            stop.store(true, Ordering::SeqCst);
            for pid in pids.lock().unwrap().iter() {
                let _ = std::process::Command::new("kill")
                    .arg(pid.to_string())
                    .status();
            }
            panic!("still running after {WATCHDOG:?}: {stuck:?}\ndatabase activity:\n{what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    for h in app {
        h.join().unwrap();
    }

    // every runner succeeded, and between them they applied each new
    // migration exactly once per tenant
    let mut applied: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, h) in runners {
        match h.join().unwrap() {
            Ok(pairs) => {
                eprintln!("{name}: applied {} migrations", pairs.len());
                for p in pairs {
                    *applied.entry(p).or_default() += 1;
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "runners failed:\n{}",
        failures.join("\n\n")
    );
    let expected: BTreeMap<(String, String), usize> = tenants
        .iter()
        .flat_map(|t| new.iter().map(move |m| ((t.clone(), m.name.to_owned()), 1)))
        .collect();
    assert_eq!(applied, expected, "applications reported by the runners");

    // the application ran alongside, without a single error (no lock
    // timeout, no deadlock_detected)
    let errors = app_errors.lock().unwrap();
    assert!(
        errors.is_empty(),
        "application errors:\n{}",
        errors.join("\n")
    );
    let ops = ops.load(Ordering::Relaxed);
    eprintln!("application: {ops} operations, runners done in {elapsed:.1?}");
    assert!(ops > 0, "the application did nothing");

    // each tenant: the full history once, each migration's own row once,
    // and what the migrations built
    let once = |names: &mut dyn Iterator<Item = &str>| -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = names.map(|m| (m.to_owned(), 1)).collect();
        v.sort();
        v
    };
    let history_once = once(&mut std::iter::once(INIT).chain(new.iter().map(|m| m.name)));
    let ran_once = once(
        &mut std::iter::once(INIT).chain(new.iter().filter(|m| m.transactional).map(|m| m.name)),
    );
    assert_eq!(ryx_migrate::fleet::tenants(&mut conn).unwrap(), tenants);
    for t in &tenants {
        let history: Vec<NameCount> = diesel::sql_query(format!(
            "SELECT name::text AS name, count(*) AS n FROM \"{t}\".ryx_migrations GROUP BY name ORDER BY name"
        ))
        .load(&mut conn)
        .unwrap();
        let history: Vec<(String, i64)> = history.into_iter().map(|r| (r.name, r.n)).collect();
        assert_eq!(history, history_once, "{t}: history");
        let ran: Vec<NameCount> = diesel::sql_query(format!(
            "SELECT migration AS name, count(*) AS n FROM \"{t}\".ran GROUP BY migration ORDER BY migration"
        ))
        .load(&mut conn)
        .unwrap();
        let ran: Vec<(String, i64)> = ran.into_iter().map(|r| (r.name, r.n)).collect();
        assert_eq!(ran, ran_once, "{t}: executions recorded by the migrations");
        for m in new {
            let check = m
                .check
                .replace("$S", &format!("'{t}'"))
                .replace("$T", &format!("\"{t}\""));
            let built: Flag = diesel::sql_query(format!("SELECT {check} AS ok"))
                .get_result(&mut conn)
                .unwrap();
            assert!(built.ok, "{t}: {} applied, but not there: {check}", m.name);
        }
    }
}

#[test]
fn eight_runners_with_application_load_apply_each_migration_once() {
    race(50, &[ADD_LABEL, CREATE_NOTES, LABEL_ITEMS]);
}

/// A `run_in_transaction = false` migration (`CREATE INDEX CONCURRENTLY`)
/// raced by eight runners: the runners waiting for the schema's lock must not
/// deadlock with the index build of the runner holding it.
#[test]
fn eight_runners_apply_a_concurrent_index_once_without_deadlock() {
    race(16, &[ADD_LABEL, INDEX_CONCURRENTLY]);
}
