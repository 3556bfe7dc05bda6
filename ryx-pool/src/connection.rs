//! `ManagedConnection<C>`: a diesel connection whose prepared statements are
//! bounded (on the client and on the server) or not named at all.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::{
    CacheSize, Connection, ConnectionSealed, Instrumentation, LoadConnection, SimpleConnection,
    TransactionManager, TransactionManagerStatus,
};
use diesel::expression::QueryMetadata;
use diesel::query_builder::{Query, QueryFragment, QueryId};
use diesel::r2d2::R2D2Connection;
use diesel::{ConnectionResult, QueryResult};

use crate::backend::{PoolBackend, Settings};
use crate::error::{redact_url, Error};
use crate::tracker::StatementTracker;

/// A diesel connection (`PgConnection`, `MysqlConnection` or
/// `SqliteConnection`) opened by ryx's
/// [`ConnectionManager`](crate::ConnectionManager): what `pool.get()` derefs to.
///
/// It is a diesel [`Connection`] itself, so every diesel and ryx query runs on
/// it (and on r2d2's pooled connection around it) unchanged, and it derefs to
/// the connection inside for backend-specific methods
/// (`PgConnection::build_transaction`, ..).
///
/// **The statement bound.** diesel caches one named prepared statement per
/// distinct SQL text, and a scoped statement's text names its tenant, so a
/// connection that visits many tenants would prepare statements without end.
/// Before each query, if diesel has cached `statement_cache_limit` statements
/// since the last reset, the connection forgets all of them: on PostgreSQL it
/// sends `DEALLOCATE ALL` and then drops diesel's handles (on MySQL dropping
/// the handles closes the statements on the server; SQLite's live in the
/// process). A connection therefore never holds more than the limit, on either
/// side; the statements are prepared again when next used.
///
/// Queries run on the inner connection through `Deref` (a function taking
/// `&mut PgConnection`) are counted too, and the bound is restored before the
/// next query run on this connection or on its pooled wrapper, or when the
/// connection returns to the pool.
pub struct ManagedConnection<C> {
    inner: C,
    settings: Settings,
    cached: Arc<AtomicUsize>,
    /// `set_prepared_statement_cache_size(CacheSize::Disabled)` was called.
    cache_disabled_by_user: bool,
}

