// Two scoped tables joined without `ryx::joinable!`.
use ryx::prelude::*;

ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        author_id -> Int8,
        title -> Varchar,
        views -> Int4,
    }
}

ryx::ryx_table! {
    authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

fn load(conn: &mut PgConnection) -> QueryResult<Vec<(String, String)>> {
    posts::table
        .in_schema("t")
        .inner_join(authors::table.in_schema("t"))
        .select((posts::title, authors::name))
        .load(conn)
}

fn main() {}
