//! Applying and reverting migrations in one schema: the part both runners share.

use std::time::Instant;

use diesel::connection::{Connection, LoadConnection};

use crate::backend::{self, Backend, HistoryRow, MigrationBackend, TxError};
use crate::error::Error;
use crate::report::{Applied, Report};
use crate::source::MigrationFile;

mod refuse;
mod script;

use self::refuse::refuse_open_transaction_known;
pub(crate) use self::refuse::{refuse_foreign_schema, refuse_open_transaction};
#[cfg(feature = "cli")]
pub(crate) use self::script::planned;
pub(crate) use self::script::planned_run;

/// The bounds every runner method puts on a connection: a diesel connection
/// of a backend ryx migrates.
///
/// Implemented for every such connection (`PgConnection`, `MysqlConnection`,
/// `SqliteConnection`, r2d2's and ryx's pooled connections); name it only to
/// write functions generic over the connection. (Not diesel's
/// `diesel::migration::MigrationConnection`, which `diesel_migrations` needs.)
pub trait RunnerConnection: Connection<Backend = Self::DB> + LoadConnection + 'static {
    /// The connection's backend.
    type DB: MigrationBackend;
}

impl<C> RunnerConnection for C
where
    C: Connection + LoadConnection + 'static,
    C::Backend: MigrationBackend,
{
    type DB = C::Backend;
}

/// A unit of work with a name, a checksum and its statements.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) checksum: String,
    pub(crate) origin: String,
    /// Sent with `batch_execute`, in order.
    pub(crate) up: Vec<String>,
    pub(crate) down: Option<String>,
    pub(crate) run_in_transaction: bool,
    /// Unqualified names in it resolve in the target schema (files do; ryx's
    /// generated DDL is qualified already).
    pub(crate) scoped: bool,
}

impl From<&MigrationFile> for Step {
    fn from(m: &MigrationFile) -> Self {
        Step {
            name: m.name.clone(),
            checksum: m.checksum(),
            origin: m.origin.clone(),
            up: vec![m.up.clone()],
            down: m.down.clone(),
            run_in_transaction: m.run_in_transaction,
            scoped: true,
        }
    }
}

pub(crate) fn db_error<'a>(
    schema: &'a str,
    action: &'static str,
) -> impl FnOnce(diesel::result::Error) -> Error + 'a {
    move |source| Error::Database {
        schema: schema.to_owned(),
        action,
        source,
    }
}

/// Like [`db_error`], for a query over every schema (listing the tenants,
/// reading their histories).
pub(crate) fn fleet_error(action: &'static str) -> impl FnOnce(diesel::result::Error) -> Error {
    move |source| Error::Fleet { action, source }
}

/// [`MigrationBackend::preflight`], the connection prepared first.
fn preflight<C: RunnerConnection>(conn: &mut C, schema: &str) -> Result<backend::Preflight, Error> {
    C::DB::prepare(conn).map_err(db_error(schema, "prepare the connection"))?;
    C::DB::preflight(conn, schema).map_err(db_error(schema, "read the migration history"))
}

pub(crate) fn history<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
) -> Result<Vec<HistoryRow>, Error> {
    C::DB::prepare(conn).map_err(db_error(schema, "prepare the connection"))?;
    C::DB::read_history(conn, schema).map_err(db_error(schema, "read the migration history"))
}

fn check_checksum(
    schema: &str,
    step: &Step,
    row: &HistoryRow,
    allow_changed: bool,
) -> Result<(), Error> {
    if !allow_changed && !checksum_matches(step, &row.checksum) {
        return Err(Error::ChangedAfterApply {
            schema: schema.to_owned(),
            migration: step.name.clone(),
            path: step.origin.clone(),
            recorded: row.checksum.clone(),
            current: step.checksum.clone(),
        });
    }
    Ok(())
}

