//! The instrumentation ryx installs on every managed connection: it counts the
//! statements diesel adds to its prepared-statement cache, and it carries the
//! connection's settings so that other ryx code (the migration runners) can
//! ask a connection, generically, whether it sits behind a transaction pooler.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};

/// Counts diesel's `CacheQuery` events (one per statement entering the cache)
/// and forwards every event to the user's instrumentation, if any.
pub(crate) struct StatementTracker {
    pub(crate) cached: Arc<AtomicUsize>,
    pub(crate) transaction_pooler: bool,
    pub(crate) forward: Option<Box<dyn Instrumentation>>,
}

impl Instrumentation for StatementTracker {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::CacheQuery { .. } = event {
            self.cached.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(forward) = self.forward.as_deref_mut() {
            forward.on_connection_event(event);
        }
    }
}

/// Whether `conn` was opened by ryx's [`ConnectionManager`](crate::ConnectionManager)
/// (or as a [`ManagedConnection`](crate::ManagedConnection)) with
/// `transaction_pooler(true)`: such a connection must not rely on session state
/// (session `SET`s, session advisory locks, named prepared statements).
///
/// Works on any diesel connection: the managed one, r2d2's pooled connection
/// around it, or a plain diesel connection (always `false`).
pub fn behind_transaction_pooler<C: Connection>(conn: &mut C) -> bool {
    conn.instrumentation()
        .downcast_ref::<StatementTracker>()
        .is_some_and(|t| t.transaction_pooler)
}
