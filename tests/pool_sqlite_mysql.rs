//! ryx's connection manager on SQLite and MySQL/MariaDB: the same bound on
//! prepared statements (closed on the MySQL server too), and pooled SQLite
//! connections that wait for each other's writes.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::tables::*;
use common::SqliteDb;
use diesel::connection::SimpleConnection;
use ryx::pool::ConnectionManager;
use ryx::prelude::*;

/// Runs the `i`-th of eight query shapes on the scoped table (each its own
/// SQL text, so its own statement in diesel's cache).
macro_rules! shape {
    ($conn:expr, $i:expr) => {{
        let t = || ms_authors::table.in_schema("tenant");
        let conn = $conn;
        match $i % 8 {
            0 => t()
                .select(ms_authors::id)
                .load::<i64>(conn)
                .map(|v| v.len()),
            1 => t()
                .select(ms_authors::name)
                .load::<String>(conn)
                .map(|v| v.len()),
            2 => t()
                .select((ms_authors::id, ms_authors::name))
                .load::<(i64, String)>(conn)
                .map(|v| v.len()),
            3 => t()
                .filter(ms_authors::id.eq(1_i64))
                .select(ms_authors::id)
                .load::<i64>(conn)
                .map(|v| v.len()),
            4 => t()
                .filter(ms_authors::name.eq("x"))
                .select(ms_authors::id)
                .load::<i64>(conn)
                .map(|v| v.len()),
            5 => t()
                .order(ms_authors::id)
                .select(ms_authors::id)
                .load::<i64>(conn)
                .map(|v| v.len()),
            6 => t()
                .order(ms_authors::name)
                .select(ms_authors::id)
                .load::<i64>(conn)
                .map(|v| v.len()),
            _ => t().count().get_result::<i64>(conn).map(|n| n as usize),
        }
    }};
}

/// Counts diesel's `CacheQuery` events: one each time a statement is
/// prepared into the cache, so a statement whose handle was dropped by a reset
/// counts again when it is next used.
fn count_preparations<C: Connection>(
    conn: &mut C,
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    let prepared = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&prepared);
    conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
        if let diesel::connection::InstrumentationEvent::CacheQuery { .. } = event {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    prepared
}

/// SQLite's statements live in the process: the bound drops diesel's handles.
/// Cycling through eight shapes with a limit of 3 prepares every query anew
/// (40 of 40); two shapes that fit stay cached (none prepared again).
#[test]
fn sqlite_statement_bound_holds() {
    let (db, _setup) = SqliteDb::with_tables();
    let pool = r2d2::Pool::builder()
        .max_size(1)
        .build(
            ConnectionManager::<SqliteConnection>::new(db.path.to_string_lossy())
                .statement_cache_limit(3),
        )
        .expect("sqlite pool");
    let mut conn = pool.get().expect("checkout");
    let prepared = count_preparations(&mut conn);
    for i in 0..40 {
        assert_eq!(shape!(&mut conn, i).expect("query"), 0);
        assert!(conn.cached_statements() <= 3);
    }
    assert_eq!(prepared.load(std::sync::atomic::Ordering::Relaxed), 40);
    drop(conn);

    let mut conn = pool.get().expect("checkout");
    for i in 0..10 {
        shape!(&mut conn, i % 2).expect("query");
    }
    let prepared = count_preparations(&mut conn);
    for i in 0..40 {
        shape!(&mut conn, i % 2).expect("query");
    }
    assert_eq!(prepared.load(std::sync::atomic::Ordering::Relaxed), 0);
}

/// A transaction begun with raw SQL and left open: the connection is
/// discarded when it returns (SQLite and MySQL alike).
#[test]
fn sqlite_raw_begin_left_open_is_discarded() {
    let (db, _setup) = SqliteDb::with_tables();
    let pool = r2d2::Pool::builder()
        .max_size(1)
        .build(ConnectionManager::<SqliteConnection>::new(
            db.path.to_string_lossy(),
        ))
        .expect("sqlite pool");
    {
        let mut conn = pool.get().expect("checkout");
        conn.batch_execute("BEGIN; INSERT INTO ms_authors (name) VALUES ('left open')")
            .expect("raw begin");
    }
    let mut conn = pool.get().expect("checkout");
    conn.transaction(|c| {
        ryx::insert_into(ms_authors::table.in_schema("tenant"))
            .values(ms_authors::name.eq("mine"))
            .execute(c)
    })
    .expect("a transaction of its own");
    let names: Vec<String> = ms_authors::table
        .in_schema("tenant")
        .select(ms_authors::name)
        .load(&mut db.connect())
        .expect("read");
    assert_eq!(names, ["mine"]);
}