/// Whether a history row's checksum matches the step. A file migration also
/// matches the checksum ryx 0.1 recorded (over `up.sql` and `down.sql`), so
/// histories it wrote stay valid.
fn checksum_matches(step: &Step, recorded: &str) -> bool {
    if recorded == step.checksum {
        return true;
    }
    match step.up.as_slice() {
        [up] if step.scoped => {
            crate::checksum::checksum_matches(recorded, up, step.down.as_deref())
        }
        _ => false,
    }
}

/// Options shared by the runners.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApplyOptions<'a> {
    pub(crate) atomic: bool,
    pub(crate) allow_changed: bool,
    /// The schemas after the tenant's own on a file migration's
    /// `search_path` (see [`search_path_value`]).
    pub(crate) shared: &'a [String],
}

/// The schemas a file migration finds after the tenant's own when none are
/// configured: `public`, where diesel's setup functions
/// (`diesel_manage_updated_at`) and extensions' types and functions usually
/// live.
pub(crate) const DEFAULT_SHARED_SCHEMAS: [&str; 1] = ["public"];

/// The `search_path` a file migration runs with: `schema` first (where its
/// unqualified `CREATE`s land), then the `shared` schemas, each quoted by the
/// backend's one quoting function, e.g. `"acme", "public"`.
pub(crate) fn search_path_value(kind: Backend, schema: &str, shared: &[String]) -> String {
    std::iter::once(schema)
        .chain(shared.iter().map(String::as_str).filter(|s| *s != schema))
        .map(|s| kind.quote(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the shared schema names of a runner: each a valid schema name
/// (the same rules as a tenant's, `public` allowed).
pub(crate) fn check_shared(shared: &[String]) -> Result<(), Error> {
    for s in shared {
        ryx_dsl::SchemaName::new(s)?;
    }
    Ok(())
}

/// The steps not yet applied, after checking the applied ones' checksums.
pub(crate) fn pending<'s>(
    schema: &str,
    steps: &'s [Step],
    history: &[HistoryRow],
    opts: ApplyOptions<'_>,
    report: &mut Report,
) -> Result<Vec<&'s Step>, Error> {
    let mut out = Vec::new();
    for step in steps {
        match history.iter().find(|row| row.name == step.name) {
            Some(row) => {
                check_checksum(schema, step, row, opts.allow_changed)?;
                report.skipped.push(step.name.clone());
            }
            None => out.push(step),
        }
    }
    Ok(out)
}

/// Sends `sql` for `step`, with unqualified names resolving in `schema` when
/// the step is scoped: `SET LOCAL` inside its transaction (the previous value
/// put back, also locally, before a savepoint ends), or, for
/// `run_in_transaction = false` steps (only ever run outside a transaction), a
/// session setting restored to the session's previous value right after.
/// `stamp` (the history's new digest, see [`stamp`]) is sent in the step's
/// transaction, with its first statement where the backend can; a step
/// outside a transaction gets none here (its caller stamps after the history
/// row).
fn execute_scoped<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    shared: &[String],
    step: &Step,
    sql: &[&str],
    stamp: Option<&str>,
) -> Result<(), TxError> {
    let path = search_path_value(C::DB::KIND, schema, shared);
    if step.run_in_transaction {
        let path = step.scoped.then_some(path.as_str());
        C::DB::execute_in_transaction(conn, path, stamp, sql)?;
        return Ok(());
    }
    let run = |conn: &mut C| -> Result<(), TxError> {
        for s in sql {
            conn.batch_execute(s)?;
        }
        Ok(())
    };
    if !step.scoped {
        return run(conn);
    }
    let previous = C::DB::scope_session(conn, &path)?;
    let result = run(conn);
    let restored = C::DB::restore_session(conn, previous);
    result?;
    restored?;
    Ok(())
}

