// Writes on a scoped table through `ryx::insert_into`, `ryx::update` and `ryx::delete`,
// with the values and changesets diesel takes for the plain table.
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

#[derive(Insertable, AsChangeset, Clone)]
#[diesel(table_name = posts)]
struct NewPost {
    title: String,
    views: i32,
    active: bool,
}

#[derive(AsChangeset)]
#[diesel(table_name = posts)]
struct PostChanges<'a> {
    title: Option<&'a str>,
    views: Option<i32>,
}

fn inserts(conn: &mut PgConnection, new_post: &NewPost) -> QueryResult<()> {
    // one struct, by reference and by value
    ryx::insert_into(posts::table.in_schema("t"))
        .values(new_post)
        .execute(conn)?;
    ryx::insert_into(posts::table.in_schema("t"))
        .values(new_post.clone())
        .execute(conn)?;
    // a batch
    let batch = vec![new_post.clone(), new_post.clone()];
    ryx::insert_into(posts::table.in_schema("t"))
        .values(&batch)
        .execute(conn)?;
    // a tuple of `column.eq(value)`, and a batch of them
    ryx::insert_into(posts::table.in_schema("t"))
        .values((
            posts::title.eq("hello"),
            posts::views.eq(0),
            posts::active.eq(true),
        ))
        .execute(conn)?;
    ryx::insert_into(posts::table.in_schema("t"))
        .values(vec![
            (
                posts::title.eq("a"),
                posts::views.eq(1),
                posts::active.eq(true),
            ),
            (
                posts::title.eq("b"),
                posts::views.eq(2),
                posts::active.eq(false),
            ),
        ])
        .execute(conn)?;
    // RETURNING
    let _id: i64 = ryx::insert_into(posts::table.in_schema("t"))
        .values(new_post)
        .returning(posts::id)
        .get_result(conn)?;
    Ok(())
}

fn sqlite_inserts(conn: &mut SqliteConnection, new_post: &NewPost) -> QueryResult<()> {
    ryx::insert_into(posts::table.in_schema("t"))
        .values(new_post)
        .execute(conn)?;
    let batch = vec![new_post.clone(), new_post.clone()];
    ryx::insert_into(posts::table.in_schema("t"))
        .values(&batch)
        .execute(conn)?;
    Ok(())
}

fn updates(conn: &mut PgConnection, new_post: &NewPost) -> QueryResult<()> {
    ryx::update(posts::table.in_schema("t"))
        .filter(posts::id.eq(1))
        .set((posts::views.eq(posts::views + 1), posts::active.eq(false)))
        .execute(conn)?;
    ryx::update(posts::table.in_schema("t"))
        .filter(posts::id.eq(1))
        .set(new_post)
        .execute(conn)?;
    ryx::update(posts::table.in_schema("t"))
        .set(&PostChanges {
            title: Some("x"),
            views: None,
        })
        .execute(conn)?;
    let _ids: Vec<i64> = ryx::update(posts::table.in_schema("t"))
        .set(posts::active.eq(true))
        .filter(posts::views.gt(10))
        .returning(posts::id)
        .get_results(conn)?;
    Ok(())
}

fn sqlite_updates(conn: &mut SqliteConnection) -> QueryResult<usize> {
    ryx::update(posts::table.in_schema("t"))
        .filter(posts::id.eq(1))
        .set(posts::views.eq(0))
        .execute(conn)
}

fn deletes(conn: &mut PgConnection) -> QueryResult<()> {
    ryx::delete(posts::table.in_schema("t"))
        .filter(posts::active.eq(false))
        .execute(conn)?;
    ryx::delete(posts::table.in_schema("t")).execute(conn)?;
    let _gone: Vec<i64> = ryx::delete(posts::table.in_schema("t"))
        .filter(posts::views.lt(1))
        .returning(posts::id)
        .get_results(conn)?;
    Ok(())
}

fn sqlite_deletes(conn: &mut SqliteConnection) -> QueryResult<usize> {
    ryx::delete(posts::table.in_schema("t"))
        .filter(posts::id.eq(1))
        .execute(conn)
}

fn main() {
    let _ = (
        inserts,
        sqlite_inserts,
        updates,
        sqlite_updates,
        deletes,
        sqlite_deletes,
    );

    let new_post = NewPost {
        title: "x".into(),
        views: 1,
        active: true,
    };
    let sql = ryx::insert_into(posts::table.in_schema("t1"))
        .values(&new_post)
        .to_sql::<Pg>()
        .unwrap();
    assert_eq!(
        sql,
        r#"INSERT INTO "t1"."posts" ("title", "views", "active") VALUES ($1, $2, $3)"#,
    );

    let u = ryx::update(posts::table.in_schema("t1"))
        .filter(posts::id.eq(7))
        .set(posts::views.eq(5));
    assert_eq!(
        ryx::to_sql::<Pg, _>(&u).unwrap(),
        r#"UPDATE "t1"."posts" SET "views" = $1 WHERE ("posts"."id" = $2)"#,
    );

    let d = ryx::delete(posts::table.in_schema("t1")).filter(posts::active.eq(false));
    assert_eq!(
        ryx::to_sql::<Pg, _>(&d).unwrap(),
        r#"DELETE FROM "t1"."posts" WHERE ("posts"."active" = $1)"#,
    );
}
