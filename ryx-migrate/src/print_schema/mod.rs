//! [`print_schema`]: a live PostgreSQL schema's tables as `ryx_table!`
//! declarations, like `diesel print-schema` writes `table!`s. `catalog.rs`
//! reads the schema, `model.rs` decides what can be declared, `names.rs`
//! makes Rust names, `render.rs` writes the source.

mod catalog;
mod model;
mod names;
mod render;

use diesel::connection::{Connection, LoadConnection};
use diesel::pg::Pg;

use crate::apply::db_error;
use crate::error::Error;

/// What [`print_schema`] prints: every table, or the ones named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrintSchemaOptions {
    /// Only these tables (SQL names); all of the schema's when empty.
    pub tables: Vec<String>,
    /// Leave out what `ryx_table!` cannot declare, with a comment in its
    /// place, instead of failing.
    pub skip_unsupported: bool,
}

impl PrintSchemaOptions {
    /// Every table; anything that cannot be declared is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these tables (SQL names), in place of all.
    pub fn tables<S: Into<String>>(mut self, tables: impl IntoIterator<Item = S>) -> Self {
        self.tables = tables.into_iter().map(Into::into).collect();
        self
    }

    /// Leave out what `ryx_table!` cannot declare, with a `//` comment in
    /// its place (default `false`: an error naming it).
    pub fn skip_unsupported(mut self, skip: bool) -> Self {
        self.skip_unsupported = skip;
        self
    }
}

/// Why [`print_schema`] printed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrintSchemaError {
    /// The schema does not exist.
    #[error("schema `{schema}` does not exist: name an existing schema (`ryx tenants list` lists the tenants)")]
    NoSchema {
        /// The schema asked for.
        schema: String,
    },

    /// A table asked for is not in the schema.
    #[error("schema `{schema}` has no table `{table}`; its tables are: {available}")]
    NoTable {
        /// The schema.
        schema: String,
        /// The table asked for.
        table: String,
        /// The schema's tables, comma-separated (`none` if it has none).
        available: String,
    },

    /// Tables or columns `ryx_table!` cannot declare.
    #[error(
        "ryx_table! cannot declare {}; print the other tables only (--table, \
         `PrintSchemaOptions::tables`), or leave these out with a comment in their place \
         (--skip-unsupported, `PrintSchemaOptions::skip_unsupported`)",
        .problems.join("; ")
    )]
    Unsupported {
        /// One line per table or column, naming it and saying why.
        problems: Vec<String>,
    },

    /// The schema name is invalid, or reading the catalog failed.
    #[error(transparent)]
    Migrate(#[from] Error),
}

