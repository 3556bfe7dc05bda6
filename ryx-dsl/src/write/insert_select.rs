//! `INSERT INTO "t1"."posts" (cols) SELECT ..`: an insert from a select, with
//! the columns named by `.into_columns(..)`.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::insertable::CanInsertInSingleQuery;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{Expression, Insertable, QueryResult, Table};

use super::columns::{push_names, ColumnsOf};
use super::insert::{InsertStatement, NoReturning};
use crate::scoped::ScopableTable;

/// A select inserted into the columns `C` of `T`. Internal: made by
/// [`InsertStatement::into_columns`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct IntoColumns<T, Q, C, M> {
    query: Q,
    marker: PhantomData<(T, C, M)>,
}

impl<T, V> InsertStatement<T, V, NoReturning>
where
    T: ScopableTable,
    V: Query,
{
    /// Names the columns an insert from a select fills, in the select's order:
    /// diesel's `insert_into(t).values(select).into_columns(cols)`.
    ///
    /// ```ignore
    /// let n = ryx::insert_into(posts::table.in_schema(&t))
    ///     .values(drafts::table.in_schema(&t).select((drafts::title, drafts::views)))
    ///     .into_columns((posts::title, posts::views))
    ///     .execute(conn)?;
    /// // PostgreSQL: INSERT INTO "t1"."posts" ("title", "views")
    /// //             SELECT "drafts"."title", "drafts"."views" FROM "t1"."drafts"
    /// ```
    pub fn into_columns<C, M>(self, _columns: C) -> InsertStatement<T, IntoColumns<T, V, C, M>>
    where
        C: ColumnsOf<T, M> + Expression,
        V: Query<SqlType = C::SqlType>,
    {
        InsertStatement {
            target: self.target,
            records: IntoColumns {
                query: self.records,
                marker: PhantomData,
            },
            returning: NoReturning,
        }
    }
}

impl<T, Q, C, M> Insertable<T> for IntoColumns<T, Q, C, M>
where
    T: Table,
    C: ColumnsOf<T, M>,
{
    type Values = Self;

    fn values(self) -> Self::Values {
        self
    }
}

impl<T, Q, C, M, DB> QueryFragment<DB> for IntoColumns<T, Q, C, M>
where
    DB: Backend,
    C: ColumnsOf<T, M>,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        push_names(&mut out, &C::column_names())?;
        out.push_sql(") ");
        self.query.walk_ast(out.reborrow())
    }
}

impl<T, Q, C, M, DB: Backend> CanInsertInSingleQuery<DB> for IntoColumns<T, Q, C, M> {
    fn rows_to_insert(&self) -> Option<usize> {
        None
    }
}

/// Never a static query id: the select names a schema chosen at run time.
impl<T, Q, C, M> QueryId for IntoColumns<T, Q, C, M> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}
