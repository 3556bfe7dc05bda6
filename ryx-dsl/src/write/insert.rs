//! `ryx::insert_into(table.in_schema(s)).values(..)`: the scoped `INSERT`.

use diesel::connection::Connection;
use diesel::query_builder::{AsQuery, QueryFragment};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::{Insertable, QueryResult, RunQueryDsl, Table};

use crate::scoped::{SchemaScoped, ScopableTable};

/// diesel's insert statement on a scoped target.
type DieselInsert<T, V> = diesel::dsl::Values<
    diesel::query_builder::IncompleteInsertStatement<SchemaScoped<T>>,
    ScopedRecords<V>,
>;

/// The same with `RETURNING expr`.
type DieselInsertReturning<T, V, E> = diesel::dsl::Returning<DieselInsert<T, V>, E>;

/// Records of the plain table `T`, offered to its scoped form. Internal.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ScopedRecords<V>(pub(super) V);

impl<T, V> Insertable<SchemaScoped<T>> for ScopedRecords<V>
where
    V: Insertable<T>,
{
    type Values = V::Values;

    fn values(self) -> Self::Values {
        self.0.values()
    }
}

/// Starts an `INSERT` into a scoped table: `ryx::insert_into(posts::table.in_schema("t1"))`.
///
/// `.values(..)` takes everything diesel's `insert_into(posts::table).values(..)`
/// takes: an `Insertable` struct or a reference to one, a tuple of
/// `column.eq(value)`, a `Vec` or slice of them (batch insert, on SQLite too).
pub fn insert_into<T: ScopableTable>(target: SchemaScoped<T>) -> IncompleteInsert<T> {
    IncompleteInsert { target }
}

/// An `INSERT` into a scoped table that has no values yet. See [`insert_into`].
#[derive(Debug, Clone)]
#[must_use = "an insert does nothing until `.values(..)` and `.execute(..)` are called"]
pub struct IncompleteInsert<T> {
    target: SchemaScoped<T>,
}

impl<T: ScopableTable> IncompleteInsert<T> {
    /// The rows to insert: anything that is `Insertable` into the plain table `T`.
    pub fn values<V>(self, records: V) -> InsertStatement<T, V>
    where
        V: Insertable<T>,
    {
        InsertStatement {
            target: self.target,
            records,
            returning: NoReturning,
        }
    }
}

/// Marker: the insert has no `RETURNING` clause.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReturning;

/// Marker: the insert returns `E` (PostgreSQL).
#[derive(Debug, Clone, Copy)]
pub struct Returning<E>(E);

/// A complete `INSERT` into a scoped table.
///
/// Run it with `.execute(conn)`; on PostgreSQL `.get_result(conn)` /
/// `.get_results(conn)` return the inserted rows, and `.returning(cols)` picks
/// what comes back. On SQLite a batch (`Vec` or slice) runs as diesel runs it
/// for a plain table; on every backend the schema name is checked first.
#[derive(Debug, Clone)]
#[must_use = "an insert does nothing until `.execute(..)` (or `.get_result(..)`) is called"]
pub struct InsertStatement<T, V, Ret = NoReturning> {
    pub(super) target: SchemaScoped<T>,
    pub(super) records: V,
    pub(super) returning: Ret,
}

impl<T, V> InsertStatement<T, V, NoReturning>
where
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
{
    /// Adds `RETURNING expr` (PostgreSQL): `.returning(posts::id).get_result::<i64>(conn)`.
    pub fn returning<E>(self, expr: E) -> InsertStatement<T, V, Returning<E>> {
        InsertStatement {
            target: self.target,
            records: self.records,
            returning: Returning(expr),
        }
    }

    /// diesel's statement on the scoped table.
    fn into_scoped(self) -> DieselInsert<T, V> {
        diesel::insert_into(self.target).values(ScopedRecords(self.records))
    }

    /// The SQL this insert sends on backend `DB`, or the error that stops it from
    /// being built (an invalid schema name): a fallible `debug_query`.
    ///
    /// Not available for batch inserts on SQLite, which diesel runs as one
    /// statement per row.
    pub fn to_sql<DB>(&self) -> QueryResult<String>
    where
        DB: diesel::backend::Backend + Default,
        DB::QueryBuilder: Default,
        V: Clone,
        DieselInsert<T, V>: QueryFragment<DB>,
    {
        crate::to_sql::<DB, _>(&self.clone().into_scoped())
    }
}

