//! Arbitrary strings as schema names, property-tested: `SchemaName` and
//! `DDLGenerator` accept exactly the valid names, keep them byte for byte and
//! quote them by doubling quotes, and refuse the rest with the error that
//! says what is wrong with the name; `in_schema` on real PostgreSQL renders a
//! valid name as given and reaches exactly the table of that schema, and an
//! invalid one fails to build with no SQL sent: no truncation, no injection,
//! no panic.
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

use std::cell::RefCell;

use diesel::pg::Pg;
use proptest::prelude::*;
use ryx::migrate::{Backend, DDLGenerator};
use ryx::prelude::*;
use ryx::SchemaName;

use common::hostile::{
    catalog, config, creatable, expect_migrate_refusal, expect_refusal, hn_authors, hn_posts,
    hostile_name, pg_run_format, quoted, reserved, run_cases, specials, valid, Cleanup, OwnDb,
};

// ---- the properties ---------------------------------------------------------

proptest! {
    #![proptest_config(config(2048))]

    /// `SchemaName::new` / `new_for_create` accept exactly the valid names,
    /// keep them byte for byte, quote them by doubling quotes, and refuse the
    /// rest with the variant that names the problem; `DDLGenerator` agrees.
    #[test]
    fn schema_name_and_ddl_generator(name in prop_oneof![hostile_name(), prop::sample::select(specials())]) {
        match SchemaName::new(&name) {
            Ok(n) => {
                prop_assert!(valid(&name), "{:?} accepted", name);
                prop_assert_eq!(n.as_str().as_bytes(), name.as_bytes());
                prop_assert_eq!(n.quoted(), quoted(&name));
                prop_assert_eq!(n.to_string(), name.clone());
            }
            Err(e) => {
                prop_assert!(!valid(&name), "{:?} refused", name);
                expect_refusal(&name, &e, false)?;
            }
        }
        prop_assert_eq!(ryx::validate_schema_name(&name).is_ok(), valid(&name));
        match SchemaName::new_for_create(&name) {
            Ok(n) => {
                prop_assert!(creatable(&name), "{:?} accepted for create", name);
                prop_assert_eq!(n.as_str(), name.as_str());
            }
            Err(e) => {
                prop_assert!(!creatable(&name), "{:?} refused for create", name);
                expect_refusal(&name, &e, true)?;
            }
        }

        let gen = DDLGenerator::new(Backend::PostgreSQL);
        match gen.create_schema(&name) {
            Ok(sql) => {
                prop_assert!(creatable(&name));
                prop_assert_eq!(sql, Some(format!("CREATE SCHEMA IF NOT EXISTS {}", quoted(&name))));
            }
            Err(e) => {
                prop_assert!(!creatable(&name));
                expect_migrate_refusal(&name, &e, true)?;
            }
        }
        match gen.drop_schema(&name) {
            Ok(sql) => {
                prop_assert!(creatable(&name));
                prop_assert_eq!(sql, Some(format!("DROP SCHEMA IF EXISTS {} CASCADE", quoted(&name))));
            }
            Err(e) => expect_migrate_refusal(&name, &e, true)?,
        }
        let scoped = DDLGenerator::new(Backend::PostgreSQL).in_schema(&name);
        for state in [hn_authors::table.table_state(), hn_posts::table.table_state()] {
            match scoped.create_table_with_indexes(&state) {
                Ok(stmts) => {
                    prop_assert!(valid(&name));
                    let prefix = format!("CREATE TABLE IF NOT EXISTS {}.\"{}\" (", quoted(&name), state.name);
                    prop_assert!(stmts[0].starts_with(&prefix), "{}", stmts[0]);
                    for s in &stmts[1..] {
                        let on = format!(" ON {}.\"{}\"", quoted(&name), state.name);
                        prop_assert!(s.contains(&on), "{}", s);
                    }
                }
                Err(e) => {
                    prop_assert!(!valid(&name));
                    expect_migrate_refusal(&name, &e, false)?;
                }
            }
        }
    }
}

