//! The `ryx` command line, as a library: `Cli::new().model::<posts::table>().run()`.
//!
//! The `ryx` binary is `Cli::new().run()`. Python's `--models myapp.models`
//! cannot load Rust types at run time; the Rust answer is a five-line binary in
//! your own crate that registers your models and so also offers what needs
//! them (`migrate --from-models`, `makemigrations`):
//!
//! ```text
//! // src/bin/ryx.rs in your crate (a complete one: examples/ryx_cli.rs)
//! fn main() -> std::process::ExitCode {
//!     ryx::migrate::cli::Cli::new()
//!         .model::<myapp::schema::authors::table>()
//!         .model::<myapp::schema::posts::table>()
//!         .run()
//! }
//! ```
//!
//! Exit codes: 0 all good; 1 some tenant failed; 2 usage, connection or
//! configuration error. Errors are one line on stderr, never a panic.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use ryx_pool::{ConnectionManager, ManagedConnection, PoolBackend};

use crate::apply::MigrationConnection;
use crate::backend::Backend;
use crate::conn::MigrationBackend;
use crate::error::Error;
use crate::files::FileRunner;
use crate::fleet::{self, FleetOptions, Outcome, TenantResult, DEFAULT_TENANT};
use crate::metadata::{RyxTable, TableState};
use crate::models::MigrationRunner;
use crate::source::{load_dir, MigrationFile};

/// `println!` that never panics: a closed pipe (`ryx .. | head`) only stops
/// the output, not the work (migrations in flight finish and are recorded).
macro_rules! say {
    () => { say!("") };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that never panics.
macro_rules! esay {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `print!` that never panics (see `say!`).
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// The `ryx` command line, with the models of the crate that builds it.
#[derive(Debug, Clone, Default)]
pub struct Cli {
    models: Vec<TableState>,
}

#[derive(Parser, Debug)]
#[command(
    name = "ryx",
    version,
    about = "Schema-per-tenant migrations for diesel: migrate, inspect and roll back many tenant schemas",
    after_help = "Exit codes: 0 all good, 1 some tenant failed, 2 usage, connection or configuration error.\n\
                  URLs: postgres://user@host/db, mysql://user@host/db, sqlite://PATH or a plain file path.\n\
                  On SQLite and MySQL there are no schemas: --schema is accepted and ignored."
)]
struct Opts {
    /// Database URL (postgres://.., mysql://.., sqlite://PATH or a file path).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    url: Option<String>,
    /// The URL is a transaction pooler (PgBouncer with pool_mode = transaction
    /// or statement): name no prepared statement, rely on no session state,
    /// and refuse `run_in_transaction = false` migrations.
    #[arg(long, global = true)]
    transaction_pooler: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply pending migrations to one or more tenant schemas, in parallel.
    Migrate(MigrateArgs),
    /// List each migration as `[X] name` (applied) or `[ ] name` (pending), per schema.
    Showmigrations(ShowArgs),
    /// Revert the last applied migrations of one schema.
    Rollback(RollbackArgs),
    /// Print the exact SQL a migration sends to a schema (no connection needed with --backend).
    Sqlmigrate(SqlArgs),
    /// List, create or drop tenant schemas.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Write a new migration from the difference between the models and the folder (needs models).
    Makemigrations(MakeArgs),
}

impl Command {
    /// Whether the command may change the database (and so may create an
    /// SQLite file that does not exist yet).
    fn writes(&self) -> bool {
        match self {
            Command::Migrate(args) => !args.dry_run,
            Command::Rollback(_) => true,
            Command::Tenants {
                command: TenantsCommand::Create { .. },
            } => true,
            _ => false,
        }
    }
}

#[derive(Args, Debug)]
struct Targets {
    /// A tenant schema (repeat for several).
    #[arg(long = "schema", value_name = "SCHEMA")]
    schemas: Vec<String>,
    /// Every schema holding a ryx_migrations table.
    #[arg(long, conflicts_with = "schemas")]
    all_schemas: bool,
}

