//! `fleet::drop_tenant`: drops a ryx tenant and nothing else.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

#[cfg(feature = "postgres")]
mod postgres {
    use std::sync::atomic::{AtomicU32, Ordering};

    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
    use ryx_migrate::{create_tenant, fleet, Error};

    fn connect() -> PgConnection {
        let url = std::env::var("RYX_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        PgConnection::establish(&url).unwrap()
    }

    /// A schema name of this test's own, dropped at the end whatever happened.
    struct Schema(String);

    impl Schema {
        fn new(prefix: &str) -> Self {
            static N: AtomicU32 = AtomicU32::new(0);
            Schema(format!(
                "{prefix}_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ))
        }
    }

    impl Drop for Schema {
        fn drop(&mut self) {
            let quoted = self.0.replace('"', "\"\"");
            let _ = connect().batch_execute(&format!("DROP SCHEMA IF EXISTS \"{quoted}\" CASCADE"));
        }
    }

    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }

    fn exists(conn: &mut PgConnection, schema: &str) -> bool {
        diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS found",
        )
        .bind::<diesel::sql_types::Text, _>(schema)
        .get_result::<Found>(conn)
        .unwrap()
        .found
    }

    #[test]
    fn a_tenant_is_dropped_with_everything_in_it() {
        let mut conn = connect();
        // a name that must be quoted, to go through the backend's quoting
        let tenant = Schema::new("ryx drop \"tenant\"");
        create_tenant(&mut conn, &tenant.0).unwrap();
        conn.batch_execute(&format!(
            "CREATE TABLE \"{}\".t (id INT)",
            tenant.0.replace('"', "\"\"")
        ))
        .unwrap();
        assert!(fleet::drop_tenant(&mut conn, &tenant.0).unwrap());
        assert!(!exists(&mut conn, &tenant.0));
        assert!(
            !fleet::drop_tenant(&mut conn, &tenant.0).unwrap(),
            "gone: nothing to drop"
        );
    }

    #[test]
    fn a_schema_that_is_not_a_tenant_is_left_alone() {
        let mut conn = connect();
        let plain = Schema::new("ryx_drop_plain");
        conn.batch_execute(&format!("CREATE SCHEMA \"{}\"", plain.0))
            .unwrap();
        assert!(!fleet::drop_tenant(&mut conn, &plain.0).unwrap());
        assert!(exists(&mut conn, &plain.0));
        assert!(!fleet::drop_tenant(&mut conn, "public").unwrap());
        assert!(exists(&mut conn, "public"));
        assert!(matches!(
            fleet::drop_tenant(&mut conn, "pg_catalog"),
            Err(Error::InvalidSchemaName(_))
        ));
        assert!(matches!(
            fleet::drop_tenant(&mut conn, ""),
            Err(Error::InvalidSchemaName(_))
        ));
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_has_no_schema_to_drop() {
    use diesel::{Connection, SqliteConnection};

    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    ryx_migrate::create_tenant(&mut conn, "default").unwrap();
    assert!(!ryx_migrate::fleet::drop_tenant(&mut conn, "default").unwrap());
    assert_eq!(
        ryx_migrate::fleet::tenants(&mut conn).unwrap(),
        ["default"],
        "the database's history is still there"
    );
}
