//! SQLite: no schemas (one database is one tenant). Catalog reads from
//! `sqlite_master` and the `pragma_*` functions; `BEGIN IMMEDIATE` serialises
//! runners.

use diesel::connection::{Connection, LoadConnection};
use diesel::sql_types::Text;
use diesel::{QueryResult, RunQueryDsl};

use super::catalog::{check_names_in, load_names, LiveColumn, LiveForeignKey};
use super::history::history_methods;
use super::kind::Backend;
use super::migration_backend::sealed::Sealed;
use super::migration_backend::{MigrationBackend, TxError};

/// Opens the transaction of a locked step, taking the write lock up front.
const BEGIN_IMMEDIATE: &str = "BEGIN IMMEDIATE";

impl Sealed for diesel::sqlite::Sqlite {}

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
        load_names(conn, q)
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
        load_names(conn, q)
    }

    fn live_checks<C>(conn: &mut C, _schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // SQLite lists no constraints: read them from the table's CREATE statement.
        let q = diesel::sql_query(
            "SELECT sql AS name FROM sqlite_master WHERE type = 'table' AND name = ?",
        )
        .into_boxed()
        .bind::<Text, _>(table.to_owned());
        Ok(load_names(conn, q)?
            .iter()
            .flat_map(|sql| check_names_in(sql))
            .collect())
    }

    fn live_foreign_keys<C>(
        conn: &mut C,
        _schema: &str,
        table: &str,
    ) -> QueryResult<Vec<LiveForeignKey>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        diesel::sql_query(
            "SELECT \"from\" AS column_name, \"table\" AS ref_table, \
             COALESCE(\"to\", '') AS ref_column, on_delete, on_update \
             FROM pragma_foreign_key_list(?) \
             WHERE id IN (SELECT id FROM pragma_foreign_key_list(?) GROUP BY id HAVING COUNT(*) = 1) \
             ORDER BY 1",
        )
        .bind::<Text, _>(table.to_owned())
        .bind::<Text, _>(table.to_owned())
        .load(conn)
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
        conn.batch_execute(BEGIN_IMMEDIATE)?;
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

    fn locked_script(_schema: &str, transactional: bool) -> (Vec<String>, Vec<String>) {
        if transactional {
            (vec![BEGIN_IMMEDIATE.to_owned()], vec!["COMMIT".to_owned()])
        } else {
            (Vec::new(), Vec::new())
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
