//! A private PgBouncer for one test: its own temp directory, config and free
//! port, in front of the local test server, stopped and removed on drop.
//!
//! PgBouncer is required, not optional: if its binary is missing the fixture
//! panics with the install hint (`apt-get install pgbouncer`); tests never skip.
//! PgBouncer refuses to run as root, so under root it runs as the `postgres` OS
//! user (its temp directory is chowned to that user).
//!
//! ```ignore
//! let bouncer = PgBouncer::start(3); // transaction pooling, 3 server connections
//! let pool = Pool::builder().build(ConnectionManager::<PgConnection>::new(bouncer.url()))?;
//! ```

use std::fmt::Write as _;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;

/// Where Debian's `pgbouncer` package installs the binary; `RYX_TEST_PGBOUNCER`
/// overrides it.
pub const DEFAULT_BINARY: &str = "/usr/sbin/pgbouncer";

const INSTALL_HINT: &str = "PgBouncer is required for this test: install it with \
     `apt-get install pgbouncer` (Debian/Ubuntu; .ci/run installs it), or set \
     RYX_TEST_PGBOUNCER to the pgbouncer binary";

/// How long PgBouncer gets to come up and accept a connection.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Fresh ports tried when another process takes the chosen one first.
const PORT_ATTEMPTS: usize = 5;

/// PgBouncer's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    Session,
    Transaction,
    Statement,
}

impl PoolMode {
    fn as_str(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
            PoolMode::Statement => "statement",
        }
    }
}

/// Options for [`PgBouncer`]; [`PgBouncer::start`] covers the common case.
#[derive(Debug, Clone)]
pub struct PgBouncerBuilder {
    pool_size: u32,
    pool_mode: PoolMode,
    max_client_conn: u32,
    connect_query: Option<String>,
}

impl PgBouncerBuilder {
    /// `default_pool_size`: server connections per database/user pair.
    pub fn pool_size(mut self, n: u32) -> Self {
        self.pool_size = n;
        self
    }

    /// `pool_mode` (default: transaction).
    pub fn pool_mode(mut self, mode: PoolMode) -> Self {
        self.pool_mode = mode;
        self
    }

    /// `max_client_conn` (default: 200).
    pub fn max_client_conn(mut self, n: u32) -> Self {
        self.max_client_conn = n;
        self
    }

    /// `connect_query` of the `test` database: SQL PgBouncer runs on each new
    /// server connection before any client uses it.
    pub fn connect_query(mut self, sql: impl Into<String>) -> Self {
        let sql = sql.into();
        assert!(
            !sql.contains('\n'),
            "connect_query must be one line: {sql:?}"
        );
        self.connect_query = Some(sql);
        self
    }

    /// Starts PgBouncer and waits (at most 10 s) until it accepts connections.
    /// Panics, with PgBouncer's log, if it does not.
    pub fn start(self) -> PgBouncer {
        let binary = binary();
        let upstream = Upstream::from_url(&super::pg_url());
        let run_as = run_as();
        let dir = std::env::temp_dir().join(super::unique_name("ryx_pgbouncer"));
        fs::create_dir(&dir)
            .unwrap_or_else(|e| panic!("create PgBouncer directory {}: {e}", dir.display()));
        // From here on, a panic drops `bouncer`, which removes the directory
        // (and stops PgBouncer once it runs).
        let mut bouncer = PgBouncer {
            child: None,
            dir,
            port: 0,
            user: upstream.user.clone(),
        };
        let files = Files::new(&bouncer.dir);
        write_file(
            &files.auth,
            &format!(
                "{} {}\n",
                auth_quote(&upstream.user),
                auth_quote(upstream.password.as_deref().unwrap_or(""))
            ),
        );
        if let Some((uid, gid)) = run_as {
            for path in [&bouncer.dir, &files.auth] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .unwrap_or_else(|e| panic!("chown {} to postgres: {e}", path.display()));
            }
        }

