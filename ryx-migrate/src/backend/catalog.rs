//! Rows read from the live catalog (`pg_catalog`, `information_schema`,
//! SQLite's `pragma_*` functions), for drift checks and the model runner's plan.

use diesel::connection::Connection;
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{Bool, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

/// A live column, read from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LiveColumn {
    /// Its name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Its type as the catalog spells it.
    #[diesel(sql_type = Text)]
    pub data_type: String,
    /// Whether it accepts NULL.
    #[diesel(sql_type = Bool)]
    pub nullable: bool,
}

/// A live single-column foreign key, read from the catalog, with its actions
/// spelled as in SQL (`NO ACTION`, `CASCADE`, `SET NULL`, ..).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LiveForeignKey {
    /// The referencing column.
    #[diesel(sql_type = Text)]
    pub column_name: String,
    /// The referenced table.
    #[diesel(sql_type = Text)]
    pub ref_table: String,
    /// The referenced column.
    #[diesel(sql_type = Text)]
    pub ref_column: String,
    /// `ON DELETE`.
    #[diesel(sql_type = Text)]
    pub on_delete: String,
    /// `ON UPDATE`.
    #[diesel(sql_type = Text)]
    pub on_update: String,
}

/// The names of `CONSTRAINT <name> CHECK` clauses in a `CREATE TABLE`
/// statement (SQLite keeps no other record of them). Names may be quoted
/// with `"`, `` ` `` or `[..]` (embedded quotes doubled) or bare.
#[cfg(feature = "sqlite")]
pub(super) fn check_names_in(create_sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let upper = create_sql.to_ascii_uppercase();
    let mut at = 0;
    while let Some(found) = upper.get(at..).and_then(|rest| rest.find("CONSTRAINT")) {
        let start = at + found + "CONSTRAINT".len();
        at = start;
        let rest = create_sql.get(start..).unwrap_or("");
        let trimmed = rest.trim_start();
        let mut chars = trimmed.char_indices();
        let (name, used) = match chars.next() {
            Some((_, q @ ('"' | '`' | '['))) => {
                let close = if q == '[' { ']' } else { q };
                let mut name = String::new();
                let mut end = None;
                let mut iter = trimmed.char_indices().skip(1).peekable();
                while let Some((i, c)) = iter.next() {
                    if c == close {
                        if close != ']' && iter.peek().is_some_and(|(_, n)| *n == close) {
                            name.push(c);
                            iter.next();
                            continue;
                        }
                        end = Some(i + c.len_utf8());
                        break;
                    }
                    name.push(c);
                }
                match end {
                    Some(end) => (name, end),
                    None => continue,
                }
            }
            Some(_) => {
                let end = trimmed
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(trimmed.len());
                (trimmed.get(..end).unwrap_or("").to_owned(), end)
            }
            None => continue,
        };
        let after = trimmed.get(used..).unwrap_or("").trim_start();
        if after.len() >= 5
            && after
                .get(..5)
                .is_some_and(|w| w.eq_ignore_ascii_case("CHECK"))
            && !after
                .get(5..)
                .and_then(|r| r.chars().next())
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            out.push(name);
        }
    }
    out
}

/// A one-column `name` row (table, index and schema names).
#[derive(QueryableByName)]
pub(super) struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Loads a one-column `name` query as strings.
pub(super) fn load_names<'q, C, Q>(conn: &mut C, query: Q) -> QueryResult<Vec<String>>
where
    C: Connection,
    Q: RunQueryDsl<C> + LoadQuery<'q, C, Name>,
{
    query
        .load::<Name>(conn)
        .map(|rows| rows.into_iter().map(|n| n.name).collect())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    #[test]
    fn finds_check_names() {
        let sql = r#"CREATE TABLE "t" ("a" INT, CONSTRAINT "p""q" CHECK (a > 0), CONSTRAINT u UNIQUE (a), constraint [b c] check(a < 9), CONSTRAINT `x` CHECKS)"#;
        assert_eq!(super::check_names_in(sql), [r#"p"q"#, "b c"]);
    }
}
