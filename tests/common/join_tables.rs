//! Tables for the nested-join and alias suites: users ← posts ← comments (a
//! chain of two foreign keys) and employees with a self-reference
//! (`manager_id -> id`). One module per backend provides `Conn`, `setup()`
//! (a guard, a connection and two tenants) and `seed()`.
#![allow(dead_code)]

ryx::ryx_table! {
    nj_users (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    nj_posts (id) {
        id -> Int8,
        #[ryx(references = nj_users)]
        user_id -> Int8,
        title -> Varchar,
    }
}

ryx::ryx_table! {
    nj_comments (id) {
        id -> Int8,
        #[ryx(references = nj_posts)]
        post_id -> Int8,
        body -> Varchar,
    }
}

ryx::ryx_table! {
    nj_employees (id) {
        id -> Int8,
        name -> Varchar,
        #[ryx(references = nj_employees)]
        manager_id -> Nullable<Int8>,
    }
}

ryx::joinable!(nj_posts -> nj_users (user_id));
ryx::joinable!(nj_comments -> nj_posts (post_id));
ryx::allow_tables_to_appear_in_same_query!(nj_users, nj_comments);

/// The tables of [`setup`](postgres::setup), on PostgreSQL, inside `schema`.
pub fn pg_ddl(schema: &str) -> Vec<String> {
    let s = ryx::quote_identifier(schema, '"');
    vec![
        format!("CREATE SCHEMA {s}"),
        format!("CREATE TABLE {s}.nj_users (id BIGINT PRIMARY KEY, name VARCHAR NOT NULL)"),
        format!(
            "CREATE TABLE {s}.nj_posts (id BIGINT PRIMARY KEY, \
             user_id BIGINT NOT NULL REFERENCES {s}.nj_users (id), title VARCHAR NOT NULL)"
        ),
        format!(
            "CREATE TABLE {s}.nj_comments (id BIGINT PRIMARY KEY, \
             post_id BIGINT NOT NULL REFERENCES {s}.nj_posts (id), body VARCHAR NOT NULL)"
        ),
        format!(
            "CREATE TABLE {s}.nj_employees (id BIGINT PRIMARY KEY, name VARCHAR NOT NULL, \
             manager_id BIGINT REFERENCES {s}.nj_employees (id))"
        ),
    ]
}

/// The same tables on SQLite and MySQL (no schemas).
pub const PLAIN_DDL: [&str; 4] = [
    "CREATE TABLE nj_users (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL)",
    "CREATE TABLE nj_posts (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, title VARCHAR(100) NOT NULL)",
    "CREATE TABLE nj_comments (id BIGINT PRIMARY KEY, post_id BIGINT NOT NULL, body VARCHAR(100) NOT NULL)",
    "CREATE TABLE nj_employees (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, manager_id BIGINT)",
];

/// `seed(conn, tenant, tag)`: in `tenant`, users ann (1) and ben (2); posts
/// p1 (ann), p2 (ann), p3 (ben); comments c1, c2 on p1 and c3 on p3; employees
/// boss (1, no manager), mid (2, under boss), dev (3, under mid). Every name
/// ends with `tag`, so rows read from the wrong tenant show.
macro_rules! seed_fn {
    () => {
        /// Seeds the join tables of `tenant`, every name suffixed with `tag`.
        pub fn seed(conn: &mut Conn, tenant: &str, tag: &str) -> QueryResult<()> {
            let t = |s: &str| format!("{s}{tag}");
            ryx::insert_into(nj_users::table.in_schema(tenant))
                .values(&vec![
                    (nj_users::id.eq(1), nj_users::name.eq(t("ann"))),
                    (nj_users::id.eq(2), nj_users::name.eq(t("ben"))),
                ])
                .execute(conn)?;
            ryx::insert_into(nj_posts::table.in_schema(tenant))
                .values(&vec![
                    (
                        nj_posts::id.eq(1),
                        nj_posts::user_id.eq(1),
                        nj_posts::title.eq(t("p1")),
                    ),
                    (
                        nj_posts::id.eq(2),
                        nj_posts::user_id.eq(1),
                        nj_posts::title.eq(t("p2")),
                    ),
                    (
                        nj_posts::id.eq(3),
                        nj_posts::user_id.eq(2),
                        nj_posts::title.eq(t("p3")),
                    ),
                ])
                .execute(conn)?;
            ryx::insert_into(nj_comments::table.in_schema(tenant))
                .values(&vec![
                    (
                        nj_comments::id.eq(1),
                        nj_comments::post_id.eq(1),
                        nj_comments::body.eq(t("c1")),
                    ),
                    (
                        nj_comments::id.eq(2),
                        nj_comments::post_id.eq(1),
                        nj_comments::body.eq(t("c2")),
                    ),
                    (
                        nj_comments::id.eq(3),
                        nj_comments::post_id.eq(3),
                        nj_comments::body.eq(t("c3")),
                    ),
                ])
                .execute(conn)?;
            ryx::insert_into(nj_employees::table.in_schema(tenant))
                .values(&vec![
                    (
                        nj_employees::id.eq(1),
                        nj_employees::name.eq(t("boss")),
                        nj_employees::manager_id.eq(None::<i64>),
                    ),
                    (
                        nj_employees::id.eq(2),
                        nj_employees::name.eq(t("mid")),
                        nj_employees::manager_id.eq(Some(1_i64)),
                    ),
                    (
                        nj_employees::id.eq(3),
                        nj_employees::name.eq(t("dev")),
                        nj_employees::manager_id.eq(Some(2_i64)),
                    ),
                ])
                .execute(conn)?;
            Ok(())
        }
    };
}

pub mod postgres {
    use super::{nj_comments, nj_employees, nj_posts, nj_users};
    use crate::common;
    pub use diesel::PgConnection as Conn;
    use ryx::prelude::*;

    pub const HAS_SCHEMAS: bool = true;

    /// Two fresh schemas with the join tables, seeded with tags `a` and `b`.
    pub fn setup() -> (common::PgSchemas, Conn, String, String) {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(2);
        for name in &schemas.names {
            for sql in super::pg_ddl(name) {
                diesel::sql_query(sql)
                    .execute(&mut conn)
                    .expect("create join tables");
            }
        }
        let (a, b) = (schemas.names[0].clone(), schemas.names[1].clone());
        seed(&mut conn, &a, "a").expect("seed tenant a");
        seed(&mut conn, &b, "b").expect("seed tenant b");
        (schemas, conn, a, b)
    }

    seed_fn!();
}

pub mod sqlite {
    use super::{nj_comments, nj_employees, nj_posts, nj_users};
    use crate::common;
    pub use diesel::SqliteConnection as Conn;
    use ryx::prelude::*;

    pub const HAS_SCHEMAS: bool = false;

    /// A fresh database with the join tables, seeded with tag `a`.
    pub fn setup() -> (common::SqliteDb, Conn, String, String) {
        let db = common::SqliteDb::empty();
        let mut conn = db.connect();
        for sql in super::PLAIN_DDL {
            diesel::sql_query(sql)
                .execute(&mut conn)
                .expect("create join tables");
        }
        seed(&mut conn, "tenant1", "a").expect("seed");
        (db, conn, "tenant1".to_owned(), "tenant2".to_owned())
    }

    seed_fn!();
}

#[cfg(feature = "mysql")]
pub mod mysql {
    use super::{nj_comments, nj_employees, nj_posts, nj_users};
    use crate::common;
    pub use diesel::MysqlConnection as Conn;
    use ryx::prelude::*;

    pub const HAS_SCHEMAS: bool = false;

    /// A fresh database with the join tables, seeded with tag `a`.
    pub fn setup() -> (common::MysqlDb, Conn, String, String) {
        let (db, mut conn) = common::MysqlDb::empty();
        for sql in super::PLAIN_DDL {
            diesel::sql_query(sql)
                .execute(&mut conn)
                .expect("create join tables");
        }
        seed(&mut conn, "tenant1", "a").expect("seed");
        (db, conn, "tenant1".to_owned(), "tenant2".to_owned())
    }

    seed_fn!();
}
