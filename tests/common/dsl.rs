//! Support for the `dsl_*` suites, which are written once as a macro and
//! instantiated per backend: one module per backend providing `Conn`,
//! `HAS_SCHEMAS`, `setup()` and `seed()`, and [`titles`].
//!
//! `setup()` returns a guard, a connection and two tenant names: two fresh
//! schemas with the example tables on PostgreSQL; on SQLite and MySQL a fresh
//! database with the tables, where the schema is a no-op.

use crate::common::tables::Post;

/// The posts' titles, in order.
pub fn titles(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.title.as_str()).collect()
}

/// `seed(conn, tenant)`: two authors (ada, bob) and five posts by ada in
/// `tenant`, titled `a`..`e` with 10..50 views, `b` and `e` inactive; returns
/// ada's id.
macro_rules! seed_fn {
    () => {
        /// Seeds one author and five posts in `tenant`; returns the author's id.
        pub fn seed(conn: &mut Conn, tenant: &str) -> QueryResult<i64> {
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
    };
}

pub mod postgres {
    use crate::common;
    use crate::common::tables::{ms_authors, ms_posts, new_post};
    pub use diesel::PgConnection as Conn;
    use ryx::prelude::*;

    pub const HAS_SCHEMAS: bool = true;

    pub fn setup() -> (common::PgSchemas, Conn, String, String) {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::with_tables(&mut conn, 2);
        let (a, b) = (schemas.names[0].clone(), schemas.names[1].clone());
        (schemas, conn, a, b)
    }

    seed_fn!();
}

pub mod sqlite {
    use crate::common;
    use crate::common::tables::{ms_authors, ms_posts, new_post};
    pub use diesel::SqliteConnection as Conn;
    use ryx::prelude::*;

    pub const HAS_SCHEMAS: bool = false;

    pub fn setup() -> (common::SqliteDb, Conn, String, String) {
        let (db, conn) = common::SqliteDb::with_tables();
        (db, conn, "tenant2".to_owned(), "tenant1".to_owned())
    }

    seed_fn!();
}

#[cfg(feature = "mysql")]
pub mod mysql {
    use crate::common;
    use crate::common::tables::{ms_authors, ms_posts, new_post};
    pub use diesel::MysqlConnection as Conn;
    use ryx::prelude::*;

    pub const HAS_SCHEMAS: bool = false;

    pub fn setup() -> (common::MysqlDb, Conn, String, String) {
        let (db, conn) = common::MysqlDb::with_tables();
        (db, conn, "tenant2".to_owned(), "tenant1".to_owned())
    }

    seed_fn!();
}
