//! What [`clone_tenant`](super::clone_tenant) reads of a template schema, one
//! query per kind of object, all from `pg_catalog`.
//!
//! Read with `search_path` set to the template alone, so that the
//! `pg_get_*def` functions, `format_type` and `regclass` print the template's
//! own objects unqualified and everything else (`public.f()`, another
//! schema's table) qualified. Replayed with `search_path` set to the clone,
//! the unqualified names then resolve to the clone's objects. Comments and
//! enum labels come back as SQL literals built by the server
//! (`quote_literal`).

use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::apply::RunnerConnection;

/// A table, view, materialized view or sequence.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct Relation {
    #[diesel(sql_type = BigInt)]
    pub(super) oid: i64,
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    /// `r`, `v`, `m` or `S`.
    #[diesel(sql_type = Text)]
    pub(super) kind: String,
    #[diesel(sql_type = Bool)]
    pub(super) unlogged: bool,
    /// `reloptions`, comma separated (`fillfactor=70`), or empty.
    #[diesel(sql_type = Text)]
    pub(super) options: String,
    #[diesel(sql_type = Bool)]
    pub(super) populated: bool,
    /// A view's `SELECT`, for views and materialized views.
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) definition: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) comment: Option<String>,
}

/// A column of a table, view or materialized view.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct Column {
    #[diesel(sql_type = BigInt)]
    pub(super) rel: i64,
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    #[diesel(sql_type = Text)]
    pub(super) data_type: String,
    #[diesel(sql_type = Bool)]
    pub(super) not_null: bool,
    /// Its type (or its array's element type) is one of the template's own
    /// (an enum): the clone's column has the clone's type.
    #[diesel(sql_type = Bool)]
    pub(super) own_type: bool,
    /// `a` (ALWAYS), `d` (BY DEFAULT) or empty.
    #[diesel(sql_type = Text)]
    pub(super) identity: String,
    /// `s` (stored generated column) or empty.
    #[diesel(sql_type = Text)]
    pub(super) generated: String,
    /// The default, or the generation expression.
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) expr: Option<String>,
    /// A collation other than the type's: (schema, name).
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) collation_schema: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) collation: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) comment: Option<String>,
}

/// A sequence, with the column that owns it (serial, `OWNED BY`, identity).
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct Sequence {
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    #[diesel(sql_type = Text)]
    pub(super) data_type: String,
    #[diesel(sql_type = BigInt)]
    pub(super) start: i64,
    #[diesel(sql_type = BigInt)]
    pub(super) increment: i64,
    #[diesel(sql_type = BigInt)]
    pub(super) min: i64,
    #[diesel(sql_type = BigInt)]
    pub(super) max: i64,
    #[diesel(sql_type = BigInt)]
    pub(super) cache: i64,
    #[diesel(sql_type = Bool)]
    pub(super) cycle: bool,
    /// `a` (owned by a column: serial, `OWNED BY`), `i` (an identity
    /// column's), or empty.
    #[diesel(sql_type = Text)]
    pub(super) owned: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) owner_table: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) owner_column: Option<String>,
}

/// A table constraint (primary key, unique, check, exclusion, foreign key).
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct Constraint {
    #[diesel(sql_type = Text)]
    pub(super) table: String,
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    /// A foreign key, or a constraint added `NOT VALID`: added after the
    /// tables (and their rows), never inside `CREATE TABLE`.
    #[diesel(sql_type = Bool)]
    pub(super) later: bool,
    #[diesel(sql_type = Text)]
    pub(super) definition: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) comment: Option<String>,
}

/// An index that backs no constraint (`CREATE INDEX ..`, partial and
/// expression indexes included).
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct Index {
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    #[diesel(sql_type = Text)]
    pub(super) definition: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) comment: Option<String>,
}

/// An enum type.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct Enum {
    #[diesel(sql_type = Text)]
    pub(super) name: String,
    /// Its labels as SQL literals, in order, comma separated.
    #[diesel(sql_type = Text)]
    pub(super) labels: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) comment: Option<String>,
}

/// A view that reads another view of the schema.
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct ViewDependency {
    #[diesel(sql_type = Text)]
    pub(super) dependent: String,
    #[diesel(sql_type = Text)]
    pub(super) referenced: String,
}

/// One line of text (what cannot be cloned, what depends on the template).
#[derive(Debug, Clone, QueryableByName)]
pub(super) struct Line {
    #[diesel(sql_type = Text)]
    pub(super) line: String,
}

/// Everything the clone copies, read from the template.
#[derive(Debug, Clone, Default)]
pub(super) struct Template {
    pub(super) relations: Vec<Relation>,
    pub(super) columns: Vec<Column>,
    pub(super) sequences: Vec<Sequence>,
    pub(super) constraints: Vec<Constraint>,
    pub(super) indexes: Vec<Index>,
    pub(super) enums: Vec<Enum>,
    pub(super) view_dependencies: Vec<ViewDependency>,
}

/// `pg_catalog.pg_namespace` row of the schema bound as `$1`.
const NS: &str = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)";

