//! What a fleet run prints: a line per tenant, the text summary (with how
//! to retry what failed or was not started), and the JSON summary.

use std::path::Path;

use super::super::output::{chain, say};
use crate::error::Error;
use crate::fleet::{FleetReport, Outcome, TenantResult};

/// One tenant's line of a text run.
pub(in crate::cli) fn describe(result: &TenantResult) -> String {
    match &result.outcome {
        Outcome::Migrated(report) => format!(
            "{}: migrated ({} applied) in {:.1?}",
            result.schema,
            report.applied.len(),
            result.duration
        ),
        Outcome::Current => format!("{}: already current", result.schema),
        Outcome::Failed(e) => match e.report().filter(|r| !r.applied.is_empty()) {
            Some(r) => format!(
                "{}: FAILED after applying {}: {}",
                result.schema,
                r.applied
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                chain(e)
            ),
            None => format!("{}: FAILED: {}", result.schema, chain(e)),
        },
        Outcome::NotStarted => format!(
            "{}: not started (after a failure with --fail-fast or of a --canary, or once the database refused a connection)",
            result.schema
        ),
    }
}

/// The text summary: a table of outcomes, the time, each failure's error.
pub(super) fn print_summary(report: &FleetReport) {
    print_totals(report, 0);
}

/// [`print_summary`], with a row for the tenants of servers that could not
/// be reached (a run over a tenant directory), when there are any.
pub(in crate::cli) fn print_totals(report: &FleetReport, unreached: usize) {
    say!();
    say!("{:<16} {:>8}", "outcome", "tenants");
    say!("{:<16} {:>8}", "migrated", report.migrated().count());
    say!("{:<16} {:>8}", "already current", report.current().count());
    say!("{:<16} {:>8}", "failed", report.failed().count());
    let not_started = report.not_started().count();
    if not_started > 0 {
        say!("{:<16} {:>8}", "not started", not_started);
    }
    if unreached > 0 {
        say!("{:<16} {:>8}", "unreached", unreached);
    }
    say!("in {:.1?}", report.duration);
    for f in report.failed() {
        if let Outcome::Failed(e) = &f.outcome {
            say!("failed: {}: {}", f.schema, chain(e));
        }
    }
}

/// After a text summary with failed or not started tenants: how to retry
/// them, and where the report is.
pub(super) fn print_next_steps(report: &FleetReport, path: &Path) {
    let failed = report.failed().count();
    let not_started = report.not_started().count();
    let mut steps = Vec::new();
    if failed > 0 {
        steps.push("`ryx migrate --only-failed` retries the failed tenants");
    }
    if not_started > 0 {
        steps.push("`ryx migrate --resume` starts the ones not started");
    }
    if !steps.is_empty() {
        say!(
            "next: {} (same --url and --dir); run report: {}",
            steps.join(", "),
            path.display()
        );
    }
}

/// The JSON summary: tenants per outcome, with what was applied and the errors.
pub(in crate::cli) fn summary_json(report: &FleetReport) -> serde_json::Value {
    let applied_names = |e: &Error| -> Vec<String> {
        e.report()
            .map(|r| r.applied.iter().map(|a| a.name.clone()).collect())
            .unwrap_or_default()
    };
    serde_json::json!({
        "migrated": report.migrated().map(|t| {
            let applied: Vec<String> = match &t.outcome {
                Outcome::Migrated(r) => r.applied.iter().map(|a| a.name.clone()).collect(),
                _ => Vec::new(),
            };
            serde_json::json!({"schema": t.schema, "applied": applied, "ms": t.duration.as_millis()})
        }).collect::<Vec<_>>(),
        "current": report.current().map(|t| t.schema.clone()).collect::<Vec<_>>(),
        "failed": report.failed().map(|t| {
            let (error, applied) = match &t.outcome {
                Outcome::Failed(e) => (chain(e), applied_names(e)),
                _ => (String::new(), Vec::new()),
            };
            serde_json::json!({"schema": t.schema, "error": error, "applied": applied})
        }).collect::<Vec<_>>(),
        "not_started": report.not_started().map(|t| t.schema.clone()).collect::<Vec<_>>(),
        "ms": report.duration.as_millis(),
    })
}
