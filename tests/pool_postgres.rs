//! ryx's connection manager on a real PostgreSQL: the prepared-statement bound
//! holds on the server, transaction-pooler mode names no statement, the
//! borrower gets a clean connection, and bad settings fail clearly.
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

use common::pg_session::{backend_pid, search_path, server_statements};
use common::tables::*;
use common::{pg_connect, pg_url, unique_name, PgSchemas};
use diesel::connection::{CacheSize, SimpleConnection};
use ryx::pool::{ConnectionManager, ManagedConnection};
use ryx::prelude::*;

fn pool(
    manager: ConnectionManager<PgConnection>,
    size: u32,
) -> r2d2::Pool<ConnectionManager<PgConnection>> {
    r2d2::Pool::builder()
        .max_size(size)
        .build(manager)
        .unwrap_or_else(|e| panic!("PostgreSQL is required at {}: {e}", pg_url()))
}

/// `count` tenant schemas with one `ms_authors` row each, named after the
/// tenant; created in few round trips so that thousands stay quick.
fn tenants_with_one_author(count: usize) -> PgSchemas {
    let schemas = PgSchemas {
        names: (0..count).map(|_| unique_name("ryx_b")).collect(),
    };
    let mut conn = pg_connect();
    for chunk in schemas.names.chunks(200) {
        let mut sql = String::new();
        for name in chunk {
            let s = ryx::quote_identifier(name, '"');
            let lit = name.replace('\'', "''");
            sql.push_str(&format!(
                "CREATE SCHEMA {s}; CREATE TABLE {s}.ms_authors (id BIGSERIAL PRIMARY KEY, name VARCHAR NOT NULL); \
                 INSERT INTO {s}.ms_authors (name) VALUES ('{lit}');"
            ));
        }
        conn.batch_execute(&sql).expect("create tenant schemas");
    }
    schemas
}

/// Two query shapes per tenant: a primary-key lookup and a filtered select.
fn both_shapes<C>(conn: &mut C, tenant: &str) -> QueryResult<(String, i64)>
where
    C: Connection<Backend = diesel::pg::Pg> + diesel::connection::LoadConnection,
{
    let name = ms_authors::table
        .in_schema(tenant)
        .find(1_i64)
        .select(ms_authors::name)
        .get_result::<String>(conn)?;
    let id = ms_authors::table
        .in_schema(tenant)
        .filter(ms_authors::name.eq(tenant))
        .select(ms_authors::id)
        .get_result::<i64>(conn)?;
    Ok((name, id))
}

/// One pooled connection visits 2,000 tenants with two query shapes each and
/// a limit of 100: the server never holds more than 100 of its prepared
/// statements, and every result is the tenant's own. The same visit on
/// diesel's own connection grows past the limit (the bound is what stops it).
#[test]
fn statement_bound_holds_on_the_server_across_2000_tenants() {
    const LIMIT: usize = 100;
    let schemas = tenants_with_one_author(2000);
    let pool = pool(
        ConnectionManager::<PgConnection>::new(pg_url()).statement_cache_limit(LIMIT),
        1,
    );
    let mut conn = pool.get().expect("checkout");
    let mut most = 0;
    for tenant in &schemas.names {
        let (name, id) = both_shapes(&mut conn, tenant).expect("scoped reads");
        assert_eq!(
            (name.as_str(), id),
            (tenant.as_str(), 1),
            "tenant {tenant} read another tenant's row"
        );
        // Counted before the next query (which may reset the cache).
        let cached = conn.cached_statements();
        assert!(cached <= LIMIT, "{cached} cached statements, limit {LIMIT}");
        most = most.max(cached);
        let held = server_statements(&mut conn);
        assert!(
            held <= LIMIT as i64,
            "{held} prepared statements on the server, limit {LIMIT}"
        );
    }
    assert_eq!(
        most, LIMIT,
        "the cache fills up to its limit before it is reset"
    );
    // A second pass, after many resets: still each tenant's own rows.
    for tenant in schemas.names.iter().rev().take(300) {
        assert_eq!(
            both_shapes(&mut conn, tenant).expect("scoped reads").0,
            *tenant
        );
    }

    // Control: diesel's connection keeps every statement.
    let mut plain = pg_connect();
    for tenant in schemas.names.iter().take(LIMIT) {
        both_shapes(&mut plain, tenant).expect("scoped reads");
    }
    assert_eq!(server_statements(&mut plain), 2 * LIMIT as i64);
}