#[derive(Args, Debug)]
struct MigrateArgs {
    /// The migrations folder.
    #[arg(long, default_value = "migrations")]
    dir: PathBuf,
    #[command(flatten)]
    targets: Targets,
    /// Tenants migrated at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the SQL that would run, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Stop starting new tenants after the first failure.
    #[arg(long)]
    fail_fast: bool,
    /// Create what this binary's models need instead of running the folder.
    #[arg(long)]
    from_models: bool,
    /// Accept migrations edited after they were applied.
    #[arg(long)]
    allow_changed: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args, Debug)]
struct ShowArgs {
    /// The migrations folder.
    #[arg(long, default_value = "migrations")]
    dir: PathBuf,
    #[command(flatten)]
    targets: Targets,
    /// Only pending migrations.
    #[arg(long)]
    unapplied: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args, Debug)]
struct RollbackArgs {
    /// The tenant schema.
    #[arg(long = "schema", value_name = "SCHEMA")]
    schema: String,
    /// How many migrations to revert.
    #[arg(long, default_value_t = 1)]
    steps: usize,
    /// The migrations folder.
    #[arg(long, default_value = "migrations")]
    dir: PathBuf,
}

#[derive(Args, Debug)]
struct SqlArgs {
    /// The migration's name or version.
    name: String,
    /// The tenant schema.
    #[arg(long = "schema", value_name = "SCHEMA")]
    schema: String,
    /// The backend to print for (default: from --url).
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,
    /// The migrations folder.
    #[arg(long, default_value = "migrations")]
    dir: PathBuf,
}

#[derive(Args, Debug)]
struct MakeArgs {
    /// The new migration's name (letters, digits and `_`).
    name: String,
    /// The migrations folder.
    #[arg(long, default_value = "migrations")]
    dir: PathBuf,
}

#[derive(Subcommand, Debug)]
enum TenantsCommand {
    /// Every schema holding a ryx_migrations table.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Create a tenant schema and apply the folder's migrations to it.
    Create {
        /// The schema.
        schema: String,
        /// Only create the schema and its history table.
        #[arg(long)]
        no_migrate: bool,
        /// The migrations folder.
        #[arg(long, default_value = "migrations")]
        dir: PathBuf,
    },
    /// Drop a tenant schema and everything in it (needs --yes).
    Drop {
        /// The schema.
        schema: String,
        /// Confirm: the schema and all its data are deleted.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum BackendArg {
    Postgres,
    Mysql,
    Sqlite,
}

/// A command-line failure: what to print, and the exit code.
#[derive(Debug)]
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 2,
        }
    }
}

/// One line: the error and its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.replace('\n', " ")
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e {
            Error::MigrationFailed { .. } => 1,
            _ => 2,
        };
        Failure {
            message: chain(&e),
            code,
        }
    }
}

// Fields of backends not compiled in are unread.
#[cfg_attr(
    not(all(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]
enum Target {
    Postgres(String),
    Mysql(String),
    Sqlite(String),
}

impl Target {
    #[allow(dead_code)]
    fn backend(&self) -> Backend {
        match self {
            Target::Postgres(_) => Backend::PostgreSQL,
            Target::Mysql(_) => Backend::MySQL,
            Target::Sqlite(_) => Backend::SQLite,
        }
    }

    #[allow(dead_code)]
    fn feature(&self) -> &'static str {
        match self {
            Target::Postgres(_) => "postgres",
            Target::Mysql(_) => "mysql",
            Target::Sqlite(_) => "sqlite",
        }
    }
}

fn parse_url(url: Option<&str>) -> Result<Target, Failure> {
    let url = url.map(str::trim).filter(|u| !u.is_empty()).ok_or_else(|| {
        Failure::usage("no database URL: pass --url postgres://user@host/db (or mysql://.., sqlite://PATH) or set DATABASE_URL")
    })?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Target::Postgres(url.to_owned()))
    } else if url.starts_with("mysql://") {
        Ok(Target::Mysql(url.to_owned()))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(Failure::usage(
                "sqlite:// needs a file path, e.g. sqlite://app.db",
            ));
        }
        Ok(Target::Sqlite(path.to_owned()))
    } else if url.contains("://") {
        let scheme = url.split("://").next().unwrap_or_default();
        Err(Failure::usage(format!(
            "unsupported database URL scheme `{scheme}://`: use postgres://, mysql:// or sqlite://PATH"
        )))
    } else {
        Ok(Target::Sqlite(url.to_owned()))
    }
}

