//! Connection-pool helpers.

/// An r2d2 connection customizer that gives every new PostgreSQL connection an
/// empty `search_path`, so a query that forgot `.in_schema(..)` fails loudly
/// (`relation "posts" does not exist`) instead of reading `public` or whatever
/// schema the server's default `search_path` names.
///
/// It is set once per new connection and never changed, so it is the same for
/// every borrower (unlike a per-tenant `SET search_path`, which leaks between
/// borrowers of a pooled connection). Scoped statements are unaffected: they
/// name their schema. Built-in functions still resolve (`pg_catalog` is always
/// searched).
///
/// ```no_run
/// use diesel::r2d2::{ConnectionManager, Pool};
/// use diesel::PgConnection;
///
/// let pool = Pool::builder()
///     .connection_customizer(Box::new(ryx::pool::EmptySearchPath))
///     .build(ConnectionManager::<PgConnection>::new("postgres://postgres@127.0.0.1/test"))?;
/// # Ok::<(), r2d2::Error>(())
/// ```
#[cfg(feature = "postgres")]
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptySearchPath;

#[cfg(feature = "postgres")]
impl r2d2::CustomizeConnection<diesel::PgConnection, diesel::r2d2::Error> for EmptySearchPath {
    fn on_acquire(&self, conn: &mut diesel::PgConnection) -> Result<(), diesel::r2d2::Error> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SET search_path TO ''")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}
