//! [`tenant_sizes`] and [`tenant_sizes_exact`]: every tenant's tables,
//! estimated rows and bytes, in one catalog query.

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
    /// Bytes on disk of its tables, materialized views, indexes, sequences
    /// and their TOAST data, `ryx_migrations` included. From
    /// [`tenant_sizes`]: pages counted in the catalog (`pg_class.relpages`,
    /// kept by `VACUUM`, `ANALYZE` and `CREATE INDEX`: an estimate as recent
    /// as [`rows`](Self::rows)); from [`tenant_sizes_exact`]: the files'
    /// sizes now (`pg_total_relation_size`).
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
/// name order, from one query over `pg_catalog` that reads no table and opens
/// no relation: row counts and bytes are the estimates `VACUUM`, `ANALYZE`
/// (autovacuum included) and `CREATE INDEX` keep in `pg_class`. It takes no
/// lock, so it never waits for a migration; see [`tenant_sizes_exact`] for
/// sizes read from the files.
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
    sizes(
        conn,
        "(COALESCE(sum(c.relpages::int8 + COALESCE(t.relpages, 0) + COALESCE(ti.relpages, 0)), 0) \
           * pg_catalog.current_setting('block_size')::int8)::int8",
        "c.relkind IN ('r', 'm', 'i', 'S')",
    )
}

/// As [`tenant_sizes`], with `bytes` read from the files now
/// (`pg_total_relation_size` of each table and materialized view: data,
/// TOAST and indexes). This opens every table of every tenant, taking an
/// `ACCESS SHARE` lock on each: it waits for a migration holding a table's
/// `ACCESS EXCLUSIVE` lock, and takes several times longer (measured in
/// BENCHMARKS.md for 10,000 tenants: 1.5–2 s, against about 0.2 s).
pub fn tenant_sizes_exact<C>(conn: &mut C) -> Result<Vec<TenantSize>, Error>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    sizes(
        conn,
        "COALESCE(sum(pg_catalog.pg_total_relation_size(c.oid)) \
           FILTER (WHERE c.relkind IN ('r', 'm')), 0)::int8",
        "c.relkind IN ('r', 'm')",
    )
}

/// The one query, with its `bytes` expression and the relations it sums.
fn sizes<C>(conn: &mut C, bytes: &str, relations: &str) -> Result<Vec<TenantSize>, Error>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    let table = "c.relkind IN ('r', 'm') AND c.relname <> 'ryx_migrations'";
    // One pass over pg_class, grouped by schema, keeping the schemas that
    // hold a history table: no join the planner could turn into a rescan of
    // pg_class per tenant (it rarely has statistics on the catalog, and such
    // plans took minutes for 10,000 tenants).
    let query = diesel::sql_query(format!(
        "SELECT n.nspname::text AS schema, p.tables, p.row_estimate, p.unknown, p.bytes FROM (\
           SELECT c.relnamespace AS ns, \
           count(*) FILTER (WHERE {table})::int8 AS tables, \
           COALESCE(sum(c.reltuples) FILTER (WHERE {table} AND c.reltuples >= 0), 0)::int8 \
             AS row_estimate, \
           bool_or(c.reltuples < 0) FILTER (WHERE {table}) AS unknown, \
           {bytes} AS bytes \
           FROM pg_catalog.pg_class c \
           LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid \
           LEFT JOIN pg_catalog.pg_index x ON x.indrelid = t.oid \
           LEFT JOIN pg_catalog.pg_class ti ON ti.oid = x.indexrelid \
           WHERE {relations} AND c.relnamespace NOT IN ('pg_catalog'::pg_catalog.regnamespace, \
             'information_schema'::pg_catalog.regnamespace) \
           GROUP BY c.relnamespace \
           HAVING bool_or(c.relname = 'ryx_migrations' AND c.relkind IN ('r', 'p'))) p \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.ns ORDER BY 1"
    ));
    // one short transaction, for SET LOCAL (no session state is left)
    let rows: Vec<Row> = conn
        .transaction(|conn| {
            super::no_jit(conn)?;
            query.load(conn)
        })
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
