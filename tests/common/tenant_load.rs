//! A multi-tenant request load for PostgreSQL connection pools: threads share
//! one r2d2 pool and serve requests for many tenants (schemas), each request a
//! scoped select, insert and update on a fresh checkout. It counts what goes
//! wrong: failed requests, reads that returned another tenant's rows, and rows
//! written into another tenant's schema.
//!
//! Generic over the pool's manager, so the same load runs on diesel's
//! `ConnectionManager<PgConnection>` and on any manager whose connection is a
//! diesel connection (or a wrapper implementing `diesel::Connection`) on `Pg`;
//! [`run_with`] takes a pool whose connection only gives access to one (a
//! wrapper that derefs to `PgConnection`). The tenants' schemas live on the
//! test server ([`pg_url`](super::pg_url)), whatever the pool points at.
//!
//! ```ignore
//! let schemas = PgSchemas::with_tables(&mut pg_connect(), 12);
//! let tenants = tenant_load::seed(&mut pg_connect(), &schemas.names);
//! let outcome = tenant_load::run(&pool, &tenants, 8, 150);
//! assert!(outcome.is_clean(), "{outcome:#?}");
//! ```

use std::collections::BTreeMap;

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use ryx::prelude::*;

use super::tables::*;

/// How many error messages and foreign reads an outcome keeps verbatim.
const SAMPLES: usize = 5;

/// One seeded tenant: its schema, and the ids of the author (named after the
/// schema) and post (titled after the schema) that [`seed`] created there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub schema: String,
    pub author_id: i64,
    pub post_id: i64,
}

/// Puts one author named `schema` and one post titled `schema` into each schema
/// (which must have the `ms_authors`/`ms_posts` tables, see
/// [`PgSchemas::with_tables`](super::PgSchemas::with_tables)). Use a direct
/// connection, not one through a pooler under test.
pub fn seed(conn: &mut PgConnection, schemas: &[String]) -> Vec<Tenant> {
    schemas
        .iter()
        .map(|schema| {
            let author_id: i64 = ryx::insert_into(ms_authors::table.in_schema(schema))
                .values(ms_authors::name.eq(schema))
                .returning(ms_authors::id)
                .get_result(conn)
                .expect("seed author");
            let post_id: i64 = ryx::insert_into(ms_posts::table.in_schema(schema))
                .values(new_post(author_id, schema, 0, true, 1))
                .returning(ms_posts::id)
                .get_result(conn)
                .expect("seed post");
            Tenant {
                schema: schema.clone(),
                author_id,
                post_id,
            }
        })
        .collect()
}

/// What a [`run`] saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOutcome {
    /// Requests attempted (threads × requests per thread).
    pub requests: usize,
    /// Requests that failed: checkout or any of their statements returned an
    /// error (a request stops at its first error, like a handler using `?`).
    pub errors: usize,
    /// Reads whose result was not exactly the tenant's own single author name:
    /// another tenant's rows, or rows of some other statement.
    pub foreign_rows: usize,
    /// Rows found after the load in a tenant's `ms_posts` whose title is not that
    /// tenant's schema name: an insert that ran against another tenant.
    pub foreign_writes: usize,
    /// The first few error messages (the first thread's first).
    pub first_errors: Vec<String>,
    /// Every error message with its digits replaced by `N`, and how often it
    /// occurred (`prepared statement "__diesel_stmt_N" does not exist`: 412).
    pub error_kinds: BTreeMap<String, usize>,
    /// The first few foreign reads: `"<tenant> read [<names>]"`.
    pub first_foreign_rows: Vec<String>,
}

impl LoadOutcome {
    /// No errors, no foreign reads, no foreign writes.
    pub fn is_clean(&self) -> bool {
        self.errors == 0 && self.foreign_rows == 0 && self.foreign_writes == 0
    }

    fn error(&mut self, message: String) {
        self.errors += 1;
        *self.error_kinds.entry(error_kind(&message)).or_default() += 1;
        if self.first_errors.len() < SAMPLES {
            self.first_errors.push(message);
        }
    }

    fn merge(&mut self, other: LoadOutcome) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.foreign_rows += other.foreign_rows;
        self.foreign_writes += other.foreign_writes;
        for message in other.first_errors {
            if self.first_errors.len() < SAMPLES {
                self.first_errors.push(message);
            }
        }
        for (kind, n) in other.error_kinds {
            *self.error_kinds.entry(kind).or_default() += n;
        }
        for read in other.first_foreign_rows {
            if self.first_foreign_rows.len() < SAMPLES {
                self.first_foreign_rows.push(read);
            }
        }
    }
}

/// `message` with every run of digits replaced by one `N`.
fn error_kind(message: &str) -> String {
    let mut kind = String::with_capacity(message.len());
    let mut in_digits = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                kind.push('N');
            }
            in_digits = true;
        } else {
            kind.push(c);
            in_digits = false;
        }
    }
    kind
}

