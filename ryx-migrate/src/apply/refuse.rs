//! The refusals a runner makes before it changes anything: a transaction it
//! cannot leave intact, and a schema that is not a ryx tenant.

use super::{db_error, RunnerConnection, Step};
use crate::backend::{self, Backend, MigrationBackend};
use crate::error::Error;

/// Refuses to go on when a transaction is open on the connection and this run
/// cannot leave it intact, or when a step needs session state the connection
/// cannot keep (a transaction pooler); called before anything is changed. `non_transactional`
/// is the first `run_in_transaction = false` step the run would send, if any.
///
/// - A transaction diesel does not track (raw `BEGIN`): ryx's own `BEGIN` ..
///   `COMMIT` would commit it, on every backend.
/// - A diesel transaction (`conn.transaction(..)`, a test transaction): on
///   PostgreSQL ryx's transaction nests as a savepoint, which is fine unless a
///   step must run outside any transaction block; MySQL commits DDL
///   implicitly (the caller's writes would be committed and its savepoints
///   lost); SQLite cannot open `BEGIN IMMEDIATE` inside it.
pub(crate) fn refuse_open_transaction<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    non_transactional: Option<&Step>,
) -> Result<(), Error> {
    refuse_open_transaction_known(conn, schema, non_transactional, None)
}

/// [`refuse_open_transaction`], with the answer to "is a transaction diesel
/// does not track open?" when a [`Preflight`](crate::backend::Preflight)
/// already knows it (otherwise it is asked).
pub(super) fn refuse_open_transaction_known<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    non_transactional: Option<&Step>,
    untracked_open: Option<bool>,
) -> Result<(), Error> {
    if let Some(step) = non_transactional {
        if ryx_pool::behind_transaction_pooler(conn) {
            return Err(Error::NeedsSessionState {
                schema: schema.to_owned(),
                migration: step.name.clone(),
            });
        }
    }
    let check = || db_error(schema, "check the connection's transaction state");
    let reason = if backend::diesel_transaction_open(conn).map_err(check())? {
        match (C::DB::KIND, non_transactional) {
            (Backend::PostgreSQL, None) => return Ok(()),
            (Backend::PostgreSQL, Some(step)) => format!(
                "migration `{}` has `run_in_transaction = false` (such as `CREATE INDEX \
                 CONCURRENTLY`), which cannot run inside a transaction block",
                step.name
            ),
            (Backend::MySQL, _) => "MySQL commits DDL implicitly, which would commit the \
                                    caller's transaction and drop its savepoints"
                .to_owned(),
            (Backend::SQLite, _) => {
                "SQLite cannot open ryx's `BEGIN IMMEDIATE` inside another transaction".to_owned()
            }
        }
    } else if match untracked_open {
        Some(open) => open,
        None => C::DB::untracked_transaction_open(conn).map_err(check())?,
    } {
        "a transaction was begun with raw SQL (`BEGIN`), which diesel does not track, \
         so ryx's own transaction would commit it"
            .to_owned()
    } else {
        return Ok(());
    };
    Err(Error::InTransaction {
        schema: schema.to_owned(),
        reason,
    })
}

/// Refuses to migrate a schema that holds relations (tables, views,
/// sequences, ..) but no `ryx_migrations`
/// table (one ryx did not make, or not yet a tenant): migrating it would make
/// it a tenant, which `drop_tenant` may then drop with everything in it.
/// `tables` are the schema's relations (see
/// [`MigrationBackend::schema_relations`]). `public` (a runner's default
/// schema, never dropped as a tenant) and backends without schemas are not
/// refused; `information_schema`, PostgreSQL's own, is
/// [`Error::ReservedSchema`].
pub(crate) fn refuse_foreign_schema<DB: MigrationBackend>(
    schema: &str,
    tables: &[String],
) -> Result<(), Error> {
    if DB::KIND.has_schemas() && schema == "information_schema" {
        return Err(Error::ReservedSchema {
            schema: schema.to_owned(),
        });
    }
    if DB::KIND.has_schemas()
        && schema != "public"
        && !tables.is_empty()
        && !tables.iter().any(|t| t == crate::HISTORY_TABLE)
    {
        return Err(Error::NotATenant {
            schema: schema.to_owned(),
        });
    }
    Ok(())
}
