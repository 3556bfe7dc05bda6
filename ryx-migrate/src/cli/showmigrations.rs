//! `ryx showmigrations`: `[X]` applied and `[ ]` pending migrations, per schema.

use clap::Args;

use super::args::{MigrationsDir, Targets};
use super::output::{esay, say, Failure, Format, FormatOpt, SUCCESS, TENANT_FAILED};
use crate::apply::RunnerConnection;
use crate::backend::MigrationBackend;
use crate::error::Error;
use crate::fleet::{self, TenantStatus};
use crate::source::{load_dir, MigrationFile};

#[derive(Args, Debug)]
pub(super) struct ShowArgs {
    #[command(flatten)]
    pub(super) dir: MigrationsDir,
    #[command(flatten)]
    pub(super) targets: Targets,
    /// Only pending migrations.
    #[arg(long)]
    pub(super) unapplied: bool,
    #[command(flatten)]
    pub(super) format: FormatOpt,
}

/// Runs `ryx showmigrations`: the schemas given, or every tenant.
pub(super) fn run<C: RunnerConnection>(conn: &mut C, args: &ShowArgs) -> Result<u8, Failure> {
    let kind = <C::DB as MigrationBackend>::KIND;
    args.targets.note_if_ignored(kind);
    let migrations = load_dir(&args.dir.dir)?;
    let only = if args.targets.schemas.is_empty() || !kind.has_schemas() {
        None
    } else {
        Some(args.targets.schemas.clone())
    };
    let (statuses, missing) = statuses(conn, only.as_deref(), &migrations)?;
    match args.format.format {
        Format::Json => {
            let json = serde_json::to_string(&statuses).unwrap_or_else(|_| "[]".to_owned());
            say!("{json}");
        }
        Format::Text => {
            if missing.is_empty() || !statuses.is_empty() {
                print_text(&statuses, args.unapplied);
            }
        }
    }
    print_missing(&missing);
    Ok(if missing.is_empty() {
        SUCCESS
    } else {
        TENANT_FAILED
    })
}

/// The status of the schemas `only` names (every tenant for `None`), and
/// apart from them the schemas named that do not exist at all.
pub(super) fn statuses<C: RunnerConnection>(
    conn: &mut C,
    only: Option<&[String]>,
    migrations: &[MigrationFile],
) -> Result<(Vec<TenantStatus>, Vec<String>), Error> {
    let mut statuses = fleet::status(conn, only, migrations)?;
    // A schema asked for by name that has no history may not exist at all:
    // that is an error for that schema, not a list of pending migrations.
    let mut missing = Vec::new();
    for st in statuses.iter().filter(|st| only.is_some() && !st.exists) {
        let (exists, _) = fleet::schema_state(conn, &st.schema)?;
        if !exists {
            missing.push(st.schema.clone());
        }
    }
    statuses.retain(|st| !missing.contains(&st.schema));
    Ok((statuses, missing))
}

/// An `error:` line on stderr for each schema named that does not exist.
pub(super) fn print_missing(missing: &[String]) {
    for schema in missing {
        let schema = super::output::one_line(schema);
        esay!(
            "error: schema `{schema}` does not exist: check the name, or create it with `ryx tenants create {schema}`"
        );
    }
}

/// Each schema, then its migrations: ` [X] name` or ` [ ] name`.
pub(super) fn print_text(statuses: &[TenantStatus], unapplied: bool) {
    if statuses.is_empty() {
        say!("no tenants found (schemas with a ryx_migrations table)");
    }
    for st in statuses {
        let note = if st.exists {
            ""
        } else {
            " (no ryx history yet)"
        };
        say!("{}{note}", st.schema);
        if !unapplied {
            for name in &st.applied {
                if st.changed.contains(name) {
                    say!(" [X] {name} (changed since it was applied)");
                } else {
                    say!(" [X] {name}");
                }
            }
        }
        for name in &st.pending {
            say!(" [ ] {name}");
        }
        if !unapplied {
            for name in &st.unknown {
                say!(" [X] {name} (not in the migrations folder)");
            }
        }
    }
}
