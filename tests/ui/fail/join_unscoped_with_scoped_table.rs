// An unscoped table joined to a scoped one.
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

fn load(conn: &mut PgConnection) -> QueryResult<Vec<(String, String)>> {
    posts::table
        .inner_join(authors::table.in_schema("t"))
        .select((posts::title, authors::name))
        .load(conn)
}

fn main() {}