/// Four threads write to one SQLite file through the pool at once: none fails
/// with "database is locked" (the manager sets a busy timeout).
#[test]
fn sqlite_pooled_writers_wait_for_each_other() {
    let (db, _setup) = SqliteDb::with_tables();
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .build(ConnectionManager::<SqliteConnection>::new(
            db.path.to_string_lossy(),
        ))
        .expect("sqlite pool");
    let failures = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (pool, failures) = (&pool, &failures);
            scope.spawn(move || {
                for i in 0..25 {
                    let result = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
                        conn.transaction(|c| {
                            ryx::insert_into(ms_authors::table.in_schema("tenant"))
                                .values(ms_authors::name.eq(format!("{t}/{i}")))
                                .execute(c)
                        })
                        .map_err(|e| e.to_string())
                    });
                    if let Err(e) = result {
                        eprintln!("writer {t}: {e}");
                        failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(failures.into_inner(), 0);
    let mut conn = pool.get().expect("checkout");
    assert_eq!(
        ms_authors::table
            .in_schema("tenant")
            .count()
            .get_result::<i64>(&mut conn)
            .expect("count"),
        100
    );
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use common::MysqlDb;

    #[derive(QueryableByName)]
    struct Counters {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        prepared: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        closed: i64,
    }

    /// Statements open on the server for this session: the session's
    /// prepared minus closed statements, read in one statement (which is
    /// itself prepared, not yet closed, when it reads them).
    fn open_statements<C>(conn: &mut C) -> i64
    where
        C: Connection<Backend = diesel::mysql::Mysql> + diesel::connection::LoadConnection,
    {
        let c = diesel::sql_query(
            "SELECT CAST(SUM(IF(VARIABLE_NAME = 'COM_STMT_PREPARE', VARIABLE_VALUE, 0)) AS SIGNED) AS prepared, \
             CAST(SUM(IF(VARIABLE_NAME = 'COM_STMT_CLOSE', VARIABLE_VALUE, 0)) AS SIGNED) AS closed \
             FROM information_schema.SESSION_STATUS",
        )
        .get_result::<Counters>(conn)
        .expect("session status");
        c.prepared - c.closed - 1
    }

    /// On MySQL, reaching the limit closes the statements on the server.
    #[test]
    fn mysql_statement_bound_holds_on_the_server() {
        let (db, _setup) = MysqlDb::with_tables();
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .build(
                ConnectionManager::<diesel::MysqlConnection>::new(db.url())
                    .statement_cache_limit(3),
            )
            .expect("mysql pool");
        let mut conn = pool.get().expect("checkout");
        let mut most = 0;
        for i in 0..40 {
            assert_eq!(shape!(&mut conn, i).expect("query"), 0);
            let open = open_statements(&mut conn);
            assert!(open <= 3, "{open} statements open on the server, limit 3");
            most = most.max(open);
        }
        assert!(
            most >= 2,
            "the cache fills before it is reset (most {most})"
        );

        // Control: diesel's own connection keeps them all.
        let mut plain = db.connect();
        for i in 0..8 {
            shape!(&mut plain, i).expect("query");
        }
        assert_eq!(open_statements(&mut plain), 8);
    }

    /// A raw `BEGIN` left open: the connection is discarded when it returns,
    /// never committed by the next borrower.
    #[test]
    fn mysql_raw_begin_left_open_is_discarded() {
        let (db, _setup) = MysqlDb::with_tables();
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .build(ConnectionManager::<diesel::MysqlConnection>::new(db.url()))
            .expect("mysql pool");
        {
            let mut conn = pool.get().expect("checkout");
            conn.batch_execute("BEGIN; INSERT INTO ms_authors (name) VALUES ('left open')")
                .expect("raw begin");
        }
        let mut conn = pool.get().expect("checkout");
        conn.transaction(|c| {
            ryx::insert_into(ms_authors::table.in_schema("tenant"))
                .values(ms_authors::name.eq("mine"))
                .execute(c)
        })
        .expect("a transaction of its own");
        let names: Vec<String> = ms_authors::table
            .in_schema("tenant")
            .select(ms_authors::name)
            .load(&mut db.connect())
            .expect("read");
        assert_eq!(names, ["mine"]);
    }
}
