//! Aliases of scoped tables: `diesel::alias!(nj_employees as managers)` scoped
//! with `managers.in_schema(s)` renders `"s"."nj_employees" AS "managers"`.
//! Self-joins with `.on(..)`, one table aliased twice, and the implicit join of
//! a `ryx::joinable!` pair to an alias; the SQL asserted per backend and the
//! rows read on real PostgreSQL, SQLite and MySQL (MariaDB).
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

use common::join_tables::*;
use ryx::prelude::*;

fn s(v: &str) -> String {
    v.to_owned()
}

#[test]
fn self_join_sql() {
    let managers = diesel::alias!(nj_employees as managers);
    let q = nj_employees::table
        .in_schema("t1")
        .inner_join(
            managers
                .in_schema("t1")
                .on(nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable())),
        )
        .filter(managers.field(nj_employees::name).ne("x"))
        .select((nj_employees::name, managers.field(nj_employees::name)));
    assert_eq!(
        ryx::to_sql::<diesel::pg::Pg, _>(&q).unwrap(),
        r#"SELECT "nj_employees"."name", "managers"."name" FROM ("t1"."nj_employees" INNER JOIN "t1"."nj_employees" AS "managers" ON ("nj_employees"."manager_id" = "managers"."id")) WHERE ("managers"."name" != $1)"#
    );
    assert_eq!(
        ryx::to_sql::<diesel::sqlite::Sqlite, _>(&q).unwrap(),
        r#"SELECT `nj_employees`.`name`, `managers`.`name` FROM (`nj_employees` INNER JOIN `nj_employees` AS `managers` ON (`nj_employees`.`manager_id` = `managers`.`id`)) WHERE (`managers`.`name` != ?)"#
    );
    #[cfg(feature = "mysql")]
    assert_eq!(
        ryx::to_sql::<diesel::mysql::Mysql, _>(&q).unwrap(),
        r#"SELECT `nj_employees`.`name`, `managers`.`name` FROM (`nj_employees` INNER JOIN `nj_employees` AS `managers` ON (`nj_employees`.`manager_id` = `managers`.`id`)) WHERE (`managers`.`name` != ?)"#
    );
}

#[test]
fn scoped_alias_as_the_query_root_sql() {
    let managers = diesel::alias!(nj_employees as managers);
    let q = managers
        .in_schema("t1")
        .filter(managers.field(nj_employees::id).eq(1))
        .select(managers.field(nj_employees::name));
    assert_eq!(
        ryx::to_sql::<diesel::pg::Pg, _>(&q).unwrap(),
        r#"SELECT "managers"."name" FROM "t1"."nj_employees" AS "managers" WHERE ("managers"."id" = $1)"#
    );
    assert_eq!(
        ryx::to_sql::<diesel::sqlite::Sqlite, _>(&q).unwrap(),
        r#"SELECT `managers`.`name` FROM `nj_employees` AS `managers` WHERE (`managers`.`id` = ?)"#
    );
}

#[test]
fn implicit_join_to_an_alias_sql() {
    let authors = diesel::alias!(nj_users as authors);
    let q = nj_posts::table
        .in_schema("t1")
        .inner_join(authors.in_schema("t1"))
        .select((nj_posts::title, authors.field(nj_users::name)));
    assert_eq!(
        ryx::to_sql::<diesel::pg::Pg, _>(&q).unwrap(),
        r#"SELECT "nj_posts"."title", "authors"."name" FROM ("t1"."nj_posts" INNER JOIN "t1"."nj_users" AS "authors" ON ("nj_posts"."user_id" = "authors"."id"))"#
    );
    assert_eq!(
        ryx::to_sql::<diesel::sqlite::Sqlite, _>(&q).unwrap(),
        r#"SELECT `nj_posts`.`title`, `authors`.`name` FROM (`nj_posts` INNER JOIN `nj_users` AS `authors` ON (`nj_posts`.`user_id` = `authors`.`id`))"#
    );
}

