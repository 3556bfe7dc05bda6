//! What the runners need from each backend: catalog reads with bound
//! parameters, the per-schema history table, and locked transactions.

use diesel::connection::{Connection, LoadConnection, TransactionManager};
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::backend::Backend;

/// The history table's name, inside each schema.
pub const HISTORY_TABLE: &str = "ryx_migrations";

/// A row of a schema's `ryx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct HistoryRow {
    /// The migration's name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// SHA-256 of its text when it was applied.
    #[diesel(sql_type = Text)]
    pub checksum: String,
    /// When it was applied (as the database prints it).
    #[diesel(sql_type = Text)]
    pub applied_at: String,
    /// How long it ran, in milliseconds.
    #[diesel(sql_type = BigInt)]
    pub execution_ms: i64,
}

/// A live column, read from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LiveColumn {
    /// Its name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Its type as the catalog spells it.
    #[diesel(sql_type = Text)]
    pub data_type: String,
    /// Whether it accepts NULL.
    #[diesel(sql_type = Bool)]
    pub nullable: bool,
}

#[cfg(feature = "postgres")]
#[derive(QueryableByName)]
struct SchemaAndName {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    checksum: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
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
/// Implemented for diesel's `Pg`, `Mysql` and `Sqlite`; the runners accept any
/// connection of these backends (`PgConnection`, r2d2's pooled connections, ..).
#[diagnostic::on_unimplemented(
    message = "ryx cannot migrate a `{Self}` database",
    note = "ryx migrates PostgreSQL, MySQL/MariaDB and SQLite; enable the matching cargo feature of `ryx`"
)]
pub trait MigrationBackend: diesel::backend::Backend + Sized {
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

    /// Runs `f` under the schema's migration lock: inside one transaction that
    /// holds `pg_advisory_xact_lock` (PostgreSQL), `BEGIN IMMEDIATE` (SQLite), or
    /// `GET_LOCK` around a transaction (MySQL). With `transactional == false`
    /// the lock is held but no transaction is opened.
    ///
    /// On PostgreSQL the transaction is a savepoint when the caller has one
    /// open through diesel (the advisory lock is then held until the caller's
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

    /// Makes unqualified names in the current transaction resolve in `schema`
    /// (PostgreSQL: `set_config('search_path', .., true)`, i.e. `SET LOCAL`);
    /// nothing on backends without schemas.
    ///
    /// `SET LOCAL` lasts until the end of the top-level transaction, not of a
    /// savepoint: inside a transaction ryx does not own, use
    /// [`scoped_in_transaction`](Self::scoped_in_transaction), which puts the
    /// previous value back.
    #[doc(hidden)]
    fn scope_transaction<C>(conn: &mut C, schema: &str) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, schema);
        Ok(())
    }

    /// Runs `f` inside the current transaction (or savepoint) with unqualified
    /// names resolving in `schema`, then puts the `search_path` it found back,
    /// transaction-locally (PostgreSQL; `f` alone elsewhere). When the caller
    /// has a transaction open, ryx's transaction is a savepoint in it, and a
    /// `SET LOCAL` made there would outlive the savepoint for the rest of the
    /// caller's transaction; restoring it locally leaves the caller's value in
    /// force there and never touches the session's own value. When `f` fails,
    /// nothing is restored here: the caller of this function rolls the
    /// transaction or savepoint back, which undoes the `SET LOCAL` itself.
    #[doc(hidden)]
    fn scoped_in_transaction<C, T>(
        conn: &mut C,
        schema: &str,
        f: impl FnOnce(&mut C) -> Result<T, TxError>,
    ) -> Result<T, TxError>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = schema;
        f(conn)
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

    /// Makes unqualified names resolve in `schema` for the session, outside a
    /// transaction (PostgreSQL), returning the previous setting to restore.
    /// Used only for `run_in_transaction = false` migrations, which cannot use
    /// `SET LOCAL`; the caller restores it on every path. Must not be called
    /// inside a transaction: the value read there may be a transaction-local
    /// one, and restoring it at session level would make it the session's
    /// (the runners refuse such migrations inside a transaction).
    #[doc(hidden)]
    fn scope_session<C>(conn: &mut C, schema: &str) -> QueryResult<Option<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let _ = (conn, schema);
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

    /// The schema's history, oldest name first; empty without a history table.
    #[doc(hidden)]
    fn read_history<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<HistoryRow>>
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

