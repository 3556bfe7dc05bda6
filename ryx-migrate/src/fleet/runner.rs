//! [`FleetRunner`]: migration folders applied to many tenants in parallel over a pool.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::r2d2::{ManageConnection, Pool, PooledConnection};

use crate::apply::RunnerConnection;
use crate::error::Error;
use crate::files::FileRunner;
use crate::report::Report;
use crate::source::MigrationFile;

use super::status;

/// What happened to one tenant in a fleet run.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Migrations were applied.
    Migrated(Report),
    /// Nothing was pending: the tenant was not touched.
    Current,
    /// Migrating failed (earlier migrations of this tenant may have been applied).
    Failed(Error),
    /// Not started: an earlier tenant failed and `fail_fast` was set, a
    /// [canary](FleetRunner::canary) failed, or a worker could not get a
    /// connection from the pool (the server refusing or unreachable), after
    /// which no tenant is started.
    NotStarted,
}

/// One tenant's result in a fleet run.
#[derive(Debug)]
pub struct TenantResult {
    /// The schema.
    pub schema: String,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took (zero for tenants that were current or not started).
    pub duration: Duration,
}

/// The results of a fleet run, in schema order.
#[derive(Debug, Default)]
pub struct FleetReport {
    /// One entry per tenant.
    pub tenants: Vec<TenantResult>,
    /// The whole run's wall time.
    pub duration: Duration,
    /// Whether a [canary](FleetRunner::canary) tenant failed, so that the
    /// tenants after the canaries were not started.
    pub canary_failed: bool,
}

impl FleetReport {
    /// Tenants that were migrated.
    pub fn migrated(&self) -> impl Iterator<Item = &TenantResult> {
        self.tenants
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::Migrated(_)))
    }
    /// Tenants that were already current.
    pub fn current(&self) -> impl Iterator<Item = &TenantResult> {
        self.tenants
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::Current))
    }
    /// Tenants that failed.
    pub fn failed(&self) -> impl Iterator<Item = &TenantResult> {
        self.tenants
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::Failed(_)))
    }
    /// Tenants not started: after a failure with `fail_fast` or of a
    /// canary, or once the pool could not give a connection.
    pub fn not_started(&self) -> impl Iterator<Item = &TenantResult> {
        self.tenants
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::NotStarted))
    }
    /// Whether every tenant ended migrated or current.
    pub fn is_success(&self) -> bool {
        self.failed().next().is_none() && self.not_started().next().is_none()
    }
}

/// Migrates many tenants in parallel over an r2d2 pool: the fleet's
/// [`FileRunner`].
///
/// First one status query finds the tenants with pending migrations; tenants
/// that are current are not touched (no lock, no transaction). The others are
/// migrated by [`jobs`](Self::jobs) workers, each tenant under its schema's
/// advisory lock. A failed tenant does not stop the others unless
/// [`fail_fast`](Self::fail_fast) is set; a worker that cannot get a
/// connection (the server refusing or down) stops the run: the tenants not
/// yet started are reported [`Outcome::NotStarted`], instead of each waiting
/// the pool's whole `connection_timeout` in turn.
///
/// Any r2d2 pool of diesel connections works: one built with ryx's
/// `ryx::pool::ConnectionManager` (recommended) or diesel's own manager.
///
/// A rollout can be staged: [`canary`](Self::canary) migrates a few tenants
/// first and starts no other if one of them fails, and
/// [`batch`](Self::batch) migrates the rest a group at a time with a pause
/// between groups. To retry only some tenants (those that failed, those not
/// started), pass just them to [`schemas`](Self::schemas).
///
/// ```no_run
/// # fn f(pool: &r2d2::Pool<diesel::r2d2::ConnectionManager<diesel::PgConnection>>) -> Result<(), ryx_migrate::Error> {
/// use std::time::Duration;
///
/// use ryx_migrate::fleet::FleetRunner;
///
/// let report = FleetRunner::new()
///     .migrations(ryx_migrate::load_dir("migrations")?)
///     .schemas(["acme", "globex", "initech", "umbrella"])
///     .jobs(4)
///     .canary(1)
///     .batch(2, Duration::from_secs(2))
///     .on_done(|tenant| println!("{}: done", tenant.schema))
///     .run(pool)?;
/// if report.canary_failed {
///     eprintln!("the canary failed: no other tenant was started");
/// }
/// let retry: Vec<&str> = report.failed().chain(report.not_started()).map(|t| t.schema.as_str()).collect();
/// # Ok(()) }
/// ```
#[must_use = "a fleet runner does nothing until .run(&pool) is called"]
pub struct FleetRunner<'a> {
    migrations: Vec<MigrationFile>,
    schemas: Vec<String>,
    jobs: usize,
    fail_fast: bool,
    allow_changed: bool,
    shared: Option<Vec<String>>,
    canary: usize,
    batch: usize,
    pause: Duration,
    on_done: Option<OnDone<'a>>,
}

