//! Raw SQL on a scoped table, on real PostgreSQL, SQLite and MySQL (MariaDB):
//! `qualified_name::<DB>()` names the table as diesel's own statements do
//! (`"tenant"."ms_posts"` on PostgreSQL, `` `ms_posts` `` elsewhere), so a
//! `diesel::sql_query` reads the tenant's rows and no other schema's.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::tables::*;
use diesel::sql_types::{BigInt, Integer, Text};
use ryx::prelude::*;

#[derive(QueryableByName, Debug, PartialEq)]
struct Row {
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Integer)]
    views: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The suite, per backend: `DB` is the backend, `P` its first bind placeholder.
macro_rules! dsl_raw_sql_suite {
    ($db:ty, $placeholder:expr, $expected:expr) => {
        use super::*;

        #[test]
        fn sql_query_names_the_scoped_table() -> QueryResult<()> {
            let (_guard, mut conn, t, other) = setup();
            seed(&mut conn, &t)?;
            let posts = ms_posts::table.in_schema(&t);
            let name = posts.qualified_name::<$db>()?;
            assert_eq!(name, $expected(&t));
            let rows: Vec<Row> = diesel::sql_query(format!(
                "SELECT title, views FROM {name} WHERE views > {} ORDER BY views",
                $placeholder
            ))
            .bind::<Integer, _>(25)
            .load(&mut conn)?;
            assert_eq!(
                rows,
                [("c", 30), ("d", 40), ("e", 50)].map(|(title, views)| Row {
                    title: title.to_owned(),
                    views
                })
            );
            // another tenant's table holds none of them (PostgreSQL; one
            // table serves every name on SQLite and MySQL)
            let other_name = ms_posts::table.in_schema(&other).qualified_name::<$db>()?;
            let count: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {other_name}"))
                .get_result(&mut conn)?;
            assert_eq!(count.n, if HAS_SCHEMAS { 0 } else { 5 });
            Ok(())
        }

        #[test]
        fn an_invalid_schema_is_refused_before_any_sql() {
            for bad in ["", "nul\0", &"a".repeat(64)] {
                assert!(ms_posts::table
                    .in_schema(bad)
                    .qualified_name::<$db>()
                    .is_err());
            }
        }
    };
}

mod postgres {
    use crate::common::dsl::postgres::{seed, setup, HAS_SCHEMAS};

    dsl_raw_sql_suite!(diesel::pg::Pg, "$1", |t: &str| format!(
        "\"{t}\".\"ms_posts\""
    ));

    #[test]
    fn quotes_in_the_schema_name_are_doubled() -> QueryResult<()> {
        let name = ms_posts::table
            .in_schema(r#"we"ird"#)
            .qualified_name::<diesel::pg::Pg>()?;
        assert_eq!(name, r#""we""ird"."ms_posts""#);
        Ok(())
    }
}

mod sqlite {
    use crate::common::dsl::sqlite::{seed, setup, HAS_SCHEMAS};

    dsl_raw_sql_suite!(diesel::sqlite::Sqlite, "?", |_: &str| "`ms_posts`"
        .to_owned());
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::dsl::mysql::{seed, setup, HAS_SCHEMAS};

    dsl_raw_sql_suite!(diesel::mysql::Mysql, "?", |_: &str| "`ms_posts`".to_owned());
}
