//! What differs per backend: how statements are freed on the server, how a
//! session is readied when it opens, and how it is cleaned when it returns to
//! the pool.

use diesel::connection::{Connection, LoadConnection};
use diesel::r2d2::R2D2Connection;
use diesel::QueryResult;

use crate::error::Error;

/// The settings a manager gives each connection it opens (ryx's plumbing;
/// set through [`ConnectionManager`](crate::ConnectionManager)).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub(crate) statement_cache_limit: usize,
    pub(crate) transaction_pooler: bool,
    /// `None`: the default (on for direct PostgreSQL connections, off behind a pooler).
    pub(crate) empty_search_path: Option<bool>,
}

impl Settings {
    pub(crate) const DEFAULT_STATEMENT_CACHE_LIMIT: usize = 100;

    pub(crate) fn new() -> Self {
        Settings {
            statement_cache_limit: Self::DEFAULT_STATEMENT_CACHE_LIMIT,
            transaction_pooler: false,
            empty_search_path: None,
        }
    }

    /// Whether diesel may cache (name) prepared statements at all.
    pub(crate) fn caches_statements(&self) -> bool {
        !self.transaction_pooler && self.statement_cache_limit > 0
    }

    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn wants_empty_search_path(&self) -> bool {
        self.empty_search_path.unwrap_or(!self.transaction_pooler)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A diesel connection ryx's pool can manage: `PgConnection`,
/// `MysqlConnection` or `SqliteConnection` (each behind its cargo feature).
///
/// Sealed: its methods are ryx's plumbing.
#[diagnostic::on_unimplemented(
    message = "ryx's connection manager cannot manage a `{Self}`",
    note = "use diesel::PgConnection, diesel::MysqlConnection or diesel::SqliteConnection, with the matching cargo feature of `ryx`"
)]
pub trait PoolBackend:
    Connection + LoadConnection + R2D2Connection + Send + 'static + sealed::Sealed
{
    /// Frees the prepared statements the server holds for this session, after
    /// diesel's handles to them are dropped.
    #[doc(hidden)]
    fn release_server_statements(conn: &mut Self) -> QueryResult<()> {
        let _ = conn;
        Ok(())
    }

    /// Readies a newly opened connection.
    #[doc(hidden)]
    fn on_connect(conn: &mut Self, settings: &Settings) -> Result<(), Error> {
        let _ = (conn, settings);
        Ok(())
    }

    /// Cleans a connection that returns to the pool, for its next borrower.
    /// An error means the connection must not be reused: it is still inside a
    /// transaction that diesel does not track (a raw `BEGIN`), or the reset
    /// failed.
    #[doc(hidden)]
    fn on_checkin(conn: &mut Self, settings: &Settings) -> QueryResult<()>;
}

#[cfg(feature = "postgres")]
mod pg {
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::Text;
    use diesel::{PgConnection, QueryResult, QueryableByName, RunQueryDsl};

    use super::{sealed, PoolBackend, Settings};
    use crate::error::Error;

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        value: String,
    }

    /// `''` as `current_setting('search_path')` prints it.
    fn is_empty_search_path(value: &str) -> bool {
        matches!(value.trim(), "" | "\"\"")
    }

    /// Fails inside a transaction block. Sent alone in a simple-protocol
    /// message, a statement outside a block starts its own transaction, whose
    /// start time is the message's; inside a block the transaction started
    /// with an earlier message.
    const REFUSE_OPEN_TRANSACTION: &str = "DO $ryx$BEGIN \
         IF pg_catalog.transaction_timestamp() <> pg_catalog.statement_timestamp() THEN \
         RAISE EXCEPTION 'ryx: a transaction begun with raw SQL was left open on this pooled connection'; \
         END IF; END$ryx$";

    impl sealed::Sealed for PgConnection {}

    impl PoolBackend for PgConnection {
        fn release_server_statements(conn: &mut Self) -> QueryResult<()> {
            // diesel forgets its handles without telling the server.
            conn.batch_execute("DEALLOCATE ALL")
        }

        fn on_connect(conn: &mut Self, settings: &Settings) -> Result<(), Error> {
            if settings.transaction_pooler {
                // No session state behind a pooler: only check what the server gives.
                if settings.empty_search_path == Some(true) {
                    let found = diesel::sql_query(
                        "SELECT pg_catalog.current_setting('search_path') AS value",
                    )
                    .get_result::<Setting>(conn)
                    .map_err(Error::setup("read search_path"))?
                    .value;
                    if !is_empty_search_path(&found) {
                        return Err(Error::SearchPathNotEmpty { found });
                    }
                }
                return Ok(());
            }
            if settings.wants_empty_search_path() {
                conn.batch_execute("SET search_path TO ''")
                    .map_err(Error::setup("set an empty search_path"))?;
            }
            Ok(())
        }

        fn on_checkin(conn: &mut Self, settings: &Settings) -> QueryResult<()> {
            // One round trip: undo a borrower's session-level `SET
            // search_path` (never behind a pooler, which keeps no session for
            // us), and refuse a connection left inside a raw `BEGIN`.
            let reset = if settings.transaction_pooler {
                ""
            } else if settings.wants_empty_search_path() {
                "SET search_path TO ''; "
            } else {
                "RESET search_path; "
            };
            conn.batch_execute(&format!("{REFUSE_OPEN_TRANSACTION}; {reset}"))
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use diesel::sql_types::BigInt;
    use diesel::{MysqlConnection, QueryResult, QueryableByName, RunQueryDsl};

    use super::{sealed, PoolBackend, Settings};

    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    impl sealed::Sealed for MysqlConnection {}

    /// Dropping diesel's statement handles closes them on the server.
    impl PoolBackend for MysqlConnection {
        fn on_checkin(conn: &mut Self, _settings: &Settings) -> QueryResult<()> {
            // MariaDB says whether a transaction is open; MySQL has no such
            // variable, and lists a transaction once it has touched a table.
            let open = match diesel::sql_query("SELECT CAST(@@in_transaction AS SIGNED) AS n")
                .get_result::<Number>(conn)
            {
                Ok(row) => row.n,
                Err(_) => {
                    diesel::sql_query(
                        "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX \
                         WHERE trx_mysql_thread_id = CONNECTION_ID()",
                    )
                    .get_result::<Number>(conn)?
                    .n
                }
            };
            if open != 0 {
                return Err(diesel::result::Error::AlreadyInTransaction);
            }
            Ok(())
        }
    }
}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for diesel::SqliteConnection {}
/// SQLite's statements live in the process; dropping them frees them.
#[cfg(feature = "sqlite")]
impl PoolBackend for diesel::SqliteConnection {
    /// Pooled connections to one file write concurrently: wait up to
    /// [`SQLITE_BUSY_TIMEOUT_MS`] for another writer instead of failing at once
    /// with "database is locked".
    fn on_connect(conn: &mut Self, settings: &Settings) -> Result<(), Error> {
        use diesel::connection::SimpleConnection;
        let _ = settings;
        conn.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"))
            .map_err(Error::setup("set SQLite's busy_timeout"))
    }

    fn on_checkin(conn: &mut Self, _settings: &Settings) -> QueryResult<()> {
        use diesel::connection::SimpleConnection;
        // `BEGIN` fails inside a transaction; otherwise it takes no lock.
        conn.batch_execute("BEGIN DEFERRED; ROLLBACK")
    }
}

/// How long a pooled SQLite connection waits for another writer (ms).
#[cfg(feature = "sqlite")]
pub const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
