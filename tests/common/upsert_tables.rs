//! Tables for the upsert and insert-from-select suites: `up_posts` (unique
//! `(slug, lang)`), `up_drafts` and `up_archive`, created per backend next to
//! the example tables of `common::dsl`.
#![allow(dead_code)]

use diesel::prelude::*;

ryx::ryx_table! {
    up_posts (id) {
        id -> Int8,
        #[max_length = 100]
        slug -> Varchar,
        #[max_length = 10]
        lang -> Varchar,
        views -> Int4,
    }
}

ryx::ryx_table! {
    up_drafts (id) {
        id -> Int8,
        #[max_length = 100]
        title -> Varchar,
        views -> Int4,
    }
}

ryx::ryx_table! {
    up_archive (id) {
        id -> Int8,
        #[max_length = 100]
        title -> Varchar,
        views -> Int4,
    }
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = up_posts)]
pub struct UpPost {
    pub id: i64,
    pub slug: String,
    pub lang: String,
    pub views: i32,
}

pub fn up_post(id: i64, slug: &str, lang: &str, views: i32) -> UpPost {
    UpPost {
        id,
        slug: slug.to_owned(),
        lang: lang.to_owned(),
        views,
    }
}

/// The three tables on PostgreSQL, inside the quoted schema `s`.
pub fn pg_ddl(s: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE {s}.up_posts (id BIGINT PRIMARY KEY, slug VARCHAR(100) NOT NULL, \
             lang VARCHAR(10) NOT NULL, views INTEGER NOT NULL, UNIQUE (slug, lang))"
        ),
        format!("CREATE TABLE {s}.up_drafts (id BIGSERIAL PRIMARY KEY, title VARCHAR(100) NOT NULL, views INTEGER NOT NULL)"),
        format!("CREATE TABLE {s}.up_archive (id BIGSERIAL PRIMARY KEY, title VARCHAR(100) NOT NULL, views INTEGER NOT NULL DEFAULT 0)"),
    ]
}

pub const SQLITE_DDL: [&str; 3] = [
    "CREATE TABLE up_posts (id INTEGER PRIMARY KEY, slug TEXT NOT NULL, lang TEXT NOT NULL, \
     views INTEGER NOT NULL, UNIQUE (slug, lang))",
    "CREATE TABLE up_drafts (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, views INTEGER NOT NULL)",
    "CREATE TABLE up_archive (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0)",
];

pub const MYSQL_DDL: [&str; 3] = [
    "CREATE TABLE up_posts (id BIGINT PRIMARY KEY, slug VARCHAR(100) NOT NULL, lang VARCHAR(10) NOT NULL, \
     views INTEGER NOT NULL, UNIQUE (slug, lang))",
    "CREATE TABLE up_drafts (id BIGINT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(100) NOT NULL, views INTEGER NOT NULL)",
    "CREATE TABLE up_archive (id BIGINT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(100) NOT NULL, views INTEGER NOT NULL DEFAULT 0)",
];

/// Per backend: `setup()` returns a guard, a connection and the tenant name,
/// with the tables created in it (a fresh schema on PostgreSQL, a fresh
/// database on SQLite and MySQL).
pub mod postgres {
    use crate::common;
    use diesel::prelude::*;
    pub use diesel::PgConnection as Conn;

    pub fn setup() -> (common::PgSchemas, Conn, String, String) {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::with_tables(&mut conn, 2);
        for name in &schemas.names {
            for sql in super::pg_ddl(&ryx::quote_identifier(name, '"')) {
                diesel::sql_query(sql)
                    .execute(&mut conn)
                    .expect("create upsert tables");
            }
        }
        let (t, u) = (schemas.names[0].clone(), schemas.names[1].clone());
        (schemas, conn, t, u)
    }
}

pub mod sqlite {
    use crate::common;
    use diesel::prelude::*;
    pub use diesel::SqliteConnection as Conn;

    pub fn setup() -> (common::SqliteDb, Conn, String, String) {
        let (db, mut conn) = common::SqliteDb::with_tables();
        for sql in super::SQLITE_DDL {
            diesel::sql_query(sql)
                .execute(&mut conn)
                .expect("create upsert tables");
        }
        (db, conn, "tenant1".to_owned(), "tenant2".to_owned())
    }
}

#[cfg(feature = "mysql")]
pub mod mysql {
    use crate::common;
    use diesel::prelude::*;
    pub use diesel::MysqlConnection as Conn;

    pub fn setup() -> (common::MysqlDb, Conn, String, String) {
        let (db, mut conn) = common::MysqlDb::with_tables();
        for sql in super::MYSQL_DDL {
            diesel::sql_query(sql)
                .execute(&mut conn)
                .expect("create upsert tables");
        }
        (db, conn, "tenant1".to_owned(), "tenant2".to_owned())
    }
}