impl<T, V, Ret, Conn> RunQueryDsl<Conn> for InsertStatement<T, V, Ret> {}

/// PostgreSQL: diesel's statement on the scoped table, `INSERT INTO "t1"."posts"`.
#[cfg(feature = "postgres")]
impl<T, V, Conn> ExecuteDsl<Conn, diesel::pg::Pg> for InsertStatement<T, V, NoReturning>
where
    Conn: Connection<Backend = diesel::pg::Pg>,
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
    DieselInsert<T, V>: ExecuteDsl<Conn, diesel::pg::Pg>,
{
    fn execute(query: Self, conn: &mut Conn) -> QueryResult<usize> {
        ExecuteDsl::execute(query.into_scoped(), conn)
    }
}

/// MySQL: diesel's statement on the scoped table, which renders without a schema.
#[cfg(feature = "mysql")]
impl<T, V, Conn> ExecuteDsl<Conn, diesel::mysql::Mysql> for InsertStatement<T, V, NoReturning>
where
    Conn: Connection<Backend = diesel::mysql::Mysql>,
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
    DieselInsert<T, V>: ExecuteDsl<Conn, diesel::mysql::Mysql>,
{
    fn execute(query: Self, conn: &mut Conn) -> QueryResult<usize> {
        ExecuteDsl::execute(query.into_scoped(), conn)
    }
}

/// SQLite: the schema is a no-op, so after checking the name diesel's statement
/// on the plain table runs. This is what makes batch inserts work: diesel's SQLite
/// batch insert needs the plain table as its target.
#[cfg(feature = "sqlite")]
impl<T, V, Conn> ExecuteDsl<Conn, diesel::sqlite::Sqlite> for InsertStatement<T, V, NoReturning>
where
    Conn: Connection<Backend = diesel::sqlite::Sqlite>,
    T: ScopableTable,
    V: Insertable<T>,
    diesel::query_builder::InsertStatement<T, V::Values>: ExecuteDsl<Conn, diesel::sqlite::Sqlite>,
{
    fn execute(query: Self, conn: &mut Conn) -> QueryResult<usize> {
        query.target.validate()?;
        ExecuteDsl::execute(
            diesel::insert_into(query.target.table).values(query.records),
            conn,
        )
    }
}

impl<T, V> AsQuery for InsertStatement<T, V, NoReturning>
where
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
    DieselInsert<T, V>: AsQuery,
{
    type SqlType = <DieselInsert<T, V> as AsQuery>::SqlType;
    type Query = <DieselInsert<T, V> as AsQuery>::Query;

    fn as_query(self) -> Self::Query {
        self.into_scoped().as_query()
    }
}

impl<T, V, E> AsQuery for InsertStatement<T, V, Returning<E>>
where
    T: ScopableTable,
    V: Insertable<T>,
    SchemaScoped<T>: Table,
    DieselInsertReturning<T, V, E>: AsQuery + diesel::query_builder::Query,
{
    type SqlType = <DieselInsertReturning<T, V, E> as AsQuery>::SqlType;
    type Query = <DieselInsertReturning<T, V, E> as AsQuery>::Query;

    fn as_query(self) -> Self::Query {
        let Returning(expr) = self.returning;
        let plain = InsertStatement {
            target: self.target,
            records: self.records,
            returning: NoReturning,
        };
        plain.into_scoped().returning(expr).as_query()
    }
}
