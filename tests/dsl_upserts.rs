//! Upserts on a scoped table, on real PostgreSQL, SQLite and MySQL (MariaDB),
//! spelled as diesel spells them, with the SQL asserted per backend.
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
use diesel::query_builder::QueryId;
use diesel::upsert::excluded;
use ryx::prelude::*;

fn has_static_query_id<Q: QueryId>(_: &Q) -> bool {
    Q::HAS_STATIC_QUERY_ID
}

/// `(id, views)` of every row in the tenant's `up_posts`, by id.
macro_rules! views {
    ($conn:expr, $t:expr) => {
        up_posts::table
            .in_schema($t)
            .select((up_posts::id, up_posts::views))
            .order(up_posts::id)
            .load::<(i64, i32)>($conn)
            .unwrap()
    };
}

mod postgres {
    use super::*;
    use crate::common::upsert_tables::postgres::setup;
    use diesel::pg::Pg;

    #[test]
    fn do_update_on_id_with_excluded() -> QueryResult<()> {
        let (_g, mut conn, t, _) = setup();
        let s = ryx::quote_identifier(&t, '"');
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(1, "a", "en", 1))
            .execute(&mut conn)?;
        let stmt = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(1, "a", "en", 5))
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)));
        assert_eq!(
            ryx::to_sql::<Pg, _>(&stmt)?,
            format!(
                r#"INSERT INTO {s}."up_posts" ("id", "slug", "lang", "views") VALUES ($1, $2, $3, $4) ON CONFLICT ("id") DO UPDATE SET "views" = excluded."views""#
            )
        );
        let plain = diesel::insert_into(up_posts::table)
            .values(up_post(1, "a", "en", 5))
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)));
        assert_eq!(
            ryx::to_sql::<Pg, _>(&stmt)?,
            ryx::to_sql::<Pg, _>(&plain)?.replacen(
                r#"INTO "up_posts""#,
                &format!(r#"INTO {s}."up_posts""#),
                1
            )
        );
        assert!(!has_static_query_id(&stmt));
        assert_eq!(stmt.execute(&mut conn)?, 1);
        assert_eq!(views!(&mut conn, &t), [(1, 5)]);
        Ok(())
    }

    #[test]
    fn composite_target_batch_and_returning() -> QueryResult<()> {
        let (_g, mut conn, t, _) = setup();
        let s = ryx::quote_identifier(&t, '"');
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&vec![up_post(1, "a", "en", 1), up_post(2, "a", "de", 2)])
            .execute(&mut conn)?;
        let batch = vec![up_post(3, "a", "en", 10), up_post(4, "b", "en", 20)];
        let stmt = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&batch)
            .on_conflict((up_posts::slug, up_posts::lang))
            .do_update()
            .set(up_posts::views.eq(up_posts::views + excluded(up_posts::views)))
            .returning((up_posts::id, up_posts::views));
        assert_eq!(
            ryx::to_sql::<Pg, _>(&stmt)?,
            format!(
                r#"INSERT INTO {s}."up_posts" ("id", "slug", "lang", "views") VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) ON CONFLICT ("slug", "lang") DO UPDATE SET "views" = ("up_posts"."views" + excluded."views") RETURNING "up_posts"."id", "up_posts"."views""#
            )
        );
        let mut rows: Vec<(i64, i32)> = stmt.get_results(&mut conn)?;
        rows.sort();
        assert_eq!(rows, [(1, 11), (4, 20)]);
        // get_result without returning: the whole row
        let row: UpPost = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(9, "b", "en", 1))
            .on_conflict((up_posts::slug, up_posts::lang))
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)))
            .get_result(&mut conn)?;
        assert_eq!(row, up_post(4, "b", "en", 1));
        Ok(())
    }

    #[test]
    fn do_nothing_with_and_without_target() -> QueryResult<()> {
        let (_g, mut conn, t, _) = setup();
        let s = ryx::quote_identifier(&t, '"');
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(1, "a", "en", 1))
            .execute(&mut conn)?;
        let rows = vec![up_post(1, "x", "en", 7), up_post(2, "y", "en", 7)];
        let any = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&rows)
            .on_conflict_do_nothing();
        assert_eq!(
            ryx::to_sql::<Pg, _>(&any)?,
            format!(
                r#"INSERT INTO {s}."up_posts" ("id", "slug", "lang", "views") VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) ON CONFLICT DO NOTHING"#
            )
        );
        assert_eq!(any.execute(&mut conn)?, 1);
        let pair = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(3, "a", "en", 9))
            .on_conflict((up_posts::slug, up_posts::lang))
            .do_nothing();
        assert_eq!(
            ryx::to_sql::<Pg, _>(&pair)?,
            format!(
                r#"INSERT INTO {s}."up_posts" ("id", "slug", "lang", "views") VALUES ($1, $2, $3, $4) ON CONFLICT ("slug", "lang") DO NOTHING"#
            )
        );
        assert_eq!(pair.execute(&mut conn)?, 0);
        // a skipped row returns nothing
        let none: Option<i64> = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(1, "z", "en", 9))
            .on_conflict(up_posts::id)
            .do_nothing()
            .returning(up_posts::id)
            .get_result(&mut conn)
            .optional()?;
        assert_eq!(none, None);
        assert_eq!(views!(&mut conn, &t), [(1, 1), (2, 7)]);
        Ok(())
    }

    #[test]
    fn same_statement_in_two_tenants_stays_in_each() -> QueryResult<()> {
        let (_g, mut conn, t, u) = setup();
        for (tenant, v) in [(&t, 1), (&u, 2), (&t, 3), (&u, 4)] {
            ryx::insert_into(up_posts::table.in_schema(tenant))
                .values(up_post(1, "a", "en", v))
                .on_conflict(up_posts::id)
                .do_update()
                .set(up_posts::views.eq(excluded(up_posts::views)))
                .execute(&mut conn)?;
        }
        assert_eq!(views!(&mut conn, &t), [(1, 3)]);
        assert_eq!(views!(&mut conn, &u), [(1, 4)]);
        Ok(())
    }

    #[test]
    fn invalid_schema_name_sends_no_sql() {
        let (_g, mut conn, t, _) = setup();
        let stmt = ryx::insert_into(up_posts::table.in_schema(""))
            .values(up_post(1, "a", "en", 1))
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)));
        assert!(ryx::to_sql::<Pg, _>(&stmt).is_err());
        assert!(stmt.execute(&mut conn).is_err());
        assert!(ryx::insert_into(up_posts::table.in_schema("bad\0name"))
            .values(up_post(1, "a", "en", 1))
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .is_err());
        assert_eq!(views!(&mut conn, &t), []);
    }
}

