//! Scoped writes: [`insert_into`], [`update`] and [`delete`].
//!
//! diesel's own `insert_into`/`update`/`delete` type-check values and changesets
//! against the table they target; on a [`SchemaScoped`](crate::SchemaScoped)
//! table the values and changesets users write (derived for the plain table)
//! would not fit. These functions take exactly what diesel takes for the plain
//! table and retarget it to the scoped table internally, so users never wrap
//! values themselves.
//!
//! - `insert`: `ryx::insert_into(t).values(..)`, `.returning(..)`.
//! - `upsert`: `.on_conflict(..).do_update().set(..)`, `.do_nothing()`,
//!   `.on_conflict_do_nothing()`, for one row or a batch on every backend.
//! - `insert_select`: `.values(select).into_columns(..)`.
//! - `update` and `delete`.

mod columns;
mod delete;
mod insert;
mod insert_select;
mod update;
mod upsert;

pub use self::columns::{ColumnTuple, ColumnsOf, SingleColumn};
pub use self::delete::delete;
pub use self::insert::{
    insert_into, IncompleteInsert, InsertStatement, NoReturning, Returning, ScopedRecords,
};
pub use self::insert_select::IntoColumns;
pub use self::update::{update, ScopedChangeset, ScopedTarget, UpdateBuilder};
#[cfg(feature = "sqlite")]
pub use self::upsert::SqliteUpsertRows;
pub use self::upsert::{
    AnyConflict, AnyDuplicatedKey, ConflictTargetOf, DoNothing, DoUpdate, IncompleteDoUpdate,
    IncompleteOnConflict, OnColumns, Upsert, UpsertRecords, UpsertValues,
};
