// `in_schema` on a table declared with diesel's `table!` instead of `ryx_table!`.
use ryx::prelude::*;

diesel::table! {
    posts (id) {
        id -> Int8,
        title -> Varchar,
    }
}

fn load(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    posts::table.in_schema("t").load(conn)
}

fn main() {}
