//! The run report a `ryx migrate` over several tenants saves, and that
//! `--only-failed` and `--resume` read: where it lives, its JSON format
//! (version [`FORMAT`]), and its updates while the run goes on.
//!
//! The file is written when the run starts (every selected tenant
//! `not_started`), rewritten at most once a second as tenants finish, and
//! at the end (`completed: true`). A killed run leaves the last of these:
//! its `not_started` tenants are what `--resume` starts. Tenants finished
//! since the last write are still `not_started` there; the migration
//! history is the truth, so a resumed run finds them current and leaves
//! them alone. Each write goes to a temporary file renamed over the report,
//! so a reader never sees half a file.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::super::output::{chain, esay, Failure};
use crate::fleet::{FleetReport, Outcome, TenantResult};

/// The version of the file's format: its `format` key.
pub(super) const FORMAT: u32 = 1;

/// How often, at most, the file is rewritten while tenants finish.
const EVERY: Duration = Duration::from_secs(1);

/// What a tenant's last run did, as the file spells it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum Saved {
    Migrated,
    Current,
    Failed,
    NotStarted,
}

/// One tenant in the file.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) schema: String,
    pub(super) outcome: Saved,
    /// The migrations applied (also those a failed tenant applied before
    /// failing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) applied: Vec<String>,
    /// A failed tenant's error, on one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
}

/// The file: a run's (or, after `--only-failed` / `--resume`, the runs')
/// outcome per tenant.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub(super) struct RunReport {
    /// [`FORMAT`].
    pub(super) format: u32,
    /// The database URL, its password replaced by `***`.
    pub(super) url: String,
    /// The migrations folder, as an absolute path.
    pub(super) dir: String,
    /// What the last run worked on: `schemas`, `all-schemas`,
    /// `only-failed`, `resume` or `only-failed+resume`.
    pub(super) selection: String,
    /// When the last run started and ended (RFC 3339, UTC); no end while it
    /// runs or once it was killed.
    pub(super) started_at: String,
    pub(super) finished_at: Option<String>,
    /// Whether the last run got to its end (failed tenants or not).
    pub(super) completed: bool,
    pub(super) tenants: Vec<Entry>,
}

/// Just enough of a file to know it is a run report, of which format.
#[derive(Deserialize)]
struct Probe {
    format: u32,
    #[allow(dead_code)]
    tenants: Vec<serde_json::Value>,
}

/// The run a report belongs to: the URL (password redacted) and the
/// migrations folder (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Identity {
    pub(super) url: String,
    pub(super) dir: String,
}

impl Identity {
    pub(super) fn new(url: &str, dir: &Path) -> Self {
        let dir = std::fs::canonicalize(dir)
            .or_else(|_| std::path::absolute(dir))
            .unwrap_or_else(|_| dir.to_path_buf());
        Identity {
            url: ryx_pool::redact_url(url.trim()),
            dir: dir.to_string_lossy().into_owned(),
        }
    }
}

/// Where the report is, and whether the user said so (`--report-file` or
/// `RYX_REPORT_FILE`) or it is the default.
#[derive(Debug, Clone)]
pub(super) struct Location {
    pub(super) path: PathBuf,
    explicit: bool,
}

impl Location {
    /// `explicit`, or the default for `id`:
    /// `$XDG_STATE_HOME/ryx/runs/<key>.json` (`XDG_STATE_HOME` defaulting
    /// to `~/.local/state`), the key a hash of the URL and the folder, so
    /// that runs against other databases or folders keep their own. `None`
    /// with neither variable set.
    pub(super) fn new(explicit: Option<&Path>, id: &Identity) -> Option<Location> {
        if let Some(path) = explicit {
            return Some(Location {
                path: path.to_path_buf(),
                explicit: true,
            });
        }
        let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
        let state = std::env::var_os("XDG_STATE_HOME")
            .and_then(absolute)
            .or_else(|| {
                std::env::var_os("HOME")
                    .and_then(absolute)
                    .map(|home| home.join(".local").join("state"))
            })?;
        let digest = Sha256::digest(format!("{}\n{}", id.url, id.dir).as_bytes());
        let key = crate::checksum::hex(&digest[..8]);
        Some(Location {
            path: state.join("ryx").join("runs").join(format!("{key}.json")),
            explicit: false,
        })
    }
}

