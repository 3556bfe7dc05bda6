//! [`SchemaScoped<T>`]: a diesel table bound to a schema chosen at run time.

use diesel::backend::Backend;
use diesel::expression::{Expression, ValidGrouping};
use diesel::internal::table_macro::{FromClause, SelectStatement};
use diesel::query_builder::{AsQuery, AstPass, QueryFragment, QueryId};
use diesel::query_source::QuerySource;
use diesel::{JoinTo, QueryResult, SelectableExpression, Table};

use crate::schema_name::{IntoSchemaName, Scope};

/// A table of `T` inside a schema chosen at run time: `FROM "tenant1"."posts"`.
///
/// Made by [`InSchema::in_schema`]. It stands wherever diesel accepts a table
/// (`filter`, `select`, `order`, joins, `into_boxed`, subqueries, ...) and renders
/// as `"schema"."table"` on PostgreSQL and as the bare table on SQLite and MySQL,
/// which have no schemas.
///
/// The schema name is checked when the statement is built (empty, over 63 bytes
/// or containing NUL is an error returned by `load`/`execute`, with no SQL sent).
///
/// Writes go through [`insert_into`](crate::insert_into), [`update`](crate::update)
/// and [`delete`](crate::delete). `SchemaScoped` deliberately does not implement
/// diesel's `HasTable`, so diesel paths that would silently drop the schema
/// (`diesel::update(query)`, `save_changes`, `belonging_to`) do not compile.
#[derive(Debug, Clone)]
pub struct SchemaScoped<T> {
    pub(crate) table: T,
    pub(crate) scope: Scope,
}

impl<T> SchemaScoped<T> {
    pub(crate) fn new(table: T, scope: Scope) -> Self {
        SchemaScoped { table, scope }
    }

    pub(crate) fn lost(table: T) -> Self {
        SchemaScoped {
            table,
            scope: Scope::Lost,
        }
    }

    /// The schema name as given (not yet validated); `None` only for ryx's
    /// internal fallback that refuses to build.
    pub fn schema(&self) -> Option<&str> {
        self.scope.name()
    }

    /// The unscoped diesel table.
    pub fn table(&self) -> &T {
        &self.table
    }

    /// Checks the schema name now instead of when the statement is built.
    pub fn validate(&self) -> QueryResult<()> {
        self.scope.checked().map(|_| ())
    }
}

/// Marks a table declared with `ryx_table!`, whose generated glue lets
/// [`SchemaScoped<Self>`] stand in diesel's type machinery.
#[diagnostic::on_unimplemented(
    message = "`.in_schema(..)` needs a table declared with `ryx::ryx_table!`, and `{Self}` is not one",
    label = "not a `ryx_table!` table",
    note = "call `.in_schema(..)` on the table itself, before `.filter`/`.select`/..: \
            `posts::table.in_schema(\"t1\").filter(..)`",
    note = "a table from diesel's `table!` cannot be scoped: declare it with `ryx::ryx_table! {{ .. }}`, \
            which generates the glue `SchemaScoped<table>` needs"
)]
pub trait ScopableTable: Table + Copy + Default + 'static {}

/// What `.in_schema(..)` can scope: a table declared with `ryx_table!`
/// ([`ScopableTable`]) or a diesel alias of one
/// (`diesel::alias!(employees as managers)`).
///
/// It is the bound of [`InSchema::in_schema`], so calling `.in_schema` on
/// anything else (a query, a diesel `table!`, a `belonging_to` filter) is an
/// error that says what to write instead.
#[diagnostic::on_unimplemented(
    message = "`.in_schema(..)` scopes a table declared with `ryx::ryx_table!` (or a diesel alias of one), and `{Self}` is not one",
    label = "not a `ryx_table!` table",
    note = "call `.in_schema(..)` on the table itself, before `.filter`/`.select`/..: \
            `posts::table.in_schema(\"t1\").filter(..)`",
    note = "diesel's `Child::belonging_to(parents)` reads through `search_path`: \
            use `Child::belonging_to_in_schema(parents, \"t1\")` instead",
    note = "a table from diesel's `table!` cannot be scoped: declare it with `ryx::ryx_table! {{ .. }}`, \
            which generates the glue `SchemaScoped<table>` needs"
)]
pub trait CanScope {}

impl<T: ScopableTable> CanScope for T {}

