//! File-driven migrations: diesel's migration folders, per schema.

use std::path::PathBuf;

use crate::apply::{self, db_error, ApplyOptions, RunnerConnection, Step};
use crate::backend::MigrationBackend;
use crate::ddl::DDLGenerator;
use crate::error::Error;
use crate::metadata::{RyxTable, TableState};
use crate::models::diff_columns;
use crate::report::{Drift, Report};
use crate::source::{self, MigrationFile};

/// Where a [`FileRunner`]'s migrations come from.
#[derive(Debug, Clone)]
enum Source {
    Dir(PathBuf),
    Loaded(Vec<MigrationFile>),
}

/// Applies diesel-style migration folders (`migrations/<version>_<name>/{up.sql,
/// down.sql, metadata.toml}`) to one schema, and rolls them back.
///
/// - Each migration runs in its own transaction holding the schema's advisory
///   lock (PostgreSQL; `BEGIN IMMEDIATE` on SQLite), with `SET LOCAL
///   search_path` to the schema followed by the [shared
///   schemas](Self::shared_schemas) (`public` unless configured): unqualified
///   names that a migration creates land in the tenant's schema, and
///   functions and types installed in `public` (diesel's
///   `diesel_manage_updated_at`, an extension's types) are found. Before the transaction ends ryx sets `search_path` back to the
///   value it found (also with `SET LOCAL`), so the caller's value is never
///   changed: not inside a transaction of the caller's (where ryx's
///   transaction is a savepoint, and a `SET LOCAL` would otherwise last until
///   the caller's transaction ends), and never the session's.
/// - `run_in_transaction = false` migrations (`CREATE INDEX CONCURRENTLY`) run
///   outside any transaction under a session advisory lock; `SET LOCAL` cannot
///   scope them, so ryx sets the session's `search_path` to the schema for
///   their duration and restores the session's previous value right after, on
///   success and on failure.
/// - What is applied is recorded in the schema's own `ryx_migrations` with a
///   checksum of its `up.sql` (SHA-256, `\r\n` read as `\n`): an `up.sql`
///   edited after it was applied is an error, unless
///   [`allow_changed`](Self::allow_changed). `down.sql` is not covered (the
///   history records what was applied; `down.sql` is read when a rollback
///   runs), nor are line endings. Rows written by ryx 0.1, whose checksum
///   also covered `down.sql`, still match.
/// - On PostgreSQL the same transaction sets the history table's comment to
///   a digest of its rows, which lets [`fleet::status`](crate::fleet::status)
///   find up-to-date tenants without reading their history tables. Setting a
///   comment needs ownership of the table: run migrations as the role that
///   owns `ryx_migrations` (the one that created it).
/// - A failing migration leaves nothing behind (MySQL: except DDL that ran
///   before the failure) and writes no history row.
///
/// # Inside a transaction of the caller's
///
/// On PostgreSQL, [`run`](Self::run) and [`rollback`](Self::rollback) may be
/// called inside `conn.transaction(..)`: each migration is then a savepoint,
/// and everything (the history rows included) commits or rolls back with the
/// caller's transaction, which also holds the schema's lock until it ends.
/// Otherwise a run that cannot leave the caller's transaction intact is
/// refused before anything is changed, with [`Error::InTransaction`]:
///
/// - a pending (or, for a rollback, reverted) `run_in_transaction = false`
///   migration on PostgreSQL: it cannot run inside a transaction block;
/// - any run on MySQL, which commits DDL implicitly (the caller's earlier
///   writes would be committed and its savepoints lost), and on SQLite, where
///   `BEGIN IMMEDIATE` cannot nest;
/// - a transaction begun with raw SQL (`BEGIN` through `batch_execute`), which
///   diesel does not track: ryx's own transaction would commit it.
///
/// Dry runs, [`pending`](Self::pending), [`applied`](Self::applied) and
/// [`drift`](Self::drift) only read, and run anywhere.
///
/// ```no_run
/// # use ryx_migrate::FileRunner;
/// # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// let report = FileRunner::new().migrations_dir("migrations").schema("tenant1").run(conn)?;
/// FileRunner::new().migrations_dir("migrations").schema("tenant1").rollback(conn, 1)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a runner does nothing until `.run(..)` is called"]
pub struct FileRunner {
    source: Source,
    schema: Option<String>,
    models: Vec<TableState>,
    shared: Vec<String>,
    atomic: bool,
    allow_changed: bool,
    dry_run: bool,
}

