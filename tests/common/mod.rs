//! Shared test support: real databases, uniquely named per test, removed after.
//!
//! A database that cannot be reached fails the test with a message saying how
//! to start it: tests never skip silently (under `CI=true` or not).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod constraint_tables;
pub mod dsl;
pub mod hostile;
pub mod join_tables;
pub mod migrations;
pub mod pg_session;
pub mod pgbouncer;
pub mod runners;
pub mod tables;
pub mod tenant_load;
pub mod upsert_tables;

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::prelude::*;

/// PostgreSQL URL: `RYX_TEST_POSTGRES_URL`, else the local test server.
pub fn pg_url() -> String {
    std::env::var("RYX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// MySQL/MariaDB server URL without a database: `RYX_TEST_MYSQL_URL`, else the local server.
pub fn mysql_server_url() -> String {
    std::env::var("RYX_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

/// A name no other test (or test process) uses: `prefix_<pid>_<n>_<nanos>`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

pub fn pg_connect() -> PgConnection {
    let url = pg_url();
    let mut conn = PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is required for this test and is not reachable at {url}: {e}\n\
             start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             or set RYX_TEST_POSTGRES_URL"
        )
    });
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| sweep_stale_pg_schemas(&mut conn));
    conn
}

/// The process id in a test name made by [`unique_name`] (`prefix_<pid>_..`),
/// if the process that made it is gone: a killed run's leftovers.
fn stale_pid(name: &str, prefixes: &[&str]) -> bool {
    let Some(rest) = prefixes.iter().find_map(|p| name.strip_prefix(p)) else {
        return false;
    };
    let Some(pid) = rest.split('_').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Test schemas whose process is gone (a run killed before its guards
/// dropped them), removed once per test process.
fn sweep_stale_pg_schemas(conn: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let Ok(names) = diesel::sql_query(
        "SELECT nspname::text AS name FROM pg_catalog.pg_namespace WHERE nspname LIKE 'ryx\\_%'",
    )
    .load::<Name>(conn) else {
        return;
    };
    for Name { name } in names {
        if stale_pid(
            &name,
            &["ryx_t_", "ryx_m_", "ryx_b_", "ryx_bench_", "ryx_pbench_"],
        ) {
            let _ = diesel::sql_query(format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                ryx::quote_identifier(&name, '"')
            ))
            .execute(conn);
        }
    }
}

/// Schemas created for one test on PostgreSQL, dropped (CASCADE) when it ends.
pub struct PgSchemas {
    pub names: Vec<String>,
}

impl PgSchemas {
    /// Creates `count` fresh schemas, each with the `ms_authors`/`ms_posts` tables.
    pub fn with_tables(conn: &mut PgConnection, count: usize) -> Self {
        let names: Vec<String> = (0..count).map(|_| unique_name("ryx_t")).collect();
        for name in &names {
            for sql in pg_ddl(name) {
                diesel::sql_query(sql)
                    .execute(conn)
                    .expect("create test schema");
            }
        }
        PgSchemas { names }
    }

    /// Fresh names for schemas the test will create (through ryx), dropped at the end.
    pub fn reserve(count: usize) -> Self {
        PgSchemas {
            names: (0..count).map(|_| unique_name("ryx_m")).collect(),
        }
    }

    /// Registers a schema created by the test itself, so it is dropped too.
    pub fn adopt(name: impl Into<String>) -> Self {
        PgSchemas {
            names: vec![name.into()],
        }
    }
}

impl Drop for PgSchemas {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&pg_url()) {
            for name in &self.names {
                let _ = diesel::sql_query(format!(
                    "DROP SCHEMA IF EXISTS {} CASCADE",
                    ryx::quote_identifier(name, '"')
                ))
                .execute(&mut conn);
            }
        }
    }
}

/// The user's two example tables, inside `schema`.
pub fn pg_ddl(schema: &str) -> Vec<String> {
    let s = ryx::quote_identifier(schema, '"');
    vec![
        format!("CREATE SCHEMA {s}"),
        format!("CREATE TABLE {s}.ms_authors (id BIGSERIAL PRIMARY KEY, name VARCHAR NOT NULL)"),
        format!(
            "CREATE TABLE {s}.ms_posts (id BIGSERIAL PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES {s}.ms_authors (id), \
             title VARCHAR NOT NULL, views INTEGER NOT NULL DEFAULT 0, active BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL)"
        ),
    ]
}

