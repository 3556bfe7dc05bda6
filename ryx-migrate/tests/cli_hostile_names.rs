//! Arbitrary strings as schema names on the `ryx` command line, run as a real
//! process against PostgreSQL and property-tested: `tenants create`,
//! `migrate --schema`, `showmigrations --schema` and `tenants drop --yes`
//! either succeed (exit 0) on a schema of exactly that name and nothing
//! else, or refuse the name (exit 2, exactly one `error:` line on stderr)
//! having changed nothing; never a panic or a backtrace.
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

use std::collections::BTreeSet;
use std::process::Output;

use common::{fixtures, ryx, text, PgDb};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryResult, RunQueryDsl};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseResult, TestRunner};

/// Every schema (but PostgreSQL's own catalogs) with its tables, sequences
/// and indexes.
type Catalog = BTreeSet<(String, Option<String>)>;

fn catalog(conn: &mut PgConnection) -> Catalog {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        schema: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        rel: Option<String>,
    }
    diesel::sql_query(
        "SELECT n.nspname::text AS schema, c.relname::text AS rel \
         FROM pg_catalog.pg_namespace n \
         LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'i') \
         WHERE n.nspname NOT IN ('pg_catalog', 'pg_toast')",
    )
    .load::<Row>(conn)
    .unwrap()
    .into_iter()
    .map(|r| (r.schema, r.rel))
    .collect()
}

/// The relations in `schema`, `None` if there is no schema of that exact name.
fn tables_of(cat: &Catalog, schema: &str) -> Option<BTreeSet<String>> {
    let mut found = false;
    let mut out = BTreeSet::new();
    for (s, rel) in cat {
        if s == schema {
            found = true;
            out.extend(rel.clone());
        }
    }
    found.then_some(out)
}

fn without(cat: &Catalog, schema: &str) -> Catalog {
    cat.iter().filter(|(s, _)| s != schema).cloned().collect()
}

/// `DROP SCHEMA IF EXISTS` quoted by PostgreSQL itself (`format('%I')`),
/// independent of ryx.
fn drop_schema(conn: &mut PgConnection, name: &str) -> QueryResult<()> {
    #[derive(diesel::QueryableByName)]
    struct Sql {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let sql = diesel::sql_query("SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', $1) AS sql")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Sql>(conn)?
        .sql;
    conn.batch_execute(&sql)
}

struct Cleanup<'a> {
    conn: &'a mut PgConnection,
    name: String,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if !["public", "information_schema", ""].contains(&self.name.as_str()) {
            let _ = drop_schema(self.conn, &self.name);
        }
    }
}

fn valid(name: &str) -> bool {
    !name.is_empty() && name.len() <= 63 && !name.contains('\0')
}

/// What `tenants create` accepts: valid, no `pg_` prefix, not PostgreSQL's own.
fn tenant(name: &str) -> bool {
    valid(name) && !name.starts_with("pg_") && name != "public" && name != "information_schema"
}

/// Never a panic or a backtrace, whatever the outcome.
fn no_panic(out: &Output) -> TestCaseResult {
    let stderr = text(&out.stderr);
    prop_assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{}",
        stderr
    );
    Ok(())
}

/// Exit 0.
fn succeeded(out: &Output, what: &str) -> TestCaseResult {
    no_panic(out)?;
    prop_assert_eq!(
        out.status.code(),
        Some(0),
        "{}: stdout:\n{}\nstderr:\n{}",
        what,
        text(&out.stdout),
        text(&out.stderr)
    );
    Ok(())
}

/// Exit 2 and exactly one `error:` line.
fn refused(out: &Output, what: &str) -> TestCaseResult {
    no_panic(out)?;
    let stderr = text(&out.stderr);
    prop_assert_eq!(out.status.code(), Some(2), "{}: {}", what, stderr);
    let errors = stderr.lines().filter(|l| l.starts_with("error:")).count();
    prop_assert_eq!(errors, 1, "{}: {}", what, stderr);
    Ok(())
}

const PIECES: &[&str] = &[
    "\"",
    "'",
    "\\",
    ";",
    "--",
    "-",
    "/*",
    "*/",
    " ",
    "\t",
    "\n",
    "$",
    "$$",
    "$(id)",
    "`x`",
    "%",
    "%I",
    "é",
    "日本",
    "🦀",
    "A",
    "Z",
    "x",
    "_",
    ".",
    ",",
    "=",
    "pg_",
    "public",
    "information_schema",
    "\"; DROP SCHEMA public CASCADE; --",
    "'; DROP TABLE x; --",
    "TENANT",
    "ryx_migrations",
    "\nerror: injected",
    "\r",
];

fn exact_bytes(len: usize, tail: &str) -> String {
    format!("{}{tail}", "a".repeat(len.saturating_sub(tail.len())))
}

