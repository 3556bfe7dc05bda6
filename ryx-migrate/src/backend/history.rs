//! The per-schema history table `ryx_migrations`: its name, its rows, its DDL,
//! and the history methods every backend spells the same way.

use diesel::connection::{Connection, LoadConnection};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryResult, QueryableByName};

use super::kind::Backend;
use super::migration_backend::MigrationBackend;

/// The history table's name, inside each schema.
pub(crate) const HISTORY_TABLE: &str = "ryx_migrations";

/// A row of a schema's `ryx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct HistoryRow {
    /// The migration's name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// SHA-256 of its text when it was applied.
    #[diesel(sql_type = Text)]
    pub checksum: String,
    /// When it was applied (as the database prints it).
    #[diesel(sql_type = Text)]
    pub applied_at: String,
    /// How long it ran, in milliseconds.
    #[diesel(sql_type = BigInt)]
    pub execution_ms: i64,
}

/// The history methods of a backend, spelled once for the concrete backends
/// (diesel's raw-SQL queries cannot be written generically over backends).
/// Every path is absolute, so an expansion does not depend on its file's imports.
macro_rules! history_methods {
    () => {
        fn read_history<C>(
            conn: &mut C,
            schema: &str,
        ) -> ::diesel::QueryResult<::std::vec::Vec<$crate::backend::HistoryRow>>
        where
            C: ::diesel::connection::Connection<Backend = Self>
                + ::diesel::connection::LoadConnection,
        {
            if !Self::live_tables(conn, schema)?
                .iter()
                .any(|t| t == $crate::backend::HISTORY_TABLE)
            {
                return Ok(Vec::new());
            }
            Self::read_history_table(conn, schema)
        }

        fn read_history_table<C>(
            conn: &mut C,
            schema: &str,
        ) -> ::diesel::QueryResult<::std::vec::Vec<$crate::backend::HistoryRow>>
        where
            C: ::diesel::connection::Connection<Backend = Self>
                + ::diesel::connection::LoadConnection,
        {
            let applied_at = match Self::KIND {
                $crate::backend::Backend::PostgreSQL => "CAST(applied_at AS TEXT)",
                $crate::backend::Backend::MySQL => "CAST(applied_at AS CHAR)",
                $crate::backend::Backend::SQLite => "applied_at",
            };
            let query = ::diesel::sql_query(format!(
                "SELECT name, checksum, {applied_at} AS applied_at, execution_ms FROM {} ORDER BY name",
                $crate::backend::history::history_table(Self::KIND, schema)
            ));
            ::diesel::RunQueryDsl::load(query, conn)
        }

        fn insert_history<C>(
            conn: &mut C,
            schema: &str,
            name: &str,
            checksum: &str,
            execution_ms: i64,
        ) -> ::diesel::QueryResult<()>
        where
            C: ::diesel::connection::Connection<Backend = Self>
                + ::diesel::connection::LoadConnection,
        {
            let query = ::diesel::sql_query(format!(
                "INSERT INTO {} (name, checksum, execution_ms) VALUES ({}, {}, {})",
                $crate::backend::history::history_table(Self::KIND, schema),
                Self::placeholder(1),
                Self::placeholder(2),
                Self::placeholder(3)
            ))
            .bind::<::diesel::sql_types::Text, _>(name.to_owned())
            .bind::<::diesel::sql_types::Text, _>(checksum.to_owned())
            .bind::<::diesel::sql_types::BigInt, _>(execution_ms);
            ::diesel::RunQueryDsl::execute(query, conn).map(|_| ())
        }

        fn delete_history<C>(
            conn: &mut C,
            schema: &str,
            name: &str,
        ) -> ::diesel::QueryResult<usize>
        where
            C: ::diesel::connection::Connection<Backend = Self>
                + ::diesel::connection::LoadConnection,
        {
            let query = ::diesel::sql_query(format!(
                "DELETE FROM {} WHERE name = {}",
                $crate::backend::history::history_table(Self::KIND, schema),
                Self::placeholder(1)
            ))
            .bind::<::diesel::sql_types::Text, _>(name.to_owned());
            ::diesel::RunQueryDsl::execute(query, conn)
        }
    };
}
pub(super) use history_methods;

/// The history table of `schema`, quoted (and qualified on PostgreSQL).
pub(super) fn history_table(kind: Backend, schema: &str) -> String {
    kind.qualify(Some(schema), HISTORY_TABLE)
}

/// `CREATE SCHEMA IF NOT EXISTS` (PostgreSQL) and the history table, in one
/// round trip. Called under the schema's lock, so concurrent runners cannot
/// race on the catalog, by every writer of the history before it writes: on
/// PostgreSQL it also clears the table's [digest](super::digest), which the
/// writer sets again once it knows the new history (a writer that does not
/// leaves the history to be read in full).
pub(crate) fn ensure_history<DB, C>(conn: &mut C, schema: &str) -> QueryResult<()>
where
    DB: MigrationBackend,
    C: Connection<Backend = DB> + LoadConnection,
{
    let kind = DB::KIND;
    let mut sql = String::new();
    if kind.has_schemas() {
        sql.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {};\n",
            kind.quote(schema)
        ));
    }
    let applied_at = match kind {
        Backend::PostgreSQL => "TIMESTAMPTZ NOT NULL DEFAULT now()",
        Backend::MySQL => "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
        Backend::SQLite => "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    };
    sql.push_str(&format!(
        "CREATE TABLE IF NOT EXISTS {} (name VARCHAR(255) NOT NULL PRIMARY KEY, \
         checksum VARCHAR(64) NOT NULL, applied_at {applied_at}, execution_ms BIGINT NOT NULL)",
        history_table(kind, schema)
    ));
    if let Some(clear) = super::digest::stamp_sql(kind, schema, None) {
        sql.push_str(";\n");
        sql.push_str(&clear);
    }
    conn.batch_execute(&sql)
}
