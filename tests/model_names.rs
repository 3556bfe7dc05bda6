//! The SQL names `ryx_table!` puts in its metadata, checked against real
//! databases: raw identifiers lose their `r#`, foreign keys name the referenced
//! table's SQL name and primary key, and index names never collide.
// Tests may unwrap and panic freely, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use diesel::prelude::*;
use diesel::sql_types::Text;
use ryx::migrate::{MigrationBackend, MigrationRunner};
use ryx::prelude::*;

ryx::ryx_table! {
    /// A column whose Rust name is a keyword.
    mn_keywords (id) {
        id -> Int8,
        r#type -> Text,
    }
}

ryx::ryx_table! {
    /// Referenced by its Rust name `people`; its SQL names differ.
    #[sql_name = "mn_people"]
    people (person_id) {
        #[sql_name = "pid"]
        person_id -> Int8,
        name -> Text,
    }
}

ryx::ryx_table! {
    mn_notes (id) {
        id -> Int8,
        #[ryx(references = people)]
        author -> Int8,
        #[ryx(references = people(person_id))]
        editor -> Nullable<Int8>,
    }
}

ryx::ryx_table! {
    /// `mn_a_b` + `c` and `mn_a` + `b_c` once both made `mn_a_b_c_idx`.
    mn_a_b (id) {
        id -> Int8,
        #[ryx(index)]
        c -> Int4,
    }
}

ryx::ryx_table! {
    mn_a (id) {
        id -> Int8,
        #[ryx(index)]
        b_c -> Int4,
    }
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Fk {
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Text)]
    ref_column: String,
}

#[test]
fn raw_identifier_columns_lose_their_r_hash_in_sql() {
    let state = mn_keywords::table.table_state();
    assert!(state.column("type").is_some(), "{state:?}");
    assert!(state.column("r#type").is_none(), "{state:?}");
}

#[test]
fn postgres_raw_identifier_column_migrates_and_round_trips(
) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    let s = schemas.names[0].as_str();
    MigrationRunner::new()
        .model::<mn_keywords::table>()
        .schema(s)
        .migrate(&mut conn)?;
    ryx::insert_into(mn_keywords::table.in_schema(s))
        .values(mn_keywords::r#type.eq("fn"))
        .execute(&mut conn)?;
    let got: String = mn_keywords::table
        .in_schema(s)
        .select(mn_keywords::r#type)
        .first(&mut conn)?;
    assert_eq!(got, "fn");
    let report = MigrationRunner::new()
        .model::<mn_keywords::table>()
        .schema(s)
        .migrate(&mut conn)?;
    assert!(report.is_noop() && report.drift.is_empty(), "{report}");
    Ok(())
}

#[test]
fn sqlite_raw_identifier_column_migrates_and_round_trips() -> Result<(), Box<dyn std::error::Error>>
{
    let db = common::SqliteDb::empty();
    let mut conn = db.connect();
    MigrationRunner::new()
        .model::<mn_keywords::table>()
        .schema("tenant1")
        .migrate(&mut conn)?;
    ryx::insert_into(mn_keywords::table.in_schema("tenant1"))
        .values(mn_keywords::r#type.eq("fn"))
        .execute(&mut conn)?;
    let got: String = mn_keywords::table
        .in_schema("tenant1")
        .select(mn_keywords::r#type)
        .first(&mut conn)?;
    assert_eq!(got, "fn");
    Ok(())
}

#[test]
fn references_use_the_referenced_tables_sql_name_and_primary_key() {
    let notes = mn_notes::table.table_state();
    for column in ["author", "editor"] {
        let fk = notes.column(column).unwrap().references.clone().unwrap();
        assert_eq!(
            (fk.table.as_str(), fk.column.as_str()),
            ("mn_people", "pid")
        );
    }
}

#[test]
fn postgres_foreign_key_points_at_the_referenced_sql_table_and_key(
) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    let s = schemas.names[0].as_str();
    MigrationRunner::new()
        .model::<mn_notes::table>()
        .model::<people::table>()
        .schema(s)
        .migrate(&mut conn)?;
    let fks: Vec<Fk> = diesel::sql_query(
        "SELECT a.attname::text AS column_name, rt.relname::text AS ref_table, \
         ra.attname::text AS ref_column \
         FROM pg_catalog.pg_constraint k \
         JOIN pg_catalog.pg_class t ON t.oid = k.conrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_catalog.pg_class rt ON rt.oid = k.confrelid \
         JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
         JOIN pg_catalog.pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1] \
         WHERE k.contype = 'f' AND n.nspname = $1 AND rn.nspname = $1 AND t.relname = 'mn_notes' \
         ORDER BY 1",
    )
    .bind::<Text, _>(s)
    .load(&mut conn)?;
    let fk = |column: &str| Fk {
        column_name: column.to_owned(),
        ref_table: "mn_people".to_owned(),
        ref_column: "pid".to_owned(),
    };
    assert_eq!(fks, [fk("author"), fk("editor")]);
    Ok(())
}

#[test]
fn postgres_tables_whose_index_names_once_collided_both_get_their_index(
) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    let s = schemas.names[0].as_str();
    let runner = || {
        MigrationRunner::new()
            .model::<mn_a_b::table>()
            .model::<mn_a::table>()
            .schema(s)
    };
    runner().migrate(&mut conn)?;
    for table in ["mn_a_b", "mn_a"] {
        let indexes = <diesel::pg::Pg as MigrationBackend>::live_indexes(&mut conn, s, table)?;
        let expected = match table {
            "mn_a_b" => ryx::migrate::index_name("mn_a_b", "c"),
            _ => ryx::migrate::index_name("mn_a", "b_c"),
        };
        assert!(indexes.contains(&expected), "{table}: {indexes:?}");
    }
    let again = runner().migrate(&mut conn)?;
    assert!(again.is_noop(), "{again}");
    Ok(())
}

/// A tenant migrated before index names carried a hash has its index under
/// the old name (`<table>_<column>_idx`): the model runner finds it on that
/// table and creates no second copy.
#[test]
fn postgres_indexes_under_their_old_names_are_not_created_again(
) -> Result<(), Box<dyn std::error::Error>> {
    use diesel::connection::SimpleConnection;
    let mut conn = common::pg_connect();
    let schemas = common::PgSchemas::reserve(1);
    let s = schemas.names[0].as_str();
    let q = ryx::quote_identifier(s, '"');
    // what ryx 0.1 created for mn_a (column b_c, indexed)
    conn.batch_execute(&format!(
        "CREATE SCHEMA {q}; CREATE TABLE {q}.mn_a (id BIGSERIAL PRIMARY KEY, b_c BIGINT NOT NULL); \
         CREATE INDEX mn_a_b_c_idx ON {q}.mn_a (b_c)"
    ))?;
    // ryx 0.1 made it a tenant (a ryx_migrations table) too
    ryx::migrate::fleet::adopt_tenant(&mut conn, s)?;
    MigrationRunner::new()
        .model::<mn_a::table>()
        .schema(s)
        .migrate(&mut conn)?;
    let indexes = <diesel::pg::Pg as MigrationBackend>::live_indexes(&mut conn, s, "mn_a")?;
    assert!(
        !indexes.contains(&ryx::migrate::index_name("mn_a", "b_c")),
        "a second copy was created: {indexes:?}"
    );
    assert!(indexes.contains(&"mn_a_b_c_idx".to_owned()), "{indexes:?}");
    Ok(())
}
