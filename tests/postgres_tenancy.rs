//! PostgreSQL-only guarantees: the prepared-statement cache never crosses
//! tenants, hostile and boundary schema names, no session state, r2d2 pools.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::tables::*;
use common::{pg_connect, PgSchemas};
use diesel::sql_types::{BigInt, Text};
use ryx::prelude::*;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn schema_exists(conn: &mut PgConnection, name: &str) -> QueryResult<bool> {
    let c: Count =
        diesel::sql_query("SELECT count(*) AS n FROM pg_catalog.pg_namespace WHERE nspname = $1")
            .bind::<Text, _>(name)
            .get_result(conn)?;
    Ok(c.n == 1)
}

/// diesel keys its statement cache on the Rust type for statically identified
/// queries; a scoped query must not, or tenant B's statement would run against
/// tenant A's schema. Same query shapes, one connection, tenants interleaved.
#[test]
fn statement_cache_never_crosses_tenants() -> QueryResult<()> {
    let mut conn = pg_connect();
    let schemas = PgSchemas::with_tables(&mut conn, 3);
    let mut author_of = Vec::new();
    for tenant in &schemas.names {
        let author: Author = ryx::insert_into(ms_authors::table.in_schema(tenant))
            .values(ms_authors::name.eq(tenant))
            .get_result(&mut conn)?;
        author_of.push(author.id);
    }
    const ROUNDS: i32 = 25;
    for round in 0..ROUNDS {
        for (i, tenant) in schemas.names.iter().enumerate() {
            // insert: the same statement shape for every tenant
            ryx::insert_into(ms_posts::table.in_schema(tenant))
                .values(&new_post(
                    author_of[i],
                    &format!("{tenant}/{round}"),
                    0,
                    true,
                    1,
                ))
                .execute(&mut conn)?;
            // update: the same shape
            let n = ryx::update(ms_posts::table.in_schema(tenant))
                .filter(ms_posts::title.eq(format!("{tenant}/{round}")))
                .set(ms_posts::views.eq(round))
                .execute(&mut conn)?;
            assert_eq!(n, 1, "{tenant} round {round}");
            // select: the same shape, results only from this tenant
            let rows: Vec<(String, String)> = ms_posts::table
                .in_schema(tenant)
                .inner_join(ms_authors::table.in_schema(tenant))
                .filter(ms_posts::views.ge(0))
                .select((ms_posts::title, ms_authors::name))
                .load(&mut conn)?;
            assert_eq!(rows.len(), round as usize + 1, "{tenant} round {round}");
            for (title, author) in &rows {
                assert!(
                    title.starts_with(&format!("{tenant}/")),
                    "{tenant} saw {title}"
                );
                assert_eq!(author, tenant);
            }
            let max_views: Option<i32> = ms_posts::table
                .in_schema(tenant)
                .select(diesel::dsl::max(ms_posts::views))
                .first(&mut conn)?;
            assert_eq!(max_views, Some(round));
        }
    }
    Ok(())
}

