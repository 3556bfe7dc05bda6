//! Column lists checked at the type level: one column, or a tuple of columns,
//! all of one table. Used by `on_conflict(..)` and `into_columns(..)`.

use diesel::Column;

/// Marker: the column list is a single column. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleColumn;

/// Marker: the column list is a tuple of columns. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ColumnTuple;

/// A column of table `T` (`posts::title`) or a tuple of them
/// (`(posts::title, posts::views)`), as `.into_columns(..)` takes.
///
/// `M` is [`SingleColumn`] or [`ColumnTuple`] and is always inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a column, or a tuple of columns, of `{T}`",
    label = "expected columns of `{T}`",
    note = "name columns of the table written to, e.g. `.into_columns((posts::title, posts::views))`"
)]
pub trait ColumnsOf<T, M> {
    /// The columns' names, in order.
    #[doc(hidden)]
    fn column_names() -> Vec<&'static str>;
}

impl<C> ColumnsOf<C::Table, SingleColumn> for C
where
    C: Column,
{
    fn column_names() -> Vec<&'static str> {
        vec![C::NAME]
    }
}

macro_rules! columns_of_tuple {
    ($($C:ident),+) => {
        impl<Tab, $($C),+> ColumnsOf<Tab, ColumnTuple> for ($($C,)+)
        where
            $($C: Column<Table = Tab>,)+
        {
            fn column_names() -> Vec<&'static str> {
                vec![$($C::NAME),+]
            }
        }
    };
}

/// `columns_of_tuple!` for every tuple length from the given one down to 1.
macro_rules! columns_of_tuples {
    ($first:ident $(, $rest:ident)*) => {
        columns_of_tuple!($first $(, $rest)*);
        columns_of_tuples!($($rest),*);
    };
    () => {};
}

// 32 columns: diesel's `32-column-tables`, which ryx enables.
columns_of_tuples!(
    C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18, C19, C20, C21,
    C22, C23, C24, C25, C26, C27, C28, C29, C30, C31, C32
);

/// Writes `names` as a comma-separated identifier list.
pub(super) fn push_names<DB: diesel::backend::Backend>(
    out: &mut diesel::query_builder::AstPass<'_, '_, DB>,
    names: &[&'static str],
) -> diesel::QueryResult<()> {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_sql(", ");
        }
        out.push_identifier(name)?;
    }
    Ok(())
}
