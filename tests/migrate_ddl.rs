//! The DDL generator on real PostgreSQL, SQLite and MySQL (MariaDB): every
//! statement it generates executes, and the README's migration example works
//! as written.
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

use common::migrations::everything;
use common::runners::fixtures;
use common::tables::*;
use ryx::migrate::{Backend, DDLGenerator, FileRunner, MigrationRunner};
use ryx::prelude::*;

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `setup`, `tables` and `KIND` from `common::migrations`.
macro_rules! migrate_ddl_suite {
    () => {
        use super::*;

        /// The README's "Migrations per schema" example: the DDL generator, the
        /// model runner (the second run is a no-op), then the file runner and a
        /// one-step rollback.
        #[test]
        fn readme_example() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let tenant1 = names[0].as_str();
            let gen = DDLGenerator::new(Backend::PostgreSQL);
            assert_eq!(
                gen.create_schema("tenant1")?.as_deref(),
                Some(r#"CREATE SCHEMA IF NOT EXISTS "tenant1""#)
            );
            assert_eq!(
                DDLGenerator::new(Backend::SQLite).create_schema("tenant1")?,
                None
            );
            assert!(DDLGenerator::new(Backend::PostgreSQL)
                .create_schema("pg_x")
                .is_err());
            let ddl = DDLGenerator::new(Backend::PostgreSQL).in_schema("tenant1");
            assert!(ddl
                .create_table(&ms_posts::table.table_state())?
                .starts_with(r#"CREATE TABLE IF NOT EXISTS "tenant1"."ms_posts" ("#));

            let report = MigrationRunner::new()
                .model::<ms_authors::table>()
                .model::<ms_posts::table>()
                .schema(tenant1)
                .migrate(&mut conn)?;
            assert!(!report.applied.is_empty());
            let again = MigrationRunner::new()
                .model::<ms_authors::table>()
                .model::<ms_posts::table>()
                .schema(tenant1)
                .migrate(&mut conn)?;
            assert!(again.applied.is_empty(), "{again}");
            assert!(again.is_noop());

            // the file-driven half in a database of its own: on SQLite and MySQL
            // the models above already created these tables (no schemas there)
            let files = fixtures("basic");
            let (_guard2, mut conn2, names2) = setup();
            let tenant2 = names2[1].as_str();
            let report = FileRunner::new()
                .migrations_dir(&files)
                .schema(tenant2)
                .run(&mut conn2)?;
            assert_eq!(report.applied.len(), 3);
            let back = FileRunner::new()
                .migrations_dir(&files)
                .schema(tenant2)
                .rollback(&mut conn2, 1)?;
            assert_eq!(back.reverted.len(), 1);
            assert_eq!(back.reverted[0].name, "2024-01-03-000000_add_posts_slug");
            Ok(())
        }

        #[test]
        fn every_generated_statement_executes() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let gen = DDLGenerator::new(KIND).in_schema(s);
            if let Some(sql) = gen.create_schema(s)? {
                diesel::sql_query(sql).execute(&mut conn)?;
            }
            for table in [
                ms_authors::table.table_state(),
                ms_posts::table.table_state(),
                everything::table.table_state(),
            ] {
                for sql in gen.create_table_with_indexes(&table)? {
                    diesel::sql_query(sql).execute(&mut conn)?;
                }
            }
            let extra =
                ryx::migrate::ColumnState::clone(&everything::table.table_state().columns[1]);
            let mut extra = extra;
            extra.name = "added".into();
            extra.nullable = true;
            diesel::sql_query(gen.add_column("everything", &extra)?).execute(&mut conn)?;
            diesel::sql_query(gen.create_index("everything", "added", "everything_added_idx")?)
                .execute(&mut conn)?;
            diesel::sql_query(gen.drop_index("everything", "everything_added_idx")?)
                .execute(&mut conn)?;
            // the foreign key is enforced (SQLite only with PRAGMA foreign_keys)
            if KIND != Backend::SQLite {
                let orphan = ryx::insert_into(ms_posts::table.in_schema(s))
                    .values(&new_post(999, "orphan", 1, true, 1))
                    .execute(&mut conn);
                assert!(orphan.is_err(), "a post without its author must be refused");
            }
            for t in ["everything", "ms_posts", "ms_authors"] {
                diesel::sql_query(gen.drop_table(t)?).execute(&mut conn)?;
            }
            assert!(!tables(&mut conn, s).contains(&"ms_posts".to_owned()));
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::migrations::postgres::{setup, tables, KIND};

    migrate_ddl_suite!();
}

mod sqlite {
    use crate::common::migrations::sqlite::{setup, tables, KIND};

    migrate_ddl_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::migrations::mysql::{setup, tables, KIND};

    migrate_ddl_suite!();
}
