use ryx::prelude::*;

ryx::ryx_table! {
    ms_authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}
ryx::ryx_table! {
    ms_posts (id) {
        id -> Int8,
        author_id -> Int8,
        title -> Varchar,
        views -> Int4,
        active -> Bool,
        created_at -> Timestamp,
    }
}
ryx::joinable!(ms_posts -> ms_authors (author_id));

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = ms_posts)]
struct Post {
    id: i64,
    author_id: i64,
    title: String,
    views: i32,
    active: bool,
    created_at: chrono::NaiveDateTime,
}

#[derive(Insertable, AsChangeset, Clone)]
#[diesel(table_name = ms_posts)]
struct NewPost {
    author_id: i64,
    title: String,
    views: i32,
    active: bool,
    created_at: chrono::NaiveDateTime,
}

#[test]
fn pg_sql() {
    use diesel::pg::Pg;
    let q = ms_posts::table
        .in_schema("tenant2")
        .filter(ms_posts::active.eq(true))
        .filter(ms_posts::views.ge(100))
        .order(ms_posts::created_at.desc())
        .select(Post::as_select());
    println!("{}", diesel::debug_query::<Pg, _>(&q));
    let j = ms_posts::table.in_schema("t").inner_join(ms_authors::table.in_schema("t")).select((ms_posts::title, ms_authors::name));
    println!("{}", diesel::debug_query::<Pg, _>(&j));
    let l = ms_posts::table.in_schema("t").left_join(ms_authors::table.in_schema("t")).select((ms_posts::title, ms_authors::name.nullable()));
    println!("{}", diesel::debug_query::<Pg, _>(&l));
    let u = ryx::update(ms_posts::table.in_schema("tenant2")).filter(ms_posts::id.eq(7)).set(ms_posts::views.eq(5));
    println!("{}", diesel::debug_query::<Pg, _>(&u));
    let d = ryx::delete(ms_posts::table.in_schema("tenant2")).filter(ms_posts::active.eq(false));
    println!("{}", diesel::debug_query::<Pg, _>(&d));
    let np = NewPost { author_id: 1, title: "x".into(), views: 1, active: true, created_at: chrono::NaiveDateTime::default() };
    let i = ryx::insert_into(ms_posts::table.in_schema("tenant2")).values(&np);
    println!("{}", i.to_sql::<Pg>().unwrap());
    let v = vec![np.clone(), np.clone()];
    let i = ryx::insert_into(ms_posts::table.in_schema("tenant2")).values(&v);
    println!("{}", i.to_sql::<Pg>().unwrap());
    let b = ms_posts::table.in_schema("t").into_boxed::<Pg>().filter(ms_posts::id.eq(1));
    println!("{}", diesel::debug_query::<Pg, _>(&b));
    let sub = ms_posts::table.in_schema("t").filter(ms_posts::author_id.eq_any(ms_authors::table.in_schema("t").select(ms_authors::id))).count();
    println!("{}", diesel::debug_query::<Pg, _>(&sub));
    let g = ms_posts::table.in_schema("t").group_by(ms_posts::author_id).select((ms_posts::author_id, diesel::dsl::count(ms_posts::id)));
    println!("{}", diesel::debug_query::<Pg, _>(&g));
    let f = ms_posts::table.in_schema("t").find(3i64);
    println!("{}", diesel::debug_query::<Pg, _>(&f));
    let e = diesel::select(diesel::dsl::exists(ms_posts::table.in_schema("t").filter(ms_posts::id.eq(1))));
    println!("{}", diesel::debug_query::<Pg, _>(&e));
    let u2 = ryx::update(ms_posts::table.in_schema("tenant2")).set(&np).returning(ms_posts::id);
    println!("{}", diesel::debug_query::<Pg, _>(&u2));
}

#[test]
fn sqlite_exec() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    diesel::sql_query("CREATE TABLE ms_posts (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id BIGINT NOT NULL, title TEXT NOT NULL, views INT NOT NULL, active BOOL NOT NULL, created_at TIMESTAMP NOT NULL)").execute(&mut conn).unwrap();
    let np = NewPost { author_id: 1, title: "x".into(), views: 1, active: true, created_at: chrono::NaiveDateTime::default() };
    let v = vec![np.clone(), np.clone()];
    let n = ryx::insert_into(ms_posts::table.in_schema("tenant2")).values(&v).execute(&mut conn).unwrap();
    assert_eq!(n, 2);
    let n = ryx::insert_into(ms_posts::table.in_schema("tenant2")).values(v.clone()).execute(&mut conn).unwrap();
    assert_eq!(n, 2);
    let posts: Vec<Post> = ms_posts::table.in_schema("tenant2").select(Post::as_select()).load(&mut conn).unwrap();
    assert_eq!(posts.len(), 4);
    let r = ms_posts::table.in_schema("").count().get_result::<i64>(&mut conn);
    println!("{r:?}");
}