/// The history methods of a backend, spelled once for the concrete backends
/// (diesel's raw-SQL queries cannot be written generically over backends).
macro_rules! history_methods {
    () => {
        fn read_history<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<HistoryRow>>
        where
            C: Connection<Backend = Self> + LoadConnection,
        {
            if !Self::live_tables(conn, schema)?
                .iter()
                .any(|t| t == HISTORY_TABLE)
            {
                return Ok(Vec::new());
            }
            let applied_at = match Self::KIND {
                Backend::PostgreSQL => "CAST(applied_at AS TEXT)",
                Backend::MySQL => "CAST(applied_at AS CHAR)",
                Backend::SQLite => "applied_at",
            };
            diesel::sql_query(format!(
                "SELECT name, checksum, {applied_at} AS applied_at, execution_ms FROM {} ORDER BY name",
                history_table(Self::KIND, schema)
            ))
            .load(conn)
        }

        fn insert_history<C>(
            conn: &mut C,
            schema: &str,
            name: &str,
            checksum: &str,
            execution_ms: i64,
        ) -> QueryResult<()>
        where
            C: Connection<Backend = Self> + LoadConnection,
        {
            diesel::sql_query(format!(
                "INSERT INTO {} (name, checksum, execution_ms) VALUES ({}, {}, {})",
                history_table(Self::KIND, schema),
                Self::placeholder(1),
                Self::placeholder(2),
                Self::placeholder(3)
            ))
            .bind::<Text, _>(name.to_owned())
            .bind::<Text, _>(checksum.to_owned())
            .bind::<BigInt, _>(execution_ms)
            .execute(conn)
            .map(|_| ())
        }

        fn delete_history<C>(conn: &mut C, schema: &str, name: &str) -> QueryResult<usize>
        where
            C: Connection<Backend = Self> + LoadConnection,
        {
            diesel::sql_query(format!(
                "DELETE FROM {} WHERE name = {}",
                history_table(Self::KIND, schema),
                Self::placeholder(1)
            ))
            .bind::<Text, _>(name.to_owned())
            .execute(conn)
        }
    };
}

fn history_table(kind: Backend, schema: &str) -> String {
    kind.qualify(Some(schema), HISTORY_TABLE)
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
fn unlock_failed(schema: &str, source: diesel::result::Error) -> TxError {
    TxError::Ryx(crate::Error::Database {
        schema: schema.to_owned(),
        action: "release the migration lock after the migration and its history were committed",
        source,
    })
}

/// `CREATE SCHEMA IF NOT EXISTS` (PostgreSQL) and the history table. Called
/// under the schema's lock, so concurrent runners cannot race on the catalog.
pub(crate) fn ensure_history<DB, C>(conn: &mut C, schema: &str) -> QueryResult<()>
where
    DB: MigrationBackend,
    C: Connection<Backend = DB> + LoadConnection,
{
    let kind = DB::KIND;
    if kind.has_schemas() {
        conn.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            kind.quote(schema)
        ))?;
    }
    let applied_at = match kind {
        Backend::PostgreSQL => "TIMESTAMPTZ NOT NULL DEFAULT now()",
        Backend::MySQL => "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
        Backend::SQLite => "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {} (name VARCHAR(255) NOT NULL PRIMARY KEY, \
         checksum VARCHAR(64) NOT NULL, applied_at {applied_at}, execution_ms BIGINT NOT NULL)",
        history_table(kind, schema)
    ))
}

/// Loads a one-column `name` query as strings.
macro_rules! load_names {
    ($conn:expr, $query:expr) => {
        $query
            .load::<Name>($conn)
            .map(|rows| rows.into_iter().map(|n| n.name).collect::<Vec<String>>())
    };
}

#[cfg(feature = "postgres")]
impl MigrationBackend for diesel::pg::Pg {
    const KIND: Backend = Backend::PostgreSQL;

