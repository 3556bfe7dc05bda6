//! diesel's associations for a tenant: `belonging_to` on a scoped table.

use diesel::associations::{BelongsTo, HasTable};
use diesel::dsl::{Eq, EqAny, Filter, FindBy};
use diesel::expression::array_comparison::AsInExpression;
use diesel::expression::{AsExpression, Expression};
use diesel::query_dsl::methods::FilterDsl;
use diesel::sql_types::SqlType;
use diesel::{ExpressionMethods, Identifiable};

use crate::schema_name::IntoSchemaName;
use crate::scoped::{InSchema, SchemaScoped, ScopableTable};

/// A parent's primary key, as diesel's `belonging_to` takes it.
type Id<T> = <T as Identifiable>::Id;

/// `Child::belonging_to(parents)` in a tenant's schema:
/// `Post::belonging_to_in_schema(&authors, "acme")` reads
/// `"acme"."posts"` where diesel's `Post::belonging_to(&authors)` would read
/// `posts` through `search_path`.
///
/// It takes one parent or a slice of parents (a `Vec` as `&authors[..]`:
/// unlike diesel, ryx cannot also take `&Vec<_>` directly, since Rust's
/// coherence rules let only diesel know that `&Vec<_>` is never a parent)
/// and returns the filter diesel's `belonging_to` makes, on the scoped table,
/// so `.select`, `.order`, `.load` and diesel's `grouped_by` work as usual:
///
/// ```ignore
/// let authors: Vec<Author> = authors::table.in_schema(&t).load(conn)?;
/// let posts: Vec<Post> = Post::belonging_to_in_schema(&authors[..], &t)
///     .select(Post::as_select())
///     .load(conn)?;
/// let by_author: Vec<(Author, Vec<Post>)> = posts
///     .grouped_by(&authors)
///     .into_iter()
///     .zip(authors)
///     .map(|(posts, author)| (author, posts))
///     .collect();
/// ```
///
/// Implemented for every `Child` deriving diesel's `Associations` whose table
/// is declared with `ryx_table!`.
pub trait BelongingToInSchemaDsl<Parents> {
    /// The query: the scoped child table filtered on the foreign key.
    type Output;

    /// The children of `parents` in `schema`.
    fn belonging_to_in_schema(parents: Parents, schema: impl IntoSchemaName) -> Self::Output;
}

impl<'a, Parent, Child> BelongingToInSchemaDsl<&'a Parent> for Child
where
    &'a Parent: Identifiable,
    Child: HasTable + BelongsTo<Parent>,
    Child::Table: ScopableTable,
    Id<&'a Parent>: AsExpression<<Child::ForeignKeyColumn as Expression>::SqlType>,
    SchemaScoped<Child::Table>: FilterDsl<Eq<Child::ForeignKeyColumn, Id<&'a Parent>>>,
    Child::ForeignKeyColumn: ExpressionMethods,
    <Child::ForeignKeyColumn as Expression>::SqlType: SqlType,
{
    type Output = FindBy<SchemaScoped<Child::Table>, Child::ForeignKeyColumn, Id<&'a Parent>>;

    fn belonging_to_in_schema(parent: &'a Parent, schema: impl IntoSchemaName) -> Self::Output {
        FilterDsl::filter(
            Child::table().in_schema(schema),
            Child::foreign_key_column().eq(parent.id()),
        )
    }
}

impl<'a, Parent, Child> BelongingToInSchemaDsl<&'a [Parent]> for Child
where
    &'a Parent: Identifiable,
    Child: HasTable + BelongsTo<Parent>,
    Child::Table: ScopableTable,
    Vec<Id<&'a Parent>>: AsInExpression<<Child::ForeignKeyColumn as Expression>::SqlType>,
    SchemaScoped<Child::Table>: FilterDsl<EqAny<Child::ForeignKeyColumn, Vec<Id<&'a Parent>>>>,
    Child::ForeignKeyColumn: ExpressionMethods,
    <Child::ForeignKeyColumn as Expression>::SqlType: SqlType,
{
    type Output =
        Filter<SchemaScoped<Child::Table>, EqAny<Child::ForeignKeyColumn, Vec<Id<&'a Parent>>>>;

    fn belonging_to_in_schema(parents: &'a [Parent], schema: impl IntoSchemaName) -> Self::Output {
        let ids = parents.iter().map(Identifiable::id).collect::<Vec<_>>();
        FilterDsl::filter(
            Child::table().in_schema(schema),
            Child::foreign_key_column().eq_any(ids),
        )
    }
}
