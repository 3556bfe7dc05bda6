//! The migration side's errors.

use std::path::PathBuf;

use ryx_dsl::SchemaNameError;

use crate::report::Report;

/// What can go wrong while generating DDL or migrating a schema.
///
/// Every variant says what to do; the underlying cause is in
/// [`source()`](std::error::Error::source), not repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A schema name was refused before any SQL was built (empty, over 63 bytes,
    /// containing NUL, or `pg_`-prefixed for `CREATE SCHEMA`).
    #[error("invalid schema name")]
    InvalidSchemaName(#[from] SchemaNameError),

    /// `create_tenant`, `fleet::adopt_tenant` or `fleet::drop_tenant` was given
    /// `public` or `information_schema`: PostgreSQL's own schemas, never a
    /// tenant. (`pg_`-prefixed names are [`Error::InvalidSchemaName`].)
    /// Refused before any SQL was sent.
    #[error(
        "schema `{schema}` is reserved by PostgreSQL/ryx, so it is not a ryx tenant and never becomes \
         one (`public`, `information_schema` and `pg_*` are not created, adopted or dropped as \
         tenants): give tenants other names"
    )]
    ReservedSchema {
        /// The refused name.
        schema: String,
    },

    /// A schema that already exists and is not a ryx tenant (it has no
    /// `ryx_migrations` table): given to `create_tenant`, or to a runner while
    /// it holds tables. Making it a tenant would let `fleet::drop_tenant` drop
    /// it and everything in it. Nothing was changed.
    #[error(
        "schema `{schema}` already exists and is not a ryx tenant (it has no ryx_migrations table): \
         not adopting it; to make it a tenant anyway use `fleet::adopt_tenant` (CLI: `ryx tenants \
         create {schema} --adopt`), after which `drop_tenant` can drop it with everything in it"
    )]
    NotATenant {
        /// The existing schema.
        schema: String,
    },

    /// A table's metadata cannot be turned into DDL for this backend.
    #[error("table `{table}` cannot be created: {reason}")]
    InvalidTable {
        /// The table's SQL name.
        table: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Reading the catalog or the history table of one schema failed (before
    /// any migration ran).
    #[error(
        "could not {action} in schema `{schema}`: check the connection and the user's privileges"
    )]
    Database {
        /// The schema being inspected.
        schema: String,
        /// What ryx was doing.
        action: &'static str,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },

    /// Listing the tenants or reading their histories failed: a query over
    /// every schema (`fleet::tenants`, `fleet::status`, the status check that
    /// starts `fleet::FleetRunner::run`), before any migration ran.
    #[error("could not {action}: check the connection and the user's privileges")]
    Fleet {
        /// What ryx was doing.
        action: &'static str,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },

    /// A migration failed. Its transaction was rolled back (on PostgreSQL and
    /// SQLite: nothing of it is left, and no history row was written); the
    /// migrations applied before it stay applied and are listed in `report`.
    #[error(
        "migration `{migration}` failed in schema `{schema}` and was not recorded \
         (its transaction was rolled back, except for DDL on a backend that commits DDL implicitly): \
         fix it and run again"
    )]
    MigrationFailed {
        /// The schema being migrated.
        schema: String,
        /// The migration's name.
        migration: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
        /// What was applied before the failure.
        report: Box<Report>,
    },

    /// A `run_in_transaction = false` migration failed. It ran outside a
    /// transaction, so what its statements did before the failing one stays
    /// (PostgreSQL cannot undo it); it was not recorded. A failed
    /// `CREATE INDEX CONCURRENTLY` leaves an invalid index behind, which would
    /// make the next run fail with "already exists": ryx drops each invalid
    /// index the migration left, under the schema's lock, and names any it
    /// could not drop with the statement to drop it ([`InvalidIndexes`]).
    #[error(
        "migration `{migration}` failed in schema `{schema}` and was not recorded; it runs \
         outside a transaction (run_in_transaction = false), so what its statements did before \
         the failure stays{}: fix it and run again",
        leftovers(schema, indexes)
    )]
    NonTransactionalFailed {
        /// The schema being migrated.
        schema: String,
        /// The migration's name.
        migration: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
        /// What was applied before the failure.
        report: Box<Report>,
        /// The invalid indexes the migration left.
        indexes: Box<InvalidIndexes>,
    },

    /// A migration's `up.sql` was edited after it was applied to this schema.
    #[error(
        "migration `{migration}` ({path}): its up.sql was changed after it was applied to schema \
         `{schema}` (recorded checksum {recorded}, now {current}; down.sql and line endings do not \
         count): restore the applied up.sql and add a new migration for the change, or allow it with \
         `allow_changed(true)` (CLI: `--allow-changed`, on `migrate` and `rollback`)"
    )]
    ChangedAfterApply {
        /// The schema whose history records the migration.
        schema: String,
        /// The migration's name.
        migration: String,
        /// Where the migration came from.
        path: String,
        /// The checksum in the schema's history.
        recorded: String,
        /// The checksum of the migration as it is now.
        current: String,
    },

    /// The migrations folder is missing or unreadable.
    #[error("cannot read the migrations folder {}: create it or point `migrations_dir` at it", path.display())]
    MigrationsDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A migration folder is malformed.
    #[error("invalid migration {}: {reason}", path.display())]
    InvalidMigration {
        /// The migration's folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// A rollback asked for more migrations than the schema has applied.
    #[error("cannot roll back {requested} migration(s) in schema `{schema}`: only {applied} applied; ask for at most {applied}")]
    RollbackTooFar {
        /// The schema.
        schema: String,
        /// How many were asked for.
        requested: usize,
        /// How many are applied.
        applied: usize,
    },

    /// A migration to roll back has no `down.sql`, or is applied but no longer
    /// among the sources.
    #[error("cannot roll back `{migration}` in schema `{schema}`: {reason}")]
    CannotRollBack {
        /// The schema.
        schema: String,
        /// The migration's name.
        migration: String,
        /// Why.
        reason: String,
    },

    /// A runner was called while a transaction is open on the connection, and
    /// running there would change the caller's transaction or session: MySQL
    /// commits DDL implicitly (the caller's earlier writes would be committed
    /// and its savepoints lost); SQLite cannot open ryx's `BEGIN IMMEDIATE`
    /// inside another transaction; a `run_in_transaction = false` migration
    /// (`CREATE INDEX CONCURRENTLY`) cannot run inside a transaction block; and
    /// a transaction begun with raw SQL (`BEGIN`) is one diesel does not track,
    /// so ryx's own transaction would commit it. Refused before anything was
    /// changed. (On PostgreSQL, transactional migrations do run inside the
    /// caller's transaction, as a savepoint.)
    #[error(
        "cannot migrate schema `{schema}` inside an open transaction: {reason}; nothing was changed: \
         call the runner outside any transaction (not inside `conn.transaction(..)` and not after a raw `BEGIN`)"
    )]
    InTransaction {
        /// The schema to migrate.
        schema: String,
        /// Why this run cannot join the open transaction.
        reason: String,
    },

    /// A `run_in_transaction = false` migration over a connection opened for a
    /// transaction pooler (`ryx::pool::ConnectionManager::transaction_pooler`).
    /// Such a migration runs outside a transaction, under a session advisory
    /// lock and a session `search_path`; a transaction pooler may send each of
    /// those statements to a different server connection, leaving the lock
    /// held and the `search_path` set on connections other clients then use.
    /// Refused before anything was changed.
    #[error(
        "cannot run migration `{migration}` in schema `{schema}` through a transaction pooler: it has \
         `run_in_transaction = false`, which needs session state (a session advisory lock and search_path) \
         that the pooler does not keep; nothing was changed: run the migrations over a direct connection \
         to the server (not through PgBouncer in transaction mode)"
    )]
    NeedsSessionState {
        /// The schema to migrate.
        schema: String,
        /// The migration that needs a session.
        migration: String,
    },

    /// A connection could not be taken from the pool (r2d2 timed out waiting
    /// for one: the server refused new connections, or every connection stayed
    /// busy for the pool's `connection_timeout`).
    #[error(
        "cannot get a database connection from the pool: check that the database accepts \
         connections, or give the pool more connections (`max_size`) or time (`connection_timeout`)"
    )]
    Pool(#[source] r2d2::Error),

    /// The tenant directory refused (an unknown tenant or server, a file
    /// that cannot be read).
    #[error(transparent)]
    Directory(Box<crate::directory::DirectoryError>),

    /// A `diesel_migrations` source (`embed_migrations!`) could not list its
    /// migrations.
    #[error(
        "cannot load migrations from the embedded source: check the migrations folder given to \
         `embed_migrations!` and rebuild"
    )]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// A migration of a `diesel_migrations` source failed without sending any
    /// SQL, so ryx could not read it (ryx reads an embedded migration by
    /// running it against a read-only in-memory SQLite database that records
    /// what it is sent).
    #[error(
        "cannot read migration `{migration}` from the embedded source: it failed before sending \
         any SQL; load SQL migrations (`up.sql`, `down.sql`) only"
    )]
    SourceMigration {
        /// The migration's name.
        migration: String,
        /// The migration's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// An in-memory SQLite database ryx works in could not be opened: the one
    /// `load_source` reads embedded migrations with, or the one
    /// `make_migration` builds a SQLite migrations folder in.
    #[error(
        "cannot open an in-memory SQLite database to {purpose}: check the SQLite library ryx is linked with"
    )]
    ScratchDatabase {
        /// What the database was for.
        purpose: &'static str,
        /// SQLite's error.
        #[source]
        source: diesel::ConnectionError,
    },

    /// The new name given to `lifecycle::clone_tenant` or
    /// `lifecycle::rename_tenant` is taken: a schema of that name exists
    /// (a tenant or not). Nothing was changed.
    #[error(
        "schema `{schema}` already exists: choose another name for the new tenant (or drop \
         that schema first)"
    )]
    SchemaExists {
        /// The existing schema.
        schema: String,
    },

    /// The tenant to clone or rename does not exist, or is a schema without a
    /// `ryx_migrations` table (not a ryx tenant). Nothing was changed.
    #[error(
        "`{schema}` is not a ryx tenant (no such schema, or no ryx_migrations table in it): \
         name an existing tenant (`ryx tenants list` lists them)"
    )]
    NoSuchTenant {
        /// The given name.
        schema: String,
    },

    /// `lifecycle::clone_tenant` found something in the template it cannot
    /// copy faithfully (functions, triggers, domains, partitioned tables, ..),
    /// or the copy would still depend on an object of the template. The
    /// transaction was rolled back: no new schema.
    #[error(
        "cannot clone tenant `{template}`: {reason}; nothing was created: create the new \
         tenant from the migrations instead (`ryx tenants create NEW --dir ..`)"
    )]
    CannotClone {
        /// The template tenant.
        template: String,
        /// What stands in the way.
        reason: String,
    },
}

