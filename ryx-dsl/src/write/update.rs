//! `ryx::update(table.in_schema(s))`: the scoped `UPDATE`, and the update/delete
//! target it shares with [`delete`](super::delete).

use diesel::associations::HasTable;
use diesel::query_builder::{
    AsChangeset, AsQuery, IntoUpdateTarget, UpdateStatement, UpdateTarget,
};
use diesel::query_dsl::methods::FilterDsl;
use diesel::Table;

use crate::scoped::{SchemaScoped, ScopableTable};

/// The update/delete target of a scoped table. Internal: it is the only type
/// that implements `HasTable` for a scoped table, and its static `table()` yields
/// a table that refuses to build ([`LostSchema`](crate::LostSchema)).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct ScopedTarget<T>(pub(super) SchemaScoped<T>);

impl<T> HasTable for ScopedTarget<T>
where
    T: ScopableTable,
    SchemaScoped<T>: Table,
{
    type Table = SchemaScoped<T>;

    fn table() -> Self::Table {
        SchemaScoped::lost(T::default())
    }
}

impl<T> IntoUpdateTarget for ScopedTarget<T>
where
    T: ScopableTable + IntoUpdateTarget<Table = T>,
    SchemaScoped<T>: Table,
{
    type WhereClause = <T as IntoUpdateTarget>::WhereClause;

    fn into_update_target(self) -> UpdateTarget<Self::Table, Self::WhereClause> {
        // The plain table's target has no WHERE clause; reuse diesel's value for it.
        let UpdateTarget { where_clause, .. } = self.0.table.into_update_target();
        UpdateTarget {
            table: self.0,
            where_clause,
        }
    }
}

/// A changeset of the plain table, offered to its scoped form. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ScopedChangeset<C>(C);

impl<C, T> AsChangeset for ScopedChangeset<C>
where
    C: AsChangeset<Target = T>,
    T: ScopableTable,
    SchemaScoped<T>: Table,
{
    type Target = SchemaScoped<T>;
    type Changeset = C::Changeset;

    fn as_changeset(self) -> Self::Changeset {
        self.0.as_changeset()
    }
}

/// Starts an `UPDATE` of a scoped table:
/// `ryx::update(posts::table.in_schema("t1")).filter(..).set(..)`.
///
/// `.set(..)` takes what diesel's `update(posts::table).set(..)` takes
/// (`column.eq(value)`, tuples of them, `AsChangeset` structs) and returns
/// diesel's own `UpdateStatement`, so `.filter`, `.returning` and `.execute`
/// work on it as usual.
pub fn update<T>(target: SchemaScoped<T>) -> UpdateBuilder<T, <T as IntoUpdateTarget>::WhereClause>
where
    T: ScopableTable + IntoUpdateTarget<Table = T>,
    SchemaScoped<T>: Table,
{
    UpdateBuilder {
        inner: diesel::update(ScopedTarget(target)),
    }
}

/// An `UPDATE` of a scoped table before `.set(..)`. See [`update`].
#[must_use = "an update does nothing until `.set(..)` and `.execute(..)` are called"]
pub struct UpdateBuilder<T: ScopableTable, W>
where
    SchemaScoped<T>: Table,
{
    inner: UpdateStatement<SchemaScoped<T>, W>,
}

impl<T, W> std::fmt::Debug for UpdateBuilder<T, W>
where
    T: ScopableTable,
    SchemaScoped<T>: Table,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateBuilder").finish_non_exhaustive()
    }
}

impl<T, W> UpdateBuilder<T, W>
where
    T: ScopableTable,
    SchemaScoped<T>: Table,
{
    /// Adds `predicate` to the `WHERE` clause (joined with `AND`).
    pub fn filter<P, W2>(self, predicate: P) -> UpdateBuilder<T, W2>
    where
        UpdateStatement<SchemaScoped<T>, W>:
            FilterDsl<P, Output = UpdateStatement<SchemaScoped<T>, W2>>,
    {
        UpdateBuilder {
            inner: FilterDsl::filter(self.inner, predicate),
        }
    }

    /// The `SET` clause: anything diesel accepts as a changeset of the plain table.
    pub fn set<C>(
        self,
        changeset: C,
    ) -> UpdateStatement<SchemaScoped<T>, W, <C as AsChangeset>::Changeset>
    where
        C: AsChangeset<Target = T>,
        UpdateStatement<SchemaScoped<T>, W, C::Changeset>: AsQuery,
    {
        self.inner.set(ScopedChangeset(changeset))
    }
}
