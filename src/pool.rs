//! Tenant-safe connection pools: ryx's r2d2 connection manager.
//!
//! Build pools with [`ConnectionManager`]; it bounds each connection's
//! prepared statements (on the server too), has a transaction-pooler mode for
//! PgBouncer, and gives PostgreSQL connections an empty `search_path`. See its
//! docs for every default, and "Guarantees" in the README for the tests behind
//! each promise.
//!
//! ```
//! use ryx::pool::{ConnectionManager, Pool};
//! use ryx::prelude::*;
//!
//! ryx::ryx_table! { notes (id) { id -> Int8, title -> Varchar, } }
//!
//! // SQLite here; PgConnection and MysqlConnection alike.
//! let manager = ConnectionManager::<SqliteConnection>::new(":memory:").statement_cache_limit(50);
//! let pool = Pool::builder().max_size(1).build(manager)?;
//! let mut conn = pool.get()?; // a diesel connection
//! diesel::sql_query("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
//!     .execute(&mut conn)?;
//! ryx::insert_into(notes::table.in_schema("acme"))
//!     .values(notes::title.eq("hello"))
//!     .execute(&mut conn)?;
//! let titles: Vec<String> = notes::table.in_schema("acme").select(notes::title).load(&mut conn)?;
//! assert_eq!(titles, ["hello"]);
//! assert!(conn.cached_statements() <= conn.statement_cache_limit());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Behind PgBouncer in transaction or statement mode, build the manager with
//! `.transaction_pooler(true)`**; diesel's own `r2d2::ConnectionManager` is not
//! safe there (its named prepared statements cross between clients, and
//! tenants read each other's rows).

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use ryx_pool::EmptySearchPath;

/// r2d2's pool and pooled connection, re-exported so that a service needs no
/// `r2d2` dependency of its own.
pub use r2d2::{Pool, PooledConnection};
pub use ryx_pool::{
    behind_transaction_pooler, ConnectionManager, Error, ManagedConnection,
    ManagedTransactionManager, PoolBackend,
};