/// Names every property runs on first. (No NUL: a process argument cannot
/// hold one.)
fn specials() -> Vec<String> {
    vec![
        String::new(),
        "public".to_owned(),
        "information_schema".to_owned(),
        "pg_catalog".to_owned(),
        "pg_tenant".to_owned(),
        "PG_tenant".to_owned(),
        " leading".to_owned(),
        "trailing ".to_owned(),
        "-dash".to_owned(),
        "--yes".to_owned(),
        "a".repeat(63),
        "a".repeat(64),
        exact_bytes(63, "é"),
        exact_bytes(64, "é"),
        exact_bytes(63, "🦀"),
        "x".repeat(300),
        "Tenant\"One; DROP SCHEMA public CASCADE".to_owned(),
        "new\nline".to_owned(),
        "new\nerror: line".to_owned(),
        format!("{}\nerror: too long", "a".repeat(60)),
    ]
}

fn hostile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(PIECES), 1..8).prop_map(|p| p.concat()),
        1 => prop::sample::select(specials()),
        2 => (60usize..=66, prop::sample::select(vec!["é", "日", "🦀", "a", "\""]))
            .prop_map(|(len, tail)| exact_bytes(len, tail)),
        2 => "[^\0]{0,20}",
    ]
}

/// One name through the four commands.
fn check(url: &str, dir: &str, conn: &mut PgConnection, name: &str) -> TestCaseResult {
    let before = catalog(conn);
    let cleanup = Cleanup {
        conn,
        name: name.to_owned(),
    };
    let schema_opt = format!("--schema={name}");
    // `--` and `--schema=`: the name is the value whatever it starts with
    let create = ryx(&["--url", url, "tenants", "create", "--dir", dir, "--", name]);
    if !tenant(name) {
        refused(&create, "tenants create")?;
        let drop = ryx(&["--url", url, "tenants", "drop", "--yes", "--", name]);
        refused(&drop, "tenants drop")?;
        if !valid(name) || name.starts_with("pg_") {
            let migrate = ryx(&["--url", url, "migrate", "--dir", dir, &schema_opt]);
            refused(&migrate, "migrate")?;
        }
        let show = ryx(&["--url", url, "showmigrations", "--dir", dir, &schema_opt]);
        if !valid(name) {
            refused(&show, "showmigrations")?;
        } else {
            // only reads: PostgreSQL's own schemas are shown (exit 0), a
            // `pg_` schema that does not exist is that tenant's failure (exit 1)
            no_panic(&show)?;
            let stderr = text(&show.stderr);
            let errors = stderr.lines().filter(|l| l.starts_with("error:")).count();
            match show.status.code() {
                Some(0) => prop_assert_eq!(errors, 0, "{}", stderr),
                Some(1) => prop_assert_eq!(errors, 1, "{}", stderr),
                other => prop_assert!(false, "showmigrations exit {:?}: {}", other, stderr),
            }
        }
        prop_assert_eq!(catalog(cleanup.conn), before);
        return Ok(());
    }
    succeeded(&create, "tenants create")?;
    let stdout = text(&create.stdout);
    prop_assert!(stdout.contains("3 migration(s) applied"), "{}", stdout);
    let created = catalog(cleanup.conn);
    prop_assert_eq!(without(&created, name), before.clone());
    let tables = tables_of(&created, name);
    prop_assert!(tables.is_some(), "no schema named {:?}", name);
    let tables = tables.unwrap();
    for t in ["ryx_migrations", "ms_authors", "ms_posts"] {
        prop_assert!(
            tables.contains(t),
            "{} missing in {:?}: {:?}",
            t,
            name,
            tables
        );
    }

    let migrate = ryx(&["--url", url, "migrate", "--dir", dir, &schema_opt]);
    succeeded(&migrate, "migrate")?;
    prop_assert_eq!(catalog(cleanup.conn), created.clone());

    let show = ryx(&[
        "--url",
        url,
        "showmigrations",
        "--dir",
        dir,
        &schema_opt,
        "--format",
        "json",
    ]);
    succeeded(&show, "showmigrations")?;
    let stdout = text(&show.stdout);
    let json: serde_json::Value = serde_json::from_str(stdout.trim())
        .map_err(|e| TestCaseError::fail(format!("{e}: {stdout}")))?;
    prop_assert!(
        json.to_string()
            .contains(&serde_json::Value::from(name).to_string()),
        "{} not in {}",
        name,
        json
    );

    let drop = ryx(&["--url", url, "tenants", "drop", "--yes", "--", name]);
    succeeded(&drop, "tenants drop")?;
    prop_assert_eq!(catalog(cleanup.conn), before.clone());
    // dropped once: now it is no tenant
    let again = ryx(&["--url", url, "tenants", "drop", "--yes", "--", name]);
    refused(&again, "tenants drop (again)")?;
    prop_assert_eq!(catalog(cleanup.conn), before);
    Ok(())
}

#[test]
fn hostile_schema_names_on_the_command_line() {
    let db = PgDb::new();
    let url = db.url();
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let conn = std::cell::RefCell::new(PgConnection::establish(&url).unwrap());
    // every fixed name and the random ones run; the failures are reported together
    let mut failures = Vec::new();
    for name in specials() {
        if let Err(e) = check(&url, dir, &mut conn.borrow_mut(), &name) {
            failures.push(format!("{e}\ninput: {name:?}"));
        }
    }
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 20,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    if let Err(e) = runner.run(&hostile_name(), |name| {
        check(&url, dir, &mut conn.borrow_mut(), &name)
    }) {
        failures.push(e.to_string());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