/// The error for `--only-failed` / `--resume` without a report to read.
pub(super) fn no_location() -> Failure {
    Failure::usage(
        "--only-failed and --resume read the saved run report, but there is no --report-file, \
         RYX_REPORT_FILE, XDG_STATE_HOME or HOME to find it: pass --report-file PATH",
    )
}

/// The saved report at `at`, checked to be of a run against `id`.
pub(super) fn load(at: &Location, id: &Identity) -> Result<RunReport, Failure> {
    let path = at.path.display();
    let text = match std::fs::read_to_string(&at.path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::usage(format!(
                "no saved run report at {path}: --only-failed and --resume need one, saved by an earlier \
                 `ryx migrate` over several tenants with the same --url and --dir (or pass --report-file)"
            )))
        }
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read the run report {path}: {e}"
            )))
        }
    };
    let not_a_report = |e: serde_json::Error| {
        Failure::usage(format!(
            "{path} is not a ryx run report ({e}): pass another --report-file, or name the tenants with --schema or --all-schemas"
        ))
    };
    let probe: Probe = serde_json::from_str(&text).map_err(not_a_report)?;
    if probe.format != FORMAT {
        return Err(Failure::usage(format!(
            "the run report {path} has format {}, this ryx reads format {FORMAT}: name the tenants with --schema or --all-schemas",
            probe.format
        )));
    }
    let report: RunReport = serde_json::from_str(&text).map_err(not_a_report)?;
    if report.url != id.url || report.dir != id.dir {
        return Err(Failure::usage(format!(
            "the run report {path} is of a run against {} with --dir {}, not {} with --dir {}: \
             pass that run's --url and --dir, another --report-file, or name the tenants with --schema or --all-schemas",
            report.url, report.dir, id.url, id.dir
        )));
    }
    Ok(report)
}

impl RunReport {
    /// The tenants whose last outcome is failed (`failed`) or not started
    /// (`not_started`), in the report's order.
    pub(super) fn select(&self, failed: bool, not_started: bool) -> Vec<String> {
        self.tenants
            .iter()
            .filter(|t| {
                (failed && t.outcome == Saved::Failed)
                    || (not_started && t.outcome == Saved::NotStarted)
            })
            .map(|t| t.schema.clone())
            .collect()
    }

    /// How many tenants have `outcome`.
    pub(super) fn count(&self, outcome: Saved) -> usize {
        self.tenants.iter().filter(|t| t.outcome == outcome).count()
    }

    /// Forgets `schema` (a tenant dropped since).
    pub(super) fn forget(&mut self, schema: &str) {
        self.tenants.retain(|t| t.schema != schema);
    }
}

