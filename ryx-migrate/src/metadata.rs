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

/// What a foreign key does when the referenced row is deleted or its key
/// updated: `#[ryx(references = t, on_delete = cascade, on_update = restrict)]`.
///
/// Without an action the database's default applies (`NO ACTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReferentialAction {
    /// `cascade`: `CASCADE`, delete (update) the referencing rows too.
    Cascade,
    /// `restrict`: `RESTRICT`, refuse at once.
    Restrict,
    /// `set_null`: `SET NULL` (the column must be `Nullable`).
    SetNull,
    /// `set_default`: `SET DEFAULT` (PostgreSQL and SQLite; MySQL's InnoDB
    /// refuses it and MariaDB's accepts it but restricts instead, so the DDL
    /// generator refuses it on MySQL).
    SetDefault,
    /// `no_action`: `NO ACTION`, refuse at the end of the statement.
    NoAction,
}

impl ReferentialAction {
    /// The SQL spelling: `CASCADE`, `RESTRICT`, `SET NULL`, `SET DEFAULT`, `NO ACTION`.
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
            ReferentialAction::NoAction => "NO ACTION",
        }
    }

    /// The action named as in `ryx_table!` (`cascade`, `restrict`, `set_null`,
    /// `set_default`, `no_action`) or as in SQL (`SET NULL`, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.trim().to_ascii_lowercase().replace(' ', "_");
        Some(match n.as_str() {
            "cascade" => ReferentialAction::Cascade,
            "restrict" => ReferentialAction::Restrict,
            "set_null" => ReferentialAction::SetNull,
            "set_default" => ReferentialAction::SetDefault,
            "no_action" => ReferentialAction::NoAction,
            _ => return None,
        })
    }
}

/// A table-level index over several columns: `#[ryx(index(a, b))]`, or a
/// unique constraint `#[ryx(unique(a, b))]` (`unique == true`).
///
/// Its SQL name is [`constraint_name`](crate::constraint_name) of the table,
/// the columns and `unique`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TableIndex {
    /// The columns' SQL names, in order.
    pub columns: Vec<String>,
    /// A unique constraint rather than a plain index.
    pub unique: bool,
}

impl TableIndex {
    /// An index (or, with `unique`, a unique constraint) over `columns`.
    pub fn new<S: AsRef<str>>(columns: &[S], unique: bool) -> Self {
        TableIndex {
            columns: columns.iter().map(|c| c.as_ref().to_owned()).collect(),
            unique,
        }
    }
}

/// A check constraint: `#[ryx(check(name = "positive_views", sql = "views >= 0"))]`.
///
/// Its SQL name is [`check_name`](crate::check_name) of the table and `name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CheckConstraint {
    /// The name given in the model (letters, digits and `_`).
    pub name: String,
    /// The condition, as SQL text, written inside `CHECK (..)` as given.
    pub sql: String,
}

impl CheckConstraint {
    /// A check named `name` with the condition `sql`.
    pub fn new(name: impl Into<String>, sql: impl Into<String>) -> Self {
        CheckConstraint {
            name: name.into(),
            sql: sql.into(),
        }
    }
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
    /// The foreign key's `ON DELETE` action (`#[ryx(on_delete = cascade)]`);
    /// `None`: the database's default, `NO ACTION`.
    pub on_delete: Option<ReferentialAction>,
    /// The foreign key's `ON UPDATE` action (`#[ryx(on_update = cascade)]`).
    pub on_update: Option<ReferentialAction>,
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
    /// Table-level indexes and unique constraints over several columns
    /// (`#[ryx(index(a, b))]`, `#[ryx(unique(a, b))]`), in declaration order.
    pub indexes: Vec<TableIndex>,
    /// Check constraints (`#[ryx(check(name = "..", sql = ".."))]`).
    pub checks: Vec<CheckConstraint>,
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
            indexes: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Adds table-level indexes (`(columns, unique)`) and checks (`(name, sql)`).
    #[doc(hidden)]
    pub fn __with_constraints(
        mut self,
        indexes: &[(&[&str], bool)],
        checks: &[(&str, &str)],
    ) -> Self {
        self.indexes.extend(
            indexes
                .iter()
                .map(|(cols, unique)| TableIndex::new(cols, *unique)),
        );
        self.checks.extend(
            checks
                .iter()
                .map(|(name, sql)| CheckConstraint::new(*name, *sql)),
        );
        self
    }

    /// Adds a table-level index or unique constraint.
    pub fn with_index(mut self, index: TableIndex) -> Self {
        self.indexes.push(index);
        self
    }

    /// Adds a check constraint.
    pub fn with_check(mut self, check: CheckConstraint) -> Self {
        self.checks.push(check);
        self
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
            on_delete: None,
            on_update: None,
        }
    }

    /// Sets the foreign key's actions, named as in `ryx_table!` (`cascade`, ..).
    #[doc(hidden)]
    pub fn __with_actions(mut self, on_delete: Option<&str>, on_update: Option<&str>) -> Self {
        self.on_delete = on_delete.and_then(ReferentialAction::from_name);
        self.on_update = on_update.and_then(ReferentialAction::from_name);
        self
    }

    /// Sets the foreign key's `ON DELETE` and `ON UPDATE` actions.
    pub fn with_actions(
        mut self,
        on_delete: Option<ReferentialAction>,
        on_update: Option<ReferentialAction>,
    ) -> Self {
        self.on_delete = on_delete;
        self.on_update = on_update;
        self
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
