//! From the catalog to what `ryx_table!` can declare: each printed table's
//! columns (their diesel types), keys, constraints and indexes, the foreign
//! keys that become `joinable!` lines, and what cannot be declared.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{Catalog, ColumnRow, ConstraintRow};
use super::names::{check_model_name, unique_idents};

/// A declarable column.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub(super) sql_name: String,
    pub(super) rust_name: String,
    /// diesel's name of the type (`Int8`, `Varchar`, ..), without `Nullable`.
    pub(super) diesel_type: &'static str,
    pub(super) nullable: bool,
    pub(super) max_length: Option<i32>,
    pub(super) default: Option<String>,
    pub(super) unique: bool,
    pub(super) index: bool,
    /// `references = parent` (`None` column: the parent's key) or `parent(column)`.
    pub(super) references: Option<(String, Option<String>)>,
    pub(super) on_delete: Option<&'static str>,
    pub(super) on_update: Option<&'static str>,
    /// How the database spells a type that `ryx_table!` declares less
    /// precisely (`numeric(10,2)`), for a comment.
    pub(super) database_type: Option<String>,
}

/// A table to declare.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    pub(super) sql_name: String,
    pub(super) rust_name: String,
    pub(super) columns: Vec<Column>,
    /// Comment lines in the body for columns left out (`--skip-unsupported`).
    pub(super) left_out: Vec<String>,
    /// The primary key's columns (SQL names).
    pub(super) primary_key: Vec<String>,
    pub(super) no_auto_increment: bool,
    /// `unique(..)` and `index(..)` over several columns (SQL names).
    pub(super) uniques: Vec<Vec<String>>,
    pub(super) indexes: Vec<Vec<String>>,
    /// `check(name = .., sql = ..)`.
    pub(super) checks: Vec<(String, String)>,
    /// Comment lines above the table: what the database has that is not declared.
    pub(super) notes: Vec<String>,
}

impl Table {
    pub(super) fn column(&self, sql_name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.sql_name == sql_name)
    }

    fn column_mut(&mut self, sql_name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.sql_name == sql_name)
    }
}

/// The printed schema, before rendering.
#[derive(Debug, Clone, Default)]
pub(super) struct Schema {
    pub(super) tables: Vec<Table>,
    /// Comment lines for tables left out (`--skip-unsupported`).
    pub(super) left_out: Vec<String>,
    /// `(child, parent, fk column)`, SQL names.
    pub(super) joinables: Vec<(String, String, String)>,
}

impl Schema {
    pub(super) fn table(&self, sql_name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.sql_name == sql_name)
    }
}

/// diesel's type for a built-in PostgreSQL type `ryx_table!` knows, and how
/// PostgreSQL spells the type ryx creates for it (to notice a precision or
/// length the declaration cannot carry).
fn diesel_type(row: &ColumnRow) -> Option<(&'static str, String)> {
    if row.type_schema != "pg_catalog" {
        return None;
    }
    let (diesel, created) = match row.type_name.as_str() {
        "int2" => ("Int2", "smallint"),
        "int4" => ("Int4", "integer"),
        "int8" => ("Int8", "bigint"),
        "float4" => ("Float4", "real"),
        "float8" => ("Float8", "double precision"),
        "numeric" => ("Numeric", "numeric"),
        "text" => ("Text", "text"),
        "varchar" => {
            return Some((
                "Varchar",
                match varchar_length(row) {
                    Some(n) => format!("character varying({n})"),
                    None => "character varying".to_owned(),
                },
            ))
        }
        "bool" => ("Bool", "boolean"),
        "timestamp" => ("Timestamp", "timestamp without time zone"),
        "timestamptz" => ("Timestamptz", "timestamp with time zone"),
        "date" => ("Date", "date"),
        "time" => ("Time", "time without time zone"),
        "uuid" => ("Uuid", "uuid"),
        "json" => ("Json", "json"),
        "jsonb" => ("Jsonb", "jsonb"),
        "bytea" => ("Bytea", "bytea"),
        _ => return None,
    };
    Some((diesel, created.to_owned()))
}

