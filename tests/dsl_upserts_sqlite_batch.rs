//! Batch upserts on SQLite: a `Vec`, slice or array of rows with
//! `.on_conflict(..).do_update().set(..)`, `.do_nothing()` or
//! `.on_conflict_do_nothing()` is one `INSERT .. VALUES (..), (..) ON CONFLICT ..`
//! statement, the one diesel sends for the same batch on the plain table.
//!
//! What diesel sends is observed through its instrumentation, on a second
//! database with the same rows, so statement, binds, affected-row count and
//! the rows afterwards are all compared. SQLite has no schemas: a tenant is a
//! database of its own and `.in_schema(t)` only checks the name.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use common::upsert_tables::sqlite::setup;
use common::upsert_tables::*;
use diesel::connection::InstrumentationEvent;
use diesel::query_builder::QueryId;
use diesel::sqlite::Sqlite;
use diesel::upsert::excluded;
use ryx::prelude::*;

fn has_static_query_id<Q: QueryId>(_: &Q) -> bool {
    Q::HAS_STATIC_QUERY_ID
}

/// Runs `f` on `conn` and returns its result with every statement it sent
/// (SQL and binds, as diesel's instrumentation shows them; `BEGIN` included).
fn sent<R>(
    conn: &mut SqliteConnection,
    f: impl FnOnce(&mut SqliteConnection) -> R,
) -> (R, Vec<String>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let mut sql = String::new();
            // a statement that cannot be built cannot be shown either: not sent
            if write!(sql, "{query}").is_ok() {
                sink.lock().unwrap().push(sql);
            }
        }
    });
    let result = f(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let statements = log.lock().unwrap().clone();
    (result, statements)
}

/// `(id, views)` of every row in `up_posts`, by id.
fn views(conn: &mut SqliteConnection, t: &str) -> Vec<(i64, i32)> {
    up_posts::table
        .in_schema(t)
        .select((up_posts::id, up_posts::views))
        .order(up_posts::id)
        .load(conn)
        .unwrap()
}

/// A tenant database with rows 1 (`a`, `en`, 1) and 2 (`a`, `de`, 2).
fn seeded() -> (common::SqliteDb, SqliteConnection, String) {
    let (db, mut conn, t, _) = setup();
    ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&vec![up_post(1, "a", "en", 1), up_post(2, "a", "de", 2)])
        .execute(&mut conn)
        .unwrap();
    (db, conn, t)
}

/// The batch as `column.eq(value)` tuples: the form diesel runs on SQLite.
macro_rules! tuples {
    ($($id:expr, $slug:expr, $lang:expr, $views:expr);+) => {
        vec![$((
            up_posts::id.eq(i64::from($id)),
            up_posts::slug.eq($slug),
            up_posts::lang.eq($lang),
            up_posts::views.eq($views),
        )),+]
    };
}

const COLUMNS: &str =
    "INSERT INTO `up_posts` (`id`, `slug`, `lang`, `views`) VALUES (?, ?, ?, ?), (?, ?, ?, ?)";

#[test]
fn tuple_batch_do_update_sends_diesels_statement() -> QueryResult<()> {
    let (_a, mut conn, t) = seeded();
    let (_b, mut plain_conn, _) = seeded();
    let batch = tuples!(1, "a", "en", 5; 3, "b", "en", 7);
    let stmt = ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&batch)
        .on_conflict(up_posts::id)
        .do_update()
        .set(up_posts::views.eq(excluded(up_posts::views)));
    let sql = format!("{COLUMNS} ON CONFLICT (`id`) DO UPDATE SET `views` = excluded.`views`");
    assert_eq!(ryx::to_sql::<Sqlite, _>(&stmt)?, sql);
    assert_eq!(
        diesel::debug_query::<Sqlite, _>(&stmt).to_string(),
        format!(r#"{sql} -- binds: [1, "a", "en", 5, 3, "b", "en", 7]"#)
    );
    assert!(!has_static_query_id(&stmt));

    let (n, ours) = sent(&mut conn, |c| stmt.execute(c));
    let (plain_n, theirs) = sent(&mut plain_conn, |c| {
        diesel::insert_into(up_posts::table)
            .values(&batch)
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)))
            .execute(c)
    });
    assert_eq!(ours.len(), 1, "one statement: {ours:?}");
    assert_eq!(ours, theirs);
    assert_eq!((n?, plain_n?), (2, 2));
    assert_eq!(views(&mut conn, &t), [(1, 5), (2, 2), (3, 7)]);
    assert_eq!(views(&mut conn, &t), views(&mut plain_conn, &t));
    Ok(())
}

