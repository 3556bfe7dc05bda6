//! DDL as pure functions: table metadata in, SQL text out, no connection.

use ryx_dsl::SchemaName;

use crate::backend::Backend;
use crate::error::Error;
use crate::metadata::{ColumnState, ColumnType, TableState};

mod constraints;

pub use self::constraints::{check_name, constraint_name};

/// Generates DDL for one backend, optionally inside one schema.
///
/// Every identifier is quoted through [`Backend::quote`]; on SQLite and MySQL
/// the schema is validated and then ignored (they have no schemas).
///
/// ```
/// use ryx_migrate::{Backend, DDLGenerator};
///
/// let gen = DDLGenerator::new(Backend::PostgreSQL);
/// assert_eq!(
///     gen.create_schema("tenant1")?.as_deref(),
///     Some(r#"CREATE SCHEMA IF NOT EXISTS "tenant1""#)
/// );
/// assert_eq!(DDLGenerator::new(Backend::SQLite).create_schema("tenant1")?, None);
/// assert!(gen.create_schema("pg_x").is_err());
/// # Ok::<(), ryx_migrate::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DDLGenerator {
    backend: Backend,
    schema: Option<SchemaName>,
    schema_error: Option<ryx_dsl::SchemaNameError>,
}

/// How many hex digits of the SHA-256 an [`index_name`] carries.
const INDEX_HASH_HEX: usize = 10;

/// The index name ryx gives `#[ryx(index)]` columns:
/// `<table>_<column>_<hash>_idx`, where `<hash>` is 10 hex digits of the SHA-256
/// of `(table, column)`, and `<table>_<column>` is cut (on a character
/// boundary) so the name stays within 63 bytes (PostgreSQL's limit; MySQL's is
/// 64).
///
/// The hash keeps names apart that `<table>_<column>_idx` would merge: table
/// `a_b` with column `c` and table `a` with column `b_c`. It is stable, so the
/// model runner finds an index it created earlier by the same name.
///
/// ```
/// use ryx_migrate::index_name;
///
/// let name = index_name("ms_posts", "author_id");
/// assert!(name.starts_with("ms_posts_author_id_") && name.ends_with("_idx"));
/// assert_ne!(index_name("a_b", "c"), index_name("a", "b_c"));
/// assert!(index_name(&"t".repeat(60), "c").len() <= 63);
/// ```
pub fn index_name(table: &str, column: &str) -> String {
    // the table's length first: `(a_b, c)` and `(a, b_c)` hash apart
    let key = format!("{}:{table}:{column}", table.len());
    hashed_name(&format!("{table}_{column}"), &key, "idx")
}

/// `<readable>_<hash>_<kind>`: 10 hex digits of the SHA-256 of `key`, and
/// `readable` cut on a character boundary so the name stays within 63 bytes.
pub(crate) fn hashed_name(readable: &str, key: &str, kind: &str) -> String {
    let digest = crate::checksum::sha256_hex(key.as_bytes());
    let hash = digest.get(..INDEX_HASH_HEX).unwrap_or(&digest);
    let suffix = format!("_{hash}_{kind}");
    let budget = ryx_dsl::MAX_SCHEMA_NAME_BYTES.saturating_sub(suffix.len());
    let mut name = String::with_capacity(ryx_dsl::MAX_SCHEMA_NAME_BYTES);
    for c in readable.chars() {
        if name.len() + c.len_utf8() > budget {
            break;
        }
        name.push(c);
    }
    name.push_str(&suffix);
    name
}

/// The name ryx 0.1 gave an index of `table.column` (`<table>_<column>_idx`),
/// ambiguous across tables but not among one table's own indexes: the model
/// runner accepts it there, so tenants migrated before the hashed names keep
/// their indexes instead of getting a second copy.
pub(crate) fn legacy_index_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_idx")
}

impl DDLGenerator {
    /// A generator for `backend`, outside any schema (unqualified names).
    pub fn new(backend: Backend) -> Self {
        DDLGenerator {
            backend,
            schema: None,
            schema_error: None,
        }
    }

    /// Qualifies every table and index with `schema` (PostgreSQL; validated and
    /// ignored on SQLite and MySQL). An invalid name makes every generating
    /// method return [`Error::InvalidSchemaName`].
    pub fn in_schema(mut self, schema: impl AsRef<str>) -> Self {
        match SchemaName::new(schema.as_ref()) {
            Ok(name) => {
                self.schema = Some(name);
                self.schema_error = None;
            }
            Err(e) => {
                self.schema = None;
                self.schema_error = Some(e);
            }
        }
        self
    }

