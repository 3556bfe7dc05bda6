//! Everything diesel does on a table, done on a scoped table, on real
//! PostgreSQL, SQLite and MySQL (MariaDB): the same Rust code on all three.
//!
//! Each backend module provides `setup()`: a fresh database (or two fresh
//! schemas on PostgreSQL) with the example tables, a connection, and two tenant
//! names. On PostgreSQL the tests also check that the tenants do not see each
//! other's rows; on SQLite and MySQL the schema is a no-op.

mod common;

use common::tables::*;
use ryx::prelude::*;

macro_rules! dsl_suite {
    () => {
        use super::*;

        /// The issue's acceptance example, as written (tenant names made unique).
        #[test]
        fn acceptance_example() -> QueryResult<()> {
            let (_guard, mut conn, tenant2, tenant1) = setup();
            let author = ryx::insert_into(ms_authors::table.in_schema(&tenant2))
                .values(ms_authors::name.eq("ada"))
                .execute(&mut conn)?;
            assert_eq!(author, 1);
            let author_id: i64 = ms_authors::table
                .in_schema(&tenant2)
                .select(ms_authors::id)
                .first(&mut conn)?;
            let new_post = new_post(author_id, "hello", 150, true, 2);
            ryx::insert_into(ms_posts::table.in_schema(tenant2.as_str()))
                .values(&new_post)
                .execute(&mut conn)?;
            ryx::insert_into(ms_posts::table.in_schema(tenant2.as_str()))
                .values(&[
                    new_post_fn(author_id, "older", 300, true, 1),
                    new_post_fn(author_id, "few views", 10, true, 3),
                    new_post_fn(author_id, "inactive", 500, false, 4),
                ])
                .execute(&mut conn)?;

            let posts: Vec<Post> = ms_posts::table
                .in_schema(tenant2.as_str())
                .filter(ms_posts::active.eq(true))
                .filter(ms_posts::views.ge(100))
                .order(ms_posts::created_at.desc())
                .select(Post::as_select())
                .load(&mut conn)?;
            let titles: Vec<&str> = posts.iter().map(|p| p.title.as_str()).collect();
            assert_eq!(titles, ["hello", "older"]);

            let id = posts[0].id;
            let updated = ryx::update(ms_posts::table.in_schema(tenant2.as_str()))
                .filter(ms_posts::id.eq(id))
                .set(ms_posts::views.eq(5))
                .execute(&mut conn)?;
            assert_eq!(updated, 1);
            let views: i32 = ms_posts::table
                .in_schema(tenant2.as_str())
                .find(id)
                .select(ms_posts::views)
                .first(&mut conn)?;
            assert_eq!(views, 5);

            let deleted = ryx::delete(ms_posts::table.in_schema(tenant2.as_str()))
                .filter(ms_posts::active.eq(false))
                .execute(&mut conn)?;
            assert_eq!(deleted, 1);

            let left: i64 = ms_posts::table
                .in_schema(tenant2.as_str())
                .count()
                .get_result(&mut conn)?;
            assert_eq!(left, 3);
            let other: i64 = ms_posts::table
                .in_schema(tenant1.as_str())
                .count()
                .get_result(&mut conn)?;
            assert_eq!(other, if HAS_SCHEMAS { 0 } else { 3 });
            Ok(())
        }

        fn new_post_fn(author: i64, title: &str, views: i32, active: bool, day: u32) -> NewPost {
            new_post(author, title, views, active, day)
        }

        /// Seeds one author and five posts in `tenant`; returns the author's id.
        fn seed(conn: &mut Conn, tenant: &str) -> QueryResult<i64> {
            ryx::insert_into(ms_authors::table.in_schema(tenant))
                .values(&vec![
                    (ms_authors::name.eq("ada")),
                    (ms_authors::name.eq("bob")),
                ])
                .execute(conn)?;
            let ada: i64 = ms_authors::table
                .in_schema(tenant)
                .filter(ms_authors::name.eq("ada"))
                .select(ms_authors::id)
                .first(conn)?;
            let rows = vec![
                new_post(ada, "a", 10, true, 1),
                new_post(ada, "b", 20, false, 2),
                new_post(ada, "c", 30, true, 3),
                new_post(ada, "d", 40, true, 4),
                new_post(ada, "e", 50, false, 5),
            ];
            let n = ryx::insert_into(ms_posts::table.in_schema(tenant))
                .values(rows.as_slice())
                .execute(conn)?;
            assert_eq!(n, 5);
            Ok(ada)
        }

        fn titles(posts: &[Post]) -> Vec<&str> {
            posts.iter().map(|p| p.title.as_str()).collect()
        }

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
        fn exists_and_eq_any_over_a_scoped_subquery() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let ada = seed(&mut conn, &t)?;
            let yes: bool = diesel::select(diesel::dsl::exists(
                ms_posts::table.in_schema(&t).filter(ms_posts::views.eq(30)),
            ))
            .get_result(&mut conn)?;
            assert!(yes);
            let no: bool = diesel::select(diesel::dsl::exists(
                ms_posts::table.in_schema(&t).filter(ms_posts::views.eq(31)),
            ))
            .get_result(&mut conn)?;
            assert!(!no);
            let by_ada: i64 = ms_posts::table
                .in_schema(&t)
                .filter(
                    ms_posts::author_id.eq_any(
                        ms_authors::table
                            .in_schema(&t)
                            .filter(ms_authors::name.eq("ada"))
                            .select(ms_authors::id),
                    ),
                )
                .count()
                .get_result(&mut conn)?;
            assert_eq!(by_ada, 5);
            let authors_with_posts: Vec<String> = ms_authors::table
                .in_schema(&t)
                .filter(
                    ms_authors::id
                        .eq_any(ms_posts::table.in_schema(&t).select(ms_posts::author_id)),
                )
                .select(ms_authors::name)
                .load(&mut conn)?;
            assert_eq!(authors_with_posts, ["ada"]);
            let _ = ada;
            Ok(())
        }

        #[test]
        fn inner_and_left_joins() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            let joined: Vec<(String, String)> = ms_posts::table
                .in_schema(&t)
                .inner_join(ms_authors::table.in_schema(&t))
                .filter(ms_posts::active.eq(true))
                .select((ms_posts::title, ms_authors::name))
                .order(ms_posts::id)
                .load(&mut conn)?;
            assert_eq!(
                joined,
                [("a", "ada"), ("c", "ada"), ("d", "ada")]
                    .map(|(p, a)| (p.to_owned(), a.to_owned()))
            );
            let left: Vec<(String, Option<String>)> = ms_authors::table
                .in_schema(&t)
                .left_join(ms_posts::table.in_schema(&t))
                .select((ms_authors::name, ms_posts::title.nullable()))
                .filter(ms_posts::views.ge(40).or(ms_posts::id.is_null()))
                .order((ms_authors::name, ms_posts::title))
                .load(&mut conn)?;
            assert_eq!(
                left,
                [
                    ("ada".to_owned(), Some("d".to_owned())),
                    ("ada".to_owned(), Some("e".to_owned())),
                    ("bob".to_owned(), None)
                ]
            );
            let with_rows: Vec<(Post, Author)> = ms_posts::table
                .in_schema(&t)
                .inner_join(ms_authors::table.in_schema(&t))
                .select((Post::as_select(), Author::as_select()))
                .filter(ms_posts::title.eq("e"))
                .load(&mut conn)?;
            assert_eq!(with_rows.len(), 1);
            assert_eq!(with_rows[0].1.name, "ada");
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

        #[test]
        fn transactions_commit_and_roll_back() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let ada = seed(&mut conn, &t)?;
            let result: QueryResult<()> = conn.transaction(|conn| {
                ryx::insert_into(ms_posts::table.in_schema(&t))
                    .values(&new_post(ada, "rolled back", 1, true, 10))
                    .execute(conn)?;
                Err(diesel::result::Error::RollbackTransaction)
            });
            assert!(result.is_err());
            conn.transaction(|conn| {
                ryx::insert_into(ms_posts::table.in_schema(&t))
                    .values(&new_post(ada, "committed", 1, true, 10))
                    .execute(conn)?;
                ryx::update(ms_posts::table.in_schema(&t))
                    .filter(ms_posts::title.eq("a"))
                    .set(ms_posts::views.eq(11))
                    .execute(conn)
            })?;
            let titles: Vec<String> = ms_posts::table
                .in_schema(&t)
                .filter(ms_posts::title.eq_any(["rolled back", "committed"]))
                .select(ms_posts::title)
                .load(&mut conn)?;
            assert_eq!(titles, ["committed"]);
            Ok(())
        }

        #[test]
        fn invalid_schema_names_fail_at_execution_without_panicking() {
            let (_guard, mut conn, _, _) = setup();
            let too_long = "x".repeat(64);
            for bad in ["", "nul\0inside", too_long.as_str()] {
                let err = ms_posts::table
                    .in_schema(bad)
                    .count()
                    .get_result::<i64>(&mut conn)
                    .expect_err("an invalid schema name must be refused");
                assert!(
                    matches!(err, diesel::result::Error::QueryBuilderError(_)),
                    "{bad:?}: {err:?}"
                );
                let err = ryx::insert_into(ms_authors::table.in_schema(bad))
                    .values(ms_authors::name.eq("x"))
                    .execute(&mut conn)
                    .expect_err("an invalid schema name must be refused");
                assert!(
                    matches!(err, diesel::result::Error::QueryBuilderError(_)),
                    "{err:?}"
                );
                let err = ryx::update(ms_authors::table.in_schema(bad))
                    .set(ms_authors::name.eq("x"))
                    .execute(&mut conn)
                    .expect_err("an invalid schema name must be refused");
                assert!(
                    matches!(err, diesel::result::Error::QueryBuilderError(_)),
                    "{err:?}"
                );
                let err = ryx::delete(ms_authors::table.in_schema(bad))
                    .execute(&mut conn)
                    .expect_err("an invalid schema name must be refused");
                assert!(
                    matches!(err, diesel::result::Error::QueryBuilderError(_)),
                    "{err:?}"
                );
            }
            // nothing was written by the refused statements
            let authors: i64 = ms_authors::table
                .in_schema("any")
                .count()
                .get_result(&mut conn)
                .unwrap_or(-1);
            if !HAS_SCHEMAS {
                assert_eq!(authors, 0);
            }
        }
    };
}

