//! An empty `search_path` for pools built with diesel's own manager.

/// An r2d2 connection customizer that gives every new PostgreSQL connection an
/// empty `search_path`, for pools built with diesel's own
/// `diesel::r2d2::ConnectionManager`. ryx's
/// [`ConnectionManager`](crate::ConnectionManager) does this by default, and
/// also resets it whenever a connection returns to the pool.
///
/// With it a query that forgot `.in_schema(..)` fails loudly
/// (`relation "posts" does not exist`) instead of reading `public` or whatever
/// schema the server's default `search_path` names. It is set once per new
/// connection: a borrower's own `SET search_path` stays on the connection for
/// the next borrower.
///
/// ```no_run
/// use diesel::r2d2::{ConnectionManager, Pool};
/// use diesel::PgConnection;
///
/// let pool = Pool::builder()
///     .connection_customizer(Box::new(ryx_pool::EmptySearchPath))
///     .build(ConnectionManager::<PgConnection>::new("postgres://postgres@127.0.0.1/test"))?;
/// # Ok::<(), r2d2::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptySearchPath;

impl r2d2::CustomizeConnection<diesel::PgConnection, diesel::r2d2::Error> for EmptySearchPath {
    fn on_acquire(&self, conn: &mut diesel::PgConnection) -> Result<(), diesel::r2d2::Error> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SET search_path TO ''")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}
