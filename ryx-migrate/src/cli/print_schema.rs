//! `ryx print-schema`: a live PostgreSQL schema's tables as `ryx_table!`
//! declarations on stdout (the library's [`print_schema`](crate::print_schema)).

use clap::Args;

use super::output::{invalid_schema, Failure};
use super::url::parse_url;
use crate::backend::Backend;

#[derive(Args, Debug)]
pub(super) struct PrintSchemaArgs {
    /// The schema whose tables to print (one tenant's).
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub(super) schema: String,
    /// Print only this table (repeatable; default: every table but ryx_migrations).
    #[arg(long = "table", value_name = "TABLE")]
    tables: Vec<String>,
    /// Leave out tables and columns ryx_table! cannot declare (arrays, interval,
    /// enums, no primary key, ..) with a comment in their place, instead of failing.
    #[arg(long)]
    skip_unsupported: bool,
}

/// Runs `ryx print-schema` against `url` (PostgreSQL only).
pub(super) fn run(
    args: &PrintSchemaArgs,
    url: Option<&str>,
    transaction_pooler: bool,
) -> Result<u8, Failure> {
    ryx_dsl::SchemaName::new(&args.schema).map_err(invalid_schema)?;
    let target = parse_url(url)?;
    if target.backend != Backend::PostgreSQL {
        return Err(Failure::usage(format!(
            "print-schema supports PostgreSQL only ({} has no schemas to print per tenant): \
             point --url at a postgres:// database",
            target.backend
        )));
    }
    postgres(args, &target.url, transaction_pooler)
}

#[cfg(feature = "postgres")]
fn postgres(args: &PrintSchemaArgs, url: &str, transaction_pooler: bool) -> Result<u8, Failure> {
    use super::output::{chain, say_raw, SUCCESS};

    let manager = ryx_pool::ConnectionManager::<diesel::PgConnection>::new(url)
        .transaction_pooler(transaction_pooler);
    let mut conn = manager
        .connect_once()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let options = crate::PrintSchemaOptions::new()
        .tables(args.tables.iter().cloned())
        .skip_unsupported(args.skip_unsupported);
    let source = crate::print_schema(&mut conn, &args.schema, &options)
        .map_err(|e| Failure::usage(chain(&e)))?;
    say_raw!("{source}");
    Ok(SUCCESS)
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &PrintSchemaArgs, _: &str, _: bool) -> Result<u8, Failure> {
    Err(super::url::not_built(Backend::PostgreSQL))
}
