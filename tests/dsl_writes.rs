//! Writes to a scoped table, on real PostgreSQL, SQLite and MySQL (MariaDB):
//! single, batch and optional-field inserts, updates with tuples and
//! changeset structs, deletes, and `returning` on PostgreSQL.
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

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `seed` and `setup` from `common::dsl`.
macro_rules! dsl_writes_suite {
    () => {
        use super::*;

        #[test]
        fn single_batch_and_optional_inserts() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let ada = seed(&mut conn, &t)?;
            let scoped = || ms_posts::table.in_schema(&t);
            // a struct by value and by reference
            assert_eq!(
                ryx::insert_into(scoped())
                    .values(new_post(ada, "v", 1, true, 6))
                    .execute(&mut conn)?,
                1
            );
            assert_eq!(
                ryx::insert_into(scoped())
                    .values(&new_post(ada, "r", 1, true, 6))
                    .execute(&mut conn)?,
                1
            );
            // a tuple of assignments
            assert_eq!(
                ryx::insert_into(scoped())
                    .values((
                        ms_posts::author_id.eq(ada),
                        ms_posts::title.eq("tuple"),
                        ms_posts::views.eq(7),
                        ms_posts::active.eq(true),
                        ms_posts::created_at.eq(at(7)),
                    ))
                    .execute(&mut conn)?,
                1
            );
            // a Vec by value, by reference, and a slice
            let batch = vec![
                new_post(ada, "v1", 1, true, 8),
                new_post(ada, "v2", 1, true, 8),
            ];
            assert_eq!(
                ryx::insert_into(scoped())
                    .values(&batch)
                    .execute(&mut conn)?,
                2
            );
            assert_eq!(
                ryx::insert_into(scoped())
                    .values(&batch[..1])
                    .execute(&mut conn)?,
                1
            );
            assert_eq!(
                ryx::insert_into(scoped())
                    .values(batch)
                    .execute(&mut conn)?,
                2
            );
            // Option fields: None takes the column default (views DEFAULT 0)
            let maybe = vec![
                NewPostMaybeViews {
                    author_id: ada,
                    title: "none".into(),
                    views: None,
                    active: true,
                    created_at: at(9),
                },
                NewPostMaybeViews {
                    author_id: ada,
                    title: "some".into(),
                    views: Some(99),
                    active: true,
                    created_at: at(9),
                },
            ];
            assert_eq!(
                ryx::insert_into(scoped())
                    .values(&maybe)
                    .execute(&mut conn)?,
                2
            );
            let views: Vec<(String, i32)> = scoped()
                .filter(ms_posts::title.eq_any(["none", "some"]))
                .select((ms_posts::title, ms_posts::views))
                .order(ms_posts::title)
                .load(&mut conn)?;
            assert_eq!(views, [("none".to_owned(), 0), ("some".to_owned(), 99)]);
            let n: i64 = scoped().count().get_result(&mut conn)?;
            assert_eq!(n, 5 + 3 + 5 + 2);
            Ok(())
        }

        #[test]
        fn update_with_tuples_and_changeset_structs() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let ada = seed(&mut conn, &t)?;
            let n = ryx::update(ms_posts::table.in_schema(&t))
                .filter(ms_posts::active.eq(false))
                .set((ms_posts::views.eq(0), ms_posts::title.eq("hidden")))
                .execute(&mut conn)?;
            assert_eq!(n, 2);
            let hidden: i64 = ms_posts::table
                .in_schema(&t)
                .filter(ms_posts::title.eq("hidden").and(ms_posts::views.eq(0)))
                .count()
                .get_result(&mut conn)?;
            assert_eq!(hidden, 2);

            let first: Post = ms_posts::table
                .in_schema(&t)
                .order(ms_posts::id)
                .first(&mut conn)?;
            let changes = new_post(ada, "rewritten", 1234, false, 20);
            let n = ryx::update(ms_posts::table.in_schema(&t))
                .filter(ms_posts::id.eq(first.id))
                .set(&changes)
                .execute(&mut conn)?;
            assert_eq!(n, 1);
            let again: Post = ms_posts::table
                .in_schema(&t)
                .find(first.id)
                .first(&mut conn)?;
            assert_eq!(
                (again.title.as_str(), again.views, again.active),
                ("rewritten", 1234, false)
            );

            // filter after set, and an arithmetic assignment
            let n = ryx::update(ms_posts::table.in_schema(&t))
                .set(ms_posts::views.eq(ms_posts::views + 1))
                .filter(ms_posts::title.eq("rewritten"))
                .execute(&mut conn)?;
            assert_eq!(n, 1);
            let views: i32 = ms_posts::table
                .in_schema(&t)
                .find(first.id)
                .select(ms_posts::views)
                .first(&mut conn)?;
            assert_eq!(views, 1235);
            Ok(())
        }

        #[test]
        fn delete_filtered_and_all() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            let n = ryx::delete(ms_posts::table.in_schema(&t))
                .filter(ms_posts::views.le(20))
                .or_filter(ms_posts::title.eq("e"))
                .execute(&mut conn)?;
            assert_eq!(n, 3);
            let n = ryx::delete(ms_posts::table.in_schema(&t)).execute(&mut conn)?;
            assert_eq!(n, 2);
            let left: i64 = ms_posts::table
                .in_schema(&t)
                .count()
                .get_result(&mut conn)?;
            assert_eq!(left, 0);
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::dsl::postgres::{seed, setup};

    dsl_writes_suite!();

    #[test]
    fn returning_and_get_results() -> QueryResult<()> {
        let (_guard, mut conn, t, _) = setup();
        let ada: Author = ryx::insert_into(ms_authors::table.in_schema(&t))
            .values(ms_authors::name.eq("ada"))
            .get_result(&mut conn)?;
        assert_eq!(ada.name, "ada");
        let ids: Vec<i64> = ryx::insert_into(ms_posts::table.in_schema(&t))
            .values(&vec![
                new_post(ada.id, "x", 1, true, 1),
                new_post(ada.id, "y", 2, true, 1),
            ])
            .returning(ms_posts::id)
            .get_results(&mut conn)?;
        assert_eq!(ids.len(), 2);
        let posts: Vec<Post> = ryx::insert_into(ms_posts::table.in_schema(&t))
            .values(&new_post(ada.id, "z", 3, true, 1))
            .get_results(&mut conn)?;
        assert_eq!(posts[0].title, "z");
        let updated: Vec<(i64, i32)> = ryx::update(ms_posts::table.in_schema(&t))
            .filter(ms_posts::id.eq_any(&ids))
            .set(ms_posts::views.eq(ms_posts::views * 10))
            .returning((ms_posts::id, ms_posts::views))
            .get_results(&mut conn)?;
        let mut views: Vec<i32> = updated.iter().map(|r| r.1).collect();
        views.sort();
        assert_eq!(views, [10, 20]);
        let deleted: Post = ryx::delete(ms_posts::table.in_schema(&t))
            .filter(ms_posts::title.eq("z"))
            .returning(ms_posts::all_columns)
            .get_result(&mut conn)?;
        assert_eq!(deleted.views, 3);
        Ok(())
    }
}

mod sqlite {
    use crate::common::dsl::sqlite::{seed, setup};

    dsl_writes_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::dsl::mysql::{seed, setup};

    dsl_writes_suite!();
}