/// Prints the tables of `schema` as `ryx::ryx_table!` declarations, with
/// `diesel::joinable!` for their foreign keys and one
/// `ryx::allow_tables_to_appear_in_same_query!`: Rust source to save as
/// `src/schema.rs`, like `diesel print-schema`. Only reads the catalog.
///
/// What is printed, per table (sorted by name; `ryx_migrations` left out):
///
/// - the primary key (composite too) and each column, typed as diesel names
///   the type: `Int2/4/8`, `Float4/8`, `Numeric`, `Text`, `Varchar`, `Bool`,
///   `Timestamp`, `Timestamptz`, `Date`, `Time`, `Uuid`, `Json`, `Jsonb`,
///   `Bytea`, in `Nullable<..>` when the column accepts NULL;
/// - what the migration side of `ryx_table!` can create again: a
///   `varchar(n)`'s `#[max_length = n]`; `#[ryx(default = "..")]` with the
///   default as PostgreSQL prints it; `unique` and `index` (on a column, or
///   `unique(a, b)` / `index(a, b)` on the table) for b-tree indexes and
///   unique constraints over plain columns; checks
///   (`check(name = .., sql = ..)`, named as they were in the model when
///   ryx created them); `references = parent` with `on_delete` /
///   `on_update` for single-column foreign keys to a printed table; and
///   `#[ryx(no_auto_increment)]` on a single integer key without a sequence
///   or identity (with one, the key's `nextval(..)` default is ryx's own
///   and not printed);
/// - SQL names that are not plain Rust identifiers (keywords, spaces, a
///   column named like its table) as `name_` with `#[sql_name = ".."]`;
/// - a column whose type `ryx_table!` declares less precisely than the
///   database has it (`numeric(10,2)`, `timestamp(3)`) with a trailing
///   comment naming the database's type.
///
/// Then `diesel::joinable!(child -> parent (fk));` for each foreign key to a
/// parent's single-column primary key of the same type (not to the table itself, and only
/// when one foreign key joins the two tables, as diesel chooses), and one
/// `ryx::allow_tables_to_appear_in_same_query!` listing every table. The
/// joins are diesel's `joinable!`, not `ryx::joinable!`, because
/// `ryx::joinable!` also allows its pair in one query, which the one
/// `allow_tables_to_appear_in_same_query!` already does for every pair:
/// together they are what `ryx::joinable!` gives, scoped joins included.
///
/// What `ryx_table!` cannot declare:
///
/// - a column of another type (arrays, `interval`, enums, domains, `char(n)`,
///   ..), a generated column, a table without a primary key or whose key
///   has such a column: an error naming each one
///   ([`PrintSchemaError::Unsupported`]), or with
///   [`PrintSchemaOptions::skip_unsupported`] a `//` comment in its place
///   (the table, or the column, is then not declared);
/// - indexes that are not b-trees over plain columns (expressions, `WHERE`,
///   `INCLUDE`, `DESC`, GIN, ..), foreign keys over several columns or to a
///   table not printed, checks marked `NOT VALID`, sequence defaults on
///   other columns: a `// ..` note above the table; they do not change the
///   declared types.
///
/// PostgreSQL only: SQLite and MySQL have no schemas to print per tenant.
///
/// ```no_run
/// use ryx_migrate::{print_schema, PrintSchemaOptions};
/// # fn f(conn: &mut diesel::PgConnection) -> Result<(), ryx_migrate::PrintSchemaError> {
/// let source = print_schema(conn, "tenant1", &PrintSchemaOptions::new())?;
/// std::fs::write("src/schema.rs", source).ok();
/// # Ok(()) }
/// ```
pub fn print_schema<C>(
    conn: &mut C,
    schema: &str,
    options: &PrintSchemaOptions,
) -> Result<String, PrintSchemaError>
where
    C: Connection<Backend = Pg> + LoadConnection,
{
    ryx_dsl::SchemaName::new(schema).map_err(Error::from)?;
    let exists = <Pg as crate::backend::MigrationBackend>::schema_exists(conn, schema)
        .map_err(db_error(schema, "look the schema up"))?;
    if !exists {
        return Err(PrintSchemaError::NoSchema {
            schema: schema.to_owned(),
        });
    }
    let catalog = catalog::read(conn, schema).map_err(db_error(schema, "read the catalog"))?;
    let tables = if options.tables.is_empty() {
        catalog.tables.clone()
    } else {
        let mut asked: Vec<String> = Vec::new();
        for table in &options.tables {
            if !catalog.tables.contains(table) {
                return Err(PrintSchemaError::NoTable {
                    schema: schema.to_owned(),
                    table: table.clone(),
                    available: if catalog.tables.is_empty() {
                        "none".to_owned()
                    } else {
                        catalog.tables.join(", ")
                    },
                });
            }
            if !asked.contains(table) {
                asked.push(table.clone());
            }
        }
        asked.sort();
        asked
    };
    let mut problems = Vec::new();
    let printed = model::build(
        schema,
        &catalog,
        &tables,
        options.skip_unsupported,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(PrintSchemaError::Unsupported { problems });
    }
    Ok(render::render(&printed))
}
