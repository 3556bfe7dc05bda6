//! `ryx sqlmigrate`: the SQL one migration sends to a schema, without a
//! connection when `--backend` is given.
//!
//! The statements are the library's own plan (what `FileRunner`'s dry run
//! returns, transaction and lock included, printed as `migrate --dry-run`
//! prints it).

use clap::Args;

use super::args::{MigrationsDir, SharedSchemas};
use super::output::{invalid_schema, note_no_schemas, print_planned, say, Failure, SUCCESS};
use super::url::{backend_parser, not_built, parse_url};
use crate::apply::{self, Step};
use crate::backend::Backend;
use crate::report::Planned;
use crate::source::{load_dir, MigrationFile};

#[derive(Args, Debug)]
pub(super) struct SqlArgs {
    /// The migration's name or version.
    name: String,
    /// The tenant schema.
    #[arg(long = "schema", value_name = "SCHEMA")]
    schema: String,
    /// The backend to print for (default: from --url).
    #[arg(long, value_parser = backend_parser())]
    backend: Option<Backend>,
    #[command(flatten)]
    dir: MigrationsDir,
    #[command(flatten)]
    shared: SharedSchemas,
}

/// Runs `ryx sqlmigrate` for `--backend`, or else the backend of `url`.
pub(super) fn run(args: &SqlArgs, url: Option<&str>) -> Result<u8, Failure> {
    match args.backend {
        Some(backend) => run_for(args, backend),
        None => run_for(args, parse_url(url)?.backend),
    }
}

/// Runs `ryx sqlmigrate` for `--backend`, or else for `backend` (with
/// `--directory`: PostgreSQL, the directory's servers).
pub(super) fn run_for(args: &SqlArgs, backend: Backend) -> Result<u8, Failure> {
    let backend = args.backend.unwrap_or(backend);
    ryx_dsl::SchemaName::new(&args.schema).map_err(invalid_schema)?;
    let migrations = load_dir(&args.dir.dir)?;
    let found = find(&migrations, args)?;
    let shared = args
        .shared
        .list()
        .unwrap_or_else(|| apply::DEFAULT_SHARED_SCHEMAS.map(str::to_owned).to_vec());
    for s in &shared {
        ryx_dsl::SchemaName::new(s).map_err(invalid_schema)?;
    }
    let planned = plan(backend, &args.schema, &shared, found)?;
    if !backend.has_schemas() {
        note_no_schemas(backend);
    }
    say!("-- {} on {backend}", found.name);
    print_planned(&planned);
    Ok(SUCCESS)
}

/// The migration named by its full name or its version.
fn find<'m>(migrations: &'m [MigrationFile], args: &SqlArgs) -> Result<&'m MigrationFile, Failure> {
    migrations
        .iter()
        .find(|m| m.name == args.name || m.version() == args.name)
        .ok_or_else(|| {
            let names: Vec<&str> = migrations.iter().map(|m| m.name.as_str()).collect();
            Failure::usage(format!(
                "no migration `{}` in {}; there are: {}",
                args.name,
                args.dir.dir.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })
}

/// The statements the library sends for `migration` in `schema` on
/// `backend`, run on its own: transaction and lock included.
fn plan(
    backend: Backend,
    schema: &str,
    shared: &[String],
    migration: &MigrationFile,
) -> Result<Planned, Failure> {
    let step = Step::from(migration);
    match backend {
        #[cfg(feature = "postgres")]
        Backend::PostgreSQL => Ok(apply::planned::<diesel::pg::Pg>(schema, shared, &step)),
        #[cfg(feature = "mysql")]
        Backend::MySQL => Ok(apply::planned::<diesel::mysql::Mysql>(
            schema, shared, &step,
        )),
        #[cfg(feature = "sqlite")]
        Backend::SQLite => Ok(apply::planned::<diesel::sqlite::Sqlite>(
            schema, shared, &step,
        )),
        #[allow(unreachable_patterns)]
        other => Err(not_built(other)),
    }
}
