//! Whole-fleet operations: every tenant's status from one catalog query (the
//! history digests, see [`status`]), parallel migration over a connection
//! pool that keeps going past a failed tenant ([`FleetRunner`]), and the
//! models applied to many schemas ([`ModelFleetRunner`]).

use std::collections::BTreeMap;

use crate::apply::{db_error, fleet_error, refuse_open_transaction, RunnerConnection};
use crate::backend::digest::Prefixes;
use crate::backend::{MigrationBackend, TxError};
use crate::error::Error;
use crate::source::MigrationFile;

mod models;
mod runner;

pub use self::models::{ModelFleetReport, ModelFleetRunner, ModelResult};
pub use self::runner::{FleetReport, FleetRunner, Outcome, TenantResult};

/// `schemas` in order without repeats, once every name is valid for a
/// tenant; the first invalid name is the error and nothing runs.
fn checked_schemas(schemas: &[String]) -> Result<Vec<String>, Error> {
    for s in schemas {
        ryx_dsl::SchemaName::new_for_create(s)?;
    }
    let mut seen = std::collections::HashSet::new();
    Ok(schemas
        .iter()
        .filter(|s| seen.insert(*s))
        .cloned()
        .collect())
}

/// The label of the one "tenant" of SQLite and MySQL, which have no schemas.
pub const DEFAULT_TENANT: &str = "default";

/// One tenant's migrations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantStatus {
    /// The schema.
    pub schema: String,
    /// Whether it has a history table (is a ryx tenant yet).
    pub exists: bool,
    /// Applied migrations of the source, in order.
    pub applied: Vec<String>,
    /// Migrations of the source not yet applied, in order.
    pub pending: Vec<String>,
    /// History rows the source does not know (applied elsewhere, or model steps).
    pub unknown: Vec<String>,
    /// Applied migrations whose text changed since (a run refuses them unless
    /// edits are allowed).
    pub changed: Vec<String>,
}

impl TenantStatus {
    /// Whether a run would do nothing: nothing pending and (unless edits are
    /// allowed) nothing changed since it was applied.
    pub fn is_current(&self, allow_changed: bool) -> bool {
        self.pending.is_empty() && (allow_changed || self.changed.is_empty())
    }
}

/// The schemas holding a `ryx_migrations` table: ryx's tenants. On SQLite and
/// MySQL, [`DEFAULT_TENANT`] if the database has a history table.
pub fn tenants<C: RunnerConnection>(conn: &mut C) -> Result<Vec<String>, Error> {
    C::DB::prepare(conn).map_err(fleet_error("prepare the connection"))?;
    match C::DB::tenant_schemas(conn, None).map_err(fleet_error("list the tenant schemas"))? {
        Some(schemas) => Ok(schemas),
        None => Ok(histories(conn, None, None)?.into_keys().collect()),
    }
}

/// Drops the tenant `schema` and everything in it: `DROP SCHEMA IF EXISTS ..
/// CASCADE`, the name quoted by [`Backend::quote`](crate::Backend::quote)
/// through [`DDLGenerator::drop_schema`](crate::DDLGenerator::drop_schema).
///
/// Only a ryx tenant is dropped. Returns `Ok(false)`, having changed nothing,
/// when `schema` holds no `ryx_migrations` table, when it is `public`, and on
/// SQLite and MySQL, which have no schemas to drop. An invalid name (empty,
/// over 63 bytes, `pg_`-prefixed) is [`Error::InvalidSchemaName`];
/// `information_schema` is [`Error::ReservedSchema`]. (`public` keeps its
/// `Ok(false)`; the `ryx tenants drop` command refuses it as reserved.)
///
/// ```no_run
/// # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// if !ryx_migrate::fleet::drop_tenant(conn, "acme")? {
///     eprintln!("acme is not a ryx tenant: nothing dropped");
/// }
/// # Ok(()) }
/// ```
pub fn drop_tenant<C: RunnerConnection>(conn: &mut C, schema: &str) -> Result<bool, Error> {
    let name = ryx_dsl::SchemaName::new_for_create(schema)?;
    if name.as_str() == "information_schema" {
        refuse_reserved(schema)?;
    }
    let Some(sql) = crate::ddl::DDLGenerator::new(C::DB::KIND).drop_schema(name.as_str())? else {
        return Ok(false);
    };
    if name.as_str() == "public" {
        return Ok(false);
    }
    C::DB::prepare(conn).map_err(db_error(schema, "prepare the connection"))?;
    if !is_tenant(conn, schema).map_err(db_error(schema, "look for its ryx_migrations table"))? {
        return Ok(false);
    }
    conn.batch_execute(&sql)
        .map_err(db_error(schema, "drop the tenant"))?;
    Ok(true)
}

/// PostgreSQL's own schemas, never a tenant (`pg_*` is refused by
/// [`ryx_dsl::SchemaName::new_for_create`]).
const RESERVED: [&str; 2] = ["public", "information_schema"];

