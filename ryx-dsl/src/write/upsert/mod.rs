//! Upserts on a scoped table, spelled as diesel spells them:
//! `.on_conflict(col).do_update().set(..)`, `.on_conflict((a, b))`,
//! `.on_conflict(..).do_nothing()`, `.on_conflict_do_nothing()`, and on MySQL
//! `.on_conflict(diesel::dsl::DuplicatedKeys)` (`ON DUPLICATE KEY UPDATE`).
//!
//! The result is diesel's own `InsertStatement` on the scoped table, so
//! `.returning(..)`, `.execute`, `.get_result` and `.get_results` work on it
//! as usual. The conflict target and the `SET` clause are checked against the
//! plain table (`excluded(col)` included); the statement renders the schema on
//! PostgreSQL, checks the schema name before any SQL is sent, and never has a
//! static query id. A batch (`Vec`, slice or array of rows) is one statement
//! on every backend, SQLite included.
//!
//! - `conflict`: the `ON CONFLICT` / `ON DUPLICATE KEY` clause per backend.
//! - `sqlite_rows`: the rows of a SQLite upsert, one or a batch.

mod conflict;
#[cfg(feature = "sqlite")]
mod sqlite_rows;

use std::marker::PhantomData;

use diesel::query_builder::AsChangeset;
use diesel::{Insertable, Table};

use super::columns::{ColumnTuple, ColumnsOf, SingleColumn};
use super::insert::{InsertStatement, NoReturning};
use crate::scoped::{SchemaScoped, ScopableTable};

#[cfg(feature = "sqlite")]
pub use self::sqlite_rows::SqliteUpsertRows;

/// diesel's insert statement on the scoped table `T` with an `ON CONFLICT`
/// (`ON DUPLICATE KEY` on MySQL) clause: what the upsert methods return.
pub type Upsert<T, V, Target, Action> = diesel::query_builder::InsertStatement<
    SchemaScoped<T>,
    UpsertValues<<V as Insertable<T>>::Values, Target, Action>,
>;

/// A conflict target of table `T`, as `.on_conflict(..)` takes: a column
/// (`posts::id`), a tuple of columns with a unique constraint over them
/// (`(posts::author_id, posts::slug)`), or on MySQL `diesel::dsl::DuplicatedKeys`.
///
/// `M` is a marker and is always inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a conflict target of `{T}`",
    label = "expected a column (or a tuple of columns) of `{T}`",
    note = "name columns of the table inserted into: `.on_conflict(posts::id)` or \
            `.on_conflict((posts::author_id, posts::slug))`; on MySQL, \
            `.on_conflict(diesel::dsl::DuplicatedKeys)`",
    note = "to ignore any conflict, use `.on_conflict_do_nothing()`"
)]
pub trait ConflictTargetOf<T, M> {}

impl<T, C> ConflictTargetOf<T, SingleColumn> for C where C: ColumnsOf<T, SingleColumn> {}
impl<T, C> ConflictTargetOf<T, ColumnTuple> for C where C: ColumnsOf<T, ColumnTuple> {}

/// Marker: the conflict target is MySQL's `DuplicatedKeys`. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyDuplicatedKey;

#[cfg(feature = "mysql")]
impl<T> ConflictTargetOf<T, AnyDuplicatedKey> for diesel::dsl::DuplicatedKeys {}

/// The values of an upsert: the plain table's values, the conflict target and
/// the action. Internal: the `records` of diesel's statement.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct UpsertValues<U, Target, Action> {
    values: U,
    target: Target,
    action: Action,
}

/// The plain table's records with a conflict clause, offered to the scoped
/// table. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct UpsertRecords<V, Target, Action> {
    records: V,
    target: Target,
    action: Action,
}

impl<T, V, Target, Action> Insertable<SchemaScoped<T>> for UpsertRecords<V, Target, Action>
where
    V: Insertable<T>,
{
    type Values = UpsertValues<V::Values, Target, Action>;

    fn values(self) -> Self::Values {
        UpsertValues {
            values: self.records.values(),
            target: self.target,
            action: self.action,
        }
    }
}

/// No conflict target: any conflict (`ON CONFLICT DO NOTHING`). Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyConflict;

/// The conflict target `C` of table `T`. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct OnColumns<T, C, M>(C, PhantomData<(T, M)>);

/// `DO NOTHING`; on MySQL the primary key assigned to itself. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct DoNothing<T, PkM> {
    // read on MySQL only (its "do nothing" assigns the primary key to itself)
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    table: T,
    marker: PhantomData<PkM>,
}

/// `DO UPDATE SET changeset` (`UPDATE changeset` on MySQL). Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct DoUpdate<C, T, PkM> {
    changeset: C,
    // read on MySQL only
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    table: T,
    marker: PhantomData<PkM>,
}

