//! The commands over a tenant directory of PostgreSQL servers: `migrate`,
//! `showmigrations` and `tenants list` on every server at once, the commands
//! about one tenant on that tenant's server.

use std::path::Path;
use std::time::Instant;

use diesel::PgConnection;

use super::super::migrate::summary::{describe, print_totals, summary_json};
use super::super::migrate::{MigrateArgs, MAX_JOBS};
use super::super::output::{
    chain, esay, invalid_schema, say, Failure, Format, SUCCESS, TENANT_FAILED,
};
use super::super::showmigrations::{self, print_missing, print_text, ShowArgs};
use super::super::tenants::TenantsCommand;
use super::super::{Cli, Command};
use crate::directory::{Directory, DirectoryError, ServerRun};
use crate::error::Error;
use crate::fleet::{FleetReport, TenantResult};
use crate::source::load_dir;

type PgDirectory = Directory<PgConnection>;

/// Loads the directory at `path` and runs `command` over it.
pub(super) fn run(
    cli: &Cli,
    path: &Path,
    transaction_pooler: bool,
    command: Command,
) -> Result<u8, Failure> {
    let directory = PgDirectory::load(path).map_err(directory_failure)?;
    match &command {
        Command::Migrate(args) => return migrate(&directory, args),
        Command::Showmigrations(args) => return show(&directory, args),
        Command::Tenants {
            command: TenantsCommand::List { sizes: true, .. },
        } => {
            return Err(Failure::usage(
                "tenants list --sizes is not with --directory yet: run it per server with --url",
            ))
        }
        Command::Tenants {
            command: TenantsCommand::List { format, .. },
        } => return list_tenants(&directory, format.format),
        Command::Tenants {
            command: TenantsCommand::Move { .. },
        } => return super::move_tenant::run(path, &command),
        _ => {}
    }
    let tenant = routed_tenant(&command).ok_or_else(|| {
        Failure::usage(
            "this command is not with --directory yet: run it against one server with --url",
        )
    })?;
    ryx_dsl::SchemaName::new(tenant).map_err(invalid_schema)?;
    let server = directory.server_of(tenant).map_err(directory_failure)?;
    cli.connected::<PgConnection>(
        server.url(),
        server.transaction_pooler() || transaction_pooler,
        command,
    )
}

/// The one tenant a command works on, for the commands that go to the
/// tenant's server.
fn routed_tenant(command: &Command) -> Option<&str> {
    match command {
        Command::Rollback(args) => Some(&args.schema),
        Command::Redo(args) => Some(&args.schema),
        Command::PrintSchema(args) => Some(&args.schema),
        Command::Tenants {
            command: TenantsCommand::Create { schema, .. } | TenantsCommand::Drop { schema, .. },
        } => Some(schema),
        _ => None,
    }
}

/// `migrate` options a run over the directory does not take yet.
fn refuse_unsupported(args: &MigrateArgs) -> Result<(), Failure> {
    for (given, flag, instead) in [
        (args.dry_run, "--dry-run", "run it per server with --url"),
        (
            args.from_models,
            "--from-models",
            "run it per server with --url",
        ),
        (
            args.only_failed,
            "--only-failed",
            "rerun with --schema for the failed tenants, or per server with --url",
        ),
        (
            args.resume,
            "--resume",
            "rerun with --all-schemas (current tenants are not touched), or per server with --url",
        ),
        (
            args.report_file.is_some(),
            "--report-file (or RYX_REPORT_FILE)",
            "use --format json for the outcome, or run per server with --url",
        ),
    ] {
        if given {
            return Err(Failure::usage(format!(
                "{flag} is not with --directory yet: {instead}"
            )));
        }
    }
    Ok(())
}

