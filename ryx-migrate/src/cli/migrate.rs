//! `ryx migrate`: pending migrations to many tenants in parallel over a pool
//! (staged with `--canary` and `--batch`, retried with `--only-failed` and
//! `--resume` from the saved run report in `migrate/journal.rs`),
//! `--dry-run` (the SQL the library plans), and `--from-models`.

mod journal;
mod pause;
pub(super) mod summary;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use ryx_pool::{ConnectionManager, ManagedConnection, PoolBackend};

use super::args::{MigrationsDir, SharedSchemas, Targets};
use super::output::{
    chain, esay, print_planned, say, say_raw, Failure, Format, FormatOpt, SUCCESS, TENANT_FAILED,
};
use crate::apply::RunnerConnection;
use crate::files::FileRunner;
use crate::fleet::{
    FleetReport, FleetRunner, ModelFleetRunner, ModelResult, Outcome, TenantResult,
};
use crate::metadata::TableState;
use crate::report::Report;
use crate::source::{load_dir, MigrationFile};

/// The most connections `--jobs` opens at once.
pub(super) const MAX_JOBS: usize = 256;

/// `migrate --help`'s closing text.
const AFTER_HELP: &str = "\
Examples:
  ryx migrate --all-schemas --canary 1 --batch 50 --pause 2s
  ryx migrate --only-failed    # once what failed is fixed: only the tenants that failed
  ryx migrate --resume         # only the tenants a killed or stopped run did not start

A run over several tenants saves its report (each tenant migrated, current, failed with its error, \
or not started) to --report-file, by default $XDG_STATE_HOME/ryx/runs/<hash of URL and --dir>.json \
($XDG_STATE_HOME defaults to ~/.local/state). It is written when the run starts, at most once a \
second while it goes on, and at the end; --only-failed and --resume read it and merge their own \
outcome into it.

With --directory (a tenant directory, see `ryx --help`) every server is migrated at once, each \
over its own pool: --jobs, --fail-fast, --canary, --batch and --pause apply to each server on its \
own, and the summary has a line per server. --dry-run, --from-models, --only-failed, --resume and \
--report-file are not with --directory yet: run them per server with --url.";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub(super) struct MigrateArgs {
    #[command(flatten)]
    pub(super) dir: MigrationsDir,
    #[command(flatten)]
    pub(super) targets: Targets,
    /// Tenants migrated at once (default: the number of cores; with
    /// --directory: on each server, at most its pool_size).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the SQL that would run, change nothing.
    #[arg(long)]
    pub(super) dry_run: bool,
    /// Stop starting new tenants after the first failure (with --directory:
    /// on that tenant's server).
    #[arg(long)]
    fail_fast: bool,
    /// Create what this binary's models need instead of running the folder.
    #[arg(long)]
    pub(super) from_models: bool,
    /// Accept migrations edited after they were applied.
    #[arg(long)]
    allow_changed: bool,
    /// Migrate only the tenants that failed in the saved run report (merging
    /// this run's outcome into it).
    #[arg(long, conflicts_with_all = ["schemas", "all_schemas", "from_models"])]
    pub(super) only_failed: bool,
    /// Migrate only the tenants the saved run report lists as not started:
    /// the run was killed, or stopped by --fail-fast or a failed --canary
    /// (failed tenants are --only-failed's; give both for both).
    #[arg(long, conflicts_with_all = ["schemas", "all_schemas", "from_models"])]
    pub(super) resume: bool,
    /// Migrate the tenants with pending migrations N at a time, each batch
    /// finished before the next starts (with --directory: on each server).
    #[arg(long, value_name = "N", conflicts_with_all = ["from_models", "dry_run"])]
    batch: Option<usize>,
    /// The wait between batches and after the canaries: 500ms, 2s, 1m.
    #[arg(long, value_name = "DURATION", value_parser = pause::parse_pause, conflicts_with_all = ["from_models", "dry_run"])]
    pause: Option<Duration>,
    /// Migrate K tenants first; if one fails, start no other and exit 1
    /// (`--resume` continues once it is fixed; with --directory: K on each
    /// server, whose other tenants wait for its own canaries only).
    #[arg(long, value_name = "K", conflicts_with_all = ["from_models", "dry_run"])]
    canary: Option<usize>,
    /// Where the run report is saved and read (default: below).
    #[arg(long, value_name = "PATH", env = "RYX_REPORT_FILE")]
    pub(super) report_file: Option<PathBuf>,
    #[command(flatten)]
    shared: SharedSchemas,
    #[command(flatten)]
    pub(super) format: FormatOpt,
}

