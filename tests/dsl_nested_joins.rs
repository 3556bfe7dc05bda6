//! Nested joins of scoped tables, spelled as in diesel:
//! `users.in_schema(s).inner_join(posts.in_schema(s).inner_join(comments.in_schema(s)))`
//! and the `left_join` forms, selecting and filtering columns of all three
//! tables; the SQL asserted per backend and the rows read on real PostgreSQL,
//! SQLite and MySQL (MariaDB).
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

fn owned3(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}

/// The SQL of the three-table inner join, per backend.
#[test]
fn nested_inner_join_sql() {
    let q = nj_users::table
        .in_schema("t1")
        .inner_join(
            nj_posts::table
                .in_schema("t1")
                .inner_join(nj_comments::table.in_schema("t1")),
        )
        .filter(nj_comments::body.ne("x"))
        .select((nj_users::name, nj_posts::title, nj_comments::body));
    assert_eq!(
        ryx::to_sql::<diesel::pg::Pg, _>(&q).unwrap(),
        r#"SELECT "nj_users"."name", "nj_posts"."title", "nj_comments"."body" FROM ("t1"."nj_users" INNER JOIN ("t1"."nj_posts" INNER JOIN "t1"."nj_comments" ON ("nj_comments"."post_id" = "nj_posts"."id")) ON ("nj_posts"."user_id" = "nj_users"."id")) WHERE ("nj_comments"."body" != $1)"#
    );
    assert_eq!(
        ryx::to_sql::<diesel::sqlite::Sqlite, _>(&q).unwrap(),
        r#"SELECT `nj_users`.`name`, `nj_posts`.`title`, `nj_comments`.`body` FROM (`nj_users` INNER JOIN (`nj_posts` INNER JOIN `nj_comments` ON (`nj_comments`.`post_id` = `nj_posts`.`id`)) ON (`nj_posts`.`user_id` = `nj_users`.`id`)) WHERE (`nj_comments`.`body` != ?)"#
    );
    #[cfg(feature = "mysql")]
    assert_eq!(
        ryx::to_sql::<diesel::mysql::Mysql, _>(&q).unwrap(),
        r#"SELECT `nj_users`.`name`, `nj_posts`.`title`, `nj_comments`.`body` FROM (`nj_users` INNER JOIN (`nj_posts` INNER JOIN `nj_comments` ON (`nj_comments`.`post_id` = `nj_posts`.`id`)) ON (`nj_posts`.`user_id` = `nj_users`.`id`)) WHERE (`nj_comments`.`body` != ?)"#
    );
}