/// The name of a run's selection in the file.
pub(super) fn selection(only_failed: bool, resume: bool, all_schemas: bool) -> &'static str {
    match (only_failed, resume) {
        (true, true) => "only-failed+resume",
        (true, false) => "only-failed",
        (false, true) => "resume",
        (false, false) if all_schemas => "all-schemas",
        (false, false) => "schemas",
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A tenant's result as the file keeps it.
fn entry(t: &TenantResult) -> Entry {
    let names = |r: &crate::report::Report| r.applied.iter().map(|a| a.name.clone()).collect();
    let (outcome, applied, error) = match &t.outcome {
        Outcome::Migrated(r) => (Saved::Migrated, names(r), None),
        Outcome::Current => (Saved::Current, Vec::new(), None),
        Outcome::Failed(e) => (
            Saved::Failed,
            e.report().map(names).unwrap_or_default(),
            Some(chain(e)),
        ),
        Outcome::NotStarted => (Saved::NotStarted, Vec::new(), None),
    };
    Entry {
        schema: t.schema.clone(),
        outcome,
        applied,
        error,
    }
}

/// Replaces the file at `path` by `report`: written to a temporary file
/// beside it (a name of this process's own), then renamed over it.
fn write_atomically(path: &Path, report: &RunReport) -> std::io::Result<()> {
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // a temporary file beside it (removed if anything fails), then a rename
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(&json)?;
    file.as_file().sync_all()?;
    file.persist(path).map(|_| ()).map_err(|e| e.error)
}

/// Refuses to replace anything but a run report (any format): a path
/// given by mistake never loses a user's file.
fn check_replaceable(path: &Path) -> Result<(), String> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot use {} as the run report: {e}", path.display())),
        Ok(text) if serde_json::from_str::<Probe>(&text).is_ok() => Ok(()),
        Ok(_) => Err(format!(
            "{} exists and is not a ryx run report: refusing to replace it; pass another --report-file",
            path.display()
        )),
    }
}

/// The report of the run going on, kept in step with the file.
#[derive(Debug)]
pub(super) struct Journal {
    path: PathBuf,
    live: Mutex<Live>,
    warned: AtomicBool,
}

#[derive(Debug)]
struct Live {
    report: RunReport,
    index: HashMap<String, usize>,
    written: Instant,
}

impl Journal {
    /// Starts the run's report and writes it: `base` (the report
    /// `--only-failed` / `--resume` read, merged into) or a new one, with
    /// every tenant of `schemas` not started. A file that cannot be
    /// written is a usage error when the path was given (nothing has run
    /// yet); for the default path it is a note, and the run goes on
    /// without a report.
    pub(super) fn start(
        at: &Location,
        id: &Identity,
        base: Option<RunReport>,
        selection: &str,
        schemas: &[String],
    ) -> Result<Option<Journal>, Failure> {
        let mut report = base.unwrap_or_else(|| RunReport {
            format: FORMAT,
            url: id.url.clone(),
            dir: id.dir.clone(),
            selection: String::new(),
            started_at: String::new(),
            finished_at: None,
            completed: false,
            tenants: Vec::new(),
        });
        report.selection = selection.to_owned();
        report.started_at = now();
        report.finished_at = None;
        report.completed = false;
        let mut index: HashMap<String, usize> = report
            .tenants
            .iter()
            .enumerate()
            .map(|(i, t)| (t.schema.clone(), i))
            .collect();
        for s in schemas {
            let fresh = Entry {
                schema: s.clone(),
                outcome: Saved::NotStarted,
                applied: Vec::new(),
                error: None,
            };
            put(&mut report.tenants, &mut index, fresh);
        }
        let written = check_replaceable(&at.path).and_then(|()| {
            write_atomically(&at.path, &report)
                .map_err(|e| format!("cannot write the run report {}: {e}", at.path.display()))
        });
        if let Err(e) = written {
            if at.explicit {
                return Err(Failure::usage(format!("{e}; nothing was migrated")));
            }
            esay!(
                "note: {e}; the run goes on without one (pass --report-file PATH to choose where)"
            );
            return Ok(None);
        }
        Ok(Some(Journal {
            path: at.path.clone(),
            live: Mutex::new(Live {
                report,
                index,
                written: Instant::now(),
            }),
            warned: AtomicBool::new(false),
        }))
    }

    /// Where the report is.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Records a finished tenant; writes the file if the last write is
    /// [`EVERY`] old.
    pub(super) fn record(&self, result: &TenantResult) {
        let Ok(mut live) = self.live.lock() else {
            return;
        };
        live.set(result);
        if live.written.elapsed() >= EVERY {
            live.written = Instant::now();
            self.write(&live.report);
        }
    }

