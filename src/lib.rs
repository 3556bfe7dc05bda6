//! # ryx: schema-per-tenant PostgreSQL for diesel
//!
//! Declare each table once with [`ryx_table!`]; choose the tenant's schema at
//! run time, per statement, with [`in_schema`](prelude::InSchema::in_schema).
//! Everything stays compile-time checked the way diesel is, and queries change
//! no session state (`search_path`): a scoped statement names its schema.
//! Pool connections with [`pool::ConnectionManager`], which bounds each
//! connection's prepared statements and, with `.transaction_pooler(true)`, is
//! safe behind PgBouncer in transaction mode (diesel's own manager is not:
//! see [Connection pools](#connection-pools)).
//!
//! ```
//! use ryx::prelude::*;
//!
//! ryx::ryx_table! {
//!     ms_posts (id) {
//!         id -> Int8,
//!         title -> Varchar,
//!         views -> Int4,
//!         active -> Bool,
//!     }
//! }
//!
//! #[derive(Queryable, Selectable, Debug)]
//! #[diesel(table_name = ms_posts)]
//! struct Post {
//!     id: i64,
//!     title: String,
//!     views: i32,
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // The same code runs on PgConnection (each tenant its own schema) and
//!     // MysqlConnection; SQLite has no schemas, so there the schema is a no-op.
//!     let mut conn = SqliteConnection::establish(":memory:")?;
//!     diesel::sql_query(
//!         "CREATE TABLE ms_posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
//!          views INTEGER NOT NULL, active BOOLEAN NOT NULL)",
//!     )
//!     .execute(&mut conn)?;
//!
//!     // INSERT INTO "tenant2"."ms_posts" ..
//!     ryx::insert_into(ms_posts::table.in_schema("tenant2"))
//!         .values(&vec![
//!             (ms_posts::title.eq("hello"), ms_posts::views.eq(150), ms_posts::active.eq(true)),
//!             (ms_posts::title.eq("draft"), ms_posts::views.eq(3), ms_posts::active.eq(false)),
//!         ])
//!         .execute(&mut conn)?;
//!     // UPDATE "tenant2"."ms_posts" SET .. WHERE ..
//!     ryx::update(ms_posts::table.in_schema("tenant2"))
//!         .filter(ms_posts::title.eq("hello"))
//!         .set(ms_posts::views.eq(ms_posts::views + 1))
//!         .execute(&mut conn)?;
//!     // SELECT .. FROM "tenant2"."ms_posts" WHERE .. ORDER BY ..
//!     let popular = ms_posts::table
//!         .in_schema("tenant2")
//!         .filter(ms_posts::active.eq(true))
//!         .filter(ms_posts::views.ge(100))
//!         .order(ms_posts::views.desc());
//!     let posts: Vec<Post> = popular.clone().select(Post::as_select()).load(&mut conn)?;
//!     assert_eq!(posts[0].views, 151);
//!     // DELETE FROM "tenant2"."ms_posts" WHERE ..
//!     ryx::delete(ms_posts::table.in_schema("tenant2"))
//!         .filter(ms_posts::active.eq(false))
//!         .execute(&mut conn)?;
//!
//!     // What PostgreSQL would receive:
//!     assert_eq!(
//!         ryx::to_sql::<diesel::pg::Pg, _>(&popular.select(ms_posts::title))?,
//!         r#"SELECT "ms_posts"."title" FROM "tenant2"."ms_posts" WHERE (("ms_posts"."active" = $1) AND ("ms_posts"."views" >= $2)) ORDER BY "ms_posts"."views" DESC"#
//!     );
//!     Ok(())
//! }
//! ```
//!
//! ## Cargo features
//!
//! | feature    | default | what it enables |
//! |------------|---------|-----------------|
//! | `postgres` | yes     | diesel's `PgConnection`; schemas render as `"schema"."table"` |
//! | `sqlite`   | yes     | diesel's `SqliteConnection` with a bundled SQLite (no system library); schemas are a no-op |
//! | `mysql`    | no      | diesel's `MysqlConnection` (needs the MySQL/MariaDB client library); schemas are a no-op |
//!
//! ## Declaring tables
//!
//! [`ryx_table!`] takes diesel's `table!` syntax (without a static `schema.`
//! prefix) and expands to a plain diesel `table!`, so everything diesel
//! generates is there. A crate that uses it needs `diesel` among its own
//! dependencies, as diesel's derives do. Tables that join are declared with
//! one line, [`joinable!`]:
//!
//! ```
//! ryx::ryx_table! { ms_authors (id) { id -> Int8, name -> Varchar, } }
//! ryx::ryx_table! { ms_posts (id) { id -> Int8, author_id -> Int8, title -> Varchar, } }
//! ryx::joinable!(ms_posts -> ms_authors (author_id));
//! ```
//!
//! Tables that appear in one query without a foreign key between them (a
//! subquery, say) are declared with [`allow_tables_to_appear_in_same_query!`].
//!
//! ## What is checked, and when
//!
//! - **At compile time**, as in diesel: columns belong to the tables in the
//!   query, values have the column's type, inserts and changesets fit the table,
//!   joins are declared. `SchemaScoped` does not implement diesel's `HasTable`,
//!   so diesel's write paths on a scoped table or query
//!   (`diesel::update(scoped.filter(..))`, `diesel::delete(scoped)`,
//!   `diesel::insert_into(scoped)`) do not compile: use [`insert_into`],
//!   [`update`] and [`delete`]. `ryx::joinable!` joins of a scoped table with
//!   an unscoped one do not compile either.
//!
//! What the compiler cannot see: **any plain `posts::table` in a query is
//! unscoped** and goes wherever the connection's `search_path` points. That
//! includes a subquery or `exists(..)` written on the plain table, a join
//! with an explicit `.on(..)` to a plain table, an insert from a plain
//! `select`, and diesel's `save_changes`/`belonging_to`, which always use the
//! plain table. Scope every table in a tenant's statement; pooled connections
//! from [`pool::ConnectionManager`] have an empty `search_path` (for diesel's
//! own manager: [`pool::EmptySearchPath`]), so a forgotten `.in_schema` fails
//! with `relation "posts" does not exist` instead of reading another schema.
//! - **When a statement is built** (by `load`, `execute`, ...): the schema name.
//!   An empty name, one over 63 bytes (PostgreSQL would silently truncate it) or
//!   one containing NUL is an error and no SQL is sent. Names are always quoted
//!   with embedded quotes doubled, so `t"; DROP TABLE x; --` is just an odd,
//!   harmless schema name. Validate up front with [`SchemaName`].
//!
//! `diesel::debug_query(&q).to_string()` panics when a statement cannot be built
//! (its `Display` can only report `fmt::Error`); [`to_sql`] returns the error
//! instead.
//!
//! ## Backends
//!
//! On PostgreSQL a scoped table renders as `"tenant1"."posts"`; column
//! references stay `"posts"."id"`, which PostgreSQL resolves against that FROM
//! item. SQLite and MySQL have no schemas: the same code runs there and the
//! schema is ignored (after it is validated, so a bad name fails everywhere).
//!
//! ## The prepared-statement cache
//!
//! A scoped statement never has a static query id, so diesel caches it by its
//! SQL text: one prepared statement per tenant and query shape per connection,
//! so tenant B's statement never runs against tenant A's schema. diesel's own
//! cache has no bound (2,000 tenants × 2 query shapes are 4,000 statements on
//! the server, each holding memory there); connections from
//! [`pool::ConnectionManager`] keep at most `statement_cache_limit` (default
//! 100) and free them on the server when the limit is reached.
//!
//! ## Connection pools
//!
//! ```no_run
//! use ryx::pool::ConnectionManager;
//! use ryx::prelude::*;
//!
//! let manager = ConnectionManager::<PgConnection>::new("postgres://app@db/app")
//!     .statement_cache_limit(256)  // prepared statements per connection, client and server side
//!     .transaction_pooler(true)    // PgBouncer in transaction/statement mode: no named statements
//!     .empty_search_path(false);   // behind a pooler, set it on the server (ALTER ROLE .. SET search_path = '')
//! let pool = ryx::pool::Pool::builder().max_size(16).build(manager)?;
//! let mut conn = pool.get()?;      // a diesel connection: ryx and diesel code runs on it unchanged
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Behind PgBouncer in transaction or statement mode, build the manager with
//! `.transaction_pooler(true)`.** The pooler runs each transaction on whichever
//! server connection is free, so diesel's named prepared statements
//! (`__diesel_stmt_N`) meet other clients' statements of the same name: with
//! diesel's own `r2d2::ConnectionManager` behind PgBouncer 1.18, requests fail
//! with `prepared statement "__diesel_stmt_2" does not exist` and reads return
//! another tenant's rows. In pooler mode no statement is named and ryx relies
//! on no session state; the migration runners refuse the steps that need it.
//! Every default is documented on [`pool::ConnectionManager`].
//!
//! ## How to read ryx's compile errors
//!
//! ryx errors are diesel errors about the *scoped* table
//! `SchemaScoped<posts::table>`; read them as you would read diesel's about
//! `posts::table`:
//!
//! - ``the trait `AppearsInFromClause<SchemaScoped<posts::table>>` is not
//!   implemented for `users::table` `` or ``the trait bound `users::columns::name:
//!   SelectableExpression<SchemaScoped<posts::table>>` is not satisfied``: a
//!   column of another table in `filter`/`select`/`order`. Use a column of the
//!   scoped table, or join the other table.
//! - ``the trait `Insertable<posts::table>` is not implemented for `NewUser` ``:
//!   the struct given to `values` was derived for another table.
//! - ``the trait `AsChangeset` is not implemented`` / ``type mismatch resolving
//!   `<.. as AsChangeset>::Target == posts::table` ``: `set` got a column or
//!   changeset of another table.
//! - ``the trait `AsExpression<Integer>` is not implemented for `&str` ``: a
//!   value of the wrong type for the column.
//! - ``the trait `JoinTo<SchemaScoped<..>>` is not implemented``: the tables are
//!   not declared joinable (add [`joinable!`]), or one side is not scoped.
//! - ``the trait `HasTable` is not implemented for `SchemaScoped<..>` `` or
//!   ``the trait `IntoUpdateTarget` is not implemented``: a diesel write path
//!   that would drop the schema; use `ryx::update` / `ryx::delete`.
//! - ``.in_schema(..) needs a table declared with `ryx::ryx_table!`, and `..` is
//!   not one``: `in_schema` on a diesel `table!`, or on a query (call it on the
//!   table first: `posts::table.in_schema(s).filter(..)`).
//! - Help lists that mention `ScopedTarget` or `ScopedRecords` name ryx's
//!   internal write plumbing; the error above them is the one to read.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use ryx_dsl::{
    delete, insert_into, quote_identifier, to_sql, update, validate_schema_name, InSchema,
    IncompleteInsert, InsertStatement, IntoSchemaName, LostSchema, NoReturning, Returning,
    SchemaBackend, SchemaName, SchemaNameError, SchemaScoped, ScopableTable, UpdateBuilder,
    MAX_SCHEMA_NAME_BYTES,
};
pub use ryx_macros::ryx_table;

