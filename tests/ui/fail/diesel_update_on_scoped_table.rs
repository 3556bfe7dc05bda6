// diesel's `update` on a scoped table would drop the schema: use `ryx::update`.
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
    diesel::update(posts::table.in_schema("t"))
        .set(posts::views.eq(0))
        .execute(conn)
}

fn main() {}