    /// The backend this generator writes for.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn schema(&self) -> Result<Option<&str>, Error> {
        if let Some(e) = &self.schema_error {
            return Err(Error::InvalidSchemaName(e.clone()));
        }
        Ok(self.schema.as_ref().map(SchemaName::as_str))
    }

    fn qualify(&self, name: &str) -> Result<String, Error> {
        Ok(self.backend.qualify(self.schema()?, name))
    }

    fn q(&self, ident: &str) -> String {
        self.backend.quote(ident)
    }

    /// `CREATE SCHEMA IF NOT EXISTS "name"` on PostgreSQL; `None` on SQLite and
    /// MySQL. Refuses names PostgreSQL would truncate or reserves (`pg_`).
    pub fn create_schema(&self, name: &str) -> Result<Option<String>, Error> {
        let name = SchemaName::new_for_create(name)?;
        Ok(self
            .backend
            .has_schemas()
            .then(|| format!("CREATE SCHEMA IF NOT EXISTS {}", self.q(name.as_str()))))
    }

    /// `DROP SCHEMA IF EXISTS "name" CASCADE` on PostgreSQL; `None` elsewhere.
    pub fn drop_schema(&self, name: &str) -> Result<Option<String>, Error> {
        let name = SchemaName::new_for_create(name)?;
        Ok(self
            .backend
            .has_schemas()
            .then(|| format!("DROP SCHEMA IF EXISTS {} CASCADE", self.q(name.as_str()))))
    }

    /// The column's SQL type on this backend (without NULL/NOT NULL).
    pub fn column_type(&self, column: &ColumnState) -> String {
        let varchar = |max: Option<u32>| match (self.backend, max) {
            (Backend::SQLite, _) => "TEXT".to_owned(),
            (_, Some(n)) => format!("VARCHAR({n})"),
            (Backend::MySQL, None) => "VARCHAR(255)".to_owned(),
            (_, None) => "VARCHAR".to_owned(),
        };
        let b = self.backend;
        match column.sql_type {
            ColumnType::SmallInt => "SMALLINT".into(),
            ColumnType::Integer => "INTEGER".into(),
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Text => match (b, column.max_length) {
                (Backend::SQLite, _) | (_, None) => "TEXT".into(),
                (_, Some(n)) => format!("VARCHAR({n})"),
            },
            ColumnType::Varchar => varchar(column.max_length),
            ColumnType::Bool => "BOOLEAN".into(),
            ColumnType::Float => match b {
                Backend::MySQL => "FLOAT".into(),
                _ => "REAL".into(),
            },
            ColumnType::Double => match b {
                Backend::PostgreSQL => "DOUBLE PRECISION".into(),
                Backend::MySQL => "DOUBLE".into(),
                Backend::SQLite => "REAL".into(),
            },
            ColumnType::Numeric => match b {
                Backend::MySQL => "DECIMAL(65, 30)".into(),
                _ => "NUMERIC".into(),
            },
            ColumnType::Date => "DATE".into(),
            ColumnType::Time => "TIME".into(),
            ColumnType::Timestamp => match b {
                Backend::MySQL => "DATETIME(6)".into(),
                _ => "TIMESTAMP".into(),
            },
            ColumnType::Timestamptz => match b {
                Backend::PostgreSQL => "TIMESTAMPTZ".into(),
                Backend::MySQL => "TIMESTAMP(6)".into(),
                Backend::SQLite => "TIMESTAMPTZ".into(),
            },
            ColumnType::Uuid => match b {
                Backend::PostgreSQL => "UUID".into(),
                Backend::MySQL => "CHAR(36)".into(),
                Backend::SQLite => "TEXT".into(),
            },
            ColumnType::Json => match b {
                Backend::SQLite => "TEXT".into(),
                _ => "JSON".into(),
            },
            ColumnType::Jsonb => match b {
                Backend::PostgreSQL => "JSONB".into(),
                Backend::MySQL => "JSON".into(),
                Backend::SQLite => "TEXT".into(),
            },
            ColumnType::Binary => match b {
                Backend::PostgreSQL => "BYTEA".into(),
                _ => "BLOB".into(),
            },
        }
    }

    /// A column definition for `CREATE TABLE` / `ADD COLUMN` (no primary key).
    fn column_def(&self, column: &ColumnState) -> String {
        let mut def = format!("{} {}", self.q(&column.name), self.column_type(column));
        if !column.nullable {
            def.push_str(" NOT NULL");
        }
        if let Some(default) = &column.default {
            def.push_str(" DEFAULT ");
            def.push_str(default);
        }
        if column.unique {
            def.push_str(" UNIQUE");
        }
        def
    }

    /// The auto-incrementing single integer primary key column.
    fn auto_key_def(&self, column: &ColumnState) -> String {
        let name = self.q(&column.name);
        match self.backend {
            Backend::PostgreSQL => {
                let serial = match column.sql_type {
                    ColumnType::SmallInt => "SMALLSERIAL",
                    ColumnType::Integer => "SERIAL",
                    _ => "BIGSERIAL",
                };
                format!("{name} {serial} PRIMARY KEY")
            }
            Backend::MySQL => format!(
                "{name} {} NOT NULL AUTO_INCREMENT PRIMARY KEY",
                self.column_type(column)
            ),
            // Only `INTEGER PRIMARY KEY` aliases SQLite's rowid.
            Backend::SQLite => format!("{name} INTEGER PRIMARY KEY AUTOINCREMENT"),
        }
    }

    /// `CREATE TABLE IF NOT EXISTS "schema"."table" (..)` with its columns,
    /// primary key, unique columns, unique constraints over several columns
    /// (`CONSTRAINT "<name>" UNIQUE (..)`; on SQLite they are unique indexes,
    /// see [`DDLGenerator::create_indexes`]), checks (`CONSTRAINT "<name>"
    /// CHECK (..)`, every backend) and foreign keys (to tables in the same
    /// schema, with their `ON DELETE` / `ON UPDATE` actions). Indexes are
    /// separate statements: [`DDLGenerator::create_indexes`].
    pub fn create_table(&self, table: &TableState) -> Result<String, Error> {
        if table.columns.is_empty() {
            return Err(Error::InvalidTable {
                table: table.name.clone(),
                reason: "it has no columns".into(),
            });
        }
        for key in &table.primary_key {
            if table.column(key).is_none() {
                return Err(Error::InvalidTable {
                    table: table.name.clone(),
                    reason: format!("primary key `{key}` is not one of its columns"),
                });
            }
        }
        self.check_constraints(table)?;
        let auto = table.has_auto_increment_key();
        let mut parts = Vec::with_capacity(table.columns.len() + 2);
        for column in &table.columns {
            if auto && table.primary_key[0] == column.name {
                parts.push(self.auto_key_def(column));
            } else {
                parts.push(self.column_def(column));
            }
        }
        if !auto && !table.primary_key.is_empty() {
            let keys: Vec<String> = table.primary_key.iter().map(|k| self.q(k)).collect();
            parts.push(format!("PRIMARY KEY ({})", keys.join(", ")));
        }
        parts.extend(self.constraint_defs(table));
        for column in &table.columns {
            parts.extend(self.foreign_key_def(&table.name, column)?);
        }
        Ok(format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            self.qualify(&table.name)?,
            parts.join(", ")
        ))
    }

    /// `DROP TABLE IF EXISTS "schema"."table"`.
    pub fn drop_table(&self, table: &str) -> Result<String, Error> {
        Ok(format!("DROP TABLE IF EXISTS {}", self.qualify(table)?))
    }

    /// `ALTER TABLE .. ADD COLUMN ..`. A `NOT NULL` column without a default
    /// fails on a table that has rows: give it a default or make it `Nullable`.
    pub fn add_column(&self, table: &str, column: &ColumnState) -> Result<String, Error> {
        Ok(format!(
            "ALTER TABLE {} ADD COLUMN {}",
            self.qualify(table)?,
            self.column_def(column)
        ))
    }

    /// `ALTER TABLE .. DROP COLUMN ..`.
    pub fn drop_column(&self, table: &str, column: &str) -> Result<String, Error> {
        Ok(format!(
            "ALTER TABLE {} DROP COLUMN {}",
            self.qualify(table)?,
            self.q(column)
        ))
    }

    /// `CREATE INDEX "name" ON "schema"."table" ("column")` (`IF NOT EXISTS`
    /// where the backend has it). Indexes live in the table's schema.
    pub fn create_index(&self, table: &str, column: &str, name: &str) -> Result<String, Error> {
        self.create_index_on(table, &[column.to_owned()], name, false)
    }

    /// `DROP INDEX`: schema-qualified on PostgreSQL (`DROP INDEX IF EXISTS
    /// "schema"."name"`), `DROP INDEX `name` ON `table`` on MySQL.
    pub fn drop_index(&self, table: &str, name: &str) -> Result<String, Error> {
        Ok(match self.backend {
            Backend::MySQL => format!("DROP INDEX {} ON {}", self.q(name), self.qualify(table)?),
            _ => format!("DROP INDEX IF EXISTS {}", self.qualify(name)?),
        })
    }

    /// The `CREATE INDEX` statements for the table's `#[ryx(index)]` columns,
    /// then its table-level `#[ryx(index(a, b))]` indexes, and on SQLite its
    /// `#[ryx(unique(a, b))]` constraints as `CREATE UNIQUE INDEX` (named by
    /// [`constraint_name`](crate::constraint_name), so the runner finds them).
    pub fn create_indexes(&self, table: &TableState) -> Result<Vec<String>, Error> {
        let mut out = table
            .columns
            .iter()
            .filter(|c| c.indexed)
            .map(|c| self.create_index(&table.name, &c.name, &index_name(&table.name, &c.name)))
            .collect::<Result<Vec<_>, Error>>()?;
        out.extend(self.create_table_indexes(table)?);
        Ok(out)
    }

    /// Everything to create the table in an empty schema: the table, then its indexes.
    pub fn create_table_with_indexes(&self, table: &TableState) -> Result<Vec<String>, Error> {
        let mut out = vec![self.create_table(table)?];
        out.extend(self.create_indexes(table)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::ColumnState;

    fn posts() -> TableState {
        TableState::__new(
            "ms_posts",
            vec![
                ColumnState::__new(
                    "id",
                    ColumnType::BigInt,
                    false,
                    None,
                    false,
                    false,
                    None,
                    None,
                ),
                ColumnState::__new(
                    "author_id",
                    ColumnType::BigInt,
                    false,
                    None,
                    false,
                    true,
                    None,
                    Some(("ms_authors", "id")),
                ),
                ColumnState::__new(
                    "title",
                    ColumnType::Varchar,
                    false,
                    None,
                    false,
                    false,
                    Some(200),
                    None,
                ),
                ColumnState::__new(
                    "views",
                    ColumnType::Integer,
                    false,
                    Some("0"),
                    false,
                    false,
                    None,
                    None,
                ),
                ColumnState::__new(
                    "slug",
                    ColumnType::Text,
                    true,
                    None,
                    true,
                    false,
                    None,
                    None,
                ),
            ],
            &["id"],
            true,
        )
    }

    #[test]
    fn create_table_per_backend() -> Result<(), Error> {
        let t = posts();
        assert_eq!(
            DDLGenerator::new(Backend::PostgreSQL)
                .in_schema("tenant1")
                .create_table(&t)?,
            r#"CREATE TABLE IF NOT EXISTS "tenant1"."ms_posts" ("id" BIGSERIAL PRIMARY KEY, "author_id" BIGINT NOT NULL, "title" VARCHAR(200) NOT NULL, "views" INTEGER NOT NULL DEFAULT 0, "slug" TEXT UNIQUE, FOREIGN KEY ("author_id") REFERENCES "tenant1"."ms_authors" ("id"))"#
        );
        assert_eq!(
            DDLGenerator::new(Backend::MySQL).in_schema("tenant1").create_table(&t)?,
            "CREATE TABLE IF NOT EXISTS `ms_posts` (`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `author_id` BIGINT NOT NULL, `title` VARCHAR(200) NOT NULL, `views` INTEGER NOT NULL DEFAULT 0, `slug` TEXT UNIQUE, FOREIGN KEY (`author_id`) REFERENCES `ms_authors` (`id`))"
        );
        assert_eq!(
            DDLGenerator::new(Backend::SQLite)
                .in_schema("tenant1")
                .create_table(&t)?,
            r#"CREATE TABLE IF NOT EXISTS "ms_posts" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "author_id" BIGINT NOT NULL, "title" TEXT NOT NULL, "views" INTEGER NOT NULL DEFAULT 0, "slug" TEXT UNIQUE, FOREIGN KEY ("author_id") REFERENCES "ms_authors" ("id"))"#
        );
        Ok(())
    }

    #[test]
    fn composite_and_non_incrementing_keys() -> Result<(), Error> {
        let mut t = posts();
        t.auto_increment = false;
        let sql = DDLGenerator::new(Backend::PostgreSQL).create_table(&t)?;
        assert!(
            sql.starts_with(r#"CREATE TABLE IF NOT EXISTS "ms_posts" ("id" BIGINT NOT NULL,"#),
            "{sql}"
        );
        assert!(sql.contains(r#"PRIMARY KEY ("id")"#), "{sql}");
        t.primary_key = vec!["id".into(), "author_id".into()];
        t.auto_increment = true;
        let sql = DDLGenerator::new(Backend::SQLite).create_table(&t)?;
        assert!(sql.contains(r#"PRIMARY KEY ("id", "author_id")"#), "{sql}");
        Ok(())
    }

    #[test]
    fn indexes_are_schema_qualified_on_postgres() -> Result<(), Error> {
        let g = DDLGenerator::new(Backend::PostgreSQL).in_schema("t1");
        assert_eq!(
            g.create_indexes(&posts())?,
            [
                // the name is pinned: changing it re-creates every deployed index
                r#"CREATE INDEX IF NOT EXISTS "ms_posts_author_id_aaf716c9df_idx" ON "t1"."ms_posts" ("author_id")"#
            ]
        );
        assert_eq!(
            g.drop_index("ms_posts", "ms_posts_author_id_idx")?,
            r#"DROP INDEX IF EXISTS "t1"."ms_posts_author_id_idx""#
        );
        let m = DDLGenerator::new(Backend::MySQL);
        assert_eq!(
            m.drop_index("ms_posts", "i")?,
            "DROP INDEX `i` ON `ms_posts`"
        );
        assert_eq!(
            m.create_index("ms_posts", "c", "i")?,
            "CREATE INDEX `i` ON `ms_posts` (`c`)"
        );
        Ok(())
    }

    #[test]
    fn add_and_drop() -> Result<(), Error> {
        let g = DDLGenerator::new(Backend::PostgreSQL).in_schema("t1");
        let col = ColumnState::__new(
            "n",
            ColumnType::Integer,
            true,
            None,
            false,
            false,
            None,
            None,
        );
        assert_eq!(
            g.add_column("ms_posts", &col)?,
            r#"ALTER TABLE "t1"."ms_posts" ADD COLUMN "n" INTEGER"#
        );
        assert_eq!(
            g.drop_table("ms_posts")?,
            r#"DROP TABLE IF EXISTS "t1"."ms_posts""#
        );
        assert_eq!(
            g.drop_schema("t1")?.as_deref(),
            Some(r#"DROP SCHEMA IF EXISTS "t1" CASCADE"#)
        );
        Ok(())
    }

    #[test]
    fn schema_names_are_checked() {
        let g = DDLGenerator::new(Backend::PostgreSQL);
        assert!(matches!(
            g.create_schema("pg_x"),
            Err(Error::InvalidSchemaName(_))
        ));
        assert!(g.create_schema("").is_err());
        assert!(g.create_schema(&"a".repeat(64)).is_err());
        let bad = DDLGenerator::new(Backend::PostgreSQL).in_schema("");
        assert!(matches!(
            bad.create_table(&posts()),
            Err(Error::InvalidSchemaName(_))
        ));
        assert!(DDLGenerator::new(Backend::SQLite)
            .in_schema("")
            .drop_table("t")
            .is_err());
        assert_eq!(
            g.create_schema(r#"a"b"#).ok().flatten().as_deref(),
            Some(r#"CREATE SCHEMA IF NOT EXISTS "a""b""#)
        );
    }

    #[test]
    fn long_index_names_stay_within_63_bytes() {
        let name = index_name(&"t".repeat(40), &"c".repeat(40));
        assert!(name.len() <= 63, "{name}");
        assert_ne!(name, index_name(&"t".repeat(40), &"d".repeat(40)));
    }

    #[test]
    fn index_names_of_different_tables_and_columns_differ() {
        // the same `<table>_<column>` text, split differently
        assert_ne!(index_name("a_b", "c"), index_name("a", "b_c"));
        assert_ne!(index_name("a", "b_c"), index_name("a_b_c", ""));
        // long and multi-byte names are cut on a character boundary
        let long = index_name(&"é".repeat(40), "c");
        assert!(long.len() <= 63, "{long}");
        assert_ne!(long, index_name(&"é".repeat(41), "c"));
        // stable: the model runner finds yesterday's index by today's name
        assert_eq!(index_name("a_b", "c"), index_name("a_b", "c"));
    }
}
