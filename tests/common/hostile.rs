//! Shared parts of the hostile-schema-name property tests: the two tables
//! they declare, a database of each test's own, snapshots of its catalog,
//! PostgreSQL's own quoting as the oracle, what each name should do (accepted
//! as given, or refused with the error that names the problem), and the
//! hostile names themselves (injection pieces, quotes, NUL, multi-byte
//! characters around the 63-byte limit, PostgreSQL's reserved names).

use std::collections::BTreeSet;
use std::error::Error as _;

use diesel::connection::SimpleConnection;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseResult, TestRunner};
use ryx::migrate::Error;
use ryx::prelude::*;
use ryx::SchemaNameError;

use super::{pg_url, unique_name};

ryx::ryx_table! {
    hn_authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    hn_posts (id) {
        id -> Int8,
        #[ryx(references = hn_authors, index)]
        author_id -> Int8,
        title -> Varchar,
    }
}

/// A database of the test's own, dropped at the end: other tests create
/// schemas in `test` concurrently, and these tests compare whole catalogs.
pub struct OwnDb {
    name: String,
}

impl OwnDb {
    pub fn new() -> Self {
        let name = unique_name("ryx_hn_db");
        let mut admin = PgConnection::establish(&pg_url()).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for this test and is not reachable at {}: {e}",
                pg_url()
            )
        });
        admin
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"
            ))
            .unwrap();
        OwnDb { name }
    }

    pub fn connect(&self) -> PgConnection {
        let base = pg_url();
        let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
        PgConnection::establish(&format!("{server}/{}", self.name)).unwrap()
    }
}

impl Drop for OwnDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&pg_url()) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    schema: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    rel: Option<String>,
}

/// Every schema (but PostgreSQL's own catalogs) with its tables, sequences
/// and indexes: what a run may have changed.
pub type Catalog = BTreeSet<(String, Option<String>)>;

pub fn catalog(conn: &mut PgConnection) -> Catalog {
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
pub fn tables_of(cat: &Catalog, schema: &str) -> Option<BTreeSet<String>> {
    let mut found = false;
    let mut out = BTreeSet::new();
    for (s, rel) in cat {
        if s == schema {
            found = true;
            if let Some(rel) = rel {
                out.insert(rel.clone());
            }
        }
    }
    found.then_some(out)
}

/// `cat` without the entries of `schema`.
pub fn without(cat: &Catalog, schema: &str) -> Catalog {
    cat.iter().filter(|(s, _)| s != schema).cloned().collect()
}

/// PostgreSQL's own quoting (`format('%I')`), independent of ryx: the oracle
/// the tests create schemas and tables with.
pub fn pg_run_format(conn: &mut PgConnection, template: &str, name: &str) {
    try_pg_run_format(conn, template, name).unwrap();
}

pub fn try_pg_run_format(conn: &mut PgConnection, template: &str, name: &str) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Sql {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let sql = diesel::sql_query("SELECT format($1, $2, $2) AS sql")
        .bind::<diesel::sql_types::Text, _>(template)
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Sql>(conn)?
        .sql;
    conn.batch_execute(&sql)
}

/// Drops `name` (CASCADE) at the end of a case, however the case ends; the
/// schemas PostgreSQL ships lose only what the case may have added.
pub struct Cleanup<'a> {
    pub conn: &'a mut PgConnection,
    pub name: String,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if self.name == "public" || self.name == "information_schema" {
            for t in ["hn_items", "hn_posts", "hn_authors", "ryx_migrations"] {
                let sql = format!("DROP TABLE IF EXISTS %I.{t} CASCADE");
                let _ = try_pg_run_format(self.conn, &sql, &self.name);
            }
        } else if !self.name.is_empty() && !self.name.contains('\0') {
            let _ = try_pg_run_format(self.conn, "DROP SCHEMA IF EXISTS %I CASCADE", &self.name);
        }
    }
}

// ---- the oracle: what a name should do -------------------------------------

/// Valid in a statement: non-empty, at most 63 bytes, no NUL.
pub fn valid(name: &str) -> bool {
    !name.is_empty() && name.len() <= 63 && !name.contains('\0')
}

/// Valid for `CREATE SCHEMA`: also no `pg_` prefix.
pub fn creatable(name: &str) -> bool {
    valid(name) && !name.starts_with("pg_")
}

pub fn reserved(name: &str) -> bool {
    name == "public" || name == "information_schema"
}

pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The refusal `name` deserves from `SchemaName::new_for_create` (or `new`
/// with `for_create = false`), checked variant by variant, with a message that
/// names the problem.
pub fn expect_refusal(
    name: &str,
    err: &SchemaNameError,
    for_create: bool,
) -> Result<(), TestCaseError> {
    let msg = err.to_string();
    if name.is_empty() {
        prop_assert_eq!(err, &SchemaNameError::Empty);
        prop_assert!(msg.contains("empty"), "{}", msg);
    } else if name.len() > 63 {
        let is_too_long = matches!(err, SchemaNameError::TooLong { name: n, len } if n == name && *len == name.len());
        prop_assert!(is_too_long, "{:?} for {:?}", err, name);
        let expected = format!("{} bytes", name.len());
        prop_assert!(msg.contains(&expected) && msg.contains("63"), "{}", msg);
    } else if name.contains('\0') {
        let is_nul = matches!(err, SchemaNameError::ContainsNul { name: n } if n == name);
        prop_assert!(is_nul, "{:?}", err);
        prop_assert!(msg.contains("NUL"), "{}", msg);
    } else if for_create && name.starts_with("pg_") {
        let is_reserved = matches!(err, SchemaNameError::Reserved { name: n } if n == name);
        prop_assert!(is_reserved, "{:?}", err);
        prop_assert!(msg.contains("pg_"), "{}", msg);
    } else {
        prop_assert!(false, "{:?} refused: {:?}", name, err);
    }
    Ok(())
}

/// The error a migrate-side API must return for a name it refuses.
pub fn expect_migrate_refusal(
    name: &str,
    err: &Error,
    for_create: bool,
) -> Result<(), TestCaseError> {
    match err {
        Error::InvalidSchemaName(inner) => {
            prop_assert!(err.to_string().contains("schema name"), "{}", err);
            // the detail is the source
            let source = err.source().map(ToString::to_string).unwrap_or_default();
            prop_assert_eq!(source, inner.to_string());
            expect_refusal(name, inner, for_create)
        }
        other => {
            prop_assert!(
                false,
                "{:?}: expected InvalidSchemaName, got {:?}",
                name,
                other
            );
            Ok(())
        }
    }
}

// ---- the names --------------------------------------------------------------

const PIECES: &[&str] = &[
    "\"",
    "'",
    "\\",
    ";",
    "--",
    "/*",
    "*/",
    " ",
    "\t",
    "\n",
    "\r",
    "$",
    "$$",
    "$1",
    "%",
    "%I",
    "%s",
    "\0",
    "é",
    "日本",
    "🦀",
    "ß",
    "A",
    "Z",
    "x",
    "_",
    ".",
    ",",
    "?",
    "pg_",
    "public",
    "information_schema",
    "\"; DROP SCHEMA public CASCADE; --",
    "'; DROP TABLE x; --",
    "\") ; SELECT 1 --",
    "TENANT",
    "ryx_migrations",
];

/// `len` bytes: ASCII filler, then `tail` (a multi-byte character, so a
/// char-counting check would get the limit wrong).
fn exact_bytes(len: usize, tail: &str) -> String {
    format!("{}{tail}", "a".repeat(len.saturating_sub(tail.len())))
}

/// Names every property also runs on, before the random ones.
pub fn specials() -> Vec<String> {
    vec![
        String::new(),
        "public".to_owned(),
        "information_schema".to_owned(),
        "pg_catalog".to_owned(),
        "pg_tenant".to_owned(),
        "PG_tenant".to_owned(),
        " pg_tenant".to_owned(),
        " leading".to_owned(),
        "trailing ".to_owned(),
        " ".to_owned(),
        "\0".to_owned(),
        "a".repeat(63),
        "a".repeat(64),
        exact_bytes(63, "é"),
        exact_bytes(64, "é"),
        exact_bytes(63, "🦀"),
        exact_bytes(64, "🦀"),
        exact_bytes(63, "日"),
        exact_bytes(65, "日"),
        "é".repeat(31),
        "é".repeat(32),
        "x".repeat(300),
        "Tenant\"One".to_owned(),
    ]
}

pub fn hostile_name() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|p| p.concat());
    let special = prop::sample::select(specials());
    let near_limit = (
        60usize..=66,
        prop::sample::select(vec!["é", "日", "🦀", "a", "\""]),
    )
        .prop_map(|(len, tail)| exact_bytes(len, tail));
    prop_oneof![
        4 => pieces,
        2 => special,
        2 => near_limit,
        2 => "\\PC{0,20}",
        1 => ".{0,80}",
    ]
}

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs `test` on `cases` values of `strategy`; a failure panics with the
/// minimal input proptest found.
pub fn run_cases<S: Strategy>(
    cases: u32,
    fixed: Vec<S::Value>,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S::Value: Clone + std::fmt::Debug,
{
    for value in fixed {
        if let Err(e) = test(value.clone()) {
            panic!("{e}\ninput: {value:?}");
        }
    }
    let mut runner = TestRunner::new(config(cases));
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}