impl Default for FileRunner {
    fn default() -> Self {
        FileRunner {
            source: Source::Dir(PathBuf::from("migrations")),
            schema: None,
            models: Vec::new(),
            shared: apply::DEFAULT_SHARED_SCHEMAS.map(str::to_owned).to_vec(),
            atomic: false,
            allow_changed: false,
            dry_run: false,
        }
    }
}

impl FileRunner {
    /// A runner for `./migrations`, the `public` schema (on SQLite and MySQL,
    /// the connection's database).
    pub fn new() -> Self {
        Self::default()
    }

    /// The migrations folder (default `migrations`).
    pub fn migrations_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.source = Source::Dir(dir.into());
        self
    }

    /// Migrations from a `diesel_migrations` source, e.g.
    /// `const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");`.
    #[cfg(feature = "sqlite")]
    pub fn embedded<S>(mut self, source: &S) -> Result<Self, Error>
    where
        S: diesel::migration::MigrationSource<diesel::sqlite::Sqlite> + ?Sized,
    {
        self.source = Source::Loaded(source::load_source(source)?);
        Ok(self)
    }

    /// Migrations already loaded (see [`load_dir`](crate::load_dir)).
    pub fn migrations(mut self, migrations: Vec<MigrationFile>) -> Self {
        self.source = Source::Loaded(migrations);
        self
    }

    /// The schema to migrate (default `public`). SQLite and MySQL have no
    /// schemas: there the runner migrates the connection's database, and the
    /// name (default `default`) only labels reports and errors.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// The schemas on a migration's `search_path` after the tenant's own
    /// (default `["public"]`; PostgreSQL only), in order: a migration's
    /// unqualified names are looked up in the tenant's schema first, then in
    /// these, so it can call functions and use types installed there, such as
    /// diesel's `diesel_manage_updated_at` (from diesel's
    /// `00000000000000_diesel_initial_setup`) or an extension's. What a
    /// migration creates always lands in the tenant's schema, the first on
    /// the path.
    ///
    /// One caution, as with any `search_path`: a name the tenant does not
    /// have is looked up in the shared schemas too, so `ALTER TABLE users ..`
    /// in a tenant without a `users` table would alter `public.users`. Keep
    /// tenant tables out of the shared schemas, or pass an empty list to
    /// have only the tenant's schema on the path:
    ///
    /// ```no_run
    /// # use ryx_migrate::FileRunner;
    /// let tenant_only = FileRunner::new().schema("acme").shared_schemas(Vec::<String>::new());
    /// let with_extensions = FileRunner::new().schema("acme").shared_schemas(["extensions", "public"]);
    /// ```
    ///
    /// Each name must be a valid schema name ([`Error::InvalidSchemaName`]
    /// when the run starts).
    pub fn shared_schemas<S: Into<String>>(mut self, schemas: impl IntoIterator<Item = S>) -> Self {
        self.shared = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// A model to compare with the live tables after the files are applied;
    /// differences are reported as drift ([`Report::drift`](crate::Report)),
    /// so a migration folder that falls behind the models is noticed.
    pub fn model<T: RyxTable>(mut self) -> Self {
        self.models.push(T::default().table_state());
        self
    }

    /// Applies all pending migrations in one transaction (default `false`: one
    /// transaction per migration). PostgreSQL and SQLite only undo everything on
    /// failure; MySQL commits DDL implicitly, so the migrations before the
    /// failing one stay applied and recorded (and are listed in the error's
    /// report).
    pub fn atomic(mut self, atomic: bool) -> Self {
        self.atomic = atomic;
        self
    }

    /// Accepts migrations whose `up.sql` was edited after they were applied,
    /// for [`run`](Self::run) and [`rollback`](Self::rollback) (default
    /// `false`: that is an error naming the migration).
    pub fn allow_changed(mut self, allow: bool) -> Self {
        self.allow_changed = allow;
        self
    }

    /// Returns the exact SQL per pending migration in [`Report::planned`]
    /// without changing the database (default `false`).
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The schema, or the default: `public` on PostgreSQL, and on SQLite
    /// and MySQL (where it only labels reports and errors)
    /// [`DEFAULT_TENANT`](crate::fleet::DEFAULT_TENANT), as the CLI calls the
    /// database's one tenant.
    fn schema_name<DB: crate::backend::MigrationBackend>(&self) -> &str {
        match &self.schema {
            Some(schema) => schema,
            None if DB::KIND.has_schemas() => "public",
            None => crate::fleet::DEFAULT_TENANT,
        }
    }

    /// The migrations, loaded and sorted by version.
    pub fn load(&self) -> Result<Vec<MigrationFile>, Error> {
        match &self.source {
            Source::Dir(dir) => source::load_dir(dir),
            Source::Loaded(m) => Ok(m.clone()),
        }
    }

    fn steps(&self) -> Result<Vec<Step>, Error> {
        Ok(self.load()?.iter().map(Step::from).collect())
    }

    /// Applies the pending migrations to the schema.
    pub fn run<C: RunnerConnection>(&self, conn: &mut C) -> Result<Report, Error> {
        let schema = self.schema_name::<C::DB>();
        ryx_dsl::SchemaName::new_for_create(schema)?;
        apply::check_shared(&self.shared)?;
        let steps = self.steps()?;
        let mut report = Report::new(schema);
        let opts = ApplyOptions {
            atomic: self.atomic,
            allow_changed: self.allow_changed,
            shared: &self.shared,
        };
        if self.dry_run {
            let rows = apply::history(conn, schema)?;
            let todo = apply::pending(schema, &steps, &rows, opts, &mut report)?;
            report.planned = apply::planned_run::<C::DB>(schema, &self.shared, todo, self.atomic);
            return Ok(report);
        }
        apply::apply(conn, schema, &steps, opts, &mut report)?;
        report.drift = self.drift(conn)?;
        Ok(report)
    }

    /// Reverts the last `steps` applied migrations of the schema, newest first.
    pub fn rollback<C: RunnerConnection>(
        &self,
        conn: &mut C,
        steps: usize,
    ) -> Result<Report, Error> {
        let schema = self.schema_name::<C::DB>();
        ryx_dsl::SchemaName::new(schema)?;
        apply::check_shared(&self.shared)?;
        let all = self.steps()?;
        let mut report = Report::new(schema);
        let opts = ApplyOptions {
            atomic: false,
            allow_changed: self.allow_changed,
            shared: &self.shared,
        };
        apply::revert(conn, schema, &all, steps, opts, &mut report)?;
        Ok(report)
    }

    /// The migrations not yet applied to the schema.
    pub fn pending<C: RunnerConnection>(&self, conn: &mut C) -> Result<Vec<String>, Error> {
        let schema = self.schema_name::<C::DB>();
        ryx_dsl::SchemaName::new(schema)?;
        let steps = self.steps()?;
        let rows = apply::history(conn, schema)?;
        Ok(steps
            .into_iter()
            .filter(|s| !rows.iter().any(|r| r.name == s.name))
            .map(|s| s.name)
            .collect())
    }

    /// The schema's history: every applied migration, oldest name first.
    pub fn applied<C: RunnerConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Vec<crate::HistoryRow>, Error> {
        let schema = self.schema_name::<C::DB>();
        ryx_dsl::SchemaName::new(schema)?;
        apply::history(conn, schema)
    }

    /// Compares the registered models with the live tables.
    pub fn drift<C: RunnerConnection>(&self, conn: &mut C) -> Result<Vec<Drift>, Error> {
        let schema = self.schema_name::<C::DB>();
        let kind = C::DB::KIND;
        let gen = DDLGenerator::new(kind).in_schema(schema);
        let mut out = Vec::new();
        if self.models.is_empty() {
            return Ok(out);
        }
        let live_tables =
            C::DB::live_tables(conn, schema).map_err(db_error(schema, "list the tables"))?;
        for table in &self.models {
            if !live_tables.contains(&table.name) {
                out.push(Drift::MissingTable {
                    table: table.name.clone(),
                });
                continue;
            }
            let live = C::DB::live_columns(conn, schema, &table.name)
                .map_err(db_error(schema, "read the columns"))?;
            let (missing, drift) = diff_columns(kind, &gen, table, &live);
            out.extend(missing.into_iter().map(|c| Drift::MissingColumn {
                table: table.name.clone(),
                column: c.name.clone(),
            }));
            out.extend(drift);
        }
        Ok(out)
    }
}
