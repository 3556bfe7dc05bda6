//! The file-driven runner (`FileRunner`) on real PostgreSQL, SQLite and MySQL
//! (MariaDB): diesel-style migration folders run and roll back per schema,
//! checksums catch edited migrations, dry runs return the SQL, embedded
//! migrations match the folder, and drift from the models is reported.
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

use std::path::{Path, PathBuf};

use common::migrations::everything;
use common::runners::fixtures;
use common::tables::*;
use ryx::migrate::{Error, FileRunner, MigrationBackend, MigrationRunner};
use ryx::prelude::*;

/// A copy of a fixture folder the test may edit, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn copy_of(fixture: &str) -> Self {
        let dir = std::env::temp_dir().join(common::unique_name("ryx_migrations"));
        copy_dir(&fixtures(fixture), &dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `setup`, `tables` and `KIND` from `common::migrations`.
macro_rules! migrate_files_suite {
    () => {
        use super::*;

        #[test]
        fn files_run_and_roll_back_only_their_schema() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let (a, b) = (names[0].as_str(), names[1].as_str());
            let runner = |s: &str| FileRunner::new().migrations_dir(fixtures("basic")).schema(s);
            assert_eq!(runner(a).pending(&mut conn)?.len(), 3);
            runner(a).run(&mut conn)?;
            let second = runner(b).run(&mut conn)?;
            if KIND.has_schemas() {
                assert_eq!(second.applied.len(), 3);
            }
            assert!(runner(a).pending(&mut conn)?.is_empty());
            let applied = runner(a).applied(&mut conn)?;
            assert_eq!(applied.len(), 3);
            assert!(applied.iter().all(|r| r.checksum.len() == 64));
            // unqualified SQL landed in the schema
            let authors: Vec<Author> = ms_authors::table.in_schema(a).load(&mut conn)?;
            assert_eq!(authors, [Author { id: 1, name: "seed".into() }]);

            let report = runner(a).rollback(&mut conn, 2)?;
            let reverted: Vec<&str> = report.reverted.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(reverted, ["2024-01-03-000000_add_posts_slug", "2024-01-02-000000_create_posts"]);
            assert_eq!(runner(a).pending(&mut conn)?.len(), 2);
            assert!(!tables(&mut conn, a).contains(&"ms_posts".to_owned()));
            if KIND.has_schemas() {
                // the other schema is untouched
                assert!(tables(&mut conn, b).contains(&"ms_posts".to_owned()));
                assert!(runner(b).pending(&mut conn)?.is_empty());
            }
            let too_far = runner(a).rollback(&mut conn, 5).unwrap_err();
            assert!(matches!(too_far, Error::RollbackTooFar { requested: 5, applied: 1, .. }), "{too_far}");
            // and forward again
            assert_eq!(runner(a).run(&mut conn)?.applied.len(), 2);
            Ok(())
        }

        #[test]
        fn a_rollback_that_cannot_finish_does_not_start() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let dir = TempDir::copy_of("basic");
            std::fs::remove_file(dir.0.join("2024-01-02-000000_create_posts/down.sql"))?;
            FileRunner::new().migrations_dir(&dir.0).schema(s).run(&mut conn)?;
            let err = FileRunner::new().migrations_dir(&dir.0).schema(s).rollback(&mut conn, 2).unwrap_err();
            assert!(matches!(err, Error::CannotRollBack { .. }) && err.to_string().contains("down.sql"), "{err}");
            // the first of the two was not reverted either
            assert!(FileRunner::new().migrations_dir(&dir.0).schema(s).pending(&mut conn)?.is_empty());
            // an edited down.sql is not a change (the checksum covers up.sql only)
            std::fs::write(dir.0.join("2024-01-03-000000_add_posts_slug/down.sql"), "-- edited after it was applied\nALTER TABLE ms_posts DROP COLUMN slug;\n")?;
            assert_eq!(FileRunner::new().migrations_dir(&dir.0).schema(s).rollback(&mut conn, 1)?.reverted.len(), 1);
            Ok(())
        }

        #[test]
        fn an_edited_migration_is_an_error_naming_the_file() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let dir = TempDir::copy_of("basic");
            FileRunner::new().migrations_dir(&dir.0).schema(s).run(&mut conn)?;
            let edited = dir.0.join("2024-01-01-000000_create_authors/up.sql");
            std::fs::write(&edited, "CREATE TABLE ms_authors (id BIGINT PRIMARY KEY);")?;
            let err = FileRunner::new().migrations_dir(&dir.0).schema(s).run(&mut conn).unwrap_err();
            assert!(matches!(err, Error::ChangedAfterApply { .. }), "{err:?}");
            let message = err.to_string();
            assert!(message.contains("2024-01-01-000000_create_authors") && message.contains("allow_changed"), "{message}");
            let ok = FileRunner::new().migrations_dir(&dir.0).schema(s).allow_changed(true).run(&mut conn)?;
            assert!(ok.is_noop());
            Ok(())
        }

        #[test]
        fn dry_run_returns_the_sql_and_touches_nothing() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let report = FileRunner::new().migrations_dir(fixtures("basic")).schema(s).dry_run(true).run(&mut conn)?;
            assert_eq!(report.planned.len(), 3);
            assert!(report.applied.is_empty());
            let first = &report.planned[0].sql;
            if KIND.has_schemas() {
                assert_eq!(first[0], format!("SET LOCAL search_path TO \"{s}\", \"public\""));
            }
            assert!(first.last().unwrap().contains("CREATE TABLE ms_authors"));
            let models = MigrationRunner::new()
                .model::<ms_authors::table>()
                .model::<ms_posts::table>()
                .schema(s)
                .dry_run(true)
                .migrate(&mut conn)?;
            assert!(models.planned.iter().any(|p| p.sql.iter().any(|q| q.contains("CREATE TABLE IF NOT EXISTS"))));
            assert!(!tables(&mut conn, s).contains(&"ryx_migrations".to_owned()));
            assert!(!tables(&mut conn, s).contains(&"ms_authors".to_owned()));
            Ok(())
        }

        #[test]
        fn dry_run_scripts_hold_the_transaction_and_lock() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let report = FileRunner::new().migrations_dir(fixtures("basic")).schema(s).dry_run(true).run(&mut conn)?;
            assert_eq!(report.planned.len(), 3);
            for p in &report.planned {
                let script: Vec<&str> = p.script().collect();
                let parts: Vec<&str> = p.before.iter().chain(&p.sql).chain(&p.after).map(String::as_str).collect();
                assert_eq!(script, parts);
                if KIND == ryx::migrate::Backend::PostgreSQL {
                    assert_eq!(p.before[0], "BEGIN");
                    assert!(p.before[1].starts_with("SELECT pg_advisory_xact_lock(") && p.before[1].ends_with(')'), "{:?}", p.before);
                    assert_eq!(p.after, ["COMMIT"]);
                } else if KIND == ryx::migrate::Backend::SQLite {
                    assert_eq!(p.before, ["BEGIN IMMEDIATE"]);
                    assert_eq!(p.after, ["COMMIT"]);
                } else {
                    assert!(p.before[0].contains("GET_LOCK(CONCAT('ryx-migrate:', DATABASE()), 600)"), "{:?}", p.before);
                    assert_eq!(p.before[1], "BEGIN");
                    assert_eq!(p.after[0], "COMMIT");
                    assert!(p.after[1].contains("RELEASE_LOCK(CONCAT('ryx-migrate:', DATABASE()))"), "{:?}", p.after);
                }
            }
            // an atomic run sends one transaction around every migration
            let atomic = FileRunner::new().migrations_dir(fixtures("basic")).schema(s).atomic(true).dry_run(true).run(&mut conn)?;
            assert_eq!(atomic.planned.len(), 3);
            assert_eq!(atomic.planned[0].before, report.planned[0].before);
            assert!(atomic.planned[0].after.is_empty() && atomic.planned[2].before.is_empty());
            assert!(atomic.planned[1].before.is_empty() && atomic.planned[1].after.is_empty());
            assert_eq!(atomic.planned[2].after, report.planned[2].after);
            assert_eq!(atomic.planned[1].sql, report.planned[1].sql);
            // and so does the model runner
            let models = MigrationRunner::new()
                .model::<ms_authors::table>()
                .model::<ms_posts::table>()
                .schema(s)
                .dry_run(true)
                .migrate(&mut conn)?;
            let (first, last) = (models.planned.first().unwrap(), models.planned.last().unwrap());
            assert!(models.planned.len() > 1, "{models:?}");
            assert_eq!(first.before, report.planned[0].before);
            assert_eq!(last.after, report.planned[0].after);
            assert!(first.after.is_empty() && last.before.is_empty());
            assert!(!tables(&mut conn, s).contains(&"ryx_migrations".to_owned()));
            Ok(())
        }

        #[test]
        fn embedded_migrations_run_like_the_folder() -> Result<(), Box<dyn std::error::Error>> {
            use diesel_migrations::{embed_migrations, EmbeddedMigrations};
            const MIGRATIONS: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/basic");
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            // applied from the embedded copy, then the folder sees the same checksums
            let embedded = FileRunner::new().embedded(&MIGRATIONS)?.schema(s);
            let loaded = embedded.load()?;
            let from_dir = ryx::migrate::load_dir(fixtures("basic"))?;
            assert_eq!(loaded.iter().map(|m| m.checksum()).collect::<Vec<_>>(), from_dir.iter().map(|m| m.checksum()).collect::<Vec<_>>());
            assert_eq!(embedded.run(&mut conn)?.applied.len(), 3);
            let folder = FileRunner::new().migrations_dir(fixtures("basic")).schema(s).run(&mut conn)?;
            assert!(folder.is_noop(), "{folder}");
            Ok(())
        }

        #[test]
        fn file_runner_reports_drift_from_models() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let report = FileRunner::new()
                .migrations_dir(fixtures("basic"))
                .schema(s)
                .model::<ms_authors::table>()
                .model::<ms_posts::table>()
                .model::<everything::table>()
                .run(&mut conn)?;
            assert!(report.drift.iter().any(|d| matches!(d, ryx::migrate::Drift::MissingTable { table } if table == "everything")), "{report}");
            assert!(report.drift.iter().any(|d| matches!(d, ryx::migrate::Drift::ExtraColumn { column, .. } if column == "slug")), "{report}");
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::migrations::postgres::{setup, tables, KIND};

    migrate_files_suite!();

    #[test]
    fn non_transactional_migrations_run_outside_a_transaction(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(1);
        let s = &schemas.names[0];
        let dir = TempDir::copy_of("basic");
        let m = dir.0.join("2024-01-04-000000_concurrent_index");
        std::fs::create_dir_all(&m)?;
        // CREATE INDEX CONCURRENTLY cannot run in a transaction, so SET LOCAL
        // cannot scope it: ryx sets the session's search_path and restores it.
        std::fs::write(
            m.join("up.sql"),
            "CREATE INDEX CONCURRENTLY ms_posts_views ON ms_posts (views);",
        )?;
        std::fs::write(
            m.join("down.sql"),
            "DROP INDEX CONCURRENTLY ms_posts_views;",
        )?;
        std::fs::write(m.join("metadata.toml"), "run_in_transaction = false\n")?;
        #[derive(diesel::QueryableByName)]
        struct SearchPath {
            #[diesel(sql_type = diesel::sql_types::Text)]
            search_path: String,
        }
        let dry = FileRunner::new()
            .migrations_dir(&dir.0)
            .schema(s.as_str())
            .dry_run(true)
            .run(&mut conn)?;
        let concurrent = &dry.planned[3].sql;
        assert_eq!(
            concurrent[0],
            format!("SET search_path TO \"{s}\", \"public\""),
            "{concurrent:?}"
        );
        // a session lock around it, no transaction
        let (before, after) = (&dry.planned[3].before, &dry.planned[3].after);
        assert_eq!(
            before[0],
            "-- run_in_transaction = false: runs outside a transaction"
        );
        assert!(
            before[1].starts_with("SELECT pg_advisory_lock("),
            "{before:?}"
        );
        assert_eq!(
            after.as_slice(),
            [before[1].replace("pg_advisory_lock", "pg_advisory_unlock")]
        );
        let before: SearchPath = diesel::sql_query("SHOW search_path").get_result(&mut conn)?;
        let report = FileRunner::new()
            .migrations_dir(&dir.0)
            .schema(s.as_str())
            .run(&mut conn)?;
        assert_eq!(report.applied.len(), 4);
        let after: SearchPath = diesel::sql_query("SHOW search_path").get_result(&mut conn)?;
        assert_eq!(
            before.search_path, after.search_path,
            "the session's search_path is restored"
        );
        let indexes = <diesel::pg::Pg as MigrationBackend>::live_indexes(&mut conn, s, "ms_posts")?;
        assert!(
            indexes.contains(&"ms_posts_views".to_owned()),
            "{indexes:?}"
        );
        FileRunner::new()
            .migrations_dir(&dir.0)
            .schema(s.as_str())
            .rollback(&mut conn, 1)?;
        let indexes = <diesel::pg::Pg as MigrationBackend>::live_indexes(&mut conn, s, "ms_posts")?;
        assert!(!indexes.contains(&"ms_posts_views".to_owned()));
        // atomic runs refuse it
        let err = FileRunner::new()
            .migrations_dir(&dir.0)
            .schema(s.as_str())
            .atomic(true)
            .run(&mut conn)
            .unwrap_err();
        assert!(err.to_string().contains("run_in_transaction"), "{err}");
        Ok(())
    }
}

mod sqlite {
    use crate::common::migrations::sqlite::{setup, tables, KIND};

    migrate_files_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::migrations::mysql::{setup, tables, KIND};

    migrate_files_suite!();
}