impl MigrateArgs {
    /// Refuses counts of 0 and a pause with nothing to pause between.
    pub(super) fn check(&self) -> Result<(), Failure> {
        for (flag, value) in [
            ("--jobs", self.jobs),
            ("--batch", self.batch),
            ("--canary", self.canary),
        ] {
            if value == Some(0) {
                return Err(Failure::usage(format!("{flag} must be at least 1")));
            }
        }
        if self.pause.is_some() && self.batch.is_none() && self.canary.is_none() {
            return Err(Failure::usage(
                "--pause is the wait between batches: give --batch N (or --canary K) too",
            ));
        }
        Ok(())
    }

    /// `--only-failed` or `--resume`: the tenants come from the saved report.
    fn retries(&self) -> bool {
        self.only_failed || self.resume
    }

    /// `--jobs`, else the number of cores.
    pub(super) fn requested_jobs(&self) -> usize {
        self.jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// The fleet runner these options describe, over `migrations` with
    /// `jobs` workers (its schemas are set by the caller).
    pub(super) fn fleet_runner<'a>(
        &self,
        migrations: Vec<MigrationFile>,
        jobs: usize,
    ) -> FleetRunner<'a> {
        let mut runner = FleetRunner::new()
            .migrations(migrations)
            .jobs(jobs)
            .fail_fast(self.fail_fast)
            .allow_changed(self.allow_changed)
            .canary(self.canary.unwrap_or(0))
            .batch(
                self.batch.unwrap_or(0),
                self.pause.unwrap_or(Duration::ZERO),
            );
        if let Some(shared) = self.shared.list() {
            runner = runner.shared_schemas(shared);
        }
        runner
    }
}

/// Runs `ryx migrate` against `url` over `conn`, and over a pool of
/// `manager`'s connections for the parallel run.
pub(super) fn run<C>(
    mut conn: ManagedConnection<C>,
    manager: ConnectionManager<C>,
    url: &str,
    models: &[TableState],
    args: &MigrateArgs,
) -> Result<u8, Failure>
where
    C: PoolBackend + RunnerConnection,
    ManagedConnection<C>: RunnerConnection,
    PooledConnection<ConnectionManager<C>>: RunnerConnection,
{
    let kind = <C::DB as crate::backend::MigrationBackend>::KIND;
    args.targets.note_if_ignored(kind);
    args.check()?;
    let named = if args.retries() {
        Vec::new()
    } else {
        args.targets.resolve(&mut conn, true)?
    };
    if args.from_models {
        return from_models(&mut conn, super::require_models(models)?, &named, args);
    }
    let migrations = load_dir(&args.dir.dir)?;
    let id = journal::Identity::new(url, &args.dir.dir);
    let at = journal::Location::new(args.report_file.as_deref(), &id);
    let (schemas, base) = if args.retries() {
        let at = at.as_ref().ok_or_else(journal::no_location)?;
        let (schemas, base) = retry_selection(&mut conn, at, &id, args)?;
        (schemas, Some(base))
    } else {
        (named, None)
    };
    if schemas.is_empty() {
        if !args.retries() {
            esay!("no tenants found (schemas with a ryx_migrations table); create one with `ryx tenants create SCHEMA`");
        } else if args.format.format == Format::Json && !args.dry_run {
            // nothing to retry: still one summary for scripts to read
            say!("{}", summary::summary_json(&FleetReport::default()));
        }
        return Ok(SUCCESS);
    }
    if args.dry_run {
        return dry_run(&mut conn, &schemas, &migrations, args);
    }
    drop(conn);
    // a run over several tenants (or merged into a saved report) saves one
    let journal = match &at {
        Some(at) if base.is_some() || schemas.len() > 1 => {
            let selection =
                journal::selection(args.only_failed, args.resume, args.targets.all_schemas);
            journal::Journal::start(at, &id, base, selection, &schemas)?
        }
        None if schemas.len() > 1 => {
            esay!("note: the run report is not saved: no --report-file, RYX_REPORT_FILE, XDG_STATE_HOME or HOME");
            None
        }
        _ => None,
    };
    // never more connections than tenants, nor than a sane bound
    let jobs = args.requested_jobs().min(schemas.len()).clamp(1, MAX_JOBS);
    let pool = Pool::builder()
        .max_size(u32::try_from(jobs).unwrap_or(u32::MAX).max(1))
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(30))
        .build_unchecked(manager);
    let runner = args
        .fleet_runner(migrations, jobs)
        .schemas(schemas.iter().cloned());
    fleet_run(
        &pool,
        runner,
        schemas.len(),
        args.format.format,
        journal.as_ref(),
        args.canary.unwrap_or(0),
    )
}