/// [`Error::ReservedSchema`] for `public` and `information_schema`.
fn refuse_reserved(schema: &str) -> Result<(), Error> {
    if RESERVED.contains(&schema) {
        return Err(Error::ReservedSchema {
            schema: schema.to_owned(),
        });
    }
    Ok(())
}

/// Whether `schema` holds a `ryx_migrations` table (on SQLite and MySQL:
/// whether the database does).
fn is_tenant<C: RunnerConnection>(conn: &mut C, schema: &str) -> diesel::QueryResult<bool> {
    let only = [schema.to_owned()];
    match C::DB::tenant_schemas(conn, Some(&only))? {
        Some(found) => Ok(found.iter().any(|t| t == schema)),
        None => Ok(C::DB::live_tables(conn, schema)?
            .iter()
            .any(|t| t == crate::HISTORY_TABLE)),
    }
}

/// Whether `schema` is a ryx tenant, and if not whether a schema of that name
/// exists at all: `(exists, is_tenant)`. On SQLite and MySQL the database
/// always exists.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) fn schema_state<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
) -> Result<(bool, bool), Error> {
    C::DB::prepare(conn).map_err(db_error(schema, "prepare the connection"))?;
    let exists =
        C::DB::schema_exists(conn, schema).map_err(db_error(schema, "look for the schema"))?;
    let tenant = exists
        && is_tenant(conn, schema)
            .map_err(db_error(schema, "look for its ryx_migrations table"))?;
    Ok((exists, tenant))
}

/// As [`create_tenant`](crate::create_tenant), and a schema that already
/// exists without a `ryx_migrations` table is made a tenant too: its tables
/// stay as they are, a history table is added, and from then on
/// [`drop_tenant`] can drop it with everything in it. Use it only for a
/// schema that is meant to be a tenant (one made by hand, or by an older
/// tool). `public`, `information_schema` and `pg_*` are still refused.
///
/// ```no_run
/// # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// ryx_migrate::fleet::adopt_tenant(conn, "legacy_acme")?;
/// # Ok(()) }
/// ```
pub fn adopt_tenant<C: RunnerConnection>(conn: &mut C, schema: &str) -> Result<(), Error> {
    create(conn, schema, true)
}

/// [`create_tenant`](crate::create_tenant) and [`adopt_tenant`]: the checks,
/// then the schema and its history table under the schema's lock.
pub(crate) fn create<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    adopt: bool,
) -> Result<(), Error> {
    refuse_reserved(schema)?;
    ryx_dsl::SchemaName::new_for_create(schema)?;
    refuse_open_transaction(conn, schema, None)?;
    C::DB::prepare(conn).map_err(db_error(schema, "prepare the connection"))?;
    C::DB::locked(conn, schema, true, |conn| {
        // under the lock: a schema made by hand meanwhile is seen
        if !adopt
            && C::DB::KIND.has_schemas()
            && C::DB::schema_exists(conn, schema)?
            && !is_tenant(conn, schema)?
        {
            return Err(TxError::Ryx(Error::NotATenant {
                schema: schema.to_owned(),
            }));
        }
        crate::backend::ensure_history::<C::DB, C>(conn, schema)?;
        // ensure_history cleared the history's digest: set it from what the
        // history holds (nothing for a new tenant, everything for one that
        // was a tenant already).
        if C::DB::KIND.has_schemas() {
            let rows = C::DB::read_history_table(conn, schema)?;
            let digest = crate::backend::digest::history_digest(
                rows.iter().map(|r| (r.name.as_str(), r.checksum.as_str())),
            );
            if let Some(sql) = crate::backend::digest::stamp_sql(C::DB::KIND, schema, Some(&digest))
            {
                conn.batch_execute(&sql)?;
            }
        }
        Ok(())
    })
    .map_err(|e| match e {
        TxError::Ryx(e) => e,
        TxError::Db(source) => Error::Database {
            schema: schema.to_owned(),
            action: "create the schema and its history table",
            source,
        },
    })
}