/// `table.in_schema(name)`: a valid name renders as the quoted name and a
/// real insert and select reach exactly the table of that schema; an
/// invalid one fails to build, with no SQL sent. Nothing else changes.
#[test]
fn in_schema_renders_and_round_trips() {
    let db = OwnDb::new();
    let conn = RefCell::new(db.connect());
    run_cases(128, specials(), hostile_name(), |name| {
        let conn = &mut *conn.borrow_mut();
        let query = hn_authors::table.in_schema(&name).select(hn_authors::name);
        if !valid(&name) {
            let err = ryx::to_sql::<Pg, _>(&query).unwrap_err();
            prop_assert!(
                matches!(err, diesel::result::Error::QueryBuilderError(_)),
                "{:?}",
                err
            );
            let before = catalog(conn);
            let err = query.load::<String>(conn).unwrap_err();
            let msg = err.to_string();
            prop_assert!(
                matches!(err, diesel::result::Error::QueryBuilderError(_)),
                "{:?}",
                err
            );
            prop_assert!(msg.contains("schema name"), "{}", msg);
            let err = ryx::insert_into(hn_authors::table.in_schema(&name))
                .values(hn_authors::name.eq("x"))
                .execute(conn)
                .unwrap_err();
            prop_assert!(
                matches!(err, diesel::result::Error::QueryBuilderError(_)),
                "{:?}",
                err
            );
            prop_assert_eq!(catalog(conn), before);
            return Ok(());
        }
        let rendered = diesel::debug_query::<Pg, _>(&query).to_string();
        let from = format!("FROM {}.\"hn_authors\"", quoted(&name));
        prop_assert!(rendered.contains(&from), "{}", rendered);
        if name.starts_with("pg_") {
            // PostgreSQL reserves the prefix: no such schema can be made
            // to hold the table; the statement must still name it as given
            let err = query.load::<String>(conn).unwrap_err();
            prop_assert!(
                matches!(err, diesel::result::Error::DatabaseError(..)),
                "{:?}",
                err
            );
            return Ok(());
        }
        let cleanup = Cleanup {
            conn,
            name: name.clone(),
        };
        if !reserved(&name) {
            pg_run_format(cleanup.conn, "CREATE SCHEMA %I", &name);
        }
        pg_run_format(
            cleanup.conn,
            "CREATE TABLE %I.hn_authors (id BIGSERIAL PRIMARY KEY, name VARCHAR NOT NULL)",
            &name,
        );
        let before = catalog(cleanup.conn);
        let insert =
            ryx::insert_into(hn_authors::table.in_schema(&name)).values(hn_authors::name.eq(&name));
        let sql = insert.to_sql::<Pg>().unwrap();
        let into = format!("INSERT INTO {}.\"hn_authors\"", quoted(&name));
        prop_assert!(sql.starts_with(&into), "{}", sql);
        prop_assert_eq!(insert.execute(cleanup.conn).unwrap(), 1);
        let names = hn_authors::table
            .in_schema(&name)
            .select(hn_authors::name)
            .load::<String>(cleanup.conn)
            .unwrap();
        prop_assert_eq!(names, vec![name.clone()]);
        // the row is in that schema's table, as PostgreSQL itself names it
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut sql = String::new();
        {
            #[derive(QueryableByName)]
            struct Sql {
                #[diesel(sql_type = diesel::sql_types::Text)]
                sql: String,
            }
            let s: Sql = diesel::sql_query("SELECT format('SELECT count(*) AS n FROM %I.hn_authors WHERE name = %L', $1::text, $1::text) AS sql")
                    .bind::<diesel::sql_types::Text, _>(&name)
                    .get_result(cleanup.conn)
                    .unwrap();
            sql.push_str(&s.sql);
        }
        let n: N = diesel::sql_query(sql).get_result(cleanup.conn).unwrap();
        prop_assert_eq!(n.n, 1);
        prop_assert_eq!(catalog(cleanup.conn), before);
        Ok(())
    });
}
