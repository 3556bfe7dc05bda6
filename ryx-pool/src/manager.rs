//! `ConnectionManager<C>`: ryx's r2d2 connection manager.

use std::fmt;
use std::marker::PhantomData;

use diesel::r2d2::{ManageConnection, R2D2Connection};

use crate::backend::{PoolBackend, Settings};
use crate::connection::ManagedConnection;
use crate::error::{redact_url, Error};

/// The r2d2 connection manager for tenant connections.
///
/// ```no_run
/// use diesel::PgConnection;
///
/// let manager = ryx_pool::ConnectionManager::<PgConnection>::new("postgres://app@db/app")
///     .statement_cache_limit(256)  // prepared statements per connection, client and server side
///     .transaction_pooler(false)   // true behind PgBouncer in transaction/statement mode
///     .empty_search_path(true);    // a forgotten .in_schema fails loudly
/// let pool = r2d2::Pool::builder().max_size(16).build(manager)?;
/// let mut conn = pool.get()?;      // a diesel connection: ryx and diesel code runs on it unchanged
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Defaults, chosen so that a pool is safe without configuration on a direct
/// connection:
///
/// | setting | default | why |
/// |---|---|---|
/// | [`statement_cache_limit`](Self::statement_cache_limit) | 100 | scoped statements differ per tenant; ~12 KiB of server memory each |
/// | [`transaction_pooler`](Self::transaction_pooler) | `false` | ryx cannot detect a pooler; turn it on behind one |
/// | [`empty_search_path`](Self::empty_search_path) | on (PostgreSQL, direct) | an unscoped query fails instead of reading another schema |
/// | SQLite `busy_timeout` | 5 s | pooled connections to one file wait for each other's writes instead of failing with "database is locked" |
///
/// **When a connection returns to the pool** it is cleaned for the next
/// borrower: discarded if a transaction is still open (diesel's, or one begun
/// with raw SQL), else its `search_path` reset (direct connections), its
/// statement settings and bound restored, and ryx's instrumentation put back
/// (a borrower's own instrumentation lasts for its borrow). This does not
/// depend on r2d2's `test_on_check_out`, whose check is a plain ping.
///
/// **Behind PgBouncer in transaction or statement mode, set
/// `transaction_pooler(true)`**: the pooler runs each transaction on whichever
/// server connection is free, so a named prepared statement or a session `SET`
/// made by one client reaches the others (with diesel's own manager, tenants
/// read each other's rows there). With it, no statement is named and ryx sets
/// no session state.
pub struct ConnectionManager<C> {
    url: String,
    settings: Settings,
    _connection: PhantomData<fn() -> C>,
}

impl<C> ConnectionManager<C> {
    /// A manager that opens connections to `database_url`, with the defaults
    /// above.
    pub fn new(database_url: impl Into<String>) -> Self {
        ConnectionManager {
            url: database_url.into(),
            settings: Settings::new(),
            _connection: PhantomData,
        }
    }

    /// The most prepared statements a connection keeps, on the client and on
    /// the server. Default: 100.
    ///
    /// When a connection has cached `limit` statements, it frees all of them
    /// before its next query (PostgreSQL: `DEALLOCATE ALL`) and prepares them
    /// again as they are used. `0` means no statement is cached: each query is
    /// prepared unnamed and planned every time, as in
    /// [`transaction_pooler`](Self::transaction_pooler) mode.
    pub fn statement_cache_limit(mut self, limit: usize) -> Self {
        self.settings.statement_cache_limit = limit;
        self
    }

    /// Whether connections go through a transaction pooler (PgBouncer with
    /// `pool_mode = transaction` or `statement`). Default: `false`.
    ///
    /// When on, no prepared statement is named (each query is sent as an
    /// unnamed statement, which any server connection accepts), the
    /// `search_path` is never set, and ryx's migration runners refuse the steps that need session state (see
    /// `ryx::migrate`). A session-mode pooler needs none of this.
    pub fn transaction_pooler(mut self, on: bool) -> Self {
        self.settings.transaction_pooler = on;
        self
    }

    /// Whether PostgreSQL connections have an empty `search_path`, so that a
    /// query on a plain, unscoped table fails (`relation "posts" does not
    /// exist`) instead of reading whatever schema the server's default names.
    /// Built-in functions still resolve (`pg_catalog` is always searched).
    /// Ignored on SQLite and MySQL.
    ///
    /// Default: on for direct connections, where ryx sets it when a connection
    /// opens and again whenever it returns to the pool (which also undoes a
    /// borrower's session-level `SET search_path`); off with
    /// [`transaction_pooler`](Self::transaction_pooler), where `true` makes
    /// ryx check that the server already gives sessions an empty
    /// `search_path` (`ALTER ROLE app SET search_path = ''`) and refuse to
    /// connect otherwise. With `false` on a direct connection, a returning
    /// connection gets the session's default `search_path` back
    /// (`RESET search_path`).
    pub fn empty_search_path(mut self, on: bool) -> Self {
        self.settings.empty_search_path = Some(on);
        self
    }

    /// Opens one connection with these settings, without a pool: for a
    /// service that wants to fail fast on a bad URL or setting (r2d2's
    /// `Pool::build` retries for its connection timeout, 30 s by default,
    /// before it reports).
    pub fn connect_once(&self) -> Result<ManagedConnection<C>, Error>
    where
        C: PoolBackend,
    {
        ManagedConnection::open(&self.url, self.settings)
    }
}

impl<C> Clone for ConnectionManager<C> {
    fn clone(&self) -> Self {
        ConnectionManager {
            url: self.url.clone(),
            settings: self.settings,
            _connection: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ConnectionManager<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("connection", &std::any::type_name::<C>())
            .field("url", &redact_url(&self.url))
            .field(
                "statement_cache_limit",
                &self.settings.statement_cache_limit,
            )
            .field("transaction_pooler", &self.settings.transaction_pooler)
            .field("empty_search_path", &self.settings.empty_search_path)
            .finish()
    }
}

impl<C: PoolBackend> ManageConnection for ConnectionManager<C> {
    type Connection = ManagedConnection<C>;
    type Error = Error;

    fn connect(&self) -> Result<ManagedConnection<C>, Error> {
        self.connect_once()
    }

    /// r2d2's check at checkout (when `test_on_check_out` is on, its
    /// default): a ping. The cleaning happens when the connection returns.
    fn is_valid(&self, conn: &mut ManagedConnection<C>) -> Result<(), Error> {
        conn.ping().map_err(Error::setup("check the connection"))
    }

    /// Runs when a connection returns to the pool: it is discarded if a
    /// transaction is still open (diesel's or one begun with raw SQL) or if
    /// cleaning it for the next borrower fails (see the settings above).
    fn has_broken(&self, conn: &mut ManagedConnection<C>) -> bool {
        std::thread::panicking() || conn.is_broken() || conn.reset_for_next_borrower().is_err()
    }
}
