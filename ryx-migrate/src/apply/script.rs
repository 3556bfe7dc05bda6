//! What a dry run shows: each step's statements inside the transaction and
//! lock a run sends around them.

use super::{search_path_value, Step};
use crate::backend::MigrationBackend;
use crate::report::Planned;

/// The statements a step sends on its own, as a dry run shows them: its
/// statements inside the transaction and lock [`MigrationBackend::locked`]
/// sends around them.
pub(crate) fn planned<DB: MigrationBackend>(
    schema: &str,
    shared: &[String],
    step: &Step,
) -> Planned {
    let (mut before, after) = DB::locked_script(schema, step.run_in_transaction);
    if !step.run_in_transaction {
        before.insert(
            0,
            "-- run_in_transaction = false: runs outside a transaction".to_owned(),
        );
    }
    Planned {
        before,
        after,
        ..statements::<DB>(schema, shared, step)
    }
}

/// The steps of a run, as a dry run shows them: each in its own locked
/// transaction, or, with `one_transaction` (the model runner, an atomic file
/// run), all in one, opened by the first step's `before` and ended by the
/// last one's `after`. An atomic run with a `run_in_transaction = false`
/// step (which the run refuses) is shown step by step.
pub(crate) fn planned_run<'s, DB: MigrationBackend>(
    schema: &str,
    shared: &[String],
    steps: impl IntoIterator<Item = &'s Step>,
    one_transaction: bool,
) -> Vec<Planned> {
    let steps: Vec<&Step> = steps.into_iter().collect();
    if !one_transaction || steps.iter().any(|s| !s.run_in_transaction) {
        return steps
            .into_iter()
            .map(|s| planned::<DB>(schema, shared, s))
            .collect();
    }
    let mut out: Vec<Planned> = steps
        .into_iter()
        .map(|s| statements::<DB>(schema, shared, s))
        .collect();
    let (before, after) = DB::locked_script(schema, true);
    if let Some(first) = out.first_mut() {
        first.before = before;
    }
    if let Some(last) = out.last_mut() {
        last.after = after;
    }
    out
}

/// A step's own statements, scoped to `schema`, without transaction or lock.
fn statements<DB: MigrationBackend>(schema: &str, shared: &[String], step: &Step) -> Planned {
    let mut sql = Vec::with_capacity(step.up.len() + 2);
    let scoped = step.scoped && DB::KIND.has_schemas();
    let path = search_path_value(DB::KIND, schema, shared);
    if scoped && step.run_in_transaction {
        sql.push(format!("SET LOCAL search_path TO {path}"));
    } else if scoped {
        sql.push(format!("SET search_path TO {path}"));
    }
    sql.extend(step.up.iter().cloned());
    if scoped && !step.run_in_transaction {
        sql.push("-- then the session's previous search_path is restored".to_owned());
    }
    Planned {
        name: step.name.clone(),
        sql,
        before: Vec::new(),
        after: Vec::new(),
    }
}
