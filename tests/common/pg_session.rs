//! What a PostgreSQL session holds, read on the connection under test: its
//! `search_path`, its prepared statements, its backend.

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `current_setting('search_path')` (`""` when empty).
pub fn search_path<C>(conn: &mut C) -> String
where
    C: Connection<Backend = Pg> + LoadConnection,
{
    diesel::sql_query("SELECT pg_catalog.current_setting('search_path') AS value")
        .get_result::<Setting>(conn)
        .expect("read search_path")
        .value
}

/// Prepared statements the server holds for this session.
pub fn server_statements<C>(conn: &mut C) -> i64
where
    C: Connection<Backend = Pg> + LoadConnection,
{
    diesel::sql_query("SELECT count(*) AS n FROM pg_catalog.pg_prepared_statements")
        .get_result::<Number>(conn)
        .expect("count pg_prepared_statements")
        .n
}

/// The server process behind the connection.
pub fn backend_pid<C>(conn: &mut C) -> i64
where
    C: Connection<Backend = Pg> + LoadConnection,
{
    diesel::sql_query("SELECT pg_catalog.pg_backend_pid()::int8 AS n")
        .get_result::<Number>(conn)
        .expect("pid")
        .n
}
