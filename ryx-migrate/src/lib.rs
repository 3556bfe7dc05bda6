//! Per-schema migrations for [ryx](https://docs.rs/ryx): [`MigrationRunner`]
//! migrates a schema from your models (`ryx_table!` tables), [`FileRunner`]
//! from migration folders (diesel's format); both keep a `ryx_migrations`
//! history table inside every schema.
//!
//! Everything is synchronous and takes any diesel connection of a supported
//! backend (`PgConnection`, `MysqlConnection`, `SqliteConnection`, or an r2d2
//! pooled one). Use it through `ryx::migrate`.
//!
//! | piece | what it does |
//! |-------|--------------|
//! | [`DDLGenerator`] | DDL as pure functions: `CREATE SCHEMA`, `CREATE TABLE`, indexes, ... |
//! | [`MigrationRunner`] | models → database: creates the schema, missing tables, columns and indexes; reports drift |
//! | [`FileRunner`] | diesel's migration folders (or `embed_migrations!`) → one schema, with rollback and dry runs |
//! | [`Report`] | what a run applied, skipped, reverted, planned, and the drift it saw |
//! | [`print_schema`] | a live PostgreSQL schema → `ryx_table!` declarations (`src/schema.rs`) |
//! | [`new_migration`] | an empty `<version>_<name>/{up,down}.sql` folder, as diesel writes one |
//!
//! ## Safety
//!
//! Each migration runs in its own transaction that first takes
//! `pg_advisory_xact_lock` on a key derived from the schema name, *before*
//! creating the schema or the history table (`CREATE .. IF NOT EXISTS` races
//! without it). Concurrent runners on one schema wait for each other and apply
//! each migration exactly once; a failed migration leaves nothing behind and
//! no history row. The model runner plans under the same lock, from the live
//! catalog, so concurrent runners never both add a column and a table dropped
//! by hand is created again.
//!
//! ## The caller's session and transaction
//!
//! A runner leaves the connection's `search_path` exactly as it found it,
//! inside the caller's transaction and after it commits. On PostgreSQL a run
//! inside the caller's transaction nests as a savepoint; everywhere else a run
//! that cannot join an open transaction is refused with
//! [`Error::InTransaction`] before anything changes: on MySQL (DDL commits
//! implicitly), on SQLite (`BEGIN IMMEDIATE` cannot nest), for a
//! `run_in_transaction = false` migration, and after a raw `BEGIN` diesel does
//! not track. Over a connection opened for a transaction pooler (PgBouncer in
//! transaction mode, `ryx::pool::ConnectionManager::transaction_pooler`), a
//! `run_in_transaction = false` migration is refused with
//! [`Error::NeedsSessionState`]: it needs a session lock and `search_path`.
//!
//! **MySQL commits DDL implicitly**: a failing migration's earlier statements
//! stay applied (no history row is written for it, so fix the migration to be
//! re-runnable or repair by hand). ryx records history right after each
//! migration and serialises runners with `GET_LOCK`.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod apply;
mod backend;
mod checksum;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
mod ddl;
pub mod directory;
mod error;
mod files;
pub mod fleet;
mod generate;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod lifecycle;
mod make;
mod metadata;
mod models;
#[cfg(feature = "postgres")]
mod print_schema;
mod report;
mod source;

pub use crate::apply::{create_tenant, RunnerConnection};
pub use crate::backend::{Backend, HistoryRow, MigrationBackend};
pub use crate::ddl::{check_name, constraint_name, index_name, DDLGenerator};
pub use crate::error::{Error, InvalidIndexes};
pub use crate::files::FileRunner;
pub use crate::generate::new_migration;
pub use crate::make::{make_migration, MadeMigration};
pub use crate::metadata::{
    CheckConstraint, ColumnState, ColumnType, ForeignKey, ReferentialAction, RyxTable, TableIndex,
    TableState,
};
pub use crate::models::MigrationRunner;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use crate::print_schema::{print_schema, PrintSchemaError, PrintSchemaOptions};
pub use crate::report::{Applied, Drift, Planned, Report};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use crate::source::load_source;
pub use crate::source::{load_dir, MigrationFile};

// Named from the crate root by `fleet`.
pub(crate) use crate::backend::HISTORY_TABLE;
