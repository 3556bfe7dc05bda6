//! Model-driven migrations: from `ryx_table!` declarations to the database.

use crate::apply::{self, db_error, RunnerConnection, Step};
use crate::backend::{self, Backend, LiveColumn, MigrationBackend, TxError, HISTORY_TABLE};
use crate::checksum::sha256_hex;
use crate::ddl::{check_name, constraint_name, index_name, legacy_index_name, DDLGenerator};
use crate::error::Error;
use crate::metadata::{
    ColumnState, ColumnType, ReferentialAction, RyxTable, TableIndex, TableState,
};
use crate::report::{Drift, Report};

/// Creates what the models need in one schema: the schema itself, missing
/// tables, missing columns, missing indexes and missing unique constraints
/// over several columns (`#[ryx(unique(a, b))]`; on SQLite a unique index).
/// It never drops or rewrites: differences it will not fix are reported as
/// [`Drift`], among them a check, or a foreign key with the model's
/// `on_delete`/`on_update`, that an existing table lacks
/// ([`Drift::MissingConstraint`]: those come only with `CREATE TABLE`).
///
/// Each step is recorded in the schema's `ryx_migrations` (as
/// `model:<table>:create`, `model:<table>:add:<column>`,
/// `model:<table>:index:<name>`, `model:<table>:unique:<name>`); a second
/// run applies nothing.
///
/// ```no_run
/// # use ryx_migrate::MigrationRunner;
/// # fn f<T: ryx_migrate::RyxTable, U: ryx_migrate::RyxTable>(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::Error> {
/// let report = MigrationRunner::new()
///     .model::<T>()
///     .model::<U>()
///     .schema("tenant1")
///     .migrate(conn)?;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a runner does nothing until `.migrate(..)` is called"]
pub struct MigrationRunner {
    tables: Vec<TableState>,
    schema: Option<String>,
    dry_run: bool,
}

impl MigrationRunner {
    /// A runner with no models, for the `public` schema (PostgreSQL) until
    /// [`schema`](Self::schema) is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a table declared with `ryx_table!`: `.model::<posts::table>()`.
    pub fn model<T: RyxTable>(mut self) -> Self {
        self.tables.push(T::default().table_state());
        self
    }

    /// Adds a table by its metadata.
    pub fn table(mut self, table: TableState) -> Self {
        self.tables.push(table);
        self
    }

