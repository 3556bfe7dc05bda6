//! Failed and refused migration runs on real PostgreSQL, SQLite and MySQL
//! (MariaDB): a failing migration names itself and leaves no history row,
//! atomic runs leave nothing, and bad schema names or a missing folder are
//! refused before any SQL.
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

use common::runners::fixtures;
use common::tables::*;
use ryx::migrate::{Backend, Error, FileRunner, MigrationRunner};

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `setup`, `tables` and `KIND` from `common::migrations`.
macro_rules! migrate_failures_suite {
    () => {
        use super::*;

        #[test]
        fn a_failing_migration_leaves_no_history_and_names_itself(
        ) -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let err = FileRunner::new()
                .migrations_dir(fixtures("failing"))
                .schema(s)
                .run(&mut conn)
                .unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains("2024-01-02-000000_broken") && message.contains(s),
                "{message}"
            );
            let source = std::error::Error::source(&err)
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                source.contains("no_such_table"),
                "the database's message: {source}"
            );
            let report = err.report().expect("the partial report");
            assert_eq!(report.applied.len(), 1);
            assert_eq!(report.applied[0].name, "2024-01-01-000000_create_authors");
            let history = FileRunner::new().schema(s).applied(&mut conn)?;
            assert_eq!(
                history.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
                ["2024-01-01-000000_create_authors"]
            );
            let half_done = tables(&mut conn, s).contains(&"half_done".to_owned());
            // MySQL commits DDL implicitly; the others undo the whole migration.
            assert_eq!(half_done, KIND == Backend::MySQL);
            Ok(())
        }

        #[test]
        fn atomic_runs_leave_nothing_on_failure() -> Result<(), Box<dyn std::error::Error>> {
            if KIND == Backend::MySQL {
                return Ok(()); // MySQL cannot roll back DDL: documented, tested above
            }
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let err = FileRunner::new()
                .migrations_dir(fixtures("failing"))
                .schema(s)
                .atomic(true)
                .run(&mut conn)
                .unwrap_err();
            assert!(
                err.report().is_some_and(|r| r.applied.is_empty()),
                "{err:?}"
            );
            assert!(FileRunner::new().schema(s).applied(&mut conn)?.is_empty());
            assert!(!tables(&mut conn, s).contains(&"ms_authors".to_owned()));
            Ok(())
        }

        #[test]
        fn bad_schema_names_are_refused_before_any_sql() {
            let (_guard, mut conn, _) = setup();
            let long = "a".repeat(64);
            for bad in ["", long.as_str(), "pg_tenant", "nul\0"] {
                let err = MigrationRunner::new()
                    .model::<ms_authors::table>()
                    .schema(bad)
                    .migrate(&mut conn)
                    .unwrap_err();
                assert!(
                    matches!(err, Error::InvalidSchemaName(_)),
                    "{bad:?}: {err:?}"
                );
                let err = FileRunner::new()
                    .migrations_dir(fixtures("basic"))
                    .schema(bad)
                    .run(&mut conn)
                    .unwrap_err();
                assert!(
                    matches!(err, Error::InvalidSchemaName(_)),
                    "{bad:?}: {err:?}"
                );
            }
            assert!(
                !tables(&mut conn, "public").contains(&"ryx_migrations".to_owned())
                    || !KIND.has_schemas()
            );
        }

        #[test]
        fn a_missing_folder_is_a_clear_error() {
            let (_guard, mut conn, names) = setup();
            let err = FileRunner::new()
                .migrations_dir("no/such/folder")
                .schema(names[0].as_str())
                .run(&mut conn)
                .unwrap_err();
            assert!(matches!(err, Error::MigrationsDir { .. }), "{err:?}");
            assert!(err.to_string().contains("no/such/folder"), "{err}");
        }
    };
}

mod postgres {
    use crate::common::migrations::postgres::{setup, tables, KIND};

    migrate_failures_suite!();
}

mod sqlite {
    use crate::common::migrations::sqlite::{setup, tables, KIND};

    migrate_failures_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::migrations::mysql::{setup, tables, KIND};

    migrate_failures_suite!();
}

/// MySQL commits DDL implicitly, so an atomic run cannot undo the migrations
/// before the failing one: the error's report lists exactly what the history
/// holds, and the messages name the database's label, not a schema MySQL
/// does not have.
#[cfg(feature = "mysql")]
#[test]
fn mysql_atomic_failure_reports_what_history_holds() {
    use crate::common::migrations::mysql::setup;
    let (_guard, mut conn, _) = setup();
    let err = FileRunner::new()
        .migrations_dir(fixtures("failing"))
        .atomic(true)
        .run(&mut conn)
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("`default`") && !message.contains("public"),
        "{message}"
    );
    let report = err.report().expect("the partial report");
    let history: Vec<String> = FileRunner::new()
        .applied(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    let reported: Vec<&str> = report.applied.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(history, ["2024-01-01-000000_create_authors"]);
    assert_eq!(reported, history);
    assert_eq!(report.schema, "default");
}
