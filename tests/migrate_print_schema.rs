//! `print_schema` on real PostgreSQL, round trip: a schema made from
//! `fixtures/print_schema/schema.sql` prints exactly the checked-in
//! `fixtures/print_schema/printed.rs`; that file compiles (it is included
//! below) and its tables query and join; and a new schema migrated from those
//! printed models has the same columns, types, defaults, keys, constraints
//! and indexes as the original, and prints the same file again.
//!
//! After a deliberate change to the output, rewrite the file with
//! `RYX_BLESS_PRINT_SCHEMA=1 cargo test --test migrate_print_schema` and
//! review the diff.
#![cfg(feature = "postgres")]
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use std::collections::BTreeSet;

use common::{pg_connect, PgSchemas};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use ryx::migrate::{print_schema, MigrationRunner, PrintSchemaError, PrintSchemaOptions};
use ryx::prelude::*;

/// The tables `print_schema` printed for the fixture, compiled.
mod printed {
    include!("fixtures/print_schema/printed.rs");
}

const PRINTED: &str = include_str!("fixtures/print_schema/printed.rs");
const SCHEMA_SQL: &str = include_str!("fixtures/print_schema/schema.sql");

/// Creates `schema` holding `sql`'s tables.
fn create_schema(conn: &mut PgConnection, schema: &str, sql: &str) {
    let q = ryx::quote_identifier(schema, '"');
    conn.batch_execute(&format!(
        "BEGIN; CREATE SCHEMA {q}; SET LOCAL search_path TO {q}; {sql}; COMMIT;"
    ))
    .unwrap();
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Everything about `schema`'s tables that a migration from models should
/// reproduce, as comparable lines: columns (type, NOT NULL, default), primary
/// keys, unique constraints, foreign keys with their actions, checks, and
/// indexes by their columns (names differ: ryx names its own).
fn describe(conn: &mut PgConnection, schema: &str) -> BTreeSet<String> {
    let queries = [
        "SELECT format('column %s.%s %s not_null=%s default=%s', c.relname, a.attname, \
           pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, \
           COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '-')) AS line \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> 'ryx_migrations' \
         AND a.attnum > 0 AND NOT a.attisdropped",
        "SELECT format('constraint %s %s %s', c.relname, con.contype, \
           pg_catalog.pg_get_constraintdef(con.oid)) AS line \
         FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname <> 'ryx_migrations'",
        "SELECT format('index %s unique=%s %s', c.relname, x.indisunique, \
           (SELECT string_agg(a.attname, ',' ORDER BY k.o) FROM unnest(x.indkey::int2[]) \
            WITH ORDINALITY k(n, o) JOIN pg_catalog.pg_attribute a \
            ON a.attrelid = x.indrelid AND a.attnum = k.n)) AS line \
         FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class c ON c.oid = x.indrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname <> 'ryx_migrations'",
    ];
    let mut out = BTreeSet::new();
    for sql in queries {
        for Line { line } in diesel::sql_query(sql)
            .bind::<Text, _>(schema)
            .load::<Line>(conn)
            .unwrap()
        {
            // a serial key's sequence is named after its schema
            out.insert(line.replace(schema, "<schema>"));
        }
    }
    out
}

#[test]
fn the_printed_schema_is_the_checked_in_file_and_migrates_back_to_the_same_schema() {
    let mut conn = pg_connect();
    let schemas = PgSchemas::reserve(2);
    let (original, migrated) = (&schemas.names[0], &schemas.names[1]);
    create_schema(&mut conn, original, SCHEMA_SQL);

    let source = print_schema(&mut conn, original, &PrintSchemaOptions::new()).unwrap();
    if std::env::var_os("RYX_BLESS_PRINT_SCHEMA").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/print_schema/printed.rs"
        );
        std::fs::write(path, &source).unwrap();
    }
    assert_eq!(
        source, PRINTED,
        "print_schema's output changed; if on purpose, rerun with RYX_BLESS_PRINT_SCHEMA=1"
    );

    // the printed models, migrated into a new schema (parents first)
    let report = MigrationRunner::new()
        .model::<printed::authors::table>()
        .model::<printed::blog_posts::table>()
        .model::<printed::counters::table>()
        .model::<printed::posts::table>()
        .model::<printed::readings::table>()
        .model::<printed::tags::table>()
        .schema(migrated.as_str())
        .migrate(&mut conn)
        .unwrap();
    assert!(report.drift.is_empty(), "{report}");
    let (want, got) = (describe(&mut conn, original), describe(&mut conn, migrated));
    assert!(want.len() > 40, "{want:#?}");
    assert_eq!(
        want.difference(&got).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "in the original only"
    );
    assert_eq!(
        got.difference(&want).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "in the migrated schema only"
    );
    // and printing the migrated schema gives the same file
    let again = print_schema(&mut conn, migrated, &PrintSchemaOptions::new()).unwrap();
    assert_eq!(again, PRINTED);
}

