//! ryx-migrate on real PostgreSQL, MariaDB and SQLite: DDL, the model- and
//! file-driven runners, per-schema history, rollback, failures, concurrency.

mod common;

use std::path::{Path, PathBuf};

use common::tables::*;
use ryx::migrate::{Backend, DDLGenerator, Error, FileRunner, MigrationBackend, MigrationRunner};
use ryx::prelude::*;

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations")
        .join(name)
}

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

/// The suite, the same code for every backend. Each module provides
/// `Conn`, `KIND`, `setup() -> (guard, conn, [schema names; 6])` and `connect(&guard)`.
macro_rules! migrate_suite {
    () => {
        use super::*;

        fn tables(conn: &mut Conn, schema: &str) -> Vec<String> {
            <<Conn as diesel::Connection>::Backend as MigrationBackend>::live_tables(conn, schema).unwrap()
        }

        /// The issue's example, as written.
        #[test]
        fn issue_example() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let tenant1 = names[0].as_str();
            let gen = DDLGenerator::new(Backend::PostgreSQL);
            assert_eq!(gen.create_schema("tenant1")?.as_deref(), Some(r#"CREATE SCHEMA IF NOT EXISTS "tenant1""#));
            assert_eq!(DDLGenerator::new(Backend::SQLite).create_schema("tenant1")?, None);
            assert!(DDLGenerator::new(Backend::PostgreSQL).create_schema("pg_x").is_err());
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
            let report = FileRunner::new().migrations_dir(&files).schema(tenant2).run(&mut conn2)?;
            assert_eq!(report.applied.len(), 3);
            let back = FileRunner::new().migrations_dir(&files).schema(tenant2).rollback(&mut conn2, 1)?;
            assert_eq!(back.reverted.len(), 1);
            assert_eq!(back.reverted[0].name, "2024-01-03-000000_add_posts_slug");
            Ok(())
        }

        #[test]
        fn six_tenants_then_scoped_queries() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            for tenant in &names {
                let report = MigrationRunner::new()
                    .model::<ms_authors::table>()
                    .model::<ms_posts::table>()
                    .schema(tenant.as_str())
                    .migrate(&mut conn)?;
                if KIND.has_schemas() || tenant == &names[0] {
                    assert!(report.applied.iter().any(|a| a.name == "model:ms_posts:create"), "{report}");
                } else {
                    assert!(report.is_noop(), "{report}");
                }
                assert!(report.drift.is_empty(), "{report}");
            }
            let t2 = names[1].as_str();
            let ada: i64 = {
                ryx::insert_into(ms_authors::table.in_schema(t2))
                    .values(ms_authors::name.eq("ada"))
                    .execute(&mut conn)?;
                ms_authors::table.in_schema(t2).select(ms_authors::id).first(&mut conn)?
            };
            ryx::insert_into(ms_posts::table.in_schema(t2))
                .values(&vec![new_post(ada, "a", 100, true, 1), new_post(ada, "b", 1, false, 2)])
                .execute(&mut conn)?;
            // the default from #[ryx(default = "0")]
            ryx::insert_into(ms_posts::table.in_schema(t2))
                .values((
                    ms_posts::author_id.eq(ada),
                    ms_posts::title.eq("defaulted"),
                    ms_posts::active.eq(true),
                    ms_posts::created_at.eq(at(3)),
                ))
                .execute(&mut conn)?;
            let active: Vec<Post> = ms_posts::table
                .in_schema(t2)
                .filter(ms_posts::active.eq(true))
                .order(ms_posts::id)
                .load(&mut conn)?;
            assert_eq!(active.iter().map(|p| (p.title.as_str(), p.views)).collect::<Vec<_>>(), [("a", 100), ("defaulted", 0)]);
            let in_t1: i64 = ms_posts::table.in_schema(names[0].as_str()).count().get_result(&mut conn)?;
            assert_eq!(in_t1, if KIND.has_schemas() { 0 } else { 3 });
            for tenant in &names {
                let t = tables(&mut conn, tenant);
                assert!(t.contains(&"ms_posts".to_owned()) && t.contains(&"ryx_migrations".to_owned()), "{tenant}: {t:?}");
            }
            Ok(())
        }

        #[test]
        fn missing_columns_are_added_and_drift_is_reported() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let gen = DDLGenerator::new(KIND).in_schema(s);
            if let Some(sql) = gen.create_schema(s)? {
                diesel::sql_query(sql).execute(&mut conn)?;
            }
            // an older ms_authors: no `name`, plus a column the model does not have
            diesel::sql_query(format!(
                "CREATE TABLE {} (id BIGINT PRIMARY KEY, legacy INTEGER)",
                KIND.qualify(Some(s), "ms_authors")
            ))
            .execute(&mut conn)?;
            let mut table = ms_authors::table.table_state();
            // adding a NOT NULL column to a table needs a default
            table.columns[1].default = Some("'unknown'".into());
            let report = MigrationRunner::new().table(table).schema(s).migrate(&mut conn)?;
            assert!(report.applied.iter().any(|a| a.name == "model:ms_authors:add:name"), "{report}");
            assert!(
                report.drift.iter().any(|d| matches!(d, ryx::migrate::Drift::ExtraColumn { column, .. } if column == "legacy")),
                "{report}"
            );
            // it never drops: the extra column is still there
            let cols = <<Conn as diesel::Connection>::Backend as MigrationBackend>::live_columns(&mut conn, s, "ms_authors")?;
            assert!(cols.iter().any(|c| c.name == "legacy"));
            assert!(cols.iter().any(|c| c.name == "name"));
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
            for table in [ms_authors::table.table_state(), ms_posts::table.table_state(), everything::table.table_state()] {
                for sql in gen.create_table_with_indexes(&table)? {
                    diesel::sql_query(sql).execute(&mut conn)?;
                }
            }
            let extra = ryx::migrate::ColumnState::clone(&everything::table.table_state().columns[1]);
            let mut extra = extra;
            extra.name = "added".into();
            extra.nullable = true;
            diesel::sql_query(gen.add_column("everything", &extra)?).execute(&mut conn)?;
            diesel::sql_query(gen.create_index("everything", "added", "everything_added_idx")?).execute(&mut conn)?;
            diesel::sql_query(gen.drop_index("everything", "everything_added_idx")?).execute(&mut conn)?;
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
        fn a_failing_migration_leaves_no_history_and_names_itself() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let err = FileRunner::new()
                .migrations_dir(fixtures("failing"))
                .schema(s)
                .run(&mut conn)
                .unwrap_err();
            let message = err.to_string();
            assert!(message.contains("2024-01-02-000000_broken") && message.contains(s), "{message}");
            let source = std::error::Error::source(&err).map(|e| e.to_string()).unwrap_or_default();
            assert!(source.contains("no_such_table"), "the database's message: {source}");
            let report = err.report().expect("the partial report");
            assert_eq!(report.applied.len(), 1);
            assert_eq!(report.applied[0].name, "2024-01-01-000000_create_authors");
            let history = FileRunner::new().schema(s).applied(&mut conn)?;
            assert_eq!(history.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["2024-01-01-000000_create_authors"]);
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
            assert!(err.report().is_some_and(|r| r.applied.is_empty()), "{err:?}");
            assert!(FileRunner::new().schema(s).applied(&mut conn)?.is_empty());
            assert!(!tables(&mut conn, s).contains(&"ms_authors".to_owned()));
            Ok(())
        }

        #[test]
        fn four_threads_one_schema_apply_each_migration_once() -> Result<(), Box<dyn std::error::Error>> {
            let (guard, mut conn, names) = setup();
            // several rounds on PostgreSQL (fresh schemas), so a lost race shows up
            let rounds = if KIND.has_schemas() { 4 } else { 1 };
            for s in names.iter().take(rounds) {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = (0..4)
                        .map(|_| {
                            let s = s.clone();
                            let guard = &guard;
                            scope.spawn(move || {
                                let mut conn = connect_other(guard);
                                FileRunner::new().migrations_dir(fixtures("basic")).schema(s).run(&mut conn)
                            })
                        })
                        .collect();
                    let reports: Vec<_> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
                    let applied: usize = reports.iter().map(|r| r.applied.len()).sum();
                    assert_eq!(applied, 3, "each migration applied exactly once: {reports:?}");
                });
                let history = FileRunner::new().schema(s.as_str()).applied(&mut conn)?;
                assert_eq!(history.len(), 3);
            }
            Ok(())
        }

        #[test]
        fn a_table_dropped_by_hand_is_created_again() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let runner = || MigrationRunner::new().model::<ms_authors::table>().model::<ms_posts::table>().schema(s);
            runner().migrate(&mut conn)?;
            diesel::sql_query(DDLGenerator::new(KIND).in_schema(s).drop_table("ms_posts")?).execute(&mut conn)?;
            let report = runner().migrate(&mut conn)?;
            assert!(report.applied.iter().any(|a| a.name == "model:ms_posts:create"), "{report}");
            assert!(tables(&mut conn, s).contains(&"ms_posts".to_owned()));
            assert!(runner().migrate(&mut conn)?.is_noop());
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
            // an edited down.sql is refused like an edited up.sql
            std::fs::write(dir.0.join("2024-01-03-000000_add_posts_slug/down.sql"), "SELECT 1;")?;
            let err = FileRunner::new().migrations_dir(&dir.0).schema(s).rollback(&mut conn, 1).unwrap_err();
            assert!(matches!(err, Error::ChangedAfterApply { .. }), "{err:?}");
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
                assert_eq!(first[0], format!("SET LOCAL search_path TO \"{s}\""));
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
        fn embedded_migrations_run_like_the_folder() -> Result<(), Box<dyn std::error::Error>> {
            use diesel_migrations::{embed_migrations, EmbeddedMigrations};
            const MIGRATIONS: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/basic");
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            // applied from the embedded copy, then the folder sees the same checksums
            let embedded = FileRunner::new().embedded(&MIGRATIONS)?.schema(s);
            let loaded = embedded.load()?;
            let from_dir = ryx::migrate::load_dir(&fixtures("basic"))?;
            assert_eq!(loaded.iter().map(|m| m.checksum()).collect::<Vec<_>>(), from_dir.iter().map(|m| m.checksum()).collect::<Vec<_>>());
            assert_eq!(embedded.run(&mut conn)?.applied.len(), 3);
            let folder = FileRunner::new().migrations_dir(fixtures("basic")).schema(s).run(&mut conn)?;
            assert!(folder.is_noop(), "{folder}");
            Ok(())
        }

        #[test]
        fn bad_schema_names_are_refused_before_any_sql() {
            let (_guard, mut conn, _) = setup();
            let long = "a".repeat(64);
            for bad in ["", long.as_str(), "pg_tenant", "nul\0"] {
                let err = MigrationRunner::new().model::<ms_authors::table>().schema(bad).migrate(&mut conn).unwrap_err();
                assert!(matches!(err, Error::InvalidSchemaName(_)), "{bad:?}: {err:?}");
                let err = FileRunner::new().migrations_dir(fixtures("basic")).schema(bad).run(&mut conn).unwrap_err();
                assert!(matches!(err, Error::InvalidSchemaName(_)), "{bad:?}: {err:?}");
            }
            assert!(!tables(&mut conn, "public").contains(&"ryx_migrations".to_owned()) || !KIND.has_schemas());
        }

        #[test]
        fn a_missing_folder_is_a_clear_error() {
            let (_guard, mut conn, names) = setup();
            let err = FileRunner::new().migrations_dir("no/such/folder").schema(names[0].as_str()).run(&mut conn).unwrap_err();
            assert!(matches!(err, Error::MigrationsDir { .. }), "{err:?}");
            assert!(err.to_string().contains("no/such/folder"), "{err}");
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

ryx::ryx_table! {
    /// One column of every type ryx maps.
    everything (id) {
        id -> Int4,
        a -> Int2,
        b -> Int8,
        #[ryx(unique, max_length = 40)]
        c -> Varchar,
        d -> Text,
        e -> Bool,
        f -> Float4,
        g -> Float8,
        h -> Numeric,
        i -> Date,
        j -> Nullable<Timestamp>,
        k -> Timestamptz,
        l -> Uuid,
        m -> Json,
        n -> Jsonb,
        o -> Binary,
        #[ryx(index, default = "'x'")]
        p -> Nullable<Varchar>,
    }
}

mod postgres {
    use super::common;
    use diesel::PgConnection as Conn;
    const KIND: ryx::migrate::Backend = ryx::migrate::Backend::PostgreSQL;

    fn setup() -> (common::PgSchemas, Conn, Vec<String>) {
        let conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(6);
        let names = schemas.names.clone();
        (schemas, conn, names)
    }

    fn connect_other(_guard: &common::PgSchemas) -> Conn {
        common::pg_connect()
    }

    migrate_suite!();

    #[test]
    fn tables_never_land_in_public_and_hostile_names_work() -> Result<(), Box<dyn std::error::Error>>
    {
        let mut conn = common::pg_connect();
        let hostile = format!(r#"t"; DROP TABLE x; --{}"#, common::unique_name(""));
        let _guard = common::PgSchemas::adopt(hostile.clone());
        let report = MigrationRunner::new()
            .model::<ms_authors::table>()
            .model::<ms_posts::table>()
            .schema(hostile.as_str())
            .migrate(&mut conn)?;
        assert!(!report.applied.is_empty());
        let public = <diesel::pg::Pg as MigrationBackend>::live_tables(&mut conn, "public")?;
        assert!(
            !public
                .iter()
                .any(|t| t == "ms_posts" || t == "ryx_migrations"),
            "{public:?}"
        );
        let tables = <diesel::pg::Pg as MigrationBackend>::live_tables(&mut conn, &hostile)?;
        assert!(tables.contains(&"ms_posts".to_owned()));
        let indexes =
            <diesel::pg::Pg as MigrationBackend>::live_indexes(&mut conn, &hostile, "ms_posts")?;
        assert!(
            indexes.contains(&"ms_posts_author_id_idx".to_owned()),
            "{indexes:?}"
        );
        Ok(())
    }

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
            format!("SET search_path TO \"{s}\""),
            "{concurrent:?}"
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

    #[test]
    fn type_drift_is_reported_not_fixed() -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(1);
        let s = schemas.names[0].as_str();
        diesel::sql_query(format!("CREATE SCHEMA \"{s}\"")).execute(&mut conn)?;
        diesel::sql_query(format!(
            "CREATE TABLE \"{s}\".ms_authors (id BIGINT PRIMARY KEY, name INTEGER)"
        ))
        .execute(&mut conn)?;
        let report = MigrationRunner::new()
            .model::<ms_authors::table>()
            .schema(s)
            .migrate(&mut conn)?;
        assert!(
            report.drift.iter().any(|d| matches!(d, ryx::migrate::Drift::TypeMismatch { column, found, .. } if column == "name" && found == "integer")),
            "{report}"
        );
        Ok(())
    }
}

mod sqlite {
    use super::common;
    use diesel::SqliteConnection as Conn;
    const KIND: ryx::migrate::Backend = ryx::migrate::Backend::SQLite;

    fn setup() -> (common::SqliteDb, Conn, Vec<String>) {
        let db = common::SqliteDb::empty();
        let conn = db.connect();
        let names = (1..=6).map(|i| format!("tenant{i}")).collect();
        (db, conn, names)
    }

    fn connect_other(db: &common::SqliteDb) -> Conn {
        db.connect()
    }

    migrate_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::common;
    use diesel::MysqlConnection as Conn;
    const KIND: ryx::migrate::Backend = ryx::migrate::Backend::MySQL;

    fn setup() -> (common::MysqlDb, Conn, Vec<String>) {
        let (db, conn) = common::MysqlDb::empty();
        let names = (1..=6).map(|i| format!("tenant{i}")).collect();
        (db, conn, names)
    }

    fn connect_other(db: &common::MysqlDb) -> Conn {
        db.connect()
    }

    migrate_suite!();
}

mod models_cli {
    use super::*;

    ryx::ryx_table! {
        mk_authors (id) {
            id -> Int8,
            name -> Varchar,
        }
    }

    ryx::ryx_table! {
        mk_posts (id) {
            id -> Int8,
            #[ryx(references = mk_authors, index)]
            author_id -> Int8,
            title -> Varchar,
        }
    }

    ryx::ryx_table! {
        mk_posts_v2 (id) {
            id -> Int8,
            #[ryx(references = mk_authors, index)]
            author_id -> Int8,
            title -> Varchar,
            #[ryx(default = "0")]
            views -> Int4,
        }
    }

    fn renamed(mut t: ryx::migrate::TableState, name: &str) -> ryx::migrate::TableState {
        t.name = name.to_owned();
        t
    }

    /// makemigrations twice: first everything, then only the new column; the
    /// written folder migrates a fresh schema to exactly the models.
    fn make_then_migrate<C: ryx::migrate::RunnerConnection>(conn: &mut C, schema: &str) {
        let dir = std::env::temp_dir().join(common::unique_name("ryx_make"));
        let v1 = [
            mk_authors::table.table_state(),
            mk_posts::table.table_state(),
        ];
        let made = ryx::migrate::make_migration(conn, &dir, &v1, "init")
            .unwrap()
            .expect("a first migration");
        assert!(
            made.up.contains("CREATE TABLE IF NOT EXISTS") && !made.up.contains(schema),
            "{}",
            made.up
        );
        assert!(
            ryx::migrate::make_migration(conn, &dir, &v1, "again")
                .unwrap()
                .is_none(),
            "nothing changed"
        );
        std::thread::sleep(std::time::Duration::from_millis(1100)); // a new version (seconds)
        let v2 = [
            mk_authors::table.table_state(),
            renamed(mk_posts_v2::table.table_state(), "mk_posts"),
        ];
        let made = ryx::migrate::make_migration(conn, &dir, &v2, "add_views")
            .unwrap()
            .expect("the new column");
        assert!(
            made.up.contains("ADD COLUMN") && made.up.contains("views"),
            "{}",
            made.up
        );
        assert!(made.down.contains("DROP COLUMN"), "{}", made.down);
        let report = FileRunner::new()
            .migrations_dir(&dir)
            .schema(schema)
            .run(conn)
            .unwrap();
        assert_eq!(report.applied.len(), 2);
        let check = MigrationRunner::new()
            .table(v2[0].clone())
            .table(v2[1].clone())
            .schema(schema)
            .dry_run(true)
            .migrate(conn)
            .unwrap();
        assert!(check.drift.is_empty(), "{check}");
        assert!(
            check
                .planned
                .iter()
                .all(|p| p.name == "model:schema:create"),
            "{check:?}"
        );
        FileRunner::new()
            .migrations_dir(&dir)
            .schema(schema)
            .rollback(conn, 2)
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn makemigrations_on_postgres() {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(1);
        make_then_migrate(&mut conn, &schemas.names[0]);
        // the scratch schema was rolled back
        let leftovers = <diesel::pg::Pg as MigrationBackend>::live_tables(
            &mut conn,
            &format!("ryx_makemigrations_{}", std::process::id()),
        )
        .unwrap();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn makemigrations_on_sqlite() {
        let db = common::SqliteDb::empty();
        let mut conn = db.connect();
        make_then_migrate(&mut conn, "main");
    }

    #[test]
    fn cli_with_models_migrates_from_models() {
        let schemas = common::PgSchemas::reserve(2);
        let url = common::pg_url();
        let cli = || {
            ryx::migrate::cli::Cli::new()
                .model::<mk_authors::table>()
                .model::<mk_posts::table>()
        };
        let code = cli().run_from([
            "ryx",
            "--url",
            url.as_str(),
            "migrate",
            "--from-models",
            "--schema",
            &schemas.names[0],
            "--schema",
            &schemas.names[1],
        ]);
        assert_eq!(code, std::process::ExitCode::SUCCESS);
        let mut conn = common::pg_connect();
        for s in &schemas.names {
            let t = <diesel::pg::Pg as MigrationBackend>::live_tables(&mut conn, s).unwrap();
            assert!(t.contains(&"mk_posts".to_owned()), "{t:?}");
        }
        // without models the same command is a usage error
        let code = ryx::migrate::cli::Cli::new().run_from([
            "ryx",
            "--url",
            url.as_str(),
            "migrate",
            "--from-models",
            "--schema",
            "x",
        ]);
        assert_eq!(code, std::process::ExitCode::from(2));
    }
}
