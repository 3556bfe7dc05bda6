//! A statement whose scoped tables name different schemas, on real
//! PostgreSQL: ryx cannot refuse it when the statement is built (each table
//! renders its own schema), so it runs, naming both; what catches it is the
//! database, when each tenant's role may use only its own schema.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::tables::*;
use diesel::connection::SimpleConnection;
use ryx::prelude::*;

/// A login role of the test's own, dropped (with its grants) at the end.
struct Role(String);

impl Drop for Role {
    fn drop(&mut self) {
        let _ = common::pg_connect().batch_execute(&format!(
            "DROP OWNED BY \"{0}\"; DROP ROLE IF EXISTS \"{0}\"",
            self.0
        ));
    }
}

#[test]
fn a_join_across_schemas_runs_and_a_tenant_role_refuses_it() -> QueryResult<()> {
    let (_guard, mut conn, acme, globex) = common::dsl::postgres::setup();
    let join = ms_posts::table
        .in_schema(&acme)
        .inner_join(ms_authors::table.in_schema(&globex))
        .select(ms_posts::title);
    // what the type system cannot see: both schemas, in one statement
    let sql = ryx::to_sql::<diesel::pg::Pg, _>(&join)?;
    assert!(
        sql.contains(&format!("\"{acme}\".\"ms_posts\""))
            && sql.contains(&format!("\"{globex}\".\"ms_authors\"")),
        "{sql}"
    );
    let titles: Vec<String> = join.load(&mut conn)?;
    assert!(titles.is_empty());

    // acme's role may use acme's schema only
    let role = Role(common::unique_name("ryx_role"));
    conn.batch_execute(&format!(
        "CREATE ROLE \"{r}\" LOGIN; GRANT USAGE ON SCHEMA \"{acme}\" TO \"{r}\"; \
         GRANT SELECT ON ALL TABLES IN SCHEMA \"{acme}\" TO \"{r}\"",
        r = role.0
    ))
    .unwrap();
    conn.transaction(|conn| {
        conn.batch_execute(&format!("SET LOCAL ROLE \"{}\"", role.0))?;
        // its own tenant works
        let own: i64 = ms_posts::table.in_schema(&acme).count().get_result(conn)?;
        assert_eq!(own, 0);
        diesel::result::QueryResult::Ok(())
    })?;
    let err = conn
        .transaction(|conn| {
            conn.batch_execute(&format!("SET LOCAL ROLE \"{}\"", role.0))?;
            ms_posts::table
                .in_schema(&acme)
                .inner_join(ms_authors::table.in_schema(&globex))
                .select(ms_posts::title)
                .load::<String>(conn)
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("permission denied for schema"),
        "{err}"
    );
    Ok(())
}