/// Adds [`in_schema`](InSchema::in_schema) to tables declared with `ryx_table!`
/// and to diesel aliases of them (`diesel::alias!(employees as managers)`).
///
/// Implemented for every type so that a misplaced `.in_schema` is reported
/// with [`CanScope`]'s message (what to write instead) rather than as a
/// missing method.
pub trait InSchema: Sized {
    /// Scopes this table to `schema`: statements on the result read and write
    /// `"schema"."table"` on PostgreSQL (the bare table on SQLite and MySQL).
    /// On an alias the result renders `"schema"."employees" AS "managers"`.
    ///
    /// `schema` may be a `&str`, a `String` or a pre-validated
    /// [`SchemaName`](crate::SchemaName); it is quoted (embedded quotes doubled),
    /// never truncated, and checked when the statement is built.
    fn in_schema(self, schema: impl IntoSchemaName) -> SchemaScoped<Self>
    where
        Self: CanScope,
    {
        SchemaScoped::new(self, schema.into_scope())
    }
}

impl<T> InSchema for T {}

/// How a backend renders the schema part of a scoped table.
///
/// Implemented for diesel's `Pg` (`"schema"."table"`), `Sqlite` and `Mysql`
/// (the bare table: they have no schemas).
#[diagnostic::on_unimplemented(
    message = "ryx does not know how to render a schema-scoped table on `{Self}`",
    note = "ryx supports diesel's Pg, Mysql and Sqlite backends; enable the matching cargo feature of `ryx`"
)]
pub trait SchemaBackend: Backend {
    /// Whether the backend has schemas (PostgreSQL) or ignores them (SQLite, MySQL).
    const HAS_SCHEMAS: bool;
}

#[cfg(feature = "postgres")]
impl SchemaBackend for diesel::pg::Pg {
    const HAS_SCHEMAS: bool = true;
}
#[cfg(feature = "sqlite")]
impl SchemaBackend for diesel::sqlite::Sqlite {
    const HAS_SCHEMAS: bool = false;
}
#[cfg(feature = "mysql")]
impl SchemaBackend for diesel::mysql::Mysql {
    const HAS_SCHEMAS: bool = false;
}

impl<T, DB> QueryFragment<DB> for SchemaScoped<T>
where
    DB: SchemaBackend,
    T: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Validate on every backend, so a bad tenant name fails the same way in
        // development on SQLite as in production on PostgreSQL.
        let schema = self.scope.checked()?;
        if DB::HAS_SCHEMAS {
            pass.push_identifier(schema)?;
            pass.push_sql(".");
        }
        self.table.walk_ast(pass.reborrow())
    }
}

/// Never a static query id: diesel would otherwise key its prepared-statement
/// cache on the Rust type and run tenant B's statement against tenant A's schema.
/// Without it the cache keys on the SQL text, which names the schema.
impl<T> QueryId for SchemaScoped<T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T> QuerySource for SchemaScoped<T>
where
    T: ScopableTable,
    T::DefaultSelection: ValidGrouping<()> + SelectableExpression<SchemaScoped<T>>,
{
    type FromClause = Self;
    type DefaultSelection = T::DefaultSelection;

    fn from_clause(&self) -> Self::FromClause {
        self.clone()
    }

    fn default_selection(&self) -> Self::DefaultSelection {
        self.table.default_selection()
    }
}

impl<T> AsQuery for SchemaScoped<T>
where
    T: ScopableTable,
    T::DefaultSelection: ValidGrouping<()> + SelectableExpression<SchemaScoped<T>>,
{
    type SqlType = <T::DefaultSelection as Expression>::SqlType;
    type Query = SelectStatement<FromClause<Self>>;

    fn as_query(self) -> Self::Query {
        SelectStatement::simple(self)
    }
}

impl<T> Table for SchemaScoped<T>
where
    T: ScopableTable,
    T::PrimaryKey: SelectableExpression<SchemaScoped<T>>,
    T::AllColumns: SelectableExpression<SchemaScoped<T>>,
    T::DefaultSelection: ValidGrouping<()> + SelectableExpression<SchemaScoped<T>>,
{
    type PrimaryKey = T::PrimaryKey;
    type AllColumns = T::AllColumns;

    fn primary_key(&self) -> Self::PrimaryKey {
        self.table.primary_key()
    }

    fn all_columns() -> Self::AllColumns {
        T::all_columns()
    }
}

/// Joins of two scoped tables: `posts.in_schema(s).inner_join(authors.in_schema(s))`,
/// for tables declared joinable (`ryx::joinable!`). The right-hand table keeps
/// its own schema; joining a scoped table with an unscoped one does not compile,
/// so a forgotten `.in_schema` cannot read another tenant's (or `public`'s) rows.
impl<S, T> JoinTo<SchemaScoped<T>> for SchemaScoped<S>
where
    S: JoinTo<T> + ScopableTable,
    T: ScopableTable,
{
    type FromClause = SchemaScoped<T>;
    type OnClause = <S as JoinTo<T>>::OnClause;

    fn join_target(rhs: SchemaScoped<T>) -> (Self::FromClause, Self::OnClause) {
        let (_, on) = <S as JoinTo<T>>::join_target(rhs.table);
        (rhs, on)
    }
}