/// `migrate` over every server at once: a line per tenant as it is done,
/// then a line per server and the totals (or one JSON object).
fn migrate(directory: &PgDirectory, args: &MigrateArgs) -> Result<u8, Failure> {
    refuse_unsupported(args)?;
    args.check()?;
    let named = args.targets.named(true)?;
    let migrations = load_dir(&args.dir.dir)?;
    let format = args.format.format;
    let jobs = args.requested_jobs().clamp(1, MAX_JOBS);
    let runner = args
        .fleet_runner(migrations, jobs)
        .on_done(move |r: &TenantResult| {
            if format == Format::Text {
                say!("{}", describe(r));
            }
        });
    let started = Instant::now();
    let runs = directory
        .migrate(&runner, named.as_deref())
        .map_err(directory_failure)?;
    let mut lines = Vec::new();
    let mut json = Vec::new();
    let mut total = FleetReport::default();
    let mut unreached = 0;
    let mut trouble = false;
    for run in runs {
        note_elsewhere(directory, &run);
        match &run.result {
            Ok(report) => {
                trouble |= !report.is_success();
                lines.push(server_counts(&run.server, report));
                let mut entry = summary_json(report);
                if let Some(entry) = entry.as_object_mut() {
                    entry.insert("server".into(), run.server.clone().into());
                    entry.insert("elsewhere".into(), run.elsewhere.clone().into());
                }
                json.push(entry);
            }
            Err(e) => {
                trouble = true;
                unreached += run.expected.len();
                lines.push(server_failed(&run, e, "migrated"));
                json.push(failed_json(&run, e));
            }
        }
        if let Ok(report) = run.result {
            total.canary_failed |= report.canary_failed;
            total.tenants.extend(report.tenants);
        }
    }
    total.tenants.sort_by(|a, b| a.schema.cmp(&b.schema));
    total.duration = started.elapsed();
    match format {
        Format::Text => {
            if total.tenants.is_empty() && !trouble {
                esay!("no tenants found on the directory's servers (schemas with a ryx_migrations table); create one with `ryx tenants create SCHEMA`");
            }
            say!();
            for line in &lines {
                say!("{line}");
            }
            print_totals(&total, unreached);
        }
        Format::Json => say!(
            "{}",
            serde_json::json!({"servers": json, "ms": total.duration.as_millis()})
        ),
    }
    Ok(exit_code(trouble))
}

/// A server's line of the text summary: its tenants per outcome.
fn server_counts(server: &str, report: &FleetReport) -> String {
    let mut line = format!(
        "server {server}: {} migrated, {} already current, {} failed",
        report.migrated().count(),
        report.current().count(),
        report.failed().count()
    );
    let not_started = report.not_started().count();
    if not_started > 0 {
        line.push_str(&format!(", {not_started} not started"));
    }
    if report.canary_failed {
        line.push_str(" (its canary failed: its other tenants were not started)");
    }
    line
}

/// `showmigrations` over every server at once: per server a `server NAME`
/// header and its tenants as without a directory (or one JSON array).
fn show(directory: &PgDirectory, args: &ShowArgs) -> Result<u8, Failure> {
    let named = args.targets.named(false)?;
    let migrations = load_dir(&args.dir.dir)?;
    let runs = directory
        .for_each_server(named.as_deref(), |pool, targets| {
            let mut conn = pool.get().map_err(Error::Pool)?;
            showmigrations::statuses(&mut conn, Some(targets), &migrations)
        })
        .map_err(directory_failure)?;
    let mut json = Vec::new();
    let mut missing = Vec::new();
    let mut trouble = false;
    for run in runs {
        note_elsewhere(directory, &run);
        match &run.result {
            Ok((statuses, gone)) => {
                missing.extend(gone.iter().cloned());
                match args.format.format {
                    Format::Text => {
                        say!("server {}", run.server);
                        print_text(statuses, args.unapplied);
                    }
                    Format::Json => json.push(serde_json::json!({
                        "server": run.server,
                        "tenants": statuses,
                    })),
                }
            }
            Err(e) => {
                trouble = true;
                match args.format.format {
                    Format::Text => say!("{}", server_failed(&run, e, "read")),
                    Format::Json => json.push(failed_json(&run, e)),
                }
            }
        }
    }
    if args.format.format == Format::Json {
        say!("{}", serde_json::Value::Array(json));
    }
    print_missing(&missing);
    Ok(exit_code(trouble || !missing.is_empty()))
}

