//! Migration sources: diesel's folder layout and `diesel_migrations::embed_migrations!`.

use std::path::{Path, PathBuf};

use crate::checksum::{checksum_matches, migration_checksum};
use crate::error::Error;

/// One migration, loaded: its name, SQL and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// `<version>_<name>`, the folder's name (diesel's convention).
    pub name: String,
    /// The `up.sql` text.
    pub up: String,
    /// The `down.sql` text, if any.
    pub down: Option<String>,
    /// `metadata.toml`'s `run_in_transaction` (default `true`).
    pub run_in_transaction: bool,
    /// Where it came from (a folder, or `embedded`), for messages.
    pub origin: String,
}

impl MigrationFile {
    /// The checksum recorded in the history: SHA-256 over `up.sql` only, with
    /// `\r\n` read as `\n` (an edited `down.sql` or a CRLF checkout is not a
    /// change).
    pub fn checksum(&self) -> String {
        migration_checksum(&self.up)
    }

    /// Whether a history row's `recorded` checksum matches this migration:
    /// [`checksum`](Self::checksum), or the checksum ryx 0.1
    /// recorded (over `up.sql` and `down.sql`), so its histories stay valid.
    pub fn checksum_matches(&self, recorded: &str) -> bool {
        checksum_matches(recorded, &self.up, self.down.as_deref())
    }

    /// The version: the part of the name before the first `_`.
    pub fn version(&self) -> &str {
        self.name.split('_').next().unwrap_or(&self.name)
    }
}

#[derive(serde::Deserialize)]
struct Metadata {
    #[serde(default = "yes")]
    run_in_transaction: bool,
}

fn yes() -> bool {
    true
}

fn parse_metadata(text: &str, path: &Path) -> Result<bool, Error> {
    toml::from_str::<Metadata>(text)
        .map(|m| m.run_in_transaction)
        .map_err(|e| Error::InvalidMigration {
            path: path.to_path_buf(),
            reason: format!("metadata.toml: {e}"),
        })
}

fn read(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::InvalidMigration {
            path: path.to_path_buf(),
            reason: format!("cannot read it: {e}"),
        }),
    }
}

/// Loads a diesel-style migrations folder: one sub-folder per migration,
/// `<version>_<name>/{up.sql, down.sql, metadata.toml}`, sorted by name.
/// Folders without `up.sql` (such as diesel's `.keep`) are an error unless
/// they start with `.`; `00000000000000_diesel_initial_setup` is skipped (it
/// installs diesel's own helper functions, not part of a tenant's schema).
pub fn load_dir(dir: impl AsRef<Path>) -> Result<Vec<MigrationFile>, Error> {
    let dir = dir.as_ref();
    let entries = std::fs::read_dir(dir).map_err(|source| Error::MigrationsDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::MigrationsDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path: PathBuf = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !path.is_dir() {
            continue;
        }
        if name == "00000000000000_diesel_initial_setup" {
            continue;
        }
        if !name.contains('_') || name.starts_with('_') {
            return Err(Error::InvalidMigration {
                path,
                reason: "a migration folder is named `<version>_<name>`, e.g. `2024-01-01-000000_create_posts`".into(),
            });
        }
        let up = read(&path.join("up.sql"))?.ok_or_else(|| Error::InvalidMigration {
            path: path.clone(),
            reason: "it has no up.sql".into(),
        })?;
        let down = read(&path.join("down.sql"))?;
        let run_in_transaction = match read(&path.join("metadata.toml"))? {
            Some(text) => parse_metadata(&text, &path.join("metadata.toml"))?,
            None => true,
        };
        out.push(MigrationFile {
            name,
            up,
            down,
            run_in_transaction,
            origin: path.display().to_string(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    check_unique_versions(&out)?;
    Ok(out)
}

fn check_unique_versions(migrations: &[MigrationFile]) -> Result<(), Error> {
    for pair in migrations.windows(2) {
        if pair[0].version() == pair[1].version() {
            return Err(Error::InvalidMigration {
                path: PathBuf::from(&pair[1].origin),
                reason: format!(
                    "its version `{}` is also used by `{}`: give each migration its own version",
                    pair[1].version(),
                    pair[0].name
                ),
            });
        }
    }
    Ok(())
}

/// Reads the migrations of a `diesel_migrations` source (for example
/// `embed_migrations!("migrations")`), so a diesel project's embedded
/// migrations run per schema unchanged.
///
/// diesel's `Migration` trait only runs SQL; to checksum and scope it ryx needs
/// the text, so each migration is run once against a throwaway, read-only
/// in-memory SQLite database that records (and refuses) what it is sent.
#[cfg(feature = "sqlite")]
pub fn load_source<S>(source: &S) -> Result<Vec<MigrationFile>, Error>
where
    S: diesel::migration::MigrationSource<diesel::sqlite::Sqlite> + ?Sized,
{
    use diesel::connection::{Connection, InstrumentationEvent, SimpleConnection};
    use std::sync::{Arc, Mutex};

    let migrations = source.migrations().map_err(Error::Source)?;
    let scratch = |source| Error::ScratchDatabase {
        purpose: "read the embedded migrations",
        source,
    };
    let mut out = Vec::with_capacity(migrations.len());
    for migration in migrations {
        // The SQL the migration sent, or its error if it failed without
        // sending any.
        let capture = |f: &dyn Fn(
            &mut diesel::SqliteConnection,
        ) -> diesel::migration::Result<()>|
         -> Result<diesel::migration::Result<String>, Error> {
            let mut conn = diesel::SqliteConnection::establish(":memory:").map_err(scratch)?;
            conn.batch_execute("PRAGMA query_only = ON")
                .map_err(|e| scratch(diesel::ConnectionError::CouldntSetupConfiguration(e)))?;
            let seen: Arc<Mutex<Vec<String>>> = Arc::default();
            let sink = Arc::clone(&seen);
            conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { query, .. } = event {
                    if let Ok(mut seen) = sink.lock() {
                        seen.push(query.to_string());
                    }
                }
            });
            let result = f(&mut conn);
            let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
            match (seen.into_iter().next(), result) {
                (Some(text), _) => Ok(Ok(text)),
                (None, Ok(())) => Ok(Ok(String::new())),
                (None, Err(e)) => Ok(Err(e)),
            }
        };
        let name = migration.name().to_string();
        let up = capture(&|c| migration.run(c))?.map_err(|source| Error::SourceMigration {
            migration: name.clone(),
            source,
        })?;
        let down = capture(&|c| migration.revert(c))?.ok();
        out.push(MigrationFile {
            name,
            up,
            down,
            run_in_transaction: migration.metadata().run_in_transaction(),
            origin: "embedded".to_owned(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    check_unique_versions(&out)?;
    Ok(out)
}
