//! `--directory PATH`: the commands over a tenant directory, a TOML file
//! mapping tenants to PostgreSQL servers (see [`crate::directory`]).
//!
//! `migrate`, `showmigrations` and `tenants list` run on every server at once
//! (in `directory/runs.rs`); `rollback`, `redo`, `print-schema` and
//! `tenants create | drop` run the usual command against the tenant's
//! server; `migration generate` and `sqlmigrate` need no database. What does
//! not run over a directory yet is refused with a usage error saying to run
//! it per server with `--url`.

#[cfg(feature = "postgres")]
mod move_tenant;
#[cfg(feature = "postgres")]
mod runs;

use std::path::{Path, PathBuf};

use super::output::Failure;
use super::{sqlmigrate, Cli, Command};
use crate::backend::Backend;

/// What the commands run against: one database URL, or a tenant directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Database {
    /// `--url` (or `DATABASE_URL`), if any.
    Url(Option<String>),
    /// `--directory` (or `RYX_DIRECTORY`).
    Directory(PathBuf),
}

/// The refusal of `--url` beside `--directory` on the command line.
const BOTH_GIVEN: &str = "--url and --directory both name the database: give one \
    (--url for one server, --directory for the servers of a tenant directory)";

/// The refusal of `DATABASE_URL` and `RYX_DIRECTORY` both set, neither on
/// the command line.
const BOTH_SET: &str = "both DATABASE_URL and RYX_DIRECTORY are set: pass --url or \
    --directory to say which to use";

/// Chooses between `--url` and `--directory`, each with whether it was on
/// the command line (else it came from `DATABASE_URL` / `RYX_DIRECTORY`).
/// One given on the command line wins over the other's variable; both on the
/// command line, or both only from the environment, is a usage error.
pub(super) fn choose(
    url: Option<String>,
    url_on_command_line: bool,
    directory: Option<PathBuf>,
    directory_on_command_line: bool,
) -> Result<Database, Failure> {
    let directory = directory.filter(|d| !d.as_os_str().is_empty());
    let Some(directory) = directory else {
        return Ok(Database::Url(url));
    };
    if url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        return Ok(Database::Directory(directory));
    }
    match (url_on_command_line, directory_on_command_line) {
        (true, true) => Err(Failure::usage(BOTH_GIVEN)),
        (true, false) => Ok(Database::Url(url)),
        (false, true) => Ok(Database::Directory(directory)),
        (false, false) => Err(Failure::usage(BOTH_SET)),
    }
}

/// Runs `command` over the directory at `path`; `transaction_pooler` (the
/// global flag) adds to each server's own `transaction_pooler`.
pub(super) fn run(
    cli: &Cli,
    path: &Path,
    transaction_pooler: bool,
    command: Command,
) -> Result<u8, Failure> {
    match &command {
        // the SQL is the same on every server: print PostgreSQL's
        Command::Sqlmigrate(args) => return sqlmigrate::run_for(args, Backend::PostgreSQL),
        Command::Makemigrations(_) => {
            return Err(Failure::usage(
                "makemigrations is not with --directory: it compares the models with one \
                 database; pass --url with any server of the directory",
            ))
        }
        _ => {}
    }
    postgres(cli, path, transaction_pooler, command)
}

#[cfg(feature = "postgres")]
fn postgres(
    cli: &Cli,
    path: &Path,
    transaction_pooler: bool,
    command: Command,
) -> Result<u8, Failure> {
    runs::run(cli, path, transaction_pooler, command)
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &Cli, _: &Path, _: bool, _: Command) -> Result<u8, Failure> {
    Err(Failure::usage(format!(
        "--directory: the servers of a tenant directory are PostgreSQL, and {}",
        super::url::not_built(Backend::PostgreSQL).message
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(
        url: Option<&str>,
        url_line: bool,
        dir: Option<&str>,
        dir_line: bool,
    ) -> Result<Database, String> {
        choose(
            url.map(str::to_owned),
            url_line,
            dir.map(PathBuf::from),
            dir_line,
        )
        .map_err(|f| f.message)
    }

    #[test]
    fn the_command_line_wins_over_the_environment() {
        let dir = Database::Directory(PathBuf::from("ryx.toml"));
        let url = Database::Url(Some("postgres://h/db".to_owned()));
        // --directory beats DATABASE_URL; --url beats RYX_DIRECTORY
        assert_eq!(
            chosen(Some("postgres://h/db"), false, Some("ryx.toml"), true),
            Ok(dir.clone())
        );
        assert_eq!(
            chosen(Some("postgres://h/db"), true, Some("ryx.toml"), false),
            Ok(url.clone())
        );
        // alone, either is used wherever it came from
        assert_eq!(
            chosen(None, false, Some("ryx.toml"), false),
            Ok(dir.clone())
        );
        assert_eq!(chosen(Some("postgres://h/db"), false, None, false), Ok(url));
        assert_eq!(chosen(Some(" "), false, Some("ryx.toml"), false), Ok(dir));
        assert_eq!(
            chosen(None, false, Some(""), false),
            Ok(Database::Url(None))
        );
    }

    #[test]
    fn both_on_the_command_line_or_both_from_the_environment_are_refused() {
        let e = chosen(Some("postgres://h/db"), true, Some("ryx.toml"), true);
        assert_eq!(e, Err(BOTH_GIVEN.to_owned()));
        let e = chosen(Some("postgres://h/db"), false, Some("ryx.toml"), false);
        assert_eq!(e, Err(BOTH_SET.to_owned()));
    }
}
