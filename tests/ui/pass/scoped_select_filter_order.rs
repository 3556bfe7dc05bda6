// Reads on a scoped table: filter, order, limit, select, count, find, subqueries.
use diesel::pg::Pg;
use ryx::prelude::*;

ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        author_id -> Int8,
        title -> Varchar,
        views -> Int4,
        active -> Bool,
        created_at -> Timestamp,
        summary -> Nullable<Text>,
    }
}

ryx::ryx_table! {
    authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::joinable!(posts -> authors (author_id));

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = posts)]
#[allow(dead_code)]
struct Post {
    id: i64,
    title: String,
    views: i32,
    created_at: chrono::NaiveDateTime,
    summary: Option<String>,
}

fn popular(conn: &mut PgConnection, tenant: &str) -> QueryResult<Vec<Post>> {
    posts::table
        .in_schema(tenant)
        .filter(posts::active.eq(true))
        .filter(posts::views.ge(100).or(posts::summary.is_not_null()))
        .order((posts::views.desc(), posts::created_at.asc()))
        .limit(10)
        .offset(20)
        .select(Post::as_select())
        .load(conn)
}

fn titles(conn: &mut SqliteConnection) -> QueryResult<Vec<(i64, String)>> {
    posts::table
        .in_schema("t")
        .select((posts::id, posts::title))
        .order_by(posts::id)
        .load(conn)
}

fn count_active(conn: &mut PgConnection) -> QueryResult<i64> {
    posts::table
        .in_schema("t")
        .filter(posts::active.eq(true))
        .count()
        .get_result(conn)
}

fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Post>> {
    posts::table
        .in_schema("t")
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .optional()
}

fn by_named_authors(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    posts::table
        .in_schema("t")
        .filter(
            posts::author_id.eq_any(
                authors::table
                    .in_schema("t")
                    .filter(authors::name.like("a%"))
                    .select(authors::id),
            ),
        )
        .select(posts::title)
        .distinct()
        .load(conn)
}

fn views_per_author(conn: &mut PgConnection) -> QueryResult<Vec<(i64, Option<i64>)>> {
    posts::table
        .in_schema("t")
        .group_by(posts::author_id)
        .select((posts::author_id, diesel::dsl::sum(posts::views)))
        .load(conn)
}

fn main() {
    let _ = (
        popular,
        titles,
        count_active,
        by_id,
        by_named_authors,
        views_per_author,
    );

    let q = posts::table
        .in_schema("tenant1")
        .filter(posts::active.eq(true))
        .order(posts::views.desc())
        .select((posts::id, posts::title));
    assert_eq!(
        ryx::to_sql::<Pg, _>(&q).unwrap(),
        r#"SELECT "posts"."id", "posts"."title" FROM "tenant1"."posts" WHERE ("posts"."active" = $1) ORDER BY "posts"."views" DESC"#,
    );
}
