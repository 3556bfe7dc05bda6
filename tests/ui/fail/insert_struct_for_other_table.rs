// An `Insertable` struct derived for `authors` inserted into a scoped `posts`.
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

#[derive(Insertable)]
#[diesel(table_name = authors)]
struct NewAuthor {
    name: String,
}

fn run(conn: &mut PgConnection, new_author: &NewAuthor) -> QueryResult<usize> {
    ryx::insert_into(posts::table.in_schema("t"))
        .values(new_author)
        .execute(conn)
}

fn main() {}