impl<C: PoolBackend> ManagedConnection<C> {
    /// Opens a connection with the settings of a manager.
    pub(crate) fn open(url: &str, settings: Settings) -> Result<Self, Error> {
        let inner = C::establish(url).map_err(|e| Error::Connect {
            url: redact_url(url),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let mut conn = Self::wrap(inner, settings);
        C::on_connect(&mut conn.inner, &settings)?;
        Ok(conn)
    }

    fn wrap(mut inner: C, settings: Settings) -> Self {
        let cached = Arc::new(AtomicUsize::new(0));
        inner.set_instrumentation(StatementTracker {
            cached: Arc::clone(&cached),
            transaction_pooler: settings.transaction_pooler,
            forward: diesel::connection::get_default_instrumentation(),
        });
        if !settings.caches_statements() {
            inner.set_prepared_statement_cache_size(CacheSize::Disabled);
        }
        ManagedConnection {
            inner,
            settings,
            cached,
            cache_disabled_by_user: false,
        }
    }

    /// How many prepared statements diesel has cached on this connection since
    /// the last reset (at most the limit once the next query starts).
    pub fn cached_statements(&self) -> usize {
        self.cached.load(Ordering::Relaxed)
    }

    /// The most prepared statements this connection keeps; 0 when it names
    /// none (a limit of 0, transaction-pooler mode, or a disabled cache).
    pub fn statement_cache_limit(&self) -> usize {
        if self.settings.caches_statements() && !self.cache_disabled_by_user {
            self.settings.statement_cache_limit
        } else {
            0
        }
    }

    /// Whether this connection was opened for a transaction pooler (PgBouncer
    /// in transaction or statement mode): it names no prepared statement and
    /// ryx relies on no session state on it.
    pub fn transaction_pooler(&self) -> bool {
        self.settings.transaction_pooler
    }

    /// Forgets every cached statement, on the server first, when the limit is
    /// reached. If the server refuses (e.g. inside a failed transaction),
    /// nothing is forgotten and the error is returned: diesel's handles stay
    /// valid.
    fn keep_bound(&mut self) -> QueryResult<()> {
        if self.cached.load(Ordering::Relaxed) < self.settings.statement_cache_limit.max(1) {
            return Ok(());
        }
        self.forget_statements()
    }

    /// Frees the server's statements, then drops diesel's handles.
    fn forget_statements(&mut self) -> QueryResult<()> {
        C::release_server_statements(&mut self.inner)?;
        // Replacing diesel's cache drops every handle it holds.
        self.inner
            .set_prepared_statement_cache_size(CacheSize::Disabled);
        if self.settings.caches_statements() && !self.cache_disabled_by_user {
            self.inner
                .set_prepared_statement_cache_size(CacheSize::Unbounded);
        }
        self.cached.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Cleans the connection for its next borrower, whatever this one did
    /// (through the pooled connection or the connection inside it): the
    /// manager's statement settings and bound, ryx's statement counter as the
    /// only instrumentation (with diesel's default one behind it), and the
    /// backend's session reset. An error means the connection must be
    /// discarded.
    pub(crate) fn reset_for_next_borrower(&mut self) -> QueryResult<()> {
        self.inner.set_instrumentation(StatementTracker {
            cached: Arc::clone(&self.cached),
            transaction_pooler: self.settings.transaction_pooler,
            forward: diesel::connection::get_default_instrumentation(),
        });
        self.cache_disabled_by_user = false;
        let cached = self.cached.load(Ordering::Relaxed);
        if self.settings.caches_statements() {
            if cached > self.settings.statement_cache_limit {
                self.forget_statements()?;
            }
            // No-op when it already caches.
            self.inner
                .set_prepared_statement_cache_size(CacheSize::Unbounded);
        } else {
            if cached > 0 && !self.settings.transaction_pooler {
                C::release_server_statements(&mut self.inner)?;
            }
            self.inner
                .set_prepared_statement_cache_size(CacheSize::Disabled);
            self.cached.store(0, Ordering::Relaxed);
        }
        C::on_checkin(&mut self.inner, &self.settings)
    }
}

impl<C> Deref for ManagedConnection<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.inner
    }
}

impl<C> DerefMut for ManagedConnection<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.inner
    }
}

impl<C> fmt::Debug for ManagedConnection<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedConnection")
            .field("connection", &std::any::type_name::<C>())
            .field(
                "statement_cache_limit",
                &self.settings.statement_cache_limit,
            )
            .field("transaction_pooler", &self.settings.transaction_pooler)
            .field("cached_statements", &self.cached.load(Ordering::Relaxed))
            .finish()
    }
}

impl<C: PoolBackend> SimpleConnection for ManagedConnection<C> {
    fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        // The simple-query protocol prepares nothing.
        self.inner.batch_execute(query)
    }
}

impl<C: PoolBackend> ConnectionSealed for ManagedConnection<C> {}

impl<C: PoolBackend> Connection for ManagedConnection<C> {
    type Backend = C::Backend;
    type TransactionManager = ManagedTransactionManager<C::TransactionManager>;

    /// Opens a connection with the manager's defaults: a statement cache of
    /// 100 and, on PostgreSQL, an empty `search_path`. Use
    /// [`ConnectionManager`](crate::ConnectionManager) for other settings.
    fn establish(database_url: &str) -> ConnectionResult<Self> {
        Self::open(database_url, Settings::new())
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
    }

    fn begin_test_transaction(&mut self) -> QueryResult<()> {
        self.inner.begin_test_transaction()
    }

    fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
    where
        T: QueryFragment<Self::Backend> + QueryId,
    {
        self.keep_bound()?;
        self.inner.execute_returning_count(source)
    }

    fn transaction_state(
        &mut self,
    ) -> &mut <Self::TransactionManager as TransactionManager<Self>>::TransactionStateData {
        self.inner.transaction_state()
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        self.inner.instrumentation()
    }