/// A `varchar(n)`'s `n` (PostgreSQL stores `n + 4`).
fn varchar_length(row: &ColumnRow) -> Option<i32> {
    (row.typmod > 4).then(|| row.typmod - 4)
}

/// `pg_constraint`'s action code as `ryx_table!` names it; `None` for the
/// default (`NO ACTION`).
fn action(code: &str) -> Option<&'static str> {
    match code {
        "r" => Some("restrict"),
        "c" => Some("cascade"),
        "n" => Some("set_null"),
        "d" => Some("set_default"),
        _ => None,
    }
}

/// A check's condition: `pg_get_constraintdef`'s `CHECK (cond)` without the
/// `CHECK (..)` around it. `None` for one it does not recognise (`NOT VALID`).
fn check_condition(definition: &str) -> Option<String> {
    definition
        .strip_prefix("CHECK (")
        .and_then(|rest| rest.strip_suffix(')'))
        .map(str::to_owned)
}

/// Builds the printed schema from `catalog` for `tables` (SQL names, all of
/// them present in the catalog). What `ryx_table!` cannot declare is
/// returned in `problems` unless `skip`, which leaves it out with a comment.
pub(super) fn build(
    schema_name: &str,
    catalog: &Catalog,
    tables: &[String],
    skip: bool,
    problems: &mut Vec<String>,
) -> Schema {
    let mut schema = Schema::default();
    for name in tables {
        let rows: Vec<&ColumnRow> = catalog
            .columns
            .iter()
            .filter(|c| &c.table_name == name)
            .collect();
        let constraints: Vec<&ConstraintRow> = catalog
            .constraints
            .iter()
            .filter(|c| &c.table_name == name)
            .collect();
        match table(name, &rows, &constraints, skip, problems) {
            Ok(t) => schema.tables.push(t),
            Err(why) if skip => schema
                .left_out
                .push(format!("table `{name}` is not declared: {why}")),
            Err(why) => problems.push(format!("table `{name}`: {why}")),
        }
    }
    let rust_tables = unique_idents(schema.tables.iter().map(|t| t.sql_name.as_str()), None);
    for (t, rust) in schema.tables.iter_mut().zip(rust_tables) {
        t.rust_name = rust;
        let rust_columns = unique_idents(
            t.columns.iter().map(|c| c.sql_name.as_str()),
            Some(&t.rust_name),
        );
        for (c, rust) in t.columns.iter_mut().zip(rust_columns) {
            c.rust_name = rust;
        }
    }
    let printed: BTreeSet<String> = schema.tables.iter().map(|t| t.sql_name.clone()).collect();
    let keys: BTreeMap<String, (Vec<String>, Vec<String>)> = schema
        .tables
        .iter()
        .map(|t| {
            let columns = t.columns.iter().map(|c| c.sql_name.clone()).collect();
            (t.sql_name.clone(), (t.primary_key.clone(), columns))
        })
        .collect();
    for t in &mut schema.tables {
        constraints_of(t, schema_name, catalog, &printed, &keys);
    }
    schema.joinables = joinables(&schema);
    schema
}

/// One table's columns and primary key, or why it cannot be declared. A
/// column that cannot be is a problem, or with `skip` a comment in the body.
fn table(
    name: &str,
    rows: &[&ColumnRow],
    constraints: &[&ConstraintRow],
    skip: bool,
    problems: &mut Vec<String>,
) -> Result<Table, String> {
    let primary_key = constraints
        .iter()
        .find(|c| c.kind == "p")
        .map(|c| c.columns.clone())
        .ok_or_else(|| "it has no primary key, which ryx_table! needs".to_owned())?;
    let mut t = Table {
        sql_name: name.to_owned(),
        primary_key,
        ..Table::default()
    };
    for row in rows {
        let why = if row.generated {
            Some("it is a generated column (GENERATED ALWAYS AS ..)".to_owned())
        } else if diesel_type(row).is_none() {
            Some(format!(
                "its type `{}` is not one ryx_table! declares (Int2/4/8, Float4/8, Numeric, Text, \
                 Varchar, Bool, Timestamp, Timestamptz, Date, Time, Uuid, Json, Jsonb, Bytea)",
                row.format_type
            ))
        } else {
            None
        };
        if let Some(why) = why {
            if t.primary_key.contains(&row.column_name) {
                return Err(format!(
                    "its primary key column `{}`: {why}",
                    row.column_name
                ));
            }
            if skip {
                t.left_out.push(format!(
                    "column `{}` is not declared: {why}",
                    row.column_name
                ));
            } else {
                problems.push(format!("column `{name}.{}`: {why}", row.column_name));
            }
            continue;
        }
        if let Some(c) = column(row) {
            t.columns.push(c);
        }
    }
    if t.columns.is_empty() {
        return Err("none of its columns can be declared".to_owned());
    }
    auto_increment(&mut t, rows);
    Ok(t)
}