/// `tenants list` over every server at once: each tenant with its server.
fn list_tenants(directory: &PgDirectory, format: Format) -> Result<u8, Failure> {
    let runs = directory
        .for_each_server(None, |_, tenants| Ok(tenants.to_vec()))
        .map_err(directory_failure)?;
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut trouble = false;
    for run in runs {
        note_elsewhere(directory, &run);
        match &run.result {
            Ok(tenants) => rows.extend(tenants.iter().map(|t| (t.clone(), run.server.clone()))),
            Err(e) => {
                trouble = true;
                esay!("{}", server_failed(&run, e, "listed"));
            }
        }
    }
    rows.sort();
    match format {
        Format::Text => {
            let width = rows
                .iter()
                .map(|(t, _)| t.chars().count())
                .max()
                .unwrap_or(0);
            for (tenant, server) in &rows {
                say!("{tenant:<width$}  {server}");
            }
        }
        Format::Json => say!(
            "{}",
            serde_json::Value::Array(
                rows.iter()
                    .map(|(t, s)| serde_json::json!({"schema": t, "server": s}))
                    .collect()
            )
        ),
    }
    Ok(exit_code(trouble))
}

/// A directory error (file unreadable or invalid, a tenant it does not map)
/// as a usage error: its message says what to change.
fn directory_failure(e: DirectoryError) -> Failure {
    Failure::usage(chain(&e))
}

/// `UNREACHABLE` for a server that gave no connection, `FAILED` for one
/// whose catalog query failed.
fn trouble_word(e: &Error) -> &'static str {
    if matches!(e, Error::Pool(_)) {
        "UNREACHABLE"
    } else {
        "FAILED"
    }
}

/// The line of a server that gave nothing: `server NAME: UNREACHABLE
/// (error): its tenants were not VERB: a, b` (the tenants `[tenants]` or the
/// command line name for it; those a rule places there are not known).
fn server_failed<T>(run: &ServerRun<T>, e: &Error, verb: &str) -> String {
    let mut line = format!(
        "server {}: {} ({}): its tenants were not {verb}",
        run.server,
        trouble_word(e),
        chain(e)
    );
    if !run.expected.is_empty() {
        line.push_str(": ");
        line.push_str(&run.expected.join(", "));
    }
    line
}

/// A server that gave nothing, in JSON: its name, the error, the tenants
/// not reached.
fn failed_json<T>(run: &ServerRun<T>, e: &Error) -> serde_json::Value {
    serde_json::json!({
        "server": run.server,
        "error": chain(e),
        "unreached": run.expected,
    })
}

/// On stderr: the tenant schemas a server holds that the directory places
/// elsewhere (a copy left by a move) or nowhere, which were left alone.
fn note_elsewhere<T>(directory: &PgDirectory, run: &ServerRun<T>) {
    if run.elsewhere.is_empty() {
        return;
    }
    let named: Vec<String> = run
        .elsewhere
        .iter()
        .map(|t| match directory.server_of(t) {
            Ok(server) => format!("{t} (placed on {})", server.name()),
            Err(_) => format!("{t} (in no entry)"),
        })
        .collect();
    esay!(
        "note: server {} also holds tenant schemas the directory places elsewhere, left alone: {}",
        run.server,
        named.join(", ")
    );
}

/// The exit code of a run over the directory: 1 when something failed.
fn exit_code(trouble: bool) -> u8 {
    if trouble {
        TENANT_FAILED
    } else {
        SUCCESS
    }
}
