//! Statement counting: a diesel `Instrumentation` that records each
//! `StartQuery` while an instrumented call runs, and the matchers for the
//! fleet's catalog and `UNION ALL` queries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use diesel::connection::{Instrumentation, InstrumentationEvent};

use crate::Res;

/// Whether [`Counter`]s record; only while an instrumented call runs.
static RECORDING: AtomicBool = AtomicBool::new(false);
/// The statements seen while recording (first line, shortened).
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// diesel's default instrumentation for every connection this process
/// opens (ryx's pool forwards to it): records each `StartQuery`.
struct Counter;

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if !RECORDING.load(Ordering::SeqCst) {
            return;
        }
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let first = text.split(" -- binds").next().unwrap_or("");
            let short: String = first.split_whitespace().collect::<Vec<_>>().join(" ");
            let short = match short.char_indices().nth(90) {
                Some((i, _)) => format!("{}..", &short[..i]),
                None => short,
            };
            if let Ok(mut seen) = SEEN.lock() {
                seen.push(short);
            }
        }
    }
}

pub(crate) fn make_counter() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(Counter))
}

/// A `history_names` chunk, as [`Counter`] shortens it.
pub(crate) fn is_union(short: &str) -> bool {
    short.starts_with("SELECT $1::text AS schema")
}

/// A catalog query listing the tenants (`tenant_schemas`, or
/// `tenant_digests` with each history's digest), as [`Counter`] shortens it.
pub(crate) fn is_catalog(short: &str) -> bool {
    short.starts_with("SELECT n.nspname::text AS name")
}

/// Runs `f` recording its statements; returns its value and them.
pub(crate) fn recorded<T>(f: impl FnOnce() -> Res<T>) -> Res<(T, Vec<String>)> {
    if let Ok(mut seen) = SEEN.lock() {
        seen.clear();
    }
    RECORDING.store(true, Ordering::SeqCst);
    let value = f();
    RECORDING.store(false, Ordering::SeqCst);
    let seen = SEEN
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    Ok((value?, seen))
}
