//! Schema names: validation and the one quoting path.

use std::fmt;
use std::sync::Arc;

/// PostgreSQL's limit on identifier length, in **bytes** (`NAMEDATALEN - 1`).
///
/// PostgreSQL silently truncates longer identifiers (with only a NOTICE), so
/// two long tenant names could end up sharing one schema. ryx refuses them.
pub const MAX_SCHEMA_NAME_BYTES: usize = 63;

/// Why a schema name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaNameError {
    /// The name is the empty string.
    #[error("schema name is empty: give every tenant a non-empty schema name")]
    Empty,
    /// The name is longer than PostgreSQL's 63-byte identifier limit.
    ///
    /// PostgreSQL would silently truncate it, so two tenants could share a schema.
    #[error(
        "schema name `{name}` is {len} bytes long; PostgreSQL identifiers are at most 63 bytes \
         and longer names are silently truncated: choose a shorter name"
    )]
    TooLong {
        /// The refused name.
        name: String,
        /// Its length in bytes.
        len: usize,
    },
    /// The name contains a NUL character, which no PostgreSQL identifier can hold.
    #[error(
        "schema name {name:?} contains a NUL character, which PostgreSQL identifiers cannot hold"
    )]
    ContainsNul {
        /// The refused name.
        name: String,
    },
    /// The name starts with `pg_`, which PostgreSQL reserves for system schemas.
    ///
    /// Only checked where a schema is created ([`SchemaName::new_for_create`]);
    /// querying `pg_catalog` is legitimate.
    #[error("schema name `{name}` starts with `pg_`, which PostgreSQL reserves for system schemas: choose another prefix")]
    Reserved {
        /// The refused name.
        name: String,
    },
}

