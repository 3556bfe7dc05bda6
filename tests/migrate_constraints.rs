//! Table-level constraints of `ryx_table!` on real PostgreSQL, SQLite and
//! MySQL (MariaDB): composite unique constraints and indexes, checks and
//! foreign-key actions, through the DDL generator, the model runner and
//! makemigrations, with the exact DDL asserted per backend.
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

use common::constraint_tables::*;
use ryx::migrate::{Drift, MigrationRunner, Report, RyxTable};
use ryx::prelude::*;

const UNIQUE: &str = "ck_posts_author_id_slug_8562b87ed6_key";
const INDEX: &str = "ck_posts_author_id_created_at_6cc8975c50_idx";
const CHECK: &str = "ck_posts_positive_views_fd9a203be9_check";

/// The statements of every planned step, in order.
fn planned_sql(report: &Report) -> Vec<String> {
    report.planned.iter().flat_map(|p| p.sql.clone()).collect()
}

fn missing_constraints(report: &Report) -> Vec<String> {
    report
        .drift
        .iter()
        .filter_map(|d| match d {
            Drift::MissingConstraint { table, constraint } if table == "ck_posts" => {
                Some(constraint.clone())
            }
            _ => None,
        })
        .collect()
}

fn full() -> MigrationRunner {
    MigrationRunner::new()
        .model::<ck_authors::table>()
        .model::<ck_posts::table>()
}

fn v1() -> MigrationRunner {
    MigrationRunner::new()
        .model::<ck_authors::table>()
        .table(ck_posts_v1())
}