/// The callback [`FleetRunner::on_done`] keeps.
type OnDone<'a> = Box<dyn Fn(&TenantResult) + Sync + 'a>;

impl std::fmt::Debug for FleetRunner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetRunner")
            .field("migrations", &self.migrations.len())
            .field("schemas", &self.schemas)
            .field("jobs", &self.jobs)
            .field("fail_fast", &self.fail_fast)
            .field("allow_changed", &self.allow_changed)
            .field("shared", &self.shared)
            .field("canary", &self.canary)
            .field("batch", &self.batch)
            .field("pause", &self.pause)
            .field("on_done", &self.on_done.is_some())
            .finish()
    }
}

impl Default for FleetRunner<'_> {
    fn default() -> Self {
        FleetRunner {
            migrations: Vec::new(),
            schemas: Vec::new(),
            jobs: std::thread::available_parallelism().map_or(1, usize::from),
            fail_fast: false,
            allow_changed: false,
            shared: None,
            canary: 0,
            batch: 0,
            pause: Duration::ZERO,
            on_done: None,
        }
    }
}

impl<'a> FleetRunner<'a> {
    /// A runner with no migrations and no tenants yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The migrations to apply (e.g. from [`load_dir`](crate::load_dir)).
    /// Default: none.
    pub fn migrations(mut self, migrations: Vec<MigrationFile>) -> Self {
        self.migrations = migrations;
        self
    }

