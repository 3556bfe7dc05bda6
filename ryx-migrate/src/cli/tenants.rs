//! `ryx tenants list | create | drop`: the tenant schemas themselves.

use clap::Subcommand;

use super::args::{MigrationsDir, SharedSchemas};
use super::output::{esay, invalid_schema, say, Failure, Format, FormatOpt, SUCCESS};
use crate::apply::{create_tenant, RunnerConnection};
use crate::backend::MigrationBackend;
use crate::error::Error;
use crate::files::FileRunner;
use crate::fleet::{self, DEFAULT_TENANT};

#[derive(Subcommand, Debug)]
pub(super) enum TenantsCommand {
    /// Every schema holding a ryx_migrations table.
    List {
        #[command(flatten)]
        format: FormatOpt,
    },
    /// Create a tenant schema and apply the folder's migrations to it (an
    /// existing tenant is left as it is).
    Create {
        /// The schema.
        schema: String,
        /// Only create the schema and its history table.
        #[arg(long)]
        no_migrate: bool,
        /// Make an existing schema that is not a ryx tenant (no ryx_migrations
        /// table) one: `tenants drop` can then drop it with everything in it.
        #[arg(long)]
        adopt: bool,
        /// Create it even if its name differs from an existing tenant's only
        /// by case or surrounding whitespace (`Acme` beside `acme`).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        dir: MigrationsDir,
        #[command(flatten)]
        shared: SharedSchemas,
    },
    /// Drop a tenant schema and everything in it (needs --yes).
    Drop {
        /// The schema.
        schema: String,
        /// Confirm: the schema and all its data are deleted.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs `ryx tenants ..`.
pub(super) fn run<C: RunnerConnection>(
    conn: &mut C,
    command: &TenantsCommand,
) -> Result<u8, Failure> {
    match command {
        TenantsCommand::List { format } => list(conn, format.format),
        TenantsCommand::Create {
            schema,
            no_migrate,
            adopt,
            force,
            dir,
            shared,
        } => create(
            conn,
            schema,
            CreateOptions {
                no_migrate: *no_migrate,
                adopt: *adopt,
                force: *force,
                dir,
                shared,
            },
        ),
        TenantsCommand::Drop { schema, yes } => drop_tenant(conn, schema, *yes),
    }
}

fn list<C: RunnerConnection>(conn: &mut C, format: Format) -> Result<u8, Failure> {
    let list = fleet::tenants(conn)?;
    match format {
        Format::Text => {
            for t in &list {
                say!("{t}");
            }
        }
        Format::Json => say!("{}", serde_json::json!(list)),
    }
    Ok(SUCCESS)
}

/// The flags of `tenants create`.
struct CreateOptions<'a> {
    no_migrate: bool,
    adopt: bool,
    force: bool,
    dir: &'a MigrationsDir,
    shared: &'a SharedSchemas,
}

/// A name as a person reads it: without surrounding whitespace, in lower
/// case. Two names that fold alike are easily mistaken for each other.
fn folded(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Creates the schema and its history table, then (unless `no_migrate`)
/// applies the folder's migrations. An existing tenant is left as it is; an
/// existing schema that is not a tenant is refused unless `adopt`; a name
/// that folds to an existing tenant's (`Acme` beside `acme`) unless `force`.
fn create<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    options: CreateOptions<'_>,
) -> Result<u8, Failure> {
    let CreateOptions {
        no_migrate,
        adopt,
        force,
        dir,
        shared,
    } = options;
    let kind = <C::DB as MigrationBackend>::KIND;
    refuse_reserved(schema)?;
    ryx_dsl::SchemaName::new_for_create(schema).map_err(invalid_schema)?;
    let schema = if kind.has_schemas() {
        schema
    } else {
        esay!("note: {kind} has no schemas; using the database itself");
        DEFAULT_TENANT
    };
    let (existed, was_tenant) = fleet::schema_state(conn, schema)?;
    if was_tenant {
        say!("{schema}: already exists (a ryx tenant); nothing done");
        if !no_migrate {
            esay!("note: to apply its pending migrations run `ryx migrate --schema {schema}`");
        }
        return Ok(SUCCESS);
    }
    if kind.has_schemas() && !force {
        let key = folded(schema);
        let alike: Vec<String> = fleet::tenants(conn)?
            .into_iter()
            .filter(|t| t != schema && folded(t) == key)
            .collect();
        if !alike.is_empty() {
            return Err(Failure::usage(format!(
                "`{schema}` differs only by case or surrounding whitespace from the existing \
                 tenant(s) {}: ryx uses names exactly as given, so this would be another \
                 schema; pass --force to create it anyway",
                alike
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if adopt {
        fleet::adopt_tenant(conn, schema)?;
    } else {
        create_tenant(conn, schema)?;
    }
    let done = if existed && kind.has_schemas() {
        "adopted"
    } else {
        "created"
    };
    if no_migrate {
        say!("{schema}: {done}");
    } else {
        let report = shared
            .apply(FileRunner::new())
            .migrations_dir(&dir.dir)
            .schema(schema)
            .run(conn)?;
        say!(
            "{schema}: {done}, {} migration(s) applied",
            report.applied.len()
        );
    }
    Ok(SUCCESS)
}

/// `public`, `information_schema` and `pg_*` as a usage error that says they
/// are reserved (the library refuses them too).
fn refuse_reserved(schema: &str) -> Result<(), Failure> {
    if schema == "public" || schema == "information_schema" {
        return Err(Error::ReservedSchema {
            schema: schema.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Drops a tenant schema through the library, which drops nothing but a ryx
/// tenant; `--yes` is this command's own guard.
fn drop_tenant<C: RunnerConnection>(conn: &mut C, schema: &str, yes: bool) -> Result<u8, Failure> {
    let kind = <C::DB as MigrationBackend>::KIND;
    refuse_reserved(schema)?;
    ryx_dsl::SchemaName::new_for_create(schema).map_err(invalid_schema)?;
    if !kind.has_schemas() {
        return Err(Failure::usage(format!(
            "{kind} has no schemas: there is no tenant schema to drop"
        )));
    }
    if !yes {
        return Err(Failure::usage(format!(
            "refusing to drop schema `{schema}` and all its data without --yes"
        )));
    }
    if !fleet::drop_tenant(conn, schema)? {
        return Err(Failure::usage(format!(
            "`{schema}` is not a ryx tenant (no ryx_migrations table in it): not dropping it"
        )));
    }
    say!("{schema}: dropped");
    Ok(SUCCESS)
}