    fn live_tables<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // pg_catalog stays fast with 100k+ tables; information_schema does not.
        let q = diesel::sql_query(
            "SELECT c.relname::text AS name FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1",
        )
        .into_boxed()
        .bind::<Text, _>(schema.to_owned());
        load_names!(conn, q)
    }

    fn live_columns<C>(conn: &mut C, schema: &str, table: &str) -> QueryResult<Vec<LiveColumn>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        diesel::sql_query(
            "SELECT a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type, \
             NOT a.attnotnull AS nullable FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
        )
        .bind::<Text, _>(schema.to_owned())
        .bind::<Text, _>(table.to_owned())
        .load(conn)
    }

    fn live_indexes<C>(conn: &mut C, schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT i.relname::text AS name FROM pg_catalog.pg_index x \
             JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
             JOIN pg_catalog.pg_class t ON t.oid = x.indrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = $1 AND t.relname = $2 ORDER BY 1",
        )
        .into_boxed()
        .bind::<Text, _>(schema.to_owned())
        .bind::<Text, _>(table.to_owned());
        load_names!(conn, q)
    }

    fn locked<C, T>(
        conn: &mut C,
        schema: &str,
        transactional: bool,
        f: impl FnOnce(&mut C) -> Result<T, TxError>,
    ) -> Result<T, TxError>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let key = crate::checksum::advisory_lock_key(schema);
        if transactional {
            conn.transaction(|conn| {
                // Taken before anything touches the catalog: CREATE SCHEMA/TABLE
                // IF NOT EXISTS race with each other without it.
                diesel::sql_query("SELECT pg_catalog.pg_advisory_xact_lock($1)")
                    .bind::<BigInt, _>(key)
                    .execute(conn)?;
                f(conn)
            })
        } else {
            // The runners refuse non-transactional work inside a transaction
            // before they start; this guards the session-level search_path.
            if diesel_transaction_open(conn)? {
                return Err(TxError::Ryx(crate::Error::InTransaction {
                    schema: schema.to_owned(),
                    reason: "a `run_in_transaction = false` migration cannot run inside a transaction block".into(),
                }));
            }
            diesel::sql_query("SELECT pg_catalog.pg_advisory_lock($1)")
                .bind::<BigInt, _>(key)
                .execute(conn)?;
            let result = f(conn);
            let unlocked = diesel::sql_query("SELECT pg_catalog.pg_advisory_unlock($1)")
                .bind::<BigInt, _>(key)
                .execute(conn);
            let value = result?;
            unlocked.map_err(|e| unlock_failed(schema, e))?;
            Ok(value)
        }
    }

    fn scope_transaction<C>(conn: &mut C, schema: &str) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // SET LOCAL, with the (quoted) schema passed as a bound value.
        pg_set_search_path(conn, &Backend::PostgreSQL.quote(schema), true)
    }

    fn scoped_in_transaction<C, T>(
        conn: &mut C,
        schema: &str,
        f: impl FnOnce(&mut C) -> Result<T, TxError>,
    ) -> Result<T, TxError>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // The value in force now: the session's, or one the caller set with
        // SET LOCAL in its transaction. Put back with is_local = true, it is
        // again the value for the rest of this transaction, and at its end
        // PostgreSQL discards it like any SET LOCAL, leaving the session's.
        let previous = pg_search_path(conn)?;
        Self::scope_transaction(conn, schema)?;
        let value = f(conn)?;
        pg_set_search_path(conn, &previous, true)?;
        Ok(value)
    }

    fn untracked_transaction_open<C>(conn: &mut C) -> QueryResult<bool>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // PostgreSQL has no function that says whether a transaction block is
        // open, and under the extended protocol `statement_timestamp()`
        // differs from `transaction_timestamp()` even in a one-statement
        // transaction. But two statements outside a block are two
        // transactions, started at different times (microseconds, a round
        // trip apart); inside a block they share its start.
        #[derive(QueryableByName)]
        struct Started {
            #[diesel(sql_type = Text)]
            started: String,
        }
        let query = "SELECT CAST(pg_catalog.transaction_timestamp() AS TEXT) AS started";
        let first: Started = diesel::sql_query(query).get_result(conn)?;
        let second: Started = diesel::sql_query(query).get_result(conn)?;
        Ok(first.started == second.started)
    }

    fn placeholder(n: usize) -> String {
        format!("${n}")
    }

    fn schema_exists<C>(conn: &mut C, schema: &str) -> QueryResult<bool>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT nspname::text AS name FROM pg_catalog.pg_namespace WHERE nspname = $1",
        )
        .into_boxed()
        .bind::<Text, _>(schema.to_owned());
        load_names!(conn, q).map(|names| !names.is_empty())
    }

    fn scope_session<C>(conn: &mut C, schema: &str) -> QueryResult<Option<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // Outside a transaction (the runners make sure of it), the value in
        // force is the session's own, so setting it back at session level
        // restores exactly what was there.
        let previous = pg_search_path(conn)?;
        pg_set_search_path(conn, &Backend::PostgreSQL.quote(schema), false)?;
        Ok(Some(previous))
    }

    fn restore_session<C>(conn: &mut C, previous: Option<String>) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        match previous {
            Some(setting) => pg_set_search_path(conn, &setting, false),
            None => Ok(()),
        }
    }

    fn tenant_schemas<C>(conn: &mut C, only: Option<&[String]>) -> QueryResult<Option<Vec<String>>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let mut sql = String::from(
            "SELECT n.nspname::text AS name FROM pg_catalog.pg_namespace n \
             JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
             WHERE c.relname = 'ryx_migrations' AND c.relkind IN ('r', 'p')",
        );
        if only.is_some() {
            sql.push_str(" AND n.nspname = ANY($1)");
        }
        sql.push_str(" ORDER BY 1");
        let mut q = diesel::sql_query(sql).into_boxed();
        if let Some(only) = only {
            q = q.bind::<diesel::sql_types::Array<Text>, _>(only.to_vec());
        }
        load_names!(conn, q).map(Some)
    }

    fn history_names<C>(
        conn: &mut C,
        schemas: &[String],
    ) -> QueryResult<Vec<(String, String, String)>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let mut out = Vec::new();
        // One UNION ALL per chunk keeps each statement's text and binds bounded.
        for chunk in schemas.chunks(500) {
            let parts: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    format!(
                        "SELECT ${}::text AS schema, name::text AS name, checksum::text AS checksum FROM {}",
                        i + 1,
                        history_table(Backend::PostgreSQL, s)
                    )
                })
                .collect();
            let mut q = diesel::sql_query(parts.join(" UNION ALL ")).into_boxed();
            for s in chunk {
                q = q.bind::<Text, _>(s.clone());
            }
            let rows: Vec<SchemaAndName> = q.load(conn)?;
            out.extend(rows.into_iter().map(|r| (r.schema, r.name, r.checksum)));
        }
        Ok(out)
    }

    history_methods!();
}