    /// The tenant schemas to migrate (duplicates are run once); each name is
    /// validated before anything runs. Default: none.
    pub fn schemas<I, S>(mut self, schemas: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.schemas = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// Tenants migrated at once, each on its own pooled connection (at least
    /// 1, and at most the pool's `max_size`: more workers would only wait for
    /// a connection). Default: the number of cores.
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// Stop starting tenants after the first failure; the rest are reported
    /// as not started. Default: `false` (keep going and report every failure).
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Accept migrations edited after they were applied. Default: `false`.
    pub fn allow_changed(mut self, allow: bool) -> Self {
        self.allow_changed = allow;
        self
    }

    /// The schemas on each migration's `search_path` after the tenant's own,
    /// as [`FileRunner::shared_schemas`] (default `["public"]`).
    pub fn shared_schemas<S: Into<String>>(mut self, schemas: impl IntoIterator<Item = S>) -> Self {
        self.shared = Some(schemas.into_iter().map(Into::into).collect());
        self
    }

    /// Migrate the first `count` tenants that have pending migrations (in
    /// the order of [`schemas`](Self::schemas)) before any other, up to
    /// [`jobs`](Self::jobs) at once; if one of them fails, start no other:
    /// the rest are [`Outcome::NotStarted`] and
    /// [`FleetReport::canary_failed`] is set. Tenants that are current do
    /// not count: a canary that has nothing to do proves nothing. The
    /// [`batch`](Self::batch) pause, if any, also follows the canaries.
    /// Default: 0 (no canaries).
    pub fn canary(mut self, count: usize) -> Self {
        self.canary = count;
        self
    }

    /// Migrate the tenants that have pending migrations `size` at a time
    /// (in the order of [`schemas`](Self::schemas), after the
    /// [`canary`](Self::canary) ones), each batch up to
    /// [`jobs`](Self::jobs) at once and finished before the next starts,
    /// waiting `pause` between batches. A failure stops the later batches
    /// only with [`fail_fast`](Self::fail_fast). Tenants that are current
    /// are not batched: they are never touched. Default: size 0, every
    /// tenant in one batch, no pause.
    pub fn batch(mut self, size: usize, pause: Duration) -> Self {
        self.batch = size;
        self.pause = pause;
        self
    }

    /// Called after each tenant, from the worker that migrated it (for
    /// progress output). Default: nothing.
    pub fn on_done(mut self, on_done: impl Fn(&TenantResult) + Sync + 'a) -> Self {
        self.on_done = Some(Box::new(on_done));
        self
    }

    /// Runs the fleet over `pool`.
    pub fn run<M>(&self, pool: &Pool<M>) -> Result<FleetReport, Error>
    where
        M: ManageConnection,
        PooledConnection<M>: RunnerConnection,
    {
        self.run_schemas(pool, &self.schemas)
    }

    /// As [`run`](Self::run), over `schemas` instead of those set with
    /// [`schemas`](Self::schemas): one runner's settings for several pools
    /// (one per server of a tenant directory).
    pub fn run_schemas<M>(&self, pool: &Pool<M>, schemas: &[String]) -> Result<FleetReport, Error>
    where
        M: ManageConnection,
        PooledConnection<M>: RunnerConnection,
    {
        let on_done = |r: &TenantResult| {
            if let Some(f) = &self.on_done {
                f(r)
            }
        };
        migrate_fleet(pool, schemas, &self.migrations, self, &on_done)
    }
}

impl FleetRunner<'_> {
    /// The runner of one tenant.
    fn file_runner(&self, migrations: &[MigrationFile], schema: &str) -> FileRunner {
        let runner = FileRunner::new()
            .migrations(migrations.to_vec())
            .schema(schema)
            .allow_changed(self.allow_changed);
        match &self.shared {
            Some(shared) => runner.shared_schemas(shared.iter().cloned()),
            None => runner,
        }
    }
}

/// The run behind [`FleetRunner::run`].
fn migrate_fleet<M>(
    pool: &Pool<M>,
    schemas: &[String],
    migrations: &[MigrationFile],
    options: &FleetRunner<'_>,
    on_done: &(dyn Fn(&TenantResult) + Sync),
) -> Result<FleetReport, Error>
where
    M: ManageConnection,
    PooledConnection<M>: RunnerConnection,
{
    let started = Instant::now();
    let schemas = super::checked_schemas(schemas)?;
    let schemas = schemas.as_slice();
    if let Some(shared) = &options.shared {
        crate::apply::check_shared(shared)?;
    }
    let statuses = {
        let mut conn = pool.get().map_err(Error::Pool)?;
        status(&mut conn, Some(schemas), migrations)?
    };
    let mut results: Vec<TenantResult> = Vec::with_capacity(schemas.len());
    let mut pending = Vec::new();
    for st in statuses {
        if st.is_current(options.allow_changed) {
            let r = TenantResult {
                schema: st.schema,
                outcome: Outcome::Current,
                duration: Duration::ZERO,
            };
            on_done(&r);
            results.push(r);
        } else {
            pending.push(st.schema);
        }
    }
    let stop = AtomicBool::new(false);
    let mut canary_failed = false;
    for (i, group) in groups(pending, options.canary, options.batch)
        .into_iter()
        .enumerate()
    {
        if i > 0 && !options.pause.is_zero() && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(options.pause);
        }
        let done = migrate_group(pool, group, migrations, options, &stop, on_done);
        if i == 0
            && options.canary > 0
            && done.iter().any(|t| matches!(t.outcome, Outcome::Failed(_)))
        {
            canary_failed = true;
            stop.store(true, Ordering::SeqCst);
        }
        results.extend(done);
    }
    results.sort_by(|a, b| a.schema.cmp(&b.schema));
    Ok(FleetReport {
        tenants: results,
        duration: started.elapsed(),
        canary_failed,
    })
}