/// Statements stay correct when the cache is reset between two uses of the
/// same statement (limit 3, three tenants, two shapes: a reset every query).
#[test]
fn results_stay_correct_across_resets() {
    let schemas = tenants_with_one_author(3);
    let mut conn = ConnectionManager::<PgConnection>::new(pg_url())
        .statement_cache_limit(3)
        .connect_once()
        .expect("connect");
    for round in 0..20 {
        for tenant in &schemas.names {
            let (name, id) = both_shapes(&mut conn, tenant).expect("scoped reads");
            assert_eq!((name.as_str(), id), (tenant.as_str(), 1), "round {round}");
            assert!(server_statements(&mut conn) <= 3);
        }
    }
}

/// In transaction-pooler mode, and with a limit of 0, nothing is prepared by
/// name: any server connection behind a pooler can run any statement.
#[test]
fn pooler_mode_and_limit_zero_name_no_statement() {
    let schemas = tenants_with_one_author(5);
    for manager in [
        ConnectionManager::<PgConnection>::new(pg_url()).transaction_pooler(true),
        ConnectionManager::<PgConnection>::new(pg_url()).statement_cache_limit(0),
    ] {
        let mut conn = manager.connect_once().expect("connect");
        assert_eq!(conn.statement_cache_limit(), 0);
        for tenant in &schemas.names {
            assert_eq!(both_shapes(&mut conn, tenant).expect("reads").0, *tenant);
            ryx::update(ms_authors::table.in_schema(tenant))
                .filter(ms_authors::id.eq(1_i64))
                .set(ms_authors::name.eq(tenant))
                .execute(&mut conn)
                .expect("scoped update");
        }
        assert_eq!(server_statements(&mut conn), 0);
        assert_eq!(conn.cached_statements(), 0);
    }
}

/// `set_prepared_statement_cache_size(Disabled)` forgets the cached
/// statements on the server too, and `Unbounded` returns to the bound.
#[test]
fn disabling_the_cache_frees_the_server_statements() {
    let schemas = tenants_with_one_author(4);
    let mut conn = ConnectionManager::<PgConnection>::new(pg_url())
        .statement_cache_limit(50)
        .connect_once()
        .expect("connect");
    for tenant in &schemas.names {
        both_shapes(&mut conn, tenant).expect("reads");
    }
    assert_eq!(server_statements(&mut conn), 8);
    conn.set_prepared_statement_cache_size(CacheSize::Disabled);
    for tenant in &schemas.names {
        assert_eq!(both_shapes(&mut conn, tenant).expect("reads").0, *tenant);
    }
    assert_eq!(server_statements(&mut conn), 0);
    conn.set_prepared_statement_cache_size(CacheSize::Unbounded);
    both_shapes(&mut conn, &schemas.names[0]).expect("reads");
    assert_eq!(server_statements(&mut conn), 2);
    assert_eq!(conn.statement_cache_limit(), 50);
}

/// A reset that the server refuses (inside a failed transaction) forgets
/// nothing: after the rollback, the cached statements still run.
#[test]
fn a_refused_reset_keeps_client_and_server_in_step() {
    let schemas = tenants_with_one_author(3);
    let mut conn = ConnectionManager::<PgConnection>::new(pg_url())
        .statement_cache_limit(2)
        .connect_once()
        .expect("connect");
    both_shapes(&mut conn, &schemas.names[0]).expect("reads");
    let failed = conn.transaction::<(), diesel::result::Error, _>(|c| {
        let _ = c.batch_execute("SELECT 1/0");
        // The limit is reached: the next query must reset, and the server
        // refuses any statement until the rollback.
        let e = both_shapes(c, &schemas.names[1]).expect_err("failed transaction");
        assert!(
            e.to_string().contains("current transaction is aborted"),
            "{e}"
        );
        Err(e)
    });
    assert!(failed.is_err());
    for tenant in &schemas.names {
        assert_eq!(
            both_shapes(&mut conn, tenant)
                .expect("reads after rollback")
                .0,
            *tenant
        );
        assert!(server_statements(&mut conn) <= 2);
    }
}

