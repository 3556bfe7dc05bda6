//! [`MigrationBackend`], the one trait the runners call on a backend (catalog
//! reads with bound parameters, the history table, locked transactions; shared
//! logic in default methods), and the error of its locked transactions.

use diesel::connection::{Connection, LoadConnection, TransactionManager};
use diesel::QueryResult;

use super::catalog::{LiveColumn, LiveForeignKey};
use super::history::HistoryRow;
use super::kind::Backend;

/// Keeps [`MigrationBackend`] to the backends ryx implements it for.
pub(super) mod sealed {
    /// Implemented for diesel's `Pg`, `Mysql` and `Sqlite`, next to their
    /// `MigrationBackend` impls.
    pub trait Sealed {}
}

/// Failure inside a locked transaction: the database's, or ryx's own. Internal.
#[doc(hidden)]
#[derive(Debug)]
pub enum TxError {
    /// The database refused a statement.
    Db(diesel::result::Error),
    /// ryx refused to go on.
    Ryx(crate::Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(e)
    }
}

impl From<crate::Error> for TxError {
    fn from(e: crate::Error) -> Self {
        TxError::Ryx(e)
    }
}

/// A diesel backend ryx can migrate: PostgreSQL, MySQL/MariaDB or SQLite.
///
/// Implemented for diesel's `Pg`, `Mysql` and `Sqlite` (each behind its cargo
/// feature); the runners accept any connection of these backends
/// (`PgConnection`, r2d2's pooled connections, ..) through
/// [`RunnerConnection`](crate::RunnerConnection). The trait is sealed: it
/// cannot be implemented outside ryx, and its methods are ryx's internal
/// plumbing (hidden from the docs, not covered by semver).
#[diagnostic::on_unimplemented(
    message = "ryx cannot migrate a `{Self}` database",
    note = "ryx migrates PostgreSQL, MySQL/MariaDB and SQLite; enable the matching cargo feature of `ryx`"
)]
pub trait MigrationBackend: diesel::backend::Backend + Sized + sealed::Sealed {
    /// Which backend this is.
    const KIND: Backend;

    /// The modelled tables that exist in `schema`.
    #[doc(hidden)]
    fn live_tables<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// The columns of `schema.table`, in order.
    #[doc(hidden)]
    fn live_columns<C>(conn: &mut C, schema: &str, table: &str) -> QueryResult<Vec<LiveColumn>>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// The index names of `schema.table`.
    #[doc(hidden)]
    fn live_indexes<C>(conn: &mut C, schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// The names of the check constraints of `schema.table`.
    #[doc(hidden)]
    fn live_checks<C>(conn: &mut C, schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// The single-column foreign keys of `schema.table`, with their actions.
    #[doc(hidden)]
    fn live_foreign_keys<C>(
        conn: &mut C,
        schema: &str,
        table: &str,
    ) -> QueryResult<Vec<LiveForeignKey>>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// The invalid indexes of `schema` (PostgreSQL: `pg_index.indisvalid` is
    /// false), such as a failed `CREATE INDEX CONCURRENTLY` leaves behind;
    /// without `with_builds_in_progress`, not those another session is
    /// building right now (invalid until done, and nobody's leftovers). None
    /// on backends without them.
    #[doc(hidden)]
    fn invalid_indexes<C>(
        conn: &mut C,
        schema: &str,
        with_builds_in_progress: bool,
    ) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, schema, with_builds_in_progress);
        Ok(Vec::new())
    }