mod sqlite {
    use super::*;
    use crate::common::upsert_tables::sqlite::setup;
    use diesel::sqlite::Sqlite;

    #[test]
    fn do_update_composite_and_do_nothing() -> QueryResult<()> {
        let (_g, mut conn, t, _) = setup();
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&vec![up_post(1, "a", "en", 1), up_post(2, "a", "de", 2)])
            .execute(&mut conn)?;
        let stmt = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(1, "a", "en", 5))
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)));
        let sql = ryx::to_sql::<Sqlite, _>(&stmt)?;
        assert_eq!(
            sql,
            "INSERT INTO `up_posts` (`id`, `slug`, `lang`, `views`) VALUES (?, ?, ?, ?) ON CONFLICT (`id`) DO UPDATE SET `views` = excluded.`views`"
        );
        let plain = diesel::insert_into(up_posts::table)
            .values(up_post(1, "a", "en", 5))
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)));
        assert_eq!(sql, ryx::to_sql::<Sqlite, _>(&plain)?);
        assert!(!has_static_query_id(&stmt));
        assert_eq!(stmt.execute(&mut conn)?, 1);

        let pair = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(3, "a", "de", 10))
            .on_conflict((up_posts::slug, up_posts::lang))
            .do_update()
            .set(up_posts::views.eq(up_posts::views + excluded(up_posts::views)));
        assert_eq!(
            ryx::to_sql::<Sqlite, _>(&pair)?,
            "INSERT INTO `up_posts` (`id`, `slug`, `lang`, `views`) VALUES (?, ?, ?, ?) ON CONFLICT (`slug`, `lang`) DO UPDATE SET `views` = (`up_posts`.`views` + excluded.`views`)"
        );
        pair.execute(&mut conn)?;

        let nothing = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(1, "x", "en", 99))
            .on_conflict_do_nothing();
        assert_eq!(
            ryx::to_sql::<Sqlite, _>(&nothing)?,
            "INSERT INTO `up_posts` (`id`, `slug`, `lang`, `views`) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
        );
        assert_eq!(nothing.execute(&mut conn)?, 0);
        let target_nothing = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(7, "a", "en", 99))
            .on_conflict((up_posts::slug, up_posts::lang))
            .do_nothing();
        assert_eq!(
            ryx::to_sql::<Sqlite, _>(&target_nothing)?,
            "INSERT INTO `up_posts` (`id`, `slug`, `lang`, `views`) VALUES (?, ?, ?, ?) ON CONFLICT (`slug`, `lang`) DO NOTHING"
        );
        assert_eq!(target_nothing.execute(&mut conn)?, 0);
        assert_eq!(views!(&mut conn, &t), [(1, 5), (2, 12)]);
        Ok(())
    }

    #[test]
    fn invalid_schema_name_sends_no_sql() {
        let (_g, mut conn, t, _) = setup();
        let stmt = ryx::insert_into(up_posts::table.in_schema(""))
            .values(up_post(1, "a", "en", 1))
            .on_conflict_do_nothing();
        assert!(ryx::to_sql::<Sqlite, _>(&stmt).is_err());
        assert!(stmt.execute(&mut conn).is_err());
        assert_eq!(views!(&mut conn, &t), []);
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use crate::common::upsert_tables::mysql::setup;
    use diesel::dsl::DuplicatedKeys;
    use diesel::mysql::Mysql;

    #[test]
    fn on_duplicate_key_update_and_do_nothing() -> QueryResult<()> {
        let (_g, mut conn, t, _) = setup();
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&vec![up_post(1, "a", "en", 1), up_post(2, "a", "de", 2)])
            .execute(&mut conn)?;
        let batch = vec![up_post(1, "a", "en", 5), up_post(3, "a", "de", 10)];
        let stmt = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&batch)
            .on_conflict(DuplicatedKeys)
            .do_update()
            .set(up_posts::views.eq(up_posts::views + 100));
        let sql = ryx::to_sql::<Mysql, _>(&stmt)?;
        assert_eq!(
            sql,
            "INSERT INTO `up_posts` (`id`, `slug`, `lang`, `views`) VALUES (?, ?, ?, ?), (?, ?, ?, ?) ON DUPLICATE KEY UPDATE `views` = (`up_posts`.`views` + ?)"
        );
        let plain = diesel::insert_into(up_posts::table)
            .values(&batch)
            .on_conflict(DuplicatedKeys)
            .do_update()
            .set(up_posts::views.eq(up_posts::views + 100));
        assert_eq!(sql, ryx::to_sql::<Mysql, _>(&plain)?);
        assert!(!has_static_query_id(&stmt));
        stmt.execute(&mut conn)?;
        // (1, en) hits the primary key, (a, de) the unique pair: both updated
        assert_eq!(views!(&mut conn, &t), [(1, 101), (2, 102)]);

        let nothing = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(1, "x", "en", 99))
            .on_conflict_do_nothing();
        let sql = ryx::to_sql::<Mysql, _>(&nothing)?;
        assert_eq!(
            sql,
            "INSERT INTO `up_posts` (`id`, `slug`, `lang`, `views`) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE `up_posts`.`id` = `up_posts`.`id`"
        );
        let plain = diesel::insert_into(up_posts::table)
            .values(up_post(1, "x", "en", 99))
            .on_conflict_do_nothing();
        assert_eq!(sql, ryx::to_sql::<Mysql, _>(&plain)?);
        nothing.execute(&mut conn)?;
        let keys_nothing = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(up_post(9, "a", "en", 99))
            .on_conflict(DuplicatedKeys)
            .do_nothing();
        keys_nothing.execute(&mut conn)?;
        assert_eq!(views!(&mut conn, &t), [(1, 101), (2, 102)]);
        Ok(())
    }

    #[test]
    fn invalid_schema_name_sends_no_sql() {
        let (_g, mut conn, t, _) = setup();
        let stmt = ryx::insert_into(up_posts::table.in_schema(""))
            .values(up_post(1, "a", "en", 1))
            .on_conflict_do_nothing();
        assert!(ryx::to_sql::<Mysql, _>(&stmt).is_err());
        assert!(stmt.execute(&mut conn).is_err());
        assert_eq!(views!(&mut conn, &t), []);
    }
}
