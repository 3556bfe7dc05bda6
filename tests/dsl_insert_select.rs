//! `ryx::insert_into(t.in_schema(s)).values(select).into_columns(..)` on real
//! PostgreSQL, SQLite and MySQL (MariaDB), with the SQL asserted per backend.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::upsert_tables::*;
use ryx::prelude::*;

/// Seeds two drafts, copies them into `up_archive` with `.into_columns`, and
/// returns the SQL of that insert.
macro_rules! copy_drafts {
    ($db:ty, $conn:expr, $t:expr) => {{
        ryx::insert_into(up_drafts::table.in_schema($t))
            .values(&vec![
                (up_drafts::title.eq("one"), up_drafts::views.eq(1)),
                (up_drafts::title.eq("two"), up_drafts::views.eq(2)),
            ])
            .execute($conn)?;
        let stmt = ryx::insert_into(up_archive::table.in_schema($t))
            .values(
                up_drafts::table
                    .in_schema($t)
                    .filter(up_drafts::views.gt(0))
                    .select((up_drafts::title, up_drafts::views)),
            )
            .into_columns((up_archive::title, up_archive::views));
        let sql = stmt.to_sql::<$db>()?;
        assert_eq!(stmt.execute($conn)?, 2);
        // a single column: views take the column default
        let titles_only = ryx::insert_into(up_archive::table.in_schema($t))
            .values(up_drafts::table.in_schema($t).select(up_drafts::title))
            .into_columns(up_archive::title);
        let sql_one = titles_only.to_sql::<$db>()?;
        assert_eq!(titles_only.execute($conn)?, 2);
        let rows: Vec<(String, i32)> = up_archive::table
            .in_schema($t)
            .select((up_archive::title, up_archive::views))
            .order((up_archive::views.desc(), up_archive::title))
            .load($conn)?;
        assert_eq!(
            rows,
            [
                ("two".to_owned(), 2),
                ("one".to_owned(), 1),
                ("one".to_owned(), 0),
                ("two".to_owned(), 0)
            ]
        );
        // an invalid schema in the target or in the select: error, no SQL
        let bad = ryx::insert_into(up_archive::table.in_schema(""))
            .values(up_drafts::table.in_schema($t).select(up_drafts::title))
            .into_columns(up_archive::title);
        assert!(bad.to_sql::<$db>().is_err());
        assert!(bad.execute($conn).is_err());
        let bad = ryx::insert_into(up_archive::table.in_schema($t))
            .values(up_drafts::table.in_schema("").select(up_drafts::title))
            .into_columns(up_archive::title);
        assert!(bad.to_sql::<$db>().is_err());
        assert!(bad.execute($conn).is_err());
        (sql, sql_one)
    }};
}

#[test]
fn postgres() -> QueryResult<()> {
    let (_g, mut conn, t, _) = postgres::setup();
    let s = ryx::quote_identifier(&t, '"');
    let (sql, sql_one) = copy_drafts!(diesel::pg::Pg, &mut conn, &t);
    assert_eq!(
        sql,
        format!(
            r#"INSERT INTO {s}."up_archive" ("title", "views") SELECT "up_drafts"."title", "up_drafts"."views" FROM {s}."up_drafts" WHERE ("up_drafts"."views" > $1)"#
        )
    );
    assert_eq!(
        sql_one,
        format!(
            r#"INSERT INTO {s}."up_archive" ("title") SELECT "up_drafts"."title" FROM {s}."up_drafts""#
        )
    );
    Ok(())
}

#[test]
fn sqlite() -> QueryResult<()> {
    let (_g, mut conn, t, _) = sqlite::setup();
    let (sql, sql_one) = copy_drafts!(diesel::sqlite::Sqlite, &mut conn, &t);
    assert_eq!(
        sql,
        "INSERT INTO `up_archive` (`title`, `views`) SELECT `up_drafts`.`title`, `up_drafts`.`views` FROM `up_drafts` WHERE (`up_drafts`.`views` > ?)"
    );
    assert_eq!(
        sql_one,
        "INSERT INTO `up_archive` (`title`) SELECT `up_drafts`.`title` FROM `up_drafts`"
    );
    Ok(())
}

#[cfg(feature = "mysql")]
#[test]
fn mysql() -> QueryResult<()> {
    let (_g, mut conn, t, _) = mysql::setup();
    let (sql, sql_one) = copy_drafts!(diesel::mysql::Mysql, &mut conn, &t);
    assert_eq!(
        sql,
        "INSERT INTO `up_archive` (`title`, `views`) SELECT `up_drafts`.`title`, `up_drafts`.`views` FROM `up_drafts` WHERE (`up_drafts`.`views` > ?)"
    );
    assert_eq!(
        sql_one,
        "INSERT INTO `up_archive` (`title`) SELECT `up_drafts`.`title` FROM `up_drafts`"
    );
    Ok(())
}