pub mod pool;

/// Migrations per schema: table metadata, DDL, the model- and file-driven
/// runners and each schema's `ryx_migrations` history. See [`ryx_migrate`]'s docs.
///
/// ```
/// use ryx::migrate::{Backend, DDLGenerator};
///
/// ryx::ryx_table! { ms_posts (id) { id -> Int8, title -> Varchar, } }
/// use ryx::prelude::*;
///
/// let ddl = DDLGenerator::new(Backend::PostgreSQL).in_schema("tenant1");
/// let sql = ddl.create_table(&ms_posts::table.table_state())?;
/// assert_eq!(
///     sql,
///     r#"CREATE TABLE IF NOT EXISTS "tenant1"."ms_posts" ("id" BIGSERIAL PRIMARY KEY, "title" VARCHAR NOT NULL)"#
/// );
/// # Ok::<(), ryx::migrate::Error>(())
/// ```
///
/// The two runners, on an in-memory SQLite database (on PostgreSQL each schema
/// is its own tenant with its own history; SQLite has one):
///
/// ```
/// use ryx::migrate::{FileRunner, MigrationFile, MigrationRunner};
/// use ryx::prelude::*;
///
/// ryx::ryx_table! { ms_authors (id) { id -> Int8, name -> Varchar, } }
///
/// let mut conn = SqliteConnection::establish(":memory:")?;
///
/// // From the models: creates what is missing, records it in `ryx_migrations`.
/// let models = MigrationRunner::new().model::<ms_authors::table>().schema("tenant1");
/// assert_eq!(models.clone().migrate(&mut conn)?.applied.len(), 1);
/// assert!(models.migrate(&mut conn)?.is_noop());
///
/// // From migration folders (`load_dir`), here one migration built in code.
/// let add_bio = MigrationFile {
///     name: "2024-01-01-000000_add_bio".into(),
///     up: "ALTER TABLE ms_authors ADD COLUMN bio TEXT".into(),
///     down: Some("ALTER TABLE ms_authors DROP COLUMN bio".into()),
///     run_in_transaction: true,
///     origin: "example".into(),
/// };
/// let files = FileRunner::new().migrations(vec![add_bio]).schema("tenant1");
/// assert_eq!(files.run(&mut conn)?.applied.len(), 1);
/// assert_eq!(files.rollback(&mut conn, 1)?.reverted.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod migrate {
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    pub use ryx_migrate::load_source;
    pub use ryx_migrate::{
        create_tenant, index_name, load_dir, make_migration, Applied, Backend, ColumnState,
        ColumnType, DDLGenerator, Drift, Error, FileRunner, ForeignKey, HistoryRow, InvalidIndexes,
        MadeMigration, MigrationBackend, MigrationFile, MigrationRunner, Planned, Report,
        RunnerConnection, RyxTable, TableState,
    };

    #[cfg(feature = "cli")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
    pub use ryx_migrate::cli;
    pub use ryx_migrate::fleet;
}

