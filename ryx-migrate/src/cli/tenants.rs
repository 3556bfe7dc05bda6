//! `ryx tenants list | create | rename | drop`: the tenant schemas
//! themselves. Cloning, renaming and sizes call `crate::lifecycle`
//! (PostgreSQL only).

use clap::{Subcommand, ValueEnum};

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
    #[command(after_help = "Examples:\n  \
        ryx tenants list\n  \
        ryx tenants list --sizes --sort size          # biggest first (PostgreSQL)\n  \
        ryx tenants list --sizes --format json\n\n\
        With --sizes, one catalog query: tables, estimated rows (pg_class.reltuples; \
        `?` until the tables are vacuumed or analyzed) and bytes on disk, indexes and TOAST \
        included (pg_class.relpages, as recent as the row estimates; --exact reads \
        pg_total_relation_size instead).")]
    List {
        /// Also print each tenant's tables, estimated rows and size on disk
        /// (PostgreSQL).
        #[arg(long)]
        sizes: bool,
        /// The order of --sizes: by name, by size (largest first) or by
        /// estimated rows (most first).
        #[arg(long, value_enum, default_value_t = SortBy::Name, requires = "sizes")]
        sort: SortBy,
        /// With --sizes: read the bytes from the files now
        /// (pg_total_relation_size) rather than the catalog's estimate; several
        /// times slower, and it waits for migrations (it opens and locks every
        /// table).
        #[arg(long, requires = "sizes")]
        exact: bool,
        #[command(flatten)]
        format: FormatOpt,
    },
    /// Create a tenant schema and apply the folder's migrations to it, or copy
    /// an existing tenant with --from (an existing tenant is left as it is).
    #[command(after_help = "Examples:\n  \
        ryx tenants create acme --dir migrations\n  \
        ryx tenants create acme --from template_tenant               # copy, no migrations replayed\n  \
        ryx tenants create demo_42 --from demo_template --with-data  # rows too\n\n\
        --from copies the template's tables, columns, defaults, identity and serial sequences, \
        constraints (foreign keys point into the copy), indexes, views, comments and its \
        ryx_migrations history, in one transaction under both schemas' locks; a failure \
        leaves no new schema. PostgreSQL only.")]
    Create {
        /// The schema.
        schema: String,
        /// Only create the schema and its history table.
        #[arg(long, conflicts_with = "from")]
        no_migrate: bool,
        /// Make an existing schema that is not a ryx tenant (no ryx_migrations
        /// table) one: `tenants drop` can then drop it with everything in it.
        #[arg(long, conflicts_with = "from")]
        adopt: bool,
        /// Copy this tenant's structure and history instead of applying the
        /// folder's migrations (PostgreSQL; the new schema must not exist).
        #[arg(long, value_name = "TEMPLATE")]
        from: Option<String>,
        /// With --from: copy the rows too; sequences continue from the
        /// template's values (without it tables are empty and sequences
        /// start afresh).
        #[arg(long, requires = "from")]
        with_data: bool,
        /// Create it even if its name differs from an existing tenant's only
        /// by case or surrounding whitespace (`Acme` beside `acme`).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        dir: MigrationsDir,
        #[command(flatten)]
        shared: SharedSchemas,
    },
    /// Rename a tenant schema; its history moves with it (PostgreSQL).
    #[command(after_help = "Example:\n  ryx tenants rename acme acme_corp\n\n\
        Runs under both names' migration locks; refused if NEW exists or OLD is not a ryx tenant.")]
    Rename {
        /// The tenant to rename.
        old: String,
        /// Its new name (must not exist).
        new: String,
    },
    /// Move a tenant to another server of the tenant directory (needs --directory).
    #[command(after_help = "Examples:\n  \
        ryx --directory ryx.toml tenants move acme --to eu\n  \
        ryx --directory ryx.toml tenants move acme --to eu --drop-source --format json\n\n\
        Copies the tenant's structure, rows and history to the server, checks each table's \
        row count, points the directory file at it, then fences the old copy (every table \
        refuses writes, naming the new server) or drops it with --drop-source. Online (logical \
        replication; writes pause only for the final catch-up) when the old server has \
        wal_level = logical, every table a primary key and no materialized view; else offline \
        (writes wait for the whole copy). Writes made during a move wait, then fail with \
        `has moved`: none is lost.")]
    Move {
        /// The tenant.
        schema: String,
        /// The server to move it to (a server of the directory).
        #[arg(long, value_name = "SERVER")]
        to: String,
        /// Drop the old copy instead of fencing it.
        #[arg(long)]
        drop_source: bool,
        /// Copy offline even where an online move is possible.
        #[arg(long, conflicts_with = "online")]
        offline: bool,
        /// Move online or not at all (say what is missing).
        #[arg(long)]
        online: bool,
        #[command(flatten)]
        format: FormatOpt,
    },
    /// Drop a tenant schema and everything in it (needs --yes).
    #[command(after_help = "Example:\n  ryx tenants drop acme --yes")]
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
        TenantsCommand::List {
            sizes: true,
            sort,
            exact,
            format,
        } => list_sizes(conn, *sort, *exact, format.format),
        TenantsCommand::List { format, .. } => list(conn, format.format),
        TenantsCommand::Create {
            schema,
            from: Some(template),
            with_data,
            force,
            ..
        } => clone(conn, template, schema, *with_data, *force),
        TenantsCommand::Create {
            schema,
            no_migrate,
            adopt,
            force,
            dir,
            shared,
            ..
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
        TenantsCommand::Rename { old, new } => rename(conn, old, new),
        TenantsCommand::Drop { schema, yes } => drop_tenant(conn, schema, *yes),
        TenantsCommand::Move { .. } => Err(Failure::usage(
            "tenants move needs --directory: the tenant's server and the target are servers of a tenant directory",
        )),
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
        refuse_alike(conn, schema)?;
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

/// A usage error when `schema` differs from an existing tenant's name only by
/// case or surrounding whitespace (`Acme` beside `acme`): `--force` skips it.
fn refuse_alike<C: RunnerConnection>(conn: &mut C, schema: &str) -> Result<(), Failure> {
    let key = folded(schema);
    let alike: Vec<String> = fleet::tenants(conn)?
        .into_iter()
        .filter(|t| t != schema && folded(t) == key)
        .collect();
    if alike.is_empty() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "`{schema}` differs only by case or surrounding whitespace from the existing \
         tenant(s) {}: ryx uses names exactly as given, so this would be another \
         schema; pass --force to create it anyway",
        alike
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
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

/// `tenants list --sizes`: how its rows are ordered.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SortBy {
    Name,
    Size,
    Rows,
}

/// The connection as a PostgreSQL one, or the one-line refusal of a command
/// that needs schemas (`what` names the command).
#[cfg(feature = "postgres")]
fn postgres<'c, C: RunnerConnection>(
    conn: &'c mut C,
    what: &str,
) -> Result<&'c mut ryx_pool::ManagedConnection<diesel::PgConnection>, Failure> {
    let kind = <C::DB as MigrationBackend>::KIND;
    let refused = || {
        Failure::usage(format!(
            "not supported on {kind}: {what} works on tenant schemas, and {kind} has no schemas \
             (the database itself is the one tenant)"
        ))
    };
    let any: &mut dyn std::any::Any = conn;
    any.downcast_mut().ok_or_else(refused)
}