#[test]
fn tuple_batch_do_nothing_sends_diesels_statement() -> QueryResult<()> {
    let (_a, mut conn, t) = seeded();
    let (_b, mut plain_conn, _) = seeded();
    // (a, de) conflicts on the unique pair, (z, en) does not
    let batch = tuples!(7, "a", "de", 70; 8, "z", "en", 80);
    let pair = ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&batch)
        .on_conflict((up_posts::slug, up_posts::lang))
        .do_nothing();
    assert_eq!(
        ryx::to_sql::<Sqlite, _>(&pair)?,
        format!("{COLUMNS} ON CONFLICT (`slug`, `lang`) DO NOTHING")
    );
    let (n, ours) = sent(&mut conn, |c| pair.execute(c));
    let (plain_n, theirs) = sent(&mut plain_conn, |c| {
        diesel::insert_into(up_posts::table)
            .values(&batch)
            .on_conflict((up_posts::slug, up_posts::lang))
            .do_nothing()
            .execute(c)
    });
    assert_eq!(ours.len(), 1, "one statement: {ours:?}");
    assert_eq!(ours, theirs);
    assert_eq!((n?, plain_n?), (1, 1));

    // any conflict: id 1 (primary key) and (z, en) (now taken) skipped, 9 inserted
    let batch = tuples!(1, "q", "en", 10; 9, "z", "en", 90; 9, "y", "en", 91);
    let any = ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&batch)
        .on_conflict_do_nothing();
    assert_eq!(
        ryx::to_sql::<Sqlite, _>(&any)?,
        format!("{COLUMNS}, (?, ?, ?, ?) ON CONFLICT DO NOTHING")
    );
    let (n, ours) = sent(&mut conn, |c| any.execute(c));
    let (plain_n, theirs) = sent(&mut plain_conn, |c| {
        diesel::insert_into(up_posts::table)
            .values(&batch)
            .on_conflict_do_nothing()
            .execute(c)
    });
    assert_eq!(ours, theirs);
    assert_eq!((n?, plain_n?), (1, 1));
    assert_eq!(views(&mut conn, &t), [(1, 1), (2, 2), (8, 80), (9, 91)]);
    assert_eq!(views(&mut conn, &t), views(&mut plain_conn, &t));
    Ok(())
}

#[test]
fn struct_batches_are_the_same_one_statement() -> QueryResult<()> {
    let (_a, mut conn, t) = seeded();
    let (_b, mut plain_conn, _) = seeded();
    let (_, theirs) = sent(&mut plain_conn, |c| {
        diesel::insert_into(up_posts::table)
            .values(&tuples!(1, "a", "en", 5; 3, "b", "en", 7))
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)))
            .execute(c)
    });
    let rows = vec![up_post(1, "a", "en", 5), up_post(3, "b", "en", 7)];
    let set = || up_posts::views.eq(excluded(up_posts::views));
    let scoped = || ryx::insert_into(up_posts::table.in_schema(&t));

    // a reference to a Vec, a slice, a Vec by value, an array: one statement each
    let (n, ours) = sent(&mut conn, |c| {
        scoped()
            .values(&rows)
            .on_conflict(up_posts::id)
            .do_update()
            .set(set())
            .execute(c)
    });
    assert_eq!((n?, &ours), (2, &theirs));
    let (n, ours) = sent(&mut conn, |c| {
        scoped()
            .values(&rows[..])
            .on_conflict(up_posts::id)
            .do_update()
            .set(set())
            .execute(c)
    });
    assert_eq!((n?, &ours), (2, &theirs));
    let (n, ours) = sent(&mut conn, |c| {
        scoped()
            .values(rows.clone())
            .on_conflict(up_posts::id)
            .do_update()
            .set(set())
            .execute(c)
    });
    assert_eq!((n?, &ours), (2, &theirs));
    let array = [up_post(1, "a", "en", 6), up_post(4, "c", "en", 8)];
    let stmt = scoped()
        .values(array)
        .on_conflict(up_posts::id)
        .do_update()
        .set(up_posts::views.eq(up_posts::views + excluded(up_posts::views)));
    assert_eq!(
        ryx::to_sql::<Sqlite, _>(&stmt)?,
        format!("{COLUMNS} ON CONFLICT (`id`) DO UPDATE SET `views` = (`up_posts`.`views` + excluded.`views`)")
    );
    assert_eq!(stmt.execute(&mut conn)?, 2);
    assert_eq!(views(&mut conn, &t), [(1, 11), (2, 2), (3, 7), (4, 8)]);
    Ok(())
}