/// diesel's prelude, plus what ryx adds ([`InSchema`]). Glob-import it.
pub mod prelude {
    pub use crate::migrate::RyxTable;
    pub use diesel::prelude::*;
    pub use ryx_dsl::InSchema;
}

/// Declares that `$child.$fk` references `$parent`'s primary key, so the two
/// tables join (`posts.in_schema(s).inner_join(authors.in_schema(s))`) and may
/// appear in the same query.
///
/// This is diesel's `joinable!` plus `allow_tables_to_appear_in_same_query!`
/// for the pair, for both the plain and the scoped tables. Do not list the same
/// pair again in [`allow_tables_to_appear_in_same_query!`].
///
/// ```
/// ryx::ryx_table! { ms_authors (id) { id -> Int8, name -> Varchar, } }
/// ryx::ryx_table! { ms_posts (id) { id -> Int8, author_id -> Int8, } }
/// ryx::joinable!(ms_posts -> ms_authors (author_id));
/// ```
#[macro_export]
macro_rules! joinable {
    ($child:ident -> $parent:ident ($fk:ident)) => {
        $crate::__private::diesel::joinable!($child -> $parent ($fk));
        $crate::allow_tables_to_appear_in_same_query!($child, $parent);
    };
}

/// Lets the listed tables appear in one query (joins, subqueries), plain or
/// scoped: diesel's macro of the same name plus the impls for `SchemaScoped`.
///
/// ```
/// ryx::ryx_table! { a (id) { id -> Int8, } }
/// ryx::ryx_table! { b (id) { id -> Int8, } }
/// ryx::ryx_table! { c (id) { id -> Int8, } }
/// ryx::allow_tables_to_appear_in_same_query!(a, b, c);
/// ```
#[macro_export]
macro_rules! allow_tables_to_appear_in_same_query {
    ($left:ident, $($right:ident),+ $(,)?) => {
        $(
            $crate::__private::diesel::allow_tables_to_appear_in_same_query!($left, $right);
            impl $crate::__private::diesel::query_source::TableNotEqual<$left::table>
                for $crate::SchemaScoped<$right::table> {}
            impl $crate::__private::diesel::query_source::TableNotEqual<$right::table>
                for $crate::SchemaScoped<$left::table> {}
            impl $crate::__private::diesel::query_source::TableNotEqual<$crate::SchemaScoped<$left::table>>
                for $right::table {}
            impl $crate::__private::diesel::query_source::TableNotEqual<$crate::SchemaScoped<$right::table>>
                for $left::table {}
        )+
        $crate::allow_tables_to_appear_in_same_query!($($right),+);
    };
    ($last:ident $(,)?) => {};
}

#[doc(hidden)]
pub mod __private {
    //! What generated code reaches: never depends on what the user imported.
    pub use diesel;
    pub use ryx_dsl::{SchemaScoped, ScopableTable};
    pub use ryx_migrate::{ColumnState, ColumnType, RyxTable, TableState};
}