/// The SQL of the left-join forms on PostgreSQL, where the schema shows.
#[test]
fn nested_left_join_sql() {
    let outer = nj_users::table.in_schema("t1").left_join(
        nj_posts::table
            .in_schema("t1")
            .left_join(nj_comments::table.in_schema("t1")),
    );
    assert_eq!(
        ryx::to_sql::<diesel::pg::Pg, _>(&outer.select((
            nj_users::name,
            nj_posts::title.nullable(),
            nj_comments::body.nullable()
        )))
        .unwrap(),
        r#"SELECT "nj_users"."name", "nj_posts"."title", "nj_comments"."body" FROM ("t1"."nj_users" LEFT OUTER JOIN ("t1"."nj_posts" LEFT OUTER JOIN "t1"."nj_comments" ON ("nj_comments"."post_id" = "nj_posts"."id")) ON ("nj_posts"."user_id" = "nj_users"."id"))"#
    );
    let inner_left = nj_users::table.in_schema("t1").inner_join(
        nj_posts::table
            .in_schema("t1")
            .left_join(nj_comments::table.in_schema("t1")),
    );
    assert_eq!(
        ryx::to_sql::<diesel::pg::Pg, _>(&inner_left.select((
            nj_users::name,
            nj_posts::title,
            nj_comments::body.nullable()
        )))
        .unwrap(),
        r#"SELECT "nj_users"."name", "nj_posts"."title", "nj_comments"."body" FROM ("t1"."nj_users" INNER JOIN ("t1"."nj_posts" LEFT OUTER JOIN "t1"."nj_comments" ON ("nj_comments"."post_id" = "nj_posts"."id")) ON ("nj_posts"."user_id" = "nj_users"."id"))"#
    );
    let left_inner = nj_users::table.in_schema("t1").left_join(
        nj_posts::table
            .in_schema("t1")
            .inner_join(nj_comments::table.in_schema("t1")),
    );
    assert_eq!(
        ryx::to_sql::<diesel::sqlite::Sqlite, _>(&left_inner.select((
            nj_users::name,
            nj_posts::title.nullable(),
            nj_comments::body.nullable()
        )))
        .unwrap(),
        r#"SELECT `nj_users`.`name`, `nj_posts`.`title`, `nj_comments`.`body` FROM (`nj_users` LEFT OUTER JOIN (`nj_posts` INNER JOIN `nj_comments` ON (`nj_comments`.`post_id` = `nj_posts`.`id`)) ON (`nj_posts`.`user_id` = `nj_users`.`id`))"#
    );
}

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `setup` and `HAS_SCHEMAS` from `common::join_tables`.
macro_rules! nested_joins_suite {
    () => {
        use super::*;

        #[test]
        fn nested_inner_join_selects_and_filters_all_three_tables() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let rows: Vec<(String, String, String)> = nj_users::table
                .in_schema(&t)
                .inner_join(
                    nj_posts::table
                        .in_schema(&t)
                        .inner_join(nj_comments::table.in_schema(&t)),
                )
                .filter(nj_users::id.ge(1))
                .filter(nj_posts::id.ne(2))
                .filter(nj_comments::id.ne(2))
                .select((nj_users::name, nj_posts::title, nj_comments::body))
                .order(nj_comments::id)
                .load(&mut conn)?;
            assert_eq!(
                rows,
                owned3(&[("anna", "p1a", "c1a"), ("bena", "p3a", "c3a")])
            );
            // The other direction: comments up to their post and its user.
            let up: Vec<(String, String, String)> = nj_comments::table
                .in_schema(&t)
                .inner_join(
                    nj_posts::table
                        .in_schema(&t)
                        .inner_join(nj_users::table.in_schema(&t)),
                )
                .filter(nj_users::name.eq("anna"))
                .select((nj_comments::body, nj_posts::title, nj_users::name))
                .order(nj_comments::id)
                .load(&mut conn)?;
            assert_eq!(
                up,
                owned3(&[("c1a", "p1a", "anna"), ("c2a", "p1a", "anna")])
            );
            Ok(())
        }

        #[test]
        fn nested_left_joins() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            // left_join(left_join): every user, post and comment.
            let all: Vec<(String, Option<String>, Option<String>)> = nj_users::table
                .in_schema(&t)
                .left_join(
                    nj_posts::table
                        .in_schema(&t)
                        .left_join(nj_comments::table.in_schema(&t)),
                )
                .select((
                    nj_users::name,
                    nj_posts::title.nullable(),
                    nj_comments::body.nullable(),
                ))
                .order((
                    nj_users::id,
                    nj_posts::id.nullable(),
                    nj_comments::id.nullable(),
                ))
                .load(&mut conn)?;
            let s = |v: &str| Some(v.to_owned());
            assert_eq!(
                all,
                [
                    ("anna".to_owned(), s("p1a"), s("c1a")),
                    ("anna".to_owned(), s("p1a"), s("c2a")),
                    ("anna".to_owned(), s("p2a"), None),
                    ("bena".to_owned(), s("p3a"), s("c3a")),
                ]
            );
            // inner_join(left_join), filtered on the missing comment.
            let uncommented: Vec<(String, String)> = nj_users::table
                .in_schema(&t)
                .inner_join(
                    nj_posts::table
                        .in_schema(&t)
                        .left_join(nj_comments::table.in_schema(&t)),
                )
                .filter(nj_comments::id.is_null())
                .select((nj_users::name, nj_posts::title))
                .load(&mut conn)?;
            assert_eq!(uncommented, [("anna".to_owned(), "p2a".to_owned())]);
            // left_join(inner_join): ben's post is kept only with a comment.
            let with_comments: Vec<(String, Option<String>, Option<String>)> = nj_users::table
                .in_schema(&t)
                .left_join(
                    nj_posts::table
                        .in_schema(&t)
                        .inner_join(nj_comments::table.in_schema(&t)),
                )
                .filter(nj_users::name.eq("bena"))
                .select((
                    nj_users::name,
                    nj_posts::title.nullable(),
                    nj_comments::body.nullable(),
                ))
                .load(&mut conn)?;
            assert_eq!(with_comments, [("bena".to_owned(), s("p3a"), s("c3a"))]);
            Ok(())
        }

        #[test]
        fn nested_join_reads_only_its_schema() -> QueryResult<()> {
            let (_guard, mut conn, _, t2) = setup();
            if !HAS_SCHEMAS {
                return Ok(());
            }
            let rows: Vec<(String, String, String)> = nj_users::table
                .in_schema(&t2)
                .inner_join(
                    nj_posts::table
                        .in_schema(&t2)
                        .inner_join(nj_comments::table.in_schema(&t2)),
                )
                .select((nj_users::name, nj_posts::title, nj_comments::body))
                .order(nj_comments::id)
                .load(&mut conn)?;
            assert_eq!(
                rows,
                owned3(&[
                    ("annb", "p1b", "c1b"),
                    ("annb", "p1b", "c2b"),
                    ("benb", "p3b", "c3b")
                ])
            );
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::join_tables::postgres::{setup, HAS_SCHEMAS};

    nested_joins_suite!();
}

mod sqlite {
    use crate::common::join_tables::sqlite::{setup, HAS_SCHEMAS};

    nested_joins_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::join_tables::mysql::{setup, HAS_SCHEMAS};

    nested_joins_suite!();
}