impl Cli {
    /// The command line with no models: every subcommand but `makemigrations`
    /// and `migrate --from-models`.
    pub fn new() -> Self {
        Cli::default()
    }

    /// Registers a model (a `ryx_table!` table) for `makemigrations` and
    /// `migrate --from-models`.
    pub fn model<T: RyxTable>(mut self) -> Self {
        self.models.push(T::default().table_state());
        self
    }

    /// Parses the process's arguments, runs the command and returns the exit code.
    pub fn run(self) -> ExitCode {
        self.run_from(std::env::args_os())
    }

    /// As [`run`](Self::run), with the given arguments (the first is the program name).
    pub fn run_from<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let opts = match Opts::try_parse_from(args) {
            Ok(opts) => opts,
            Err(e) => {
                // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
                let _ = e.print();
                return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
            }
        };
        match self.dispatch(opts) {
            Ok(code) => ExitCode::from(code),
            Err(failure) => {
                esay!("error: {}", failure.message);
                ExitCode::from(failure.code)
            }
        }
    }

    fn dispatch(&self, opts: Opts) -> Result<u8, Failure> {
        // Commands that need no connection.
        if let Command::Sqlmigrate(args) = &opts.command {
            let backend = match args.backend {
                Some(BackendArg::Postgres) => Backend::PostgreSQL,
                Some(BackendArg::Mysql) => Backend::MySQL,
                Some(BackendArg::Sqlite) => Backend::SQLite,
                None => parse_url(opts.url.as_deref())?.backend(),
            };
            return sqlmigrate(args, backend);
        }
        match parse_url(opts.url.as_deref())? {
            #[cfg(feature = "postgres")]
            Target::Postgres(url) => self.with_backend::<diesel::PgConnection>(
                &url,
                opts.transaction_pooler,
                opts.command,
            ),
            #[cfg(feature = "mysql")]
            Target::Mysql(url) => self.with_backend::<diesel::MysqlConnection>(
                &url,
                opts.transaction_pooler,
                opts.command,
            ),
            #[cfg(feature = "sqlite")]
            Target::Sqlite(path) => self.with_backend::<diesel::SqliteConnection>(
                &path,
                opts.transaction_pooler,
                opts.command,
            ),
            #[allow(unreachable_patterns)]
            other => Err(Failure::usage(format!(
                "this ryx was built without {} support: build it with the `{}` cargo feature",
                other.backend(),
                other.feature()
            ))),
        }
    }

    fn with_backend<C>(
        &self,
        url: &str,
        transaction_pooler: bool,
        command: Command,
    ) -> Result<u8, Failure>
    where
        C: PoolBackend + MigrationConnection,
        ManagedConnection<C>: MigrationConnection,
        PooledConnection<ConnectionManager<C>>: MigrationConnection,
    {
        let kind = <C::DB as MigrationBackend>::KIND;
        if kind == Backend::SQLite {
            let parent = Path::new(url)
                .parent()
                .filter(|p| !p.as_os_str().is_empty());
            if let Some(parent) = parent {
                if !parent.exists() {
                    return Err(Failure::usage(format!(
                        "cannot open the SQLite database {url}: the folder {} does not exist",
                        parent.display()
                    )));
                }
            }
        }
        if kind == Backend::SQLite && !command.writes() && !Path::new(url).exists() {
            return Err(Failure::usage(format!(
                "no SQLite database at {url}: check the path (this command does not create one)"
            )));
        }
        // The one connection every command uses, and the pool's connections
        // for a parallel migrate: the same settings.
        let manager = ConnectionManager::<C>::new(url).transaction_pooler(transaction_pooler);
        let mut conn = manager
            .connect_once()
            .map_err(|e| Failure::usage(e.to_string()))?;
        let note_ignored = |schemas: &[String]| {
            if !kind.has_schemas() && !schemas.is_empty() {
                note_no_schemas(kind);
            }
        };
        match command {
            Command::Migrate(args) => {
                note_ignored(&args.targets.schemas);
                if args.jobs == Some(0) {
                    return Err(Failure::usage("--jobs must be at least 1"));
                }
                let schemas = targets(&mut conn, &args.targets, true)?;
                if args.from_models {
                    return self.migrate_models(&mut conn, &schemas, &args);
                }
                let migrations = load_dir(&args.dir)?;
                if schemas.is_empty() {
                    esay!("no tenants found (schemas with a ryx_migrations table); create one with `ryx tenants create SCHEMA`");
                    return Ok(0);
                }
                if args.dry_run {
                    return dry_run(
                        &mut conn,
                        &schemas,
                        &migrations,
                        args.format,
                        args.allow_changed,
                    );
                }
                drop(conn);
                // never more connections than tenants, nor than a sane bound
                let jobs = args
                    .jobs
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
                    .min(schemas.len())
                    .clamp(1, MAX_JOBS);
                let pool = Pool::builder()
                    .max_size(u32::try_from(jobs).unwrap_or(u32::MAX).max(1))
                    .min_idle(Some(0))
                    .connection_timeout(Duration::from_secs(30))
                    .build_unchecked(manager);
                let options = FleetOptions::default()
                    .jobs(jobs)
                    .fail_fast(args.fail_fast)
                    .allow_changed(args.allow_changed);
                migrate_fleet(&pool, &schemas, &migrations, &options, args.format)
            }
            Command::Showmigrations(args) => {
                note_ignored(&args.targets.schemas);
                let migrations = load_dir(&args.dir)?;
                let only = if args.targets.schemas.is_empty() || !kind.has_schemas() {
                    None
                } else {
                    Some(args.targets.schemas.clone())
                };
                let statuses = fleet::status(&mut conn, only.as_deref(), &migrations)?;
                show(&statuses, args.unapplied, args.format);
                Ok(0)
            }
            Command::Rollback(args) => {
                let schema = effective_schema(kind, &args.schema)?;
                let report = FileRunner::new()
                    .migrations_dir(&args.dir)
                    .schema(schema)
                    .rollback(&mut conn, args.steps)?;
                for r in &report.reverted {
                    say!(
                        "{}: reverted {} in {:.1?}",
                        report.schema,
                        r.name,
                        r.duration
                    );
                }
                Ok(0)
            }
            Command::Tenants { command } => tenants(&mut conn, kind, command),
            Command::Makemigrations(args) => {
                if self.models.is_empty() {
                    return Err(Failure::usage(NO_MODELS));
                }
                match crate::make::make_migration(&mut conn, &args.dir, &self.models, &args.name)? {
                    Some(made) => {
                        say!("created {}", made.path.display());
                        say_raw!("{}", made.up);
                    }
                    None => say!(
                        "no changes: the models match what {} builds",
                        args.dir.display()
                    ),
                }
                Ok(0)
            }
            Command::Sqlmigrate(_) => Ok(0),
        }
    }

    fn migrate_models<C: MigrationConnection>(
        &self,
        conn: &mut C,
        schemas: &[String],
        args: &MigrateArgs,
    ) -> Result<u8, Failure> {
        if self.models.is_empty() {
            return Err(Failure::usage(NO_MODELS));
        }
        let mut failed = 0;
        let mut json = Vec::new();
        for schema in schemas {
            let mut runner = MigrationRunner::new()
                .schema(schema.clone())
                .dry_run(args.dry_run);
            for t in &self.models {
                runner = runner.table(t.clone());
            }
            match runner.migrate(conn) {
                Ok(report) => {
                    if args.format == Format::Text {
                        say_raw!("{report}");
                        for p in &report.planned {
                            for sql in &p.sql {
                                say!("{sql};");
                            }
                        }
                    }
                    json.push(serde_json::json!({
                        "schema": schema,
                        "applied": report.applied.iter().map(|a| &a.name).collect::<Vec<_>>(),
                        "planned": report.planned.iter().map(|p| serde_json::json!({"name": p.name, "sql": p.sql})).collect::<Vec<_>>(),
                        "drift": report.drift.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    }));
                }
                Err(e) => {
                    failed += 1;
                    esay!("{schema}: FAILED: {}", chain(&e));
                    json.push(serde_json::json!({ "schema": schema, "error": chain(&e) }));
                    if args.fail_fast {
                        break;
                    }
                }
            }
        }
        if args.format == Format::Json {
            say!("{}", serde_json::Value::Array(json));
        }
        Ok(if failed > 0 { 1 } else { 0 })
    }
}