/// Every borrower starts with an empty `search_path` (the default), whatever
/// the previous borrower set at session level; with `empty_search_path(false)`
/// it starts with the server's default.
#[test]
fn every_checkout_starts_with_the_same_search_path() {
    let pool = pool(ConnectionManager::<PgConnection>::new(pg_url()), 1);
    {
        let mut conn = pool.get().expect("checkout");
        assert_eq!(search_path(&mut conn), "\"\"");
        conn.batch_execute("SET search_path TO some_tenant")
            .expect("set");
    }
    let mut conn = pool.get().expect("checkout");
    assert_eq!(search_path(&mut conn), "\"\"");
    // An unscoped query fails loudly instead of reading some schema.
    let err = ms_authors::table
        .count()
        .get_result::<i64>(&mut conn)
        .expect_err("no table");
    assert!(
        err.to_string()
            .contains("relation \"ms_authors\" does not exist"),
        "{err}"
    );
    drop(conn);

    let mut direct = pg_connect();
    let default = search_path(&mut direct);
    let pool = pool_of(ConnectionManager::<PgConnection>::new(pg_url()).empty_search_path(false));
    {
        let mut conn = pool.get().expect("checkout");
        assert_eq!(search_path(&mut conn), default);
        conn.batch_execute("SET search_path TO some_tenant")
            .expect("set");
    }
    let mut conn = pool.get().expect("checkout");
    assert_eq!(search_path(&mut conn), default);
}

fn pool_of(
    manager: ConnectionManager<PgConnection>,
) -> r2d2::Pool<ConnectionManager<PgConnection>> {
    pool(manager, 1)
}

/// A connection left inside a transaction (a borrower that panicked) is never
/// handed out again.
#[test]
fn a_connection_left_in_a_transaction_is_discarded() {
    let pool = pool(ConnectionManager::<PgConnection>::new(pg_url()), 1);
    let mut conn = pool.get().expect("checkout");
    let pid_before = backend_pid(&mut conn);
    use diesel::connection::TransactionManager;
    diesel::connection::AnsiTransactionManager::begin_transaction(&mut **conn).expect("begin");
    drop(conn);
    let mut conn = pool.get().expect("checkout");
    assert_ne!(
        backend_pid(&mut conn),
        pid_before,
        "the broken connection was reused"
    );
}

/// Behind a pooler, ryx cannot set the `search_path`: asked for an empty one,
/// it checks what the server gives and refuses a non-empty one, saying how to
/// configure it.
#[test]
fn empty_search_path_behind_a_pooler_is_checked_not_set() {
    let err = ConnectionManager::<PgConnection>::new(pg_url())
        .transaction_pooler(true)
        .empty_search_path(true)
        .connect_once()
        .expect_err("the server's default search_path is not empty");
    let message = err.to_string();
    assert!(
        matches!(err, ryx::pool::Error::SearchPathNotEmpty { .. }),
        "{message}"
    );
    assert!(message.contains("ALTER ROLE"), "{message}");

    // Without asking, pooler mode leaves the server's setting alone.
    let mut conn = ConnectionManager::<PgConnection>::new(pg_url())
        .transaction_pooler(true)
        .connect_once()
        .expect("connect");
    assert_eq!(search_path(&mut conn), search_path(&mut pg_connect()));
    assert!(ryx::pool::behind_transaction_pooler(&mut conn));
    assert!(!ryx::pool::behind_transaction_pooler(&mut pg_connect()));
}

