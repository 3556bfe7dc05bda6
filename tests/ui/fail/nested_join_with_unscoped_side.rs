// A scoped table joined to a nested join of unscoped tables: the nested
// tables would be read from whatever schema `search_path` points to.
use ryx::prelude::*;

ryx::ryx_table! { users (id) { id -> Int8, name -> Varchar, } }
ryx::ryx_table! { posts (id) { id -> Int8, user_id -> Int8, title -> Varchar, } }
ryx::ryx_table! { comments (id) { id -> Int8, post_id -> Int8, body -> Varchar, } }

ryx::joinable!(posts -> users (user_id));
ryx::joinable!(comments -> posts (post_id));
ryx::allow_tables_to_appear_in_same_query!(users, comments);

fn load(conn: &mut PgConnection) -> QueryResult<Vec<(String, String, String)>> {
    users::table
        .in_schema("t")
        .inner_join(posts::table.inner_join(comments::table))
        .select((users::name, posts::title, comments::body))
        .load(conn)
}

fn main() {}
