//! A tenant's copy made on another server: the same catalog read and the
//! same statements as a clone, with the rows left to the caller (who reads
//! them on one server and writes them on the other).

use super::catalog;
use super::plan;
use super::{set_local_search_path, state, PG};
use crate::apply::RunnerConnection;
use crate::backend::TxError;
use crate::error::Error;

/// What a copy of a tenant sends to the target, in order: `before_rows`,
/// then each table's rows, then `after_rows`; the sequences' values are the
/// caller's to carry over.
#[derive(Debug)]
pub(crate) struct CopyPlan {
    pub(crate) before_rows: Vec<String>,
    /// Each table (the history included) with the columns that take values.
    pub(crate) tables: Vec<(String, Vec<String>)>,
    pub(crate) after_rows: Vec<String>,
    /// Every sequence of the tenant, by name.
    pub(crate) sequences: Vec<String>,
}

/// Whether `schema` is a ryx tenant (it holds a `ryx_migrations` table).
pub(crate) fn is_tenant<C>(conn: &mut C, schema: &str) -> Result<bool, TxError>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    Ok(state(conn, schema)?.1)
}

/// Whether a schema of that name exists.
pub(crate) fn schema_exists<C>(conn: &mut C, schema: &str) -> Result<bool, TxError>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    Ok(state(conn, schema)?.0)
}

/// Reads `schema`'s catalog, inside the caller's transaction (its
/// `search_path` is set to the schema until the transaction ends), and
/// plans its copy under the same name. A tenant holding what a copy would
/// not reproduce is [`Error::CannotClone`].
pub(crate) fn copy_plan<C>(conn: &mut C, schema: &str) -> Result<CopyPlan, TxError>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    set_local_search_path(conn, &PG.quote(schema))?;
    let blockers = catalog::unsupported(conn, schema)?;
    if !blockers.is_empty() {
        return Err(TxError::Ryx(Error::CannotClone {
            template: schema.to_owned(),
            reason: format!(
                "it holds {}, which a copy does not reproduce",
                blockers.join(", ")
            ),
        }));
    }
    let t = catalog::read(conn, schema)?;
    let built = plan::build(&t, schema, true);
    Ok(CopyPlan {
        before_rows: built.before_rows,
        tables: built
            .rows
            .into_iter()
            .map(|r| (r.table, r.columns))
            .collect(),
        after_rows: built.after_rows,
        sequences: t.sequences.iter().map(|s| s.name.clone()).collect(),
    })
}
