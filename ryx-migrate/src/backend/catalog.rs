//! Rows read from the live catalog (`pg_catalog`, `information_schema`,
//! SQLite's `pragma_*` functions), for drift checks and the model runner's plan.

use diesel::connection::Connection;
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{Bool, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

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

/// A one-column `name` row (table, index and schema names).
#[derive(QueryableByName)]
pub(super) struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Loads a one-column `name` query as strings.
pub(super) fn load_names<'q, C, Q>(conn: &mut C, query: Q) -> QueryResult<Vec<String>>
where
    C: Connection,
    Q: RunQueryDsl<C> + LoadQuery<'q, C, Name>,
{
    query
        .load::<Name>(conn)
        .map(|rows| rows.into_iter().map(|n| n.name).collect())
}