fn column(row: &ColumnRow) -> Option<Column> {
    let (diesel_type, created) = diesel_type(row)?;
    Some(Column {
        sql_name: row.column_name.clone(),
        rust_name: String::new(),
        diesel_type,
        nullable: !row.not_null,
        max_length: if diesel_type == "Varchar" {
            varchar_length(row)
        } else {
            None
        },
        default: row.default_sql.clone(),
        unique: false,
        index: false,
        references: None,
        on_delete: None,
        on_update: None,
        database_type: (row.format_type != created).then(|| row.format_type.clone()),
    })
}

/// A single integer key auto-increments in `ryx_table!` unless
/// `no_auto_increment`: keep that when the database's key has a sequence
/// (`serial`) or is an identity, and drop its `nextval(..)` default, which
/// ryx creates itself. A sequence default elsewhere cannot be declared.
fn auto_increment(t: &mut Table, rows: &[&ColumnRow]) {
    let single_int_key = match t.primary_key.as_slice() {
        [key] => t
            .column(key)
            .filter(|c| matches!(c.diesel_type, "Int2" | "Int4" | "Int8"))
            .map(|c| c.sql_name.clone()),
        _ => None,
    };
    for row in rows {
        let Some(c) = t.column_mut(&row.column_name) else {
            continue;
        };
        let sequence = c
            .default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        if single_int_key.as_deref() == Some(c.sql_name.as_str()) {
            if sequence || row.identity {
                c.default = None;
            } else {
                t.no_auto_increment = true;
            }
        } else if sequence || row.identity {
            let name = c.sql_name.clone();
            c.default = None;
            t.notes.push(format!(
                "column `{name}` takes its default from a sequence (or is an identity), \
                 which ryx_table! declares only for a single integer primary key: not declared"
            ));
        }
    }
}

/// The table's unique constraints, indexes, checks and foreign keys, as
/// column attributes (one column) or table attributes (several); what cannot
/// be declared becomes a note.
fn constraints_of(
    t: &mut Table,
    schema: &str,
    catalog: &Catalog,
    printed: &BTreeSet<String>,
    keys: &BTreeMap<String, (Vec<String>, Vec<String>)>,
) {
    let mut uniques: Vec<Vec<String>> = Vec::new();
    let mut indexes: Vec<Vec<String>> = Vec::new();
    let declared = |t: &Table, cols: &[String]| cols.iter().all(|c| t.column(c).is_some());
    let name = t.sql_name.clone();
    for con in catalog.constraints.iter().filter(|c| c.table_name == name) {
        match con.kind.as_str() {
            "u" if declared(t, &con.columns) => uniques.push(con.columns.clone()),
            "c" => match check_condition(&con.definition) {
                Some(sql) => {
                    let name = check_model_name(&t.sql_name, &con.name);
                    t.checks.push((name, sql));
                }
                None => t.notes.push(format!(
                    "check `{}` is not declared: {}",
                    con.name, con.definition
                )),
            },
            "f" if con.ref_schema != schema => t.notes.push(format!(
                "foreign key `{}` is not declared: it references a table of schema `{}`",
                con.name, con.ref_schema
            )),
            "f" => foreign_key(t, con, printed, keys),
            "u" => t.notes.push(format!(
                "unique constraint `{}` is not declared: it covers a column left out",
                con.name
            )),
            _ => {}
        }
    }
    for index in catalog.indexes.iter().filter(|i| i.table_name == name) {
        if !index.plain || !declared(t, &index.columns) {
            t.notes.push(format!(
                "index `{}` is not declared: ryx_table! declares b-tree indexes over its columns only",
                index.name
            ));
        } else if index.is_unique {
            uniques.push(index.columns.clone());
        } else {
            indexes.push(index.columns.clone());
        }
    }
    for cols in uniques {
        if cols == t.primary_key || t.uniques.contains(&cols) {
            continue;
        }
        match cols.as_slice() {
            [one] => {
                if let Some(c) = t.column_mut(one) {
                    c.unique = true;
                }
            }
            _ => t.uniques.push(cols),
        }
    }
    for cols in indexes {
        if t.indexes.contains(&cols) {
            continue;
        }
        match cols.as_slice() {
            [one] => {
                if let Some(c) = t.column_mut(one) {
                    c.index = true;
                }
            }
            _ => t.indexes.push(cols),
        }
    }
}

