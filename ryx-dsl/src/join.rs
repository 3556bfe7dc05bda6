//! Joins whose right-hand side is itself a join, a query or an alias:
//! `a.in_schema(s).inner_join(b.in_schema(s).inner_join(c.in_schema(s)))`.
//!
//! These are the impls diesel's `table!` generates for a plain table
//! (`JoinTo<Join<..>>`, `JoinTo<JoinOn<..>>`, `JoinTo<SelectStatement<..>>`,
//! `JoinTo<BoxedSelectStatement<..>>`, `JoinTo<Alias<..>>`), written once for
//! every [`SchemaScoped`] table. Each one asks the right-hand side how it joins
//! back to the scoped table, so a nested join compiles only when every pair
//! that meets is declared with `ryx::joinable!` and every table in it is scoped.

use diesel::internal::table_macro::{
    BoxedSelectStatement, FromClause, Join, JoinOn, SelectStatement,
};
use diesel::query_source::{Alias, QuerySource};
use diesel::JoinTo;

use crate::scoped::{SchemaScoped, ScopableTable};

/// `a.in_schema(s).inner_join(<a join of b and c>)`, once the right-hand join is
/// a bare `Join` (diesel reaches it through `JoinOn` and `SelectStatement`).
#[diagnostic::do_not_recommend]
impl<T, Left, Right, Kind> JoinTo<Join<Left, Right, Kind>> for SchemaScoped<T>
where
    T: ScopableTable,
    Join<Left, Right, Kind>: JoinTo<SchemaScoped<T>>,
    Left: QuerySource,
    Right: QuerySource,
{
    type FromClause = Join<Left, Right, Kind>;
    type OnClause = <Join<Left, Right, Kind> as JoinTo<SchemaScoped<T>>>::OnClause;

    fn join_target(rhs: Join<Left, Right, Kind>) -> (Self::FromClause, Self::OnClause) {
        let (_, on) = <Join<Left, Right, Kind> as JoinTo<SchemaScoped<T>>>::join_target(
            SchemaScoped::lost(T::default()),
        );
        (rhs, on)
    }
}

/// `a.in_schema(s).inner_join(<b joined to c with its ON clause>)`.
#[diagnostic::do_not_recommend]
impl<T, J, On> JoinTo<JoinOn<J, On>> for SchemaScoped<T>
where
    T: ScopableTable,
    JoinOn<J, On>: JoinTo<SchemaScoped<T>>,
{
    type FromClause = JoinOn<J, On>;
    type OnClause = <JoinOn<J, On> as JoinTo<SchemaScoped<T>>>::OnClause;

    fn join_target(rhs: JoinOn<J, On>) -> (Self::FromClause, Self::OnClause) {
        let (_, on) = <JoinOn<J, On> as JoinTo<SchemaScoped<T>>>::join_target(SchemaScoped::lost(
            T::default(),
        ));
        (rhs, on)
    }
}

/// `a.in_schema(s).inner_join(b.in_schema(s).inner_join(c.in_schema(s)))`: the
/// right-hand side is the query `b.inner_join(c)`, which joins back to `a`
/// through its left-most table `b`.
#[diagnostic::do_not_recommend]
impl<T, F, S, D, W, O, L, Of, G> JoinTo<SelectStatement<FromClause<F>, S, D, W, O, L, Of, G>>
    for SchemaScoped<T>
where
    T: ScopableTable,
    F: QuerySource,
    SelectStatement<FromClause<F>, S, D, W, O, L, Of, G>: JoinTo<SchemaScoped<T>>,
{
    type FromClause = SelectStatement<FromClause<F>, S, D, W, O, L, Of, G>;
    type OnClause =
        <SelectStatement<FromClause<F>, S, D, W, O, L, Of, G> as JoinTo<SchemaScoped<T>>>::OnClause;

    fn join_target(
        rhs: SelectStatement<FromClause<F>, S, D, W, O, L, Of, G>,
    ) -> (Self::FromClause, Self::OnClause) {
        let (_, on) = <SelectStatement<FromClause<F>, S, D, W, O, L, Of, G> as JoinTo<
            SchemaScoped<T>,
        >>::join_target(SchemaScoped::lost(T::default()));
        (rhs, on)
    }
}

/// The boxed form of the previous impl, as diesel's `table!` has it.
#[diagnostic::do_not_recommend]
impl<'a, T, QS, ST, DB> JoinTo<BoxedSelectStatement<'a, ST, FromClause<QS>, DB>> for SchemaScoped<T>
where
    T: ScopableTable,
    QS: QuerySource,
    BoxedSelectStatement<'a, ST, FromClause<QS>, DB>: JoinTo<SchemaScoped<T>>,
{
    type FromClause = BoxedSelectStatement<'a, ST, FromClause<QS>, DB>;
    type OnClause =
        <BoxedSelectStatement<'a, ST, FromClause<QS>, DB> as JoinTo<SchemaScoped<T>>>::OnClause;

    fn join_target(
        rhs: BoxedSelectStatement<'a, ST, FromClause<QS>, DB>,
    ) -> (Self::FromClause, Self::OnClause) {
        let (_, on) = <BoxedSelectStatement<'a, ST, FromClause<QS>, DB> as JoinTo<
            SchemaScoped<T>,
        >>::join_target(SchemaScoped::lost(T::default()));
        (rhs, on)
    }
}

/// A scoped alias on the right (`posts.in_schema(s).inner_join(writers.in_schema(s))`,
/// `writers` a `diesel::alias!` of a table joinable to `posts`): the alias
/// joins back to the scoped table, its columns renamed to the alias's.
#[diagnostic::do_not_recommend]
impl<T, S> JoinTo<SchemaScoped<Alias<S>>> for SchemaScoped<T>
where
    T: ScopableTable,
    SchemaScoped<Alias<S>>: JoinTo<SchemaScoped<T>>,
{
    type FromClause = SchemaScoped<Alias<S>>;
    type OnClause = <SchemaScoped<Alias<S>> as JoinTo<SchemaScoped<T>>>::OnClause;

    fn join_target(rhs: SchemaScoped<Alias<S>>) -> (Self::FromClause, Self::OnClause) {
        let (_, on) = <SchemaScoped<Alias<S>> as JoinTo<SchemaScoped<T>>>::join_target(
            SchemaScoped::lost(T::default()),
        );
        (rhs, on)
    }
}
