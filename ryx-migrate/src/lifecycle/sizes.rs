//! [`tenant_sizes`]: every tenant's tables, estimated rows and bytes, in one
//! catalog query.

use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};

use crate::apply::{fleet_error, RunnerConnection};
use crate::error::Error;

/// One tenant's size, from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TenantSize {
    /// The schema.
    pub schema: String,
    /// Its tables and materialized views, `ryx_migrations` not counted.
    pub tables: i64,
    /// The sum of their row estimates (`pg_class.reltuples`, kept by
    /// `VACUUM`, `ANALYZE` and autovacuum; `ryx_migrations` not counted), or
    /// `None` when one of them has never been vacuumed or analyzed (its
    /// estimate is `-1`: unknown), as in a tenant just created. An estimate,
    /// not a count.
    pub rows: Option<i64>,
    /// Bytes on disk: `pg_total_relation_size` (data, TOAST and indexes) of
    /// its tables and materialized views, `ryx_migrations` included.
    pub bytes: i64,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = BigInt)]
    tables: i64,
    #[diesel(sql_type = BigInt)]
    row_estimate: i64,
    #[diesel(sql_type = Nullable<Bool>)]
    unknown: Option<bool>,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

/// Every tenant (schema holding a `ryx_migrations` table) with its size, in
/// name order, from one query over `pg_catalog` (no table is read: the row
/// counts are the planner's estimates).
///
/// ```no_run
/// # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// let mut sizes = ryx_migrate::lifecycle::tenant_sizes(conn)?;
/// sizes.sort_by_key(|t| std::cmp::Reverse(t.bytes));
/// for t in sizes.iter().take(10) {
///     let rows = t.rows.map_or("?".to_owned(), |r| r.to_string());
///     println!("{:<30} {:>12} bytes {:>10} rows", t.schema, t.bytes, rows);
/// }
/// # Ok(()) }
/// ```
pub fn tenant_sizes<C>(conn: &mut C) -> Result<Vec<TenantSize>, Error>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT n.nspname::text AS schema, \
         count(*) FILTER (WHERE c.relname <> 'ryx_migrations')::int8 AS tables, \
         COALESCE(sum(c.reltuples) FILTER (WHERE c.relname <> 'ryx_migrations' AND c.reltuples >= 0), 0)::int8 \
           AS row_estimate, \
         bool_or(c.reltuples < 0) FILTER (WHERE c.relname <> 'ryx_migrations') AS unknown, \
         COALESCE(sum(pg_catalog.pg_total_relation_size(c.oid)), 0)::int8 AS bytes \
         FROM pg_catalog.pg_namespace n \
         JOIN pg_catalog.pg_class h ON h.relnamespace = n.oid AND h.relname = 'ryx_migrations' \
           AND h.relkind IN ('r', 'p') \
         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'm') \
         GROUP BY n.nspname ORDER BY 1",
    )
    .load(conn)
    .map_err(fleet_error("read the tenants' sizes"))?;
    Ok(rows
        .into_iter()
        .map(|r| TenantSize {
            schema: r.schema,
            tables: r.tables,
            rows: (r.unknown != Some(true)).then_some(r.row_estimate),
            bytes: r.bytes,
        })
        .collect())
}
