//! `ryx migration generate`: an empty migration folder, as `diesel migration
//! generate` writes one. Needs no database.

use clap::{Args, Subcommand};

use super::args::MigrationsDir;
use super::output::{say, Failure, SUCCESS};
use crate::generate::new_migration;

#[derive(Subcommand, Debug)]
pub(super) enum MigrationCommand {
    /// Write an empty migration, <dir>/<version>_<NAME>/{up.sql,down.sql}, to fill in by hand
    /// (no database needed).
    #[command(after_help = "Example:\n  \
        ryx migration generate create_posts --dir migrations\n  \
        # created migrations/2024-05-01-093000_create_posts/up.sql\n  \
        # created migrations/2024-05-01-093000_create_posts/down.sql\n\n\
        The version is the UTC time, as diesel and `ryx makemigrations` write it; \
        --dir is created if it is missing.")]
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
pub(super) struct GenerateArgs {
    /// The migration's name: ASCII letters, digits, `_` and `-`.
    name: String,
    #[command(flatten)]
    dir: MigrationsDir,
}

/// Runs `ryx migration ..`.
pub(super) fn run(command: &MigrationCommand) -> Result<u8, Failure> {
    match command {
        MigrationCommand::Generate(args) => generate(args),
    }
}

fn generate(args: &GenerateArgs) -> Result<u8, Failure> {
    let dir = &args.dir.dir;
    let existed = dir.is_dir();
    let made = new_migration(dir, &args.name)?;
    if !existed {
        say!("created {} (it did not exist)", dir.display());
    }
    say!("created {}", made.path.join("up.sql").display());
    say!("created {}", made.path.join("down.sql").display());
    Ok(SUCCESS)
}
