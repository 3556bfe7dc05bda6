//! diesel's associations for a tenant, on real PostgreSQL, SQLite and MySQL
//! (MariaDB): `Child::belonging_to_in_schema(parents, schema)` reads the
//! tenant's children (then diesel's `grouped_by`), and `ryx::update_record`
//! is the scoped `update(&record).set(&record)` / `save_changes`, each with
//! the exact SQL.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::tables::*;
use ryx::prelude::*;

#[derive(Identifiable, Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = ms_authors)]
struct Writer {
    id: i64,
    name: String,
}

#[derive(
    Identifiable, Queryable, Selectable, Associations, AsChangeset, Debug, Clone, PartialEq,
)]
#[diesel(table_name = ms_posts, belongs_to(Writer, foreign_key = author_id))]
struct Article {
    id: i64,
    author_id: i64,
    title: String,
    views: i32,
}

macro_rules! dsl_associations_suite {
    ($db:ty, $prefix:expr) => {
        use super::*;

        #[test]
        fn belonging_to_reads_the_tenants_children() -> QueryResult<()> {
            let (_guard, mut conn, t, other) = setup();
            let ada = seed(&mut conn, &t)?;
            let writers: Vec<Writer> = ms_authors::table
                .in_schema(&t)
                .order(ms_authors::id)
                .select(Writer::as_select())
                .load(&mut conn)?;
            assert_eq!(writers.len(), 2);
            let articles: Vec<Article> = Article::belonging_to_in_schema(&writers[..], &t)
                .order(ms_posts::id)
                .select(Article::as_select())
                .load(&mut conn)?;
            assert_eq!(articles.len(), 5);
            let grouped: Vec<(String, usize)> = articles
                .grouped_by(&writers)
                .into_iter()
                .zip(&writers)
                .map(|(a, w)| (w.name.clone(), a.len()))
                .collect();
            assert_eq!(grouped, [("ada".to_owned(), 5), ("bob".to_owned(), 0)]);
            // one parent
            let adas = Article::belonging_to_in_schema(&writers[0], &t)
                .count()
                .get_result::<i64>(&mut conn)?;
            assert_eq!(adas, 5);
            assert_eq!(writers[0].id, ada);
            // the SQL names the tenant's table
            let sql = ryx::to_sql::<$db, _>(&Article::belonging_to_in_schema(&writers[0], &t))?;
            assert_eq!(
                sql,
                format!(
                    "SELECT {cols} FROM {from} WHERE ({q}ms_posts{q}.{q}author_id{q} = {p})",
                    cols = all_post_columns($prefix.1),
                    from = from(&t),
                    q = $prefix.1,
                    p = $prefix.0,
                )
            );
            // another tenant (PostgreSQL) has none of them
            if HAS_SCHEMAS {
                let none: i64 = Article::belonging_to_in_schema(&writers[..], &other)
                    .count()
                    .get_result(&mut conn)?;
                assert_eq!(none, 0);
            }
            Ok(())
        }

        #[test]
        fn update_record_updates_the_tenants_row() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            seed(&mut conn, &t)?;
            let mut first: Article = ms_posts::table
                .in_schema(&t)
                .order(ms_posts::id)
                .select(Article::as_select())
                .first(&mut conn)?;
            first.title = "renamed".to_owned();
            first.views = 99;
            let n = ryx::update_record(ms_posts::table.in_schema(&t), &first).execute(&mut conn)?;
            assert_eq!(n, 1);
            let again: Article = ms_posts::table
                .in_schema(&t)
                .find(first.id)
                .select(Article::as_select())
                .first(&mut conn)?;
            assert_eq!(again, first);
            // the other rows are untouched
            let renamed: i64 = ms_posts::table
                .in_schema(&t)
                .filter(ms_posts::title.eq("renamed"))
                .count()
                .get_result(&mut conn)?;
            assert_eq!(renamed, 1);
            Ok(())
        }
    };
}

/// `"ms_posts"."id", ..` as diesel renders the default selection, quoted with `q`.
fn all_post_columns(q: &str) -> String {
    ["id", "author_id", "title", "views", "active", "created_at"]
        .iter()
        .map(|c| format!("{q}ms_posts{q}.{q}{c}{q}"))
        .collect::<Vec<_>>()
        .join(", ")
}

mod postgres {
    use crate::common::dsl::postgres::{seed, setup, HAS_SCHEMAS};

    fn from(t: &str) -> String {
        format!("\"{t}\".\"ms_posts\"")
    }

    dsl_associations_suite!(diesel::pg::Pg, ("$1", "\""));

    #[test]
    fn update_record_returns_the_saved_row() -> QueryResult<()> {
        let (_guard, mut conn, t, _) = setup();
        seed(&mut conn, &t)?;
        let mut first: Article = ms_posts::table
            .in_schema(&t)
            .order(ms_posts::id)
            .select(Article::as_select())
            .first(&mut conn)?;
        first.views = 7;
        let statement = ryx::update_record(ms_posts::table.in_schema(&t), &first);
        let sql = ryx::to_sql::<diesel::pg::Pg, _>(&statement)?;
        assert_eq!(
            sql,
            format!(
                "UPDATE \"{t}\".\"ms_posts\" SET \"author_id\" = $1, \"title\" = $2, \"views\" = $3 \
                 WHERE (\"ms_posts\".\"id\" = $4)"
            )
        );
        let saved: Article = statement
            .returning(Article::as_returning())
            .get_result(&mut conn)?;
        assert_eq!(saved, first);
        Ok(())
    }
}

mod sqlite {
    use crate::common::dsl::sqlite::{seed, setup, HAS_SCHEMAS};

    fn from(_: &str) -> String {
        "`ms_posts`".to_owned()
    }

    dsl_associations_suite!(diesel::sqlite::Sqlite, ("?", "`"));
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::dsl::mysql::{seed, setup, HAS_SCHEMAS};

    fn from(_: &str) -> String {
        "`ms_posts`".to_owned()
    }

    dsl_associations_suite!(diesel::mysql::Mysql, ("?", "`"));
}