/// The suite, instantiated per backend below; each backend's module brings
/// `setup`, `Conn`, `KIND` and its expected DDL (`create_posts(schema)`,
/// `add_constraints(schema)`, `fk_drift`).
macro_rules! migrate_constraints_suite {
    () => {
        use super::*;

        fn prepare(conn: &mut Conn) {
            if KIND == ryx::migrate::Backend::SQLite {
                diesel::sql_query("PRAGMA foreign_keys = ON")
                    .execute(conn)
                    .unwrap();
            }
        }

        fn author(conn: &mut Conn, s: &str, name: &str) -> i64 {
            ryx::insert_into(ck_authors::table.in_schema(s))
                .values(ck_authors::name.eq(name))
                .execute(conn)
                .unwrap();
            ck_authors::table
                .in_schema(s)
                .filter(ck_authors::name.eq(name))
                .select(ck_authors::id)
                .first(conn)
                .unwrap()
        }

        fn post(
            conn: &mut Conn,
            s: &str,
            author: i64,
            editor: Option<i64>,
            slug: &str,
            views: i32,
        ) -> QueryResult<usize> {
            ryx::insert_into(ck_posts::table.in_schema(s))
                .values((
                    ck_posts::author_id.eq(author),
                    ck_posts::editor_id.eq(editor),
                    ck_posts::slug.eq(slug),
                    ck_posts::views.eq(views),
                    ck_posts::created_at.eq(common::tables::at(1)),
                ))
                .execute(conn)
        }

        /// A new table gets every constraint, exactly as written per backend,
        /// and the database enforces each of them.
        #[test]
        fn new_tables_get_every_constraint() {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            prepare(&mut conn);
            let plan = full().schema(s).dry_run(true).migrate(&mut conn).unwrap();
            let sql = planned_sql(&plan);
            let posts: Vec<&String> = sql
                .iter()
                .skip_while(|q| !q.contains("\"ck_posts\"") && !q.contains("`ck_posts`"))
                .collect();
            assert_eq!(
                posts,
                create_posts(s).iter().collect::<Vec<_>>(),
                "{sql:#?}"
            );

            let report = full().schema(s).migrate(&mut conn).unwrap();
            assert!(report.drift.is_empty(), "{report}");
            assert!(full().schema(s).migrate(&mut conn).unwrap().is_noop());

            let ada = author(&mut conn, s, "ada");
            let bob = author(&mut conn, s, "bob");
            post(&mut conn, s, ada, Some(bob), "a", 1).unwrap();
            // unique(author_id, slug)
            assert!(post(&mut conn, s, ada, None, "a", 2).is_err());
            post(&mut conn, s, bob, None, "a", 2).unwrap();
            // check(positive_views)
            assert!(post(&mut conn, s, ada, None, "b", -1).is_err());
            // on_update = restrict
            assert!(ryx::update(ck_authors::table.in_schema(s))
                .filter(ck_authors::id.eq(ada))
                .set(ck_authors::id.eq(1000))
                .execute(&mut conn)
                .is_err());
            // on_delete = set_null on editor_id, then cascade on author_id
            ryx::delete(ck_posts::table.in_schema(s))
                .filter(ck_posts::author_id.eq(bob))
                .execute(&mut conn)
                .unwrap();
            ryx::delete(ck_authors::table.in_schema(s))
                .filter(ck_authors::id.eq(bob))
                .execute(&mut conn)
                .unwrap();
            let editors: Vec<Option<i64>> = ck_posts::table
                .in_schema(s)
                .select(ck_posts::editor_id)
                .load(&mut conn)
                .unwrap();
            assert_eq!(editors, [None]);
            ryx::delete(ck_authors::table.in_schema(s))
                .filter(ck_authors::id.eq(ada))
                .execute(&mut conn)
                .unwrap();
            let left: i64 = ck_posts::table
                .in_schema(s)
                .count()
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(left, 0);
        }

        /// An existing table gets the missing composite unique constraint and
        /// index; the check and the foreign-key actions are reported, never added.
        #[test]
        fn existing_tables_get_indexes_and_report_the_rest() {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let report = v1().schema(s).migrate(&mut conn).unwrap();
            assert!(report.drift.is_empty(), "{report}");

            let plan = full().schema(s).dry_run(true).migrate(&mut conn).unwrap();
            assert_eq!(planned_sql(&plan), add_constraints(s), "{plan}");
            let report = full().schema(s).migrate(&mut conn).unwrap();
            let applied: Vec<&str> = report.applied.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(
                applied,
                [
                    format!("model:ck_posts:unique:{UNIQUE}"),
                    format!("model:ck_posts:index:{INDEX}")
                ]
            );
            let mut expected = vec![format!(
                "CONSTRAINT {} CHECK (views >= 0)",
                KIND.quote(CHECK)
            )];
            expected.extend(fk_drift().iter().map(|s| s.to_string()));
            assert_eq!(missing_constraints(&report), expected, "{report}");

            let again = full().schema(s).migrate(&mut conn).unwrap();
            assert!(again.applied.is_empty(), "{again}");
            assert_eq!(missing_constraints(&again), expected, "{again}");
            // the unique constraint holds
            let ada = author(&mut conn, s, "ada");
            post(&mut conn, s, ada, None, "a", 1).unwrap();
            assert!(post(&mut conn, s, ada, None, "a", 1).is_err());
        }
    };
}

mod postgres {
    use crate::common::migrations::postgres::{setup, Conn, KIND};

    fn create_posts(s: &str) -> Vec<String> {
        vec![
            format!(
                r#"CREATE TABLE IF NOT EXISTS "{s}"."ck_posts" ("id" BIGSERIAL PRIMARY KEY, "author_id" BIGINT NOT NULL, "editor_id" BIGINT, "slug" VARCHAR(100) NOT NULL, "views" INTEGER NOT NULL DEFAULT 0, "created_at" TIMESTAMP NOT NULL, CONSTRAINT "ck_posts_author_id_slug_8562b87ed6_key" UNIQUE ("author_id", "slug"), CONSTRAINT "ck_posts_positive_views_fd9a203be9_check" CHECK (views >= 0), FOREIGN KEY ("author_id") REFERENCES "{s}"."ck_authors" ("id") ON DELETE CASCADE ON UPDATE RESTRICT, FOREIGN KEY ("editor_id") REFERENCES "{s}"."ck_authors" ("id") ON DELETE SET NULL)"#
            ),
            format!(
                r#"CREATE INDEX IF NOT EXISTS "ck_posts_author_id_created_at_6cc8975c50_idx" ON "{s}"."ck_posts" ("author_id", "created_at")"#
            ),
        ]
    }