/// The statement that records `rows` as the history's digest (see
/// `backend::digest`), on backends that keep one.
fn stamp<'a, C: RunnerConnection>(
    schema: &str,
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    let digest = backend::digest::history_digest(rows);
    backend::digest::stamp_sql(C::DB::KIND, schema, Some(&digest))
}

/// Runs one step inside the current (locked) transaction, if it is still
/// pending there (otherwise it is reported as skipped).
///
/// `has_table`: whether the history table was seen before the lock was
/// taken (set once this step made it). A transactional step then reads it
/// directly: the round trip of `ensure_history` is saved, and a tenant
/// dropped meanwhile fails instead of being made again. A step outside a
/// transaction always goes through `ensure_history`, which clears the
/// history's digest before the step changes anything.
fn run_step<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    step: &Step,
    opts: ApplyOptions<'_>,
    report: &mut Report,
    has_table: &mut bool,
) -> Result<(), TxError> {
    if !*has_table || !step.run_in_transaction {
        backend::ensure_history::<C::DB, C>(conn, schema)?;
    }
    // Re-read under the lock: another runner may have applied it meanwhile.
    let rows = C::DB::read_history_table(conn, schema)?;
    *has_table = true;
    let names = rows.iter().map(|r| (r.name.as_str(), r.checksum.as_str()));
    if let Some(row) = rows.iter().find(|r| r.name == step.name) {
        check_checksum(schema, step, row, opts.allow_changed)?;
        if let Some(sql) = stamp::<C>(schema, names) {
            conn.batch_execute(&sql)?;
        }
        report.skipped.push(step.name.clone());
        return Ok(());
    }
    let stamped = stamp::<C>(
        schema,
        names.chain([(step.name.as_str(), step.checksum.as_str())]),
    );
    let started = Instant::now();
    let up: Vec<&str> = step.up.iter().map(String::as_str).collect();
    let in_step = stamped.as_deref().filter(|_| step.run_in_transaction);
    execute_scoped(conn, schema, opts.shared, step, &up, in_step)?;
    let duration = started.elapsed();
    let ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    C::DB::insert_history(conn, schema, &step.name, &step.checksum, ms)?;
    if !step.run_in_transaction {
        // Outside a transaction: only once the row is there (ensure_history
        // cleared the digest before the step ran).
        if let Some(sql) = &stamped {
            conn.batch_execute(sql)?;
        }
    }
    report.applied.push(Applied {
        name: step.name.clone(),
        duration,
    });
    Ok(())
}

fn failed(schema: &str, step: &str, e: TxError, report: &Report) -> Error {
    match e {
        TxError::Ryx(e) => e,
        TxError::Db(source) => Error::MigrationFailed {
            schema: schema.to_owned(),
            migration: step.to_owned(),
            source,
            report: Box::new(report.clone()),
        },
    }
}

