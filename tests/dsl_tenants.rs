//! The schema a scoped statement names, on real PostgreSQL, SQLite and MySQL
//! (MariaDB): the README's opening example in one tenant leaves the other
//! empty, tenants never see each other's rows (PostgreSQL), and invalid schema
//! names are refused at execution without panicking.
//!
//! On SQLite and MySQL the schema is a no-op, so both tenant names reach the
//! same tables.
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
/// module brings `setup` and `HAS_SCHEMAS` from `common::dsl`.
macro_rules! dsl_tenants_suite {
    () => {
        use super::*;

        /// The README's opening example (insert, a filtered and ordered load,
        /// update, delete in `tenant2`), with tenant names made unique.
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
    use crate::common::dsl::postgres::{setup, Conn, HAS_SCHEMAS};

    dsl_tenants_suite!();

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
    use crate::common::dsl::sqlite::{setup, HAS_SCHEMAS};

    dsl_tenants_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::dsl::mysql::{setup, HAS_SCHEMAS};

    dsl_tenants_suite!();
}
