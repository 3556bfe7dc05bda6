//! A tenant's life after its first migration, on PostgreSQL: copy one
//! ([`clone_tenant`]), rename one ([`rename_tenant`]), and see how big each is
//! ([`tenant_sizes`]).
//!
//! | function | what it does | CLI |
//! |----------|--------------|-----|
//! | [`clone_tenant`] | a new tenant structurally identical to a template tenant, without replaying migrations, optionally with its rows | `ryx tenants create NEW --from TEMPLATE [--with-data]` |
//! | [`rename_tenant`] | `ALTER SCHEMA .. RENAME TO ..`; the history moves with it | `ryx tenants rename OLD NEW` |
//! | [`tenant_sizes`], [`tenant_sizes_exact`] | per tenant: tables, estimated rows, bytes on disk, in one catalog query | `ryx tenants list --sizes [--exact]` |
//!
//! PostgreSQL only, by type: the functions take a connection whose backend is
//! `diesel::pg::Pg`. SQLite and MySQL have no schemas, so there is no tenant
//! to clone or rename, and one database is the one tenant (its size is the
//! database's, which their own tools report).
//!
//! Clone and rename run in one transaction under the advisory locks of both
//! schemas, with the keys the runners use (`pg_advisory_xact_lock`, taken in a
//! fixed order), so they wait for a migration of either schema and a
//! migration waits for them. A failure rolls everything back.
//!
//! ```no_run
//! use ryx_migrate::lifecycle::{self, CloneOptions};
//!
//! # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
//! // a new tenant in one transaction, from a template kept up to date by `ryx migrate`
//! lifecycle::clone_tenant(conn, "template_tenant", "acme", CloneOptions::new())?;
//! lifecycle::rename_tenant(conn, "acme", "acme_corp")?;
//! for t in lifecycle::tenant_sizes(conn)? {
//!     println!("{}: {} bytes, ~{:?} rows", t.schema, t.bytes, t.rows);
//! }
//! # Ok(()) }
//! ```

mod catalog;
mod clone;
mod plan;
mod rename;
mod sizes;
mod transfer;

use std::time::Duration;

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

pub use self::clone::{clone_tenant, CloneOptions, CloneReport};
pub use self::rename::rename_tenant;
pub use self::sizes::{tenant_sizes, tenant_sizes_exact, TenantSize};
pub(crate) use self::transfer::{copy_plan, is_tenant, schema_exists};

use crate::apply::{refuse_open_transaction, RunnerConnection};
use crate::backend::{diesel_transaction_open, try_xact_lock, Backend, MigrationBackend, TxError};
use crate::error::Error;

/// The one quoting function of PostgreSQL identifiers.
const PG: Backend = Backend::PostgreSQL;

/// The checks every lifecycle function makes on a name before any SQL: valid
/// for `CREATE SCHEMA` (not empty, ≤ 63 bytes, no NUL, not `pg_*`) and not
/// `public` or `information_schema`.
fn check_name(schema: &str) -> Result<(), Error> {
    ryx_dsl::SchemaName::new_for_create(schema)?;
    if schema == "public" || schema == "information_schema" {
        return Err(Error::ReservedSchema {
            schema: schema.to_owned(),
        });
    }
    Ok(())
}

/// Whether `schema` exists and whether it holds a `ryx_migrations` table.
fn state<C>(conn: &mut C, schema: &str) -> Result<(bool, bool), TxError>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    let exists = diesel::pg::Pg::schema_exists(conn, schema)?;
    let only = [schema.to_owned()];
    let tenant = exists
        && diesel::pg::Pg::tenant_schemas(conn, Some(&only))?
            .unwrap_or_default()
            .iter()
            .any(|t| t == schema);
    Ok((exists, tenant))
}

/// Refuses, under the locks, a `from` that is not a tenant and a `to` that
/// exists.
fn check_from_and_to<C>(conn: &mut C, from: &str, to: &str) -> Result<(), TxError>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    if !state(conn, from)?.1 {
        return Err(Error::NoSuchTenant {
            schema: from.to_owned(),
        }
        .into());
    }
    if state(conn, to)?.0 {
        return Err(Error::SchemaExists {
            schema: to.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Runs `f` in one transaction holding the advisory locks of `a` and `b` (the
/// runners' keys), taken in ascending key order.
///
/// Outside a transaction each attempt is a transaction of its own that tries
/// both locks and ends at once if either is busy, then waits and tries again
/// (as the runners do: a session waiting inside `pg_advisory_xact_lock` holds
/// a snapshot a `CREATE INDEX CONCURRENTLY` of the lock's holder would wait
/// for). Inside the caller's transaction (a savepoint) the blocking form is
/// used, where PostgreSQL detects deadlocks.
fn locked_pair<C, T>(
    conn: &mut C,
    (schema, action): (&str, &'static str),
    a: &str,
    b: &str,
    f: impl FnOnce(&mut C) -> Result<T, TxError>,
) -> Result<T, Error>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    refuse_open_transaction(conn, schema, None)?;
    let mut keys = [
        crate::checksum::advisory_lock_key(a),
        crate::checksum::advisory_lock_key(b),
    ];
    keys.sort_unstable();
    let run = |conn: &mut C| -> Result<T, TxError> {
        if diesel_transaction_open(conn)? {
            return conn.transaction(|conn| {
                for key in keys {
                    diesel::sql_query("SELECT pg_catalog.pg_advisory_xact_lock($1)")
                        .bind::<BigInt, _>(key)
                        .execute(conn)?;
                }
                f(conn)
            });
        }
        let mut work = Some(f);
        let mut pause = Duration::from_millis(2);
        loop {
            let done = conn.transaction(|conn| -> Result<Option<T>, TxError> {
                for key in keys {
                    if !try_xact_lock(conn, key)? {
                        return Ok(None);
                    }
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
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    };
    run(conn).map_err(|e| match e {
        TxError::Ryx(e) => e,
        TxError::Db(source) => Error::Database {
            schema: schema.to_owned(),
            action,
            source,
        },
    })
}

/// `SET LOCAL jit = off`: catalog queries over a database of thousands of
/// tenants cross the planner's JIT thresholds, and compiling them costs far
/// more (about half a second each, measured) than running them.
fn no_jit<C>(conn: &mut C) -> diesel::QueryResult<()>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    diesel::sql_query("SELECT pg_catalog.set_config('jit', 'off', true)")
        .execute(conn)
        .map(|_| ())
}

/// `current_setting('search_path')`.
fn search_path<C>(conn: &mut C) -> diesel::QueryResult<String>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
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

/// `SET LOCAL search_path`, the value bound: one schema, quoted, or a value
/// read back with [`search_path`].
fn set_local_search_path<C>(conn: &mut C, value: &str) -> diesel::QueryResult<()>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    diesel::sql_query("SELECT pg_catalog.set_config('search_path', $1, true)")
        .bind::<Text, _>(value.to_owned())
        .execute(conn)
        .map(|_| ())
}
