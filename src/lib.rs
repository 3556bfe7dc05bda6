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
//! ## diesel's other forms, scoped
//!
//! Upserts, inserts from a select, nested joins, aliases (self-joins),
//! associations, updating an identified record and raw SQL are spelled as in
//! diesel, on scoped tables:
//!
//! ```no_run
//! use diesel::upsert::excluded;
//! use ryx::prelude::*;
//!
//! ryx::ryx_table! { ms_authors (id) { id -> Int8, name -> Varchar, } }
//! ryx::ryx_table! { ms_posts (id) { id -> Int8, author_id -> Int8, title -> Varchar, views -> Int4, } }
//! ryx::joinable!(ms_posts -> ms_authors (author_id));
//!
//! #[derive(Identifiable, Queryable, Selectable)]
//! #[diesel(table_name = ms_authors)]
//! struct Author { id: i64, name: String }
//!
//! #[derive(Identifiable, Queryable, Selectable, Associations, AsChangeset)]
//! #[diesel(table_name = ms_posts, belongs_to(Author))]
//! struct Post { id: i64, author_id: i64, title: String, views: i32 }
//!
//! fn tenant_work(conn: &mut PgConnection, t: &str) -> QueryResult<()> {
//!     // INSERT INTO "t"."ms_posts" .. ON CONFLICT ("id") DO UPDATE SET "views" = excluded."views"
//!     ryx::insert_into(ms_posts::table.in_schema(t))
//!         .values((ms_posts::id.eq(1), ms_posts::author_id.eq(1), ms_posts::title.eq("a"), ms_posts::views.eq(5)))
//!         .on_conflict(ms_posts::id)
//!         .do_update()
//!         .set(ms_posts::views.eq(excluded(ms_posts::views)))
//!         .execute(conn)?;
//!
//!     // a self-join through diesel's alias, scoped like a table
//!     let others = diesel::alias!(ms_authors as others);
//!     let pairs: Vec<(String, String)> = ms_authors::table
//!         .in_schema(t)
//!         .inner_join(others.in_schema(t).on(others.field(ms_authors::id).ne(ms_authors::id)))
//!         .select((ms_authors::name, others.field(ms_authors::name)))
//!         .load(conn)?;
//!
//!     // associations: the children of these parents in this tenant
//!     let authors: Vec<Author> = ms_authors::table.in_schema(t).select(Author::as_select()).load(conn)?;
//!     let posts: Vec<Post> = Post::belonging_to_in_schema(&authors[..], t)
//!         .select(Post::as_select())
//!         .load(conn)?;
//!     let _by_author = posts.grouped_by(&authors);
//!
//!     // `update(&post).set(&post)` / `save_changes`, scoped
//!     if let Some(post) = Post::belonging_to_in_schema(&authors[..], t).select(Post::as_select()).first::<Post>(conn).optional()? {
//!         ryx::update_record(ms_posts::table.in_schema(t), &post).execute(conn)?;
//!     }
//!
//!     // raw SQL that names the tenant's table as diesel does: "t"."ms_posts"
//!     let sql = format!("SELECT count(*) FROM {}", ms_posts::table.in_schema(t).qualified_name::<diesel::pg::Pg>()?);
//!     diesel::sql_query(sql).execute(conn)?;
//!     Ok(())
//! }
//! ```
//!
//! - Upserts: `.on_conflict(col)`, `.on_conflict((a, b))`, `.do_nothing()`,
//!   `.on_conflict_do_nothing()`, then `.returning(..)`/`.get_result(..)` on
//!   PostgreSQL; on MySQL `.on_conflict(diesel::dsl::DuplicatedKeys)`. Batch
//!   upserts (a `Vec` or slice of rows) are one statement on every backend:
//!   on SQLite the `INSERT .. VALUES (..), (..) ON CONFLICT ..` diesel
//!   sends for the plain table. SQLite has no `DEFAULT` in `VALUES`, so every
//!   row of a SQLite batch must set the same `Option` fields; a batch whose
//!   rows differ there is refused before any SQL is sent. Write
//!   `.returning(..)` after the conflict clause.
//! - `.values(other.in_schema(t).select(..)).into_columns(..)` inserts from a
//!   select.
//! - Nested joins (`a.inner_join(b.inner_join(c))`, left joins) need every
//!   table scoped; `diesel::alias!` aliases are scoped with `.in_schema(t)`.
//! - `Child::belonging_to_in_schema` takes one parent or a slice (`&v[..]`).
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
//! plain table (use `ryx::update_record` and `Child::belonging_to_in_schema`).
//! Nor can it see which schema each scoped table names: a join or subquery
//! whose tables are scoped to *different* schemas
//! (`orders.in_schema("acme").inner_join(users.in_schema("globex"))`) is
//! valid SQL and runs. ryx cannot refuse it when the statement is built:
//! the schema is a run-time value, invisible to the type system, and diesel
//! builds a statement by letting each table render itself, with no state a
//! table could compare with its neighbours'. Take every table of a
//! statement from one variable (`let t = tenant.schema();`), and let the
//! database catch the rest: with one role per tenant that may use only its
//! own schema, a statement reaching another tenant's schema fails with
//! `permission denied for schema`. Scope every table in a tenant's statement; pooled connections
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
//! - ``the trait bound `&NewPost: diesel::Insertable<SchemaScoped<posts::table>>`
//!   is not satisfied``: `diesel::insert_into` on a scoped table; use
//!   [`insert_into`] (`ryx::insert_into(posts::table.in_schema(s))`). (ryx
//!   cannot word this one itself: the trait is diesel's, and Rust's orphan
//!   rules forbid the blanket impl that would catch it.)
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
//! - ``.in_schema(..) scopes a table declared with `ryx::ryx_table!` (or a
//!   diesel alias of one), and `..` is not one``: `in_schema` on a diesel
//!   `table!`, on a query (call it on the table first:
//!   `posts::table.in_schema(s).filter(..)`), or on `belonging_to` (use
//!   `Child::belonging_to_in_schema(parents, s)`).
//! - Help lists that mention `ScopedTarget` or `ScopedRecords` name ryx's
//!   internal write plumbing; the error above them is the one to read.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use ryx_dsl::{
    delete, insert_into, quote_identifier, to_sql, update, update_record, validate_schema_name,
    BelongingToInSchemaDsl, CanScope, ColumnsOf, ConflictTargetOf, InSchema, IncompleteDoUpdate,
    IncompleteInsert, IncompleteOnConflict, InsertStatement, IntoSchemaName, LostSchema,
    NoReturning, Returning, SchemaBackend, SchemaName, SchemaNameError, SchemaScoped,
    ScopableTable, UpdateBuilder, Upsert, MAX_SCHEMA_NAME_BYTES,
};
/// Declares a table once for every schema: diesel's `table!` (same syntax,
/// without a static `schema.` prefix), the glue that lets
/// `table.in_schema("t1")` stand in diesel's queries, and the metadata
/// ([`migrate::RyxTable`]) the migration side creates tables from.
///
/// The primary key is the list after the name (`posts (a, b) { .. }`), or the
/// `id` column. A single integer key auto-increments.
///
/// # Attributes
///
/// `#[ryx(..)]` attributes are read by ryx and removed; diesel's own
/// `#[sql_name = ".."]` and `#[max_length = N]` are read and kept for diesel.
/// Several keys may share one `#[ryx(..)]`. Every mistake is a compile error
/// pointing at it.
///
/// On a column:
///
/// | attribute | example | DDL |
/// |-----------|---------|-----|
/// | `default = "sql"` | `#[ryx(default = "0")] views -> Int4` | `DEFAULT 0` (the SQL text as written) |
/// | `unique` | `#[ryx(unique)] email -> Varchar` | `UNIQUE` |
/// | `index` | `#[ryx(index)] author_id -> Int8` | `CREATE INDEX "<table>_<column>_<hash>_idx"` ([`migrate::index_name`]) |
/// | `max_length = N` | `#[ryx(max_length = 200)] title -> Varchar` | `VARCHAR(200)` (`Varchar`/`Text` only) |
/// | `#[max_length = N]` (diesel's) | `#[max_length = 20] slug -> Varchar` | the same, and diesel sees it |
/// | `references = table` | `#[ryx(references = authors)] author_id -> Int8` | `FOREIGN KEY ("author_id") REFERENCES "authors" ("id")` (the referenced table's one-column key) |
/// | `references = table(column)` | `#[ryx(references = authors(code))] author_code -> Text` | `.. REFERENCES "authors" ("code")` |
/// | `on_delete = action` | `#[ryx(references = authors, on_delete = cascade)]` | `ON DELETE CASCADE` |
/// | `on_update = action` | `#[ryx(references = authors, on_update = restrict)]` | `ON UPDATE RESTRICT` |
/// | `#[sql_name = ".."]` (diesel's) | `#[sql_name = "type"] kind -> Text` | the column's SQL name |
///
/// Actions are `cascade`, `restrict`, `set_null` (the column must be
/// `Nullable`), `set_default` (the column needs a `default` or `Nullable`;
/// MySQL/MariaDB refuse it) and `no_action` (the default), and need
/// `references` on the same column.
///
/// On the table:
///
/// | attribute | example | DDL |
/// |-----------|---------|-----|
/// | `unique(a, b, ..)` | `#[ryx(unique(author_id, slug))]` | `CONSTRAINT "<name>_key" UNIQUE ("author_id", "slug")`; on SQLite `CREATE UNIQUE INDEX "<name>_key"` |
/// | `index(a, b, ..)` | `#[ryx(index(author_id, created_at))]` | `CREATE INDEX "<name>_idx" ON .. ("author_id", "created_at")` |
/// | `check(name = "..", sql = "..")` | `#[ryx(check(name = "positive_views", sql = "views >= 0"))]` | `CONSTRAINT "<table>_positive_views_<hash>_check" CHECK (views >= 0)` |
/// | `no_auto_increment` | `#[ryx(no_auto_increment)]` | a single integer key is a plain `BIGINT` (no `BIGSERIAL`/`AUTO_INCREMENT`) |
/// | `#[sql_name = ".."]` (diesel's) | `#[sql_name = "blog_posts"]` | the table's SQL name |
///
/// `unique(..)` and `index(..)` take two or more distinct columns (one column:
/// put `unique`/`index` on it) and may repeat; their names are
/// [`migrate::constraint_name`]s, hashed and
/// within 63 bytes. A check's name is letters, digits and `_`; its `sql` is
/// written into `CHECK (..)` as given. Doc comments and other attributes go
/// to diesel's `table!` unchanged.
///
/// For an existing table, [`migrate::MigrationRunner`] adds a missing
/// `unique(..)` (`ALTER TABLE .. ADD CONSTRAINT`; a unique index on SQLite)
/// and `index(..)`, and reports a missing check or foreign-key action as
/// [`migrate::Drift::MissingConstraint`] without adding it.
///
/// ```
/// use ryx::migrate::{Backend, DDLGenerator};
/// use ryx::prelude::*;
///
/// ryx::ryx_table! {
///     authors (id) {
///         id -> Int8,
///         #[ryx(unique)]
///         email -> Varchar,
///         #[ryx(default = "'en'", max_length = 2)]
///         lang -> Varchar,
///     }
/// }
///
/// ryx::ryx_table! {
///     /// Blog posts.
///     #[sql_name = "blog_posts"]
///     #[ryx(unique(author_id, slug), index(author_id, created_at))]
///     #[ryx(check(name = "positive_views", sql = "views >= 0"))]
///     posts (id) {
///         id -> Int8,
///         #[ryx(references = authors, index, on_delete = cascade, on_update = restrict)]
///         author_id -> Int8,
///         #[ryx(references = authors(id), on_delete = set_null)]
///         editor_id -> Nullable<Int8>,
///         #[max_length = 100]
///         slug -> Varchar,
///         #[sql_name = "type"]
///         kind -> Text,
///         #[ryx(default = "0")]
///         views -> Int4,
///         created_at -> Timestamp,
///     }
/// }
///
/// ryx::ryx_table! {
///     #[ryx(no_auto_increment)]
///     tags (id) {
///         id -> Int4,
///         name -> Text,
///     }
/// }
///
/// let ddl = DDLGenerator::new(Backend::PostgreSQL).in_schema("t1");
/// assert_eq!(
///     ddl.create_table_with_indexes(&posts::table.table_state())?,
///     [
///         r#"CREATE TABLE IF NOT EXISTS "t1"."blog_posts" ("id" BIGSERIAL PRIMARY KEY, "author_id" BIGINT NOT NULL, "editor_id" BIGINT, "slug" VARCHAR(100) NOT NULL, "type" TEXT NOT NULL, "views" INTEGER NOT NULL DEFAULT 0, "created_at" TIMESTAMP NOT NULL, CONSTRAINT "blog_posts_author_id_slug_64522d767d_key" UNIQUE ("author_id", "slug"), CONSTRAINT "blog_posts_positive_views_79529cf0d1_check" CHECK (views >= 0), FOREIGN KEY ("author_id") REFERENCES "t1"."authors" ("id") ON DELETE CASCADE ON UPDATE RESTRICT, FOREIGN KEY ("editor_id") REFERENCES "t1"."authors" ("id") ON DELETE SET NULL)"#,
///         r#"CREATE INDEX IF NOT EXISTS "blog_posts_author_id_341decbf4c_idx" ON "t1"."blog_posts" ("author_id")"#,
///         r#"CREATE INDEX IF NOT EXISTS "blog_posts_author_id_created_at_592c4463ab_idx" ON "t1"."blog_posts" ("author_id", "created_at")"#,
///     ]
/// );
/// assert_eq!(
///     ddl.create_table(&authors::table.table_state())?,
///     r#"CREATE TABLE IF NOT EXISTS "t1"."authors" ("id" BIGSERIAL PRIMARY KEY, "email" VARCHAR NOT NULL UNIQUE, "lang" VARCHAR(2) NOT NULL DEFAULT 'en')"#
/// );
/// assert_eq!(
///     ddl.create_table(&tags::table.table_state())?,
///     r#"CREATE TABLE IF NOT EXISTS "t1"."tags" ("id" INTEGER NOT NULL, "name" TEXT NOT NULL, PRIMARY KEY ("id"))"#
/// );
/// # Ok::<(), ryx::migrate::Error>(())
/// ```
pub use ryx_macros::ryx_table;

pub mod pool;

pub use ryx_migrate::directory;

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
        check_name, constraint_name, create_tenant, index_name, load_dir, make_migration, Applied,
        Backend, CheckConstraint, ColumnState, ColumnType, DDLGenerator, Drift, Error, FileRunner,
        ForeignKey, HistoryRow, InvalidIndexes, MadeMigration, MigrationBackend, MigrationFile,
        MigrationRunner, Planned, ReferentialAction, Report, RunnerConnection, RyxTable,
        TableIndex, TableState,
    };

    #[cfg(feature = "cli")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
    pub use ryx_migrate::cli;
    pub use ryx_migrate::fleet;
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub use ryx_migrate::lifecycle;
    pub use ryx_migrate::new_migration;
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub use ryx_migrate::{print_schema, PrintSchemaError, PrintSchemaOptions};
}

/// diesel's prelude, plus what ryx adds ([`InSchema`],
/// [`BelongingToInSchemaDsl`]). Glob-import it.
pub mod prelude {
    pub use crate::migrate::RyxTable;
    pub use diesel::prelude::*;
    pub use ryx_dsl::{BelongingToInSchemaDsl, InSchema};
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
