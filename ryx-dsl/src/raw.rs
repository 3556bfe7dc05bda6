//! Naming a scoped table in raw SQL (`diesel::sql_query`), the way diesel's
//! own statements name it.

use diesel::query_builder::QueryFragment;
use diesel::QueryResult;

use crate::scoped::{SchemaBackend, SchemaScoped};

impl<T> SchemaScoped<T> {
    /// The table as a statement on backend `DB` names it, for raw SQL:
    /// `"acme"."users"` on PostgreSQL, `` `users` `` on SQLite and MySQL (no
    /// schemas there), quoted as diesel quotes it on each. It goes through the same quoting as every
    /// scoped statement, and an invalid schema name is an error here, before
    /// any SQL is sent.
    ///
    /// Hand-writing the name instead invites mistakes a tenant pays for: an
    /// unquoted `acme.users` breaks on names PostgreSQL folds or that hold
    /// quotes, and `"acme".users` fails on SQLite.
    ///
    /// ```
    /// # #[cfg(all(feature = "postgres", feature = "sqlite", feature = "mysql"))] {
    /// # diesel::table! { users (id) { id -> BigInt, name -> Text, } }
    /// # impl ryx_dsl::ScopableTable for users::table {}
    /// use ryx_dsl::InSchema;
    ///
    /// let users = users::table.in_schema("acme");
    /// assert_eq!(users.qualified_name::<diesel::pg::Pg>()?, r#""acme"."users""#);
    /// assert_eq!(users.qualified_name::<diesel::sqlite::Sqlite>()?, "`users`");
    /// assert_eq!(users.qualified_name::<diesel::mysql::Mysql>()?, "`users`");
    ///
    /// // e.g. for diesel::sql_query(sql).bind::<Text, _>("a%")
    /// let sql = format!(
    ///     "SELECT id, name FROM {} WHERE name ILIKE $1",
    ///     users.qualified_name::<diesel::pg::Pg>()?
    /// );
    /// assert_eq!(sql, r#"SELECT id, name FROM "acme"."users" WHERE name ILIKE $1"#);
    /// assert!(users::table.in_schema("").qualified_name::<diesel::pg::Pg>().is_err());
    /// # }
    /// # Ok::<(), diesel::result::Error>(())
    /// ```
    pub fn qualified_name<DB>(&self) -> QueryResult<String>
    where
        DB: SchemaBackend + Default,
        DB::QueryBuilder: Default,
        T: QueryFragment<DB>,
    {
        crate::to_sql::<DB, _>(self)
    }
}
