//! A private PostgreSQL cluster for one test: `initdb` into its own temp
//! directory, started with `pg_ctl` on a free loopback port, stopped and
//! removed on drop. The tests of tenants spread over several servers use it
//! as the second server beside the local one.
//!
//! PostgreSQL's server binaries are required, not optional: Debian's
//! `postgresql` package has them under `/usr/lib/postgresql/<version>/bin`
//! (`RYX_TEST_PG_BINDIR` overrides); without them the fixture panics with
//! the hint. initdb refuses root, so under root the cluster runs as the
//! `postgres` OS user.
//!
//! ```ignore
//! let second = PgCluster::start();
//! let url = second.url(); // postgres://postgres@127.0.0.1:PORT/postgres
//! second.stop();          // a server that goes down mid-run
//! ```

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const HINT: &str = "these tests start a private PostgreSQL cluster: install the \
     server (`apt-get install postgresql`, which .ci/run's machine has) or set \
     RYX_TEST_PG_BINDIR to the folder holding initdb and pg_ctl";

/// Fresh ports tried when another process takes the chosen one first.
const PORT_ATTEMPTS: usize = 5;

/// Options for [`PgCluster`]; [`PgCluster::start`] covers the common case.
#[derive(Debug, Clone, Default)]
pub struct PgClusterBuilder {
    logical: bool,
}

impl PgClusterBuilder {
    /// `wal_level = logical`, for publications and subscriptions.
    pub fn wal_level_logical(mut self) -> Self {
        self.logical = true;
        self
    }

    pub fn start(self) -> PgCluster {
        let bindir = bindir();
        let run_as = run_as();
        let dir = std::env::temp_dir().join(super::unique("ryx_cluster"));
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown {} to postgres: {e}", dir.display()));
        }
        let mut cluster = PgCluster {
            bindir,
            run_as,
            dir,
            port: 0,
            logical: self.logical,
            running: false,
        };
        let mut init = cluster.command("initdb");
        init.args([
            "-D",
            &cluster.data().display().to_string(),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ]);
        let out = init
            .output()
            .unwrap_or_else(|e| panic!("run initdb: {e}\n{HINT}"));
        check(&out, "initdb");
        let mut attempts = Vec::new();
        for _ in 0..PORT_ATTEMPTS {
            cluster.port = free_port();
            match cluster.try_start() {
                Ok(()) => return cluster,
                Err(log) => attempts.push(format!("port {}: {log}", cluster.port)),
            }
        }
        panic!(
            "the private PostgreSQL cluster did not start in {PORT_ATTEMPTS} attempts:\n{}",
            attempts.join("\n")
        );
    }
}

/// A running private cluster; dropped, it stops and its files are removed.
#[derive(Debug)]
pub struct PgCluster {
    bindir: PathBuf,
    run_as: Option<(u32, u32)>,
    dir: PathBuf,
    port: u16,
    logical: bool,
    running: bool,
}

impl PgCluster {
    pub fn builder() -> PgClusterBuilder {
        PgClusterBuilder::default()
    }

    pub fn start() -> PgCluster {
        PgClusterBuilder::default().start()
    }

    /// Its `postgres` database, as the `postgres` user (trust).
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server at once (`-m immediate`): clients see it go down.
    pub fn stop(&mut self) {
        if self.running {
            let out = self
                .command("pg_ctl")
                .args([
                    "-D",
                    &self.data().display().to_string(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ])
                .output()
                .unwrap_or_else(|e| panic!("run pg_ctl stop: {e}"));
            check(&out, "pg_ctl stop");
            self.running = false;
        }
    }

    /// Starts it again after [`stop`](Self::stop), on the same port.
    pub fn restart(&mut self) {
        if let Err(log) = self.try_start() {
            panic!("the private PostgreSQL cluster did not start again: {log}");
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bindir.join(program));
        command.current_dir(&self.dir).stdin(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }

    fn try_start(&mut self) -> Result<(), String> {
        let log = self.dir.join("server.log");
        let _ = fs::remove_file(&log);
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c full_page_writes=off -c max_connections=100",
            self.port,
            self.dir.display()
        );
        if self.logical {
            options.push_str(
                " -c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10",
            );
        }
        let out = self
            .command("pg_ctl")
            .args([
                "-D",
                &self.data().display().to_string(),
                "-o",
                &options,
                "-l",
                &log.display().to_string(),
                "-w",
                "-t",
                "30",
                "start",
            ])
            .output()
            .map_err(|e| format!("run pg_ctl start: {e}\n{HINT}"))?;
        if out.status.success() {
            self.running = true;
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                fs::read_to_string(&log).unwrap_or_default()
            ))
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .command("pg_ctl")
                .args([
                    "-D",
                    &self.data().display().to_string(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}\n{HINT}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `RYX_TEST_PG_BINDIR`, else the newest `/usr/lib/postgresql/*/bin` holding initdb.
fn bindir() -> PathBuf {
    if let Ok(dir) = std::env::var("RYX_TEST_PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .unwrap_or_else(|| panic!("no initdb under /usr/lib/postgresql/*/bin\n{HINT}"))
}

/// Under root: the `postgres` OS user's ids (initdb refuses root).
fn run_as() -> Option<(u32, u32)> {
    let me = fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if me != Some(0) {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let found = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next() == Some("postgres")).then_some(())?;
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    });
    Some(found.unwrap_or_else(|| {
        panic!("initdb refuses to run as root and there is no `postgres` OS user\n{HINT}")
    }))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("find a free port: {e}"))
}