/// An unreachable server: the error names the URL (without its password) and
/// what to check, and r2d2 reports the same text.
#[test]
fn an_unreachable_server_fails_with_a_clear_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let url = format!("postgres://app:s3cret@127.0.0.1:{port}/test");
    let err = ConnectionManager::<PgConnection>::new(&url)
        .connect_once()
        .expect_err("nothing listens there");
    let message = err.to_string();
    assert!(
        message.contains(&format!("postgres://app:***@127.0.0.1:{port}/test")),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
    assert!(
        message.contains("check that the server is running"),
        "{message}"
    );

    let pool_err = r2d2::Pool::builder()
        .connection_timeout(std::time::Duration::from_millis(300))
        .build(ConnectionManager::<PgConnection>::new(&url))
        .expect_err("no server");
    assert!(
        pool_err
            .to_string()
            .contains("check that the server is running"),
        "{pool_err}"
    );
}

/// Instrumentation set on the pooled connection still sees every event, and
/// the bound still counts.
#[test]
fn user_instrumentation_sees_every_query() {
    use std::sync::{Arc, Mutex};
    let schemas = tenants_with_one_author(2);
    let seen = Arc::new(Mutex::new(0_usize));
    let mut conn: ManagedConnection<PgConnection> = ConnectionManager::new(pg_url())
        .statement_cache_limit(2)
        .connect_once()
        .expect("connect");
    let counter = Arc::clone(&seen);
    conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            *counter.lock().expect("lock") += 1;
        }
    });
    for tenant in &schemas.names {
        both_shapes(&mut conn, tenant).expect("reads");
    }
    assert!(*seen.lock().expect("lock") >= 4);
    assert!(server_statements(&mut conn) <= 2);
}

/// `ManagedConnection::establish` gives a connection with the manager's
/// defaults; it works where diesel wants a `Connection` type.
#[test]
fn a_managed_connection_is_a_diesel_connection() {
    let schemas = tenants_with_one_author(1);
    let mut conn = ManagedConnection::<PgConnection>::establish(&pg_url()).expect("connect");
    assert_eq!(conn.statement_cache_limit(), 100);
    let tenant = &schemas.names[0];
    let n = conn
        .transaction(|c| {
            ryx::insert_into(ms_authors::table.in_schema(tenant))
                .values(ms_authors::name.eq("second"))
                .execute(c)?;
            ms_authors::table
                .in_schema(tenant)
                .count()
                .get_result::<i64>(c)
        })
        .expect("transaction");
    assert_eq!(n, 2);
    // Deref to the connection inside for PostgreSQL's own methods.
    let inner: &mut PgConnection = &mut conn;
    inner
        .build_transaction()
        .read_only()
        .run(|c| {
            ms_authors::table
                .in_schema(tenant)
                .count()
                .get_result::<i64>(c)
        })
        .expect("read-only transaction");
}

/// A borrower that turned the statement cache off does not pass that on: the
/// next borrower has the manager's settings again.
#[test]
fn the_next_borrower_gets_the_managers_statement_settings() {
    let schemas = tenants_with_one_author(2);
    let pool = pool(
        ConnectionManager::<PgConnection>::new(pg_url()).statement_cache_limit(10),
        1,
    );
    {
        let mut conn = pool.get().expect("checkout");
        conn.set_prepared_statement_cache_size(CacheSize::Disabled);
        assert_eq!(conn.statement_cache_limit(), 0);
        both_shapes(&mut conn, &schemas.names[0]).expect("reads");
        assert_eq!(server_statements(&mut conn), 0);
    }
    let mut conn = pool.get().expect("checkout");
    assert_eq!(conn.statement_cache_limit(), 10);
    both_shapes(&mut conn, &schemas.names[1]).expect("reads");
    assert_eq!(server_statements(&mut conn), 2);
}

