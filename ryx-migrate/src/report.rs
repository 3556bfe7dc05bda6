//! What a migration run did, per schema.

use std::fmt;
use std::time::Duration;

/// One migration applied to a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The migration's name (`2024-01-01-000000_create_posts`, or
    /// `model:ms_posts:create` for a model-driven step).
    pub name: String,
    /// How long it ran.
    pub duration: Duration,
}

/// A difference between the models and the live schema that ryx reports but
/// never fixes on its own (it never drops or rewrites).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Drift {
    /// A modelled table does not exist in the schema.
    MissingTable {
        /// The table.
        table: String,
    },
    /// A modelled column does not exist in the live table.
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The live table has a column the model does not declare.
    ExtraColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column's type differs from the model's.
    TypeMismatch {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The type the model maps to on this backend.
        expected: String,
        /// The type the database reports.
        found: String,
    },
    /// A column's nullability differs from the model's.
    NullabilityMismatch {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Whether the model declares it `Nullable`.
        model_nullable: bool,
    },
    /// A modelled check constraint, or a foreign key with the model's
    /// `on_delete`/`on_update` actions, that the live table lacks. ryx
    /// creates them with the table, and never adds them to an existing one
    /// (validating every row, and on SQLite rebuilding the table).
    MissingConstraint {
        /// The table.
        table: String,
        /// The constraint as the model declares it: `CHECK "<name>" (..)` or
        /// `FOREIGN KEY (col) REFERENCES t (id) ON DELETE ..`.
        constraint: String,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::MissingTable { table } => write!(f, "table `{table}` is missing"),
            Drift::MissingColumn { table, column } => {
                write!(f, "column `{table}.{column}` is missing")
            }
            Drift::ExtraColumn { table, column } => {
                write!(
                    f,
                    "column `{table}.{column}` exists but is not in the model"
                )
            }
            Drift::TypeMismatch {
                table,
                column,
                expected,
                found,
            } => write!(
                f,
                "column `{table}.{column}` is `{found}`, the model says `{expected}`"
            ),
            Drift::NullabilityMismatch {
                table,
                column,
                model_nullable,
            } => write!(
                f,
                "column `{table}.{column}` is {}, the model says {}",
                if *model_nullable {
                    "NOT NULL"
                } else {
                    "nullable"
                },
                if *model_nullable {
                    "nullable"
                } else {
                    "NOT NULL"
                }
            ),
            Drift::MissingConstraint { table, constraint } => write!(
                f,
                "table `{table}` lacks `{constraint}` (ryx adds checks and foreign-key actions only when it creates the table)"
            ),
        }
    }
}

/// A migration a dry run would apply, with its exact SQL.
///
/// [`sql`](Self::sql) is the migration's own part; [`before`](Self::before)
/// and [`after`](Self::after) are the transaction and the schema's migration
/// lock the run sends around it, per backend. When a run sends several
/// migrations in one transaction (the model runner, `FileRunner::atomic`),
/// the first one's `before` opens it and the last one's `after` ends it, so
/// the [`script`](Self::script)s of a report's planned migrations, in order,
/// are what the run sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Planned {
    /// The migration's name.
    pub name: String,
    /// The migration's statements, in order, as they would be sent (with the
    /// `search_path` setting that scopes them on PostgreSQL).
    pub sql: Vec<String>,
    /// Sent before [`sql`](Self::sql): `BEGIN` and the schema's lock
    /// (PostgreSQL `pg_advisory_xact_lock`, or `pg_advisory_lock` for a
    /// `run_in_transaction = false` migration; SQLite `BEGIN IMMEDIATE`; MySQL
    /// `GET_LOCK` then `BEGIN`), with a `--` note for a migration that runs
    /// outside a transaction.
    pub before: Vec<String>,
    /// Sent after [`sql`](Self::sql): `COMMIT`, and the release of a session
    /// lock (PostgreSQL `pg_advisory_unlock`, MySQL `RELEASE_LOCK`).
    pub after: Vec<String>,
}

impl Planned {
    /// The whole script the run sends for this migration: [`before`](Self::before),
    /// [`sql`](Self::sql), [`after`](Self::after). What `ryx sqlmigrate` and
    /// `ryx migrate --dry-run` print (each statement `;`-terminated).
    pub fn script(&self) -> impl Iterator<Item = &str> {
        self.before
            .iter()
            .chain(&self.sql)
            .chain(&self.after)
            .map(String::as_str)
    }
}

/// What a run did to one schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The schema (on SQLite and MySQL the name given, which has no effect).
    pub schema: String,
    /// Migrations applied by this run, in order.
    pub applied: Vec<Applied>,
    /// Migrations that were already applied.
    pub skipped: Vec<String>,
    /// Migrations rolled back by this run, in the order they were reverted.
    pub reverted: Vec<Applied>,
    /// Differences between the models and the live tables (never fixed automatically).
    pub drift: Vec<Drift>,
    /// With `dry_run`: what would be applied, with the exact SQL.
    pub planned: Vec<Planned>,
}

impl Report {
    pub(crate) fn new(schema: &str) -> Self {
        Report {
            schema: schema.to_owned(),
            ..Report::default()
        }
    }

    /// Whether the run changed nothing (nothing applied or reverted).
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty() && self.reverted.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.planned.is_empty() {
            writeln!(
                f,
                "{}: {} migration(s) would be applied",
                self.schema,
                self.planned.len()
            )?;
            for p in &self.planned {
                writeln!(f, "  {}", p.name)?;
            }
        } else if self.is_noop() {
            writeln!(
                f,
                "{}: up to date ({} already applied)",
                self.schema,
                self.skipped.len()
            )?;
        }
        for a in &self.applied {
            writeln!(
                f,
                "{}: applied {} in {:.1?}",
                self.schema, a.name, a.duration
            )?;
        }
        for r in &self.reverted {
            writeln!(
                f,
                "{}: reverted {} in {:.1?}",
                self.schema, r.name, r.duration
            )?;
        }
        for d in &self.drift {
            writeln!(f, "{}: drift: {d}", self.schema)?;
        }
        Ok(())
    }
}