#[test]
fn struct_batch_do_nothing_counts_only_inserted_rows() -> QueryResult<()> {
    let (_a, mut conn, t) = seeded();
    let rows = vec![
        up_post(1, "x", "en", 10),
        up_post(5, "e", "en", 50),
        up_post(6, "a", "de", 60),
    ];
    let pk = ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&rows)
        .on_conflict(up_posts::id)
        .do_nothing();
    assert_eq!(
        ryx::to_sql::<Sqlite, _>(&pk)?,
        format!("{COLUMNS}, (?, ?, ?, ?) ON CONFLICT (`id`) DO NOTHING")
    );
    // id 1 skipped; (a, de) is not the target, so row 6 fails the whole statement
    assert!(pk.execute(&mut conn).is_err());
    assert_eq!(views(&mut conn, &t), [(1, 1), (2, 2)]);

    let (n, ours) = sent(&mut conn, |c| {
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c)
    });
    assert_eq!(ours.len(), 1, "one statement: {ours:?}");
    assert_eq!(n?, 1);
    assert_eq!(views(&mut conn, &t), [(1, 1), (2, 2), (5, 50)]);
    Ok(())
}

/// `id: None` leaves the column out: SQLite picks the rowid.
#[derive(Insertable)]
#[diesel(table_name = up_posts)]
struct AutoIdPost {
    id: Option<i64>,
    slug: &'static str,
    lang: &'static str,
    views: i32,
}

fn auto(id: Option<i64>, slug: &'static str, views: i32) -> AutoIdPost {
    AutoIdPost {
        id,
        slug,
        lang: "en",
        views,
    }
}

#[test]
fn rows_naming_the_same_columns_run_as_one_statement() -> QueryResult<()> {
    let (_a, mut conn, t) = seeded();
    let rows = vec![auto(None, "a", 5), auto(None, "n", 6)];
    let stmt = ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&rows)
        .on_conflict((up_posts::slug, up_posts::lang))
        .do_update()
        .set(up_posts::views.eq(excluded(up_posts::views)));
    assert_eq!(
        ryx::to_sql::<Sqlite, _>(&stmt)?,
        "INSERT INTO `up_posts` (`slug`, `lang`, `views`) VALUES (?, ?, ?), (?, ?, ?) \
         ON CONFLICT (`slug`, `lang`) DO UPDATE SET `views` = excluded.`views`"
    );
    let (n, ours) = sent(&mut conn, |c| stmt.execute(c));
    assert_eq!(ours.len(), 1, "one statement: {ours:?}");
    assert_eq!(n?, 2);
    assert_eq!(views(&mut conn, &t), [(1, 5), (2, 2), (3, 6)]);
    Ok(())
}

#[test]
fn rows_naming_different_columns_are_refused_before_any_sql() {
    let (_a, mut conn, t) = seeded();
    let rows = vec![auto(None, "m", 5), auto(Some(8), "n", 6)];
    let stmt = ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&rows)
        .on_conflict_do_nothing();
    let err = ryx::to_sql::<Sqlite, _>(&stmt).unwrap_err().to_string();
    assert!(
        err.contains("row 2 of this SQLite batch upsert sets the columns (`id`, `slug`, `lang`, `views`) but row 1 sets (`slug`, `lang`, `views`)"),
        "{err}"
    );
    let (result, statements) = sent(&mut conn, |c| stmt.execute(c));
    assert_eq!(result.unwrap_err().to_string(), err);
    assert_eq!(statements, Vec::<String>::new());

    // rows that name no column at all: `DEFAULT VALUES`, one row per statement
    let empty = vec![OnlyId { id: None }, OnlyId { id: None }];
    let (result, statements) = sent(&mut conn, |c| {
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&empty)
            .on_conflict_do_nothing()
            .execute(c)
    });
    let err = result.unwrap_err().to_string();
    assert!(err.contains("set no column"), "{err}");
    assert_eq!(statements, Vec::<String>::new());
    assert_eq!(views(&mut conn, &t), [(1, 1), (2, 2)]);
}

#[derive(Insertable)]
#[diesel(table_name = up_posts)]
struct OnlyId {
    id: Option<i64>,
}

#[test]
fn batch_touches_only_the_tenants_rows() -> QueryResult<()> {
    // two tenants: a database each, with the same rows
    let (_a, mut tenant, t) = seeded();
    let (_b, mut other, u) = seeded();
    let rows = vec![up_post(2, "a", "de", 20), up_post(3, "c", "en", 30)];
    let n = ryx::insert_into(up_posts::table.in_schema(&t))
        .values(&rows)
        .on_conflict(up_posts::id)
        .do_update()
        .set(up_posts::views.eq(excluded(up_posts::views)))
        .execute(&mut tenant)?;
    assert_eq!(n, 2);
    // row 1, not in the batch, is untouched; the other tenant is untouched
    assert_eq!(views(&mut tenant, &t), [(1, 1), (2, 20), (3, 30)]);
    assert_eq!(views(&mut other, &u), [(1, 1), (2, 2)]);
    Ok(())
}