/// Without PostgreSQL support built in, every such command is refused.
#[cfg(not(feature = "postgres"))]
fn postgres<C: RunnerConnection>(
    conn: &mut C,
    what: &str,
) -> Result<std::convert::Infallible, Failure> {
    let _ = conn;
    let kind = <C::DB as MigrationBackend>::KIND;
    Err(Failure::usage(format!(
        "not supported on {kind}: {what} works on tenant schemas, and {kind} has no schemas \
         (the database itself is the one tenant)"
    )))
}

/// `tenants create NEW --from TEMPLATE [--with-data]`.
fn clone<C: RunnerConnection>(
    conn: &mut C,
    template: &str,
    new: &str,
    with_data: bool,
    force: bool,
) -> Result<u8, Failure> {
    #[cfg(feature = "postgres")]
    {
        let conn = postgres(conn, "`tenants create --from` (copying a tenant)")?;
        if !force {
            refuse_alike(conn, new)?;
        }
        let options = crate::lifecycle::CloneOptions::new().with_data(with_data);
        let report = crate::lifecycle::clone_tenant(conn, template, new, options)?;
        say!(
            "{new}: created from {template}{} ({} table(s), {} view(s), {} sequence(s), {} constraint(s), {} index(es), {} migration(s) in its history)",
            if with_data { " with its rows" } else { "" },
            report.tables,
            report.views,
            report.sequences,
            report.constraints,
            report.indexes,
            report.migrations
        );
        Ok(SUCCESS)
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (template, new, with_data, force);
        match postgres(conn, "`tenants create --from` (copying a tenant)")? {}
    }
}