/// Runs `threads` threads that share `pool`; each serves `requests_per_thread`
/// requests, rotating over `tenants` (thread `t`'s request `r` is for tenant
/// `(t + r) % tenants.len()`). A request checks out a connection and runs, on
/// the tenant's schema:
///
/// 1. `SELECT name FROM "<tenant>".ms_authors` — must be exactly `[<tenant>]`;
/// 2. `INSERT INTO "<tenant>".ms_posts` a post titled `<tenant>` (values as a
///    tuple of `column.eq(..)`, which diesel caches as a named statement; a
///    derived `Insertable` struct it never caches on PostgreSQL);
/// 3. `UPDATE "<tenant>".ms_posts SET views = views + 1 WHERE id = <seeded post>`
///    (diesel never caches updates).
///
/// Afterwards each tenant's posts are checked over a direct connection
/// ([`pg_connect`](super::pg_connect)) for titles of other tenants.
///
/// The pool's connection must be a diesel connection on `Pg` (diesel's
/// `ConnectionManager<PgConnection>`, or a wrapper that implements
/// `diesel::Connection` itself); see [`run_with`] for one that only gives
/// access to one.
pub fn run<M>(
    pool: &r2d2::Pool<M>,
    tenants: &[Tenant],
    threads: usize,
    requests_per_thread: usize,
) -> LoadOutcome
where
    M: r2d2::ManageConnection,
    M::Connection: diesel::Connection<Backend = Pg> + LoadConnection,
    M::Error: std::fmt::Display,
{
    run_with(pool, tenants, threads, requests_per_thread, |conn| conn)
}

/// [`run`] for a pool whose connection type is not itself a diesel connection
/// but gives access to one: `run_with(&pool, &tenants, 8, 150, |c| &mut **c)`
/// for a wrapper that derefs to `PgConnection`.
pub fn run_with<M, C, F>(
    pool: &r2d2::Pool<M>,
    tenants: &[Tenant],
    threads: usize,
    requests_per_thread: usize,
    diesel_conn: F,
) -> LoadOutcome
where
    M: r2d2::ManageConnection,
    M::Error: std::fmt::Display,
    C: diesel::Connection<Backend = Pg> + LoadConnection,
    F: Fn(&mut M::Connection) -> &mut C + Sync,
{
    assert!(!tenants.is_empty(), "the load needs tenants");
    let diesel_conn = &diesel_conn;
    let mut outcome = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    let mut outcome = LoadOutcome::default();
                    for r in 0..requests_per_thread {
                        let tenant = &tenants[(thread + r) % tenants.len()];
                        outcome.requests += 1;
                        let mut conn = match pool.get() {
                            Ok(conn) => conn,
                            Err(e) => {
                                outcome.error(format!("checkout: {e}"));
                                continue;
                            }
                        };
                        match request(diesel_conn(&mut conn), tenant) {
                            Ok(None) => {}
                            Ok(Some(names)) => {
                                outcome.foreign_rows += 1;
                                if outcome.first_foreign_rows.len() < SAMPLES {
                                    outcome
                                        .first_foreign_rows
                                        .push(format!("{} read {names:?}", tenant.schema));
                                }
                            }
                            Err(e) => outcome.error(e.to_string()),
                        }
                    }
                    outcome
                })
            })
            .collect();
        let mut total = LoadOutcome::default();
        for worker in workers {
            total.merge(worker.join().expect("a load thread panicked"));
        }
        total
    });
    outcome.foreign_writes = foreign_writes(&mut super::pg_connect(), tenants);
    outcome
}

/// One request; `Ok(Some(names))` when the read returned anything but the
/// tenant's own author.
fn request<C>(conn: &mut C, tenant: &Tenant) -> QueryResult<Option<Vec<String>>>
where
    C: diesel::Connection<Backend = Pg> + LoadConnection,
{
    let schema = tenant.schema.as_str();
    let names: Vec<String> = ms_authors::table
        .in_schema(schema)
        .select(ms_authors::name)
        .load(conn)?;
    ryx::insert_into(ms_posts::table.in_schema(schema))
        .values((
            ms_posts::author_id.eq(tenant.author_id),
            ms_posts::title.eq(schema),
            ms_posts::views.eq(0),
            ms_posts::active.eq(true),
            ms_posts::created_at.eq(at(2)),
        ))
        .execute(conn)?;
    ryx::update(ms_posts::table.in_schema(schema))
        .filter(ms_posts::id.eq(tenant.post_id))
        .set(ms_posts::views.eq(ms_posts::views + 1))
        .execute(conn)?;
    Ok((names != [schema]).then_some(names))
}

/// Posts whose title is not their own schema's name, over all tenants.
fn foreign_writes(conn: &mut PgConnection, tenants: &[Tenant]) -> usize {
    tenants
        .iter()
        .map(|tenant| {
            let n: i64 = ms_posts::table
                .in_schema(&tenant.schema)
                .filter(ms_posts::title.ne(&tenant.schema))
                .count()
                .get_result(conn)
                .expect("count foreign posts");
            usize::try_from(n).expect("count fits usize")
        })
        .sum()
}
