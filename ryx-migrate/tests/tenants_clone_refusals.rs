//! `lifecycle::clone_tenant` refuses what it cannot do and leaves no new
//! schema after any failure; it waits for the template's migration lock.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
#![cfg(feature = "postgres")]

mod common;

use std::time::Duration;

use common::{fixtures, pg_url, Schemas};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::lifecycle::{clone_tenant, CloneOptions};
use ryx_migrate::{Error, FileRunner};

fn connect() -> PgConnection {
    PgConnection::establish(&pg_url()).unwrap()
}

fn migrate(conn: &mut PgConnection, schema: &str) {
    FileRunner::new()
        .migrations_dir(fixtures("clone"))
        .schema(schema)
        .run(conn)
        .unwrap();
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Bool)]
    found: bool,
}

fn exists(conn: &mut PgConnection, schema: &str) -> bool {
    diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS found",
    )
    .bind::<Text, _>(schema)
    .get_result::<Found>(conn)
    .unwrap()
    .found
}

#[test]
fn an_existing_name_is_refused_and_left_as_it_was() {
    let schemas = Schemas::new(3);
    let (template, tenant, plain) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let mut conn = connect();
    migrate(&mut conn, template);
    ryx_migrate::create_tenant(&mut conn, tenant).unwrap();
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{plain}\"; CREATE TABLE \"{plain}\".keep (id INT)"
    ))
    .unwrap();
    for new in [tenant, plain, template] {
        let e = clone_tenant(&mut conn, template, new, CloneOptions::new()).unwrap_err();
        assert!(
            matches!(&e, Error::SchemaExists { schema } if schema == new),
            "{e:?}"
        );
        assert!(e.to_string().contains("already exists"), "{e}");
    }
    // untouched: the tenant has no tables, the plain schema its one table
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let tables = |conn: &mut PgConnection, s: &str| {
        diesel::sql_query("SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE schemaname = $1")
            .bind::<Text, _>(s)
            .get_result::<Count>(conn)
            .unwrap()
            .n
    };
    assert_eq!(tables(&mut conn, tenant), 1);
    assert_eq!(tables(&mut conn, plain), 1);
}

#[test]
fn a_template_that_is_not_a_tenant_and_reserved_names_are_refused() {
    let schemas = Schemas::new(3);
    let (plain, missing, new) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let mut conn = connect();
    conn.batch_execute(&format!("CREATE SCHEMA \"{plain}\""))
        .unwrap();
    for template in [plain, missing] {
        let e = clone_tenant(&mut conn, template, new, CloneOptions::new()).unwrap_err();
        assert!(matches!(e, Error::NoSuchTenant { .. }), "{e:?}");
    }
    for (template, new) in [
        ("public", new.as_str()),
        (plain.as_str(), "public"),
        (plain.as_str(), "information_schema"),
    ] {
        let e = clone_tenant(&mut conn, template, new, CloneOptions::new()).unwrap_err();
        assert!(matches!(e, Error::ReservedSchema { .. }), "{e:?}");
    }
    let e = clone_tenant(&mut conn, plain, "pg_tenant", CloneOptions::new()).unwrap_err();
    assert!(matches!(e, Error::InvalidSchemaName(_)), "{e:?}");
    assert!(!exists(&mut conn, new));
}

#[test]
fn a_template_with_objects_a_clone_cannot_copy_is_refused_before_anything_is_created() {
    let schemas = Schemas::new(2);
    let (template, new) = (&schemas.0[0], &schemas.0[1]);
    let mut conn = connect();
    migrate(&mut conn, template);
    conn.batch_execute(&format!(
        "SET search_path TO \"{template}\"; \
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; \
         CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch(); \
         CREATE DOMAIN positive AS INT CHECK (VALUE > 0); \
         SET search_path TO DEFAULT"
    ))
    .unwrap();
    let e = clone_tenant(&mut conn, template, new, CloneOptions::new()).unwrap_err();
    let Error::CannotClone { reason, .. } = &e else {
        panic!("{e:?}");
    };
    for what in [
        "function touch",
        "trigger accounts_touch on accounts",
        "type positive",
    ] {
        assert!(reason.contains(what), "{what} not in {reason}");
    }
    assert!(
        e.to_string().contains("ryx tenants create NEW --dir"),
        "{e}"
    );
    assert!(!exists(&mut conn, new));
}

