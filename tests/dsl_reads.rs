//! Reads on a scoped table, on real PostgreSQL, SQLite and MySQL (MariaDB),
//! the same Rust code on all three: filters, selects, ordering, limits,
//! `count`, `find`, `distinct`, `group_by`, aggregates and `into_boxed`.
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

use common::dsl::titles;
use common::tables::*;
use ryx::prelude::*;

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `seed` and `setup` from `common::dsl`.
macro_rules! dsl_reads_suite {
    () => {
        use super::*;

        #[test]
        fn filter_and_or_filter() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            let posts: Vec<Post> = ms_posts::table
                .in_schema(&t)
                .filter(ms_posts::views.lt(20))
                .or_filter(ms_posts::views.gt(40))
                .order(ms_posts::id)
                .select(Post::as_select())
                .load(&mut conn)?;
            assert_eq!(titles(&posts), ["a", "e"]);
            Ok(())
        }

        #[test]
        fn select_columns_tuples_and_selectable() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            let scoped = ms_posts::table.in_schema(&t);
            let one: Vec<String> = scoped
                .clone()
                .select(ms_posts::title)
                .order(ms_posts::id)
                .load(&mut conn)?;
            assert_eq!(one, ["a", "b", "c", "d", "e"]);
            let pairs: Vec<(String, i32)> = scoped
                .clone()
                .select((ms_posts::title, ms_posts::views))
                .filter(ms_posts::active.eq(false))
                .order(ms_posts::id)
                .load(&mut conn)?;
            assert_eq!(pairs, [("b".to_owned(), 20), ("e".to_owned(), 50)]);
            let all: Vec<Post> = scoped.clone().order(ms_posts::id).load(&mut conn)?;
            assert_eq!(all.len(), 5);
            let selected: Vec<Post> = scoped
                .select(Post::as_select())
                .order(ms_posts::id)
                .load(&mut conn)?;
            assert_eq!(all, selected);
            Ok(())
        }

        #[test]
        fn order_then_order_by_limit_offset() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            let posts: Vec<Post> = ms_posts::table
                .in_schema(&t)
                .order(ms_posts::active.desc())
                .then_order_by(ms_posts::views.desc())
                .limit(2)
                .offset(1)
                .load(&mut conn)?;
            // active first (d 40, c 30, a 10), then inactive; skip one, take two
            assert_eq!(titles(&posts), ["c", "a"]);
            Ok(())
        }

        #[test]
        fn count_find_distinct() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let ada = seed(&mut conn, &t)?;
            let scoped = ms_posts::table.in_schema(&t);
            let n: i64 = scoped.clone().count().get_result(&mut conn)?;
            assert_eq!(n, 5);
            let first: Post = scoped.clone().order(ms_posts::id).first(&mut conn)?;
            let found: Post = scoped.clone().find(first.id).get_result(&mut conn)?;
            assert_eq!(found, first);
            let missing = scoped
                .clone()
                .find(-1i64)
                .get_result::<Post>(&mut conn)
                .optional()?;
            assert_eq!(missing, None);
            let authors: Vec<i64> = scoped
                .clone()
                .select(ms_posts::author_id)
                .distinct()
                .load(&mut conn)?;
            assert_eq!(authors, [ada]);
            let actives: Vec<bool> = scoped
                .select(ms_posts::active)
                .distinct()
                .order(ms_posts::active)
                .load(&mut conn)?;
            assert_eq!(actives, [false, true]);
            Ok(())
        }

        #[test]
        fn group_by_with_aggregates() -> QueryResult<()> {
            use diesel::dsl::{count, max};
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            let rows: Vec<(bool, i64, Option<i32>)> = ms_posts::table
                .in_schema(&t)
                .group_by(ms_posts::active)
                .select((ms_posts::active, count(ms_posts::id), max(ms_posts::views)))
                .order(ms_posts::active)
                .load(&mut conn)?;
            assert_eq!(rows, [(false, 2, Some(50)), (true, 3, Some(40))]);
            Ok(())
        }

        #[test]
        fn into_boxed_with_filters_added_at_run_time() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            for (min_views, only_active, expected) in [
                (None, false, vec!["a", "b", "c", "d", "e"]),
                (Some(30), false, vec!["c", "d", "e"]),
                (Some(30), true, vec!["c", "d"]),
            ] {
                let mut query = ms_posts::table.in_schema(&t).into_boxed();
                if let Some(min) = min_views {
                    query = query.filter(ms_posts::views.ge(min));
                }
                if only_active {
                    query = query.filter(ms_posts::active.eq(true));
                }
                let posts: Vec<Post> = query.order(ms_posts::id).load(&mut conn)?;
                assert_eq!(titles(&posts), expected);
            }
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::dsl::postgres::{seed, setup};

    dsl_reads_suite!();

    #[test]
    fn sum_over_a_scoped_table() -> QueryResult<()> {
        let (_guard, mut conn, t, _) = setup();
        let ada: Author = ryx::insert_into(ms_authors::table.in_schema(&t))
            .values(ms_authors::name.eq("ada"))
            .get_result(&mut conn)?;
        ryx::insert_into(ms_posts::table.in_schema(&t))
            .values(&vec![
                new_post(ada.id, "x", 100, true, 1),
                new_post(ada.id, "y", 50, true, 1),
            ])
            .execute(&mut conn)?;
        let total: Option<i64> = ms_posts::table
            .in_schema(&t)
            .select(diesel::dsl::sum(ms_posts::views))
            .first(&mut conn)?;
        assert_eq!(total, Some(150));
        Ok(())
    }
}

mod sqlite {
    use crate::common::dsl::sqlite::{seed, setup};

    dsl_reads_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::dsl::mysql::{seed, setup};

    dsl_reads_suite!();
}