    /// The schema to migrate (default `public`), created first if it does not
    /// exist. SQLite and MySQL have no schemas: there the runner migrates the
    /// connection's database, and the name (validated; default `default`)
    /// only labels reports and errors.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Computes and returns the exact SQL in [`Report::planned`] without changing
    /// the database (it still reads the catalog). Default `false`.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The models, in the order tables will be created (referenced tables first).
    pub fn tables(&self) -> Vec<TableState> {
        ordered(&self.tables)
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

    /// Migrates the schema. One transaction on PostgreSQL and SQLite, under the
    /// schema's advisory lock: a failure leaves nothing behind.
    ///
    /// On PostgreSQL it may be called inside a transaction the caller opened
    /// with diesel (it then runs as a savepoint, and the schema's lock is held
    /// until the caller's transaction ends); it never changes the session's
    /// `search_path` (ryx's DDL is schema-qualified). On MySQL and SQLite, and
    /// inside a transaction begun with raw SQL, it refuses to run inside an
    /// open transaction ([`Error::InTransaction`]): MySQL would commit the
    /// caller's transaction with the first DDL statement. A dry run only reads
    /// and runs anywhere.
    pub fn migrate<C: RunnerConnection>(&self, conn: &mut C) -> Result<Report, Error> {
        let schema = self.schema_name::<C::DB>();
        ryx_dsl::SchemaName::new_for_create(schema)?;
        let mut report = Report::new(schema);
        if self.dry_run {
            let (steps, drift) = plan::<C>(conn, schema, &self.tables)?;
            report.drift = drift;
            // one locked transaction for every step, as `migrate` runs them
            report.planned = apply::planned_run::<C::DB>(schema, &[], &steps, true);
            return Ok(report);
        }
        apply::refuse_open_transaction(conn, schema, None)?;
        // The plan is made under the schema's lock, from the live catalog:
        // concurrent runners never both add a column, and a table dropped by
        // hand is created again.
        let gen = DDLGenerator::new(C::DB::KIND).in_schema(schema);
        let mut current = String::from("model:schema:create");
        let result = C::DB::locked(conn, schema, true, |conn| {
            let existed = C::DB::schema_exists(conn, schema)?;
            if existed {
                let relations = C::DB::schema_relations(conn, schema)?;
                apply::refuse_foreign_schema::<C::DB>(schema, &relations).map_err(TxError::Ryx)?;
            }
            backend::ensure_history::<C::DB, C>(conn, schema)?;
            if !existed {
                record(
                    conn,
                    schema,
                    &mut report,
                    &current,
                    &[],
                    std::time::Duration::ZERO,
                )?;
            }
            let (found, drift) = changes(conn, schema, &self.tables)?;
            report.drift = drift;
            for change in found.iter().filter(|c| !matches!(c, Change::CreateSchema)) {
                current = change.name();
                let sql = change.up(&gen, schema)?;
                let started = std::time::Instant::now();
                for statement in &sql {
                    conn.batch_execute(statement)?;
                }
                record(conn, schema, &mut report, &current, &sql, started.elapsed())?;
            }
            Ok(())
        });
        match result {
            Ok(()) => Ok(report),
            Err(TxError::Ryx(e)) => Err(e),
            Err(TxError::Db(source)) => {
                if C::DB::KIND == Backend::MySQL {
                    // MySQL commits DDL implicitly: what was recorded before
                    // the failure stays; report exactly that.
                    report = apply::recorded_only::<C>(conn, schema, &report);
                } else {
                    // rolled back: nothing of this run remains
                    report.applied.clear();
                }
                Err(Error::MigrationFailed {
                    schema: schema.to_owned(),
                    migration: current,
                    source,
                    report: Box::new(report),
                })
            }
        }
    }
}

/// Records a model step in the history (replacing an older row of the same
/// name) and in the report.
fn record<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    report: &mut Report,
    name: &str,
    sql: &[String],
    duration: std::time::Duration,
) -> Result<(), TxError> {
    let checksum = sha256_hex(sql.join(";\n").as_bytes());
    let ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    C::DB::delete_history(conn, schema, name)?;
    C::DB::insert_history(conn, schema, name, &checksum, ms)?;
    report.applied.push(crate::report::Applied {
        name: name.to_owned(),
        duration,
    });
    Ok(())
}

/// Orders tables so that a table comes after the tables its foreign keys reference.
pub(crate) fn ordered(tables: &[TableState]) -> Vec<TableState> {
    let mut out: Vec<TableState> = Vec::with_capacity(tables.len());
    let mut rest: Vec<&TableState> = tables.iter().collect();
    while !rest.is_empty() {
        let ready = rest.iter().position(|t| {
            t.columns
                .iter()
                .filter_map(|c| c.references.as_ref())
                .all(|fk| {
                    fk.table == t.name
                        || out.iter().any(|o| o.name == fk.table)
                        || !rest.iter().any(|r| r.name == fk.table)
                })
        });
        // A cycle: keep the declared order for the rest.
        let i = ready.unwrap_or(0);
        out.push(rest.remove(i).clone());
    }
    out
}

fn step(name: String, sql: Vec<String>) -> Step {
    Step {
        checksum: sha256_hex(sql.join(";\n").as_bytes()),
        origin: name.clone(),
        name,
        up: sql,
        down: None,
        run_in_transaction: true,
        scoped: false,
    }
}

