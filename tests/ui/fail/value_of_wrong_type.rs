// A value of the wrong type for the column: `views` is `Int4`.
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

fn load(conn: &mut PgConnection) -> QueryResult<Vec<(i64, i64, String, i32)>> {
    posts::table
        .in_schema("t")
        .filter(posts::views.eq("ten"))
        .load(conn)
}

fn main() {}
