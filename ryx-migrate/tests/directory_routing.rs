//! The tenant directory over two real PostgreSQL servers (the local one and a
//! private cluster this test starts): each tenant's connections reach its own
//! server only, an unmapped tenant is an error (never a default server), and
//! a server that goes down fails only its own tenants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use std::time::Instant;

use common::cluster::PgCluster;
use common::{fixtures, unique, PgDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use ryx_migrate::directory::{Directory, DirectoryError};
use ryx_migrate::{load_dir, FileRunner};

#[derive(QueryableByName)]
struct Port {
    #[diesel(sql_type = Integer)]
    port: i32,
}

#[derive(QueryableByName)]
struct SearchPath {
    #[diesel(sql_type = Text)]
    path: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn port_of(conn: &mut impl diesel::connection::LoadConnection<Backend = diesel::pg::Pg>) -> u16 {
    let p: Port = diesel::sql_query("SELECT current_setting('port')::int AS port")
        .get_result(conn)
        .unwrap();
    p.port as u16
}

fn schema_exists(url: &str, schema: &str) -> bool {
    let mut conn = PgConnection::establish(url).unwrap();
    let c: Count = diesel::sql_query("SELECT count(*) AS n FROM pg_namespace WHERE nspname = $1")
        .bind::<Text, _>(schema)
        .get_result(&mut conn)
        .unwrap();
    c.n == 1
}

struct Setup {
    first: PgDb,
    second: PgCluster,
    file: tempfile::NamedTempFile,
    acme: String,
    globex: String,
    eu: String,
}

fn setup() -> Setup {
    let first = PgDb::new();
    let second = PgCluster::start();
    let (acme, globex, eu) = (unique("acme"), unique("globex"), unique("eu"));
    let eu = format!("eu_{eu}");
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(
        &mut file,
        format!(
            r#"
            [servers.first]
            url = "{}"
            pool_size = 2

            [servers.second]
            url = "{}"
            pool_size = 2
            connection_timeout_ms = 1500

            [tenants]
            {acme} = "first"
            {globex} = "second"

            [[rules]]
            prefix = "eu_"
            server = "second"
            "#,
            first.url(),
            second.url()
        )
        .as_bytes(),
    )
    .unwrap();
    Setup {
        first,
        second,
        file,
        acme,
        globex,
        eu,
    }
}

#[test]
fn each_tenant_reaches_its_own_server_only() {
    let s = setup();
    let directory = Directory::<PgConnection>::load(s.file.path()).unwrap();
    let migrations = load_dir(fixtures("basic")).unwrap();
    let local_port = port_of(&mut PgConnection::establish(&s.first.url()).unwrap());
    for (tenant, port) in [
        (&s.acme, local_port),
        (&s.globex, s.second.port()),
        (&s.eu, s.second.port()),
    ] {
        let mut conn = directory.get(tenant).unwrap();
        assert_eq!(port_of(&mut conn), port, "{tenant}");
        // each server's pool is ryx's: an empty search_path on every connection
        let path: SearchPath = diesel::sql_query("SELECT current_setting('search_path') AS path")
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(path.path, "\"\"", "{tenant}");
        let report = FileRunner::new()
            .migrations(migrations.clone())
            .schema(tenant)
            .run(&mut conn)
            .unwrap();
        assert!(!report.applied.is_empty());
        conn.batch_execute(&format!(
            "INSERT INTO \"{tenant}\".ms_authors (id, name) VALUES (2, '{tenant}')"
        ))
        .unwrap();
    }
    // the schema exists on its server, and only there
    assert!(schema_exists(&s.first.url(), &s.acme));
    assert!(!schema_exists(&s.second.url(), &s.acme));
    for tenant in [&s.globex, &s.eu] {
        assert!(schema_exists(&s.second.url(), tenant));
        assert!(!schema_exists(&s.first.url(), tenant));
    }
    assert_eq!(
        directory.server_of(&s.eu).unwrap().name(),
        "second",
        "mapped by the prefix rule"
    );
}

#[test]
fn an_unmapped_tenant_is_an_error_not_a_default_server() {
    let s = setup();
    let directory = Directory::<PgConnection>::load(s.file.path()).unwrap();
    let stranger = unique("initech");
    let e = directory.get(&stranger).err().unwrap();
    assert!(matches!(e, DirectoryError::UnknownTenant { .. }), "{e:?}");
    let message = e.to_string();
    assert!(
        message.contains(&format!("add `{stranger} = \"SERVER\"` under [tenants]"))
            && message.contains("servers: first, second"),
        "{message}"
    );
    let e = directory.pool("third").err().unwrap();
    assert!(e.to_string().contains("no server `third`"), "{e}");
}

#[test]
fn a_server_that_is_down_fails_only_its_own_tenants() {
    let mut s = setup();
    let directory = Directory::<PgConnection>::load(s.file.path()).unwrap();
    // both pools in use before the outage
    for tenant in [&s.acme, &s.globex] {
        let mut conn = directory.get(tenant).unwrap();
        conn.batch_execute("SELECT 1").unwrap();
    }
    s.second.stop();
    let started = Instant::now();
    let e = directory.get(&s.globex).err().unwrap();
    let message = e.to_string();
    assert!(
        matches!(e, DirectoryError::Connection { ref server, .. } if server == "second"),
        "{e:?}"
    );
    assert!(
        message.contains(&s.globex) && message.contains("server `second`"),
        "{message}"
    );
    // bounded by the server's connection_timeout_ms (1.5 s), not r2d2's 30 s
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    let mut conn = directory.get(&s.acme).unwrap();
    conn.batch_execute("SELECT 1").unwrap();
}

#[test]
fn urls_come_from_the_environment_and_never_show_passwords() {
    let var = unique("RYX_TEST_DIRECTORY_URL").to_uppercase();
    std::env::set_var(&var, "postgres://app:s3cret@127.0.0.1:1/app");
    let text = format!("[servers.main]\nurl_env = \"{var}\"\nconnection_timeout_ms = 200\n[tenants]\nacme = \"main\"\n");
    let directory = Directory::<PgConnection>::from_toml(&text).unwrap();
    assert_eq!(
        directory.server_of("acme").unwrap().url(),
        "postgres://app:s3cret@127.0.0.1:1/app"
    );
    let e = directory.get("acme").err().unwrap().to_string();
    assert!(!e.contains("s3cret") && e.contains("app:***@"), "{e}");
    assert!(!format!("{directory:?}").contains("s3cret"));
    std::env::remove_var(&var);
}

#[test]
fn a_url_of_another_backend_is_refused_when_loaded() {
    let e = Directory::<PgConnection>::from_toml(
        "[servers.main]\nurl = \"mysql://root@127.0.0.1/test\"\n",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("server `main`") && e.contains("is not a PostgreSQL URL"),
        "{e}"
    );
}