    fn add_constraints(s: &str) -> Vec<String> {
        vec![
            format!(
                r#"ALTER TABLE "{s}"."ck_posts" ADD CONSTRAINT "ck_posts_author_id_slug_8562b87ed6_key" UNIQUE ("author_id", "slug")"#
            ),
            format!(
                r#"CREATE INDEX IF NOT EXISTS "ck_posts_author_id_created_at_6cc8975c50_idx" ON "{s}"."ck_posts" ("author_id", "created_at")"#
            ),
        ]
    }

    fn fk_drift() -> [&'static str; 2] {
        [
            r#"FOREIGN KEY ("author_id") REFERENCES "ck_authors" ("id") ON DELETE CASCADE ON UPDATE RESTRICT"#,
            r#"FOREIGN KEY ("editor_id") REFERENCES "ck_authors" ("id") ON DELETE SET NULL"#,
        ]
    }

    migrate_constraints_suite!();
}

mod sqlite {
    use crate::common::migrations::sqlite::{setup, Conn, KIND};

    fn create_posts(_: &str) -> Vec<String> {
        vec![
            r#"CREATE TABLE IF NOT EXISTS "ck_posts" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "author_id" BIGINT NOT NULL, "editor_id" BIGINT, "slug" TEXT NOT NULL, "views" INTEGER NOT NULL DEFAULT 0, "created_at" TIMESTAMP NOT NULL, CONSTRAINT "ck_posts_positive_views_fd9a203be9_check" CHECK (views >= 0), FOREIGN KEY ("author_id") REFERENCES "ck_authors" ("id") ON DELETE CASCADE ON UPDATE RESTRICT, FOREIGN KEY ("editor_id") REFERENCES "ck_authors" ("id") ON DELETE SET NULL)"#.to_owned(),
            r#"CREATE UNIQUE INDEX IF NOT EXISTS "ck_posts_author_id_slug_8562b87ed6_key" ON "ck_posts" ("author_id", "slug")"#.to_owned(),
            r#"CREATE INDEX IF NOT EXISTS "ck_posts_author_id_created_at_6cc8975c50_idx" ON "ck_posts" ("author_id", "created_at")"#.to_owned(),
        ]
    }

    fn add_constraints(_: &str) -> Vec<String> {
        vec![
            r#"CREATE UNIQUE INDEX IF NOT EXISTS "ck_posts_author_id_slug_8562b87ed6_key" ON "ck_posts" ("author_id", "slug")"#.to_owned(),
            r#"CREATE INDEX IF NOT EXISTS "ck_posts_author_id_created_at_6cc8975c50_idx" ON "ck_posts" ("author_id", "created_at")"#.to_owned(),
        ]
    }

    fn fk_drift() -> [&'static str; 2] {
        [
            r#"FOREIGN KEY ("author_id") REFERENCES "ck_authors" ("id") ON DELETE CASCADE ON UPDATE RESTRICT"#,
            r#"FOREIGN KEY ("editor_id") REFERENCES "ck_authors" ("id") ON DELETE SET NULL"#,
        ]
    }

    migrate_constraints_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::migrations::mysql::{setup, Conn, KIND};

    fn create_posts(_: &str) -> Vec<String> {
        vec![
            "CREATE TABLE IF NOT EXISTS `ck_posts` (`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `author_id` BIGINT NOT NULL, `editor_id` BIGINT, `slug` VARCHAR(100) NOT NULL, `views` INTEGER NOT NULL DEFAULT 0, `created_at` DATETIME(6) NOT NULL, CONSTRAINT `ck_posts_author_id_slug_8562b87ed6_key` UNIQUE (`author_id`, `slug`), CONSTRAINT `ck_posts_positive_views_fd9a203be9_check` CHECK (views >= 0), FOREIGN KEY (`author_id`) REFERENCES `ck_authors` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT, FOREIGN KEY (`editor_id`) REFERENCES `ck_authors` (`id`) ON DELETE SET NULL)".to_owned(),
            "CREATE INDEX `ck_posts_author_id_created_at_6cc8975c50_idx` ON `ck_posts` (`author_id`, `created_at`)".to_owned(),
        ]
    }