/// A single-column foreign key to a printed table of the same schema
/// becomes `references`; any other, a note.
fn foreign_key(
    t: &mut Table,
    con: &ConstraintRow,
    printed: &BTreeSet<String>,
    keys: &BTreeMap<String, (Vec<String>, Vec<String>)>,
) {
    let why = match (con.columns.as_slice(), con.ref_columns.as_slice()) {
        ([column], [ref_column]) => {
            match keys
                .get(&con.ref_table)
                .filter(|_| printed.contains(&con.ref_table))
            {
                Some((ref_key, ref_columns)) if ref_columns.contains(ref_column) => {
                    if let Some(c) = t.column_mut(column) {
                        let target = (ref_key.as_slice() != [ref_column.clone()])
                            .then(|| ref_column.clone());
                        c.references = Some((con.ref_table.clone(), target));
                        c.on_delete = action(&con.on_delete);
                        c.on_update = action(&con.on_update);
                        return;
                    }
                    "its column is left out"
                }
                _ => "the table or column it references is not printed",
            }
        }
        _ => "it spans several columns",
    };
    t.notes
        .push(format!("foreign key `{}` is not declared: {why}", con.name));
}

/// `(child, parent, fk)` for the `references` to a parent's single-column
/// key of the same SQL type, as diesel's print-schema chooses them: not to
/// the table itself, and only when one foreign key joins the two tables (two
/// would be ambiguous, and diesel's `joinable!` joins both ways).
fn joinables(schema: &Schema) -> Vec<(String, String, String)> {
    let mut edges: Vec<(String, String, String)> = Vec::new();
    for t in &schema.tables {
        for c in &t.columns {
            if let Some((parent, None)) = &c.references {
                // diesel compares the key and the foreign key: one SQL type
                let same_type = schema
                    .table(parent)
                    .and_then(|p| p.primary_key.first().and_then(|k| p.column(k)))
                    .is_some_and(|key| key.diesel_type == c.diesel_type);
                if parent != &t.sql_name && same_type {
                    edges.push((t.sql_name.clone(), parent.clone(), c.sql_name.clone()));
                }
            }
        }
    }
    let pair = |(a, b, _): &(String, String, String)| {
        if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        }
    };
    let mut count: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in &edges {
        *count.entry(pair(e)).or_default() += 1;
    }
    edges
        .into_iter()
        .filter(|e| count.get(&pair(e)) == Some(&1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_conditions_lose_only_the_check_around_them() {
        assert_eq!(
            check_condition("CHECK ((views >= 0))").as_deref(),
            Some("(views >= 0)")
        );
        assert_eq!(check_condition("CHECK ((a > 0)) NOT VALID"), None);
    }

    #[test]
    fn actions_by_their_ryx_names() {
        assert_eq!(action("c"), Some("cascade"));
        assert_eq!(action("n"), Some("set_null"));
        assert_eq!(action("a"), None);
    }
}