    /// Records the whole run, ended, and writes the file.
    pub(super) fn finish(&self, report: &FleetReport) {
        let Ok(mut live) = self.live.lock() else {
            return;
        };
        for t in &report.tenants {
            live.set(t);
        }
        live.report.finished_at = Some(now());
        live.report.completed = true;
        self.write(&live.report);
    }

    /// Writes the file; a failure is a note, once (the run goes on).
    fn write(&self, report: &RunReport) {
        if let Err(e) = write_atomically(&self.path, report) {
            if !self.warned.swap(true, Ordering::SeqCst) {
                esay!(
                    "note: cannot update the run report {}: {e}",
                    self.path.display()
                );
            }
        }
    }
}

impl Live {
    fn set(&mut self, result: &TenantResult) {
        put(&mut self.report.tenants, &mut self.index, entry(result));
    }
}

/// Replaces the entry of `e`'s tenant (`index` says where it is), or adds
/// it at the end.
fn put(tenants: &mut Vec<Entry>, index: &mut HashMap<String, usize>, e: Entry) {
    match index.get(&e.schema).and_then(|&i| tenants.get_mut(i)) {
        Some(slot) => *slot = e,
        None => {
            index.insert(e.schema.clone(), tenants.len());
            tenants.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ryx_journal_{}_{name}", std::process::id()))
    }

    fn id() -> Identity {
        Identity {
            url: "postgres://app:***@db/x".into(),
            dir: "/srv/migrations".into(),
        }
    }

    #[test]
    fn the_url_is_saved_without_its_password() {
        let id = Identity::new("postgres://app:s3cret@db/x", Path::new("/no/such/dir"));
        assert_eq!(id.url, "postgres://app:***@db/x");
        assert_eq!(id.dir, "/no/such/dir");
    }

    #[test]
    fn a_report_round_trips_and_selects_by_outcome() -> Result<(), String> {
        let at = Location {
            path: temp("round_trip.json"),
            explicit: true,
        };
        let schemas = ["a", "b", "c"].map(String::from);
        let journal = Journal::start(&at, &id(), None, "schemas", &schemas)
            .map_err(|f| f.message)?
            .ok_or("no journal")?;
        let saved = load(&at, &id()).map_err(|f| f.message)?;
        assert_eq!(saved.select(false, true), schemas);
        assert!(!saved.completed);
        journal.finish(&FleetReport {
            tenants: vec![
                TenantResult {
                    schema: "a".into(),
                    outcome: Outcome::Current,
                    duration: Duration::ZERO,
                },
                TenantResult {
                    schema: "b".into(),
                    outcome: Outcome::Failed(crate::Error::InvalidSchemaName(
                        ryx_dsl::SchemaNameError::Empty,
                    )),
                    duration: Duration::ZERO,
                },
            ],
            ..FleetReport::default()
        });
        let saved = load(&at, &id()).map_err(|f| f.message)?;
        assert!(saved.completed && saved.finished_at.is_some());
        assert_eq!(saved.select(true, false), ["b"]);
        assert_eq!(saved.select(false, true), ["c"]);
        assert_eq!(saved.select(true, true), ["b", "c"]);
        assert!(saved.tenants[1].error.is_some());
        let other = Identity {
            dir: "/elsewhere".into(),
            ..id()
        };
        let e = load(&at, &other)
            .err()
            .map(|f| f.message)
            .unwrap_or_default();
        assert!(e.contains("is of a run against"), "{e}");
        let _ = std::fs::remove_file(&at.path);
        Ok(())
    }

    #[test]
    fn a_file_that_is_not_a_report_is_never_replaced() {
        let path = temp("user_file.txt");
        let _ = std::fs::write(&path, "precious");
        let at = Location {
            path: path.clone(),
            explicit: true,
        };
        let e = Journal::start(&at, &id(), None, "schemas", &["a".into()]).err();
        assert!(
            matches!(&e, Some(f) if f.message.contains("is not a ryx run report")),
            "{e:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("precious")
        );
        let _ = std::fs::remove_file(&path);
    }
}