#[test]
fn batch_inside_a_transaction_rolls_back_with_it() {
    let (_a, mut conn, t) = seeded();
    let rows = vec![up_post(1, "a", "en", 100), up_post(4, "d", "en", 40)];
    let result: QueryResult<()> = conn.transaction(|c| {
        let n = ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&rows)
            .on_conflict(up_posts::id)
            .do_update()
            .set(up_posts::views.eq(excluded(up_posts::views)))
            .execute(c)?;
        assert_eq!(n, 2);
        assert_eq!(views(c, &t), [(1, 100), (2, 2), (4, 40)]);
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    assert_eq!(views(&mut conn, &t), [(1, 1), (2, 2)]);
}

#[test]
fn invalid_schema_name_sends_no_sql_for_a_batch() {
    let (_a, mut conn, t) = seeded();
    let rows = vec![up_post(1, "a", "en", 9), up_post(5, "e", "en", 9)];
    let stmt = ryx::insert_into(up_posts::table.in_schema(""))
        .values(&rows)
        .on_conflict(up_posts::id)
        .do_update()
        .set(up_posts::views.eq(excluded(up_posts::views)));
    assert!(ryx::to_sql::<Sqlite, _>(&stmt).is_err());
    let (result, statements) = sent(&mut conn, |c| stmt.execute(c));
    assert!(result.is_err());
    assert_eq!(statements, Vec::<String>::new());
    assert_eq!(views(&mut conn, &t), [(1, 1), (2, 2)]);
}

#[test]
fn empty_batch_sends_diesels_statement() -> QueryResult<()> {
    let (_a, mut conn, t) = seeded();
    let (_b, mut plain_conn, _) = seeded();
    let none: Vec<UpPost> = Vec::new();
    let (_, ours) = sent(&mut conn, |c| {
        ryx::insert_into(up_posts::table.in_schema(&t))
            .values(&none)
            .on_conflict_do_nothing()
            .execute(c)
    });
    let (_, theirs) = sent(&mut plain_conn, |c| {
        diesel::insert_into(up_posts::table)
            .values(&tuples!(1, "a", "en", 1; 2, "b", "en", 2)[..0])
            .on_conflict_do_nothing()
            .execute(c)
    });
    assert_eq!(ours, ["SELECT 1 FROM `up_posts` WHERE 1=0 -- binds: []"]);
    assert_eq!(ours, theirs);
    assert_eq!(views(&mut conn, &t), [(1, 1), (2, 2)]);
    Ok(())
}

#[test]
fn upsert_from_a_select_names_its_columns() -> QueryResult<()> {
    let (_a, mut conn, t) = seeded();
    ryx::insert_into(up_drafts::table.in_schema(&t))
        .values(&vec![
            (
                up_drafts::id.eq(1_i64),
                up_drafts::title.eq("a"),
                up_drafts::views.eq(5),
            ),
            (
                up_drafts::id.eq(7_i64),
                up_drafts::title.eq("g"),
                up_drafts::views.eq(7),
            ),
        ])
        .execute(&mut conn)?;
    ryx::insert_into(up_archive::table.in_schema(&t))
        .values((up_archive::id.eq(1_i64), up_archive::title.eq("kept")))
        .execute(&mut conn)?;
    // with a WHERE: after a bare FROM, SQLite would read the ON as a join's
    let stmt = ryx::insert_into(up_archive::table.in_schema(&t))
        .values(
            up_drafts::table
                .in_schema(&t)
                .select((up_drafts::id, up_drafts::title, up_drafts::views))
                .filter(up_drafts::views.gt(0)),
        )
        .into_columns((up_archive::id, up_archive::title, up_archive::views))
        .on_conflict(up_archive::id)
        .do_nothing();
    assert_eq!(
        ryx::to_sql::<Sqlite, _>(&stmt)?,
        "INSERT INTO `up_archive` (`id`, `title`, `views`) SELECT `up_drafts`.`id`, \
         `up_drafts`.`title`, `up_drafts`.`views` FROM `up_drafts` WHERE (`up_drafts`.`views` > ?) \
         ON CONFLICT (`id`) DO NOTHING"
    );
    assert_eq!(stmt.execute(&mut conn)?, 1);
    let rows: Vec<(i64, String, i32)> = up_archive::table
        .in_schema(&t)
        .select((up_archive::id, up_archive::title, up_archive::views))
        .order(up_archive::id)
        .load(&mut conn)?;
    assert_eq!(rows, [(1, "kept".to_owned(), 0), (7, "g".to_owned(), 7)]);
    Ok(())
}
