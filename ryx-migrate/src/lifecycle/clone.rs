//! [`clone_tenant`]: a new tenant copied from a template tenant's catalog, in
//! one transaction.

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

use super::catalog::{self, Template};
use super::{
    check_from_and_to, check_name, locked_pair, no_jit, plan, search_path, set_local_search_path,
    PG,
};
use crate::apply::RunnerConnection;
use crate::backend::TxError;
use crate::error::Error;

/// How [`clone_tenant`] copies. Defaults: structure and history only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use = "options do nothing until passed to clone_tenant"]
pub struct CloneOptions {
    with_data: bool,
}

impl CloneOptions {
    /// Structure and history only (no rows; sequences start afresh).
    pub fn new() -> Self {
        CloneOptions::default()
    }

    /// Also copy every table's rows, and set every sequence of the clone to
    /// its template's current value (so the next `nextval` continues after
    /// the copied rows). Default: `false`: tables are empty and sequences
    /// start at their `START WITH`, as in a tenant migrated from scratch.
    pub fn with_data(mut self, with_data: bool) -> Self {
        self.with_data = with_data;
        self
    }
}

/// What [`clone_tenant`] created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CloneReport {
    /// Tables, `ryx_migrations` included.
    pub tables: usize,
    /// Views and materialized views.
    pub views: usize,
    /// Sequences (serial, identity and standalone).
    pub sequences: usize,
    /// Indexes that back no constraint.
    pub indexes: usize,
    /// Constraints: primary keys, unique, check, exclusion, foreign keys.
    pub constraints: usize,
    /// Rows of the history copied: the migrations the clone counts as applied.
    pub migrations: usize,
}

/// Creates the tenant `new` as a structural copy of the tenant `template`,
/// without replaying migrations: from the template's catalog, in one
/// transaction, under the advisory locks of both schemas (the runners' keys,
/// so a migration of the template waits for the clone and the other way
/// round). A failure rolls everything back: there is no `new` afterwards.
///
/// Copied: enum types; tables (unlogged ones stay unlogged, storage options)
/// with their columns: types, collations, `NOT NULL`, defaults, identity
/// columns and stored generated columns; sequences (the clone's defaults and
/// identity columns use the clone's own sequences, of the same names);
/// primary key, unique, check, exclusion and foreign key constraints (a
/// foreign key to a table of the template points to the clone's table; one to
/// another schema such as `public` keeps pointing there); indexes, partial
/// and expression ones included; views and materialized views, reading the
/// clone's tables; comments; and the `ryx_migrations` rows, so the clone's
/// history equals the template's and `ryx migrate` continues from there.
/// With [`CloneOptions::with_data`], every table's rows too, and sequences
/// continue from the template's current values; without, tables are empty
/// and sequences start afresh.
///
/// Not copied: privileges (`GRANT`s; the clone belongs to the connection's
/// user), column statistics targets and storage settings. Refused with
/// [`Error::CannotClone`] before anything is created, because the copy would
/// not be faithful: a template holding functions, triggers, rules, row-level
/// security, domains or composite/range types, partitioned, inheriting or
/// foreign tables, extended statistics, extensions, collations, operators or
/// text search configurations. After copying, the clone is checked to depend
/// on no object of the template (`pg_depend`); if it does, the transaction is
/// rolled back with [`Error::CannotClone`].
///
/// Also refused, changing nothing: invalid or reserved names
/// ([`Error::InvalidSchemaName`], [`Error::ReservedSchema`]), a template that
/// is not a ryx tenant ([`Error::NoSuchTenant`]), a `new` that exists as any
/// schema ([`Error::SchemaExists`]), and (as for the runners) a transaction
/// begun with raw SQL ([`Error::InTransaction`]). Inside a diesel transaction
/// it runs as a savepoint. One transaction, no session state: it works
/// through a transaction pooler.
///
/// ```no_run
/// use ryx_migrate::lifecycle::{clone_tenant, CloneOptions};
///
/// # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// let report = clone_tenant(conn, "template_tenant", "acme", CloneOptions::new())?;
/// println!("{} tables, {} migrations applied", report.tables, report.migrations);
/// // a demo tenant with the template's rows
/// clone_tenant(conn, "demo_template", "demo_42", CloneOptions::new().with_data(true))?;
/// # Ok(()) }
/// ```
pub fn clone_tenant<C>(
    conn: &mut C,
    template: &str,
    new: &str,
    options: CloneOptions,
) -> Result<CloneReport, Error>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    check_name(template)?;
    check_name(new)?;
    locked_pair(
        conn,
        (new, "copy the template tenant"),
        template,
        new,
        |conn| {
            no_jit(conn)?;
            check_from_and_to(conn, template, new)?;
            let previous = search_path(conn)?;
            set_local_search_path(conn, &PG.quote(template))?;
            let blockers = catalog::unsupported(conn, template)?;
            if !blockers.is_empty() {
                return Err(cannot(
                    template,
                    format!(
                        "it holds {}, which a clone does not copy",
                        blockers.join(", ")
                    ),
                ));
            }
            let t = catalog::read(conn, template)?;
            set_local_search_path(conn, &PG.quote(new))?;
            let sql = plan::statements(&t, template, new, options.with_data);
            conn.batch_execute(&sql.join(";\n"))?;
            if options.with_data {
                copy_sequence_values(conn, &t, template, new)?;
            }
            let uses = catalog::depends_on_template(conn, template, new)?;
            if !uses.is_empty() {
                return Err(cannot(
                    template,
                    format!(
                    "the copy would still use the template's objects ({}), e.g. through a name \
                     that resolves to a system object first",
                    uses.join(", ")
                ),
                ));
            }
            let migrations = history_len(conn, new)?;
            set_local_search_path(conn, &previous)?;
            Ok(report(&t, migrations))
        },
    )
}

fn cannot(template: &str, reason: String) -> TxError {
    TxError::Ryx(Error::CannotClone {
        template: template.to_owned(),
        reason,
    })
}

/// `setval` of every clone sequence to its template's `last_value` and
/// `is_called`, in one statement (the names bound).
fn copy_sequence_values<C>(
    conn: &mut C,
    t: &Template,
    template: &str,
    new: &str,
) -> diesel::QueryResult<()>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    for chunk in t.sequences.chunks(500) {
        let parts: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "SELECT pg_catalog.setval(CAST(${} AS pg_catalog.regclass), last_value, is_called) FROM {}",
                    i + 1,
                    PG.qualify(Some(template), &s.name)
                )
            })
            .collect();
        let mut q = diesel::sql_query(parts.join(" UNION ALL ")).into_boxed();
        for s in chunk {
            q = q.bind::<Text, _>(PG.qualify(Some(new), &s.name));
        }
        q.execute(conn)?;
    }
    Ok(())
}

/// The number of rows in `schema`'s history.
fn history_len<C>(conn: &mut C, schema: &str) -> diesel::QueryResult<usize>
where
    C: RunnerConnection<DB = diesel::pg::Pg>,
{
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM {}",
        PG.qualify(Some(schema), crate::HISTORY_TABLE)
    ))
    .get_result(conn)?;
    Ok(usize::try_from(count.n).unwrap_or(0))
}

fn report(t: &Template, migrations: usize) -> CloneReport {
    let count = |kinds: &[&str]| {
        t.relations
            .iter()
            .filter(|r| kinds.contains(&r.kind.as_str()))
            .count()
    };
    CloneReport {
        tables: count(&["r"]),
        views: count(&["v", "m"]),
        sequences: t.sequences.len(),
        indexes: t.indexes.len(),
        constraints: t.constraints.len(),
        migrations,
    }
}
