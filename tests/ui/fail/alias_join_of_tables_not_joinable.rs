// An implicit join to a scoped alias of a table that is not joinable: there is
// no `ryx::joinable!` to take the `ON` clause from.
use ryx::prelude::*;

ryx::ryx_table! { authors (id) { id -> Int8, name -> Varchar, } }
ryx::ryx_table! { posts (id) { id -> Int8, author_id -> Int8, title -> Varchar, } }

ryx::allow_tables_to_appear_in_same_query!(posts, authors);

fn main() {
    let writers = diesel::alias!(authors as writers);
    let _ = posts::table
        .in_schema("t")
        .inner_join(writers.in_schema("t"));
}
