//! Statements over two scoped tables, on real PostgreSQL, SQLite and MySQL
//! (MariaDB): inner and left joins, and `exists`/`eq_any` over a scoped
//! subquery.
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
macro_rules! dsl_joins_suite {
    () => {
        use super::*;

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
    };
}

mod postgres {
    use crate::common::dsl::postgres::{seed, setup};

    dsl_joins_suite!();
}

mod sqlite {
    use crate::common::dsl::sqlite::{seed, setup};

    dsl_joins_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::dsl::mysql::{seed, setup};

    dsl_joins_suite!();
}
