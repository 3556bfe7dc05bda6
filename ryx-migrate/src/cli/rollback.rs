//! `ryx rollback`: reverts the last applied migrations of one schema.

use clap::Args;

use super::args::{MigrationsDir, SharedSchemas};
use super::output::{invalid_schema, note_no_schemas, say, Failure, SUCCESS};
use crate::apply::RunnerConnection;
use crate::backend::MigrationBackend;
use crate::files::FileRunner;
use crate::fleet::DEFAULT_TENANT;

#[derive(Args, Debug)]
pub(super) struct RollbackArgs {
    /// The tenant schema.
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub(super) schema: String,
    /// How many migrations to revert (at least 1).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    steps: usize,
    /// Revert migrations whose up.sql was edited after they were applied.
    #[arg(long)]
    allow_changed: bool,
    #[command(flatten)]
    dir: MigrationsDir,
    #[command(flatten)]
    shared: SharedSchemas,
}

/// `--steps`: a whole number, at least 1 (`0` would revert nothing, silently).
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("must be at least 1: the number of migrations to revert".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of migrations to revert, such as 1".to_owned()),
    }
}

/// Runs `ryx rollback` (on SQLite and MySQL, on the database itself).
pub(super) fn run<C: RunnerConnection>(conn: &mut C, args: &RollbackArgs) -> Result<u8, Failure> {
    let kind = <C::DB as MigrationBackend>::KIND;
    ryx_dsl::SchemaName::new(&args.schema).map_err(invalid_schema)?;
    let schema = if kind.has_schemas() {
        args.schema.clone()
    } else {
        note_no_schemas(kind);
        DEFAULT_TENANT.to_owned()
    };
    let report = args
        .shared
        .apply(FileRunner::new())
        .migrations_dir(&args.dir.dir)
        .schema(schema)
        .allow_changed(args.allow_changed)
        .rollback(conn, args.steps)?;
    for r in &report.reverted {
        say!(
            "{}: reverted {} in {:.1?}",
            report.schema,
            r.name,
            r.duration
        );
    }
    Ok(SUCCESS)
}
