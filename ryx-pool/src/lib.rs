//! Tenant-safe r2d2 connections for diesel: the pool half of
//! [ryx](https://docs.rs/ryx).
//!
//! This is an implementation crate: depend on `ryx` and use `ryx::pool`.
//!
//! - [`ConnectionManager`]: r2d2's manager with a bounded prepared-statement
//!   cache, a transaction-pooler mode (PgBouncer) and an empty `search_path`.
//! - [`ManagedConnection`]: what the pool hands out; a diesel connection.
//! - [`behind_transaction_pooler`]: asks any connection whether it must not
//!   rely on session state.
//! - [`EmptySearchPath`]: the same empty `search_path` for diesel's own manager.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod connection;
#[cfg(feature = "postgres")]
mod empty_search_path;
mod error;
mod manager;
mod tracker;

pub use crate::backend::PoolBackend;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use crate::backend::SQLITE_BUSY_TIMEOUT_MS;
pub use crate::connection::{ManagedConnection, ManagedTransactionManager};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use crate::empty_search_path::EmptySearchPath;
#[doc(hidden)]
pub use crate::error::redact_url;
pub use crate::error::Error;
pub use crate::manager::ConnectionManager;
pub use crate::tracker::behind_transaction_pooler;
