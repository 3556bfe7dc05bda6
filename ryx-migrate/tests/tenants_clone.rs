//! `lifecycle::clone_tenant` on PostgreSQL: the clone has the catalog of a
//! tenant migrated from the same folder and the template's history, uses its
//! own sequences and tables, and copies rows with `with_data`.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
#![cfg(feature = "postgres")]

mod common;

use common::{fixtures, pg_url, Schemas};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::lifecycle::{clone_tenant, CloneOptions};
use ryx_migrate::FileRunner;

fn connect() -> PgConnection {
    PgConnection::establish(&pg_url()).unwrap()
}

fn migrate(conn: &mut PgConnection, schema: &str) {
    FileRunner::new()
        .migrations_dir(fixtures("clone"))
        .schema(schema)
        .run(conn)
        .unwrap();
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

/// Everything the catalog says about `schema`'s objects, one line each,
/// sorted, printed with `search_path` set to the schema alone (its own
/// objects unqualified, any other schema's qualified) and the schema's name
/// replaced by `<S>`.
fn catalog(schema: &str) -> Vec<String> {
    let mut conn = connect();
    diesel::sql_query("SELECT pg_catalog.set_config('search_path', $1, false)")
        .bind::<Text, _>(format!("\"{schema}\""))
        .execute(&mut conn)
        .unwrap();
    let lines: Vec<Line> = diesel::sql_query(
        "WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1) \
         SELECT line FROM ( \
         SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text \
           || ' options=' || coalesce(array_to_string(c.reloptions, ','), '') \
           || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '') AS line \
           FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'column ' || c.relname || '.' || a.attnum || ' ' || a.attname || ' ' \
           || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull \
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text \
           || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid, true), '') \
           || ' collation=' || a.attcollation::regcollation::text \
           || ' comment=' || coalesce(col_description(c.oid, a.attnum), '') \
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
           WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'v', 'm') \
           AND a.attnum > 0 AND NOT a.attisdropped \
         UNION ALL SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || k.contype::text || ' ' \
           || pg_get_constraintdef(k.oid, true) || ' deferrable=' || k.condeferrable \
           || ' comment=' || coalesce(obj_description(k.oid, 'pg_constraint'), '') \
           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
           WHERE c.relnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'index ' || i.relname || ' ' || pg_get_indexdef(i.oid, 0, true) \
           || ' valid=' || x.indisvalid || ' primary=' || x.indisprimary \
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
           WHERE i.relnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid, true) \
           FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('v', 'm') \
         UNION ALL SELECT 'sequence ' || c.relname || ' ' || format_type(s.seqtypid, NULL) \
           || ' start=' || s.seqstart || ' inc=' || s.seqincrement || ' min=' || s.seqmin \
           || ' max=' || s.seqmax || ' cache=' || s.seqcache || ' cycle=' || s.seqcycle \
           || ' owned=' || coalesce((SELECT d.deptype::text || ' ' || d.refobjid::regclass::text || '.' || d.refobjsubid \
              FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '') \
           FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
           WHERE c.relnamespace = (SELECT oid FROM ns) \
         UNION ALL SELECT 'type ' || t.typname || ' ' || t.typtype::text || ' ' \
           || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
              FROM pg_enum e WHERE e.enumtypid = t.oid), '') \
           FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM ns) \
         ) x ORDER BY 1",
    )
    .bind::<Text, _>(schema)
    .load(&mut conn)
    .unwrap();
    let mut lines: Vec<String> = lines
        .into_iter()
        .map(|l| l.line.replace(schema, "<S>"))
        .collect();
    lines.sort();
    lines
}

fn history(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    diesel::sql_query(format!(
        "SELECT name || ' ' || checksum || ' ' || applied_at::text AS line FROM \"{schema}\".ryx_migrations ORDER BY name"
    ))
    .load::<Line>(conn)
    .unwrap()
    .into_iter()
    .map(|l| l.line)
    .collect()
}

/// `last_value`, `is_called` of a sequence.
fn sequence(conn: &mut PgConnection, schema: &str, name: &str) -> String {
    diesel::sql_query(format!(
        "SELECT last_value::text || ' ' || is_called::text AS line FROM \"{schema}\".\"{name}\""
    ))
    .get_result::<Line>(conn)
    .unwrap()
    .line
}

const SEQUENCES: [&str; 5] = [
    "accounts_id_seq",
    "orders_id_seq",
    "invoices_id_seq",
    "invoice_numbers",
    "bookings_id_seq",
];

