//! Scoped aliases: `diesel::alias!(employees as managers)` scoped with
//! `managers.in_schema(s)` renders `"s"."employees" AS "managers"`, for
//! self-joins and for joining one table twice.
//!
//! A scoped alias is a [`SchemaScoped<Alias<S>>`]: diesel's own alias (its
//! name, its `AliasedField` columns, `managers.field(employees::name)`) with
//! the schema in front. It joins scoped tables on their right-hand side, with
//! an explicit `.on(..)` (self-joins) or implicitly for tables declared with
//! `ryx::joinable!`.

use diesel::expression::{AppearsOnTable, Expression, ValidGrouping};
use diesel::helper_types::AliasedFields;
use diesel::internal::operators_macro::FieldAliasMapper;
use diesel::internal::table_macro::{FromClause, SelectStatement};
use diesel::query_builder::AsQuery;
use diesel::query_source::{
    Alias, AliasSource, AliasedField, AppearsInFromClause, Column, Never, QuerySource,
    TableNotEqual,
};
use diesel::{JoinTo, SelectableExpression, Table};

use crate::scoped::{CanScope, SchemaScoped, ScopableTable};

/// `managers.in_schema(s)` for `let managers = diesel::alias!(employees as managers);`
/// on a table declared with `ryx_table!`.
impl<S> CanScope for Alias<S>
where
    S: AliasSource,
    S::Target: ScopableTable,
{
}

impl<S> QuerySource for SchemaScoped<Alias<S>>
where
    S: AliasSource + Clone,
    S::Target: ScopableTable,
    <S::Target as QuerySource>::DefaultSelection: FieldAliasMapper<S>,
    AliasedFields<S, <S::Target as QuerySource>::DefaultSelection>:
        SelectableExpression<SchemaScoped<Alias<S>>>,
{
    type FromClause = Self;
    type DefaultSelection = AliasedFields<S, <S::Target as QuerySource>::DefaultSelection>;

    fn from_clause(&self) -> Self::FromClause {
        self.clone()
    }

    fn default_selection(&self) -> Self::DefaultSelection {
        self.table.fields(S::Target::default().default_selection())
    }
}

impl<S> AsQuery for SchemaScoped<Alias<S>>
where
    Self: QuerySource,
    <Self as QuerySource>::DefaultSelection: ValidGrouping<()>,
{
    type SqlType = <<Self as QuerySource>::DefaultSelection as Expression>::SqlType;
    type Query = SelectStatement<FromClause<Self>>;

    fn as_query(self) -> Self::Query {
        SelectStatement::simple(self)
    }
}

/// A scoped alias holds itself once and no other alias of its table
/// (`diesel::alias!(employees as managers, employees as grand)` declares them
/// apart), as diesel's alias does.
impl<S, S2> AppearsInFromClause<Alias<S2>> for SchemaScoped<Alias<S>>
where
    S: AliasSource,
    S2: AliasSource,
    Alias<S>: AppearsInFromClause<Alias<S2>>,
{
    type Count = <Alias<S> as AppearsInFromClause<Alias<S2>>>::Count;
}

/// A scoped alias holds no table: `employees::name` is not a column of
/// `managers`, and no other table's column is either.
#[diagnostic::do_not_recommend]
impl<S, T> TableNotEqual<T> for SchemaScoped<Alias<S>>
where
    T: ScopableTable,
    Self: Table,
{
}

/// A scoped alias is a table of its own to diesel (what makes it stand on the
/// right of a `left_join` and at the root of a query), whose columns are the
/// alias's: `managers.field(employees::id)`.
impl<S> Table for SchemaScoped<Alias<S>>
where
    S: AliasSource + Clone + Default,
    S::Target: ScopableTable,
    Self: QuerySource + AsQuery,
    <S::Target as Table>::PrimaryKey: FieldAliasMapper<S>,
    <S::Target as Table>::AllColumns: FieldAliasMapper<S>,
    AliasedFields<S, <S::Target as Table>::PrimaryKey>:
        SelectableExpression<Self> + ValidGrouping<()>,
    AliasedFields<S, <S::Target as Table>::AllColumns>:
        SelectableExpression<Self> + ValidGrouping<()>,
{
    type PrimaryKey = AliasedFields<S, <S::Target as Table>::PrimaryKey>;
    type AllColumns = AliasedFields<S, <S::Target as Table>::AllColumns>;

    fn primary_key(&self) -> Self::PrimaryKey {
        self.table.fields(S::Target::default().primary_key())
    }

    fn all_columns() -> Self::AllColumns {
        Alias::<S>::default().fields(S::Target::all_columns())
    }
}

/// A scoped table is never an alias: `managers.field(..)` is not one of its columns.
impl<T, S> AppearsInFromClause<Alias<S>> for SchemaScoped<T>
where
    T: ScopableTable,
    S: AliasSource,
{
    type Count = Never;
}

/// The alias's columns (`managers.field(employees::name)`) on the scoped alias.
impl<S, C> SelectableExpression<SchemaScoped<Alias<S>>> for AliasedField<S, C>
where
    S: AliasSource,
    C: Column<Table = S::Target>,
    Self: AppearsOnTable<SchemaScoped<Alias<S>>>,
{
}

/// The implicit join of a scoped alias to a scoped table declared joinable
/// with its alias's table: the `ON` clause of `ryx::joinable!`, with the
/// alias's columns in place of its table's.
#[diagnostic::do_not_recommend]
impl<S, T> JoinTo<SchemaScoped<T>> for SchemaScoped<Alias<S>>
where
    S: AliasSource + Default,
    S::Target: JoinTo<T>,
    <S::Target as JoinTo<T>>::OnClause: FieldAliasMapper<S>,
    T: ScopableTable,
{
    type FromClause = SchemaScoped<T>;
    type OnClause = AliasedFields<S, <S::Target as JoinTo<T>>::OnClause>;

    fn join_target(rhs: SchemaScoped<T>) -> (Self::FromClause, Self::OnClause) {
        let (_, on) = <S::Target as JoinTo<T>>::join_target(rhs.table);
        (rhs, Alias::<S>::default().fields(on))
    }
}