/// Applies `steps` in order, each in its own locked transaction (or all in one
/// with `atomic`), skipping the applied ones.
pub(crate) fn apply<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    steps: &[Step],
    opts: ApplyOptions<'_>,
    report: &mut Report,
) -> Result<(), Error> {
    let pre = preflight(conn, schema)?;
    let rows = &pre.history;
    let mut scratch = Report::new(schema);
    let todo = pending(schema, steps, rows, opts, &mut scratch)?;
    report.skipped.extend(scratch.skipped);
    refuse_open_transaction_known(
        conn,
        schema,
        todo.iter().copied().find(|s| !s.run_in_transaction),
        pre.untracked_transaction_open,
    )?;
    if todo.is_empty() {
        return Ok(());
    }
    if rows.is_empty() {
        let relations = match &pre.relations {
            Some(relations) => relations.clone(),
            None => C::DB::schema_relations(conn, schema)
                .map_err(db_error(schema, "list the schema's relations"))?,
        };
        refuse_foreign_schema::<C::DB>(schema, &relations)?;
    }
    let mut has_table = pre.history_table;
    if opts.atomic {
        if let Some(step) = todo.iter().find(|s| !s.run_in_transaction) {
            return Err(Error::InvalidMigration {
                path: step.origin.clone().into(),
                reason: "it runs outside a transaction (run_in_transaction = false), which `atomic` cannot include".into(),
            });
        }
        let before = report.clone();
        let mut current = String::new();
        let result = C::DB::locked(conn, schema, true, |conn| {
            for step in &todo {
                current.clone_from(&step.name);
                run_step(conn, schema, step, opts, report, &mut has_table)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            let kept = if C::DB::KIND == Backend::MySQL {
                // MySQL commits DDL implicitly: what was recorded before the
                // failure stays.
                recorded_only::<C>(conn, schema, report)
            } else {
                // Nothing of the atomic run stays.
                before
            };
            let e = failed(schema, &current, e, &kept);
            *report = kept;
            return Err(e);
        }
        return Ok(());
    }
    for step in todo {
        let before = report.clone();
        let result = C::DB::locked(conn, schema, step.run_in_transaction, |conn| {
            if step.run_in_transaction {
                return run_step(conn, schema, step, opts, report, &mut has_table);
            }
            let invalid = C::DB::invalid_indexes(conn, schema, true)?;
            run_step(conn, schema, step, opts, report, &mut has_table).map_err(|e| match e {
                TxError::Db(source) => TxError::Ryx(clean_after_failure(
                    conn, schema, step, source, &invalid, &before,
                )),
                e => e,
            })
        });
        if let Err(e) = result {
            *report = before;
            return Err(failed(schema, &step.name, e, report));
        }
    }
    Ok(())
}

/// The error of a failed `run_in_transaction = false` step, after dropping
/// the invalid indexes it left (those not in `invalid_before`, and not being
/// built by another session), still under the schema's lock: a failed `CREATE INDEX CONCURRENTLY` leaves one, which
/// would fail the next run with "already exists". An index that cannot be
/// dropped (the connection is gone, say) is named in the error instead.
fn clean_after_failure<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    step: &Step,
    source: diesel::result::Error,
    invalid_before: &[String],
    report: &Report,
) -> Error {
    let mut cleaned = Vec::new();
    let mut remaining = Vec::new();
    // if the catalog cannot be read, the index (if any) is unknown: the
    // database's error says why
    let left: Vec<String> = C::DB::invalid_indexes(conn, schema, false)
        .unwrap_or_default()
        .into_iter()
        .filter(|name| !invalid_before.contains(name))
        .collect();
    for name in left {
        let sql = format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            C::DB::KIND.qualify(Some(schema), &name)
        );
        match conn.batch_execute(&sql) {
            Ok(()) => cleaned.push(name),
            Err(_) => remaining.push(name),
        }
    }
    Error::NonTransactionalFailed {
        schema: schema.to_owned(),
        migration: step.name.clone(),
        source,
        report: Box::new(report.clone()),
        indexes: Box::new(crate::error::InvalidIndexes {
            dropped: cleaned,
            remaining,
        }),
    }
}