pub const SQLITE_DDL: [&str; 2] = [
    "CREATE TABLE ms_authors (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)",
    "CREATE TABLE ms_posts (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id BIGINT NOT NULL REFERENCES ms_authors (id), \
     title TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0, active BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL)",
];

pub const MYSQL_DDL: [&str; 2] = [
    "CREATE TABLE ms_authors (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
    "CREATE TABLE ms_posts (id BIGINT AUTO_INCREMENT PRIMARY KEY, author_id BIGINT NOT NULL, \
     title VARCHAR(255) NOT NULL, views INTEGER NOT NULL DEFAULT 0, active BOOLEAN NOT NULL, created_at DATETIME NOT NULL)",
];

/// A fresh SQLite database file with the example tables, deleted when dropped.
pub struct SqliteDb {
    pub path: std::path::PathBuf,
}

impl SqliteDb {
    pub fn with_tables() -> (Self, SqliteConnection) {
        let path = std::env::temp_dir().join(format!("{}.sqlite3", unique_name("ryx_test")));
        let db = SqliteDb { path };
        let mut conn = db.connect();
        for sql in SQLITE_DDL {
            diesel::sql_query(sql)
                .execute(&mut conn)
                .expect("create sqlite tables");
        }
        (db, conn)
    }

    /// A fresh, empty database file.
    pub fn empty() -> Self {
        SqliteDb {
            path: std::env::temp_dir().join(format!("{}.sqlite3", unique_name("ryx_test"))),
        }
    }

    pub fn connect(&self) -> SqliteConnection {
        SqliteConnection::establish(&self.path.to_string_lossy()).expect("open sqlite file")
    }
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A fresh MySQL/MariaDB database with the example tables, dropped when dropped.
#[cfg(feature = "mysql")]
pub struct MysqlDb {
    pub name: String,
}

#[cfg(feature = "mysql")]
impl MysqlDb {
    pub fn with_tables() -> (Self, MysqlConnection) {
        let (db, mut conn) = Self::empty();
        for sql in MYSQL_DDL {
            diesel::sql_query(sql)
                .execute(&mut conn)
                .expect("create mysql tables");
        }
        (db, conn)
    }

    /// A fresh, empty database.
    pub fn empty() -> (Self, MysqlConnection) {
        let server = mysql_server_url();
        let mut admin = MysqlConnection::establish(&server).unwrap_or_else(|e| {
            panic!(
                "MySQL/MariaDB is required for this test and is not reachable at {server}: {e}\n\
                 start it with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd` \
                 or set RYX_TEST_MYSQL_URL"
            )
        });
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(|| sweep_stale_mysql_databases(&mut admin));
        let name = unique_name("ryx_t");
        diesel::sql_query(format!(
            "CREATE DATABASE {}",
            ryx::quote_identifier(&name, '`')
        ))
        .execute(&mut admin)
        .expect("create test database");
        let db = MysqlDb { name };
        let conn = db.connect();
        (db, conn)
    }

    pub fn url(&self) -> String {
        format!("{}/{}", mysql_server_url(), self.name)
    }

    pub fn connect(&self) -> MysqlConnection {
        MysqlConnection::establish(&self.url()).expect("connect to test database")
    }
}

#[cfg(feature = "mysql")]
impl Drop for MysqlDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = MysqlConnection::establish(&mysql_server_url()) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {}",
                ryx::quote_identifier(&self.name, '`')
            ))
            .execute(&mut admin);
        }
    }
}

/// Test databases whose process is gone, removed once per test process.
#[cfg(feature = "mysql")]
fn sweep_stale_mysql_databases(admin: &mut MysqlConnection) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let Ok(names) = diesel::sql_query(
        "SELECT CAST(schema_name AS CHAR) AS name FROM information_schema.schemata \
         WHERE schema_name LIKE 'ryx\\_t\\_%'",
    )
    .load::<Name>(admin) else {
        return;
    };
    for Name { name } in names {
        if stale_pid(&name, &["ryx_t_"]) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {}",
                ryx::quote_identifier(&name, '`')
            ))
            .execute(admin);
        }
    }
}
