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
//! static query id.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::insertable::CanInsertInSingleQuery;
use diesel::query_builder::{AsChangeset, AstPass, QueryFragment, QueryId};
use diesel::{Insertable, QueryResult, Table};

#[cfg(any(feature = "postgres", feature = "sqlite"))]
use super::columns::push_names;
use super::columns::{ColumnTuple, ColumnsOf, SingleColumn};
use super::insert::{InsertStatement, NoReturning};
use crate::scoped::{SchemaScoped, ScopableTable};

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

/// Never a static query id: the statement's SQL names a run-time schema.
impl<U, Target, Action> QueryId for UpsertValues<U, Target, Action> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<U, Target, Action, DB> CanInsertInSingleQuery<DB> for UpsertValues<U, Target, Action>
where
    DB: Backend,
    U: CanInsertInSingleQuery<DB>,
{
    fn rows_to_insert(&self) -> Option<usize> {
        self.values.rows_to_insert()
    }
}

/// `ON CONFLICT` as PostgreSQL and SQLite write it.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
macro_rules! pg_like_upsert {
    ($db:ty) => {
        impl<U, Target, Action> QueryFragment<$db> for UpsertValues<U, Target, Action>
        where
            U: QueryFragment<$db>,
            Target: QueryFragment<$db>,
            Action: QueryFragment<$db>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                self.values.walk_ast(out.reborrow())?;
                out.push_sql(" ON CONFLICT");
                self.target.walk_ast(out.reborrow())?;
                self.action.walk_ast(out.reborrow())
            }
        }

        impl QueryFragment<$db> for AnyConflict {
            fn walk_ast<'b>(&'b self, _out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                Ok(())
            }
        }

        impl<T, C> QueryFragment<$db> for OnColumns<T, C, SingleColumn>
        where
            C: ColumnsOf<T, SingleColumn>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.push_sql(" (");
                push_names(&mut out, &C::column_names())?;
                out.push_sql(")");
                Ok(())
            }
        }

        impl<T, C> QueryFragment<$db> for OnColumns<T, C, ColumnTuple>
        where
            C: ColumnsOf<T, ColumnTuple>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.push_sql(" (");
                push_names(&mut out, &C::column_names())?;
                out.push_sql(")");
                Ok(())
            }
        }

        impl<T, PkM> QueryFragment<$db> for DoNothing<T, PkM> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.push_sql(" DO NOTHING");
                Ok(())
            }
        }

        impl<C, T, PkM> QueryFragment<$db> for DoUpdate<C, T, PkM>
        where
            C: QueryFragment<$db>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.unsafe_to_cache_prepared();
                if self.changeset.is_noop(out.backend())? {
                    out.push_sql(" DO NOTHING");
                } else {
                    out.push_sql(" DO UPDATE SET ");
                    self.changeset.walk_ast(out.reborrow())?;
                }
                Ok(())
            }
        }
    };
}

#[cfg(feature = "postgres")]
pg_like_upsert!(diesel::pg::Pg);
#[cfg(feature = "sqlite")]
pg_like_upsert!(diesel::sqlite::Sqlite);

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use diesel::mysql::Mysql;

    /// `` `posts`.`id` = `posts`.`id` ``: diesel's no-op assignment on MySQL.
    fn primary_key_to_itself<'b, T, PkM>(
        table: &'b T,
        out: &mut AstPass<'_, 'b, Mysql>,
    ) -> QueryResult<()>
    where
        T: Table + QueryFragment<Mysql>,
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        for (i, name) in T::PrimaryKey::column_names().into_iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            table.walk_ast(out.reborrow())?;
            out.push_sql(".");
            out.push_identifier(name)?;
            out.push_sql(" = ");
            table.walk_ast(out.reborrow())?;
            out.push_sql(".");
            out.push_identifier(name)?;
        }
        Ok(())
    }

    impl<U, Target, Action> QueryFragment<Mysql> for UpsertValues<U, Target, Action>
    where
        U: QueryFragment<Mysql>,
        Target: QueryFragment<Mysql>,
        Action: QueryFragment<Mysql>,
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            self.values.walk_ast(out.reborrow())?;
            out.push_sql(" ON DUPLICATE KEY");
            self.target.walk_ast(out.reborrow())?;
            self.action.walk_ast(out.reborrow())
        }
    }

    impl QueryFragment<Mysql> for AnyConflict {
        fn walk_ast<'b>(&'b self, _out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            Ok(())
        }
    }

    impl<T> QueryFragment<Mysql> for OnColumns<T, diesel::dsl::DuplicatedKeys, AnyDuplicatedKey> {
        fn walk_ast<'b>(&'b self, _out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            Ok(())
        }
    }

    impl<T, PkM> QueryFragment<Mysql> for DoNothing<T, PkM>
    where
        T: Table + QueryFragment<Mysql>,
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            out.push_sql(" UPDATE ");
            primary_key_to_itself(&self.table, &mut out)
        }
    }

    impl<C, T, PkM> QueryFragment<Mysql> for DoUpdate<C, T, PkM>
    where
        C: QueryFragment<Mysql>,
        T: Table + QueryFragment<Mysql>,
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            out.unsafe_to_cache_prepared();
            out.push_sql(" UPDATE ");
            if self.changeset.is_noop(out.backend())? {
                primary_key_to_itself(&self.table, &mut out)
            } else {
                self.changeset.walk_ast(out.reborrow())
            }
        }
    }
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
