//! Run-time PostgreSQL schemas for diesel tables: the query half of
//! [ryx](https://docs.rs/ryx).
//!
//! This is an implementation crate: depend on `ryx`, which re-exports it and
//! adds the `ryx_table!` macro that generates the per-table glue used here.
//!
//! - [`SchemaScoped<T>`]: a table inside a schema chosen at run time, made with
//!   [`InSchema::in_schema`]; it renders `"tenant1"."posts"` on PostgreSQL and the
//!   bare table on SQLite and MySQL.
//! - [`insert_into`], [`update`], [`delete`]: writes on a scoped table that take
//!   the values and changesets diesel takes for the plain table.
//! - [`SchemaName`]: up-front validation of schema names.
//! - [`to_sql`]: the SQL of a statement, or the error that stops it from being built.

#![warn(missing_docs)]

mod alias;
mod associations;
mod join;
mod raw;
mod record;
mod schema_name;
mod scoped;
mod write;

pub use crate::associations::BelongingToInSchemaDsl;
pub use crate::record::update_record;
pub use crate::schema_name::{
    quote_identifier, validate_schema_name, IntoSchemaName, LostSchema, SchemaName,
    SchemaNameError, MAX_SCHEMA_NAME_BYTES,
};
pub use crate::scoped::{CanScope, InSchema, SchemaBackend, SchemaScoped, ScopableTable};
pub use crate::write::{
    delete, insert_into, update, ColumnsOf, ConflictTargetOf, IncompleteDoUpdate, IncompleteInsert,
    IncompleteOnConflict, InsertStatement, NoReturning, Returning, UpdateBuilder, Upsert,
};

#[doc(hidden)]
pub mod __private {
    pub use crate::schema_name::{InlineName, Scope};
    #[cfg(feature = "sqlite")]
    pub use crate::write::SqliteUpsertRows;
    pub use crate::write::{
        AnyConflict, AnyDuplicatedKey, ColumnTuple, DoNothing, DoUpdate, IntoColumns, OnColumns,
        ScopedChangeset, ScopedRecords, ScopedTarget, SingleColumn, UpsertRecords, UpsertValues,
    };
}

use diesel::backend::Backend;
use diesel::query_builder::{QueryBuilder, QueryFragment};

/// The SQL text `query` sends on backend `DB` (bind parameters as `$1`/`?`), or
/// the error that stops it from being built.
///
/// diesel's `debug_query(..).to_string()` panics when a statement cannot be
/// built (for example on an invalid schema name), because `Display` can only
/// report `fmt::Error`. This returns that error instead:
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// # use diesel::prelude::*;
/// diesel::table! { users (id) { id -> Int4, } }
/// let sql = ryx_dsl::to_sql::<diesel::pg::Pg, _>(&users::table.filter(users::id.eq(1)))?;
/// assert_eq!(sql, r#"SELECT "users"."id" FROM "users" WHERE ("users"."id" = $1)"#);
/// # }
/// # Ok::<(), diesel::result::Error>(())
/// ```
pub fn to_sql<DB, Q>(query: &Q) -> diesel::QueryResult<String>
where
    DB: Backend + Default,
    DB::QueryBuilder: Default,
    Q: QueryFragment<DB> + ?Sized,
{
    let mut builder = DB::QueryBuilder::default();
    query.to_sql(&mut builder, &DB::default())?;
    Ok(builder.finish())
}
