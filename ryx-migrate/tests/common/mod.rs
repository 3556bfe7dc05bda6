//! Shared support for the tests that run the `ryx` binary as a real process:
//! running it, checking its exit code and output, fixture folders, and
//! uniquely named PostgreSQL schemas and databases removed at the end.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod cluster;
pub mod faults;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

use assert_cmd::Command;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};

pub fn pg_url() -> String {
    std::env::var("RYX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

pub fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/migrations")
        .join(name)
}

pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs the `ryx` binary. Its saved run reports go to a folder under the
/// temporary directory, not the user's `~/.local/state`.
pub fn ryx(args: &[&str]) -> Output {
    Command::cargo_bin("ryx")
        .unwrap()
        .env_remove("DATABASE_URL")
        .env_remove("RYX_REPORT_FILE")
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("ryx_test_state"),
        )
        .args(args)
        .output()
        .unwrap()
}

pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[track_caller]
pub fn expect(out: &Output, code: i32) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// Bad input: exactly one `error:` line on stderr, no panic or backtrace.
#[track_caller]
pub fn expect_one_line_error(out: &Output, code: i32, needle: &str) {
    let (_, stderr) = expect(out, code);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(needle),
        "expected {needle:?} in {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

/// Tenant schemas of one test, dropped at the end.
pub struct Schemas(pub Vec<String>);

impl Schemas {
    pub fn new(n: usize) -> Self {
        sweep_stale();
        Schemas((0..n).map(|_| unique("ryx_cli")).collect())
    }
}

/// Whether a name made by [`unique`] (`prefix_<pid>_..`) belongs to a process
/// that is gone: a killed run's leftover.
fn stale(name: &str, prefix: &str) -> bool {
    let pid = name
        .strip_prefix(prefix)
        .and_then(|rest| rest.split('_').next())
        .and_then(|pid| pid.parse::<u32>().ok());
    pid.is_some_and(|pid| pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists())
}

/// Drops the schemas and databases of test runs that were killed before
/// their guards ran, once per test process.
fn sweep_stale() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        #[derive(diesel::QueryableByName)]
        struct Name {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let Ok(mut conn) = diesel::PgConnection::establish(&pg_url()) else {
            return;
        };
        let schemas = diesel::sql_query(
            "SELECT nspname::text AS name FROM pg_catalog.pg_namespace WHERE nspname LIKE 'ryx\\_cli\\_%'",
        )
        .load::<Name>(&mut conn)
        .unwrap_or_default();
        for Name { name } in schemas {
            if stale(&name, "ryx_cli_") {
                let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
            }
        }
        let databases = diesel::sql_query(
            "SELECT datname::text AS name FROM pg_catalog.pg_database WHERE datname LIKE 'ryx\\_cli\\_db\\_%'",
        )
        .load::<Name>(&mut conn)
        .unwrap_or_default();
        for Name { name } in databases {
            if stale(&name, "ryx_cli_db_") {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\""));
            }
        }
    });
}

impl Drop for Schemas {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&pg_url()) {
            for s in &self.0 {
                let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE"));
            }
        }
    }
}

/// A database of its own, for tests that look at every tenant (`--all-schemas`,
/// `tenants list`) and must not see other tests' schemas.
#[derive(Debug)]
pub struct PgDb {
    name: String,
}

impl PgDb {
    pub fn new() -> Self {
        sweep_stale();
        let name = unique("ryx_cli_db");
        let mut admin = diesel::PgConnection::establish(&pg_url()).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        PgDb { name }
    }

    pub fn url(&self) -> String {
        let base = pg_url();
        let server = base
            .rsplit_once('/')
            .map_or(base.as_str(), |(server, _)| server);
        format!("{server}/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = diesel::PgConnection::establish(&pg_url()) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}