    /// The relations of `schema` a tenant check counts (PostgreSQL: tables,
    /// views, materialized views, foreign tables and sequences; elsewhere its
    /// tables).
    #[doc(hidden)]
    fn schema_relations<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        Self::live_tables(conn, schema)
    }

    /// Runs `f` under the schema's migration lock: inside one transaction that
    /// holds `pg_advisory_xact_lock` (PostgreSQL), `BEGIN IMMEDIATE` (SQLite), or
    /// `GET_LOCK` around a transaction (MySQL). With `transactional == false`
    /// the lock is held but no transaction is opened.
    ///
    /// On PostgreSQL a busy lock is waited for by retrying, each attempt a
    /// short transaction of its own (`pg_try_advisory_xact_lock`); `f` runs
    /// in the attempt that got it. The transaction is a savepoint when the
    /// caller has one open through diesel (the lock is then waited for in
    /// the blocking `pg_advisory_xact_lock` and held until the caller's
    /// transaction ends, like the changes it protects). The runners check
    /// before calling this that the connection's transaction state allows it
    /// (see `apply::refuse_open_transaction`).
    #[doc(hidden)]
    fn locked<C, T>(
        conn: &mut C,
        schema: &str,
        transactional: bool,
        f: impl FnOnce(&mut C) -> Result<T, TxError>,
    ) -> Result<T, TxError>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// What [`locked`](Self::locked) sends around its work, as statements for
    /// a dry run's script: `(before, after)`. PostgreSQL: `BEGIN` and
    /// `pg_advisory_xact_lock(key)` .. `COMMIT`, or `pg_advisory_lock(key)` ..
    /// `pg_advisory_unlock(key)` without a transaction; SQLite:
    /// `BEGIN IMMEDIATE` .. `COMMIT`, or nothing; MySQL: `GET_LOCK` .. `RELEASE_LOCK`
    /// around `BEGIN` .. `COMMIT` (or around nothing). The transaction is
    /// shown as the top-level one a run opens on a connection with no
    /// transaction of its own.
    #[doc(hidden)]
    fn locked_script(schema: &str, transactional: bool) -> (Vec<String>, Vec<String>);

    /// Sets `search_path` (a list of quoted schema names, the tenant first:
    /// `"acme", "public"`) for the current transaction (PostgreSQL:
    /// `set_config('search_path', .., true)`, i.e. `SET LOCAL`); nothing on
    /// backends without schemas.
    ///
    /// `SET LOCAL` lasts until the end of the top-level transaction, not of a
    /// savepoint: inside a transaction ryx does not own, use
    /// [`scoped_in_transaction`](Self::scoped_in_transaction), which puts the
    /// previous value back.
    #[doc(hidden)]
    fn scope_transaction<C>(conn: &mut C, search_path: &str) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, search_path);
        Ok(())
    }

    /// Sends `sql` (each element one batch) inside the current transaction
    /// (or savepoint), after setting `search_path` as
    /// [`scope_transaction`](Self::scope_transaction) sets it (when given)
    /// and sending `stamp` (when given: a statement of the same transaction,
    /// such as the history's [digest](super::digest)), then puts the
    /// `search_path` it found back, transaction-locally (PostgreSQL; `stamp`
    /// and `sql` alone elsewhere).
    ///
    /// When the caller has a transaction open, ryx's transaction is a
    /// savepoint in it, and a `SET LOCAL` made there would outlive the
    /// savepoint for the rest of the caller's transaction; restoring it
    /// locally leaves the caller's value in force there and never touches the
    /// session's own value. In ryx's own top-level transaction nothing needs
    /// restoring (its end discards the `SET LOCAL`), and PostgreSQL sends the
    /// `SET LOCAL`, `stamp` and the first element of `sql` as one batch. When
    /// a statement fails, nothing is restored here: the caller of this
    /// function rolls the transaction or savepoint back, which undoes the
    /// `SET LOCAL` itself.
    #[doc(hidden)]
    fn execute_in_transaction<C>(
        conn: &mut C,
        search_path: Option<&str>,
        stamp: Option<&str>,
        sql: &[&str],
    ) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = search_path;
        if let Some(stamp) = stamp {
            conn.batch_execute(stamp)?;
        }
        for s in sql {
            conn.batch_execute(s)?;
        }
        Ok(())
    }

    /// What a runner reads before its transaction, in as few round trips as
    /// the backend allows: the history of `schema` (empty without a history
    /// table) and, where one query can say it, the schema's relations (see
    /// [`schema_relations`](Self::schema_relations)) and whether a
    /// transaction diesel does not track is open (see
    /// [`untracked_transaction_open`](Self::untracked_transaction_open)).
    #[doc(hidden)]
    fn preflight<C>(conn: &mut C, schema: &str) -> QueryResult<Preflight>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let history = Self::read_history(conn, schema)?;
        Ok(Preflight {
            // an empty history may be no table: ensure_history will say
            history_table: !history.is_empty(),
            history,
            relations: None,
            untracked_transaction_open: None,
        })
    }

    /// Whether the server has a transaction open that diesel's transaction
    /// manager does not track (begun with raw SQL such as `BEGIN`). Asked only
    /// when diesel reports no transaction.
    #[doc(hidden)]
    fn untracked_transaction_open<C>(conn: &mut C) -> QueryResult<bool>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// Whether `schema` exists (always true on backends without schemas).
    #[doc(hidden)]
    fn schema_exists<C>(conn: &mut C, schema: &str) -> QueryResult<bool>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, schema);
        Ok(true)
    }

    /// Sets `search_path` (as [`scope_transaction`](Self::scope_transaction)
    /// takes it) for the session, outside a transaction (PostgreSQL), returning the previous setting to restore.
    /// Used only for `run_in_transaction = false` migrations, which cannot use
    /// `SET LOCAL`; the caller restores it on every path. Must not be called
    /// inside a transaction: the value read there may be a transaction-local
    /// one, and restoring it at session level would make it the session's
    /// (the runners refuse such migrations inside a transaction).
    #[doc(hidden)]
    fn scope_session<C>(conn: &mut C, search_path: &str) -> QueryResult<Option<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, search_path);
        Ok(None)
    }

    /// Restores what [`scope_session`](Self::scope_session) returned.
    #[doc(hidden)]
    fn restore_session<C>(conn: &mut C, previous: Option<String>) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, previous);
        Ok(())
    }

    /// Bind placeholder `n` (1-based): `?` unless the backend numbers them.
    #[doc(hidden)]
    fn placeholder(n: usize) -> String {
        let _ = n;
        "?".to_owned()
    }

    /// Readies a connection for a runner (SQLite: wait up to 60 s for another
    /// writer instead of failing with "database is locked").
    #[doc(hidden)]
    fn prepare<C>(conn: &mut C) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = conn;
        Ok(())
    }

    /// The schemas holding a history table (restricted to `only` when given);
    /// on backends without schemas, `None`.
    #[doc(hidden)]
    fn tenant_schemas<C>(conn: &mut C, only: Option<&[String]>) -> QueryResult<Option<Vec<String>>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, only);
        Ok(None)
    }

    /// `(schema, migration name, checksum)` for every history row of `schemas`,
    /// in one query.
    #[doc(hidden)]
    fn history_names<C>(
        conn: &mut C,
        schemas: &[String],
    ) -> QueryResult<Vec<(String, String, String)>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let mut out = Vec::new();
        for schema in schemas {
            for row in Self::read_history(conn, schema)? {
                out.push((schema.clone(), row.name, row.checksum));
            }
        }
        Ok(out)
    }

    /// `(schema, comment of its history table)` for every schema holding a
    /// history table (restricted to `only` when given): the tenants and their
    /// history [digests](super::digest), in one query. `None` on backends
    /// that keep no digest.
    #[doc(hidden)]
    fn tenant_digests<C>(
        conn: &mut C,
        only: Option<&[String]>,
    ) -> QueryResult<Option<Vec<TenantDigest>>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, only);
        Ok(None)
    }

    /// The schema's history, oldest name first; empty without a history table.
    #[doc(hidden)]
    fn read_history<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<HistoryRow>>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// The schema's history, oldest name first, from a history table known
    /// to exist (one query less than [`read_history`](Self::read_history)).
    #[doc(hidden)]
    fn read_history_table<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<HistoryRow>>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// Records an applied migration.
    #[doc(hidden)]
    fn insert_history<C>(
        conn: &mut C,
        schema: &str,
        name: &str,
        checksum: &str,
        execution_ms: i64,
    ) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection;

    /// Forgets a migration (rollback).
    #[doc(hidden)]
    fn delete_history<C>(conn: &mut C, schema: &str, name: &str) -> QueryResult<usize>
    where
        C: Connection<Backend = Self> + LoadConnection;
}

