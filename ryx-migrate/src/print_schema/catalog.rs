//! What `print_schema` reads from PostgreSQL's `pg_catalog` about one
//! schema: its tables, their columns, constraints and indexes. Every query
//! names the schema by a bound parameter; none builds SQL from a name.

use diesel::connection::{Connection, LoadConnection};
use diesel::pg::Pg;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

/// One table's name.
#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// A column, in its table's order.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct ColumnRow {
    #[diesel(sql_type = Text)]
    pub(super) table_name: String,
    #[diesel(sql_type = Text)]
    pub(super) column_name: String,
    /// `format_type`: the type as PostgreSQL spells it (`character varying(100)`).
    #[diesel(sql_type = Text)]
    pub(super) format_type: String,
    /// The type's own name (`int8`, `varchar`, `_int4` for an array).
    #[diesel(sql_type = Text)]
    pub(super) type_name: String,
    /// The schema the type lives in (`pg_catalog` for the built-in ones).
    #[diesel(sql_type = Text)]
    pub(super) type_schema: String,
    /// `atttypmod`: a `varchar`'s length + 4, or -1.
    #[diesel(sql_type = Integer)]
    pub(super) typmod: i32,
    #[diesel(sql_type = Bool)]
    pub(super) not_null: bool,
    /// The default as SQL text (`pg_get_expr`), if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) default_sql: Option<String>,
    /// `GENERATED .. AS IDENTITY`.
    #[diesel(sql_type = Bool)]
    pub(super) identity: bool,
    /// `GENERATED ALWAYS AS (..) STORED`.
    #[diesel(sql_type = Bool)]
    pub(super) generated: bool,
}

/// A primary key, unique, foreign key or check constraint.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct ConstraintRow {
    #[diesel(sql_type = Text)]
    pub(super) table_name: String,
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    /// `p`, `u`, `f` or `c`.
    #[diesel(sql_type = Text)]
    pub(super) kind: String,
    /// The constrained columns, in order.
    #[diesel(sql_type = Array<Text>)]
    pub(super) columns: Vec<String>,
    /// A foreign key's referenced table and its schema (empty otherwise).
    #[diesel(sql_type = Text)]
    pub(super) ref_table: String,
    #[diesel(sql_type = Text)]
    pub(super) ref_schema: String,
    #[diesel(sql_type = Array<Text>)]
    pub(super) ref_columns: Vec<String>,
    /// `pg_constraint`'s action codes: `a` no action, `r` restrict, `c`
    /// cascade, `n` set null, `d` set default.
    #[diesel(sql_type = Text)]
    pub(super) on_delete: String,
    #[diesel(sql_type = Text)]
    pub(super) on_update: String,
    /// `pg_get_constraintdef`: `CHECK ((views >= 0))` for a check.
    #[diesel(sql_type = Text)]
    pub(super) definition: String,
}

/// An index that backs no primary key or unique constraint.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct IndexRow {
    #[diesel(sql_type = Text)]
    pub(super) table_name: String,
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    #[diesel(sql_type = Bool)]
    pub(super) is_unique: bool,
    /// A b-tree over plain columns, ascending, without `WHERE` or `INCLUDE`:
    /// what `ryx_table!`'s `index` / `unique` declare.
    #[diesel(sql_type = Bool)]
    pub(super) plain: bool,
    #[diesel(sql_type = Array<Text>)]
    pub(super) columns: Vec<String>,
}

/// Everything `print_schema` needs to know about a schema.
#[derive(Debug, Clone, Default)]
pub(super) struct Catalog {
    /// The tables (ordinary and partitioned; no partitions, no
    /// `ryx_migrations`), sorted by name.
    pub(super) tables: Vec<String>,
    pub(super) columns: Vec<ColumnRow>,
    pub(super) constraints: Vec<ConstraintRow>,
    pub(super) indexes: Vec<IndexRow>,
}

/// Reads the catalog of `schema`.
pub(super) fn read<C>(conn: &mut C, schema: &str) -> QueryResult<Catalog>
where
    C: Connection<Backend = Pg> + LoadConnection,
{
    const TABLES: &str = "c.relkind IN ('r', 'p') AND NOT c.relispartition \
                          AND c.relname <> 'ryx_migrations'";
    let mut tables: Vec<String> = diesel::sql_query(format!(
        "SELECT c.relname::text AS name FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND {TABLES}"
    ))
    .bind::<Text, _>(schema)
    .load::<TableName>(conn)?
    .into_iter()
    .map(|t| t.name)
    .collect();
    tables.sort();
    let columns = diesel::sql_query(format!(
        "SELECT c.relname::text AS table_name, a.attname::text AS column_name, \
         pg_catalog.format_type(a.atttypid, a.atttypmod) AS format_type, \
         t.typname::text AS type_name, tn.nspname::text AS type_schema, \
         a.atttypmod AS typmod, a.attnotnull AS not_null, \
         CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS default_sql, \
         a.attidentity <> '' AS identity, a.attgenerated <> '' AS generated \
         FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace \
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = $1 AND {TABLES} AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum"
    ))
    .bind::<Text, _>(schema)
    .load::<ColumnRow>(conn)?;
    let constraints = diesel::sql_query(format!(
        "SELECT c.relname::text AS table_name, con.conname::text AS name, con.contype::text AS kind, \
         ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY k(n, o) \
           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n \
           ORDER BY k.o) AS columns, \
         COALESCE(rc.relname::text, '') AS ref_table, COALESCE(rn.nspname::text, '') AS ref_schema, \
         ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY k(n, o) \
           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n \
           ORDER BY k.o) AS ref_columns, \
         con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update, \
         pg_catalog.pg_get_constraintdef(con.oid) AS definition \
         FROM pg_catalog.pg_constraint con \
         JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid \
         LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace \
         WHERE n.nspname = $1 AND {TABLES} AND con.contype IN ('p', 'u', 'f', 'c') \
         ORDER BY c.relname, con.conname"
    ))
    .bind::<Text, _>(schema)
    .load::<ConstraintRow>(conn)?;
    let indexes = diesel::sql_query(format!(
        "SELECT c.relname::text AS table_name, i.relname::text AS name, x.indisunique AS is_unique, \
         (am.amname = 'btree' AND x.indexprs IS NULL AND x.indpred IS NULL \
          AND x.indnatts = x.indnkeyatts AND NOT (0 = ANY (x.indkey::int2[])) \
          AND NOT (0 < ANY (x.indoption::int2[]))) AS plain, \
         ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o) \
           JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n \
           ORDER BY k.o) AS columns \
         FROM pg_catalog.pg_index x \
         JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
         JOIN pg_catalog.pg_class c ON c.oid = x.indrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_am am ON am.oid = i.relam \
         WHERE n.nspname = $1 AND {TABLES} AND x.indisvalid \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k \
           WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')) \
         ORDER BY c.relname, i.relname"
    ))
    .bind::<Text, _>(schema)
    .load::<IndexRow>(conn)?;
    Ok(Catalog {
        tables,
        columns,
        constraints,
        indexes,
    })
}