fn load<C, T>(conn: &mut C, sql: &str, schema: &str) -> QueryResult<Vec<T>>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
    T: QueryableByName<diesel::pg::Pg> + 'static,
{
    diesel::sql_query(sql.replace("$NS", NS))
        .bind::<Text, _>(schema.to_owned())
        .load(conn)
}

/// As [`load`], with the template's relations bound as `$2` (`oid[]`): the
/// queries that start from them use the catalog's indexes (`attrelid`,
/// `conrelid`, `indrelid`, ..) instead of scanning `pg_class` again, which
/// holds every tenant's relations.
fn load_for<C, T>(conn: &mut C, sql: &str, schema: &str, oids: &[i64]) -> QueryResult<Vec<T>>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
    T: QueryableByName<diesel::pg::Pg> + 'static,
{
    diesel::sql_query(sql.replace("$NS", NS))
        .bind::<Text, _>(schema.to_owned())
        .bind::<Array<BigInt>, _>(oids.to_vec())
        .load(conn)
}

/// Reads the template (with `search_path` already set to it alone).
pub(super) fn read<C>(conn: &mut C, schema: &str) -> QueryResult<Template>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    let relations: Vec<Relation> = load(
            conn,
            "SELECT c.oid::int8 AS oid, c.relname::text AS name, c.relkind::text AS kind, \
             c.relpersistence = 'u' AS unlogged, \
             COALESCE(pg_catalog.array_to_string(c.reloptions, ', '), '') AS options, \
             c.relispopulated AS populated, \
             CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid, true) END AS definition, \
             pg_catalog.quote_literal(pg_catalog.obj_description(c.oid, 'pg_class')) AS comment \
             FROM pg_catalog.pg_class c WHERE c.relnamespace = $NS AND c.relkind IN ('r', 'v', 'm', 'S') \
             ORDER BY c.oid",
            schema,
        )?;
    let oids: Vec<i64> = relations.iter().map(|r| r.oid).collect();
    let oids = oids.as_slice();
    Ok(Template {
        columns: load_for(
            conn,
            "SELECT a.attrelid::int8 AS rel, a.attname::text AS name, \
             pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null, \
             (t.typnamespace = c.relnamespace OR EXISTS (SELECT 1 FROM pg_catalog.pg_type e \
               WHERE e.oid = t.typelem AND e.typnamespace = c.relnamespace)) AS own_type, \
             a.attidentity::text AS identity, a.attgenerated::text AS generated, \
             pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) AS expr, \
             CASE WHEN a.attcollation <> t.typcollation THEN cn.nspname::text END AS collation_schema, \
             CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END AS collation, \
             pg_catalog.quote_literal(pg_catalog.col_description(a.attrelid, a.attnum)) AS comment \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
             WHERE a.attrelid = ANY($2::pg_catalog.oid[]) AND c.relkind IN ('r', 'v', 'm') \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
            schema,
            oids,
        )?,
        sequences: load_for(
            conn,
            "SELECT c.relname::text AS name, pg_catalog.format_type(s.seqtypid, NULL) AS data_type, \
             s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min, s.seqmax AS max, \
             s.seqcache AS cache, s.seqcycle AS cycle, COALESCE(d.deptype::text, '') AS owned, \
             oc.relname::text AS owner_table, oa.attname::text AS owner_column \
             FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
             LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
               AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
               AND d.deptype IN ('a', 'i') \
             LEFT JOIN pg_catalog.pg_class oc ON oc.oid = d.refobjid \
             LEFT JOIN pg_catalog.pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid \
             WHERE s.seqrelid = ANY($2::pg_catalog.oid[]) ORDER BY c.oid",
            schema,
            oids,
        )?,
        constraints: load_for(
            conn,
            "SELECT c.relname::text AS table, k.conname::text AS name, (k.contype = 'f' OR NOT k.convalidated) AS later, \
             pg_catalog.pg_get_constraintdef(k.oid, true) AS definition, \
             pg_catalog.quote_literal(pg_catalog.obj_description(k.oid, 'pg_constraint')) AS comment \
             FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
             WHERE k.conrelid = ANY($2::pg_catalog.oid[]) AND k.contype IN ('p', 'u', 'c', 'x', 'f') \
             ORDER BY k.contype = 'f', k.oid",
            schema,
            oids,
        )?,
        indexes: load_for(
            conn,
            "SELECT i.relname::text AS name, pg_catalog.pg_get_indexdef(i.oid, 0, true) AS definition, \
             pg_catalog.quote_literal(pg_catalog.obj_description(i.oid, 'pg_class')) AS comment \
             FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
             JOIN pg_catalog.pg_class t ON t.oid = x.indrelid \
             WHERE x.indrelid = ANY($2::pg_catalog.oid[]) AND x.indisvalid AND NOT EXISTS (\
               SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = x.indexrelid \
               AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')) \
             ORDER BY i.oid",
            schema,
            oids,
        )?,
        enums: load(
            conn,
            "SELECT t.typname::text AS name, COALESCE((SELECT pg_catalog.string_agg(\
               pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) \
               FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '') AS labels, \
             pg_catalog.quote_literal(pg_catalog.obj_description(t.oid, 'pg_type')) AS comment \
             FROM pg_catalog.pg_type t WHERE t.typnamespace = $NS AND t.typtype = 'e' ORDER BY t.oid",
            schema,
        )?,
        view_dependencies: load_for(
            conn,
            "SELECT DISTINCT v.relname::text AS dependent, r.relname::text AS referenced \
             FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class v ON v.oid = w.ev_class \
             JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
               AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
             JOIN pg_catalog.pg_class r ON r.oid = d.refobjid \
             WHERE w.ev_class = ANY($2::pg_catalog.oid[]) AND r.relnamespace = v.relnamespace \
             AND r.relkind IN ('v', 'm') AND r.oid <> v.oid",
            schema,
            oids,
        )?,
        relations,
    })
}

