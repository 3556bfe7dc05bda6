//! [`rename_tenant`]: `ALTER SCHEMA .. RENAME TO ..` under both schemas' locks.

use super::{check_from_and_to, check_name, locked_pair, PG};
use crate::apply::RunnerConnection;
use crate::error::Error;

/// Renames the tenant `old` to `new`: `ALTER SCHEMA "old" RENAME TO "new"`.
/// Its tables, data, sequences, views and its `ryx_migrations` history (which
/// lives inside the schema) move with it; views, defaults and foreign keys
/// inside it keep working (PostgreSQL refers to objects by identity, not by
/// name).
///
/// Runs in one transaction holding both names' advisory locks (the keys the
/// runners use), so it waits for a migration of either name, and one starting
/// meanwhile waits for it and then sees the schema under its new name.
///
/// Refused, changing nothing: an invalid name ([`Error::InvalidSchemaName`]),
/// `public` or `information_schema` ([`Error::ReservedSchema`]), an `old`
/// that is not a ryx tenant ([`Error::NoSuchTenant`]) and a `new` that exists
/// already ([`Error::SchemaExists`]). Code that names the schema (a
/// connection's `search_path`, `InSchema`) must use the new name afterwards.
///
/// ```no_run
/// # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// ryx_migrate::lifecycle::rename_tenant(conn, "acme", "acme_corp")?;
/// # Ok(()) }
/// ```
pub fn rename_tenant<C>(conn: &mut C, old: &str, new: &str) -> Result<(), Error>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    check_name(old)?;
    check_name(new)?;
    locked_pair(conn, (old, "rename the tenant"), old, new, |conn| {
        check_from_and_to(conn, old, new)?;
        conn.batch_execute(&format!(
            "ALTER SCHEMA {} RENAME TO {}",
            PG.quote(old),
            PG.quote(new)
        ))?;
        Ok(())
    })
}
