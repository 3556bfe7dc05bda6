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
//!
//! Needs the `cli` cargo feature (on by default).
//!
//! | file | what it holds |
//! |------|---------------|
//! | `mod.rs` | [`Cli`], the top-level options and the subcommands, dispatch |
//! | `args.rs` | options several commands share: `--dir`, `--schema` / `--all-schemas` |
//! | `url.rs` | `--url` and `--backend` |
//! | `directory.rs` | `--directory`: choosing it or `--url`; `directory/runs.rs`: the commands over a tenant directory (every server at once, or the tenant's server) |
//! | `output.rs` | printing, `--format`, error lines and exit codes |
//! | `migrate.rs`, `showmigrations.rs`, `rollback.rs`, `redo.rs`, `sqlmigrate.rs`, `tenants.rs`, `makemigrations.rs`, `print_schema.rs` | one command each: its arguments and its handler |
//! | `migration.rs` | `migration generate`: an empty migration folder (no database) |

mod args;
mod directory;
mod makemigrations;
mod migrate;
mod migration;
mod output;
mod print_schema;
mod redo;
mod rollback;
mod showmigrations;
mod sqlmigrate;
mod tenants;
mod url;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use diesel::r2d2::PooledConnection;
use ryx_pool::{ConnectionManager, ManagedConnection, PoolBackend};

use self::directory::Database;
use self::output::{esay, Failure, USAGE};
use crate::apply::RunnerConnection;
use crate::backend::{Backend, MigrationBackend};
use crate::metadata::{RyxTable, TableState};

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
                  On SQLite and MySQL there are no schemas: --schema is accepted and ignored.\n\n\
                  Tenants on several PostgreSQL servers: --directory ryx.toml (a tenant directory, see \
                  the docs of ryx::directory) instead of --url. migrate, showmigrations and tenants list \
                  then run on every server at once (a server that is down fails only its tenants, exit 1); \
                  rollback, redo, print-schema and tenants create|drop run on the tenant's server; \
                  migration generate and sqlmigrate need no database."
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
    /// A tenant directory (TOML: servers, and which tenants each holds):
    /// commands run on every server, or on the tenant's. Used instead of
    /// DATABASE_URL; with --url on the command line too, an error.
    #[arg(long, env = "RYX_DIRECTORY", global = true, value_name = "PATH")]
    directory: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply pending migrations to one or more tenant schemas, in parallel.
    Migrate(migrate::MigrateArgs),
    /// List each migration as `[X] name` (applied) or `[ ] name` (pending), per schema.
    Showmigrations(showmigrations::ShowArgs),
    /// Revert the last applied migrations of one schema.
    Rollback(rollback::RollbackArgs),
    /// Revert the last applied migration of one schema and apply it again (checks its down.sql).
    #[command(after_help = "Example:\n  \
        ryx --url postgres://localhost/app redo --schema acme --dir migrations\n  \
        # acme: reverted 2024-05-01-093000_create_posts in 2.1ms\n  \
        # acme: applied 2024-05-01-093000_create_posts in 3.4ms\n\n\
        On PostgreSQL both steps run in one transaction: if the reapply fails, nothing changed. \
        On SQLite and MySQL (and for a run_in_transaction = false migration) a failed reapply \
        leaves the migration reverted, and the error says so. Exit 1 when a step failed.")]
    Redo(redo::RedoArgs),
    /// Print the exact SQL a migration sends to a schema (no connection needed with --backend).
    Sqlmigrate(sqlmigrate::SqlArgs),
    /// List, create or drop tenant schemas.
    Tenants {
        #[command(subcommand)]
        command: tenants::TenantsCommand,
    },
    /// Write a new migration from the difference between the models and the folder (needs models).
    Makemigrations(makemigrations::MakeArgs),
    /// Write empty migrations by hand: `migration generate NAME`.
    Migration {
        #[command(subcommand)]
        command: migration::MigrationCommand,
    },
    /// Print a PostgreSQL schema's tables as ryx_table! declarations (for src/schema.rs).
    #[command(after_help = "Example:\n  \
        ryx --url postgres://localhost/app print-schema --schema acme > src/schema.rs\n  \
        ryx --url postgres://localhost/app print-schema --schema acme --table posts --table authors\n\n\
        Prints ryx::ryx_table! blocks (keys, types, defaults, unique, index, checks, references), \
        diesel::joinable! for single-column foreign keys and one \
        ryx::allow_tables_to_appear_in_same_query!. A column or table ryx_table! cannot declare \
        (arrays, interval, enums, no primary key) is an error naming it, or with --skip-unsupported \
        a comment in its place. PostgreSQL only.")]
    PrintSchema(print_schema::PrintSchemaArgs),
}