/// `--only-failed` / `--resume`: the tenants the saved report lists as
/// failed / not started that are still tenants (one dropped since is
/// skipped with a note and forgotten), and the report to merge into.
fn retry_selection<C: RunnerConnection>(
    conn: &mut C,
    at: &journal::Location,
    id: &journal::Identity,
    args: &MigrateArgs,
) -> Result<(Vec<String>, journal::RunReport), Failure> {
    let mut saved = journal::load(at, id)?;
    if !saved.completed {
        esay!("note: the saved run did not finish (it was killed, or is still running)");
    }
    let tenants = crate::fleet::tenants(conn)?;
    let mut schemas = Vec::new();
    for s in saved.select(args.only_failed, args.resume) {
        if tenants.contains(&s) {
            schemas.push(s);
        } else {
            esay!("note: {s} is no longer a tenant (no ryx_migrations table): skipped");
            saved.forget(&s);
        }
    }
    if schemas.is_empty() {
        let (failed, not_started) = (
            saved.count(journal::Saved::Failed),
            saved.count(journal::Saved::NotStarted),
        );
        esay!(
            "nothing to retry: the run report {} lists {failed} failed and {not_started} not started tenants{}",
            at.path.display(),
            match (args.only_failed, args.resume) {
                (true, false) if not_started > 0 => " (--resume starts the ones not started)",
                (false, true) if failed > 0 => " (--only-failed retries the failed ones)",
                _ => "",
            }
        );
    }
    Ok((schemas, saved))
}

/// `--dry-run`: per schema, the statements the library's dry run plans.
fn dry_run<C: RunnerConnection>(
    conn: &mut C,
    schemas: &[String],
    migrations: &[MigrationFile],
    args: &MigrateArgs,
) -> Result<u8, Failure> {
    let mut json = Vec::new();
    for schema in schemas {
        let report = args
            .shared
            .apply(FileRunner::new())
            .migrations(migrations.to_vec())
            .schema(schema.clone())
            .dry_run(true)
            .allow_changed(args.allow_changed)
            .run(conn)?;
        match args.format.format {
            Format::Text => {
                if report.planned.is_empty() {
                    say!("-- {schema}: up to date");
                }
                for p in &report.planned {
                    say!("-- {schema}: {}", p.name);
                    print_planned(p);
                }
            }
            Format::Json => json.push(serde_json::json!({
                "schema": schema,
                "planned": report.planned.iter().map(|p| serde_json::json!({"name": p.name, "sql": p.sql})).collect::<Vec<_>>(),
            })),
        }
    }
    if args.format.format == Format::Json {
        say!("{}", serde_json::Value::Array(json));
    }
    Ok(SUCCESS)
}