/// The most connections `--jobs` opens at once.
const MAX_JOBS: usize = 256;

const NO_MODELS: &str = "this ryx binary has no models: build your own with \
    `ryx::migrate::cli::Cli::new().model::<posts::table>().run()` in src/bin/ryx.rs (see the docs of ryx::migrate::cli)";

/// The one-line note for `--schema` on SQLite and MySQL.
fn note_no_schemas(kind: Backend) {
    esay!("note: {kind} has no schemas; --schema is ignored");
}

/// On backends without schemas every command works on the one database.
fn effective_schema(kind: Backend, schema: &str) -> Result<String, Failure> {
    ryx_dsl::SchemaName::new(schema).map_err(|e| Failure::usage(chain(&Error::from(e))))?;
    if kind.has_schemas() {
        Ok(schema.to_owned())
    } else {
        note_no_schemas(kind);
        Ok(DEFAULT_TENANT.to_owned())
    }
}

fn targets<C: MigrationConnection>(
    conn: &mut C,
    t: &Targets,
    required: bool,
) -> Result<Vec<String>, Failure> {
    let kind = <C::DB as MigrationBackend>::KIND;
    if required && t.schemas.is_empty() && !t.all_schemas {
        return Err(Failure::usage(
            "say which tenants: --schema SCHEMA (repeatable) or --all-schemas",
        ));
    }
    for s in &t.schemas {
        ryx_dsl::SchemaName::new_for_create(s)
            .map_err(|e| Failure::usage(chain(&Error::from(e))))?;
    }
    if !kind.has_schemas() {
        return Ok(vec![DEFAULT_TENANT.to_owned()]);
    }
    if t.all_schemas {
        return Ok(fleet::tenants(conn)?);
    }
    let mut seen = std::collections::HashSet::new();
    Ok(t.schemas
        .iter()
        .filter(|s| seen.insert(*s))
        .cloned()
        .collect())
}

