// `belonging_to` builds a query on the plain table, which cannot be scoped afterwards.
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
#[derive(Identifiable, Queryable, Selectable)]
#[diesel(table_name = authors)]
struct Author {
    id: i64,
    name: String,
}

#[derive(Identifiable, Queryable, Selectable, Associations)]
#[diesel(table_name = posts, belongs_to(Author))]
struct Post {
    id: i64,
    author_id: i64,
    title: String,
    views: i32,
}

fn load(conn: &mut PgConnection, author: &Author) -> QueryResult<Vec<Post>> {
    Post::belonging_to(author)
        .in_schema("t")
        .select(Post::as_select())
        .load(conn)
}

fn main() {}
