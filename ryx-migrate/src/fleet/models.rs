//! [`ModelFleetRunner`]: the models applied to many schemas over one connection.

use std::time::{Duration, Instant};

use crate::apply::RunnerConnection;
use crate::error::Error;
use crate::metadata::{RyxTable, TableState};
use crate::models::MigrationRunner;
use crate::report::Report;

/// What [`ModelFleetRunner`] did to one schema.
#[derive(Debug)]
#[non_exhaustive]
pub struct ModelResult {
    /// The schema.
    pub schema: String,
    /// The schema's report (what was applied, or planned with `dry_run`, and
    /// the drift), or why it failed.
    pub outcome: Result<Report, Error>,
    /// How long it took.
    pub duration: Duration,
}

/// The results of a [`ModelFleetRunner`] run.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ModelFleetReport {
    /// One entry per schema the run started, in the order they ran.
    pub tenants: Vec<ModelResult>,
    /// The schemas not started after a failure with
    /// [`fail_fast`](ModelFleetRunner::fail_fast), in order.
    pub not_started: Vec<String>,
    /// The whole run's wall time.
    pub duration: Duration,
}

impl ModelFleetReport {
    /// Schemas that failed.
    pub fn failed(&self) -> impl Iterator<Item = &ModelResult> {
        self.tenants.iter().filter(|t| t.outcome.is_err())
    }

    /// Whether every schema was migrated (or planned) without failing.
    pub fn is_success(&self) -> bool {
        self.failed().next().is_none() && self.not_started.is_empty()
    }
}

/// Migrates many schemas from the models, one after the other over one
/// connection: the fleet's [`MigrationRunner`].
///
/// Each schema gets its own [`MigrationRunner::migrate`] (its own locked
/// transaction; see there). A failed schema does not stop the others unless
/// [`fail_fast`](Self::fail_fast) is set. `ryx migrate --from-models` runs
/// this.
///
/// ```no_run
/// # fn f<T: ryx_migrate::RyxTable>(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// use ryx_migrate::fleet::ModelFleetRunner;
///
/// let report = ModelFleetRunner::new()
///     .model::<T>()
///     .schemas(["acme", "globex"])
///     .on_done(|tenant| println!("{}: done", tenant.schema))
///     .run(conn)?;
/// assert!(report.is_success());
/// # Ok(()) }
/// ```
#[must_use = "a model fleet runner does nothing until .run(conn) is called"]
#[derive(Default)]
pub struct ModelFleetRunner<'a> {
    tables: Vec<TableState>,
    schemas: Vec<String>,
    dry_run: bool,
    fail_fast: bool,
    on_done: Option<OnModelDone<'a>>,
}

/// The callback [`ModelFleetRunner::on_done`] keeps.
type OnModelDone<'a> = Box<dyn Fn(&ModelResult) + 'a>;

impl std::fmt::Debug for ModelFleetRunner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFleetRunner")
            .field("tables", &self.tables.len())
            .field("schemas", &self.schemas)
            .field("dry_run", &self.dry_run)
            .field("fail_fast", &self.fail_fast)
            .field("on_done", &self.on_done.is_some())
            .finish()
    }
}

impl<'a> ModelFleetRunner<'a> {
    /// A runner with no models and no schemas yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a table declared with `ryx_table!`: `.model::<posts::table>()`.
    pub fn model<T: RyxTable>(mut self) -> Self {
        self.tables.push(T::default().table_state());
        self
    }

    /// Adds tables by their metadata. Default: none.
    pub fn tables(mut self, tables: impl IntoIterator<Item = TableState>) -> Self {
        self.tables.extend(tables);
        self
    }

    /// The schemas to migrate, in order (duplicates are run once); each name
    /// is validated before anything runs. Default: none.
    pub fn schemas<I, S>(mut self, schemas: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.schemas = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// Plan only: each schema's report holds the exact SQL in
    /// [`Report::planned`] and nothing is changed (see
    /// [`MigrationRunner::dry_run`]). Default: `false`.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Stop after the first failed schema; the rest are reported as not
    /// started. Default: `false` (keep going and report every failure).
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Called after each schema, as soon as it is done (for progress
    /// output). Default: nothing.
    pub fn on_done(mut self, on_done: impl Fn(&ModelResult) + 'a) -> Self {
        self.on_done = Some(Box::new(on_done));
        self
    }

    /// Migrates the schemas over `conn`, one after the other. An invalid
    /// schema name is an error before anything runs; a schema that fails is
    /// reported in its [`ModelResult`].
    pub fn run<C: RunnerConnection>(&self, conn: &mut C) -> Result<ModelFleetReport, Error> {
        let started = Instant::now();
        let schemas = super::checked_schemas(&self.schemas)?;
        let mut schemas = schemas.iter();
        let runner = self
            .tables
            .iter()
            .cloned()
            .fold(MigrationRunner::new().dry_run(self.dry_run), |r, t| {
                r.table(t)
            });
        let mut report = ModelFleetReport::default();
        for schema in schemas.by_ref() {
            let t0 = Instant::now();
            let outcome = runner.clone().schema(schema.clone()).migrate(conn);
            let result = ModelResult {
                schema: schema.clone(),
                outcome,
                duration: t0.elapsed(),
            };
            if let Some(f) = &self.on_done {
                f(&result);
            }
            let stop = self.fail_fast && result.outcome.is_err();
            report.tenants.push(result);
            if stop {
                break;
            }
        }
        report.not_started = schemas.cloned().collect();
        report.duration = started.elapsed();
        Ok(report)
    }
}