impl Command {
    /// Whether the command may change the database (and so may create an
    /// SQLite file that does not exist yet).
    fn writes(&self) -> bool {
        match self {
            Command::Migrate(args) => !args.dry_run,
            Command::Rollback(_) | Command::Redo(_) => true,
            Command::Tenants {
                command: tenants::TenantsCommand::Create { from: None, .. },
            } => true,
            _ => false,
        }
    }
}

/// Parses the arguments, and chooses between `--url` and `--directory` (an
/// error there is the command's to report: a command that needs no database
/// ignores it).
fn parse<I, T>(args: I) -> Result<(Opts, Result<Database, Failure>), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut command = Opts::command();
    let matches = command.try_get_matches_from_mut(args)?;
    let opts = Opts::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
    let database = directory::choose(
        opts.url.clone(),
        on_command_line(&matches, "url"),
        opts.directory.clone(),
        on_command_line(&matches, "directory"),
    );
    Ok((opts, database))
}

/// Whether the global option `id` was given on the command line (not from
/// its environment variable), before or after the subcommand.
fn on_command_line(matches: &ArgMatches, id: &str) -> bool {
    let mut at = Some(matches);
    while let Some(m) = at {
        if m.value_source(id) == Some(ValueSource::CommandLine) {
            return true;
        }
        at = m.subcommand().map(|(_, sub)| sub);
    }
    false
}

const NO_MODELS: &str = "this ryx binary has no models: build your own with \
    `ryx::migrate::cli::Cli::new().model::<posts::table>().run()` in src/bin/ryx.rs (see the docs of ryx::migrate::cli)";

