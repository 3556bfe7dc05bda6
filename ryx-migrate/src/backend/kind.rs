//! [`Backend`]: the three backends ryx migrates, and their one quoting
//! function each.

use std::fmt;

use ryx_dsl::quote_identifier;

/// A database backend, for DDL generation without a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// PostgreSQL: schemas are real; identifiers quoted with `"`.
    PostgreSQL,
    /// MySQL / MariaDB: no schemas (a no-op); identifiers quoted with `` ` ``.
    MySQL,
    /// SQLite: no schemas (a no-op); identifiers quoted with `"`.
    SQLite,
}

impl Backend {
    /// Whether the backend has schemas. On the others `schema` settings are ignored.
    pub fn has_schemas(self) -> bool {
        matches!(self, Backend::PostgreSQL)
    }

    /// Quotes an identifier for this backend, doubling embedded quote characters.
    /// Every identifier in ryx's DDL goes through here.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Backend::PostgreSQL | Backend::SQLite => quote_identifier(ident, '"'),
            Backend::MySQL => quote_identifier(ident, '`'),
        }
    }

    /// The backend a database URL names, as ryx reads URLs: `postgres://`
    /// or `postgresql://`, `mysql://`, `sqlite://PATH` or a plain file path
    /// (SQLite); `None` for another `scheme://`.
    pub(crate) fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::PostgreSQL)
        } else if url.starts_with("mysql://") {
            Some(Backend::MySQL)
        } else if url.starts_with("sqlite://") || !url.contains("://") {
            Some(Backend::SQLite)
        } else {
            None
        }
    }

    /// `"schema"."name"` on PostgreSQL when a schema is given, else `"name"`.
    pub fn qualify(self, schema: Option<&str>, name: &str) -> String {
        match schema {
            Some(schema) if self.has_schemas() => {
                format!("{}.{}", self.quote(schema), self.quote(name))
            }
            _ => self.quote(name),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::PostgreSQL => "PostgreSQL",
            Backend::MySQL => "MySQL",
            Backend::SQLite => "SQLite",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_per_backend() {
        assert_eq!(Backend::PostgreSQL.quote(r#"a"b"#), r#""a""b""#);
        assert_eq!(Backend::SQLite.quote("t"), r#""t""#);
        assert_eq!(Backend::MySQL.quote("a`b"), "`a``b`");
        assert_eq!(Backend::PostgreSQL.qualify(Some("s"), "t"), r#""s"."t""#);
        assert_eq!(Backend::MySQL.qualify(Some("s"), "t"), "`t`");
        assert_eq!(Backend::SQLite.qualify(None, "t"), r#""t""#);
    }
}