/// One thing the models need that the live schema lacks.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    CreateSchema,
    CreateTable(TableState),
    AddColumn(String, ColumnState),
    CreateIndex {
        table: String,
        column: String,
        name: String,
    },
    /// A table-level index or unique constraint on an existing table.
    AddTableIndex(String, TableIndex),
}

impl Change {
    /// The history name of the step that makes this change.
    pub(crate) fn name(&self) -> String {
        match self {
            Change::CreateSchema => "model:schema:create".to_owned(),
            Change::CreateTable(t) => format!("model:{}:create", t.name),
            Change::AddColumn(t, c) => format!("model:{t}:add:{}", c.name),
            Change::CreateIndex { table, name, .. } => format!("model:{table}:index:{name}"),
            Change::AddTableIndex(table, index) => format!(
                "model:{table}:{}:{}",
                if index.unique { "unique" } else { "index" },
                constraint_name(table, &index.columns, index.unique)
            ),
        }
    }

    /// The statements that make it, written by `gen`.
    pub(crate) fn up(&self, gen: &DDLGenerator, schema: &str) -> Result<Vec<String>, Error> {
        Ok(match self {
            Change::CreateSchema => gen.create_schema(schema)?.into_iter().collect(),
            Change::CreateTable(t) => gen.create_table_with_indexes(t)?,
            Change::AddColumn(t, c) => vec![gen.add_column(t, c)?],
            Change::CreateIndex {
                table,
                column,
                name,
            } => vec![gen.create_index(table, column, name)?],
            Change::AddTableIndex(table, index) => vec![gen.add_table_index(table, index)?],
        })
    }

    /// The statements that undo it, written by `gen`.
    pub(crate) fn down(&self, gen: &DDLGenerator) -> Result<Vec<String>, Error> {
        Ok(match self {
            Change::CreateSchema => Vec::new(),
            Change::CreateTable(t) => vec![gen.drop_table(&t.name)?],
            Change::AddColumn(t, c) => vec![gen.drop_column(t, &c.name)?],
            Change::CreateIndex { table, name, .. } => vec![gen.drop_index(table, name)?],
            Change::AddTableIndex(table, index) => vec![gen.drop_table_index(table, index)?],
        })
    }
}

