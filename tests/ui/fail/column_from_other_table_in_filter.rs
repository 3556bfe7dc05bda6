// A column of a table that is not in the FROM clause: `authors` is not joined.
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

ryx::joinable!(posts -> authors (author_id));

fn load(conn: &mut PgConnection) -> QueryResult<Vec<(i64, i64, String, i32)>> {
    posts::table
        .in_schema("t")
        .filter(authors::name.eq("alice"))
        .load(conn)
}

fn main() {}