/// The parallel run: a progress bar on a terminal (one line per tenant
/// otherwise), then a summary.
fn fleet_run<M>(
    pool: &Pool<M>,
    runner: FleetRunner<'_>,
    tenants: usize,
    format: Format,
    journal: Option<&journal::Journal>,
    canary: usize,
) -> Result<u8, Failure>
where
    M: ManageConnection,
    PooledConnection<M>: RunnerConnection,
{
    let terminal = std::io::stderr().is_terminal() && format == Format::Text;
    let bar = if terminal {
        let bar = indicatif::ProgressBar::new(tenants as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} tenants {msg}",
        ) {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let on_done = |r: &TenantResult| {
        if let Some(journal) = journal {
            journal.record(r);
        }
        match &bar {
            Some(bar) => {
                if matches!(r.outcome, Outcome::Failed(_)) {
                    bar.println(summary::describe(r));
                }
                bar.set_message(r.schema.clone());
                bar.inc(1);
            }
            None if format == Format::Text => say!("{}", summary::describe(r)),
            None => {}
        }
    };
    let report = runner.on_done(on_done).run(pool)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if let Some(journal) = journal {
        journal.finish(&report);
    }
    match format {
        Format::Text => {
            summary::print_summary(&report);
            if let Some(journal) = journal {
                summary::print_next_steps(&report, journal.path());
            }
        }
        Format::Json => say!("{}", summary::summary_json(&report)),
    }
    if report.canary_failed {
        esay!(
            "canary failed: {} other tenants were not started; once it is fixed, \
             `ryx migrate --only-failed --resume --canary {canary}` retries it first, then starts them",
            report.not_started().count()
        );
    }
    Ok(if report.is_success() {
        SUCCESS
    } else {
        TENANT_FAILED
    })
}

/// `--from-models`: the library's [`ModelFleetRunner`] over `conn`, each
/// schema's report (or failure) printed as it is done, `--fail-fast` stopping
/// at the first failure.
fn from_models<C: RunnerConnection>(
    conn: &mut C,
    models: &[TableState],
    schemas: &[String],
    args: &MigrateArgs,
) -> Result<u8, Failure> {
    let format = args.format.format;
    let report = ModelFleetRunner::new()
        .tables(models.iter().cloned())
        .schemas(schemas.iter().cloned())
        .dry_run(args.dry_run)
        .fail_fast(args.fail_fast)
        .on_done(|done: &ModelResult| match &done.outcome {
            Ok(report) => {
                if format == Format::Text {
                    say_raw!("{}", model_report_text(report));
                    for p in &report.planned {
                        print_planned(p);
                    }
                }
            }
            Err(e) => esay!("{}: FAILED: {}", done.schema, chain(e)),
        })
        .run(conn)?;
    if format == Format::Json {
        let json: Vec<serde_json::Value> = report
            .tenants
            .iter()
            .map(|t| match &t.outcome {
                Ok(report) => serde_json::json!({
                    "schema": t.schema,
                    "applied": report.applied.iter().map(|a| &a.name).collect::<Vec<_>>(),
                    "planned": report.planned.iter().map(|p| serde_json::json!({"name": p.name, "sql": p.sql})).collect::<Vec<_>>(),
                    "drift": report.drift.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }),
                Err(e) => serde_json::json!({ "schema": t.schema, "error": chain(e) }),
            })
            .collect();
        say!("{}", serde_json::Value::Array(json));
    }
    Ok(if report.is_success() {
        SUCCESS
    } else {
        TENANT_FAILED
    })
}

/// One schema's `--from-models` report as text lines: the library's report,
/// except that a step without timing (the schema's own creation, recorded
/// with no duration) shows none instead of `in 0.0ns`.
fn model_report_text(report: &Report) -> String {
    let mut text = report.to_string();
    for a in report.applied.iter().filter(|a| a.duration.is_zero()) {
        let line = format!("{}: applied {}", report.schema, a.name);
        text = text.replacen(
            &format!("{line} in {:.1?}\n", a.duration),
            &format!("{line}\n"),
            1,
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::report::Applied;

    #[test]
    fn model_steps_without_timing_show_no_zero_duration() {
        let report = Report {
            schema: "acme".into(),
            applied: vec![
                Applied {
                    name: "model:schema:create".into(),
                    duration: Duration::ZERO,
                },
                Applied {
                    name: "model:ms_posts:create".into(),
                    duration: Duration::from_micros(1500),
                },
            ],
            ..Report::default()
        };
        let text = model_report_text(&report);
        assert_eq!(
            text,
            "acme: applied model:schema:create\nacme: applied model:ms_posts:create in 1.5ms\n"
        );
    }
}
