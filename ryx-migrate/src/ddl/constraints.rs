//! DDL for table-level constraints: composite indexes and unique constraints,
//! check constraints and foreign-key actions, and the names ryx gives them.

use super::{hashed_name, DDLGenerator};
use crate::backend::Backend;
use crate::error::Error;
use crate::metadata::{ColumnState, ReferentialAction, TableIndex, TableState};

/// The name ryx gives a table-level index (`#[ryx(index(a, b))]`, suffix
/// `_idx`) or unique constraint (`#[ryx(unique(a, b))]`, suffix `_key`):
/// `<table>_<a>_<b>_<hash>_idx`, on [`index_name`](crate::index_name)'s
/// scheme: `<hash>` is 10 hex digits of the SHA-256 of the table, each column
/// (every one prefixed with its length, so `(a_b, c)` and `(a, b_c)` differ)
/// and the kind; the readable part is cut so the name stays within 63 bytes.
///
/// ```
/// use ryx_migrate::constraint_name;
///
/// let key = constraint_name("posts", &["author_id", "slug"], true);
/// assert!(key.starts_with("posts_author_id_slug_") && key.ends_with("_key"));
/// assert_ne!(key, constraint_name("posts", &["author_id", "slug"], false));
/// assert_ne!(constraint_name("t", &["a_b", "c"], true), constraint_name("t", &["a", "b_c"], true));
/// assert!(constraint_name(&"t".repeat(60), &["c", "d"], true).len() <= 63);
/// ```
pub fn constraint_name<S: AsRef<str>>(table: &str, columns: &[S], unique: bool) -> String {
    let mut key = format!("{}:{table}", table.len());
    let mut readable = table.to_owned();
    for column in columns {
        let column = column.as_ref();
        key.push_str(&format!(":{}:{column}", column.len()));
        readable.push('_');
        readable.push_str(column);
    }
    let kind = if unique { "key" } else { "idx" };
    key.push(':');
    key.push_str(kind);
    hashed_name(&readable, &key, kind)
}

/// The name ryx gives the check `#[ryx(check(name = "positive_views", ..))]`
/// of `table`: `<table>_<name>_<hash>_check`, on the same scheme as
/// [`constraint_name`], so checks of different tables never clash (MySQL
/// wants check names unique per database).
///
/// ```
/// use ryx_migrate::check_name;
///
/// let name = check_name("posts", "positive_views");
/// assert!(name.starts_with("posts_positive_views_") && name.ends_with("_check"));
/// assert_ne!(check_name("a_b", "c"), check_name("a", "b_c"));
/// ```
pub fn check_name(table: &str, name: &str) -> String {
    let key = format!("{}:{table}:{}:{name}:check", table.len(), name.len());
    hashed_name(&format!("{table}_{name}"), &key, "check")
}

impl DDLGenerator {
    /// Refuses a table whose constraints name columns it lacks.
    pub(super) fn check_constraints(&self, table: &TableState) -> Result<(), Error> {
        let invalid = |reason: String| Error::InvalidTable {
            table: table.name.clone(),
            reason,
        };
        for index in &table.indexes {
            if index.columns.is_empty() {
                return Err(invalid("a table-level index has no columns".into()));
            }
            if let Some(c) = index.columns.iter().find(|c| table.column(c).is_none()) {
                return Err(invalid(format!(
                    "index or unique constraint column `{c}` is not one of its columns"
                )));
            }
        }
        for check in &table.checks {
            if check.sql.trim().is_empty() {
                return Err(invalid(format!("check `{}` has no condition", check.name)));
            }
        }
        Ok(())
    }

    /// The `CONSTRAINT .. UNIQUE (..)` and `CONSTRAINT .. CHECK (..)` parts of
    /// `CREATE TABLE`. On SQLite unique constraints are unique indexes
    /// instead (see [`DDLGenerator::create_indexes`]), so the runner finds them
    /// by name.
    pub(super) fn constraint_defs(&self, table: &TableState) -> Vec<String> {
        let mut parts = Vec::new();
        if self.backend != Backend::SQLite {
            for index in table.indexes.iter().filter(|i| i.unique) {
                parts.push(format!(
                    "CONSTRAINT {} UNIQUE ({})",
                    self.q(&constraint_name(&table.name, &index.columns, true)),
                    self.column_list(&index.columns)
                ));
            }
        }
        for check in &table.checks {
            parts.push(format!(
                "CONSTRAINT {} CHECK ({})",
                self.q(&check_name(&table.name, &check.name)),
                check.sql
            ));
        }
        parts
    }