/// Checks a schema name for use in a statement: non-empty, at most 63 bytes, no NUL.
///
/// This is the check every [`SchemaScoped`](crate::SchemaScoped) statement runs
/// when it is built; call it (or [`SchemaName::new`]) to validate up front.
pub fn validate_schema_name(name: &str) -> Result<(), SchemaNameError> {
    if name.is_empty() {
        return Err(SchemaNameError::Empty);
    }
    if name.len() > MAX_SCHEMA_NAME_BYTES {
        return Err(SchemaNameError::TooLong {
            name: name.to_owned(),
            len: name.len(),
        });
    }
    if name.contains('\0') {
        return Err(SchemaNameError::ContainsNul {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// A validated schema name, cheap to clone.
///
/// Any `&str` or `String` can be passed to
/// [`in_schema`](crate::InSchema::in_schema) and is validated when the
/// statement is built; a `SchemaName` lets callers validate once, up front,
/// for example when a tenant signs up.
///
/// A name is used exactly as given, byte for byte, and always quoted:
/// `Tenant1`, `tenant1` and `tenant1 ` are three different schemas (PostgreSQL
/// folds only unquoted names to lower case). Normalise names where tenants
/// are named, if that is wanted; ryx never does.
///
/// ```
/// use ryx_dsl::{SchemaName, SchemaNameError};
///
/// let name = SchemaName::new("tenant1")?;
/// assert_eq!(name.as_str(), "tenant1");
/// assert_eq!(name.quoted(), r#""tenant1""#);
/// assert!(matches!(SchemaName::new(""), Err(SchemaNameError::Empty)));
/// assert!(SchemaName::new("a".repeat(64)).is_err());
/// assert!(SchemaName::new_for_create("pg_tenant").is_err());
/// assert_ne!(SchemaName::new("Tenant1")?, SchemaName::new("tenant1")?);
/// assert_eq!(SchemaName::new("tenant1 ")?.quoted(), r#""tenant1 ""#);
/// # Ok::<(), SchemaNameError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaName(Arc<str>);

impl SchemaName {
    /// Validates `name` for use in statements (see [`validate_schema_name`]).
    pub fn new(name: impl AsRef<str>) -> Result<Self, SchemaNameError> {
        let name = name.as_ref();
        validate_schema_name(name)?;
        Ok(SchemaName(Arc::from(name)))
    }

    /// Validates `name` for `CREATE SCHEMA`: as [`SchemaName::new`], and it must not
    /// start with the reserved prefix `pg_`.
    pub fn new_for_create(name: impl AsRef<str>) -> Result<Self, SchemaNameError> {
        let name = name.as_ref();
        validate_schema_name(name)?;
        if name.starts_with("pg_") {
            return Err(SchemaNameError::Reserved {
                name: name.to_owned(),
            });
        }
        Ok(SchemaName(Arc::from(name)))
    }

    /// The name as given (unquoted).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a PostgreSQL identifier: in double quotes, embedded quotes doubled.
    pub fn quoted(&self) -> String {
        quote_identifier(&self.0, '"')
    }
}

impl fmt::Debug for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SchemaName").field(&&*self.0).finish()
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SchemaName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for SchemaName {
    type Error = SchemaNameError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        SchemaName::new(value)
    }
}

impl TryFrom<String> for SchemaName {
    type Error = SchemaNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SchemaName::new(value)
    }
}

/// Quotes an identifier with `quote` (`"` for PostgreSQL and SQLite, `` ` `` for
/// MySQL), doubling any embedded quote character.
///
/// This is the one function through which ryx turns a name into SQL text
/// outside diesel's `push_identifier`.
pub fn quote_identifier(name: &str, quote: char) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push(quote);
    for c in name.chars() {
        if c == quote {
            out.push(quote);
        }
        out.push(c);
    }
    out.push(quote);
    out
}

/// How a [`SchemaScoped`](crate::SchemaScoped) holds its schema. Internal.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum Scope {
    /// A name of at most 63 bytes given as `&str` or `String`, kept inline:
    /// scoping a table per statement allocates nothing. Validated when the
    /// statement is built.
    Inline(InlineName),
    /// A shared name ([`SchemaName`]), or one too long to keep inline (and
    /// refused when built). Validated when the statement is built.
    Named(Arc<str>),
    /// No schema: only reachable through diesel's static `HasTable::table()`
    /// on ryx's internal update target, and refused when built.
    Lost,
}

impl Scope {
    /// A name given by the user, kept inline when it fits.
    pub(crate) fn from_str(name: &str) -> Self {
        InlineName::new(name).map_or_else(|| Scope::Named(Arc::from(name)), Scope::Inline)
    }

    /// The name as given (not yet validated), if there is one.
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Scope::Inline(name) => Some(name.as_str()),
            Scope::Named(name) => Some(name),
            Scope::Lost => None,
        }
    }

    /// The validated name, or the error that stops the statement from being built.
    pub(crate) fn checked(&self) -> diesel::QueryResult<&str> {
        let name = self
            .name()
            .ok_or_else(|| diesel::result::Error::QueryBuilderError(Box::new(LostSchema)))?;
        validate_schema_name(name)
            .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
        Ok(name)
    }
}

/// A schema name of at most [`MAX_SCHEMA_NAME_BYTES`] bytes, stored inline.
/// Internal.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct InlineName {
    len: u8,
    bytes: [u8; MAX_SCHEMA_NAME_BYTES],
}

impl InlineName {
    fn new(name: &str) -> Option<Self> {
        let len = u8::try_from(name.len()).ok()?;
        let mut bytes = [0; MAX_SCHEMA_NAME_BYTES];
        bytes
            .get_mut(..name.len())?
            .copy_from_slice(name.as_bytes());
        Some(InlineName { len, bytes })
    }

    fn as_str(&self) -> &str {
        // the bytes are a whole `&str`'s, so this never fails
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl fmt::Debug for InlineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A statement reached diesel through a path that has no schema.
#[derive(Debug, thiserror::Error)]
#[error(
    "ryx: this statement was built through a diesel path that has no schema \
     (a static `HasTable::table()`); use ryx::insert_into / ryx::update / ryx::delete on `table.in_schema(..)`"
)]
pub struct LostSchema;