        let mut attempts = Vec::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            write_file(&files.ini, &self.ini(&upstream, &files, port));
            let _ = fs::remove_file(&files.log);
            let _ = fs::remove_file(&files.pid);
            let stderr = fs::File::create(&files.stderr)
                .unwrap_or_else(|e| panic!("create {}: {e}", files.stderr.display()));
            let mut command = Command::new(&binary);
            command
                .arg(&files.ini)
                .current_dir(&bouncer.dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr);
            if let Some((uid, gid)) = run_as {
                // std drops supplementary groups, then setgid + setuid in the child.
                command.uid(uid).gid(gid);
            }
            let child = command
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {}: {e}\n{INSTALL_HINT}", binary.display()));
            bouncer.child = Some(child);
            bouncer.port = port;
            match bouncer.wait_ready(&files) {
                Ok(()) => return bouncer,
                Err(Failure::PortTaken(log)) => {
                    bouncer.stop();
                    attempts.push(format!("port {port}: {log}"));
                }
                Err(Failure::Other(why)) => {
                    bouncer.stop();
                    panic!(
                        "PgBouncer ({}) did not start on 127.0.0.1:{port}, in front of \
                         {}:{}/{} (is PostgreSQL running there?): {why}\n\
                         config:\n{}\n{INSTALL_HINT}",
                        binary.display(),
                        upstream.host,
                        upstream.port,
                        upstream.dbname,
                        read(&files.ini),
                    );
                }
            }
        }
        panic!(
            "PgBouncer could not bind a port in {PORT_ATTEMPTS} attempts:\n{}",
            attempts.join("\n")
        );
    }

    fn ini(&self, upstream: &Upstream, files: &Files, port: u16) -> String {
        let mut ini = String::new();
        ini.push_str("[databases]\n");
        let _ = write!(
            ini,
            "test = host={} port={} dbname={}",
            upstream.host, upstream.port, upstream.dbname
        );
        if let Some(sql) = &self.connect_query {
            // a per-database setting; quotes inside are doubled
            let _ = write!(ini, " connect_query='{}'", sql.replace('\'', "''"));
        }
        ini.push('\n');
        ini.push_str("\n[pgbouncer]\n");
        let _ = writeln!(ini, "listen_addr = 127.0.0.1");
        let _ = writeln!(ini, "listen_port = {port}");
        // no unix socket: tests run in parallel, each with its own PgBouncer
        let _ = writeln!(ini, "unix_socket_dir =");
        // the test server trusts local connections; PgBouncer still needs
        // the user listed in auth_file (and a password there if the server wants one)
        let _ = writeln!(ini, "auth_type = trust");
        let _ = writeln!(ini, "auth_file = {}", files.auth.display());
        let _ = writeln!(ini, "pool_mode = {}", self.pool_mode.as_str());
        let _ = writeln!(ini, "default_pool_size = {}", self.pool_size);
        let _ = writeln!(ini, "min_pool_size = 0");
        let _ = writeln!(ini, "reserve_pool_size = 0");
        let _ = writeln!(ini, "max_client_conn = {}", self.max_client_conn);
        let _ = writeln!(ini, "logfile = {}", files.log.display());
        let _ = writeln!(ini, "pidfile = {}", files.pid.display());
        ini
    }
}

/// One running PgBouncer, listening on `127.0.0.1:<port>` with a database `test`
/// that points at the test server. Dropping it stops PgBouncer and removes its
/// temp directory.
#[derive(Debug)]
pub struct PgBouncer {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    user: String,
}

impl PgBouncer {
    /// Transaction pooling with `pool_size` server connections.
    pub fn start(pool_size: u32) -> PgBouncer {
        Self::builder().pool_size(pool_size).start()
    }

    pub fn builder() -> PgBouncerBuilder {
        PgBouncerBuilder {
            pool_size: 3,
            pool_mode: PoolMode::Transaction,
            max_client_conn: 200,
            connect_query: None,
        }
    }