/// `current_setting('search_path')`: the value in force, exactly as
/// PostgreSQL spells it (so setting it again restores it exactly).
#[cfg(feature = "postgres")]
fn pg_search_path<C>(conn: &mut C) -> QueryResult<String>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        setting: String,
    }
    diesel::sql_query("SELECT pg_catalog.current_setting('search_path') AS setting")
        .get_result::<Setting>(conn)
        .map(|s| s.setting)
}

/// `set_config('search_path', value, is_local)`, the value bound.
#[cfg(feature = "postgres")]
fn pg_set_search_path<C>(conn: &mut C, value: &str, is_local: bool) -> QueryResult<()>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    diesel::sql_query("SELECT pg_catalog.set_config('search_path', $1, $2)")
        .bind::<Text, _>(value.to_owned())
        .bind::<Bool, _>(is_local)
        .execute(conn)
        .map(|_| ())
}

#[cfg(feature = "sqlite")]
impl MigrationBackend for diesel::sqlite::Sqlite {
    const KIND: Backend = Backend::SQLite;

    fn prepare<C>(conn: &mut C) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // SQLite has one writer at a time: wait for it rather than fail.
        conn.batch_execute("PRAGMA busy_timeout = 60000")
    }

    fn live_tables<C>(conn: &mut C, _schema: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .into_boxed();
        load_names!(conn, q)
    }

    fn live_columns<C>(conn: &mut C, _schema: &str, table: &str) -> QueryResult<Vec<LiveColumn>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        diesel::sql_query(
            "SELECT name, type AS data_type, (\"notnull\" = 0 AND pk = 0) AS nullable \
             FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind::<Text, _>(table.to_owned())
        .load(conn)
    }

    fn live_indexes<C>(conn: &mut C, _schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query("SELECT name FROM pragma_index_list(?) ORDER BY name")
            .into_boxed()
            .bind::<Text, _>(table.to_owned());
        load_names!(conn, q)
    }

    fn locked<C, T>(
        conn: &mut C,
        _schema: &str,
        transactional: bool,
        f: impl FnOnce(&mut C) -> Result<T, TxError>,
    ) -> Result<T, TxError>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        Self::prepare(conn)?;
        if !transactional {
            return f(conn);
        }
        // IMMEDIATE takes the write lock up front, so two runners cannot both
        // read the history and then both try to write.
        conn.batch_execute("BEGIN IMMEDIATE")?;
        match f(conn) {
            Ok(value) => match conn.batch_execute("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = conn.batch_execute("ROLLBACK");
                    Err(e.into())
                }
            },
            Err(e) => {
                let _ = conn.batch_execute("ROLLBACK");
                Err(e)
            }
        }
    }

    fn untracked_transaction_open<C>(conn: &mut C) -> QueryResult<bool>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // `BEGIN` fails inside a transaction (and leaves it as it was);
        // otherwise it starts an empty one, ended at once.
        match conn.batch_execute("BEGIN DEFERRED") {
            Ok(()) => conn.batch_execute("ROLLBACK").map(|()| false),
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("within a transaction") =>
            {
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    history_methods!();
}

#[cfg(feature = "mysql")]
impl MigrationBackend for diesel::mysql::Mysql {
    const KIND: Backend = Backend::MySQL;

    fn live_tables<C>(conn: &mut C, _schema: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
             WHERE table_schema = DATABASE() ORDER BY 1",
        )
        .into_boxed();
        load_names!(conn, q)
    }

    fn live_columns<C>(conn: &mut C, _schema: &str, table: &str) -> QueryResult<Vec<LiveColumn>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        diesel::sql_query(
            "SELECT CAST(column_name AS CHAR) AS name, CAST(column_type AS CHAR) AS data_type, \
             is_nullable = 'YES' AS nullable FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
        )
        .bind::<Text, _>(table.to_owned())
        .load(conn)
    }

    fn live_indexes<C>(conn: &mut C, _schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT DISTINCT CAST(index_name AS CHAR) AS name FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = ? ORDER BY 1",
        )
        .into_boxed()
        .bind::<Text, _>(table.to_owned());
        load_names!(conn, q)
    }

    fn locked<C, T>(
        conn: &mut C,
        schema: &str,
        transactional: bool,
        f: impl FnOnce(&mut C) -> Result<T, TxError>,
    ) -> Result<T, TxError>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // One database is one "schema" on MySQL: lock it by name, session-wide,
        // released right after. (MySQL commits DDL implicitly, so the
        // transaction only protects the history row.)
        #[derive(QueryableByName)]
        struct Got {
            #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
            got: Option<i64>,
        }
        let got: Got = diesel::sql_query(
            "SELECT CAST(GET_LOCK(CONCAT('ryx-migrate:', DATABASE()), 600) AS SIGNED) AS got",
        )
        .get_result(conn)?;
        if got.got != Some(1) {
            return Err(TxError::Db(diesel::result::Error::QueryBuilderError(
                "timed out after 600 s waiting for another ryx runner's migration lock".into(),
            )));
        }
        let result = if transactional {
            conn.transaction(f)
        } else {
            f(conn)
        };
        let released =
            diesel::sql_query("DO RELEASE_LOCK(CONCAT('ryx-migrate:', DATABASE()))").execute(conn);
        let value = result?;
        released.map_err(|e| unlock_failed(schema, e))?;
        Ok(value)
    }

    fn untracked_transaction_open<C>(conn: &mut C) -> QueryResult<bool>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // Set by the server from `BEGIN`/`START TRANSACTION` (and the first
        // statement under `autocommit = 0`) until the transaction ends.
        #[derive(QueryableByName)]
        struct Open {
            #[diesel(sql_type = BigInt)]
            open: i64,
        }
        // MariaDB only; MySQL lists a transaction in INNODB_TRX once it has
        // touched a table (a bare `BEGIN` before any statement goes unseen).
        match diesel::sql_query("SELECT CAST(@@in_transaction AS SIGNED) AS open")
            .get_result::<Open>(conn)
        {
            Ok(o) => Ok(o.open != 0),
            Err(_) => diesel::sql_query(
                "SELECT COUNT(*) AS open FROM information_schema.INNODB_TRX \
                 WHERE trx_mysql_thread_id = CONNECTION_ID()",
            )
            .get_result::<Open>(conn)
            .map(|o| o.open != 0),
        }
    }

    history_methods!();
}
