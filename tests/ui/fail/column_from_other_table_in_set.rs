// `set` on a scoped `posts` with a column of `authors`.
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
    ryx::update(posts::table.in_schema("t"))
        .set(authors::name.eq("alice"))
        .execute(conn)
}

fn main() {}