    /// `postgres://postgres@127.0.0.1:<port>/test` (the user is the test server's).
    pub fn url(&self) -> String {
        format!("postgres://{}@127.0.0.1:{}/test", self.user, self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// PgBouncer's log so far.
    pub fn log(&self) -> String {
        read(&Files::new(&self.dir).log)
    }

    fn wait_ready(&mut self, files: &Files) -> Result<(), Failure> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let listening = format!("listening on 127.0.0.1:{}", self.port);
        let mut last_error = String::from("no connection attempted yet");
        loop {
            let child = self.child.as_mut().expect("PgBouncer child");
            if let Some(status) = child.try_wait().expect("poll PgBouncer") {
                let log = logs(files);
                return Err(if log.contains("Address already in use") {
                    Failure::PortTaken(log)
                } else {
                    Failure::Other(format!("it exited with {status}; its log:\n{log}"))
                });
            }
            // Only connect once *this* PgBouncer has bound the port, so a
            // process that took the port first is never mistaken for it.
            if read(&files.log).contains(&listening) {
                // libpq's connect_timeout bounds the whole login, which PgBouncer
                // holds open (client_login_timeout, 60 s) while the server is down
                let left = deadline.saturating_duration_since(Instant::now());
                let probe = format!("{}?connect_timeout={}", self.url(), left.as_secs().max(2));
                match PgConnection::establish(&probe) {
                    Ok(_) => return Ok(()),
                    Err(e) => last_error = e.to_string(),
                }
            }
            if Instant::now() >= deadline {
                return Err(Failure::Other(format!(
                    "no connection within {STARTUP_TIMEOUT:?} (last error: {last_error}); its log:\n{}",
                    logs(files)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM (PgBouncer's immediate shutdown), then SIGKILL after 5 s.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while let Ok(None) = child.try_wait() {
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = child.wait();
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

enum Failure {
    PortTaken(String),
    Other(String),
}

struct Files {
    ini: PathBuf,
    auth: PathBuf,
    log: PathBuf,
    pid: PathBuf,
    stderr: PathBuf,
}

impl Files {
    fn new(dir: &Path) -> Self {
        Files {
            ini: dir.join("pgbouncer.ini"),
            auth: dir.join("userlist.txt"),
            log: dir.join("pgbouncer.log"),
            pid: dir.join("pgbouncer.pid"),
            stderr: dir.join("stderr.log"),
        }
    }
}

/// The log file, and stderr when it says something the log file does not
/// (PgBouncer in the foreground writes both; errors before it opens its log
/// file, such as a bad config, reach stderr only).
fn logs(files: &Files) -> String {
    let log = read(&files.log);
    let stderr = read(&files.stderr);
    if stderr.trim().is_empty() || log.contains(stderr.trim()) {
        log
    } else if log.trim().is_empty() {
        stderr
    } else {
        format!("{log}\n(stderr)\n{stderr}")
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

fn write_file(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The binary, or a panic with the install hint.
fn binary() -> PathBuf {
    let path = PathBuf::from(
        std::env::var("RYX_TEST_PGBOUNCER").unwrap_or_else(|_| DEFAULT_BINARY.to_owned()),
    );
    if !path.is_file() {
        panic!("{} not found.\n{INSTALL_HINT}", path.display());
    }
    path
}

/// `Some((uid, gid))` of the `postgres` OS user when this process is root
/// (PgBouncer refuses to run as root); `None` to run as the current user.
fn run_as() -> Option<(u32, u32)> {
    let me = fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if me != Some(0) {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            (fields.next() == Some("postgres")).then_some(())?;
            let _password = fields.next()?;
            let uid = fields.next()?.parse().ok()?;
            let gid = fields.next()?.parse().ok()?;
            Some((uid, gid))
        })
        .or_else(|| {
            panic!(
                "PgBouncer refuses to run as root and there is no `postgres` OS user to run it as \
                 (the PostgreSQL server package creates one)"
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port on 127.0.0.1")
}

/// An auth_file string: double quotes, embedded ones doubled.
fn auth_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The server PgBouncer forwards to, from `RYX_TEST_POSTGRES_URL` (or the default
/// `postgres://postgres@127.0.0.1:5432/test`).
#[derive(Debug, Clone, PartialEq)]
struct Upstream {
    user: String,
    password: Option<String>,
    host: String,
    port: u16,
    dbname: String,
}

impl Upstream {
    fn from_url(url: &str) -> Self {
        let bad = |why: &str| -> ! {
            panic!(
                "the PgBouncer fixture needs a TCP URL like postgres://user[:password]@host[:port]/db, \
                 got {url:?}: {why}"
            )
        };
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .unwrap_or_else(|| bad("scheme is not postgres://"));
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, dbname) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((user, pw)) => (percent_decode(user), Some(percent_decode(pw))),
                None => (percent_decode(u), None),
            },
            None => ("postgres".to_owned(), None),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']').unwrap_or_else(|| bad("unclosed ["));
            (host.to_owned(), after.strip_prefix(':'))
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (hostport.to_owned(), None),
            }
        };
        if host.is_empty() {
            bad("no host (unix sockets are not supported)");
        }
        let port = match port {
            Some(p) => p.parse().unwrap_or_else(|_| bad("bad port")),
            None => 5432,
        };
        let dbname = percent_decode(dbname);
        let dbname = if dbname.is_empty() {
            user.clone()
        } else {
            dbname
        };
        if [&user, &host, &dbname]
            .iter()
            .any(|s| s.contains(char::is_whitespace) || s.contains('"') || s.contains('\''))
        {
            bad("user, host and database name must not contain spaces or quotes");
        }
        Upstream {
            user: if user.is_empty() {
                "postgres".to_owned()
            } else {
                user
            },
            password,
            host,
            port,
            dbname,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = &bytes[i + 1..i + 3];
            if let (true, Ok(b)) = (
                hex.iter().all(u8::is_ascii_hexdigit),
                u8::from_str_radix(std::str::from_utf8(hex).unwrap_or(""), 16),
            ) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
