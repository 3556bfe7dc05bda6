//! [`MoveError`]: why a tenant move stopped, and what state it left.

use super::super::DirectoryError;

/// Why [`move_tenant`](super::move_tenant) stopped. Unless the variant says
/// otherwise, nothing changed: the tenant is still on its server, whole and
/// writable, the directory still names that server, and the target holds no
/// copy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MoveError {
    /// The directory refused (an unknown tenant or server, an unreadable file).
    #[error(transparent)]
    Directory(Box<DirectoryError>),
    /// The tenant is already on that server.
    #[error("tenant `{tenant}` is already on server `{server}`: nothing to move")]
    SameServer {
        /// The tenant.
        tenant: String,
        /// Its server.
        server: String,
    },
    /// The tenant's server holds no ryx tenant of that name.
    #[error("server `{server}` holds no ryx tenant `{tenant}` (no schema with a ryx_migrations table): check the name and the directory")]
    NotATenant {
        /// The tenant.
        tenant: String,
        /// The server the directory names for it.
        server: String,
    },
    /// The target server already has a schema of that name.
    #[error("server `{server}` already has a schema `{tenant}`: drop it there first if it is a leftover (`ryx --url .. tenants drop {tenant} --yes`)")]
    TargetExists {
        /// The tenant.
        tenant: String,
        /// The target server.
        server: String,
    },
    /// No connection to a server.
    #[error("cannot connect to server `{server}`: {source}")]
    Connect {
        /// The server.
        server: String,
        /// Why.
        #[source]
        source: ryx_pool::Error,
    },
    /// The tenant holds something a copy would not reproduce faithfully
    /// (functions, triggers, partitioned tables, ...), or another refusal of
    /// ryx's copy.
    #[error("cannot copy tenant `{tenant}`: {source}")]
    CannotCopy {
        /// The tenant.
        tenant: String,
        /// ryx's reason.
        #[source]
        source: Box<crate::Error>,
    },
    /// Another session held the tenant's lock (a migration running, a
    /// service holding a long write) longer than the move waits.
    #[error("tenant `{tenant}` stayed locked on server `{server}` for {waited_ms} ms (a migration or a long transaction): try again later")]
    Busy {
        /// The tenant.
        tenant: String,
        /// The server.
        server: String,
        /// How long the move waited.
        waited_ms: u128,
    },
    /// A statement failed.
    #[error("{step} on server `{server}`: {source}")]
    Database {
        /// The server.
        server: String,
        /// What the move was doing.
        step: &'static str,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },
    /// An online move was required and the old server cannot feed one.
    #[error("tenant `{tenant}` cannot move online: {reason}")]
    OnlineUnavailable {
        /// The tenant.
        tenant: String,
        /// What is missing.
        reason: String,
    },
    /// The online copy did not finish (the initial copy, or the catch-up
    /// with writes paused) in time: what the move made was removed.
    #[error("tenant `{tenant}`: the online copy to `{server}` did not {what} within {waited_ms} ms: it was removed and nothing changed; retry, raise the timeout, or move offline")]
    Timeout {
        /// The tenant.
        tenant: String,
        /// The target server.
        server: String,
        /// `finish its initial copy` or `catch up`.
        what: &'static str,
        /// How long the move waited.
        waited_ms: u128,
    },
    /// A table's row count on the target differs from the source's.
    #[error("table `{table}`: {target} rows copied to the target, {source_rows} on the source: the copy was dropped")]
    RowCount {
        /// The table.
        table: String,
        /// Rows on the source.
        source_rows: u64,
        /// Rows on the target.
        target: u64,
    },
    /// Writing the directory failed after the copy was made: the copy was
    /// dropped again and the tenant stays where it was.
    #[error("the copy is complete but the directory could not be changed, so the copy was dropped and `{tenant}` stays on `{server}`: {source}")]
    Switch {
        /// The tenant.
        tenant: String,
        /// Its server, unchanged.
        server: String,
        /// Why the directory could not be written.
        #[source]
        source: Box<DirectoryError>,
    },
    /// The tenant was moved and the directory names its new server, but
    /// the old copy could not be fenced (or dropped): it is still writable
    /// on the old server. Drop it there.
    #[error("tenant `{tenant}` moved to `{to}` and the directory says so, but its old copy on `{from}` could not be fenced or dropped ({source}): drop it there (`ryx --url .. tenants drop {tenant} --yes`) before a service writes to it")]
    SourceNotFenced {
        /// The tenant.
        tenant: String,
        /// The old server.
        from: String,
        /// The new server.
        to: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },
}

impl From<DirectoryError> for MoveError {
    fn from(e: DirectoryError) -> Self {
        MoveError::Directory(Box::new(e))
    }
}