/// Values that name a schema: `&str`, `String`, `&String`, [`SchemaName`] and `&SchemaName`.
pub trait IntoSchemaName {
    /// Converts into the not yet validated form a statement keeps.
    #[doc(hidden)]
    fn into_scope(self) -> Scope;
}

impl IntoSchemaName for &str {
    fn into_scope(self) -> Scope {
        Scope::from_str(self)
    }
}
impl IntoSchemaName for String {
    fn into_scope(self) -> Scope {
        Scope::from_str(&self)
    }
}
impl IntoSchemaName for &String {
    fn into_scope(self) -> Scope {
        Scope::from_str(self)
    }
}
impl IntoSchemaName for SchemaName {
    fn into_scope(self) -> Scope {
        Scope::Named(self.0)
    }
}
impl IntoSchemaName for &SchemaName {
    fn into_scope(self) -> Scope {
        Scope::Named(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_up_to_63_bytes_are_kept_inline_and_exactly() {
        // 61 ASCII bytes and a two-byte character: 63 bytes, inline
        let at_limit = format!("{}é", "a".repeat(61));
        for name in ["", "t1", "Tenant \"x\"", at_limit.as_str()] {
            let scope = Scope::from_str(name);
            assert!(matches!(scope, Scope::Inline(_)), "{name:?}");
            assert_eq!(scope.name(), Some(name));
        }
        // longer names keep every byte (and are refused when built)
        let long = format!("{}é", "a".repeat(62));
        let scope = Scope::from_str(&long);
        assert!(matches!(scope, Scope::Named(_)));
        assert_eq!(scope.name(), Some(long.as_str()));
        assert!(scope.checked().is_err());
        assert_eq!(Scope::from_str("t1").checked().ok(), Some("t1"));
    }

    #[test]
    fn sixty_three_bytes_is_accepted_sixty_four_is_not() {
        assert!(SchemaName::new("a".repeat(63)).is_ok());
        assert!(matches!(
            SchemaName::new("a".repeat(64)),
            Err(SchemaNameError::TooLong { len: 64, .. })
        ));
    }

    #[test]
    fn length_is_counted_in_bytes_not_chars() {
        // 32 two-byte characters: 32 chars, 64 bytes.
        let name = "é".repeat(32);
        assert_eq!(name.chars().count(), 32);
        assert!(matches!(
            SchemaName::new(&name),
            Err(SchemaNameError::TooLong { len: 64, .. })
        ));
        assert!(SchemaName::new("é".repeat(31)).is_ok());
    }

    #[test]
    fn nul_and_empty_are_refused() {
        assert_eq!(SchemaName::new(""), Err(SchemaNameError::Empty));
        assert!(matches!(
            SchemaName::new("a\0b"),
            Err(SchemaNameError::ContainsNul { .. })
        ));
    }

    #[test]
    fn pg_prefix_is_refused_only_for_create() {
        assert!(SchemaName::new("pg_catalog").is_ok());
        assert!(matches!(
            SchemaName::new_for_create("pg_tenant"),
            Err(SchemaNameError::Reserved { .. })
        ));
        assert!(SchemaName::new_for_create("PG_tenant").is_ok());
    }

    #[test]
    fn quoting_doubles_embedded_quotes() {
        assert_eq!(quote_identifier(r#"t"; DROP"#, '"'), r#""t""; DROP""#);
        assert_eq!(quote_identifier("a`b", '`'), "`a``b`");
        assert_eq!(quote_identifier("plain", '"'), r#""plain""#);
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let msg = SchemaName::new("x".repeat(70)).unwrap_err().to_string();
        assert!(msg.contains("70 bytes"), "{msg}");
        assert!(msg.contains("shorter"), "{msg}");
    }
}
