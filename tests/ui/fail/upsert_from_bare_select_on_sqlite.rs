// An upsert from a select on SQLite names its columns with `.into_columns(..)`;
// the bare form says so. (It compiles with `.into_columns((drafts::id, drafts::title))`.)
use ryx::prelude::*;

ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        title -> Varchar,
    }
}

ryx::ryx_table! {
    drafts (id) {
        id -> Int8,
        title -> Varchar,
    }
}

fn run(conn: &mut SqliteConnection) -> QueryResult<usize> {
    ryx::insert_into(posts::table.in_schema("t"))
        .values(
            drafts::table
                .in_schema("t")
                .select((drafts::id, drafts::title))
                .filter(drafts::id.gt(0)),
        )
        .on_conflict_do_nothing()
        .execute(conn)
}

fn main() {}
