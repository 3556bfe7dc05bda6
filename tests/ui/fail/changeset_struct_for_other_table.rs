// `set` on a scoped `posts` with an `AsChangeset` struct derived for `authors`.
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

#[derive(AsChangeset)]
#[diesel(table_name = authors)]
struct AuthorChanges {
    name: String,
}

fn run(conn: &mut PgConnection, changes: &AuthorChanges) -> QueryResult<usize> {
    ryx::update(posts::table.in_schema("t"))
        .set(changes)
        .execute(conn)
}

fn main() {}