/// The tenants with pending migrations, in the groups they run in: the
/// first `canary` alone, then the rest `batch` at a time (all at once for 0).
fn groups(pending: Vec<String>, canary: usize, batch: usize) -> Vec<Vec<String>> {
    let mut rest = pending.into_iter();
    let mut out = Vec::new();
    if canary > 0 {
        let canaries: Vec<String> = rest.by_ref().take(canary).collect();
        if !canaries.is_empty() {
            out.push(canaries);
        }
    }
    let rest: Vec<String> = rest.collect();
    if batch == 0 {
        if !rest.is_empty() {
            out.push(rest);
        }
    } else {
        out.extend(rest.chunks(batch).map(<[String]>::to_vec));
    }
    out
}

/// One group of tenants migrated by up to `jobs` workers; once `stop` is
/// set (a failure with `fail_fast`, a pool that gives no connection, a
/// failed canary), the tenants not yet started are reported not started.
fn migrate_group<M>(
    pool: &Pool<M>,
    group: Vec<String>,
    migrations: &[MigrationFile],
    options: &FleetRunner<'_>,
    stop: &AtomicBool,
    on_done: &(dyn Fn(&TenantResult) + Sync),
) -> Vec<TenantResult>
where
    M: ManageConnection,
    PooledConnection<M>: RunnerConnection,
{
    // never more workers than the pool has connections: the others would
    // wait for one and fail once a migration outlasts the pool's timeout
    let pool_size = usize::try_from(pool.max_size()).unwrap_or(usize::MAX);
    let workers = options.jobs.min(pool_size).min(group.len()).max(1);
    let queue: Mutex<VecDeque<String>> = Mutex::new(group.into());
    let done: Mutex<Vec<TenantResult>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(schema) = next else { break };
                let result = if stop.load(Ordering::SeqCst) {
                    TenantResult {
                        schema,
                        outcome: Outcome::NotStarted,
                        duration: Duration::ZERO,
                    }
                } else {
                    let t0 = Instant::now();
                    let outcome = match pool.get() {
                        Err(e) => {
                            // No connection within the pool's timeout, though
                            // no worker holds more than one: the server is
                            // refusing or unreachable, and every later tenant
                            // would wait the whole timeout too. Start no more.
                            stop.store(true, Ordering::SeqCst);
                            Outcome::Failed(Error::Pool(e))
                        }
                        Ok(mut conn) => {
                            match options.file_runner(migrations, &schema).run(&mut conn) {
                                Ok(report) if report.is_noop() => Outcome::Current,
                                Ok(report) => Outcome::Migrated(report),
                                Err(e) => Outcome::Failed(e),
                            }
                        }
                    };
                    if matches!(outcome, Outcome::Failed(_)) && options.fail_fast {
                        stop.store(true, Ordering::SeqCst);
                    }
                    TenantResult {
                        schema,
                        outcome,
                        duration: t0.elapsed(),
                    }
                };
                on_done(&result);
                if let Ok(mut d) = done.lock() {
                    d.push(result);
                }
            });
        }
    });
    // a worker that panicked still leaves the others' results
    done.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::groups;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    fn sizes(g: &[Vec<String>]) -> Vec<usize> {
        g.iter().map(Vec::len).collect()
    }

    #[test]
    fn canaries_come_first_then_batches_in_order() {
        assert_eq!(sizes(&groups(names(5), 0, 0)), [5]);
        assert_eq!(sizes(&groups(names(5), 0, 2)), [2, 2, 1]);
        assert_eq!(sizes(&groups(names(5), 1, 0)), [1, 4]);
        assert_eq!(sizes(&groups(names(5), 1, 3)), [1, 3, 1]);
        assert_eq!(sizes(&groups(names(2), 5, 2)), [2]);
        assert!(groups(Vec::new(), 2, 2).is_empty());
        let flat: Vec<String> = groups(names(5), 2, 2).concat();
        assert_eq!(flat, names(5));
    }
}
