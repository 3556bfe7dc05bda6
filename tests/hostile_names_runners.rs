//! Arbitrary strings as schema names, property-tested on real PostgreSQL:
//! `FileRunner`, `MigrationRunner`, `create_tenant` and `drop_tenant` either
//! refuse a name with the error that says what is wrong with it, or use it
//! exactly as given (a schema of that byte-equal name holding the expected
//! tables), and never create or drop any other schema or table: no
//! truncation, no injection, no panic.
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
use std::error::Error as _;
use std::path::PathBuf;

use proptest::prelude::*;
use ryx::migrate::fleet::drop_tenant;
use ryx::migrate::{create_tenant, Error, FileRunner, MigrationRunner};
use ryx::prelude::*;

use common::hostile::{
    catalog, creatable, expect_migrate_refusal, hn_authors, hn_posts, hostile_name, pg_run_format,
    reserved, run_cases, specials, tables_of, without, Cleanup, OwnDb,
};

fn items_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(common::unique_name("ryx_hn_migrations"));
    let m = dir.join("2024-01-01-000000_create_items");
    std::fs::create_dir_all(&m).unwrap();
    // unqualified on purpose: it must land in the schema being migrated
    std::fs::write(
        m.join("up.sql"),
        "CREATE TABLE hn_items (id BIGINT PRIMARY KEY, label TEXT NOT NULL);\n\
         INSERT INTO hn_items VALUES (1, current_schema());\n",
    )
    .unwrap();
    std::fs::write(m.join("down.sql"), "DROP TABLE hn_items;\n").unwrap();
    dir
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- the properties ---------------------------------------------------------

/// `FileRunner` (a one-migration folder with unqualified SQL) and then
/// `MigrationRunner` (two models): a name valid for `CREATE SCHEMA` ends up
/// as a schema of exactly that name holding the folder's table, the
/// models' tables and the history, and nothing else changes; any other
/// name is refused with `InvalidSchemaName` and changes nothing.
#[test]
fn runners_use_the_name_as_given_or_refuse_it() {
    let db = OwnDb::new();
    let dir = TempDir(items_dir());
    let conn = RefCell::new(db.connect());
    run_cases(128, specials(), hostile_name(), |name| {
        let conn = &mut *conn.borrow_mut();
        let before = catalog(conn);
        let cleanup = Cleanup {
            conn,
            name: name.clone(),
        };
        let files = FileRunner::new()
            .migrations_dir(&dir.0)
            .schema(name.as_str());
        let models = MigrationRunner::new()
            .model::<hn_authors::table>()
            .model::<hn_posts::table>()
            .schema(name.as_str());
        let ran = files.run(cleanup.conn);
        if name == "information_schema" {
            // PostgreSQL's own, with tables and no history: never made a tenant
            for err in [ran.unwrap_err(), models.migrate(cleanup.conn).unwrap_err()] {
                let refused = matches!(&err, Error::NotATenant { schema } | Error::ReservedSchema { schema } if schema == &name);
                prop_assert!(refused, "{:?}", err);
                prop_assert!(err.to_string().contains("`information_schema`"), "{}", err);
            }
            prop_assert_eq!(catalog(cleanup.conn), before);
            return Ok(());
        }
        if !creatable(&name) {
            expect_migrate_refusal(&name, &ran.unwrap_err(), true)?;
            expect_migrate_refusal(&name, &models.migrate(cleanup.conn).unwrap_err(), true)?;
            prop_assert_eq!(catalog(cleanup.conn), before);
            return Ok(());
        }
        let report =
            ran.map_err(|e| TestCaseError::fail(format!("{name:?}: {e}: {:?}", e.source())))?;
        prop_assert_eq!(report.applied.len(), 1);
        let report = models
            .migrate(cleanup.conn)
            .map_err(|e| TestCaseError::fail(format!("{name:?}: {e}: {:?}", e.source())))?;
        prop_assert!(!report.applied.is_empty());
        let after = catalog(cleanup.conn);
        prop_assert_eq!(without(&after, &name), without(&before, &name));
        let tables = tables_of(&after, &name);
        prop_assert!(
            tables.is_some(),
            "no schema named {:?} in {:?}",
            name,
            after
        );
        let tables = tables.unwrap();
        let had = tables_of(&before, &name).unwrap_or_default();
        for t in ["hn_items", "hn_authors", "hn_posts", "ryx_migrations"] {
            prop_assert!(
                tables.contains(t),
                "{} missing in {:?}: {:?}",
                t,
                name,
                tables
            );
        }
        // only those tables, their sequences and their indexes were added
        for rel in tables.difference(&had) {
            prop_assert!(
                ["hn_items", "hn_authors", "hn_posts", "ryx_migrations"]
                    .iter()
                    .any(|t| rel.starts_with(t)),
                "unexpected {:?} in {:?}",
                rel,
                name
            );
        }
        // the folder's unqualified SQL ran inside that schema
        #[derive(QueryableByName)]
        struct Sql {
            #[diesel(sql_type = diesel::sql_types::Text)]
            sql: String,
        }
        #[derive(QueryableByName)]
        struct Label {
            #[diesel(sql_type = diesel::sql_types::Text)]
            label: String,
        }
        let s: Sql =
            diesel::sql_query("SELECT format('SELECT label FROM %I.hn_items', $1::text) AS sql")
                .bind::<diesel::sql_types::Text, _>(&name)
                .get_result(cleanup.conn)
                .unwrap();
        let label: Label = diesel::sql_query(s.sql).get_result(cleanup.conn).unwrap();
        prop_assert_eq!(label.label, name.clone());
        // and a second run of each is a no-op
        prop_assert!(files.run(cleanup.conn).unwrap().applied.is_empty());
        prop_assert!(models.migrate(cleanup.conn).unwrap().is_noop());
        Ok(())
    });
}

