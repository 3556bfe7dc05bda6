// A tuple of `column.eq(value)` of `authors` inserted into a scoped `posts`.
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

fn run(conn: &mut PgConnection) -> QueryResult<usize> {
    ryx::insert_into(posts::table.in_schema("t"))
        .values(authors::name.eq("alice"))
        .execute(conn)
}

fn main() {}