#[test]
fn an_invalid_schema_on_the_alias_is_an_error() {
    let managers = diesel::alias!(nj_employees as managers);
    let q = nj_employees::table
        .in_schema("t1")
        .inner_join(
            managers
                .in_schema("")
                .on(nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable())),
        )
        .select(nj_employees::name);
    assert!(ryx::to_sql::<diesel::pg::Pg, _>(&q).is_err());
    assert!(ryx::to_sql::<diesel::sqlite::Sqlite, _>(&q).is_err());
}

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `setup` and `HAS_SCHEMAS` from `common::join_tables`.
macro_rules! aliases_suite {
    () => {
        use super::*;

        #[test]
        fn self_join_selects_employee_and_manager() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let managers = diesel::alias!(nj_employees as managers);
            let rows: Vec<(String, String)> =
                nj_employees::table
                    .in_schema(&t)
                    .inner_join(managers.in_schema(&t).on(
                        nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable()),
                    ))
                    .select((nj_employees::name, managers.field(nj_employees::name)))
                    .order(nj_employees::id)
                    .load(&mut conn)?;
            assert_eq!(rows, [(s("mida"), s("bossa")), (s("deva"), s("mida"))]);
            // Filtered on the manager's column.
            let under_boss: Vec<String> =
                nj_employees::table
                    .in_schema(&t)
                    .inner_join(managers.in_schema(&t).on(
                        nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable()),
                    ))
                    .filter(managers.field(nj_employees::name).eq("bossa"))
                    .select(nj_employees::name)
                    .load(&mut conn)?;
            assert_eq!(under_boss, [s("mida")]);
            Ok(())
        }

        #[test]
        fn self_left_join_keeps_employees_without_manager() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let managers = diesel::alias!(nj_employees as managers);
            let rows: Vec<(String, Option<String>)> =
                nj_employees::table
                    .in_schema(&t)
                    .left_join(managers.in_schema(&t).on(
                        nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable()),
                    ))
                    .select((
                        nj_employees::name,
                        managers.field(nj_employees::name).nullable(),
                    ))
                    .order(nj_employees::id)
                    .load(&mut conn)?;
            assert_eq!(
                rows,
                [
                    (s("bossa"), None),
                    (s("mida"), Some(s("bossa"))),
                    (s("deva"), Some(s("mida")))
                ]
            );
            Ok(())
        }

        #[test]
        fn one_table_aliased_twice() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let (managers, grand) = diesel::alias!(nj_employees as managers, nj_employees as grand);
            let rows: Vec<(String, String, String)> =
                nj_employees::table
                    .in_schema(&t)
                    .inner_join(managers.in_schema(&t).on(
                        nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable()),
                    ))
                    .inner_join(
                        grand.in_schema(&t).on(managers
                            .field(nj_employees::manager_id)
                            .eq(grand.field(nj_employees::id).nullable())),
                    )
                    .select((
                        nj_employees::name,
                        managers.field(nj_employees::name),
                        grand.field(nj_employees::name),
                    ))
                    .load(&mut conn)?;
            assert_eq!(rows, [(s("deva"), s("mida"), s("bossa"))]);
            Ok(())
        }

        #[test]
        fn implicit_join_of_a_joinable_table_to_an_alias() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let authors = diesel::alias!(nj_users as authors);
            let rows: Vec<(String, String)> = nj_posts::table
                .in_schema(&t)
                .inner_join(authors.in_schema(&t))
                .filter(authors.field(nj_users::name).eq("anna"))
                .select((nj_posts::title, authors.field(nj_users::name)))
                .order(nj_posts::id)
                .load(&mut conn)?;
            assert_eq!(rows, [(s("p1a"), s("anna")), (s("p2a"), s("anna"))]);
            Ok(())
        }

        #[test]
        fn the_alias_reads_only_its_schema() -> QueryResult<()> {
            let (_guard, mut conn, t1, t2) = setup();
            if !HAS_SCHEMAS {
                return Ok(());
            }
            let managers = diesel::alias!(nj_employees as managers);
            let rows: Vec<(String, String)> =
                nj_employees::table
                    .in_schema(&t2)
                    .inner_join(managers.in_schema(&t2).on(
                        nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable()),
                    ))
                    .select((nj_employees::name, managers.field(nj_employees::name)))
                    .order(nj_employees::id)
                    .load(&mut conn)?;
            assert_eq!(rows, [(s("midb"), s("bossb")), (s("devb"), s("midb"))]);
            // Employees of one tenant, managers of the other: the schema of
            // each side is the one it was given.
            let mixed: Vec<(String, String)> =
                nj_employees::table
                    .in_schema(&t1)
                    .inner_join(managers.in_schema(&t2).on(
                        nj_employees::manager_id.eq(managers.field(nj_employees::id).nullable()),
                    ))
                    .select((nj_employees::name, managers.field(nj_employees::name)))
                    .order(nj_employees::id)
                    .load(&mut conn)?;
            assert_eq!(mixed, [(s("mida"), s("bossb")), (s("deva"), s("midb"))]);
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::join_tables::postgres::{setup, HAS_SCHEMAS};

    aliases_suite!();
}

mod sqlite {
    use crate::common::join_tables::sqlite::{setup, HAS_SCHEMAS};

    aliases_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::join_tables::mysql::{setup, HAS_SCHEMAS};

    aliases_suite!();
}