/// History `(name, checksum)` rows per tenant, for `only` (or every tenant).
///
/// On PostgreSQL, with `known` (the digests of the migrations' prefixes),
/// one catalog query reads every tenant with its history's digest; a tenant
/// whose digest is a prefix's has exactly that prefix applied, and only the
/// others' history tables are read, with one `UNION ALL` (in chunks of 500).
/// Without `known`, every history table is read.
fn histories<C: RunnerConnection>(
    conn: &mut C,
    only: Option<&[String]>,
    known: Option<&Prefixes>,
) -> Result<BTreeMap<String, Vec<(String, String)>>, Error> {
    C::DB::prepare(conn).map_err(fleet_error("prepare the connection"))?;
    let mut out = BTreeMap::new();
    let listed = match known {
        Some(_) => C::DB::tenant_digests(conn, only),
        None => C::DB::tenant_schemas(conn, only)
            .map(|found| found.map(|list| list.into_iter().map(|s| (s, None)).collect())),
    }
    .map_err(fleet_error("list the tenant schemas"))?;
    match listed {
        Some(tenants) => {
            let mut unread = Vec::new();
            for (schema, digest) in tenants {
                match known.and_then(|k| k.history(digest.as_deref())) {
                    Some(history) => {
                        out.insert(schema, history.to_vec());
                    }
                    None => unread.push(schema),
                }
            }
            // A tenant dropped between the two queries fails the second one:
            // list the unread ones again and retry once.
            let rows = match C::DB::history_names(conn, &unread) {
                Ok(rows) => rows,
                Err(_) => {
                    unread = C::DB::tenant_schemas(conn, Some(&unread))
                        .map_err(fleet_error("list the tenant schemas"))?
                        .unwrap_or_default();
                    C::DB::history_names(conn, &unread)
                        .map_err(fleet_error("read the migration histories"))?
                }
            };
            for s in &unread {
                out.insert(s.clone(), Vec::new());
            }
            for (schema, name, checksum) in rows {
                if let Some(list) = out.get_mut(&schema) {
                    list.push((name, checksum));
                }
            }
        }
        None => {
            let tables = C::DB::live_tables(conn, DEFAULT_TENANT)
                .map_err(db_error(DEFAULT_TENANT, "list the tables"))?;
            if tables.iter().any(|t| t == crate::HISTORY_TABLE) {
                let names: Vec<(String, String)> = C::DB::read_history(conn, DEFAULT_TENANT)
                    .map_err(db_error(DEFAULT_TENANT, "read the migration history"))?
                    .into_iter()
                    .map(|r| (r.name, r.checksum))
                    .collect();
                match only {
                    Some(list) => {
                        for s in list {
                            out.insert(s.clone(), names.clone());
                        }
                    }
                    None => {
                        out.insert(DEFAULT_TENANT.to_owned(), names);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The status of `schemas` (or of every tenant) against `migrations`.
///
/// On PostgreSQL the number of queries does not grow with the tenants: one
/// catalog query reads every tenant with the digest of its history, which
/// ryx keeps as the comment of the tenant's `ryx_migrations` table and sets
/// with every change it makes to the history. A tenant whose digest says it
/// has applied exactly the first migrations of `migrations` (by name, with
/// their current checksums) is not read further; the history tables of the
/// others (no comment, as on tenants made by ryx before it kept digests,
/// unknown rows, changed checksums, ..) are read, in one `UNION ALL` per 500
/// tenants.
///
/// A history edited by hand (a row deleted or added with SQL) leaves the
/// digest behind, and such a tenant would still be reported as the digest
/// says. After such an edit, clear the digest (`COMMENT ON TABLE
/// "tenant".ryx_migrations IS NULL`; the next migration of the tenant sets it
/// again), or use [`verified_status`], which reads every history table.
pub fn status<C: RunnerConnection>(
    conn: &mut C,
    schemas: Option<&[String]>,
    migrations: &[MigrationFile],
) -> Result<Vec<TenantStatus>, Error> {
    let known = Prefixes::new(
        migrations
            .iter()
            .map(|m| (m.name.clone(), m.checksum()))
            .collect(),
    );
    status_with(conn, schemas, migrations, Some(&known))
}

/// As [`status`], reading every tenant's history table, whatever its digest
/// says: for a history edited by hand, or to check the digests. Slower on
/// large fleets (on PostgreSQL, one `UNION ALL` query per 500 tenants,
/// which plans every tenant's table).
pub fn verified_status<C: RunnerConnection>(
    conn: &mut C,
    schemas: Option<&[String]>,
    migrations: &[MigrationFile],
) -> Result<Vec<TenantStatus>, Error> {
    status_with(conn, schemas, migrations, None)
}

fn status_with<C: RunnerConnection>(
    conn: &mut C,
    schemas: Option<&[String]>,
    migrations: &[MigrationFile],
    known: Option<&Prefixes>,
) -> Result<Vec<TenantStatus>, Error> {
    if let Some(list) = schemas {
        for s in list {
            ryx_dsl::SchemaName::new(s)?;
        }
    }
    let found = histories(conn, schemas, known)?;
    // once, not once per tenant
    let names: Vec<String> = match schemas {
        Some(list) => list.to_vec(),
        None => found.keys().cloned().collect(),
    };
    Ok(names
        .into_iter()
        .map(|schema| {
            let history = found.get(&schema);
            let recorded = |name: &str| {
                history.and_then(|h| h.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_str()))
            };
            TenantStatus {
                exists: history.is_some(),
                applied: migrations
                    .iter()
                    .filter(|m| recorded(&m.name).is_some())
                    .map(|m| m.name.clone())
                    .collect(),
                pending: migrations
                    .iter()
                    .filter(|m| recorded(&m.name).is_none())
                    .map(|m| m.name.clone())
                    .collect(),
                changed: migrations
                    .iter()
                    .filter(|m| recorded(&m.name).is_some_and(|c| !m.checksum_matches(c)))
                    .map(|m| m.name.clone())
                    .collect(),
                unknown: history
                    .map(|h| {
                        h.iter()
                            .filter(|(n, _)| !migrations.iter().any(|m| &m.name == n))
                            .map(|(n, _)| n.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
                schema,
            }
        })
        .collect())
}