/// `create_tenant` then `drop_tenant`: a name valid for a tenant becomes
/// a schema of exactly that name with its history table, and is dropped
/// again, leaving the catalog as it was; `public` and
/// `information_schema` are `ReservedSchema`, other invalid names
/// `InvalidSchemaName`. A schema made by hand is neither adopted nor
/// dropped.
#[test]
fn create_and_drop_tenant() {
    let db = OwnDb::new();
    let conn = RefCell::new(db.connect());
    run_cases(
        128,
        specials()
            .into_iter()
            .flat_map(|n| [(n.clone(), false), (n, true)])
            .collect(),
        (hostile_name(), any::<bool>()),
        |(name, by_hand)| {
            let conn = &mut *conn.borrow_mut();
            let before = catalog(conn);
            let cleanup = Cleanup {
                conn,
                name: name.clone(),
            };
            if reserved(&name) {
                let err = create_tenant(cleanup.conn, &name).unwrap_err();
                let is_reserved =
                    matches!(&err, Error::ReservedSchema { schema } if schema == &name);
                prop_assert!(is_reserved, "{:?}", err);
                prop_assert!(
                    err.to_string().contains(&format!("`{name}`"))
                        && err.to_string().contains("reserved"),
                    "{}",
                    err
                );
                match drop_tenant(cleanup.conn, &name) {
                    Ok(dropped) => prop_assert!(!dropped && name == "public"),
                    Err(err) => {
                        let is_reserved =
                            matches!(&err, Error::ReservedSchema { schema } if schema == &name);
                        prop_assert!(is_reserved, "{:?}", err);
                    }
                }
                prop_assert_eq!(catalog(cleanup.conn), before);
                return Ok(());
            }
            if !creatable(&name) {
                expect_migrate_refusal(
                    &name,
                    &create_tenant(cleanup.conn, &name).unwrap_err(),
                    true,
                )?;
                expect_migrate_refusal(
                    &name,
                    &drop_tenant(cleanup.conn, &name).unwrap_err(),
                    true,
                )?;
                prop_assert_eq!(catalog(cleanup.conn), before);
                return Ok(());
            }
            // not a tenant yet: nothing to drop
            prop_assert!(!drop_tenant(cleanup.conn, &name).unwrap());
            if by_hand {
                pg_run_format(
                    cleanup.conn,
                    "CREATE SCHEMA %I; CREATE TABLE %I.kept (id int)",
                    &name,
                );
                let hand = catalog(cleanup.conn);
                let err = create_tenant(cleanup.conn, &name).unwrap_err();
                let not_tenant = matches!(&err, Error::NotATenant { schema } if schema == &name);
                prop_assert!(not_tenant, "{:?}", err);
                prop_assert!(!drop_tenant(cleanup.conn, &name).unwrap());
                prop_assert_eq!(catalog(cleanup.conn), hand);
                return Ok(());
            }
            create_tenant(cleanup.conn, &name)
                .map_err(|e| TestCaseError::fail(format!("{name:?}: {e}: {:?}", e.source())))?;
            let after = catalog(cleanup.conn);
            prop_assert_eq!(without(&after, &name), before.clone());
            let tables = tables_of(&after, &name);
            prop_assert!(tables.is_some(), "no schema named {:?}", name);
            let tables = tables.unwrap();
            prop_assert!(tables.contains("ryx_migrations"), "{:?}", tables);
            prop_assert!(
                tables.iter().all(|t| t.starts_with("ryx_migrations")),
                "{:?}",
                tables
            );
            // again: an existing tenant is left as it is
            create_tenant(cleanup.conn, &name).unwrap();
            prop_assert_eq!(catalog(cleanup.conn), after);
            prop_assert!(drop_tenant(cleanup.conn, &name).unwrap());
            prop_assert_eq!(catalog(cleanup.conn), before.clone());
            prop_assert!(!drop_tenant(cleanup.conn, &name).unwrap());
            prop_assert_eq!(catalog(cleanup.conn), before);
            Ok(())
        },
    );
}
