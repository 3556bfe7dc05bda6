//! Table metadata emitted by `ryx_table!`: what the migration side needs to
//! create and compare tables.

/// A column's SQL type, as declared in `ryx_table!` (without `Nullable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// `Int2` / `SmallInt`.
    SmallInt,
    /// `Int4` / `Integer`.
    Integer,
    /// `Int8` / `BigInt`.
    BigInt,
    /// `Text`.
    Text,
    /// `Varchar` / `VarChar`, with the column's `max_length` if any.
    Varchar,
    /// `Bool`.
    Bool,
    /// `Float4` / `Float`.
    Float,
    /// `Float8` / `Double`.
    Double,
    /// `Numeric` / `Decimal`.
    Numeric,
    /// `Date`.
    Date,
    /// `Time`.
    Time,
    /// `Timestamp` (without time zone).
    Timestamp,
    /// `Timestamptz` (with time zone).
    Timestamptz,
    /// `Uuid`.
    Uuid,
    /// `Json`.
    Json,
    /// `Jsonb`.
    Jsonb,
    /// `Binary` / `Bytea` / `Blob`.
    Binary,
}

impl ColumnType {
    /// Whether the type is an integer (a single integer primary key auto-increments).
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt
        )
    }
}

/// A foreign key: the column references `table(column)` in the same schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForeignKey {
    /// The referenced table's SQL name.
    pub table: String,
    /// The referenced column's SQL name.
    pub column: String,
}

/// One column of a [`TableState`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ColumnState {
    /// The column's SQL name.
    pub name: String,
    /// Its SQL type.
    pub sql_type: ColumnType,
    /// `Nullable<..>` in the declaration; otherwise the column is `NOT NULL`.
    pub nullable: bool,
    /// A default, as SQL text (`#[ryx(default = "0")]`).
    pub default: Option<String>,
    /// `#[ryx(unique)]`.
    pub unique: bool,
    /// `#[ryx(index)]`: a (non-unique) index on this column.
    pub indexed: bool,
    /// `#[ryx(max_length = N)]` or diesel's `#[max_length = N]`.
    pub max_length: Option<u32>,
    /// `#[ryx(references = table)]` or `#[ryx(references = table(column))]`.
    pub references: Option<ForeignKey>,
}

/// What `ryx_table!` knows about a table: enough to create it and to compare it
/// with a live one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TableState {
    /// The table's SQL name.
    pub name: String,
    /// Its columns, in declaration order.
    pub columns: Vec<ColumnState>,
    /// The primary key's column names.
    pub primary_key: Vec<String>,
    /// Whether a single integer primary key auto-increments (the default; opt
    /// out with `#[ryx(no_auto_increment)]` on the table).
    pub auto_increment: bool,
}

impl TableState {
    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&ColumnState> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether the primary key is one integer column that auto-increments.
    pub fn has_auto_increment_key(&self) -> bool {
        self.auto_increment
            && self.primary_key.len() == 1
            && self
                .column(&self.primary_key[0])
                .is_some_and(|c| c.sql_type.is_integer())
    }

    #[doc(hidden)]
    pub fn __new(
        name: &str,
        columns: Vec<ColumnState>,
        primary_key: &[&str],
        auto_increment: bool,
    ) -> Self {
        TableState {
            name: name.to_owned(),
            columns,
            primary_key: primary_key.iter().map(|s| (*s).to_owned()).collect(),
            auto_increment,
        }
    }
}

impl ColumnState {
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub fn __new(
        name: &str,
        sql_type: ColumnType,
        nullable: bool,
        default: Option<&str>,
        unique: bool,
        indexed: bool,
        max_length: Option<u32>,
        references: Option<(&str, &str)>,
    ) -> Self {
        ColumnState {
            name: name.to_owned(),
            sql_type,
            nullable,
            default: default.map(str::to_owned),
            unique,
            indexed,
            max_length,
            references: references.map(|(table, column)| ForeignKey {
                table: table.to_owned(),
                column: column.to_owned(),
            }),
        }
    }
}

/// A table declared with `ryx_table!`: its metadata for migrations.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no ryx table metadata",
    note = "declare the table with `ryx::ryx_table! {{ .. }}`; diesel's `table!` carries no DDL metadata"
)]
pub trait RyxTable: Default {
    /// The table's SQL name: its `#[sql_name = ".."]`, else its Rust name
    /// without `r#`.
    const SQL_NAME: &'static str;

    /// The SQL names of the primary key's columns. A
    /// `#[ryx(references = table)]` on another table reads these two
    /// constants, so a foreign key names the referenced table's SQL name and
    /// key, whatever their Rust names.
    const PRIMARY_KEY: &'static [&'static str];

    /// The table's metadata: columns, types, keys and attributes.
    fn table_state(&self) -> TableState;
}