/// A tenant schema and the comment of its history table (its digest, if
/// ryx set one).
pub(crate) type TenantDigest = (String, Option<String>);

/// What [`MigrationBackend::preflight`] read. Internal.
#[doc(hidden)]
#[derive(Debug)]
pub struct Preflight {
    /// The schema's history, oldest name first.
    pub history: Vec<HistoryRow>,
    /// Whether the history table exists (`false` when unsure).
    pub history_table: bool,
    /// The schema's relations, if the same query read them.
    pub relations: Option<Vec<String>>,
    /// Whether a transaction diesel does not track is open, if the queries
    /// could tell (only meaningful when diesel reports none).
    pub untracked_transaction_open: Option<bool>,
}

/// Whether diesel's transaction manager has a transaction open on `conn`
/// (`conn.transaction(..)`, or a test transaction); an error if the manager is
/// broken.
pub(crate) fn diesel_transaction_open<C: Connection>(conn: &mut C) -> QueryResult<bool> {
    // `transaction_manager_status_mut` is public API (hidden from diesel's
    // docs): diesel itself asks it before `begin_test_transaction`.
    C::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map(|depth| depth.is_some())
}

/// The error for a lock that could not be released after its work was done:
/// the migration and its history row are committed, so it must not be
/// reported as a failed (unrecorded) migration. (A session lock ends with its
/// session.)
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(super) fn unlock_failed(schema: &str, source: diesel::result::Error) -> TxError {
    TxError::Ryx(crate::Error::Database {
        schema: schema.to_owned(),
        action: "release the migration lock after the migration and its history were committed",
        source,
    })
}