    fn add_constraints(_: &str) -> Vec<String> {
        vec![
            "ALTER TABLE `ck_posts` ADD CONSTRAINT `ck_posts_author_id_slug_8562b87ed6_key` UNIQUE (`author_id`, `slug`)".to_owned(),
            "CREATE INDEX `ck_posts_author_id_created_at_6cc8975c50_idx` ON `ck_posts` (`author_id`, `created_at`)".to_owned(),
        ]
    }

    fn fk_drift() -> [&'static str; 2] {
        [
            "FOREIGN KEY (`author_id`) REFERENCES `ck_authors` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT",
            "FOREIGN KEY (`editor_id`) REFERENCES `ck_authors` (`id`) ON DELETE SET NULL",
        ]
    }

    migrate_constraints_suite!();
}

/// makemigrations writes the constraints: first with the new table, then the
/// missing unique constraint and index for an existing one (PostgreSQL and
/// SQLite build the folder in a scratch place; MySQL cannot).
fn make_migrations<C: ryx::migrate::RunnerConnection>(
    conn: &mut C,
    schema: &str,
    expected: &[(&str, &str)],
) {
    let dir = std::env::temp_dir().join(common::unique_name("ryx_make_ck"));
    let authors = ck_authors::table.table_state();
    let made = ryx::migrate::make_migration(
        conn,
        &dir,
        &[authors.clone(), ck_posts::table.table_state()],
        "all",
    )
    .unwrap()
    .expect("a migration");
    assert_eq!(
        (made.up.as_str(), made.down.as_str()),
        expected[0],
        "{}",
        made.up
    );
    std::fs::remove_dir_all(&dir).unwrap();

    ryx::migrate::make_migration(conn, &dir, &[authors.clone(), ck_posts_v1()], "v1")
        .unwrap()
        .expect("v1");
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a new version (seconds)
    let made = ryx::migrate::make_migration(
        conn,
        &dir,
        &[authors, ck_posts::table.table_state()],
        "constraints",
    )
    .unwrap()
    .expect("the constraints");
    assert_eq!(
        (made.up.as_str(), made.down.as_str()),
        expected[1],
        "{}",
        made.up
    );
    let report = ryx::migrate::FileRunner::new()
        .migrations_dir(&dir)
        .schema(schema)
        .run(conn)
        .unwrap();
    assert_eq!(report.applied.len(), 2, "{report}");
    let check = full().schema(schema).dry_run(true).migrate(conn).unwrap();
    assert!(check.planned.is_empty(), "{check}");
    // the v1 table had no check and no actions: reported, as the runner would
    assert_eq!(missing_constraints(&check).len(), 3, "{check}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn makemigrations_postgres() {
    let guard = common::PgSchemas::reserve(1);
    let mut conn = common::pg_connect();
    make_migrations(
        &mut conn,
        &guard.names[0],
        &[
            (
                "CREATE TABLE IF NOT EXISTS \"ck_authors\" (\"id\" BIGSERIAL PRIMARY KEY, \"name\" VARCHAR NOT NULL);\nCREATE TABLE IF NOT EXISTS \"ck_posts\" (\"id\" BIGSERIAL PRIMARY KEY, \"author_id\" BIGINT NOT NULL, \"editor_id\" BIGINT, \"slug\" VARCHAR(100) NOT NULL, \"views\" INTEGER NOT NULL DEFAULT 0, \"created_at\" TIMESTAMP NOT NULL, CONSTRAINT \"ck_posts_author_id_slug_8562b87ed6_key\" UNIQUE (\"author_id\", \"slug\"), CONSTRAINT \"ck_posts_positive_views_fd9a203be9_check\" CHECK (views >= 0), FOREIGN KEY (\"author_id\") REFERENCES \"ck_authors\" (\"id\") ON DELETE CASCADE ON UPDATE RESTRICT, FOREIGN KEY (\"editor_id\") REFERENCES \"ck_authors\" (\"id\") ON DELETE SET NULL);\nCREATE INDEX IF NOT EXISTS \"ck_posts_author_id_created_at_6cc8975c50_idx\" ON \"ck_posts\" (\"author_id\", \"created_at\");\n",
                "DROP TABLE IF EXISTS \"ck_posts\";\nDROP TABLE IF EXISTS \"ck_authors\";\n",
            ),
            (
                "ALTER TABLE \"ck_posts\" ADD CONSTRAINT \"ck_posts_author_id_slug_8562b87ed6_key\" UNIQUE (\"author_id\", \"slug\");\nCREATE INDEX IF NOT EXISTS \"ck_posts_author_id_created_at_6cc8975c50_idx\" ON \"ck_posts\" (\"author_id\", \"created_at\");\n",
                "DROP INDEX IF EXISTS \"ck_posts_author_id_created_at_6cc8975c50_idx\";\nALTER TABLE \"ck_posts\" DROP CONSTRAINT IF EXISTS \"ck_posts_author_id_slug_8562b87ed6_key\";\n",
            ),
        ],
    );
}

#[test]
fn makemigrations_sqlite() {
    let db = common::SqliteDb::empty();
    let mut conn = db.connect();
    make_migrations(
        &mut conn,
        "main",
        &[
            (
                "CREATE TABLE IF NOT EXISTS \"ck_authors\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"name\" TEXT NOT NULL);\nCREATE TABLE IF NOT EXISTS \"ck_posts\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"author_id\" BIGINT NOT NULL, \"editor_id\" BIGINT, \"slug\" TEXT NOT NULL, \"views\" INTEGER NOT NULL DEFAULT 0, \"created_at\" TIMESTAMP NOT NULL, CONSTRAINT \"ck_posts_positive_views_fd9a203be9_check\" CHECK (views >= 0), FOREIGN KEY (\"author_id\") REFERENCES \"ck_authors\" (\"id\") ON DELETE CASCADE ON UPDATE RESTRICT, FOREIGN KEY (\"editor_id\") REFERENCES \"ck_authors\" (\"id\") ON DELETE SET NULL);\nCREATE UNIQUE INDEX IF NOT EXISTS \"ck_posts_author_id_slug_8562b87ed6_key\" ON \"ck_posts\" (\"author_id\", \"slug\");\nCREATE INDEX IF NOT EXISTS \"ck_posts_author_id_created_at_6cc8975c50_idx\" ON \"ck_posts\" (\"author_id\", \"created_at\");\n",
                "DROP TABLE IF EXISTS \"ck_posts\";\nDROP TABLE IF EXISTS \"ck_authors\";\n",
            ),
            (
                "CREATE UNIQUE INDEX IF NOT EXISTS \"ck_posts_author_id_slug_8562b87ed6_key\" ON \"ck_posts\" (\"author_id\", \"slug\");\nCREATE INDEX IF NOT EXISTS \"ck_posts_author_id_created_at_6cc8975c50_idx\" ON \"ck_posts\" (\"author_id\", \"created_at\");\n",
                "DROP INDEX IF EXISTS \"ck_posts_author_id_created_at_6cc8975c50_idx\";\nDROP INDEX IF EXISTS \"ck_posts_author_id_slug_8562b87ed6_key\";\n",
            ),
        ],
    );
}

/// The metadata `ryx_table!` emits for the constraints.
#[test]
fn metadata() {
    let t = ck_posts::table.table_state();
    assert_eq!(t.indexes.len(), 2);
    assert!(t.indexes[0].unique && t.indexes[0].columns == ["author_id", "slug"]);
    assert!(!t.indexes[1].unique && t.indexes[1].columns == ["author_id", "created_at"]);
    assert_eq!(
        (t.checks[0].name.as_str(), t.checks[0].sql.as_str()),
        ("positive_views", "views >= 0")
    );
    let author = t.column("author_id").unwrap();
    assert_eq!(author.on_delete.map(|a| a.sql()), Some("CASCADE"));
    assert_eq!(author.on_update.map(|a| a.sql()), Some("RESTRICT"));
    assert_eq!(
        t.column("editor_id").unwrap().on_delete.map(|a| a.sql()),
        Some("SET NULL")
    );
    assert_eq!(
        ryx_migrate::constraint_name("ck_posts", &["author_id", "slug"], true),
        UNIQUE
    );
    assert_eq!(
        ryx_migrate::constraint_name("ck_posts", &["author_id", "created_at"], false),
        INDEX
    );
    assert_eq!(ryx_migrate::check_name("ck_posts", "positive_views"), CHECK);
}
