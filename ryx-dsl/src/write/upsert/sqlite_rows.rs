//! The rows of an upsert on SQLite: one row as diesel writes it, or a batch
//! as one `INSERT INTO t (cols) VALUES (..), (..) ON CONFLICT ..`.
//!
//! That is the statement diesel sends for a batch upsert of `column.eq(value)`
//! tuples into the plain table. diesel renders it through types it keeps
//! private (its SQLite batch wrapper), so the scoped statement writes the same
//! SQL itself from diesel's public `BatchInsert` and `ValuesClause`.
//!
//! SQLite has no `DEFAULT` in `VALUES`: a row whose `Option` field is `None`
//! leaves that column out. One statement can only carry rows that name the
//! same columns, so a batch whose rows differ there is refused before any SQL
//! is sent. (diesel's plain-table upsert cannot `.execute` a batch of derived
//! `Insertable` structs on SQLite at all, as their fields may be left out;
//! here such a batch runs as one statement when its rows name the same
//! columns.)
//!
//! An upsert from a select names its columns on SQLite:
//! `.values(select).into_columns(cols)`. diesel's own form for a bare select
//! (`InsertFromSelect`) is private, so it cannot be listed here.

use std::marker::PhantomData;

use diesel::insertable::{CanInsertInSingleQuery, InsertValues};
use diesel::query_builder::{
    AstPass, BatchInsert, DefaultValues, QueryBuilder, QueryFragment, ValuesClause,
};
use diesel::sqlite::{Sqlite, SqliteQueryBuilder};
use diesel::{QueryResult, Table};

use super::super::insert_select::IntoColumns;
use super::UpsertValues;

/// What an upsert inserts on SQLite: one row, a batch (`Vec`, slice or array
/// of rows), `DEFAULT VALUES`, or a select with `.into_columns(..)`. Internal.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the rows of an upsert on SQLite",
    label = "upserted on SQLite here",
    note = "upsert one row, a batch (a `Vec`, slice or array of rows), or a select with its \
            columns named: `.values(select).into_columns((posts::id, posts::title))`"
)]
pub trait SqliteUpsertRows {
    /// Writes the rows: `(cols) VALUES (..)`, then `, (..)` per further row.
    fn walk_rows<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()>;

    /// How many rows one statement inserts, as diesel's `rows_to_insert`.
    fn rows(&self) -> Option<usize>;
}

/// One row, `DEFAULT VALUES` and a select: written as diesel writes them.
macro_rules! rows_as_diesel_writes_them {
    ([$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> SqliteUpsertRows for $ty
        where
            Self: QueryFragment<Sqlite> + CanInsertInSingleQuery<Sqlite>,
        {
            fn walk_rows<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
                <Self as QueryFragment<Sqlite>>::walk_ast(self, out)
            }

            fn rows(&self) -> Option<usize> {
                <Self as CanInsertInSingleQuery<Sqlite>>::rows_to_insert(self)
            }
        }
    };
}

rows_as_diesel_writes_them!([V, Tab] ValuesClause<V, Tab>);
rows_as_diesel_writes_them!([] DefaultValues);
rows_as_diesel_writes_them!([T, Q, C, M] IntoColumns<T, Q, C, M>);

/// A batch: the first row with its column list, then `, (values)` per row,
/// as diesel's SQLite batch insert writes it.
impl<V, Tab, QId, const STATIC_QUERY_ID: bool> SqliteUpsertRows
    for BatchInsert<Vec<ValuesClause<V, Tab>>, Tab, QId, STATIC_QUERY_ID>
where
    Tab: Table,
    V: InsertValues<Sqlite, Tab>,
    ValuesClause<V, Tab>: QueryFragment<Sqlite>,
{
    fn walk_rows<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        if !STATIC_QUERY_ID {
            out.unsafe_to_cache_prepared();
        }
        same_columns(&self.values)?;
        let mut rows = self.values.iter();
        if let Some(first) = rows.next() {
            first.walk_ast(out.reborrow())?;
        }
        for row in rows {
            out.push_sql(", (");
            row.values.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        Ok(())
    }

    fn rows(&self) -> Option<usize> {
        Some(self.values.len())
    }
}

/// The SQLite upsert: the rows, then `ON CONFLICT (target) DO ..`.
impl<U, Target, Action> QueryFragment<Sqlite> for UpsertValues<U, Target, Action>
where
    U: SqliteUpsertRows,
    Target: QueryFragment<Sqlite>,
    Action: QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.values.walk_rows(out.reborrow())?;
        out.push_sql(" ON CONFLICT");
        self.target.walk_ast(out.reborrow())?;
        self.action.walk_ast(out.reborrow())
    }
}

impl<U, Target, Action> CanInsertInSingleQuery<Sqlite> for UpsertValues<U, Target, Action>
where
    U: SqliteUpsertRows,
{
    fn rows_to_insert(&self) -> Option<usize> {
        self.values.rows()
    }
}

/// Why a batch cannot be one SQLite statement.
#[derive(Debug, thiserror::Error)]
enum BatchRowsError {
    #[error(
        "row {row} of this SQLite batch upsert sets the columns ({columns}) but row 1 sets \
         ({first}); SQLite has no DEFAULT in VALUES, so one statement needs the same columns in \
         every row: set the same `Option` fields on every row, or upsert the rows in separate batches"
    )]
    DifferentColumns {
        row: usize,
        columns: String,
        first: String,
    },
    #[error(
        "the rows of this SQLite batch upsert set no column (every field `None`), which SQLite \
         writes as DEFAULT VALUES, one row per statement: upsert each row on its own"
    )]
    NoColumns,
}

/// Refuses a batch whose rows name different columns, or none.
fn same_columns<V, Tab>(rows: &[ValuesClause<V, Tab>]) -> QueryResult<()>
where
    Tab: Table,
    V: InsertValues<Sqlite, Tab>,
{
    let refuse = |e| Err(diesel::result::Error::QueryBuilderError(Box::new(e)));
    let [first, rest @ ..] = rows else {
        return Ok(());
    };
    if rest.is_empty() {
        // one row: nothing to compare, and no column at all is DEFAULT VALUES
        return Ok(());
    }
    let first = column_list::<V, Tab>(&first.values)?;
    if first.is_empty() {
        return refuse(BatchRowsError::NoColumns);
    }
    for (i, row) in rest.iter().enumerate() {
        let columns = column_list::<V, Tab>(&row.values)?;
        if columns != first {
            return refuse(BatchRowsError::DifferentColumns {
                row: i + 2,
                columns,
                first,
            });
        }
    }
    Ok(())
}

/// The quoted column list one row names, e.g. `` `id`, `slug` ``.
fn column_list<V, Tab>(values: &V) -> QueryResult<String>
where
    Tab: Table,
    V: InsertValues<Sqlite, Tab>,
{
    let mut sql = SqliteQueryBuilder::new();
    ColumnNames(values, PhantomData::<Tab>).to_sql(&mut sql, &Sqlite)?;
    Ok(sql.finish())
}

/// The column names of one row's values, as a fragment to render alone.
struct ColumnNames<'a, V, Tab>(&'a V, PhantomData<Tab>);

impl<V, Tab> QueryFragment<Sqlite> for ColumnNames<'_, V, Tab>
where
    Tab: Table,
    V: InsertValues<Sqlite, Tab>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.0.column_names(out)
    }
}
