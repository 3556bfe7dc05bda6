// diesel's `insert_into` on a scoped table: the values are for the plain table. Use `ryx::insert_into`.
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

#[derive(Insertable)]
#[diesel(table_name = posts)]
struct NewPost {
    author_id: i64,
    title: String,
    views: i32,
}

fn run(conn: &mut PgConnection, new_post: &NewPost) -> QueryResult<usize> {
    diesel::insert_into(posts::table.in_schema("t"))
        .values(new_post)
        .execute(conn)
}

fn main() {}
