//! What keeps tenant schemas independent of each other, so that an engine or
//! a directory can place each on any server: ryx's DDL and makemigrations
//! never make a tenant table reference another schema. Checked on the text
//! the generators write and on real PostgreSQL's catalog after the model
//! runner and the file runner have built two tenants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::constraint_tables::*;
use common::tables::*;
use common::{pg_connect, PgSchemas};
use diesel::sql_types::Text;
use ryx::migrate::{
    make_migration, Backend, DDLGenerator, FileRunner, MigrationRunner, RyxTable, TableState,
};
use ryx::prelude::*;

fn models() -> Vec<TableState> {
    vec![
        ms_authors::table.table_state(),
        ms_posts::table.table_state(),
        ck_authors::table.table_state(),
        ck_posts::table.table_state(),
    ]
}

#[derive(QueryableByName, Debug, PartialEq)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    from_schema: String,
    #[diesel(sql_type = Text)]
    to_schema: String,
}

/// Every foreign key of a table in `schemas`, with the schema it points into.
fn foreign_keys(conn: &mut PgConnection, schemas: &[String]) -> Vec<ForeignKey> {
    let list: Vec<String> = schemas.to_vec();
    diesel::sql_query(
        "SELECT c.conname::text AS name, fn.nspname::text AS from_schema, tn.nspname::text AS to_schema \
         FROM pg_constraint c \
         JOIN pg_class f ON f.oid = c.conrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace \
         JOIN pg_class t ON t.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace \
         WHERE c.contype = 'f' AND fn.nspname = ANY($1) ORDER BY 2, 1",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(list)
    .load(conn)
    .unwrap()
}

#[test]
fn generated_ddl_references_only_the_tenants_own_schema() {
    for schema in ["acme", "globex", "weird \"name\""] {
        let generator = DDLGenerator::new(Backend::PostgreSQL).in_schema(schema);
        let own = format!("REFERENCES {}.", Backend::PostgreSQL.quote(schema));
        let mut references = 0;
        for table in models() {
            let sql = generator.create_table(&table).unwrap();
            for (at, _) in sql.match_indices("REFERENCES ") {
                references += 1;
                assert!(sql[at..].starts_with(&own), "{schema}: {sql}");
            }
        }
        assert!(references >= 3, "the models hold foreign keys");
    }
}

#[test]
fn model_runner_tenants_reference_only_themselves() {
    let mut conn = pg_connect();
    let schemas = PgSchemas::reserve(2);
    for schema in &schemas.names {
        let mut runner = MigrationRunner::new().schema(schema.clone());
        runner = runner
            .model::<ms_authors::table>()
            .model::<ms_posts::table>()
            .model::<ck_authors::table>()
            .model::<ck_posts::table>();
        runner.migrate(&mut conn).unwrap();
    }
    let fks = foreign_keys(&mut conn, &schemas.names);
    assert!(fks.len() >= 6, "{fks:?}");
    for fk in &fks {
        assert_eq!(fk.from_schema, fk.to_schema, "{fk:?}");
    }
}

#[test]
fn makemigrations_writes_unqualified_sql_that_stays_in_each_tenant() {
    let mut conn = pg_connect();
    let scratch = common::unique_name("ryx_locality");
    let dir = std::env::temp_dir().join(&scratch);
    let made = make_migration(&mut conn, &dir, &models(), "init")
        .unwrap()
        .expect("a migration");
    // No schema name in the folder: each tenant's run puts it in that tenant.
    assert!(
        !made.up.contains("\"public\".") && !made.up.contains(&scratch),
        "{}",
        made.up
    );
    let schemas = PgSchemas::reserve(2);
    let migrations = ryx::migrate::load_dir(&dir).unwrap();
    for schema in &schemas.names {
        FileRunner::new()
            .migrations(migrations.clone())
            .schema(schema.clone())
            .run(&mut conn)
            .unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
    let fks = foreign_keys(&mut conn, &schemas.names);
    assert!(fks.len() >= 6, "{fks:?}");
    for fk in &fks {
        assert_eq!(fk.from_schema, fk.to_schema, "{fk:?}");
    }
}
