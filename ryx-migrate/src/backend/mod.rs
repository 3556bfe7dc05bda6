//! The backends ryx migrates: one trait, one file per backend.
//!
//! - `kind.rs`: [`Backend`], which database, and its one quoting function.
//! - `migration_backend.rs`: [`MigrationBackend`], the sealed trait the runners
//!   call (catalog reads, the history table, locked transactions; shared logic
//!   in default methods), and `TxError`, the error of a locked transaction.
//! - `history.rs`: the per-schema `ryx_migrations` table: its name,
//!   [`HistoryRow`], its DDL, and the history methods every backend spells the
//!   same way.
//! - `digest.rs`: the digest of a history, kept as its table's comment on
//!   PostgreSQL, which lets the fleet's status skip reading current tenants.
//! - `catalog.rs`: rows read from the live catalog.
//! - `postgres.rs` (and `postgres/preflight.rs`, its reads before a
//!   migration's transaction), `mysql.rs`, `sqlite.rs`: one `MigrationBackend` impl each,
//!   behind its cargo feature.
//!
//! An identifier reaches SQL only through [`Backend::quote`] or
//! [`Backend::qualify`]; every value is bound.

mod catalog;
pub(crate) mod digest;
mod history;
mod kind;
mod migration_backend;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub(crate) use self::catalog::LiveColumn;
pub use self::history::HistoryRow;
pub(crate) use self::history::{ensure_history, HISTORY_TABLE};
pub use self::kind::Backend;
pub use self::migration_backend::MigrationBackend;
pub(crate) use self::migration_backend::Preflight;
pub(crate) use self::migration_backend::{diesel_transaction_open, TxError};
#[cfg(feature = "postgres")]
pub(crate) use self::postgres::{retry_pause, session_unlock, try_session_lock, try_xact_lock};