/// `tenants rename OLD NEW`.
fn rename<C: RunnerConnection>(conn: &mut C, old: &str, new: &str) -> Result<u8, Failure> {
    #[cfg(feature = "postgres")]
    {
        let conn = postgres(conn, "`tenants rename`")?;
        crate::lifecycle::rename_tenant(conn, old, new)?;
        say!("{old}: renamed to {new}");
        Ok(SUCCESS)
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (old, new);
        match postgres(conn, "`tenants rename`")? {}
    }
}

/// `tenants list --sizes`.
fn list_sizes<C: RunnerConnection>(
    conn: &mut C,
    sort: SortBy,
    exact: bool,
    format: Format,
) -> Result<u8, Failure> {
    #[cfg(feature = "postgres")]
    {
        let conn = postgres(conn, "`tenants list --sizes`")?;
        let mut sizes = if exact {
            crate::lifecycle::tenant_sizes_exact(conn)?
        } else {
            crate::lifecycle::tenant_sizes(conn)?
        };
        match sort {
            SortBy::Name => {}
            SortBy::Size => sizes.sort_by_key(|t| std::cmp::Reverse(t.bytes)),
            // unknown estimates last
            SortBy::Rows => sizes.sort_by_key(|t| std::cmp::Reverse(t.rows)),
        }
        match format {
            Format::Json => say!("{}", serde_json::json!(sizes)),
            Format::Text => {
                let rows: Vec<[String; 4]> = sizes
                    .iter()
                    .map(|t| {
                        [
                            t.schema.clone(),
                            t.tables.to_string(),
                            t.rows.map_or_else(|| "?".to_owned(), |r| r.to_string()),
                            pretty_bytes(t.bytes),
                        ]
                    })
                    .collect();
                let header = ["tenant", "tables", "rows (est.)", "size"].map(str::to_owned);
                let mut width = header.clone().map(|h| h.chars().count());
                for r in &rows {
                    for (w, cell) in width.iter_mut().zip(r) {
                        *w = (*w).max(cell.chars().count());
                    }
                }
                for r in std::iter::once(&header).chain(&rows) {
                    say!(
                        "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}",
                        r[0],
                        r[1],
                        r[2],
                        r[3],
                        w0 = width[0],
                        w1 = width[1],
                        w2 = width[2],
                        w3 = width[3]
                    );
                }
            }
        }
        Ok(SUCCESS)
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (sort, exact, format);
        match postgres(conn, "`tenants list --sizes`")? {}
    }
}

/// Bytes as PostgreSQL's `pg_size_pretty` prints them (powers of 1024, under
/// 10240 of a unit before the next).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn pretty_bytes(bytes: i64) -> String {
    let mut value = bytes;
    for unit in ["bytes", "kB", "MB", "GB", "TB"] {
        if value.abs() < 10 * 1024 {
            return format!("{value} {unit}");
        }
        value = (value + 512) / 1024;
    }
    format!("{value} PB")
}

#[cfg(test)]
mod tests {
    use super::pretty_bytes;

    #[test]
    fn sizes_print_like_pg_size_pretty() {
        assert_eq!(pretty_bytes(8192), "8192 bytes");
        assert_eq!(pretty_bytes(16384), "16 kB");
        assert_eq!(pretty_bytes(50 * 1024 * 1024), "50 MB");
    }
}
