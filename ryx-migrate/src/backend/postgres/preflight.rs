//! PostgreSQL's preflight: what a runner reads before its transaction, in
//! two round trips that are also the open-transaction check.

use diesel::connection::{Connection, LoadConnection};
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::backend::history::{history_table, HistoryRow, HISTORY_TABLE};
use crate::backend::kind::Backend;
use crate::backend::migration_backend::Preflight;

/// [`MigrationBackend::preflight`](crate::backend::MigrationBackend::preflight)
/// in two round trips: the schema's relations (and whether its history table
/// exists), then its history (or nothing).
/// Each also returns `transaction_timestamp()`: as in
/// `untracked_transaction_open`, two statements outside a transaction block
/// are two transactions started at different times, inside one they share
/// its start, so the two reads are also the open-transaction check.
pub(super) fn preflight<C>(conn: &mut C, schema: &str) -> QueryResult<Preflight>
where
    C: Connection<Backend = diesel::pg::Pg> + LoadConnection,
{
    #[derive(QueryableByName)]
    struct Catalog {
        #[diesel(sql_type = Text)]
        started: String,
        #[diesel(sql_type = diesel::sql_types::Array<Text>)]
        relations: Vec<String>,
        #[diesel(sql_type = Bool)]
        has_history: bool,
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        started: String,
        #[diesel(sql_type = Nullable<Text>)]
        name: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        checksum: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        applied_at: Option<String>,
        #[diesel(sql_type = Nullable<BigInt>)]
        execution_ms: Option<i64>,
    }
    // Both lookups go through indexes, so their cost does not grow with the
    // fleet: the schema's relations through its entries in `pg_depend` (every
    // relation depends on its schema: the links `DROP SCHEMA` follows), the
    // history table by (name, schema).
    let catalog: Catalog = diesel::sql_query(
        "SELECT CAST(pg_catalog.transaction_timestamp() AS TEXT) AS started, \
         ARRAY(SELECT c.relname::text FROM pg_catalog.pg_depend d \
         JOIN pg_catalog.pg_class c ON c.oid = d.objid \
         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
         AND d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass \
         AND d.refobjid = s.oid AND d.refobjsubid = 0 AND c.relnamespace = s.oid \
         AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') ORDER BY 1) AS relations, \
         EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
         WHERE c.relname = $2 AND c.relnamespace = s.oid AND c.relkind IN ('r', 'p')) AS has_history \
         FROM (SELECT) AS one LEFT JOIN pg_catalog.pg_namespace s ON s.nspname = $1",
    )
    .bind::<Text, _>(schema.to_owned())
    .bind::<Text, _>(HISTORY_TABLE)
    .get_result(conn)?;
    // One row whatever the history holds (all NULL but `started` when empty).
    let sql = if catalog.has_history {
        format!(
            "SELECT CAST(pg_catalog.transaction_timestamp() AS TEXT) AS started, h.name::text AS name, \
             h.checksum::text AS checksum, CAST(h.applied_at AS TEXT) AS applied_at, h.execution_ms \
             FROM (SELECT) AS one LEFT JOIN {} h ON true ORDER BY h.name",
            history_table(Backend::PostgreSQL, schema)
        )
    } else {
        "SELECT CAST(pg_catalog.transaction_timestamp() AS TEXT) AS started, NULL::text AS name, \
         NULL::text AS checksum, NULL::text AS applied_at, NULL::bigint AS execution_ms"
            .to_owned()
    };
    let rows: Vec<Row> = diesel::sql_query(sql).load(conn)?;
    let untracked = rows.first().map(|r| r.started == catalog.started);
    let history = rows
        .into_iter()
        .filter_map(|r| {
            Some(HistoryRow {
                name: r.name?,
                checksum: r.checksum?,
                applied_at: r.applied_at?,
                execution_ms: r.execution_ms?,
            })
        })
        .collect();
    Ok(Preflight {
        history,
        history_table: catalog.has_history,
        relations: Some(catalog.relations),
        untracked_transaction_open: untracked,
    })
}