impl<T, V> InsertStatement<T, V, NoReturning>
where
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
{
    /// diesel's statement on the scoped table with `target` and `action`.
    fn upsert<Target, Action>(
        self,
        target: Target,
        action: Action,
    ) -> Upsert<T, V, Target, Action> {
        diesel::insert_into(self.target).values(UpsertRecords {
            records: self.records,
            target,
            action,
        })
    }

    /// `ON CONFLICT DO NOTHING`: rows that conflict with any unique constraint
    /// are skipped (MySQL: `ON DUPLICATE KEY UPDATE` of the primary key to itself,
    /// as diesel writes it).
    ///
    /// ```ignore
    /// let n = ryx::insert_into(posts::table.in_schema(&t))
    ///     .values(&rows)
    ///     .on_conflict_do_nothing()
    ///     .execute(conn)?;
    /// // PostgreSQL: INSERT INTO "t1"."posts" (..) VALUES (..) ON CONFLICT DO NOTHING
    /// ```
    pub fn on_conflict_do_nothing<PkM>(self) -> Upsert<T, V, AnyConflict, DoNothing<T, PkM>>
    where
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        let table = self.target.table;
        self.upsert(
            AnyConflict,
            DoNothing {
                table,
                marker: PhantomData,
            },
        )
    }

    /// `ON CONFLICT (target)`, followed by `.do_nothing()` or
    /// `.do_update().set(..)`. `target` is a column of the table, a tuple of its
    /// columns, or on MySQL `diesel::dsl::DuplicatedKeys`.
    ///
    /// ```ignore
    /// use diesel::upsert::excluded;
    /// let post: Post = ryx::insert_into(posts::table.in_schema(&t))
    ///     .values(&new_post)
    ///     .on_conflict(posts::id)
    ///     .do_update()
    ///     .set(posts::views.eq(excluded(posts::views)))
    ///     .get_result(conn)?;
    /// // PostgreSQL: INSERT INTO "t1"."posts" (..) VALUES (..)
    /// //   ON CONFLICT ("id") DO UPDATE SET "views" = excluded."views" RETURNING ..
    /// ```
    pub fn on_conflict<Target, M>(
        self,
        target: Target,
    ) -> IncompleteOnConflict<T, V, OnColumns<T, Target, M>>
    where
        Target: ConflictTargetOf<T, M>,
    {
        IncompleteOnConflict {
            stmt: self,
            target: OnColumns(target, PhantomData),
        }
    }
}

/// An upsert with its conflict target, before `.do_nothing()` or `.do_update()`.
/// See [`InsertStatement::on_conflict`].
#[derive(Debug, Clone)]
#[must_use = "an upsert needs `.do_nothing()` or `.do_update().set(..)`"]
pub struct IncompleteOnConflict<T, V, Target> {
    stmt: InsertStatement<T, V, NoReturning>,
    target: Target,
}

impl<T, V, Target> IncompleteOnConflict<T, V, Target>
where
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
{
    /// `ON CONFLICT (target) DO NOTHING`.
    pub fn do_nothing<PkM>(self) -> Upsert<T, V, Target, DoNothing<T, PkM>>
    where
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        let table = self.stmt.target.table;
        self.stmt.upsert(
            self.target,
            DoNothing {
                table,
                marker: PhantomData,
            },
        )
    }

    /// `ON CONFLICT (target) DO UPDATE`, followed by `.set(..)`.
    pub fn do_update(self) -> IncompleteDoUpdate<T, V, Target> {
        IncompleteDoUpdate {
            stmt: self.stmt,
            target: self.target,
        }
    }
}

/// An upsert's `DO UPDATE` before `.set(..)`. See [`IncompleteOnConflict::do_update`].
#[derive(Debug, Clone)]
#[must_use = "an upsert's `.do_update()` needs `.set(..)`"]
pub struct IncompleteDoUpdate<T, V, Target> {
    stmt: InsertStatement<T, V, NoReturning>,
    target: Target,
}

impl<T, V, Target> IncompleteDoUpdate<T, V, Target>
where
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
{
    /// The `SET` clause: anything diesel accepts as a changeset of the plain
    /// table, `excluded(column)` included (`diesel::upsert::excluded`).
    pub fn set<C, PkM>(
        self,
        changes: C,
    ) -> Upsert<T, V, Target, DoUpdate<<C as AsChangeset>::Changeset, T, PkM>>
    where
        C: AsChangeset<Target = T>,
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        let table = self.stmt.target.table;
        self.stmt.upsert(
            self.target,
            DoUpdate {
                changeset: changes.as_changeset(),
                table,
                marker: PhantomData,
            },
        )
    }
}
