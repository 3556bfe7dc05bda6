//! `--url` and `--backend`: which backend, and which database of it.

use std::path::Path;

use clap::builder::{PossibleValuesParser, TypedValueParser};

use super::output::Failure;
use crate::backend::Backend;

/// Every backend, in the order the command line lists them.
const BACKENDS: [Backend; 3] = [Backend::PostgreSQL, Backend::MySQL, Backend::SQLite];

/// The database a command runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The backend the URL names.
    pub(super) backend: Backend,
    /// What to connect to: the URL, or for SQLite the file's path.
    pub(super) url: String,
}

/// A backend's name on the command line (`--backend postgres`), which is also
/// the name of the cargo feature that builds it in.
pub(super) fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::PostgreSQL => "postgres",
        Backend::MySQL => "mysql",
        Backend::SQLite => "sqlite",
    }
}

/// `--backend`'s parser: one of the [`backend_name`]s, as the library's
/// [`Backend`] (clap lists the names in `--help` and in its error).
pub(super) fn backend_parser() -> impl TypedValueParser<Value = Backend> {
    PossibleValuesParser::new(BACKENDS.map(backend_name)).try_map(|name| {
        BACKENDS
            .into_iter()
            .find(|b| backend_name(*b) == name)
            .ok_or("not a backend")
    })
}

/// The error for a backend this binary was built without.
pub(super) fn not_built(backend: Backend) -> Failure {
    Failure::usage(format!(
        "this ryx was built without {backend} support: build it with the `{}` cargo feature",
        backend_name(backend)
    ))
}

/// `--url` (or `DATABASE_URL`): `postgres://..`, `postgresql://..`,
/// `mysql://..`, `sqlite://PATH`, or a plain path to an SQLite file.
pub(super) fn parse_url(url: Option<&str>) -> Result<Target, Failure> {
    let url = url.map(str::trim).filter(|u| !u.is_empty()).ok_or_else(|| {
        Failure::usage("no database URL: pass --url postgres://user@host/db (or mysql://.., sqlite://PATH) or set DATABASE_URL")
    })?;
    let target = |backend: Backend, url: &str| Target {
        backend,
        url: url.to_owned(),
    };
    match Backend::of_url(url) {
        Some(Backend::SQLite) => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.is_empty() {
                return Err(Failure::usage(
                    "sqlite:// needs a file path, e.g. sqlite://app.db",
                ));
            }
            Ok(target(Backend::SQLite, path))
        }
        Some(backend) => Ok(target(backend, url)),
        None => {
            let scheme = url.split_once("://").map_or(url, |(scheme, _)| scheme);
            Err(Failure::usage(format!(
                "unsupported database URL scheme `{scheme}://`: use postgres://, mysql:// or sqlite://PATH"
            )))
        }
    }
}

/// Refuses an SQLite path that cannot work before diesel opens it: a folder
/// that does not exist, or (for a command that only reads, and so must not
/// create an empty database) a file that does not exist.
pub(super) fn check_sqlite_file(path: &str, writes: bool) -> Result<(), Failure> {
    let parent = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        if !parent.exists() {
            return Err(Failure::usage(format!(
                "cannot open the SQLite database {path}: the folder {} does not exist",
                parent.display()
            )));
        }
    }
    if !writes && !Path::new(path).exists() {
        return Err(Failure::usage(format!(
            "no SQLite database at {path}: check the path (this command does not create one)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Result<Target, String> {
        parse_url(Some(url)).map_err(|f| f.message)
    }

    #[test]
    fn server_urls_keep_the_whole_url() {
        for (url, backend) in [
            ("postgres://u@h/db", Backend::PostgreSQL),
            (
                "postgresql://u@h:5433/db?sslmode=disable",
                Backend::PostgreSQL,
            ),
            ("mysql://root@127.0.0.1:3306/db", Backend::MySQL),
        ] {
            assert_eq!(
                parsed(url),
                Ok(Target {
                    backend,
                    url: url.to_owned()
                })
            );
        }
        assert_eq!(
            parsed("  postgres://u@h/db \n").map(|t| t.url),
            Ok("postgres://u@h/db".to_owned())
        );
    }

    #[test]
    fn sqlite_urls_and_plain_paths_are_file_paths() {
        let sqlite = |path: &str| {
            Ok(Target {
                backend: Backend::SQLite,
                url: path.to_owned(),
            })
        };
        assert_eq!(parsed("sqlite://app.db"), sqlite("app.db"));
        assert_eq!(
            parsed("sqlite:///var/lib/app.db"),
            sqlite("/var/lib/app.db")
        );
        assert_eq!(parsed("data/app.sqlite3"), sqlite("data/app.sqlite3"));
        assert_eq!(parsed(":memory:"), sqlite(":memory:"));
        let empty = parsed("sqlite://").unwrap_err();
        assert!(empty.contains("needs a file path"), "{empty}");
    }

    #[test]
    fn unknown_schemes_and_no_url_are_usage_errors() {
        let e = parse_url(Some("http://example")).unwrap_err();
        assert_eq!(e.code, super::super::output::USAGE);
        assert!(
            e.message
                .contains("unsupported database URL scheme `http://`"),
            "{}",
            e.message
        );
        let e = parsed("mariadb://root@h/db").unwrap_err();
        assert!(e.contains("`mariadb://`"), "{e}");
        for missing in [None, Some(""), Some("   ")] {
            let e = parse_url(missing).unwrap_err();
            assert!(e.message.starts_with("no database URL"), "{}", e.message);
        }
    }

    #[test]
    fn backend_names_are_the_cargo_features() {
        let names: Vec<&str> = BACKENDS.iter().map(|b| backend_name(*b)).collect();
        assert_eq!(names, ["postgres", "mysql", "sqlite"]);
        let e = not_built(Backend::MySQL);
        assert!(
            e.message.contains("without MySQL support")
                && e.message.contains("`mysql` cargo feature")
        );
    }

    #[test]
    fn the_backend_parser_maps_names_to_backends() {
        let cmd = clap::Command::new("t");
        let parse = |v: &str| {
            backend_parser()
                .parse_ref(&cmd, None, std::ffi::OsStr::new(v))
                .ok()
        };
        assert_eq!(parse("postgres"), Some(Backend::PostgreSQL));
        assert_eq!(parse("mysql"), Some(Backend::MySQL));
        assert_eq!(parse("sqlite"), Some(Backend::SQLite));
        assert_eq!(parse("PostgreSQL"), None);
        let listed: Vec<String> = backend_parser()
            .possible_values()
            .map(|values| values.map(|v| v.get_name().to_owned()).collect())
            .unwrap_or_default();
        assert_eq!(listed, ["postgres", "mysql", "sqlite"]);
    }

    #[test]
    fn sqlite_files_that_cannot_work_are_refused() {
        let e = check_sqlite_file("/no/such/folder/app.db", true).unwrap_err();
        assert!(
            e.message
                .contains("the folder /no/such/folder does not exist"),
            "{}",
            e.message
        );
        let missing = std::env::temp_dir().join("ryx_cli_url_test_missing.db");
        let missing = missing.to_str().unwrap_or_default();
        let e = check_sqlite_file(missing, false).unwrap_err();
        assert!(
            e.message.starts_with("no SQLite database at"),
            "{}",
            e.message
        );
        assert!(check_sqlite_file(missing, true).is_ok());
        assert!(check_sqlite_file("relative.db", true).is_ok());
    }
}
