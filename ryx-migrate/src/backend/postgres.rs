//! PostgreSQL: schemas are real. Catalog reads from `pg_catalog`, a
//! transaction-scoped advisory lock per schema, and `search_path` set with
//! `set_config` (the value bound).

use diesel::connection::{Connection, LoadConnection, TransactionManager};
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use super::catalog::{load_names, LiveColumn, LiveForeignKey};
use super::history::{history_methods, history_table};
use super::kind::Backend;
use super::migration_backend::sealed::Sealed;
use super::migration_backend::{
    diesel_transaction_open, unlock_failed, MigrationBackend, Preflight, TenantDigest, TxError,
};

mod preflight;

impl Sealed for diesel::pg::Pg {}

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
        load_names(conn, q)
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
        load_names(conn, q)
    }

    fn live_checks<C>(conn: &mut C, schema: &str, table: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT con.conname::text AS name FROM pg_catalog.pg_constraint con \
             JOIN pg_catalog.pg_class t ON t.oid = con.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = $1 AND t.relname = $2 AND con.contype = 'c' ORDER BY 1",
        )
        .into_boxed()
        .bind::<Text, _>(schema.to_owned())
        .bind::<Text, _>(table.to_owned());
        load_names(conn, q)
    }

    fn live_foreign_keys<C>(
        conn: &mut C,
        schema: &str,
        table: &str,
    ) -> QueryResult<Vec<LiveForeignKey>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // pg_constraint's action codes: a no action, r restrict, c cascade,
        // n set null, d set default
        diesel::sql_query(
            "SELECT a.attname::text AS column_name, rt.relname::text AS ref_table, \
             ra.attname::text AS ref_column, \
             CASE con.confdeltype WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' \
               WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_delete, \
             CASE con.confupdtype WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' \
               WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_update \
             FROM pg_catalog.pg_constraint con \
             JOIN pg_catalog.pg_class t ON t.oid = con.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
             JOIN pg_catalog.pg_class rt ON rt.oid = con.confrelid \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] \
             JOIN pg_catalog.pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1] \
             WHERE n.nspname = $1 AND t.relname = $2 AND con.contype = 'f' \
             AND pg_catalog.array_length(con.conkey, 1) = 1 ORDER BY 1",
        )
        .bind::<Text, _>(schema.to_owned())
        .bind::<Text, _>(table.to_owned())
        .load(conn)
    }

    fn invalid_indexes<C>(
        conn: &mut C,
        schema: &str,
        with_builds_in_progress: bool,
    ) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let mut sql = String::from(
            "SELECT i.relname::text AS name FROM pg_catalog.pg_index x \
             JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace \
             WHERE n.nspname = $1 AND NOT x.indisvalid",
        );
        if !with_builds_in_progress {
            // an index another session is building concurrently is invalid
            // until it is done
            sql.push_str(
                " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p \
                 WHERE p.index_relid = i.oid AND p.pid <> pg_catalog.pg_backend_pid())",
            );
        }
        sql.push_str(" ORDER BY 1");
        let q = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Text, _>(schema.to_owned());
        load_names(conn, q)
    }

    fn schema_relations<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        let q = diesel::sql_query(
            "SELECT c.relname::text AS name FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') ORDER BY 1",
        )
        .into_boxed()
        .bind::<Text, _>(schema.to_owned());
        load_names(conn, q)
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
            if diesel_transaction_open(conn)? {
                // Inside the caller's transaction (a savepoint here), whose
                // snapshot is held anyway: wait in the blocking call, where
                // PostgreSQL sees a deadlock and breaks it, rather than poll.
                return conn.transaction(|conn| {
                    // Taken before anything touches the catalog: CREATE
                    // SCHEMA/TABLE IF NOT EXISTS race with each other without it.
                    diesel::sql_query("SELECT pg_catalog.pg_advisory_xact_lock($1)")
                        .bind::<BigInt, _>(key)
                        .execute(conn)?;
                    f(conn)
                });
            }
            // Otherwise each attempt is a transaction of its own that takes
            // the lock with `pg_try_advisory_xact_lock` as its first statement
            // and ends at once when it is not free (see `retry_pause`). The
            // work runs in the attempt that got it. One transaction per
            // attempt also holds through a transaction pooler.
            let mut work = Some(f);
            let mut pause = retry_pause(None);
            loop {
                let done = conn.transaction(|conn| -> Result<Option<T>, TxError> {
                    if !try_xact_lock(conn, key)? {
                        return Ok(None);
                    }
                    match work.take() {
                        Some(f) => f(conn).map(Some),
                        None => Ok(None),
                    }
                })?;
                if let Some(value) = done {
                    return Ok(value);
                }
                std::thread::sleep(pause);
                pause = retry_pause(Some(pause));
            }
        } else {
            // The runners refuse non-transactional work inside a transaction
            // before they start; this guards the session-level search_path.
            if diesel_transaction_open(conn)? {
                return Err(TxError::Ryx(crate::Error::InTransaction {
                    schema: schema.to_owned(),
                    reason: "a `run_in_transaction = false` migration cannot run inside a transaction block".into(),
                }));
            }
            wait_for_advisory_lock(conn, key)?;
            let result = f(conn);
            let unlocked = session_unlock(conn, key);
            let value = result?;
            unlocked.map_err(|e| unlock_failed(schema, e))?;
            Ok(value)
        }
    }

    fn locked_script(schema: &str, transactional: bool) -> (Vec<String>, Vec<String>) {
        // As `locked` sends them, the key inlined (it is bound there); the
        // lock is shown as the blocking call a script run by hand would use,
        // where `locked` polls its `pg_try_` form (see
        // `retry_pause`).
        let key = crate::checksum::advisory_lock_key(schema);
        if transactional {
            (
                vec![
                    "BEGIN".to_owned(),
                    format!("SELECT pg_advisory_xact_lock({key})"),
                ],
                vec!["COMMIT".to_owned()],
            )
        } else {
            (
                vec![format!("SELECT pg_advisory_lock({key})")],
                vec![format!("SELECT pg_advisory_unlock({key})")],
            )
        }
    }

    fn scope_transaction<C>(conn: &mut C, search_path: &str) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // SET LOCAL, with the value (quoted names) passed as a bound value.
        pg_set_search_path(conn, search_path, true)
    }

    fn execute_in_transaction<C>(
        conn: &mut C,
        search_path: Option<&str>,
        stamp: Option<&str>,
        sql: &[&str],
    ) -> QueryResult<()>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // In ryx's own top-level transaction (depth 1: the caller had none
        // open, or `locked` would have made this a savepoint), its COMMIT or
        // ROLLBACK discards the SET LOCAL: nothing to put back, and the SET
        // LOCAL (the path's names quoted by `Backend::quote`), the stamp and
        // the migration's first batch go in one round trip. Each is a
        // complete statement ended by `;` and a line break before the next
        // starts, so the migration's text is read exactly as on its own.
        if transaction_depth(conn)? == Some(1) {
            let mut first = String::new();
            if let Some(path) = search_path {
                first.push_str(&format!("SET LOCAL search_path TO {path};\n"));
            }
            if let Some(stamp) = stamp {
                first.push_str(stamp);
                first.push_str(";\n");
            }
            let (head, rest) = match sql.split_first() {
                Some((head, rest)) => (*head, rest),
                None => ("", sql),
            };
            first.push_str(head);
            if !first.is_empty() {
                conn.batch_execute(&first)?;
            }
            for s in rest {
                conn.batch_execute(s)?;
            }
            return Ok(());
        }
        // Inside the caller's transaction: the value in force now is the
        // session's, or one the caller set with SET LOCAL. Put back with
        // is_local = true, it is again the value for the rest of the caller's
        // transaction, and at its end PostgreSQL discards it like any SET
        // LOCAL, leaving the session's.
        let previous = match search_path {
            Some(path) => {
                let previous = pg_search_path(conn)?;
                Self::scope_transaction(conn, path)?;
                Some(previous)
            }
            None => None,
        };
        if let Some(stamp) = stamp {
            conn.batch_execute(stamp)?;
        }
        for s in sql {
            conn.batch_execute(s)?;
        }
        if let Some(previous) = previous {
            pg_set_search_path(conn, &previous, true)?;
        }
        Ok(())
    }

    fn preflight<C>(conn: &mut C, schema: &str) -> QueryResult<Preflight>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        preflight::preflight(conn, schema)
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
        load_names(conn, q).map(|names| !names.is_empty())
    }

    fn scope_session<C>(conn: &mut C, search_path: &str) -> QueryResult<Option<String>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        // Outside a transaction (the runners make sure of it), the value in
        // force is the session's own, so setting it back at session level
        // restores exactly what was there.
        let previous = pg_search_path(conn)?;
        pg_set_search_path(conn, search_path, false)?;
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
        load_names(conn, q).map(Some)
    }

    fn tenant_digests<C>(
        conn: &mut C,
        only: Option<&[String]>,
    ) -> QueryResult<Option<Vec<TenantDigest>>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        #[derive(QueryableByName)]
        struct Tenant {
            #[diesel(sql_type = Text)]
            name: String,
            #[diesel(sql_type = Nullable<Text>)]
            digest: Option<String>,
        }
        // One catalog query whatever the number of tenants: no history table
        // is opened, so nothing is planned or locked per tenant.
        let mut sql = String::from(
            "SELECT n.nspname::text AS name, d.description AS digest \
             FROM pg_catalog.pg_namespace n \
             JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
             LEFT JOIN pg_catalog.pg_description d ON d.objoid = c.oid \
             AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 \
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
        let rows: Vec<Tenant> = q.load(conn)?;
        Ok(Some(rows.into_iter().map(|t| (t.name, t.digest)).collect()))
    }

    fn history_names<C>(
        conn: &mut C,
        schemas: &[String],
    ) -> QueryResult<Vec<(String, String, String)>>
    where
        C: Connection<Backend = Self> + LoadConnection,
    {
        #[derive(QueryableByName)]
        struct SchemaAndName {
            #[diesel(sql_type = Text)]
            schema: String,
            #[diesel(sql_type = Text)]
            name: String,
            #[diesel(sql_type = Text)]
            checksum: String,
        }
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

/// Takes the session-level advisory lock `key`, outside any transaction, by
/// polling `pg_try_advisory_lock` (see [`retry_pause`]) rather than waiting
/// inside `pg_advisory_lock`: used for `run_in_transaction = false`
/// migrations, which run outside a transaction (and are refused behind a
/// transaction pooler). Like the blocking call, it waits as long as the
/// holder holds the lock.
fn wait_for_advisory_lock<C>(conn: &mut C, key: i64) -> QueryResult<()>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    let mut pause = retry_pause(None);
    while !try_session_lock(conn, key)? {
        std::thread::sleep(pause);
        pause = retry_pause(Some(pause));
    }
    Ok(())
}