/// Reverts the last `count` applied steps (newest first). Every one of them is
/// checked first (known, has a `down`, unchanged), so a rollback that cannot
/// finish does not start.
pub(crate) fn revert<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    steps: &[Step],
    count: usize,
    opts: ApplyOptions<'_>,
    report: &mut Report,
) -> Result<(), Error> {
    let pre = preflight(conn, schema)?;
    let rows = pre.history;
    let mut applied: Vec<&HistoryRow> = rows
        .iter()
        .filter(|r| !r.name.starts_with("model:"))
        .collect();
    applied.sort_by(|a, b| b.name.cmp(&a.name));
    if count > applied.len() {
        return Err(Error::RollbackTooFar {
            schema: schema.to_owned(),
            requested: count,
            applied: applied.len(),
        });
    }
    let mut plan = Vec::with_capacity(count);
    for row in applied.into_iter().take(count) {
        let step = steps.iter().find(|s| s.name == row.name).ok_or_else(|| Error::CannotRollBack {
            schema: schema.to_owned(),
            migration: row.name.clone(),
            reason: "it is applied but not among this runner's migrations: point the runner at the folder that has it".into(),
        })?;
        let down = step.down.as_deref().ok_or_else(|| Error::CannotRollBack {
            schema: schema.to_owned(),
            migration: row.name.clone(),
            reason: format!("it has no down.sql ({})", step.origin),
        })?;
        check_checksum(schema, step, row, opts.allow_changed)?;
        plan.push((step, down));
    }
    refuse_open_transaction_known(
        conn,
        schema,
        plan.iter().map(|(s, _)| *s).find(|s| !s.run_in_transaction),
        pre.untracked_transaction_open,
    )?;
    for (step, down) in plan {
        let before = report.clone();
        let result = C::DB::locked(conn, schema, step.run_in_transaction, |conn| {
            let still = C::DB::read_history(conn, schema)?;
            if !still.iter().any(|r| r.name == step.name) {
                return Ok(());
            }
            // The history without the reverted row, as its new digest: in the
            // step's transaction, or, outside one, cleared before anything
            // changes and set once the row is gone.
            let stamped = stamp::<C>(
                schema,
                still
                    .iter()
                    .filter(|r| r.name != step.name)
                    .map(|r| (r.name.as_str(), r.checksum.as_str())),
            );
            if !step.run_in_transaction {
                if let Some(clear) = backend::digest::stamp_sql(C::DB::KIND, schema, None) {
                    conn.batch_execute(&clear)?;
                }
            }
            let in_step = stamped.as_deref().filter(|_| step.run_in_transaction);
            let started = Instant::now();
            execute_scoped(conn, schema, opts.shared, step, &[down], in_step)?;
            C::DB::delete_history(conn, schema, &step.name)?;
            if !step.run_in_transaction {
                if let Some(sql) = &stamped {
                    conn.batch_execute(sql)?;
                }
            }
            report.reverted.push(Applied {
                name: step.name.clone(),
                duration: started.elapsed(),
            });
            Ok(())
        });
        if let Err(e) = result {
            *report = before;
            return Err(failed(schema, &step.name, e, report));
        }
    }
    Ok(())
}

/// `report` with only the applied steps the schema's history now holds: after a
/// failed run on MySQL, whose implicit commits keep what ran before the
/// failure. If the history cannot be read, `report` as the run recorded it.
pub(crate) fn recorded_only<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    report: &Report,
) -> Report {
    let mut kept = report.clone();
    if let Ok(rows) = C::DB::read_history(conn, schema) {
        kept.applied
            .retain(|a| rows.iter().any(|row| row.name == a.name));
    }
    kept
}

/// Makes `schema` a ryx tenant: creates it (PostgreSQL) and its history table,
/// under the schema's lock, without applying anything. A tenant that already
/// exists is left as it is (`Ok`).
///
/// Refused, changing nothing: `public` and `information_schema`
/// ([`Error::ReservedSchema`]), `pg_`-prefixed names
/// ([`Error::InvalidSchemaName`]), and on PostgreSQL a schema that already
/// exists without a `ryx_migrations` table ([`Error::NotATenant`]): ryx never
/// adopts a schema it did not create unless asked with
/// [`fleet::adopt_tenant`](crate::fleet::adopt_tenant), since
/// [`fleet::drop_tenant`](crate::fleet::drop_tenant) drops a tenant with
/// everything in it.
///
/// Like the runners, it refuses to run inside a transaction that it cannot
/// leave intact (any transaction on MySQL and SQLite, one begun with raw SQL
/// on PostgreSQL); see [`Error::InTransaction`].
pub fn create_tenant<C: RunnerConnection>(conn: &mut C, schema: &str) -> Result<(), Error> {
    crate::fleet::create(conn, schema, false)
}
