// A scoped query boxed with `into_boxed` and built up at run time.
use diesel::pg::Pg;
use ryx::prelude::*;

ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        title -> Varchar,
        views -> Int4,
        active -> Bool,
    }
}

fn scoped_search<'a>(
    tenant: &'a str,
    title: Option<&'a str>,
    min_views: Option<i32>,
) -> diesel::dsl::IntoBoxed<'a, ryx::SchemaScoped<posts::table>, Pg> {
    let mut q = posts::table.in_schema(tenant).into_boxed();
    if let Some(title) = title {
        q = q.filter(posts::title.eq(title));
    }
    if let Some(min) = min_views {
        q = q.filter(posts::views.ge(min));
    }
    q.order(posts::id.desc())
}

fn load(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String, i32, bool)>> {
    scoped_search("t", Some("x"), None).load(conn)
}

fn load_sqlite(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    posts::table
        .in_schema("t")
        .into_boxed::<diesel::sqlite::Sqlite>()
        .filter(posts::active.eq(true))
        .select(posts::title)
        .load(conn)
}

fn main() {
    let _ = (load, load_sqlite);

    let q = scoped_search("t1", Some("x"), Some(3));
    assert_eq!(
        ryx::to_sql::<Pg, _>(&q).unwrap(),
        r#"SELECT "posts"."id", "posts"."title", "posts"."views", "posts"."active" FROM "t1"."posts" WHERE (("posts"."title" = $1) AND ("posts"."views" >= $2)) ORDER BY "posts"."id" DESC"#,
    );
}
