//! `ryx redo`: reverts the last applied migration of one schema and applies
//! it again (diesel's `migration redo`), to check that its `down.sql`
//! really undoes its `up.sql`.
//!
//! On PostgreSQL both steps run in one transaction, so a failed reapply
//! leaves the schema as it was (the migration still applied). Where that
//! cannot be (SQLite, MySQL, a `run_in_transaction = false` migration) the
//! revert is committed first; a failed reapply then leaves the migration
//! reverted, and the error says so.

use clap::Args;

use super::args::{MigrationsDir, SharedSchemas};
use super::output::{chain, invalid_schema, note_no_schemas, say, Failure, SUCCESS, TENANT_FAILED};
use crate::apply::RunnerConnection;
use crate::backend::{Backend, MigrationBackend};
use crate::error::Error;
use crate::files::FileRunner;
use crate::fleet::DEFAULT_TENANT;
use crate::report::Report;

#[derive(Args, Debug)]
pub(super) struct RedoArgs {
    /// The tenant schema.
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub(super) schema: String,
    /// Redo a migration whose up.sql was edited after it was applied.
    #[arg(long)]
    allow_changed: bool,
    #[command(flatten)]
    dir: MigrationsDir,
    #[command(flatten)]
    shared: SharedSchemas,
}

/// A step of a redo inside one transaction that failed.
enum Failed {
    Revert(Error),
    Reapply(Error),
    Transaction(diesel::result::Error),
}

impl From<diesel::result::Error> for Failed {
    fn from(e: diesel::result::Error) -> Self {
        Failed::Transaction(e)
    }
}

/// Runs `ryx redo` (on SQLite and MySQL, on the database itself).
pub(super) fn run<C: RunnerConnection>(conn: &mut C, args: &RedoArgs) -> Result<u8, Failure> {
    let kind = <C::DB as MigrationBackend>::KIND;
    ryx_dsl::SchemaName::new(&args.schema).map_err(invalid_schema)?;
    let schema = if kind.has_schemas() {
        args.schema.clone()
    } else {
        note_no_schemas(kind);
        DEFAULT_TENANT.to_owned()
    };
    let runner = args
        .shared
        .apply(FileRunner::new())
        .migrations_dir(&args.dir.dir)
        .schema(schema.clone())
        .allow_changed(args.allow_changed);
    let migrations = runner.load()?;
    let last = runner
        .applied(conn)?
        .into_iter()
        .map(|row| row.name)
        .filter(|name| !name.starts_with("model:"))
        .max()
        .ok_or_else(|| {
            Failure::usage(format!(
                "schema `{schema}` has no applied migration to redo: apply one first with \
                 `ryx migrate --schema {}`",
                args.schema
            ))
        })?;
    // reapply only that migration, not others still pending
    let found = migrations.into_iter().find(|m| m.name == last);
    let in_transaction = found.as_ref().is_none_or(|m| m.run_in_transaction);
    let reapply = runner.clone().migrations(found.into_iter().collect());
    let (reverted, applied) = if kind == Backend::PostgreSQL && in_transaction {
        let result = conn.transaction::<_, Failed, _>(|conn| {
            let reverted = runner.rollback(conn, 1).map_err(Failed::Revert)?;
            let applied = reapply.run(conn).map_err(Failed::Reapply)?;
            Ok((reverted, applied))
        });
        match result {
            Ok(done) => done,
            Err(Failed::Revert(e)) => return Err(e.into()),
            Err(Failed::Reapply(e)) => {
                return Err(Failure {
                    message: format!(
                    "{schema}: `{last}` was reverted, but applying it again failed, so the whole \
                         redo was rolled back: `{last}` is still applied, as before: {}",
                    chain(&e)
                ),
                    code: TENANT_FAILED,
                })
            }
            Err(Failed::Transaction(e)) => {
                return Err(Failure {
                    message: format!(
                        "{schema}: the redo of `{last}` could not commit: {e}; see where it stands \
                         with `ryx showmigrations --schema {schema}`"
                    ),
                    code: TENANT_FAILED,
                })
            }
        }
    } else {
        let reverted = runner.rollback(conn, 1)?;
        print_reverted(&reverted);
        let applied = reapply.run(conn).map_err(|e| Failure {
            message: format!(
                "{schema}: `{last}` was reverted, but applying it again failed: it is now NOT \
                 applied (its down.sql ran; its up.sql was rolled back, except for DDL a backend \
                 committed implicitly); fix it and run `ryx migrate --schema {}`: {}",
                args.schema,
                chain(&e)
            ),
            code: TENANT_FAILED,
        })?;
        (Report::default(), applied)
    };
    print_reverted(&reverted);
    for a in &applied.applied {
        say!(
            "{}: applied {} in {:.1?}",
            applied.schema,
            a.name,
            a.duration
        );
    }
    Ok(SUCCESS)
}

fn print_reverted(report: &Report) {
    for r in &report.reverted {
        say!(
            "{}: reverted {} in {:.1?}",
            report.schema,
            r.name,
            r.duration
        );
    }
}
