//! MySQL / MariaDB: no schemas (one database is one tenant). Catalog reads
//! from `information_schema`; `GET_LOCK` around a transaction serialises
//! runners (DDL commits implicitly, so the transaction guards the history row).

use diesel::connection::{Connection, LoadConnection};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use super::catalog::{load_names, LiveColumn, LiveForeignKey};
use super::history::history_methods;
use super::kind::Backend;
use super::migration_backend::sealed::Sealed;
use super::migration_backend::{unlock_failed, MigrationBackend, TxError};

/// Takes the database's migration lock (waiting up to 600 s): 1 when taken.
const GET_LOCK: &str =
    "SELECT CAST(GET_LOCK(CONCAT('ryx-migrate:', DATABASE()), 600) AS SIGNED) AS got";

/// Releases what [`GET_LOCK`] took.
const RELEASE_LOCK: &str = "DO RELEASE_LOCK(CONCAT('ryx-migrate:', DATABASE()))";

/// Why `GET_LOCK` returned NULL (an error, unlike 0 for a timeout).
fn no_database<C>(conn: &mut C) -> QueryResult<&'static str>
where
    C: Connection<Backend = diesel::mysql::Mysql> + LoadConnection,
{
    #[derive(QueryableByName)]
    struct Selected {
        #[diesel(sql_type = BigInt)]
        selected: i64,
    }
    let db: Selected =
        diesel::sql_query("SELECT CAST(DATABASE() IS NOT NULL AS SIGNED) AS selected")
            .get_result(conn)?;
    Ok(if db.selected == 0 {
        "no database selected, so there is nothing to migrate: put one in the URL \
         (mysql://user@host:3306/DATABASE)"
    } else {
        "GET_LOCK failed (it returned NULL) taking ryx's migration lock"
    })
}

fn lock_error(message: &'static str) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(message.into())
}

impl Sealed for diesel::mysql::Mysql {}

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
        load_names(conn, q)
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
        load_names(conn, q)
    }

    fn live_checks<C>(conn: &mut C, _schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT CAST(constraint_name AS CHAR) AS name FROM information_schema.table_constraints \
             WHERE table_schema = DATABASE() AND table_name = ? AND constraint_type = 'CHECK' ORDER BY 1",
        )
        .into_boxed()
        .bind::<Text, _>(table.to_owned());
        load_names(conn, q)
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
            "SELECT CAST(k.column_name AS CHAR) AS column_name, \
             CAST(k.referenced_table_name AS CHAR) AS ref_table, \
             CAST(k.referenced_column_name AS CHAR) AS ref_column, \
             CAST(r.delete_rule AS CHAR) AS on_delete, CAST(r.update_rule AS CHAR) AS on_update \
             FROM information_schema.key_column_usage k \
             JOIN information_schema.referential_constraints r \
               ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name \
               AND r.table_name = k.table_name \
             WHERE k.table_schema = DATABASE() AND k.table_name = ? \
             AND k.referenced_table_name IS NOT NULL ORDER BY 1",
        )
        .bind::<Text, _>(table.to_owned())
        .load(conn)
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
        let got: Got = diesel::sql_query(GET_LOCK).get_result(conn)?;
        match got.got {
            Some(1) => {}
            // NULL: an error, not a timeout; without a database the lock has
            // no name
            None => return Err(TxError::Db(lock_error(no_database(conn)?))),
            Some(_) => {
                return Err(TxError::Db(lock_error(
                    "timed out after 600 s waiting for another ryx runner's migration lock",
                )))
            }
        }
        let result = if transactional {
            conn.transaction(f)
        } else {
            f(conn)
        };
        let released = diesel::sql_query(RELEASE_LOCK).execute(conn);
        let value = result?;
        released.map_err(|e| unlock_failed(schema, e))?;
        Ok(value)
    }

    fn locked_script(_schema: &str, transactional: bool) -> (Vec<String>, Vec<String>) {
        if transactional {
            (
                vec![GET_LOCK.to_owned(), "BEGIN".to_owned()],
                vec!["COMMIT".to_owned(), RELEASE_LOCK.to_owned()],
            )
        } else {
            (vec![GET_LOCK.to_owned()], vec![RELEASE_LOCK.to_owned()])
        }
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
