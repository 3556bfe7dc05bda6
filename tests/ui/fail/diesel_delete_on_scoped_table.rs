// diesel's `delete` on a scoped table would drop the schema: use `ryx::delete`.
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

fn run(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(posts::table.in_schema("t")).execute(conn)
}

fn main() {}
