// `in_schema` scopes a table, not a query: call it on the table, before `filter`.
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
        .filter(posts::views.gt(10))
        .in_schema("t")
        .load(conn)
}

fn main() {}
