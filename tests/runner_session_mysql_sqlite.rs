//! The migration runners never change the caller's transaction on MySQL and
//! SQLite: DDL there cannot join it (MySQL commits implicitly, SQLite cannot
//! nest `BEGIN IMMEDIATE`), so a run inside an open transaction is refused
//! before anything changes, and no history row is written for a failed run.
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

use common::runners::{assert_refused, runner};
use diesel::connection::SimpleConnection;
use ryx::migrate::MigrationBackend;
use ryx::prelude::*;

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use common::runners::history;
    use common::tables::*;
    use diesel::sql_types::BigInt;
    use ryx::migrate::Error;
    use ryx::migrate::MigrationRunner;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// A fresh database with a table of the caller's own.
    fn setup() -> (common::MysqlDb, MysqlConnection) {
        let (db, mut conn) = common::MysqlDb::empty();
        conn.batch_execute("CREATE TABLE callers (id INTEGER PRIMARY KEY) ENGINE = InnoDB")
            .expect("the caller's table");
        (db, conn)
    }

    fn callers(conn: &mut MysqlConnection) -> i64 {
        diesel::sql_query("SELECT COUNT(*) AS n FROM callers")
            .get_result::<Count>(conn)
            .expect("count")
            .n
    }

    fn write(conn: &mut MysqlConnection, id: i32) -> QueryResult<()> {
        conn.batch_execute(&format!("INSERT INTO callers (id) VALUES ({id})"))
    }

    fn tables(conn: &mut MysqlConnection) -> Vec<String> {
        <diesel::mysql::Mysql as MigrationBackend>::live_tables(conn, "").expect("tables")
    }

    const WHY: &str = "MySQL commits DDL implicitly";

    /// The caller writes, opens a savepoint, writes, calls `attempt` (which must
    /// be refused), writes again, releases the savepoint, then rolls everything
    /// back: nothing may have been committed on the way.
    fn in_callers_transaction(
        conn: &mut MysqlConnection,
        attempt: impl FnOnce(&mut MysqlConnection),
    ) {
        let result = conn.transaction(|c| {
            write(c, 1)?;
            c.transaction(|c| {
                write(c, 2)?;
                attempt(c);
                write(c, 3)
            })?;
            assert_eq!(callers(c), 3, "the caller's writes, inside its transaction");
            QueryResult::<()>::Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(
            matches!(result, Err(diesel::result::Error::RollbackTransaction)),
            "the caller's savepoint and transaction stay intact: {result:?}"
        );
        assert_eq!(callers(conn), 0, "nothing of the caller's was committed");
    }

    #[test]
    fn file_runner_refuses_inside_a_callers_transaction() {
        let (_db, mut conn) = setup();
        in_callers_transaction(&mut conn, |c| {
            assert_refused(runner("basic", "main").run(c), WHY);
            assert_refused(runner("basic", "main").atomic(true).run(c), WHY);
            assert_refused(runner("failing", "main").run(c), WHY);
        });
        assert_eq!(
            tables(&mut conn),
            ["callers"],
            "no history table, no migration ran"
        );
    }

    #[test]
    fn file_runner_rollback_refuses_inside_a_callers_transaction() {
        let (_db, mut conn) = setup();
        runner("basic", "main")
            .run(&mut conn)
            .expect("applies outside");
        in_callers_transaction(&mut conn, |c| {
            assert_refused(runner("basic", "main").rollback(c, 1), WHY);
        });
        assert_eq!(history(&mut conn, "main").len(), 3);
        let columns =
            <diesel::mysql::Mysql as MigrationBackend>::live_columns(&mut conn, "", "ms_posts")
                .expect("columns");
        assert!(columns.iter().any(|c| c.name == "slug"), "not reverted");
    }

    #[test]
    fn model_runner_and_create_tenant_refuse_inside_a_callers_transaction() {
        let (_db, mut conn) = setup();
        in_callers_transaction(&mut conn, |c| {
            assert_refused(
                MigrationRunner::new()
                    .model::<ms_authors::table>()
                    .model::<ms_posts::table>()
                    .schema("main")
                    .migrate(c),
                WHY,
            );
            assert_refused(ryx::migrate::create_tenant(c, "main"), WHY);
        });
        assert_eq!(tables(&mut conn), ["callers"]);
    }

    #[test]
    fn dry_runs_inside_a_callers_transaction_change_nothing() {
        let (_db, mut conn) = setup();
        in_callers_transaction(&mut conn, |c| {
            let report = runner("basic", "main").dry_run(true).run(c).expect("plans");
            assert_eq!(report.planned.len(), 3);
            let report = MigrationRunner::new()
                .model::<ms_authors::table>()
                .schema("main")
                .dry_run(true)
                .migrate(c)
                .expect("plans");
            assert!(!report.planned.is_empty());
        });
        assert_eq!(tables(&mut conn), ["callers"]);
    }

    /// A transaction begun with raw SQL: diesel does not know it, the server does.
    #[test]
    fn runners_refuse_a_transaction_begun_with_raw_sql() {
        let (_db, mut conn) = setup();
        conn.batch_execute("BEGIN").expect("begin");
        write(&mut conn, 1).expect("the caller's write");
        assert_refused(runner("basic", "main").run(&mut conn), "BEGIN");
        assert_refused(
            MigrationRunner::new()
                .model::<ms_authors::table>()
                .schema("main")
                .migrate(&mut conn),
            "BEGIN",
        );
        assert_refused(ryx::migrate::create_tenant(&mut conn, "main"), "BEGIN");
        assert_eq!(callers(&mut conn), 1);
        conn.batch_execute("ROLLBACK").expect("rollback");
        assert_eq!(
            callers(&mut conn),
            0,
            "the caller's write was not committed"
        );
        assert_eq!(tables(&mut conn), ["callers"]);
        // outside a transaction the check does not get in the way
        assert_eq!(
            runner("basic", "main")
                .run(&mut conn)
                .expect("applies")
                .applied
                .len(),
            3
        );
    }

    /// MySQL commits DDL implicitly, so an atomic run that fails keeps the
    /// migrations before the failing one: the report says exactly what the
    /// history holds, and the failing one has no history row.
    #[test]
    fn a_failed_atomic_run_reports_what_the_history_holds() {
        let (_db, mut conn) = setup();
        let err = runner("failing", "main")
            .atomic(true)
            .run(&mut conn)
            .unwrap_err();
        assert!(matches!(err, Error::MigrationFailed { .. }), "{err:?}");
        let recorded = history(&mut conn, "main");
        assert_eq!(recorded, ["2024-01-01-000000_create_authors"]);
        let report = err.report().expect("the partial report");
        let reported: Vec<&str> = report.applied.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(reported, recorded, "{report}");
    }

    #[test]
    fn a_failed_run_writes_no_history_for_the_failing_migration() {
        let (_db, mut conn) = setup();
        let err = runner("failing", "main").run(&mut conn).unwrap_err();
        assert!(
            err.to_string().contains("2024-01-02-000000_broken"),
            "{err}"
        );
        assert_eq!(
            history(&mut conn, "main"),
            ["2024-01-01-000000_create_authors"]
        );
        let report = err.report().expect("the partial report");
        assert_eq!(report.applied.len(), 1, "{report}");
    }
}

mod sqlite {
    use super::*;

    #[test]
    fn runners_refuse_inside_a_callers_transaction() {
        let db = common::SqliteDb::empty();
        let mut conn = db.connect();
        conn.batch_execute("CREATE TABLE callers (id INTEGER PRIMARY KEY)")
            .expect("the caller's table");
        let result = conn.transaction(|c| {
            c.batch_execute("INSERT INTO callers (id) VALUES (1)")?;
            assert_refused(runner("basic", "main").run(c), "SQLite");
            let planned = runner("basic", "main").dry_run(true).run(c).expect("plans");
            assert_eq!(planned.planned.len(), 3);
            QueryResult::<()>::Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(matches!(
            result,
            Err(diesel::result::Error::RollbackTransaction)
        ));
        let tables = <diesel::sqlite::Sqlite as MigrationBackend>::live_tables(&mut conn, "main")
            .expect("tables");
        assert_eq!(tables, ["callers"]);
        assert_eq!(
            runner("basic", "main")
                .run(&mut conn)
                .expect("applies")
                .applied
                .len(),
            3
        );
    }

    /// After a raw `BEGIN`, which diesel does not track: refused, nothing
    /// changed, the caller's transaction still open.
    #[test]
    fn runners_refuse_a_transaction_begun_with_raw_sql() {
        let db = common::SqliteDb::empty();
        let mut conn = db.connect();
        conn.batch_execute("CREATE TABLE callers (id INTEGER PRIMARY KEY); BEGIN; INSERT INTO callers (id) VALUES (1)")
            .expect("the caller's transaction");
        assert_refused(runner("basic", "main").run(&mut conn), "raw SQL");
        assert_refused(ryx::migrate::create_tenant(&mut conn, "main"), "raw SQL");
        conn.batch_execute("ROLLBACK")
            .expect("the caller's transaction was still open");
        let tables = <diesel::sqlite::Sqlite as MigrationBackend>::live_tables(&mut conn, "main")
            .expect("tables");
        assert_eq!(tables, ["callers"]);
    }
}
