//! An empty migration folder, as `diesel migration generate` writes one:
//! `<dir>/<version>_<name>/{up.sql, down.sql}`.

use std::path::Path;

use crate::error::Error;
use crate::make::{new_version, MadeMigration};

/// What a new `up.sql` holds: diesel's line.
const EMPTY_UP: &str = "-- Your SQL goes here\n";
/// What a new `down.sql` holds: diesel's line.
const EMPTY_DOWN: &str = "-- This file should undo anything in `up.sql`\n";

/// The longest migration name accepted, in bytes (a folder name is
/// `<version>_<name>`, and file systems allow 255 bytes).
const MAX_NAME_BYTES: usize = 200;

/// Writes an empty migration, `<dir>/<version>_<name>/{up.sql, down.sql}`
/// holding diesel's comment lines (`-- Your SQL goes here` and
/// ``-- This file should undo anything in `up.sql` ``), with the version
/// diesel and `makemigrations` use (the UTC time, `2024-05-01-093000`).
/// Creates `dir` if it is missing. Needs no database.
///
/// Refused, writing nothing: a name that is empty, longer than 200 bytes, or
/// holds anything but ASCII letters, digits, `_` and `-` (so no path
/// separators and no `..`), and a version that a folder in `dir` already
/// has (two migrations made in the same second): the runners refuse a
/// folder with two migrations of one version.
///
/// ```no_run
/// let made = ryx_migrate::new_migration("migrations".as_ref(), "add_posts_slug")?;
/// println!("edit {}", made.path.join("up.sql").display());
/// # Ok::<(), ryx_migrate::Error>(())
/// ```
pub fn new_migration(dir: &Path, name: &str) -> Result<MadeMigration, Error> {
    check_migration_name(dir, name)?;
    let version = new_version();
    let path = dir.join(format!("{version}_{name}"));
    if let Some(taken) = version_taken(dir, &version)? {
        return Err(Error::InvalidMigration {
            path,
            reason: format!(
                "its version `{version}` is already used by `{taken}` (made in the same second): \
                 run the command again in a second"
            ),
        });
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::MigrationsDir { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    // `create_dir`, not `create_dir_all`: a folder made meanwhile by someone
    // else is an error, never reused
    std::fs::create_dir(&path).map_err(io(&path))?;
    let up = path.join("up.sql");
    std::fs::write(&up, EMPTY_UP).map_err(io(&up))?;
    let down = path.join("down.sql");
    std::fs::write(&down, EMPTY_DOWN).map_err(io(&down))?;
    Ok(MadeMigration {
        path,
        up: EMPTY_UP.to_owned(),
        down: EMPTY_DOWN.to_owned(),
    })
}

/// A migration name: 1 to 200 bytes of ASCII letters, digits, `_` and `-`.
fn check_migration_name(dir: &Path, name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidMigration {
            path: dir.join(name),
            reason: format!(
                "a migration name is 1 to {MAX_NAME_BYTES} ASCII letters, digits, `_` or `-` \
                 (no path separators), e.g. `create_posts`"
            ),
        })
    }
}

/// The folder of `dir` whose version is `version`, if any (none when `dir`
/// does not exist yet).
fn version_taken(dir: &Path, version: &str) -> Result<Option<String>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::MigrationsDir {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let prefix = format!("{version}_");
    for entry in entries {
        let entry = entry.map_err(|source| Error::MigrationsDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_words() {
        let dir = Path::new("m");
        for good in ["create_posts", "add-slug", "x", "A1"] {
            assert!(check_migration_name(dir, good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_NAME_BYTES + 1);
        for bad in [
            "",
            "../x",
            "a/b",
            "a\\b",
            "..",
            "a b",
            "é",
            "a.b",
            long.as_str(),
        ] {
            let refused = check_migration_name(dir, bad);
            assert!(
                matches!(&refused, Err(Error::InvalidMigration { reason, .. }) if reason.contains("no path separators")),
                "{bad}: {refused:?}"
            );
        }
    }
}