#[test]
fn hostile_unicode_and_boundary_names_work_on_real_postgres() -> QueryResult<()> {
    let mut conn = pg_connect();
    let suffix = common::unique_name("");
    let sixty_three = {
        let mut s = format!("r{suffix}");
        while s.len() < 63 {
            s.push('x');
        }
        s.truncate(63);
        s
    };
    assert_eq!(sixty_three.len(), 63);
    let names = vec![
        format!(r#"t"; DROP TABLE x; --{suffix}"#),
        format!("tenant-ü-日本 {suffix}"),
        format!("Upper{suffix}"),
        format!("upper{suffix}"),
        sixty_three.clone(),
    ];
    let _guards: Vec<PgSchemas> = names.iter().map(|n| PgSchemas::adopt(n.clone())).collect();
    for name in &names {
        for sql in common::pg_ddl(name) {
            diesel::sql_query(sql).execute(&mut conn)?;
        }
    }
    for name in &names {
        ryx::insert_into(ms_authors::table.in_schema(name))
            .values(ms_authors::name.eq(name))
            .execute(&mut conn)?;
    }
    // each name is its own schema: quoted names are case-sensitive, nothing is truncated
    for name in &names {
        let got: Vec<String> = ms_authors::table
            .in_schema(name)
            .select(ms_authors::name)
            .load(&mut conn)?;
        assert_eq!(got, std::slice::from_ref(name), "schema {name:?}");
        assert!(schema_exists(&mut conn, name)?);
    }
    Ok(())
}

#[test]
fn over_long_names_are_refused_not_truncated() -> QueryResult<()> {
    let mut conn = pg_connect();
    // A schema named by the first 63 bytes exists; the 64-byte name must not reach it.
    let mut base = format!("r{}", common::unique_name(""));
    while base.len() < 63 {
        base.push('y');
    }
    base.truncate(63);
    let _guard = PgSchemas::adopt(base.clone());
    for sql in common::pg_ddl(&base) {
        diesel::sql_query(sql).execute(&mut conn)?;
    }
    let sixty_four = format!("{base}z");
    let err = ryx::insert_into(ms_authors::table.in_schema(&sixty_four))
        .values(ms_authors::name.eq("must not land"))
        .execute(&mut conn)
        .expect_err("a 64-byte name must be refused");
    assert!(err.to_string().contains("64 bytes"), "{err}");
    let landed: i64 = ms_authors::table
        .in_schema(&base)
        .count()
        .get_result(&mut conn)?;
    assert_eq!(landed, 0, "PostgreSQL truncation must never be reached");
    // the same name as multibyte characters: 63 bytes is fine, 65 is not
    assert!(ryx::SchemaName::new("é".repeat(31) + "x").is_ok());
    assert!(ryx::SchemaName::new("é".repeat(32) + "x").is_err());
    Ok(())
}

#[test]
fn ryx_never_changes_search_path() -> QueryResult<()> {
    let mut conn = pg_connect();
    let schemas = PgSchemas::with_tables(&mut conn, 1);
    let before = common::pg_session::search_path(&mut conn);
    let t = &schemas.names[0];
    ryx::insert_into(ms_authors::table.in_schema(t))
        .values(ms_authors::name.eq("x"))
        .execute(&mut conn)?;
    let _: Vec<Author> = ms_authors::table.in_schema(t).load(&mut conn)?;
    ryx::update(ms_authors::table.in_schema(t))
        .set(ms_authors::name.eq("y"))
        .execute(&mut conn)?;
    ryx::delete(ms_authors::table.in_schema(t)).execute(&mut conn)?;
    assert_eq!(common::pg_session::search_path(&mut conn), before);
    Ok(())
}

#[test]
fn scoped_statements_work_through_an_r2d2_pool() -> Result<(), Box<dyn std::error::Error>> {
    use diesel::r2d2::{ConnectionManager, Pool};
    let mut setup = pg_connect();
    let schemas = PgSchemas::with_tables(&mut setup, 4);
    let pool = Pool::builder()
        .max_size(2)
        .build(ConnectionManager::<PgConnection>::new(common::pg_url()))?;
    let before = common::pg_session::search_path(&mut *pool.get()?);
    std::thread::scope(|scope| -> Result<(), Box<dyn std::error::Error>> {
        let handles: Vec<_> = schemas
            .names
            .iter()
            .map(|tenant| {
                let pool = pool.clone();
                scope.spawn(move || -> QueryResult<()> {
                    for i in 0..10 {
                        // a fresh checkout each time: any of the pool's connections
                        let mut conn = pool
                            .get()
                            .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
                        ryx::insert_into(ms_authors::table.in_schema(tenant))
                            .values(ms_authors::name.eq(format!("{tenant}#{i}")))
                            .execute(&mut conn)?;
                        let names: Vec<String> = ms_authors::table
                            .in_schema(tenant)
                            .select(ms_authors::name)
                            .load(&mut conn)?;
                        assert_eq!(names.len(), i + 1);
                        assert!(names.iter().all(|n| n.starts_with(&format!("{tenant}#"))));
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "a pool thread panicked")??;
        }
        Ok(())
    })?;
    assert_eq!(common::pg_session::search_path(&mut *pool.get()?), before);
    Ok(())
}

#[test]
fn empty_search_path_pool_makes_a_forgotten_in_schema_fail(
) -> Result<(), Box<dyn std::error::Error>> {
    use diesel::r2d2::{ConnectionManager, Pool};
    let mut setup = pg_connect();
    let schemas = PgSchemas::with_tables(&mut setup, 1);
    let t = &schemas.names[0];
    let pool = Pool::builder()
        .max_size(1)
        .connection_customizer(Box::new(ryx::pool::EmptySearchPath))
        .build(ConnectionManager::<PgConnection>::new(common::pg_url()))?;
    let mut conn = pool.get()?;
    assert_eq!(common::pg_session::search_path(&mut conn), r#""""#);
    // scoped statements are unaffected
    ryx::insert_into(ms_authors::table.in_schema(t))
        .values(ms_authors::name.eq("x"))
        .execute(&mut conn)?;
    let n: i64 = ms_authors::table
        .in_schema(t)
        .count()
        .get_result(&mut conn)?;
    assert_eq!(n, 1);
    // an unscoped query fails loudly instead of reading some other schema
    let err = ms_authors::table
        .count()
        .get_result::<i64>(&mut conn)
        .expect_err("unscoped query must fail");
    assert!(err.to_string().contains("does not exist"), "{err}");
    Ok(())
}