/// What the template holds that a clone would not copy faithfully, one line
/// each (empty: nothing).
pub(super) fn unsupported<C>(conn: &mut C, schema: &str) -> QueryResult<Vec<String>>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    let rows: Vec<Line> = load(
        conn,
        "WITH ns AS $NS, tables AS (SELECT oid, relname FROM pg_catalog.pg_class \
           WHERE relnamespace = (SELECT oid FROM ns)) \
         SELECT line FROM (\
         SELECT 'function ' || p.proname AS line FROM pg_catalog.pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'type ' || t.typname FROM pg_catalog.pg_type t \
           LEFT JOIN pg_catalog.pg_class r ON r.oid = t.typrelid \
           WHERE t.typnamespace = (SELECT oid FROM ns) AND t.typtype <> 'e' \
           AND NOT (t.typtype = 'c' AND r.relkind IN ('r', 'v', 'm', 'S')) \
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid) \
         UNION ALL SELECT CASE c.relkind WHEN 'p' THEN 'partitioned table ' ELSE 'foreign table ' END || c.relname \
           FROM pg_catalog.pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('p', 'f') \
         UNION ALL SELECT 'inheriting table ' || t.relname FROM tables t JOIN pg_catalog.pg_inherits i ON i.inhrelid = t.oid \
         UNION ALL SELECT 'trigger ' || g.tgname || ' on ' || t.relname FROM tables t \
           JOIN pg_catalog.pg_trigger g ON g.tgrelid = t.oid WHERE NOT g.tgisinternal \
         UNION ALL SELECT 'rule ' || w.rulename || ' on ' || t.relname FROM tables t \
           JOIN pg_catalog.pg_rewrite w ON w.ev_class = t.oid WHERE w.rulename <> '_RETURN' \
         UNION ALL SELECT 'row-level security policy ' || y.polname || ' on ' || t.relname FROM tables t \
           JOIN pg_catalog.pg_policy y ON y.polrelid = t.oid \
         UNION ALL SELECT 'row-level security on ' || c.relname FROM pg_catalog.pg_class c \
           WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relrowsecurity \
         UNION ALL SELECT 'statistics object ' || s.stxname FROM pg_catalog.pg_statistic_ext s \
           WHERE s.stxnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'extension ' || x.extname FROM pg_catalog.pg_extension x \
           WHERE x.extnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'collation ' || o.collname FROM pg_catalog.pg_collation o \
           WHERE o.collnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'operator ' || o.oprname FROM pg_catalog.pg_operator o \
           WHERE o.oprnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'text search configuration ' || f.cfgname FROM pg_catalog.pg_ts_config f \
           WHERE f.cfgnamespace = (SELECT oid FROM ns) \
         ) u ORDER BY 1",
        schema,
    )?;
    Ok(rows.into_iter().map(|r| r.line).collect())
}

/// The clone's objects that still depend on an object of the template (a
/// default's sequence, a foreign key's table, a view's relation, a column's
/// type), as PostgreSQL describes them; empty when the clone stands alone.
pub(super) fn depends_on_template<C>(
    conn: &mut C,
    template: &str,
    clone: &str,
) -> QueryResult<Vec<String>>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    let rows: Vec<Line> = diesel::sql_query(
        "WITH t AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1), \
         n AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $2), \
         o AS (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS cls, c.oid FROM pg_catalog.pg_class c \
                 WHERE c.relnamespace = (SELECT oid FROM t) \
               UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, y.oid FROM pg_catalog.pg_type y \
                 WHERE y.typnamespace = (SELECT oid FROM t)) \
         SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS line \
         FROM o JOIN pg_catalog.pg_depend d ON d.refclassid = o.cls AND d.refobjid = o.oid \
         WHERE (CASE d.classid \
           WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN \
             (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = d.objid) \
           WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN \
             (SELECT c.relnamespace FROM pg_catalog.pg_attrdef a JOIN pg_catalog.pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid) \
           WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN \
             (SELECT connamespace FROM pg_catalog.pg_constraint WHERE oid = d.objid) \
           WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN \
             (SELECT c.relnamespace FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid) \
           WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN \
             (SELECT typnamespace FROM pg_catalog.pg_type WHERE oid = d.objid) \
           END) = (SELECT oid FROM n) ORDER BY 1",
    )
    .bind::<Text, _>(template.to_owned())
    .bind::<Text, _>(clone.to_owned())
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.line).collect())
}