impl Error {
    /// The report of what was applied before a failure, if this is one.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Error::MigrationFailed { report, .. }
            | Error::NonTransactionalFailed { report, .. } => Some(report),
            _ => None,
        }
    }
}

/// The invalid indexes a failed `run_in_transaction = false` migration left
/// ([`Error::NonTransactionalFailed`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidIndexes {
    /// Dropped by ryx: the next run can create them again.
    pub dropped: Vec<String>,
    /// Still there (ryx could not drop them, e.g. the connection was lost):
    /// drop them before the next run, as the error's message says.
    pub remaining: Vec<String>,
}

/// The part of [`Error::NonTransactionalFailed`]'s message about the invalid
/// indexes the migration left.
fn leftovers(schema: &str, indexes: &InvalidIndexes) -> String {
    let (cleaned, remaining) = (&indexes.dropped, &indexes.remaining);
    let list = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    if !cleaned.is_empty() {
        out.push_str(&format!(
            "; ryx dropped the invalid index(es) it left: {}",
            list(cleaned)
        ));
    }
    if !remaining.is_empty() {
        let drops: Vec<String> = remaining
            .iter()
            .map(|n| {
                format!(
                    "DROP INDEX CONCURRENTLY IF EXISTS {};",
                    crate::Backend::PostgreSQL.qualify(Some(schema), n)
                )
            })
            .collect();
        out.push_str(&format!(
            "; it left the invalid index(es) {}, which ryx could not drop: drop them before the \
             next run with `{}`",
            list(remaining),
            drops.join(" ")
        ));
    }
    out
}