    /// Installs `instrumentation` behind ryx's statement counter, which
    /// forwards every event to it.
    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        self.inner.set_instrumentation(StatementTracker {
            cached: Arc::clone(&self.cached),
            transaction_pooler: self.settings.transaction_pooler,
            forward: Some(Box::new(instrumentation)),
        });
    }

    /// `CacheSize::Disabled` stops naming statements (and forgets the cached
    /// ones at the next query); `CacheSize::Unbounded` returns to the
    /// manager's setting, which stays bounded by its limit. A connection in
    /// transaction-pooler mode never names statements.
    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        self.cache_disabled_by_user = matches!(size, CacheSize::Disabled);
        if self.cache_disabled_by_user || !self.settings.caches_statements() {
            // Server statements are released at the next query; until then
            // diesel keeps its handles so the two sides agree.
            if self.cached.load(Ordering::Relaxed) > 0 {
                self.cached.store(
                    self.settings.statement_cache_limit.max(1),
                    Ordering::Relaxed,
                );
            } else {
                self.inner
                    .set_prepared_statement_cache_size(CacheSize::Disabled);
            }
        } else {
            self.inner
                .set_prepared_statement_cache_size(CacheSize::Unbounded);
        }
    }
}

impl<B, C> LoadConnection<B> for ManagedConnection<C>
where
    C: PoolBackend + LoadConnection<B>,
{
    type Cursor<'conn, 'query> = <C as LoadConnection<B>>::Cursor<'conn, 'query>;
    type Row<'conn, 'query> = <C as LoadConnection<B>>::Row<'conn, 'query>;

    fn load<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> QueryResult<Self::Cursor<'conn, 'query>>
    where
        T: Query + QueryFragment<Self::Backend> + QueryId + 'query,
        Self::Backend: QueryMetadata<T::SqlType>,
    {
        self.keep_bound()?;
        <C as LoadConnection<B>>::load(&mut self.inner, source)
    }
}

impl<C: PoolBackend> R2D2Connection for ManagedConnection<C> {
    /// `SELECT 1` as a simple query: unlike diesel's ping it prepares no
    /// statement, so it takes no place in the statement cache.
    fn ping(&mut self) -> QueryResult<()> {
        self.inner.batch_execute("SELECT 1")
    }

    fn is_broken(&mut self) -> bool {
        self.inner.is_broken()
    }
}

impl<C> diesel::migration::MigrationConnection for ManagedConnection<C>
where
    C: PoolBackend + diesel::migration::MigrationConnection,
{
    fn setup(&mut self) -> QueryResult<usize> {
        self.keep_bound()?;
        self.inner.setup()
    }
}

impl<C, Changes, Output> diesel::query_dsl::UpdateAndFetchResults<Changes, Output>
    for ManagedConnection<C>
where
    C: PoolBackend + diesel::query_dsl::UpdateAndFetchResults<Changes, Output>,
{
    fn update_and_fetch(&mut self, changeset: Changes) -> QueryResult<Output> {
        self.keep_bound()?;
        self.inner.update_and_fetch(changeset)
    }
}

#[cfg(feature = "postgres")]
impl diesel::pg::GetPgMetadataCache for ManagedConnection<diesel::PgConnection> {
    fn get_metadata_cache(&mut self) -> &mut diesel::pg::PgMetadataCache {
        self.inner.get_metadata_cache()
    }
}

/// The transaction manager of [`ManagedConnection`]: the inner connection's,
/// unchanged.
#[derive(Debug)]
pub struct ManagedTransactionManager<T>(std::marker::PhantomData<T>);

impl<C, T> TransactionManager<ManagedConnection<C>> for ManagedTransactionManager<T>
where
    C: PoolBackend + Connection<TransactionManager = T>,
    T: TransactionManager<C>,
{
    type TransactionStateData = T::TransactionStateData;

    fn begin_transaction(conn: &mut ManagedConnection<C>) -> QueryResult<()> {
        T::begin_transaction(&mut conn.inner)
    }

    fn rollback_transaction(conn: &mut ManagedConnection<C>) -> QueryResult<()> {
        T::rollback_transaction(&mut conn.inner)
    }

    fn commit_transaction(conn: &mut ManagedConnection<C>) -> QueryResult<()> {
        T::commit_transaction(&mut conn.inner)
    }

    fn transaction_manager_status_mut(
        conn: &mut ManagedConnection<C>,
    ) -> &mut TransactionManagerStatus {
        T::transaction_manager_status_mut(&mut conn.inner)
    }
}
