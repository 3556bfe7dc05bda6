// `on_conflict` on a scoped `posts` with a column of `authors`.
use diesel::upsert::excluded;
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
        .values((posts::id.eq(1), posts::title.eq("a")))
        .on_conflict(authors::id)
        .do_update()
        .set(posts::views.eq(excluded(posts::views)))
        .execute(conn)
}

fn main() {}