#[test]
fn a_clone_has_the_catalog_of_a_migrated_tenant_and_the_templates_history() {
    let schemas = Schemas::new(3);
    let (template, migrated, clone) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let mut conn = connect();
    migrate(&mut conn, template);
    migrate(&mut conn, migrated);
    let report = clone_tenant(&mut conn, template, clone, CloneOptions::new()).unwrap();
    assert_eq!(
        (report.tables, report.views, report.migrations),
        (5, 3, 3),
        "{report:?}"
    );

    let expected = catalog(migrated);
    // the fixture's features are all there to compare
    for needle in [
        "type plan e free,pro,enterprise",
        "default=nextval('accounts_id_seq'::regclass)",
        "identity=a",
        "generated=s default=(quantity::numeric * unit_price)",
        "UNIQUE (account_id, number)",
        "CHECK (balance >= 0::numeric)",
        "FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE",
        "EXCLUDE USING gist (during WITH &&)",
        "WHERE deleted_at IS NULL",
        "view account_totals",
        "relation order_stats kind=m",
        "comment=Customer accounts",
        "comment=One number per account",
        "collation=\"C\"",
    ] {
        assert!(
            expected.iter().any(|l| l.contains(needle)),
            "{needle} not in {expected:#?}"
        );
    }
    assert_eq!(catalog(clone), expected);
    assert_eq!(catalog(template), expected);
    assert_eq!(history(&mut conn, clone), history(&mut conn, template));
    assert_eq!(history(&mut conn, clone).len(), 3);

    // `migrate` continues from the copied history: nothing to apply
    let report = FileRunner::new()
        .migrations_dir(fixtures("clone"))
        .schema(clone)
        .run(&mut conn)
        .unwrap();
    assert!(report.applied.is_empty(), "{report:?}");
}

#[test]
fn writes_to_a_clone_use_its_own_sequences_and_tables() {
    let schemas = Schemas::new(2);
    let (template, clone) = (&schemas.0[0], &schemas.0[1]);
    let mut conn = connect();
    migrate(&mut conn, template);
    conn.batch_execute(&format!(
        "INSERT INTO \"{template}\".accounts (email) VALUES ('t@example.com')"
    ))
    .unwrap();
    let before: Vec<String> = SEQUENCES
        .iter()
        .map(|s| sequence(&mut conn, template, s))
        .collect();
    clone_tenant(&mut conn, template, clone, CloneOptions::new()).unwrap();

    // fresh sequences, empty tables
    assert_eq!(sequence(&mut conn, clone, "accounts_id_seq"), "1 false");
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM \"{clone}\".accounts")
        ),
        0
    );
    conn.batch_execute(&format!(
        "SET search_path TO \"{clone}\"; \
         INSERT INTO accounts (email) VALUES ('a@example.com'), ('b@example.com'); \
         INSERT INTO orders (account_id, number, quantity, unit_price) VALUES (1, 1, 2, 600); \
         INSERT INTO invoices (order_id, code) VALUES (1, 'X'); \
         INSERT INTO bookings (account_id, during) VALUES (1, '[2024-01-01, 2024-01-02)'); \
         REFRESH MATERIALIZED VIEW order_stats; \
         SET search_path TO DEFAULT"
    ))
    .unwrap();
    // the defaults counted in the clone's sequences
    let ids: Vec<String> = diesel::sql_query(format!(
        "SELECT a.id || ' ' || i.id || ' ' || i.number || ' ' || o.total AS line \
         FROM \"{clone}\".accounts a, \"{clone}\".invoices i, \"{clone}\".orders o \
         WHERE a.email = 'b@example.com'"
    ))
    .load::<Line>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|l| l.line)
    .collect();
    assert_eq!(ids, ["2 10 1000 1200.00"]);
    // the template's sequences and rows did not move
    let after: Vec<String> = SEQUENCES
        .iter()
        .map(|s| sequence(&mut conn, template, s))
        .collect();
    assert_eq!(after, before);
    for (table, rows) in [
        ("accounts", 1),
        ("orders", 0),
        ("invoices", 0),
        ("bookings", 0),
    ] {
        assert_eq!(
            count(
                &mut conn,
                &format!("SELECT count(*) AS n FROM \"{template}\".{table}")
            ),
            rows,
            "{table}"
        );
    }
    // the views read the clone
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM \"{clone}\".account_totals")
        ),
        2
    );
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM \"{clone}\".order_stats")
        ),
        1
    );
    // the foreign key references the clone's accounts: the template's
    // account 1 does not satisfy it once the clone's is gone
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid \
                 JOIN pg_namespace n ON n.oid = r.relnamespace \
                 WHERE k.contype = 'f' AND k.connamespace = '\"{clone}\"'::regnamespace \
                 AND n.nspname = '{clone}'"
            )
        ),
        3
    );
    conn.batch_execute(&format!(
        "DELETE FROM \"{clone}\".invoices; DELETE FROM \"{clone}\".bookings; DELETE FROM \"{clone}\".accounts"
    ))
    .unwrap();
    let orphan = conn.batch_execute(&format!(
        "INSERT INTO \"{clone}\".orders (account_id, number, quantity, unit_price) VALUES (1, 2, 1, 1)"
    ));
    assert!(format!("{orphan:?}").contains("foreign key"), "{orphan:?}");
    // the exclusion constraint holds in the clone
    conn.batch_execute(&format!(
        "INSERT INTO \"{clone}\".accounts (email) VALUES ('c@example.com')"
    ))
    .unwrap();
    let overlap = conn.batch_execute(&format!(
        "INSERT INTO \"{clone}\".bookings (during) VALUES ('[2024-01-01, 2024-01-03)'), ('[2024-01-02, 2024-01-04)')"
    ));
    assert!(format!("{overlap:?}").contains("exclusion"), "{overlap:?}");
}

