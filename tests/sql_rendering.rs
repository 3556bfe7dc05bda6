//! The exact SQL a scoped statement sends, per backend: the schema on
//! PostgreSQL, nothing on SQLite and MySQL.
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

use common::tables::*;
use ryx::prelude::*;

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use diesel::pg::Pg;

    #[test]
    fn select_renders_the_qualified_table() {
        let q = ms_posts::table
            .in_schema("tenant2")
            .filter(ms_posts::active.eq(true))
            .filter(ms_posts::views.ge(100))
            .order(ms_posts::created_at.desc())
            .select((ms_posts::id, ms_posts::title));
        assert_eq!(
            diesel::debug_query::<Pg, _>(&q).to_string(),
            r#"SELECT "ms_posts"."id", "ms_posts"."title" FROM "tenant2"."ms_posts" WHERE (("ms_posts"."active" = $1) AND ("ms_posts"."views" >= $2)) ORDER BY "ms_posts"."created_at" DESC -- binds: [true, 100]"#
        );
    }

    #[test]
    fn insert_update_delete_render_the_qualified_table() -> QueryResult<()> {
        let insert = ryx::insert_into(ms_authors::table.in_schema("tenant2"))
            .values(ms_authors::name.eq("ada"));
        assert_eq!(
            insert.to_sql::<Pg>()?,
            r#"INSERT INTO "tenant2"."ms_authors" ("name") VALUES ($1)"#
        );
        let rows = vec![new_post(1, "a", 1, true, 1), new_post(1, "b", 2, true, 1)];
        let batch = ryx::insert_into(ms_posts::table.in_schema("tenant2")).values(&rows);
        assert_eq!(
            batch.to_sql::<Pg>()?,
            r#"INSERT INTO "tenant2"."ms_posts" ("author_id", "title", "views", "active", "created_at") VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10)"#
        );
        let update = ryx::update(ms_posts::table.in_schema("tenant2"))
            .filter(ms_posts::id.eq(7))
            .set(ms_posts::views.eq(5));
        assert_eq!(
            diesel::debug_query::<Pg, _>(&update).to_string(),
            r#"UPDATE "tenant2"."ms_posts" SET "views" = $1 WHERE ("ms_posts"."id" = $2) -- binds: [5, 7]"#
        );
        let delete =
            ryx::delete(ms_posts::table.in_schema("tenant2")).filter(ms_posts::active.eq(false));
        assert_eq!(
            diesel::debug_query::<Pg, _>(&delete).to_string(),
            r#"DELETE FROM "tenant2"."ms_posts" WHERE ("ms_posts"."active" = $1) -- binds: [false]"#
        );
        let returning = ryx::delete(ms_posts::table.in_schema("t")).returning(ms_posts::id);
        assert_eq!(
            ryx::to_sql::<Pg, _>(&returning)?,
            r#"DELETE FROM "t"."ms_posts" RETURNING "ms_posts"."id""#
        );
        Ok(())
    }

    #[test]
    fn joins_of_two_scoped_tables() -> QueryResult<()> {
        let inner = ms_posts::table
            .in_schema("t1")
            .inner_join(ms_authors::table.in_schema("t1"))
            .select((ms_posts::title, ms_authors::name));
        assert_eq!(
            ryx::to_sql::<Pg, _>(&inner)?,
            r#"SELECT "ms_posts"."title", "ms_authors"."name" FROM ("t1"."ms_posts" INNER JOIN "t1"."ms_authors" ON ("ms_posts"."author_id" = "ms_authors"."id"))"#
        );
        let left = ms_authors::table
            .in_schema("t1")
            .left_join(ms_posts::table.in_schema("t1"))
            .select((ms_authors::name, ms_posts::title.nullable()));
        assert_eq!(
            ryx::to_sql::<Pg, _>(&left)?,
            r#"SELECT "ms_authors"."name", "ms_posts"."title" FROM ("t1"."ms_authors" LEFT OUTER JOIN "t1"."ms_posts" ON ("ms_posts"."author_id" = "ms_authors"."id"))"#
        );
        Ok(())
    }

    #[test]
    fn subqueries_and_boxed_queries_keep_the_schema() -> QueryResult<()> {
        let q = ms_posts::table
            .in_schema("t1")
            .filter(
                ms_posts::author_id
                    .eq_any(ms_authors::table.in_schema("t1").select(ms_authors::id)),
            )
            .count();
        assert_eq!(
            ryx::to_sql::<Pg, _>(&q)?,
            r#"SELECT COUNT(*) FROM "t1"."ms_posts" WHERE ("ms_posts"."author_id" = ANY(SELECT "ms_authors"."id" FROM "t1"."ms_authors"))"#
        );
        let boxed = ms_authors::table
            .in_schema("t1")
            .into_boxed::<Pg>()
            .filter(ms_authors::id.eq(1));
        assert_eq!(
            ryx::to_sql::<Pg, _>(&boxed)?,
            r#"SELECT "ms_authors"."id", "ms_authors"."name" FROM "t1"."ms_authors" WHERE ("ms_authors"."id" = $1)"#
        );
        Ok(())
    }

    #[test]
    fn hostile_names_are_quoted_with_quotes_doubled() -> QueryResult<()> {
        let q = ms_authors::table
            .in_schema(r#"t"; DROP TABLE x; --"#)
            .select(ms_authors::id);
        assert_eq!(
            ryx::to_sql::<Pg, _>(&q)?,
            r#"SELECT "ms_authors"."id" FROM "t""; DROP TABLE x; --"."ms_authors""#
        );
        let q = ms_authors::table
            .in_schema("Tenant-ü 1")
            .select(ms_authors::id);
        assert_eq!(
            ryx::to_sql::<Pg, _>(&q)?,
            r#"SELECT "ms_authors"."id" FROM "Tenant-ü 1"."ms_authors""#
        );
        Ok(())
    }

    #[test]
    fn to_sql_returns_the_error_debug_query_would_panic_on() {
        let q = ms_authors::table.in_schema("").select(ms_authors::id);
        let err = ryx::to_sql::<Pg, _>(&q).expect_err("empty name");
        assert!(err.to_string().contains("schema name is empty"), "{err}");
        let long = "a".repeat(64);
        let q = ms_authors::table
            .in_schema(long.as_str())
            .select(ms_authors::id);
        let err = ryx::to_sql::<Pg, _>(&q).expect_err("too long");
        assert!(err.to_string().contains("64 bytes"), "{err}");
        let insert =
            ryx::insert_into(ms_authors::table.in_schema("")).values(ms_authors::name.eq("x"));
        assert!(insert.to_sql::<Pg>().is_err());
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use diesel::sqlite::Sqlite;

    #[test]
    fn the_schema_is_a_no_op() -> QueryResult<()> {
        let q = ms_posts::table
            .in_schema("tenant2")
            .filter(ms_posts::active.eq(true))
            .select(ms_posts::title);
        assert_eq!(
            diesel::debug_query::<Sqlite, _>(&q).to_string(),
            "SELECT `ms_posts`.`title` FROM `ms_posts` WHERE (`ms_posts`.`active` = ?) -- binds: [true]"
        );
        let insert = ryx::insert_into(ms_authors::table.in_schema("tenant2"))
            .values(ms_authors::name.eq("ada"));
        assert_eq!(
            insert.to_sql::<Sqlite>()?,
            "INSERT INTO `ms_authors` (`name`) VALUES (?)"
        );
        let update = ryx::update(ms_posts::table.in_schema("tenant2"))
            .filter(ms_posts::id.eq(7))
            .set(ms_posts::views.eq(5));
        assert_eq!(
            ryx::to_sql::<Sqlite, _>(&update)?,
            "UPDATE `ms_posts` SET `views` = ? WHERE (`ms_posts`.`id` = ?)"
        );
        let delete =
            ryx::delete(ms_posts::table.in_schema("tenant2")).filter(ms_posts::active.eq(false));
        assert_eq!(
            ryx::to_sql::<Sqlite, _>(&delete)?,
            "DELETE FROM `ms_posts` WHERE (`ms_posts`.`active` = ?)"
        );
        let join = ms_posts::table
            .in_schema("t")
            .inner_join(ms_authors::table.in_schema("t"))
            .select(ms_authors::name);
        assert_eq!(
            ryx::to_sql::<Sqlite, _>(&join)?,
            "SELECT `ms_authors`.`name` FROM (`ms_posts` INNER JOIN `ms_authors` ON (`ms_posts`.`author_id` = `ms_authors`.`id`))"
        );
        Ok(())
    }

    #[test]
    fn invalid_names_are_refused_even_though_ignored() {
        let q = ms_authors::table.in_schema("").select(ms_authors::id);
        assert!(ryx::to_sql::<Sqlite, _>(&q).is_err());
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use diesel::mysql::Mysql;

    #[test]
    fn the_schema_is_a_no_op() -> QueryResult<()> {
        let q = ms_posts::table
            .in_schema("tenant2")
            .filter(ms_posts::active.eq(true))
            .select(ms_posts::title);
        assert_eq!(
            diesel::debug_query::<Mysql, _>(&q).to_string(),
            "SELECT `ms_posts`.`title` FROM `ms_posts` WHERE (`ms_posts`.`active` = ?) -- binds: [true]"
        );
        let rows = vec![new_post(1, "a", 1, true, 1), new_post(1, "b", 2, true, 1)];
        let insert = ryx::insert_into(ms_posts::table.in_schema("tenant2")).values(&rows);
        assert_eq!(
            insert.to_sql::<Mysql>()?,
            "INSERT INTO `ms_posts` (`author_id`, `title`, `views`, `active`, `created_at`) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)"
        );
        let update = ryx::update(ms_posts::table.in_schema("tenant2"))
            .filter(ms_posts::id.eq(7))
            .set(ms_posts::views.eq(5));
        assert_eq!(
            ryx::to_sql::<Mysql, _>(&update)?,
            "UPDATE `ms_posts` SET `views` = ? WHERE (`ms_posts`.`id` = ?)"
        );
        let delete =
            ryx::delete(ms_posts::table.in_schema("tenant2")).filter(ms_posts::active.eq(false));
        assert_eq!(
            ryx::to_sql::<Mysql, _>(&delete)?,
            "DELETE FROM `ms_posts` WHERE (`ms_posts`.`active` = ?)"
        );
        Ok(())
    }
}