mod postgres {
    use super::common;
    use diesel::PgConnection as Conn;

    const HAS_SCHEMAS: bool = true;

    fn setup() -> (common::PgSchemas, Conn, String, String) {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::with_tables(&mut conn, 2);
        let (a, b) = (schemas.names[0].clone(), schemas.names[1].clone());
        (schemas, conn, a, b)
    }

    dsl_suite!();

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

    #[test]
    fn tenants_never_see_each_others_rows() -> QueryResult<()> {
        let (_guard, mut conn, a, b) = setup();
        seed_one(&mut conn, &a, "only in a")?;
        seed_one(&mut conn, &b, "only in b")?;
        for (tenant, title) in [(&a, "only in a"), (&b, "only in b")] {
            let titles: Vec<String> = ms_posts::table
                .in_schema(tenant)
                .inner_join(ms_authors::table.in_schema(tenant))
                .select(ms_posts::title)
                .load(&mut conn)?;
            assert_eq!(titles, [title]);
        }
        // writes in one tenant leave the other untouched
        ryx::update(ms_posts::table.in_schema(&a))
            .set(ms_posts::views.eq(77))
            .execute(&mut conn)?;
        ryx::delete(ms_posts::table.in_schema(&a)).execute(&mut conn)?;
        let b_views: Vec<i32> = ms_posts::table
            .in_schema(&b)
            .select(ms_posts::views)
            .load(&mut conn)?;
        assert_eq!(b_views, [1]);
        // and nothing landed in public
        let in_public: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public' AND tablename IN ('ms_posts', 'ms_authors'))",
        ))
        .get_result(&mut conn)?;
        assert_eq!(in_public, 0);
        Ok(())
    }

    fn seed_one(conn: &mut Conn, tenant: &str, title: &str) -> QueryResult<()> {
        let author: Author = ryx::insert_into(ms_authors::table.in_schema(tenant))
            .values(ms_authors::name.eq("someone"))
            .get_result(conn)?;
        ryx::insert_into(ms_posts::table.in_schema(tenant))
            .values(&new_post(author.id, title, 1, true, 1))
            .execute(conn)?;
        Ok(())
    }
}

mod sqlite {
    use super::common;
    use diesel::SqliteConnection as Conn;

    const HAS_SCHEMAS: bool = false;

    fn setup() -> (common::SqliteDb, Conn, String, String) {
        let (db, conn) = common::SqliteDb::with_tables();
        (db, conn, "tenant2".to_owned(), "tenant1".to_owned())
    }

    dsl_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::common;
    use diesel::MysqlConnection as Conn;

    const HAS_SCHEMAS: bool = false;

    fn setup() -> (common::MysqlDb, Conn, String, String) {
        let (db, conn) = common::MysqlDb::with_tables();
        (db, conn, "tenant2".to_owned(), "tenant1".to_owned())
    }

    dsl_suite!();
}
