//! `makemigrations`: a new migration folder from the difference between the
//! models and what the folder's migrations already build.

use std::path::{Path, PathBuf};

use crate::apply::RunnerConnection;
use crate::backend::{Backend, MigrationBackend};
use crate::ddl::DDLGenerator;
use crate::error::Error;
use crate::metadata::TableState;
use crate::models::{changes, Change};
use crate::source::load_dir;

/// A migration written by [`make_migration`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeMigration {
    /// The new folder, `<dir>/<version>_<name>`.
    pub path: PathBuf,
    /// What `up.sql` holds.
    pub up: String,
    /// What `down.sql` holds.
    pub down: String,
}

/// Builds the folder's migrations in a scratch place, compares the models with
/// the result, and writes `<dir>/<version>_<name>/{up.sql, down.sql}` with the
/// difference (unqualified names, so the migration runs in any schema).
/// Returns `None`, writing nothing, when there is no difference.
///
/// The scratch place is a schema inside a transaction that is rolled back
/// (PostgreSQL), or an in-memory database (SQLite). MySQL cannot roll back
/// DDL, so it is not supported there.
pub fn make_migration<C: RunnerConnection>(
    conn: &mut C,
    dir: &Path,
    tables: &[TableState],
    name: &str,
) -> Result<Option<MadeMigration>, Error> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::InvalidMigration {
            path: dir.join(name),
            reason: "a migration name uses letters, digits and `_` only, e.g. `add_posts_slug`"
                .into(),
        });
    }
    let kind = C::DB::KIND;
    let migrations = if dir.exists() {
        load_dir(dir)?
    } else {
        Vec::new()
    };
    let found = match kind {
        Backend::PostgreSQL => {
            let scratch = format!("ryx_makemigrations_{}", std::process::id());
            let mut captured: Option<Result<Vec<Change>, Error>> = None;
            let _ = conn.transaction(|c| -> diesel::QueryResult<()> {
                captured = Some(build_and_diff(c, &scratch, &migrations, tables));
                Err(diesel::result::Error::RollbackTransaction)
            });
            captured.unwrap_or_else(|| Ok(Vec::new()))?
        }
        #[cfg(feature = "sqlite")]
        Backend::SQLite => scratch_sqlite(&migrations, tables)?,
        // Unreachable: without the feature there is no SQLite connection to pass.
        #[cfg(not(feature = "sqlite"))]
        Backend::SQLite => {
            return Err(Error::InvalidMigration {
                path: dir.to_path_buf(),
                reason: "makemigrations on SQLite needs ryx's `sqlite` feature".into(),
            })
        }
        Backend::MySQL => return Err(Error::InvalidMigration {
            path: dir.to_path_buf(),
            reason:
                "makemigrations needs PostgreSQL or SQLite to build the folder in a scratch place \
                         (MySQL cannot roll back DDL); point --url at one of those"
                    .into(),
        }),
    };
    let found: Vec<Change> = found
        .into_iter()
        .filter(|c| !matches!(c, Change::CreateSchema))
        .collect();
    if found.is_empty() {
        return Ok(None);
    }
    let gen = DDLGenerator::new(kind);
    let mut up = Vec::new();
    let mut down = Vec::new();
    for change in &found {
        up.extend(change.up(&gen, "")?);
        down.extend(change.down(&gen)?);
    }
    down.reverse();
    let path = dir.join(format!("{}_{name}", new_version()));
    let io = |source: std::io::Error| Error::MigrationsDir {
        path: path.clone(),
        source,
    };
    let up = up.join(";\n") + ";\n";
    let down = down.join(";\n") + ";\n";
    std::fs::create_dir_all(&path).map_err(io)?;
    std::fs::write(path.join("up.sql"), &up).map_err(io)?;
    std::fs::write(path.join("down.sql"), &down).map_err(io)?;
    Ok(Some(MadeMigration { path, up, down }))
}

/// The version of a migration made now: diesel's, the UTC time as
/// `%Y-%m-%d-%H%M%S` (`2024-05-01-093000`), so new folders sort after older ones.
pub(crate) fn new_version() -> String {
    chrono::Utc::now().format("%Y-%m-%d-%H%M%S").to_string()
}

/// Applies `migrations` into `scratch` (inside the caller's transaction) and
/// diffs the models against it.
fn build_and_diff<C: RunnerConnection>(
    conn: &mut C,
    scratch: &str,
    migrations: &[crate::MigrationFile],
    tables: &[TableState],
) -> Result<Vec<Change>, Error> {
    let gen = DDLGenerator::new(C::DB::KIND);
    let db = |source| Error::MigrationFailed {
        schema: scratch.to_owned(),
        migration: "(scratch build)".to_owned(),
        source,
        report: Box::default(),
    };
    if let Some(sql) = gen.create_schema(scratch)? {
        conn.batch_execute(&sql).map_err(db)?;
    }
    // as the file runner runs them: the scratch schema, then `public`
    let shared = crate::apply::DEFAULT_SHARED_SCHEMAS.map(str::to_owned);
    let search_path = crate::apply::search_path_value(C::DB::KIND, scratch, &shared);
    for m in migrations {
        C::DB::scope_transaction(conn, &search_path).map_err(db)?;
        conn.batch_execute(&m.up)
            .map_err(|source| Error::MigrationFailed {
                schema: scratch.to_owned(),
                migration: m.name.clone(),
                source,
                report: Box::default(),
            })?;
    }
    Ok(changes(conn, scratch, tables)?.0)
}

#[cfg(feature = "sqlite")]
fn scratch_sqlite(
    migrations: &[crate::MigrationFile],
    tables: &[TableState],
) -> Result<Vec<Change>, Error> {
    use diesel::Connection;
    let mut conn = diesel::SqliteConnection::establish(":memory:").map_err(|source| {
        Error::ScratchDatabase {
            purpose: "build the migrations folder in",
            source,
        }
    })?;
    build_and_diff(&mut conn, "main", migrations, tables)
}
