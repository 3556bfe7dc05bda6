//! The timed child processes: the `ryx` binary's `migrate --all-schemas`
//! and a `psql -f` script.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Res;

/// The `ryx` binary: `RYX_BENCH_RYX` if set (a copy taken right after the
/// build, so a build of another checkout sharing the target directory cannot
/// swap it mid-run), else the one built with this bench
/// (`required-features = ["cli"]`).
pub(crate) fn ryx_bin() -> String {
    std::env::var("RYX_BENCH_RYX").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ryx").to_owned())
}

/// Runs `cmd`, its stdout discarded; an error with its stderr on failure.
fn run_timed(cmd: &mut Command) -> Res<Duration> {
    let t = Instant::now();
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    let took = t.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(took)
}

pub(crate) fn ryx_migrate(url: &str, dir: &Path, jobs: usize) -> Res<Duration> {
    run_timed(
        Command::new(ryx_bin())
            .arg("--url")
            .arg(url)
            .args(["migrate", "--all-schemas", "--jobs"])
            .arg(jobs.to_string())
            .arg("--dir")
            .arg(dir),
    )
}

pub(crate) fn psql_script(psql: &str, url: &str, script: &Path) -> Res<Duration> {
    run_timed(
        Command::new(psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(url)
            .arg("-f")
            .arg(script),
    )
}