/// The registered models, or the usage error of a binary that has none.
fn require_models(models: &[TableState]) -> Result<&[TableState], Failure> {
    if models.is_empty() {
        Err(Failure::usage(NO_MODELS))
    } else {
        Ok(models)
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
        T: Into<OsString> + Clone,
    {
        let (opts, database) = match parse(args) {
            Ok(parsed) => parsed,
            Err(e) => {
                // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
                let _ = e.print();
                return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(USAGE));
            }
        };
        match self.dispatch(opts, database) {
            Ok(code) => ExitCode::from(code),
            Err(failure) => {
                esay!("error: {}", output::one_line(&failure.message));
                ExitCode::from(failure.code)
            }
        }
    }

    /// Runs the command on the backend the URL names, or over the directory.
    fn dispatch(&self, opts: Opts, database: Result<Database, Failure>) -> Result<u8, Failure> {
        if let Command::Migration { command } = &opts.command {
            // needs no database: neither --url nor --directory matters
            return migration::run(command);
        }
        let url = match database? {
            Database::Directory(path) => {
                return directory::run(self, &path, opts.transaction_pooler, opts.command)
            }
            Database::Url(url) => url,
        };
        match &opts.command {
            // needs no connection
            Command::Sqlmigrate(args) => return sqlmigrate::run(args, url.as_deref()),
            // PostgreSQL only: its own connection
            Command::PrintSchema(args) => {
                return print_schema::run(args, url.as_deref(), opts.transaction_pooler)
            }
            _ => {}
        }
        let target = url::parse_url(url.as_deref())?;
        let (url, pooler, command) = (&target.url, opts.transaction_pooler, opts.command);
        match target.backend {
            #[cfg(feature = "postgres")]
            Backend::PostgreSQL => self.connected::<diesel::PgConnection>(url, pooler, command),
            #[cfg(feature = "mysql")]
            Backend::MySQL => self.connected::<diesel::MysqlConnection>(url, pooler, command),
            #[cfg(feature = "sqlite")]
            Backend::SQLite => self.connected::<diesel::SqliteConnection>(url, pooler, command),
            #[allow(unreachable_patterns)]
            other => Err(url::not_built(other)),
        }
    }

    /// Connects to `url` (the same settings as the pool of a parallel
    /// `migrate`) and runs the command.
    fn connected<C>(
        &self,
        url: &str,
        transaction_pooler: bool,
        command: Command,
    ) -> Result<u8, Failure>
    where
        C: PoolBackend + RunnerConnection,
        ManagedConnection<C>: RunnerConnection,
        PooledConnection<ConnectionManager<C>>: RunnerConnection,
    {
        let kind = <C::DB as MigrationBackend>::KIND;
        if kind == Backend::SQLite {
            url::check_sqlite_file(url, command.writes())?;
        }
        let manager = ConnectionManager::<C>::new(url).transaction_pooler(transaction_pooler);
        let mut conn = manager
            .connect_once()
            .map_err(|e| Failure::usage(e.to_string()))?;
        match &command {
            Command::Migrate(args) => migrate::run(conn, manager, url, &self.models, args),
            Command::Showmigrations(args) => showmigrations::run(&mut conn, args),
            Command::Rollback(args) => rollback::run(&mut conn, args),
            Command::Redo(args) => redo::run(&mut conn, args),
            Command::Migration { command } => migration::run(command),
            Command::PrintSchema(args) => print_schema::run(args, Some(url), transaction_pooler),
            Command::Sqlmigrate(args) => sqlmigrate::run(args, Some(url)),
            Command::Tenants { command } => tenants::run(&mut conn, command),
            Command::Makemigrations(args) => makemigrations::run(&mut conn, &self.models, args),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Opts::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Opts, clap::Error> {
        Opts::try_parse_from(std::iter::once("ryx").chain(args.iter().copied()))
    }

    #[test]
    fn shared_options_keep_their_flags_and_defaults() -> Result<(), clap::Error> {
        let Command::Migrate(args) =
            parse(&["migrate", "--dir", "m", "--all-schemas", "--format", "json"])?.command
        else {
            panic!("not migrate");
        };
        assert_eq!(
            format!("{args:?}").matches("dir: \"m\"").count(),
            1,
            "{args:?}"
        );
        assert!(format!("{args:?}").contains("format: Json"), "{args:?}");
        for args in [
            &[
                "showmigrations",
                "--dir",
                "m",
                "--unapplied",
                "--format",
                "json",
            ][..],
            &["rollback", "--schema", "s", "--steps", "2", "--dir", "m"],
            &[
                "sqlmigrate",
                "v1",
                "--schema",
                "s",
                "--backend",
                "mysql",
                "--dir",
                "m",
            ],
            &["tenants", "list", "--format", "json"],
            &["tenants", "create", "s", "--no-migrate", "--dir", "m"],
            &["tenants", "drop", "s", "--yes"],
            &["makemigrations", "add_x", "--dir", "m"],
            &["migration", "generate", "add_x", "--dir", "m"],
            &[
                "redo",
                "--schema",
                "s",
                "--dir",
                "m",
                "--shared-schema",
                "ext",
            ],
            &[
                "redo",
                "--schema",
                "s",
                "--allow-changed",
                "--no-shared-schemas",
            ],
            &[
                "print-schema",
                "--schema",
                "s",
                "--table",
                "a",
                "--table",
                "b",
            ],
            &["print-schema", "--schema", "s", "--skip-unsupported"],
            &[
                "--url",
                "sqlite://x.db",
                "--transaction-pooler",
                "tenants",
                "list",
            ],
            &["tenants", "list", "--url", "postgres://h/db"],
        ] {
            parse(args)?;
        }
        let Command::Showmigrations(show) = parse(&["showmigrations"])?.command else {
            panic!("not showmigrations");
        };
        let show = format!("{show:?}");
        assert!(
            show.contains("dir: \"migrations\"") && show.contains("format: Text"),
            "{show}"
        );
        Ok(())
    }

    #[test]
    fn backend_values_are_the_url_spellings() -> Result<(), clap::Error> {
        let Command::Sqlmigrate(args) =
            parse(&["sqlmigrate", "v1", "--schema", "s", "--backend", "sqlite"])?.command
        else {
            panic!("not sqlmigrate");
        };
        assert!(
            format!("{args:?}").contains("backend: Some(SQLite)"),
            "{args:?}"
        );
        let e = parse(&["sqlmigrate", "v1", "--schema", "s", "--backend", "oracle"]);
        assert!(matches!(e, Err(e) if e.kind() == clap::error::ErrorKind::InvalidValue));
        Ok(())
    }

    #[test]
    fn only_commands_that_change_the_database_write() -> Result<(), clap::Error> {
        for (args, writes) in [
            (&["migrate", "--all-schemas"][..], true),
            (&["migrate", "--all-schemas", "--dry-run"], false),
            (&["rollback", "--schema", "s"], true),
            (&["tenants", "create", "s"], true),
            (&["tenants", "create", "s", "--from", "t"], false),
            (&["tenants", "rename", "a", "b"], false),
            (&["tenants", "move", "a", "--to", "eu"], false),
            (&["tenants", "list"], false),
            (&["tenants", "drop", "s", "--yes"], false),
            (&["showmigrations"], false),
            (&["makemigrations", "x"], false),
            (&["redo", "--schema", "s"], true),
            (&["migration", "generate", "x"], false),
            (&["print-schema", "--schema", "s"], false),
            (&["--directory", "d", "migrate", "--all-schemas"], true),
            (&["--directory", "d", "showmigrations"], false),
            (
                &["--directory", "d", "tenants", "drop", "s", "--yes"],
                false,
            ),
        ] {
            assert_eq!(parse(args)?.command.writes(), writes, "{args:?}");
        }
        Ok(())
    }

    fn chosen(args: &[&str]) -> Result<Result<Database, (u8, String)>, clap::Error> {
        let (_, database) = super::parse(std::iter::once("ryx").chain(args.iter().copied()))?;
        Ok(database.map_err(|f| (f.code, f.message)))
    }

    #[test]
    fn directory_is_a_global_option_that_replaces_the_url() -> Result<(), clap::Error> {
        let dir = Ok(Database::Directory(PathBuf::from("ryx.toml")));
        for args in [
            &["--directory", "ryx.toml", "migrate", "--all-schemas"][..],
            &["migrate", "--all-schemas", "--directory", "ryx.toml"],
            &["tenants", "list", "--directory", "ryx.toml"],
            &["rollback", "--schema", "s", "--directory=ryx.toml"],
        ] {
            assert_eq!(chosen(args)?, dir, "{args:?}");
        }
        assert_eq!(
            chosen(&["--url", "postgres://h/db", "tenants", "list"])?,
            Ok(Database::Url(Some("postgres://h/db".to_owned())))
        );
        Ok(())
    }

    #[test]
    fn url_and_directory_on_the_command_line_are_a_usage_error() -> Result<(), clap::Error> {
        for args in [
            &[
                "--url",
                "postgres://h/db",
                "--directory",
                "ryx.toml",
                "migrate",
                "--all-schemas",
            ][..],
            &[
                "--directory",
                "ryx.toml",
                "migrate",
                "--url",
                "postgres://h/db",
            ],
            &[
                "showmigrations",
                "--url",
                "postgres://h/db",
                "--directory",
                "d.toml",
            ],
        ] {
            let e = chosen(args)?;
            assert!(
                matches!(&e, Err((USAGE, m)) if m.starts_with("--url and --directory both name the database")),
                "{args:?}: {e:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn the_top_level_help_mentions_the_directory() {
        let help = Opts::command()
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(help.contains("--directory ryx.toml"), "{help}");
        let long = Opts::command().render_long_help().to_string();
        assert!(
            long.contains("--directory <PATH>") && long.contains("RYX_DIRECTORY"),
            "{long}"
        );
    }

    #[test]
    fn new_commands_show_an_example() -> Result<(), String> {
        let cmd = Opts::command();
        for path in [&["redo"][..], &["print-schema"], &["migration", "generate"]] {
            let mut sub = &cmd;
            for name in path {
                sub = sub
                    .find_subcommand(name)
                    .ok_or_else(|| format!("no subcommand {name}"))?;
            }
            let help = sub
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(help.starts_with("Example:\n  ryx "), "{path:?}: {help}");
        }
        Ok(())
    }

    #[test]
    fn commands_that_need_models_say_how_to_register_them() {
        let e = require_models(&[]).err().map(|f| (f.code, f.message));
        assert!(matches!(e, Some((USAGE, m)) if m.contains(".model::<posts::table>()")));
    }
}
