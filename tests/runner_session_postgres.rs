//! The migration runners never change the caller's session or transaction
//! state on PostgreSQL: `search_path` is what it was, inside the caller's
//! transaction and after it commits; a run that cannot join an open
//! transaction (or a pooler's missing session) is refused before anything
//! changes; no history row is written for a failed run.
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

use common::runners::{assert_refused, fixtures, history, runner};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Nullable, Text};
use ryx::migrate::{Error, FileRunner, MigrationBackend};
use ryx::prelude::*;

mod postgres {
    use super::*;
    use common::pg_session::search_path;
    use common::tables::*;
    use ryx::migrate::MigrationRunner;

    #[derive(QueryableByName)]
    struct MaybeName {
        #[diesel(sql_type = Nullable<Text>)]
        value: Option<String>,
    }

    /// The schema an unqualified `name` resolves to through `search_path`, if any.
    fn resolves_to(conn: &mut PgConnection, name: &str) -> Option<String> {
        diesel::sql_query(
            "SELECT n.nspname::text AS value FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = pg_catalog.to_regclass($1)",
        )
        .bind::<Text, _>(name)
        .get_result::<MaybeName>(conn)
        .optional()
        .expect("resolve a name")
        .and_then(|r| r.value)
    }

    fn schema_exists(conn: &mut PgConnection, schema: &str) -> bool {
        <diesel::pg::Pg as MigrationBackend>::schema_exists(conn, schema).expect("look up schema")
    }

    fn indexes(conn: &mut PgConnection, schema: &str, table: &str) -> Vec<String> {
        <diesel::pg::Pg as MigrationBackend>::live_indexes(conn, schema, table)
            .expect("list indexes")
    }

    /// Session values to start from: empty (what ryx's pool option sets), and
    /// a non-default list, to prove the value comes back exactly.
    const SESSION_PATHS: [&str; 2] = [
        "SET search_path TO ''",
        r#"SET search_path TO "x y", public"#,
    ];

    /// A fresh connection whose session `search_path` was set with `set`, and
    /// the value PostgreSQL reports for it.
    fn session(set: &str) -> (PgConnection, String) {
        let mut conn = common::pg_connect();
        conn.batch_execute(set)
            .expect("set the session's search_path");
        let value = search_path(&mut conn);
        (conn, value)
    }

    /// Checks the caller's `search_path` inside its transaction, after a runner
    /// returned: unchanged, and unqualified names do not find the tenant.
    #[track_caller]
    fn assert_untouched(conn: &mut PgConnection, expected: &str, tenant: &str) {
        assert_eq!(
            search_path(conn),
            expected,
            "the caller's search_path inside its transaction"
        );
        for table in ["ms_authors", "ms_posts", "ryx_migrations"] {
            assert_ne!(
                resolves_to(conn, table).as_deref(),
                Some(tenant),
                "unqualified `{table}` must not resolve in the tenant's schema"
            );
        }
    }

    #[test]
    fn file_runner_run_in_a_callers_transaction_keeps_search_path() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            conn.transaction(|c| {
                let report = runner("basic", s).run(c).expect("runs as a savepoint");
                assert_eq!(report.applied.len(), 3, "{report}");
                assert_untouched(c, &before, s);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
            assert_eq!(history(&mut conn, s).len(), 3);
        }
    }