#[test]
fn with_data_copies_rows_and_continues_the_sequences() {
    let schemas = Schemas::new(2);
    let (template, clone) = (&schemas.0[0], &schemas.0[1]);
    let mut conn = connect();
    migrate(&mut conn, template);
    conn.batch_execute(&format!(
        "SET search_path TO \"{template}\"; \
         INSERT INTO accounts (email, plan) VALUES ('a@example.com', 'pro'), ('b@example.com', 'free'); \
         INSERT INTO orders (account_id, number, quantity, unit_price) VALUES (1, 1, 3, 10), (2, 1, 1, 2000); \
         INSERT INTO invoices (order_id, code) VALUES (1, 'A'), (2, 'B'); \
         SELECT nextval('invoice_numbers'); \
         REFRESH MATERIALIZED VIEW order_stats; \
         SET search_path TO DEFAULT"
    ))
    .unwrap();
    let report = clone_tenant(
        &mut conn,
        template,
        clone,
        CloneOptions::new().with_data(true),
    )
    .unwrap();
    assert_eq!(report.migrations, 3);
    for table in [
        "accounts",
        "orders",
        "invoices",
        "order_stats",
        "ryx_migrations",
    ] {
        let rows = |conn: &mut PgConnection, s: &str| {
            diesel::sql_query(format!(
                "SELECT coalesce(string_agg(t::text, ';' ORDER BY t::text), '') AS line FROM \"{s}\".{table} t"
            ))
            .get_result::<Line>(conn)
            .unwrap()
            .line
        };
        assert_eq!(rows(&mut conn, clone), rows(&mut conn, template), "{table}");
    }
    for s in SEQUENCES {
        assert_eq!(
            sequence(&mut conn, clone, s),
            sequence(&mut conn, template, s),
            "{s}"
        );
    }
    // the next rows continue after the copied ones, in the clone only
    conn.batch_execute(&format!(
        "INSERT INTO \"{clone}\".accounts (email) VALUES ('c@example.com')"
    ))
    .unwrap();
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT max(id)::int8 AS n FROM \"{clone}\".accounts")
        ),
        3
    );
    assert_eq!(sequence(&mut conn, template, "accounts_id_seq"), "2 true");
    assert_eq!(
        catalog(clone),
        catalog(template),
        "rows do not change the structure"
    );
}

#[test]
fn foreign_keys_and_types_in_a_shared_schema_keep_pointing_there() {
    let schemas = Schemas::new(3);
    let (shared, template, clone) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let mut conn = connect();
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{shared}\"; \
         CREATE TABLE \"{shared}\".countries (code TEXT PRIMARY KEY); \
         CREATE TYPE \"{shared}\".mood AS ENUM ('ok', 'sad'); \
         INSERT INTO \"{shared}\".countries VALUES ('FR')"
    ))
    .unwrap();
    ryx_migrate::create_tenant(&mut conn, template).unwrap();
    conn.batch_execute(&format!(
        "CREATE TABLE \"{template}\".addresses (id SERIAL PRIMARY KEY, \
           country TEXT NOT NULL REFERENCES \"{shared}\".countries (code), mood \"{shared}\".mood); \
         CREATE VIEW \"{template}\".french AS SELECT a.id FROM \"{template}\".addresses a \
           JOIN \"{shared}\".countries c ON c.code = a.country WHERE c.code = 'FR'"
    ))
    .unwrap();
    clone_tenant(&mut conn, template, clone, CloneOptions::new()).unwrap();
    let clone_catalog = catalog(clone);
    assert_eq!(clone_catalog, catalog(template));
    let shared_fk = format!("REFERENCES {shared}.countries(code)");
    assert!(
        clone_catalog.iter().any(|l| l.contains(&shared_fk)),
        "{clone_catalog:#?}"
    );
    conn.batch_execute(&format!(
        "INSERT INTO \"{clone}\".addresses (country, mood) VALUES ('FR', 'ok')"
    ))
    .unwrap();
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM \"{clone}\".french")
        ),
        1
    );
}

#[test]
fn a_clone_runs_over_a_transaction_pooler_connection() {
    // one transaction and no session state: nothing a transaction pooler
    // (PgBouncer in transaction mode) would lose
    let schemas = Schemas::new(2);
    let (template, clone) = (&schemas.0[0], &schemas.0[1]);
    migrate(&mut connect(), template);
    let mut conn = ryx_pool::ConnectionManager::<PgConnection>::new(pg_url())
        .transaction_pooler(true)
        .connect_once()
        .unwrap();
    assert!(ryx_pool::behind_transaction_pooler(&mut conn));
    let report = clone_tenant(&mut conn, template, clone, CloneOptions::new()).unwrap();
    assert_eq!(report.migrations, 3);
    assert_eq!(catalog(clone), catalog(template));
    ryx_migrate::lifecycle::tenant_sizes(&mut conn).unwrap();
}
