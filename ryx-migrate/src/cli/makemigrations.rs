//! `ryx makemigrations`: a new migration folder from the difference between
//! the registered models and what the folder builds.

use clap::Args;

use super::args::MigrationsDir;
use super::output::{say, say_raw, Failure, SUCCESS};
use crate::apply::RunnerConnection;
use crate::make::make_migration;
use crate::metadata::TableState;

#[derive(Args, Debug)]
pub(super) struct MakeArgs {
    /// The new migration's name (letters, digits and `_`).
    name: String,
    #[command(flatten)]
    dir: MigrationsDir,
}

/// Runs `ryx makemigrations` for `models` (the binary's registered models).
pub(super) fn run<C: RunnerConnection>(
    conn: &mut C,
    models: &[TableState],
    args: &MakeArgs,
) -> Result<u8, Failure> {
    let models = super::require_models(models)?;
    match make_migration(conn, &args.dir.dir, models, &args.name)? {
        Some(made) => {
            say!("created {}", made.path.display());
            say_raw!("{}", made.up);
        }
        None => say!(
            "no changes: the models match what {} builds",
            args.dir.dir.display()
        ),
    }
    Ok(SUCCESS)
}
