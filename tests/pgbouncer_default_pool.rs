//! Why diesel's plain r2d2 manager is unsafe behind PgBouncer in transaction
//! mode, and what keeps tenants apart there.
//!
//! diesel caches named prepared statements (`__diesel_stmt_N`, numbered per
//! client connection in order of first use): it sends `Parse` in one round trip
//! and `Bind`/`Execute` in the next. A transaction pooler hands each of those to
//! whichever server connection is free, so the client's `__diesel_stmt_N` is
//! missing there (an error), or holds the SQL another client prepared under the
//! same name — another tenant's `SELECT`, whose rows come back as if they were
//! this tenant's, or another tenant's `INSERT`, which writes this tenant's row
//! into that tenant's schema. Schema-qualified SQL does not help when the
//! statement that runs is not the one that was sent. With diesel's statement
//! cache disabled every statement is one unnamed `Parse`/`Bind`/`Execute` round
//! trip (`PQsendQueryParams`), which PgBouncer keeps on one server connection.
//!
//! Each test runs its own PgBouncer (3 server connections) in front of 12 fresh
//! tenant schemas, and 8 threads sharing an 8-connection r2d2 pool serve 150
//! requests each, rotating over the tenants (see `common::tenant_load`).
//!
//! r2d2's default `test_on_check_out` makes it worse and less predictable:
//! diesel's checkout ping (`SELECT 1`) is itself a named statement,
//! `__diesel_stmt_1` on every connection. Once the server connections hold
//! one, a new client connection's ping fails (`prepared statement
//! "__diesel_stmt_1" already exists`), r2d2 drops it and opens another, and
//! so on: measured 1.1k–4.4k reconnects per 1,200 requests, with only the
//! (at most 3) client connections whose first ping got through serving
//! requests. When that is a single connection, its statements rarely collide
//! with another client's numbering, and the run shows errors with few or no
//! foreign rows (0 and 11 foreign reads, no foreign writes, in 2 of about 100
//! runs). Without the checkout test all 8 connections live, and reads and
//! writes cross tenants every run.
//!
//! Which statements diesel caches matters too: selects and single-row inserts
//! whose values are a tuple of `column.eq(..)` are named statements; an insert
//! of a derived `Insertable` struct is never cached on PostgreSQL (its values
//! are "defaultable"), and updates never are. With struct inserts the default
//! pool measured 430–540 failed requests, 190–380 foreign reads and no foreign
//! writes.
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

use common::pgbouncer::PgBouncer;
use common::tenant_load::{self, LoadOutcome};
use common::{pg_connect, PgSchemas};
use diesel::connection::CacheSize;
use diesel::r2d2::{Builder, ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection};

const TENANTS: usize = 12;
const SERVER_CONNECTIONS: u32 = 3;
const CLIENT_CONNECTIONS: u32 = 8;
const REQUESTS_PER_CLIENT: usize = 150;

type Manager = ConnectionManager<PgConnection>;

/// diesel's statement cache off for every pooled connection: unnamed statements.
#[derive(Debug, Clone, Copy)]
struct NoStatementCache;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for NoStatementCache {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.set_prepared_statement_cache_size(CacheSize::Disabled);
        Ok(())
    }
}

/// The load through a fresh PgBouncer, on fresh schemas, with an r2d2 pool of
/// diesel's manager (`configure` adjusts the builder; max_size is set here).
/// Everything is removed afterwards: pool, then schemas, then PgBouncer.
fn load_through_pgbouncer(
    label: &str,
    configure: impl FnOnce(Builder<Manager>) -> Builder<Manager>,
) -> LoadOutcome {
    let bouncer = PgBouncer::start(SERVER_CONNECTIONS);
    // set up over a direct connection, not through the pooler under test
    let schemas = PgSchemas::with_tables(&mut pg_connect(), TENANTS);
    let tenants = tenant_load::seed(&mut pg_connect(), &schemas.names);
    let pool = configure(Pool::builder())
        .max_size(CLIENT_CONNECTIONS)
        .build(Manager::new(bouncer.url()))
        .unwrap_or_else(|e| {
            panic!(
                "pool through PgBouncer: {e}\nPgBouncer log:\n{}",
                bouncer.log()
            )
        });
    let outcome = tenant_load::run(
        &pool,
        &tenants,
        CLIENT_CONNECTIONS as usize,
        REQUESTS_PER_CLIENT,
    );
    drop(pool);
    println!("{label}: {outcome:#?}");
    assert_eq!(
        outcome.requests,
        CLIENT_CONNECTIONS as usize * REQUESTS_PER_CLIENT
    );
    outcome
}

/// The documented danger, with diesel's manager and r2d2's defaults: requests
/// fail (hundreds every run: 670–1,080 of 1,200 measured) and, in nearly every
/// run, reads return other tenants' rows and inserts land in other tenants'
/// schemas (see the module docs for the runs that show errors only).
#[test]
fn diesel_default_pool_behind_transaction_pooler_mixes_tenants() {
    let outcome = load_through_pgbouncer("default pool", |builder| builder);
    assert!(
        outcome.errors > 0,
        "expected failed requests (prepared statement ... does not exist): {outcome:#?}"
    );
    assert!(outcome.errors + outcome.foreign_rows > 0, "{outcome:#?}");
}

/// The same pool without r2d2's checkout ping keeps all 8 client connections,
/// and tenants cross every run: measured 100–235 foreign reads and 90–200
/// foreign writes per 1,200 requests (45 runs), besides 770–930 failed requests.
#[test]
fn diesel_pool_without_checkout_test_behind_transaction_pooler_crosses_tenants_every_run() {
    let outcome = load_through_pgbouncer("no checkout test", |builder| {
        builder.test_on_check_out(false)
    });
    assert!(outcome.errors > 0, "expected failed requests: {outcome:#?}");
    assert!(
        outcome.foreign_rows > 0,
        "expected reads that returned another tenant's rows: {outcome:#?}"
    );
    assert!(
        outcome.foreign_writes > 0,
        "expected inserts that landed in another tenant's schema: {outcome:#?}"
    );
}

/// With diesel's statement cache disabled on every pooled connection, the same
/// load (r2d2's defaults otherwise) keeps every tenant's reads and writes in
/// its own schema and nothing fails.
#[test]
fn uncached_statements_behind_transaction_pooler_keep_tenants_apart() {
    let outcome = load_through_pgbouncer("uncached", |builder| {
        builder.connection_customizer(Box::new(NoStatementCache))
    });
    assert!(outcome.is_clean(), "{outcome:#?}");
}