#[test]
fn a_clone_that_would_still_use_the_template_is_rolled_back() {
    let schemas = Schemas::new(2);
    let (template, new) = (&schemas.0[0], &schemas.0[1]);
    let mut conn = connect();
    ryx_migrate::create_tenant(&mut conn, template).unwrap();
    // a sequence named like a system table: printed qualified (the system
    // table comes first on any search_path), so the copied default would
    // still call the template's sequence. Found after the DDL ran, mid-way.
    conn.batch_execute(&format!(
        "CREATE SEQUENCE \"{template}\".pg_statistic; \
         CREATE TABLE \"{template}\".items (id BIGINT NOT NULL \
           DEFAULT nextval('\"{template}\".pg_statistic'::regclass))"
    ))
    .unwrap();
    let e = clone_tenant(&mut conn, template, new, CloneOptions::new()).unwrap_err();
    let Error::CannotClone { reason, .. } = &e else {
        panic!("{e:?}");
    };
    assert!(
        reason.contains("would still use the template") && reason.contains("items"),
        "{reason}"
    );
    assert!(!exists(&mut conn, new));
    // and the connection's search_path and transaction state are as before
    conn.batch_execute("SELECT 1").unwrap();
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        s: String,
    }
    let path = diesel::sql_query("SELECT current_setting('search_path') AS s")
        .get_result::<Setting>(&mut conn)
        .unwrap()
        .s;
    assert_eq!(path, "\"$user\", public");
}

#[test]
fn a_clone_waits_for_a_migration_of_its_template_and_fails_whole_inside_a_transaction() {
    let schemas = Schemas::new(3);
    let (template, new, other) = (&schemas.0[0], &schemas.0[1], &schemas.0[2]);
    let mut conn = connect();
    migrate(&mut conn, template);
    // another session holds the template's migration lock, with the key the
    // runners use (as `sqlmigrate` prints it)
    let (begin, _) =
        <diesel::pg::Pg as ryx_migrate::MigrationBackend>::locked_script(template, true);
    let lock = begin
        .iter()
        .find(|l| l.starts_with("SELECT pg_advisory_xact_lock("))
        .unwrap()
        .clone();
    let mut holder = connect();
    holder.batch_execute("BEGIN").unwrap();
    holder.batch_execute(&lock).unwrap();
    let (template2, new2) = (template.clone(), new.clone());
    let cloning = std::thread::spawn(move || {
        let mut conn = connect();
        clone_tenant(&mut conn, &template2, &new2, CloneOptions::new())
    });
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        !cloning.is_finished(),
        "the clone did not wait for the lock"
    );
    assert!(!exists(&mut conn, new));
    holder.batch_execute("COMMIT").unwrap();
    let report = cloning.join().unwrap().unwrap();
    assert_eq!(report.migrations, 3);
    assert!(exists(&mut conn, new));

    // inside the caller's transaction it is a savepoint: rolled back with it
    let result: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        clone_tenant(conn, template, other, CloneOptions::new()).unwrap();
        assert!(exists(conn, other));
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    assert!(!exists(&mut conn, other));
}

#[test]
fn names_needing_quotes_are_cloned_and_renamed_exactly() {
    let schemas = Schemas::new(1);
    let template = &schemas.0[0];
    // quotes, a space, upper case, a semicolon: quoted everywhere they go
    let new = format!("Tenant \"{}\"; --", &template[8..]);
    let renamed = format!("{new} renamed");
    let mut conn = connect();
    migrate(&mut conn, template);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let report = clone_tenant(
            &mut conn,
            template,
            &new,
            CloneOptions::new().with_data(true),
        )
        .unwrap();
        assert_eq!(report.migrations, 3);
        assert!(exists(&mut conn, &new));
        let quoted = format!("\"{}\"", new.replace('"', "\"\""));
        conn.batch_execute(&format!(
            "INSERT INTO {quoted}.accounts (email) VALUES ('x@example.com')"
        ))
        .unwrap();
        ryx_migrate::lifecycle::rename_tenant(&mut conn, &new, &renamed).unwrap();
        assert!(!exists(&mut conn, &new) && exists(&mut conn, &renamed));
    }));
    for s in [&new, &renamed] {
        let _ = conn.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            s.replace('"', "\"\"")
        ));
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