/// The steps that bring `schema` to the models, and the drift they leave.
pub(crate) fn plan<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    tables: &[TableState],
) -> Result<(Vec<Step>, Vec<Drift>), Error> {
    let gen = DDLGenerator::new(C::DB::KIND).in_schema(schema);
    let (changes, drift) = changes(conn, schema, tables)?;
    let steps = changes
        .iter()
        .map(|c| Ok(step(c.name(), c.up(&gen, schema)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok((steps, drift))
}

/// What the models need that `schema` lacks, and the drift ryx will not fix.
pub(crate) fn changes<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    tables: &[TableState],
) -> Result<(Vec<Change>, Vec<Drift>), Error> {
    let kind = C::DB::KIND;
    let gen = DDLGenerator::new(kind).in_schema(schema);
    C::DB::prepare(conn).map_err(db_error(schema, "prepare the connection"))?;
    let live_tables =
        C::DB::live_tables(conn, schema).map_err(db_error(schema, "list the tables"))?;
    let mut out = Vec::new();
    let mut drift = Vec::new();
    if kind.has_schemas()
        && !C::DB::schema_exists(conn, schema).map_err(db_error(schema, "look up the schema"))?
    {
        out.push(Change::CreateSchema);
    }
    for table in ordered(tables) {
        if table.name == HISTORY_TABLE {
            return Err(Error::InvalidTable {
                table: table.name.clone(),
                reason: format!("`{HISTORY_TABLE}` is ryx's history table: rename the model"),
            });
        }
        if !live_tables.contains(&table.name) {
            out.push(Change::CreateTable(table));
            continue;
        }
        let live = C::DB::live_columns(conn, schema, &table.name)
            .map_err(db_error(schema, "read the columns"))?;
        let (missing, found) = diff_columns(kind, &gen, &table, &live);
        drift.extend(found);
        for column in missing {
            out.push(Change::AddColumn(table.name.clone(), column.clone()));
        }
        let indexes = C::DB::live_indexes(conn, schema, &table.name)
            .map_err(db_error(schema, "read the indexes"))?;
        for column in table.columns.iter().filter(|c| c.indexed) {
            let name = index_name(&table.name, &column.name);
            let legacy = legacy_index_name(&table.name, &column.name);
            if !indexes.contains(&name) && !indexes.contains(&legacy) {
                out.push(Change::CreateIndex {
                    table: table.name.clone(),
                    column: column.name.clone(),
                    name,
                });
            }
        }
        for index in &table.indexes {
            if !indexes.contains(&constraint_name(&table.name, &index.columns, index.unique)) {
                out.push(Change::AddTableIndex(table.name.clone(), index.clone()));
            }
        }
        drift.extend(missing_constraints(conn, schema, &table)?);
    }
    Ok((out, drift))
}

/// The checks, and the foreign keys declared with actions, that the live
/// table lacks: reported, never added (`ALTER TABLE .. ADD CONSTRAINT`
/// validates every row under a lock on PostgreSQL and MySQL, and does not
/// exist on SQLite). Foreign keys without actions are not compared, as
/// before actions existed.
fn missing_constraints<C: RunnerConnection>(
    conn: &mut C,
    schema: &str,
    table: &TableState,
) -> Result<Vec<Drift>, Error> {
    let kind = C::DB::KIND;
    let mut drift = Vec::new();
    if !table.checks.is_empty() {
        let live = C::DB::live_checks(conn, schema, &table.name)
            .map_err(db_error(schema, "read the check constraints"))?;
        for check in &table.checks {
            let name = check_name(&table.name, &check.name);
            if !live.contains(&name) {
                drift.push(Drift::MissingConstraint {
                    table: table.name.clone(),
                    constraint: format!("CONSTRAINT {} CHECK ({})", kind.quote(&name), check.sql),
                });
            }
        }
    }
    let with_actions = || {
        table
            .columns
            .iter()
            .filter(|c| c.references.is_some() && (c.on_delete.is_some() || c.on_update.is_some()))
    };
    if with_actions().next().is_none() {
        return Ok(drift);
    }
    let live = C::DB::live_foreign_keys(conn, schema, &table.name)
        .map_err(db_error(schema, "read the foreign keys"))?;
    // NO ACTION is the default; MySQL/MariaDB treat RESTRICT as NO ACTION
    // (and MariaDB reports an unnamed action as RESTRICT).
    let same = |model: Option<ReferentialAction>, live: &str| {
        let model = model.unwrap_or(ReferentialAction::NoAction);
        let live = ReferentialAction::from_name(live).unwrap_or(ReferentialAction::NoAction);
        let norm = |a| match (kind, a) {
            (Backend::MySQL, ReferentialAction::Restrict) => ReferentialAction::NoAction,
            (_, a) => a,
        };
        norm(model) == norm(live)
    };
    for column in with_actions() {
        let Some(fk) = &column.references else {
            continue;
        };
        let found = live.iter().any(|l| {
            l.column_name == column.name
                && l.ref_table == fk.table
                && (l.ref_column == fk.column || l.ref_column.is_empty())
                && same(column.on_delete, &l.on_delete)
                && same(column.on_update, &l.on_update)
        });
        if !found {
            let gen = DDLGenerator::new(kind);
            let constraint = gen
                .foreign_key_def(&table.name, column)?
                .unwrap_or_default();
            drift.push(Drift::MissingConstraint {
                table: table.name.clone(),
                constraint,
            });
        }
    }
    Ok(drift)
}

/// Compares a model with its live table: the model's columns missing there,
/// and the drift in the others (type, nullability, extra live columns).
pub(crate) fn diff_columns<'t>(
    kind: Backend,
    gen: &DDLGenerator,
    table: &'t TableState,
    live: &[LiveColumn],
) -> (Vec<&'t ColumnState>, Vec<Drift>) {
    let mut missing = Vec::new();
    let mut drift = Vec::new();
    for column in &table.columns {
        match live.iter().find(|l| l.name == column.name) {
            None => missing.push(column),
            Some(l) => drift.extend(compare_column(kind, gen, table, column, l)),
        }
    }
    for l in live {
        if table.column(&l.name).is_none() {
            drift.push(Drift::ExtraColumn {
                table: table.name.clone(),
                column: l.name.clone(),
            });
        }
    }
    (missing, drift)
}

/// Reports how a live column differs from the model (never fixed automatically).
pub(crate) fn compare_column(
    kind: Backend,
    gen: &DDLGenerator,
    table: &TableState,
    column: &ColumnState,
    live: &LiveColumn,
) -> Vec<Drift> {
    let mut out = Vec::new();
    let is_key = table.primary_key.contains(&column.name);
    if !is_key && live.nullable != column.nullable {
        out.push(Drift::NullabilityMismatch {
            table: table.name.clone(),
            column: column.name.clone(),
            model_nullable: column.nullable,
        });
    }
    if kind == Backend::PostgreSQL {
        let expected = pg_type_name(column);
        let found = live.data_type.to_ascii_lowercase();
        let same = found == expected
            || (column.max_length.is_none() && found.split('(').next() == Some(expected.as_str()));
        if !same {
            out.push(Drift::TypeMismatch {
                table: table.name.clone(),
                column: column.name.clone(),
                expected: gen.column_type(column),
                found: live.data_type.clone(),
            });
        }
    }
    out
}

/// `format_type`'s spelling of the model's type on PostgreSQL.
fn pg_type_name(column: &ColumnState) -> String {
    let base = match column.sql_type {
        ColumnType::SmallInt => "smallint",
        ColumnType::Integer => "integer",
        ColumnType::BigInt => "bigint",
        ColumnType::Text if column.max_length.is_none() => "text",
        ColumnType::Text | ColumnType::Varchar => "character varying",
        ColumnType::Bool => "boolean",
        ColumnType::Float => "real",
        ColumnType::Double => "double precision",
        ColumnType::Numeric => "numeric",
        ColumnType::Date => "date",
        ColumnType::Time => "time without time zone",
        ColumnType::Timestamp => "timestamp without time zone",
        ColumnType::Timestamptz => "timestamp with time zone",
        ColumnType::Uuid => "uuid",
        ColumnType::Json => "json",
        ColumnType::Jsonb => "jsonb",
        ColumnType::Binary => "bytea",
    };
    match (column.sql_type, column.max_length) {
        (ColumnType::Text | ColumnType::Varchar, Some(n)) => format!("{base}({n})"),
        _ => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, refs: Option<&str>) -> TableState {
        let mut cols = vec![ColumnState::__new(
            "id",
            ColumnType::BigInt,
            false,
            None,
            false,
            false,
            None,
            None,
        )];
        if let Some(r) = refs {
            cols.push(ColumnState::__new(
                "r",
                ColumnType::BigInt,
                false,
                None,
                false,
                false,
                None,
                Some((r, "id")),
            ));
        }
        TableState::__new(name, cols, &["id"], true)
    }

    #[test]
    fn referenced_tables_come_first() {
        let names: Vec<String> = ordered(&[
            t("posts", Some("authors")),
            t("authors", None),
            t("tags", Some("posts")),
        ])
        .into_iter()
        .map(|t| t.name)
        .collect();
        assert_eq!(names, ["authors", "posts", "tags"]);
    }

    #[test]
    fn cycles_keep_declared_order() {
        let names: Vec<String> = ordered(&[t("a", Some("b")), t("b", Some("a"))])
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
    }
}