    /// Outside any transaction each migration runs in ryx's own transaction,
    /// whose end discards its `SET LOCAL`: the session's value is untouched,
    /// also after a run, an atomic run, a rollback and a failed migration.
    #[test]
    fn runs_outside_a_transaction_leave_the_sessions_search_path() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(2);
            let (s, t) = (schemas.names[0].as_str(), schemas.names[1].as_str());
            let (mut conn, before) = session(set);
            let report = runner("basic", s).run(&mut conn).expect("runs");
            assert_eq!(report.applied.len(), 3, "{report}");
            assert_untouched(&mut conn, &before, s);
            runner("basic", s)
                .rollback(&mut conn, 1)
                .expect("rolls back");
            assert_untouched(&mut conn, &before, s);
            runner("basic", t)
                .atomic(true)
                .run(&mut conn)
                .expect("atomic run");
            assert_untouched(&mut conn, &before, t);
            let failed = runner("failing", t).run(&mut conn);
            assert!(failed.is_err());
            assert_untouched(&mut conn, &before, t);
        }
    }

    /// The fleet reads (`tenants`, `status`), `create_tenant` and a dry run, on
    /// the caller's connection, inside its transaction and outside: the
    /// `search_path` is what it was.
    #[test]
    fn fleet_reads_and_create_tenant_keep_search_path() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(2);
            let (made, fresh) = (schemas.names[0].as_str(), schemas.names[1].as_str());
            let (mut conn, before) = session(set);
            let migrations = ryx::migrate::load_dir(fixtures("basic")).expect("load");
            ryx::migrate::create_tenant(&mut conn, made).expect("create outside a transaction");
            assert_eq!(search_path(&mut conn), before);
            conn.transaction(|c| {
                ryx::migrate::create_tenant(c, fresh).expect("create as a savepoint");
                assert_untouched(c, &before, fresh);
                let all = ryx::migrate::fleet::tenants(c).expect("tenants");
                assert!(all.iter().any(|t| t == made) && all.iter().any(|t| t == fresh));
                let status = ryx::migrate::fleet::status(c, Some(&schemas.names), &migrations)
                    .expect("status");
                assert!(status.iter().all(|t| t.pending.len() == 3), "{status:?}");
                let plan = runner("basic", made).dry_run(true).run(c).expect("plan");
                assert_eq!(plan.planned.len(), 3);
                assert_untouched(c, &before, made);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
        }
    }

    #[test]
    fn a_callers_set_local_survives_the_runner_and_ends_with_its_transaction() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            conn.transaction(|c| {
                c.batch_execute("SET LOCAL search_path TO pg_catalog")?;
                let local = search_path(c);
                assert_eq!(local, "pg_catalog");
                runner("basic", s).run(c).expect("runs as a savepoint");
                assert_untouched(c, &local, s);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(
                search_path(&mut conn),
                before,
                "a local value never becomes the session's"
            );
        }
    }

    #[test]
    fn file_runner_rollback_in_a_callers_transaction_keeps_search_path() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            runner("basic", s).run(&mut conn).expect("applies outside");
            assert_eq!(search_path(&mut conn), before);
            conn.transaction(|c| {
                let report = runner("basic", s).rollback(c, 2).expect("reverts");
                assert_eq!(report.reverted.len(), 2, "{report}");
                assert_untouched(c, &before, s);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
            assert_eq!(history(&mut conn, s), ["2024-01-01-000000_create_authors"]);
        }
    }

    #[test]
    fn model_runner_in_a_callers_transaction_keeps_search_path() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            conn.transaction(|c| {
                let report = MigrationRunner::new()
                    .model::<ms_authors::table>()
                    .model::<ms_posts::table>()
                    .schema(s)
                    .migrate(c)
                    .expect("migrates as a savepoint");
                assert!(!report.applied.is_empty(), "{report}");
                assert_untouched(c, &before, s);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
            assert!(history(&mut conn, s).contains(&"model:ms_posts:create".to_owned()));
        }
    }

    #[test]
    fn atomic_run_in_a_callers_transaction_keeps_search_path() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            conn.transaction(|c| {
                let report = runner("basic", s)
                    .atomic(true)
                    .run(c)
                    .expect("runs as a savepoint");
                assert_eq!(report.applied.len(), 3, "{report}");
                assert_untouched(c, &before, s);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
            assert_eq!(history(&mut conn, s).len(), 3);
        }
    }

    #[test]
    fn dry_runs_in_a_callers_transaction_change_nothing() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            conn.transaction(|c| {
                let files = runner("basic", s).dry_run(true).run(c).expect("plans");
                assert_eq!(files.planned.len(), 3);
                let models = MigrationRunner::new()
                    .model::<ms_authors::table>()
                    .schema(s)
                    .dry_run(true)
                    .migrate(c)
                    .expect("plans");
                assert!(!models.planned.is_empty());
                let non_tx = runner("non_transactional", s)
                    .dry_run(true)
                    .run(c)
                    .expect("plans, even a non-transactional migration");
                assert_eq!(non_tx.planned.len(), 2);
                assert_untouched(c, &before, s);
                assert!(!schema_exists(c, s));
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
            assert!(!schema_exists(&mut conn, s));
        }
    }

    #[test]
    fn a_failing_migration_in_a_callers_transaction_that_goes_on() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            conn.transaction(|c| {
                let err = runner("failing", s).run(c).unwrap_err();
                assert!(matches!(err, Error::MigrationFailed { .. }), "{err:?}");
                assert_untouched(c, &before, s);
                // the caller's transaction is still usable
                assert_eq!(
                    resolves_to(c, "pg_catalog.pg_class").as_deref(),
                    Some("pg_catalog")
                );
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
            // the migration before the broken one stays; the broken one left nothing
            assert_eq!(history(&mut conn, s), ["2024-01-01-000000_create_authors"]);
            let tables =
                <diesel::pg::Pg as MigrationBackend>::live_tables(&mut conn, s).expect("tables");
            assert!(!tables.contains(&"half_done".to_owned()), "{tables:?}");
        }
    }

    #[test]
    fn a_failing_migration_in_a_callers_transaction_that_rolls_back() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            let result = conn.transaction(|c| {
                let err = runner("failing", s).atomic(true).run(c).unwrap_err();
                assert!(
                    err.report().is_some_and(|r| r.applied.is_empty()),
                    "{err:?}"
                );
                assert_untouched(c, &before, s);
                let err = runner("failing", s).run(c).unwrap_err();
                assert!(matches!(err, Error::MigrationFailed { .. }), "{err:?}");
                assert_untouched(c, &before, s);
                QueryResult::<()>::Err(diesel::result::Error::RollbackTransaction)
            });
            assert!(matches!(
                result,
                Err(diesel::result::Error::RollbackTransaction)
            ));
            assert_eq!(
                search_path(&mut conn),
                before,
                "after the caller's rollback"
            );
            assert!(!schema_exists(&mut conn, s), "rolled back with the caller");
        }
    }

    #[test]
    fn a_non_transactional_migration_outside_a_transaction_restores_search_path_exactly() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            let report = runner("non_transactional", s)
                .run(&mut conn)
                .expect("applies");
            assert_eq!(report.applied.len(), 2, "{report}");
            assert_eq!(search_path(&mut conn), before, "restored after up.sql");
            assert!(indexes(&mut conn, s, "ms_authors").contains(&"ms_authors_name_idx".to_owned()));
            runner("non_transactional", s)
                .rollback(&mut conn, 1)
                .expect("reverts");
            assert_eq!(search_path(&mut conn), before, "restored after down.sql");
            assert!(
                !indexes(&mut conn, s, "ms_authors").contains(&"ms_authors_name_idx".to_owned())
            );
            // a failing one restores it too
            let dir = std::env::temp_dir().join(common::unique_name("ryx_non_tx"));
            let m = dir.join("2024-01-01-000000_broken_concurrently");
            std::fs::create_dir_all(&m).expect("temp dir");
            std::fs::write(
                m.join("up.sql"),
                "CREATE INDEX CONCURRENTLY x ON no_such_table (id);",
            )
            .expect("write");
            std::fs::write(m.join("metadata.toml"), "run_in_transaction = false\n").expect("write");
            let err = FileRunner::new()
                .migrations_dir(&dir)
                .schema(s)
                .run(&mut conn)
                .unwrap_err();
            let _ = std::fs::remove_dir_all(&dir);
            assert!(
                matches!(err, Error::NonTransactionalFailed { .. }),
                "{err:?}"
            );
            assert_eq!(search_path(&mut conn), before, "restored after a failure");
            assert_eq!(history(&mut conn, s), ["2024-01-01-000000_create_authors"]);
        }
    }

    #[test]
    fn a_non_transactional_migration_in_a_callers_transaction_is_refused() {
        for set in SESSION_PATHS {
            let schemas = common::PgSchemas::reserve(1);
            let s = schemas.names[0].as_str();
            let (mut conn, before) = session(set);
            conn.transaction(|c| {
                c.batch_execute("SET LOCAL search_path TO pg_catalog")?;
                // refused before anything: not even the transactional first one ran
                assert_refused(runner("non_transactional", s).run(c), "run_in_transaction");
                assert_untouched(c, "pg_catalog", s);
                assert!(!schema_exists(c, s));
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before, "after the caller's commit");
            assert!(!schema_exists(&mut conn, s), "no schema, no history");

            // only the non-transactional one pending
            let first = ryx::migrate::load_dir(fixtures("non_transactional")).expect("load");
            FileRunner::new()
                .migrations(first[..1].to_vec())
                .schema(s)
                .run(&mut conn)
                .expect("applies the first");
            conn.transaction(|c| {
                assert_refused(runner("non_transactional", s).run(c), "run_in_transaction");
                assert_untouched(c, &before, s);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before);
            assert_eq!(history(&mut conn, s), ["2024-01-01-000000_create_authors"]);
            assert!(
                !indexes(&mut conn, s, "ms_authors").contains(&"ms_authors_name_idx".to_owned())
            );

            // and its rollback
            runner("non_transactional", s)
                .run(&mut conn)
                .expect("applies outside");
            conn.transaction(|c| {
                assert_refused(
                    runner("non_transactional", s).rollback(c, 1),
                    "run_in_transaction",
                );
                assert_untouched(c, &before, s);
                QueryResult::Ok(())
            })
            .expect("the caller's transaction commits");
            assert_eq!(search_path(&mut conn), before);
            assert_eq!(history(&mut conn, s).len(), 2);
            assert!(indexes(&mut conn, s, "ms_authors").contains(&"ms_authors_name_idx".to_owned()));
        }
    }

    /// Over a connection opened for a transaction pooler, a
    /// `run_in_transaction = false` migration (session lock, session
    /// `search_path`) is refused before anything changes; transactional
    /// migrations, which need no session state, run.
    #[test]
    fn a_non_transactional_migration_through_a_transaction_pooler_is_refused() {
        let schemas = common::PgSchemas::reserve(1);
        let s = schemas.names[0].as_str();
        let mut conn = ryx::pool::ConnectionManager::<PgConnection>::new(common::pg_url())
            .transaction_pooler(true)
            .connect_once()
            .expect("connect");
        let before = search_path(&mut conn);
        match runner("non_transactional", s).run(&mut conn) {
            Err(e @ Error::NeedsSessionState { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains("`2024-01-02-000000_index_authors_concurrently`")
                        && message.contains("over a direct connection")
                        && !message.contains("  "),
                    "{message}"
                );
            }
            other => panic!("expected Error::NeedsSessionState, got {other:?}"),
        }
        assert!(
            !schema_exists(&mut conn, s),
            "nothing ran, not even the first migration"
        );
        assert_eq!(search_path(&mut conn), before);

        let first = ryx::migrate::load_dir(fixtures("non_transactional")).expect("load");
        let report = FileRunner::new()
            .migrations(first[..1].to_vec())
            .schema(s)
            .run(&mut conn)
            .expect("a transactional migration runs through the pooler");
        assert_eq!(report.applied.len(), 1);
        assert_eq!(search_path(&mut conn), before);
    }

    /// A transaction begun with raw SQL is invisible to diesel: ryx's own
    /// `BEGIN` .. `COMMIT` would commit it.
    #[test]
    fn runners_refuse_a_transaction_begun_with_raw_sql() {
        let schemas = common::PgSchemas::reserve(3);
        let (applied, fresh, callers) = (
            schemas.names[0].as_str(),
            schemas.names[1].as_str(),
            schemas.names[2].as_str(),
        );
        let (mut conn, before) = session(SESSION_PATHS[1]);
        runner("basic", applied)
            .run(&mut conn)
            .expect("applies outside a transaction");
        conn.batch_execute("BEGIN").expect("begin");
        conn.batch_execute(&format!(
            "CREATE SCHEMA {}",
            ryx::quote_identifier(callers, '"')
        ))
        .expect("the caller's write");
        assert_refused(runner("basic", fresh).run(&mut conn), "BEGIN");
        assert_refused(runner("basic", applied).run(&mut conn), "BEGIN");
        assert_refused(runner("basic", applied).rollback(&mut conn, 1), "BEGIN");
        assert_refused(
            MigrationRunner::new()
                .model::<ms_authors::table>()
                .schema(fresh)
                .migrate(&mut conn),
            "BEGIN",
        );
        assert_refused(ryx::migrate::create_tenant(&mut conn, fresh), "BEGIN");
        assert!(
            schema_exists(&mut conn, callers),
            "the caller's write is still pending"
        );
        assert_eq!(search_path(&mut conn), before);
        conn.batch_execute("ROLLBACK").expect("rollback");
        assert!(
            !schema_exists(&mut conn, callers),
            "the caller's transaction was not committed by the runner"
        );
        assert!(!schema_exists(&mut conn, fresh));
        assert_eq!(history(&mut conn, applied).len(), 3, "nothing reverted");
        assert_eq!(search_path(&mut conn), before);
        // and outside a transaction the check does not get in the way
        let report = runner("basic", fresh).run(&mut conn).expect("applies");
        assert_eq!(report.applied.len(), 3);
        assert_eq!(search_path(&mut conn), before);
    }
}