#[test]
fn the_printed_tables_query_and_join_in_any_schema() -> Result<(), Box<dyn std::error::Error>> {
    use printed::{authors, posts, tags};

    let mut conn = pg_connect();
    let schemas = PgSchemas::reserve(1);
    let t = schemas.names[0].as_str();
    create_schema(&mut conn, t, SCHEMA_SQL);

    let ada: i64 = ryx::insert_into(authors::table.in_schema(t))
        .values((
            authors::email.eq("ada@example.com"),
            authors::name.eq("ada"),
        ))
        .returning(authors::id)
        .get_result(&mut conn)?;
    let post: i32 = ryx::insert_into(posts::table.in_schema(t))
        .values((
            posts::author_id.eq(ada),
            posts::slug.eq("hello"),
            posts::type_.eq("note"),
            posts::token.eq(diesel::dsl::sql::<diesel::sql_types::Uuid>(
                "gen_random_uuid()",
            )),
        ))
        .returning(posts::id)
        .get_result(&mut conn)?;
    ryx::insert_into(tags::table.in_schema(t))
        .values((
            tags::post_id.eq(post),
            tags::name.eq("rust"),
            tags::editor_id.eq(Some(ada)),
        ))
        .execute(&mut conn)?;

    // defaults from #[ryx(default = ..)] came from the database
    let (lang, views): (String, i32) = posts::table
        .in_schema(t)
        .inner_join(authors::table.in_schema(t))
        .select((authors::lang, posts::views))
        .first(&mut conn)?;
    assert_eq!((lang.as_str(), views), ("en", 0));
    // joinable! in both directions, through two foreign keys
    let rows: Vec<(String, String, String)> = tags::table
        .in_schema(t)
        .inner_join(posts::table.in_schema(t))
        .inner_join(authors::table.in_schema(t))
        .select((tags::name, posts::slug, authors::name))
        .load(&mut conn)?;
    assert_eq!(rows, [("rust".into(), "hello".into(), "ada".into())]);
    Ok(())
}

#[test]
fn what_ryx_table_cannot_declare_is_named_or_left_out_with_a_comment() {
    let mut conn = pg_connect();
    let schemas = PgSchemas::reserve(1);
    let t = schemas.names[0].as_str();
    create_schema(
        &mut conn,
        t,
        "CREATE TABLE events (id BIGSERIAL PRIMARY KEY, took INTERVAL, tags INTEGER[] NOT NULL, \
           amount NUMERIC(10, 2) NOT NULL);
         CREATE INDEX events_lower ON events ((id * 2));
         CREATE TABLE logs (line TEXT);",
    );

    let e = print_schema(&mut conn, t, &PrintSchemaOptions::new()).unwrap_err();
    let message = e.to_string();
    assert!(
        matches!(&e, PrintSchemaError::Unsupported { problems } if problems.len() == 3),
        "{e:?}"
    );
    for needle in [
        "column `events.took`: its type `interval`",
        "column `events.tags`: its type `integer[]`",
        "table `logs`: it has no primary key",
        "--skip-unsupported",
    ] {
        assert!(message.contains(needle), "{needle:?} in {message}");
    }

    let source = print_schema(
        &mut conn,
        t,
        &PrintSchemaOptions::new().skip_unsupported(true),
    )
    .unwrap();
    assert_eq!(
        source,
        "// @generated by `ryx print-schema`: the tables of one schema as ryx_table! declarations.\n\
         \n\
         // table `logs` is not declared: it has no primary key, which ryx_table! needs\n\
         \n\
         // index `events_lower` is not declared: ryx_table! declares b-tree indexes over its columns only\n\
         ryx::ryx_table! {\n    \
             events (id) {\n        \
                 id -> Int8,\n        \
                 amount -> Numeric, // numeric(10,2) in the database\n        \
                 // column `took` is not declared: its type `interval` is not one ryx_table! declares (Int2/4/8, Float4/8, Numeric, Text, Varchar, Bool, Timestamp, Timestamptz, Date, Time, Uuid, Json, Jsonb, Bytea)\n        \
                 // column `tags` is not declared: its type `integer[]` is not one ryx_table! declares (Int2/4/8, Float4/8, Numeric, Text, Varchar, Bool, Timestamp, Timestamptz, Date, Time, Uuid, Json, Jsonb, Bytea)\n    \
             }\n\
         }\n"
    );

    // one table, asked for by name
    let only = print_schema(
        &mut conn,
        t,
        &PrintSchemaOptions::new()
            .tables(["events"])
            .skip_unsupported(true),
    )
    .unwrap();
    assert!(
        !only.contains("logs") && only.contains("events (id)"),
        "{only}"
    );
    let e = print_schema(&mut conn, t, &PrintSchemaOptions::new().tables(["nope"])).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("schema `{t}` has no table `nope`; its tables are: events, logs")
    );
}
