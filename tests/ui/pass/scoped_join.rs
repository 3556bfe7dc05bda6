// Joins of scoped tables declared with `ryx::joinable!`.
use diesel::pg::Pg;
use ryx::prelude::*;

ryx::ryx_table! {
    authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        author_id -> Int8,
        title -> Varchar,
    }
}

ryx::ryx_table! {
    comments (id) {
        id -> Int8,
        post_id -> Int8,
        body -> Text,
    }
}

ryx::joinable!(posts -> authors (author_id));
ryx::joinable!(comments -> posts (post_id));
ryx::allow_tables_to_appear_in_same_query!(comments, authors);

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = posts)]
#[allow(dead_code)]
struct Post {
    id: i64,
    title: String,
}

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = authors)]
#[allow(dead_code)]
struct Author {
    id: i64,
    name: String,
}

fn posts_with_authors(conn: &mut PgConnection, tenant: &str) -> QueryResult<Vec<(Post, Author)>> {
    posts::table
        .in_schema(tenant)
        .inner_join(authors::table.in_schema(tenant))
        .filter(authors::name.eq("alice"))
        .order(posts::id)
        .select((Post::as_select(), Author::as_select()))
        .load(conn)
}

fn authors_and_posts(conn: &mut PgConnection) -> QueryResult<Vec<(String, Option<String>)>> {
    authors::table
        .in_schema("t")
        .left_join(posts::table.in_schema("t"))
        .select((authors::name, posts::title.nullable()))
        .load(conn)
}

fn three_tables(conn: &mut SqliteConnection) -> QueryResult<Vec<(String, String, String)>> {
    posts::table
        .in_schema("t")
        .inner_join(authors::table.in_schema("t"))
        .inner_join(comments::table.in_schema("t"))
        .select((authors::name, posts::title, comments::body))
        .load(conn)
}

fn main() {
    let _ = (posts_with_authors, authors_and_posts, three_tables);

    let q = posts::table
        .in_schema("t1")
        .inner_join(authors::table.in_schema("t1"))
        .select((posts::title, authors::name));
    assert_eq!(
        ryx::to_sql::<Pg, _>(&q).unwrap(),
        r#"SELECT "posts"."title", "authors"."name" FROM ("t1"."posts" INNER JOIN "t1"."authors" ON ("posts"."author_id" = "authors"."id"))"#,
    );
}