/// Takes the session-level advisory lock `key` if it is free.
pub(crate) fn try_session_lock<C>(conn: &mut C, key: i64) -> QueryResult<bool>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    let attempt: Got = diesel::sql_query("SELECT pg_catalog.pg_try_advisory_lock($1) AS got")
        .bind::<BigInt, _>(key)
        .get_result(conn)?;
    Ok(attempt.got)
}

/// The answer of a `pg_try_advisory_*lock` call.
#[derive(QueryableByName)]
struct Got {
    #[diesel(sql_type = Bool)]
    got: bool,
}

/// Takes the transaction-level advisory lock `key` if it is free.
pub(crate) fn try_xact_lock<C>(conn: &mut C, key: i64) -> QueryResult<bool>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    let attempt: Got = diesel::sql_query("SELECT pg_catalog.pg_try_advisory_xact_lock($1) AS got")
        .bind::<BigInt, _>(key)
        .get_result(conn)?;
    Ok(attempt.got)
}

/// The pause before the next attempt at a busy schema lock: 2 ms, doubling up
/// to 100 ms.
///
/// Runners poll instead of waiting inside `pg_advisory_(xact_)lock` because a
/// waiting statement holds a snapshot (and a waiting transaction its
/// identity), and a `CREATE INDEX CONCURRENTLY` run by the lock's holder waits
/// for every transaction that held a snapshot when it started: a blocked
/// runner and the holder would wait for each other, and PostgreSQL would fail
/// one of them with "deadlock detected". Between attempts a runner holds
/// nothing.
pub(crate) fn retry_pause(previous: Option<std::time::Duration>) -> std::time::Duration {
    match previous {
        None => std::time::Duration::from_millis(2),
        Some(pause) => (pause * 2).min(std::time::Duration::from_millis(100)),
    }
}

/// The depth of diesel's transaction on `conn` (`None` outside one, `Some(1)`
/// in a top-level transaction, more in savepoints).
fn transaction_depth<C: Connection>(conn: &mut C) -> QueryResult<Option<u32>> {
    C::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map(|depth| depth.map(std::num::NonZeroU32::get))
}

/// Releases the session-level advisory lock `key`.
pub(crate) fn session_unlock<C>(conn: &mut C, key: i64) -> QueryResult<()>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    diesel::sql_query("SELECT pg_catalog.pg_advisory_unlock($1)")
        .bind::<BigInt, _>(key)
        .execute(conn)
        .map(|_| ())
}

/// `current_setting('search_path')`: the value in force, exactly as
/// PostgreSQL spells it (so setting it again restores it exactly).
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