/// A transaction begun with raw SQL (which diesel does not track) and left
/// open: the connection is discarded when it returns, so the next borrower
/// cannot commit it.
#[test]
fn a_raw_begin_left_open_is_discarded() {
    let schemas = tenants_with_one_author(1);
    let tenant = &schemas.names[0];
    let pool = pool(ConnectionManager::<PgConnection>::new(pg_url()), 1);
    let pid_before = {
        let mut conn = pool.get().expect("checkout");
        let pid = backend_pid(&mut conn);
        conn.batch_execute(&format!(
            "BEGIN; INSERT INTO {}.ms_authors (name) VALUES ('left open')",
            ryx::quote_identifier(tenant, '"')
        ))
        .expect("raw begin");
        pid
    };
    let mut conn = pool.get().expect("checkout");
    assert_ne!(
        backend_pid(&mut conn),
        pid_before,
        "the connection was reused"
    );
    conn.transaction(|c| {
        ryx::insert_into(ms_authors::table.in_schema(tenant))
            .values(ms_authors::name.eq("mine"))
            .execute(c)
    })
    .expect("the next borrower's transaction");
    let names: Vec<String> = ms_authors::table
        .in_schema(tenant)
        .select(ms_authors::name)
        .order(ms_authors::id)
        .load(&mut pg_connect())
        .expect("read");
    assert_eq!(
        names,
        [tenant.as_str(), "mine"],
        "the left-open insert was never committed"
    );
}

/// The reset happens when a connection returns, so it holds without r2d2's
/// checkout test too.
#[test]
fn the_reset_holds_without_r2d2s_checkout_test() {
    let pool = r2d2::Pool::builder()
        .max_size(1)
        .test_on_check_out(false)
        .build(ConnectionManager::<PgConnection>::new(pg_url()))
        .expect("pool");
    let pid = {
        let mut conn = pool.get().expect("checkout");
        conn.batch_execute("SET search_path TO some_tenant")
            .expect("set");
        backend_pid(&mut conn)
    };
    let mut conn = pool.get().expect("checkout");
    assert_eq!(backend_pid(&mut conn), pid, "the same connection, cleaned");
    assert_eq!(search_path(&mut conn), "\"\"");
}

/// Whatever a borrower does to the connection inside (through `Deref`), the
/// next borrower gets the manager's safeguards back: ryx's statement counter
/// (and so `behind_transaction_pooler`), no named statements in pooler mode,
/// and the bound.
#[test]
fn a_borrower_cannot_switch_off_the_safeguards_for_the_next() {
    let schemas = tenants_with_one_author(30);

    // pooler mode: the borrower turns named statements on and replaces the
    // instrumentation on the connection inside
    let pooled = pool(
        ConnectionManager::<PgConnection>::new(pg_url()).transaction_pooler(true),
        1,
    );
    {
        let mut conn = pooled.get().expect("checkout");
        let inner: &mut PgConnection = &mut conn;
        inner.set_prepared_statement_cache_size(CacheSize::Unbounded);
        inner.set_instrumentation(|_: diesel::connection::InstrumentationEvent<'_>| {});
        assert!(!ryx::pool::behind_transaction_pooler(&mut conn));
        both_shapes(&mut conn, &schemas.names[0]).expect("reads");
        assert_eq!(
            server_statements(&mut conn),
            2,
            "named statements were made"
        );
    }
    let mut conn = pooled.get().expect("checkout");
    assert!(ryx::pool::behind_transaction_pooler(&mut conn));
    let before = server_statements(&mut conn);
    both_shapes(&mut conn, &schemas.names[1]).expect("reads");
    assert_eq!(
        server_statements(&mut conn),
        before,
        "no new named statement"
    );
    drop(conn);

    // direct, limit 10: code that takes `&mut PgConnection` goes past the
    // bound; the connection is brought back under it when it returns
    fn visit(conn: &mut PgConnection, tenants: &[String]) {
        for t in tenants {
            both_shapes(conn, t).expect("reads");
        }
    }
    let pooled = pool(
        ConnectionManager::<PgConnection>::new(pg_url()).statement_cache_limit(10),
        1,
    );
    {
        let mut conn = pooled.get().expect("checkout");
        visit(&mut conn, &schemas.names);
        let inner: &mut PgConnection = &mut conn;
        assert_eq!(server_statements(inner), 60, "past the bound through Deref");
    }
    let mut conn = pooled.get().expect("checkout");
    let inner: &mut PgConnection = &mut conn;
    assert!(server_statements(inner) <= 10);
}