    /// `FOREIGN KEY ("c") REFERENCES "s"."t" ("id") [ON DELETE ..] [ON UPDATE ..]`.
    pub(crate) fn foreign_key_def(
        &self,
        table: &str,
        column: &ColumnState,
    ) -> Result<Option<String>, Error> {
        let Some(fk) = &column.references else {
            return Ok(None);
        };
        let mut def = format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            self.q(&column.name),
            self.qualify(&fk.table)?,
            self.q(&fk.column)
        );
        for (clause, action) in [("DELETE", column.on_delete), ("UPDATE", column.on_update)] {
            let Some(action) = action else { continue };
            if self.backend == Backend::MySQL && action == ReferentialAction::SetDefault {
                return Err(Error::InvalidTable {
                    table: table.to_owned(),
                    reason: format!(
                        "`{}`: `ON {clause} SET DEFAULT` is refused by MySQL's InnoDB and \
                         accepted but not applied by MariaDB's (it restricts); \
                         use `set_null`, `cascade`, `restrict` or `no_action`",
                        column.name
                    ),
                });
            }
            def.push_str(&format!(" ON {clause} {}", action.sql()));
        }
        Ok(Some(def))
    }

    /// `"a", "b"`, each through the backend's quoting.
    fn column_list(&self, columns: &[String]) -> String {
        columns
            .iter()
            .map(|c| self.q(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] "name" ON "s"."t" ("a", "b")`.
    pub(super) fn create_index_on(
        &self,
        table: &str,
        columns: &[String],
        name: &str,
        unique: bool,
    ) -> Result<String, Error> {
        let if_not_exists = match self.backend {
            Backend::MySQL => "",
            _ => "IF NOT EXISTS ",
        };
        let unique = if unique { "UNIQUE " } else { "" };
        Ok(format!(
            "CREATE {unique}INDEX {if_not_exists}{} ON {} ({})",
            self.q(name),
            self.qualify(table)?,
            self.column_list(columns)
        ))
    }

    /// The statements for the table's table-level indexes inside
    /// [`DDLGenerator::create_indexes`]: `CREATE INDEX` for `index(..)`, and on
    /// SQLite `CREATE UNIQUE INDEX` for `unique(..)`.
    pub(super) fn create_table_indexes(&self, table: &TableState) -> Result<Vec<String>, Error> {
        table
            .indexes
            .iter()
            .filter(|i| !i.unique || self.backend == Backend::SQLite)
            .map(|i| self.add_table_index(&table.name, i))
            .collect()
    }

    /// Adds a table-level index or unique constraint to an existing table:
    /// `CREATE INDEX` for an index; for a unique constraint
    /// `ALTER TABLE .. ADD CONSTRAINT "name" UNIQUE (..)` on PostgreSQL and
    /// MySQL, and `CREATE UNIQUE INDEX` on SQLite (which has no `ADD
    /// CONSTRAINT`; a unique index enforces the same, `ON CONFLICT (a, b)`
    /// included). Fails where live rows already break the constraint.
    pub fn add_table_index(&self, table: &str, index: &TableIndex) -> Result<String, Error> {
        let name = constraint_name(table, &index.columns, index.unique);
        if index.unique && self.backend != Backend::SQLite {
            return Ok(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
                self.qualify(table)?,
                self.q(&name),
                self.column_list(&index.columns)
            ));
        }
        self.create_index_on(table, &index.columns, &name, index.unique)
    }

    /// Undoes [`DDLGenerator::add_table_index`]: `ALTER TABLE .. DROP
    /// CONSTRAINT` for a unique constraint on PostgreSQL, else `DROP INDEX`.
    pub fn drop_table_index(&self, table: &str, index: &TableIndex) -> Result<String, Error> {
        let name = constraint_name(table, &index.columns, index.unique);
        if index.unique && self.backend == Backend::PostgreSQL {
            return Ok(format!(
                "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                self.qualify(table)?,
                self.q(&name)
            ));
        }
        self.drop_index(table, &name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{CheckConstraint, ColumnType};

    fn col(name: &str, nullable: bool) -> ColumnState {
        ColumnState::__new(
            name,
            ColumnType::BigInt,
            nullable,
            None,
            false,
            false,
            None,
            None,
        )
    }

    fn table() -> TableState {
        TableState::__new(
            "p",
            vec![col("id", false), col("a", false), col("b", true)],
            &["id"],
            true,
        )
        .with_index(TableIndex::new(&["a", "b"], true))
        .with_index(TableIndex::new(&["b", "a"], false))
        .with_check(CheckConstraint::new("pos", "a >= 0"))
    }

    #[test]
    fn names_are_pinned_and_bounded() {
        // pinned: changing them re-creates every deployed constraint
        assert_eq!(
            constraint_name("p", &["a", "b"], true),
            "p_a_b_f3d12f8042_key"
        );
        assert_eq!(check_name("p", "pos"), "p_pos_e4957bdb1e_check");
        let long = constraint_name(&"é".repeat(40), &["c".repeat(40), "d".into()], false);
        assert!(long.len() <= 63 && long.ends_with("_idx"), "{long}");
        assert_ne!(
            constraint_name("t", &["a", "b"], true),
            constraint_name("t", &["b", "a"], true)
        );
    }

    #[test]
    fn unknown_columns_are_refused() {
        let t = table().with_index(TableIndex::new(&["zz", "a"], false));
        assert!(matches!(
            DDLGenerator::new(Backend::PostgreSQL).create_table(&t),
            Err(Error::InvalidTable { .. })
        ));
    }

    #[test]
    fn set_default_is_refused_on_mysql() {
        let mut t = table();
        t.columns[1] = ColumnState::__new(
            "a",
            ColumnType::BigInt,
            false,
            Some("0"),
            false,
            false,
            None,
            Some(("q", "id")),
        )
        .with_actions(Some(ReferentialAction::SetDefault), None);
        assert!(DDLGenerator::new(Backend::MySQL).create_table(&t).is_err());
        let sql = DDLGenerator::new(Backend::PostgreSQL).create_table(&t);
        assert!(sql.is_ok_and(|s| s.ends_with(r#"REFERENCES "q" ("id") ON DELETE SET DEFAULT)"#)));
    }
}