fn sqlmigrate(args: &SqlArgs, backend: Backend) -> Result<u8, Failure> {
    ryx_dsl::SchemaName::new(&args.schema).map_err(|e| Failure::usage(chain(&Error::from(e))))?;
    let migrations = load_dir(&args.dir)?;
    let found = migrations
        .iter()
        .find(|m| m.name == args.name || m.version() == args.name)
        .ok_or_else(|| {
            let names: Vec<&str> = migrations.iter().map(|m| m.name.as_str()).collect();
            Failure::usage(format!(
                "no migration `{}` in {}; there are: {}",
                args.name,
                args.dir.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })?;
    if !backend.has_schemas() {
        note_no_schemas(backend);
    }
    say!("-- {} on {backend}", found.name);
    if found.run_in_transaction {
        say!("BEGIN;");
        if backend == Backend::PostgreSQL {
            say!(
                "SELECT pg_advisory_xact_lock({});",
                crate::checksum::advisory_lock_key(&args.schema)
            );
            say!("SET LOCAL search_path TO {};", backend.quote(&args.schema));
        }
    } else {
        say!("-- run_in_transaction = false: runs outside a transaction");
        if backend == Backend::PostgreSQL {
            say!(
                "SELECT pg_advisory_lock({});",
                crate::checksum::advisory_lock_key(&args.schema)
            );
            say!("SET search_path TO {};", backend.quote(&args.schema));
        }
    }
    let up = found.up.trim_end();
    say!("{up}");
    if found.run_in_transaction {
        say!("COMMIT;");
    } else if backend == Backend::PostgreSQL {
        say!("-- then the session's previous search_path is restored and the lock released");
    }
    Ok(0)
}

fn dry_run<C: MigrationConnection>(
    conn: &mut C,
    schemas: &[String],
    migrations: &[MigrationFile],
    format: Format,
    allow_changed: bool,
) -> Result<u8, Failure> {
    let mut json = Vec::new();
    for schema in schemas {
        let report = FileRunner::new()
            .migrations(migrations.to_vec())
            .schema(schema.clone())
            .dry_run(true)
            .allow_changed(allow_changed)
            .run(conn)?;
        match format {
            Format::Text => {
                if report.planned.is_empty() {
                    say!("-- {schema}: up to date");
                }
                for p in &report.planned {
                    say!("-- {schema}: {}", p.name);
                    for sql in &p.sql {
                        say!("{};", sql.trim_end().trim_end_matches(';'));
                    }
                }
            }
            Format::Json => json.push(serde_json::json!({
                "schema": schema,
                "planned": report.planned.iter().map(|p| serde_json::json!({"name": p.name, "sql": p.sql})).collect::<Vec<_>>(),
            })),
        }
    }
    if format == Format::Json {
        say!("{}", serde_json::Value::Array(json));
    }
    Ok(0)
}

fn describe(result: &TenantResult) -> String {
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
        Outcome::NotStarted => format!("{}: not started (--fail-fast)", result.schema),
    }
}

fn migrate_fleet<M>(
    pool: &Pool<M>,
    schemas: &[String],
    migrations: &[MigrationFile],
    options: &FleetOptions,
    format: Format,
) -> Result<u8, Failure>
where
    M: ManageConnection,
    PooledConnection<M>: MigrationConnection,
{
    let terminal = std::io::stderr().is_terminal() && format == Format::Text;
    let bar = if terminal {
        let bar = indicatif::ProgressBar::new(schemas.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} tenants {msg}",
        ) {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let on_done = |r: &TenantResult| match &bar {
        Some(bar) => {
            if matches!(r.outcome, Outcome::Failed(_)) {
                bar.println(describe(r));
            }
            bar.set_message(r.schema.clone());
            bar.inc(1);
        }
        None if format == Format::Text => say!("{}", describe(r)),
        None => {}
    };
    let report = fleet::migrate_fleet(pool, schemas, migrations, options, &on_done)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let migrated: Vec<&TenantResult> = report.migrated().collect();
    let current = report.current().count();
    let failed: Vec<&TenantResult> = report.failed().collect();
    let not_started: Vec<&TenantResult> = report.not_started().collect();
    match format {
        Format::Text => {
            say!();
            say!("{:<16} {:>8}", "outcome", "tenants");
            say!("{:<16} {:>8}", "migrated", migrated.len());
            say!("{:<16} {:>8}", "already current", current);
            say!("{:<16} {:>8}", "failed", failed.len());
            if !not_started.is_empty() {
                say!("{:<16} {:>8}", "not started", not_started.len());
            }
            say!("in {:.1?}", report.duration);
            for f in &failed {
                if let Outcome::Failed(e) = &f.outcome {
                    say!("failed: {}: {}", f.schema, chain(e));
                }
            }
        }
        Format::Json => {
            let json = serde_json::json!({
                "migrated": migrated.iter().map(|t| {
                    let applied: Vec<String> = match &t.outcome {
                        Outcome::Migrated(r) => r.applied.iter().map(|a| a.name.clone()).collect(),
                        _ => Vec::new(),
                    };
                    serde_json::json!({"schema": t.schema, "applied": applied, "ms": t.duration.as_millis()})
                }).collect::<Vec<_>>(),
                "current": report.current().map(|t| t.schema.clone()).collect::<Vec<_>>(),
                "failed": failed.iter().map(|t| {
                    let (error, applied) = match &t.outcome {
                        Outcome::Failed(e) => (
                            chain(e),
                            e.report().map(|r| r.applied.iter().map(|a| a.name.clone()).collect()).unwrap_or_default(),
                        ),
                        _ => (String::new(), Vec::new()),
                    };
                    serde_json::json!({"schema": t.schema, "error": error, "applied": applied})
                }).collect::<Vec<_>>(),
                "not_started": not_started.iter().map(|t| t.schema.clone()).collect::<Vec<_>>(),
                "ms": report.duration.as_millis(),
            });
            say!("{json}");
        }
    }
    Ok(if report.is_success() { 0 } else { 1 })
}

fn show(statuses: &[fleet::TenantStatus], unapplied: bool, format: Format) {
    match format {
        Format::Json => {
            let json = serde_json::to_string(statuses).unwrap_or_else(|_| "[]".to_owned());
            say!("{json}");
        }
        Format::Text => {
            if statuses.is_empty() {
                say!("no tenants found (schemas with a ryx_migrations table)");
            }
            for st in statuses {
                say!(
                    "{}{}",
                    st.schema,
                    if st.exists {
                        ""
                    } else {
                        " (no ryx history yet)"
                    }
                );
                if !unapplied {
                    for name in &st.applied {
                        if st.changed.contains(name) {
                            say!(" [X] {name} (changed since it was applied)");
                        } else {
                            say!(" [X] {name}");
                        }
                    }
                }
                for name in &st.pending {
                    say!(" [ ] {name}");
                }
                if !unapplied {
                    for name in &st.unknown {
                        say!(" [X] {name} (not in the migrations folder)");
                    }
                }
            }
        }
    }
}

fn tenants<C: MigrationConnection>(
    conn: &mut C,
    kind: Backend,
    command: TenantsCommand,
) -> Result<u8, Failure> {
    match command {
        TenantsCommand::List { format } => {
            let list = fleet::tenants(conn)?;
            match format {
                Format::Text => {
                    for t in &list {
                        say!("{t}");
                    }
                }
                Format::Json => say!("{}", serde_json::json!(list)),
            }
            Ok(0)
        }
        TenantsCommand::Create {
            schema,
            no_migrate,
            dir,
        } => {
            ryx_dsl::SchemaName::new_for_create(&schema)
                .map_err(|e| Failure::usage(chain(&Error::from(e))))?;
            let schema = if kind.has_schemas() {
                schema
            } else {
                esay!("note: {kind} has no schemas; using the database itself");
                DEFAULT_TENANT.to_owned()
            };
            if no_migrate {
                crate::apply::create_tenant(conn, &schema)?;
                say!("{schema}: created");
            } else {
                let report = FileRunner::new()
                    .migrations_dir(&dir)
                    .schema(schema.clone())
                    .run(conn)?;
                crate::apply::create_tenant(conn, &schema)?;
                say!(
                    "{schema}: created, {} migration(s) applied",
                    report.applied.len()
                );
            }
            Ok(0)
        }
        TenantsCommand::Drop { schema, yes } => {
            ryx_dsl::SchemaName::new_for_create(&schema)
                .map_err(|e| Failure::usage(chain(&Error::from(e))))?;
            if !kind.has_schemas() {
                return Err(Failure::usage(format!(
                    "{kind} has no schemas: there is no tenant schema to drop"
                )));
            }
            if !yes {
                return Err(Failure::usage(format!(
                    "refusing to drop schema `{schema}` and all its data without --yes"
                )));
            }
            if schema == "public" || !fleet::tenants(conn)?.contains(&schema) {
                return Err(Failure::usage(format!(
                    "`{schema}` is not a ryx tenant (no ryx_migrations table in it): not dropping it"
                )));
            }
            let sql = crate::ddl::DDLGenerator::new(kind)
                .drop_schema(&schema)?
                .unwrap_or_default();
            conn.batch_execute(&sql).map_err(|e| Failure {
                message: format!("cannot drop schema `{schema}`: {}", chain(&e)),
                code: 1,
            })?;
            say!("{schema}: dropped");
            Ok(0)
        }
    }
}
