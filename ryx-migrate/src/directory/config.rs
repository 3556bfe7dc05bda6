//! The directory file: servers by name, tenants mapped to them explicitly or
//! by a prefix rule. Parsed with `toml` and checked as a whole before any
//! connection is opened.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::DirectoryError;

/// Connections per server when the file does not say (r2d2's default).
pub(super) const DEFAULT_POOL_SIZE: u32 = 10;
/// How long `get` waits for a connection of a server when the file does not
/// say (r2d2's default).
pub(super) const DEFAULT_CONNECTION_TIMEOUT_MS: u64 = 30_000;

/// The file as written, before it is checked.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    servers: BTreeMap<String, RawServer>,
    #[serde(default)]
    tenants: BTreeMap<String, String>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawServer {
    url: Option<String>,
    url_env: Option<String>,
    pool_size: Option<u32>,
    connection_timeout_ms: Option<u64>,
    transaction_pooler: Option<bool>,
    statement_cache_limit: Option<usize>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawRule {
    prefix: String,
    server: String,
}

/// One server of the directory, as the file describes it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) pool_size: u32,
    pub(super) connection_timeout_ms: u64,
    pub(super) transaction_pooler: bool,
    pub(super) statement_cache_limit: Option<usize>,
}

impl ServerConfig {
    /// The server's name in the file (`[servers.NAME]`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its database URL (with the password: print
    /// [`redacted_url`](Self::redacted_url) instead).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its URL with the password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        ryx_pool::redact_url(&self.url)
    }

    /// The most connections its pool opens (`pool_size`, default 10).
    pub fn pool_size(&self) -> u32 {
        self.pool_size
    }

    /// Whether the URL is a transaction pooler (`transaction_pooler`, default false).
    pub fn transaction_pooler(&self) -> bool {
        self.transaction_pooler
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("name", &self.name)
            .field("url", &self.redacted_url())
            .field("pool_size", &self.pool_size)
            .field("connection_timeout_ms", &self.connection_timeout_ms)
            .field("transaction_pooler", &self.transaction_pooler)
            .field("statement_cache_limit", &self.statement_cache_limit)
            .finish()
    }
}

/// The checked file: every tenant and rule names a server that exists, every
/// tenant name is a valid schema name, every server has one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DirectoryConfig {
    pub(super) servers: BTreeMap<String, ServerConfig>,
    pub(super) tenants: BTreeMap<String, String>,
    pub(super) rules: Vec<(String, String)>,
}

impl DirectoryConfig {
    /// Parses and checks the file's text; `origin` names it in errors, and
    /// `env` reads the variables `url_env` names.
    pub(super) fn parse(
        text: &str,
        origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, DirectoryError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| DirectoryError::Format {
            origin: origin.to_owned(),
            message: super::error::one_line(&e.to_string()),
        })?;
        let invalid = |message: String| DirectoryError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        if raw.servers.is_empty() {
            return Err(invalid(
                "no servers: add one, e.g. [servers.main] with url = \"postgres://app@db/app\""
                    .to_owned(),
            ));
        }
        let mut servers = BTreeMap::new();
        for (name, server) in raw.servers {
            check_server_name(&name).map_err(invalid)?;
            let url = match (server.url, server.url_env) {
                (Some(url), None) => url,
                (None, Some(var)) => env(&var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                    invalid(format!(
                        "server `{name}`: the environment variable {var} (its url_env) is not set"
                    ))
                })?,
                (Some(_), Some(_)) => {
                    return Err(invalid(format!(
                        "server `{name}` has both url and url_env: keep one"
                    )))
                }
                (None, None) => {
                    return Err(invalid(format!(
                        "server `{name}` has no url: add url = \"postgres://..\" or url_env = \"VARIABLE\""
                    )))
                }
            };
            let pool_size = server.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
            if pool_size == 0 {
                return Err(invalid(format!(
                    "server `{name}`: pool_size must be at least 1"
                )));
            }
            servers.insert(
                name.clone(),
                ServerConfig {
                    name,
                    url: url.trim().to_owned(),
                    pool_size,
                    connection_timeout_ms: server
                        .connection_timeout_ms
                        .unwrap_or(DEFAULT_CONNECTION_TIMEOUT_MS),
                    transaction_pooler: server.transaction_pooler.unwrap_or(false),
                    statement_cache_limit: server.statement_cache_limit,
                },
            );
        }
        let known = |server: &str, what: String| {
            if servers.contains_key(server) {
                Ok(())
            } else {
                Err(invalid(format!(
                    "{what} names the server `{server}`, which is not under [servers] ({})",
                    list(servers.keys())
                )))
            }
        };
        for (tenant, server) in &raw.tenants {
            ryx_dsl::SchemaName::new(tenant)
                .map_err(|e| invalid(format!("tenant {tenant:?}: {e}")))?;
            known(server, format!("tenant `{tenant}`"))?;
        }
        let mut rules = Vec::with_capacity(raw.rules.len());
        for rule in raw.rules {
            if rule.prefix.is_empty() {
                return Err(invalid(
                    "a rule with an empty prefix would take every tenant: name each tenant under [tenants] instead"
                        .to_owned(),
                ));
            }
            known(
                &rule.server,
                format!("the rule for prefix `{}`", rule.prefix),
            )?;
            rules.push((rule.prefix, rule.server));
        }
        Ok(DirectoryConfig {
            servers,
            tenants: raw.tenants,
            rules,
        })
    }

    /// The server `tenant` lives on: its `[tenants]` entry, else the first
    /// rule whose prefix it starts with.
    pub(super) fn server_of(&self, tenant: &str) -> Option<&ServerConfig> {
        let name = self.tenants.get(tenant).or_else(|| {
            self.rules
                .iter()
                .find(|(prefix, _)| tenant.starts_with(prefix.as_str()))
                .map(|(_, server)| server)
        })?;
        self.servers.get(name)
    }
}

/// Server names are short labels: letters, digits, `_` and `-`.
fn check_server_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "server name {name:?}: use 1 to 63 letters, digits, `_` or `-`"
        ))
    }
}

/// `a, b, c` for a message.
pub(super) fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DirectoryConfig, String> {
        DirectoryConfig::parse(text, "ryx.toml", |var| {
            (var == "EU_URL").then(|| "postgres://app:s3cret@eu/app".to_owned())
        })
        .map_err(|e| e.to_string())
    }

    const FILE: &str = r#"
        [servers.main]
        url = "postgres://app@db1/app"
        pool_size = 4

        [servers.eu]
        url_env = "EU_URL"
        transaction_pooler = true

        [tenants]
        acme = "main"
        eu_special = "main"

        [[rules]]
        prefix = "eu_"
        server = "eu"
    "#;

    #[test]
    fn tenants_are_mapped_explicitly_then_by_the_first_matching_prefix() -> Result<(), String> {
        let config = parse(FILE)?;
        let server = |t: &str| config.server_of(t).map(|s| s.name().to_owned());
        assert_eq!(server("acme").as_deref(), Some("main"));
        assert_eq!(server("eu_special").as_deref(), Some("main"));
        assert_eq!(server("eu_globex").as_deref(), Some("eu"));
        assert_eq!(server("initech"), None);
        let eu = config.servers.get("eu").ok_or("no eu")?;
        assert_eq!(eu.url(), "postgres://app:s3cret@eu/app");
        assert!(eu.transaction_pooler() && eu.pool_size() == DEFAULT_POOL_SIZE);
        assert!(!format!("{eu:?}").contains("s3cret"), "{eu:?}");
        Ok(())
    }

    #[test]
    fn mistakes_are_named_with_what_to_write() {
        for (text, expected) in [
            ("", "no servers"),
            ("[servers.a]\n", "has no url"),
            (
                "[servers.a]\nurl = \"postgres://h/d\"\nurl_env = \"X\"\n",
                "both url and url_env",
            ),
            (
                "[servers.a]\nurl_env = \"UNSET\"\n",
                "UNSET (its url_env) is not set",
            ),
            (
                "[servers.a]\nurl = \"postgres://h/d\"\npool_size = 0\n",
                "at least 1",
            ),
            (
                "[servers.a]\nurl = \"postgres://h/d\"\n[tenants]\nacme = \"b\"\n",
                "tenant `acme` names the server `b`, which is not under [servers] (a)",
            ),
            (
                "[servers.a]\nurl = \"postgres://h/d\"\n[[rules]]\nprefix = \"\"\nserver = \"a\"\n",
                "empty prefix",
            ),
            (
                "[servers.\"a b\"]\nurl = \"postgres://h/d\"\n",
                "server name \"a b\"",
            ),
            (
                "[servers.a]\nurl = \"postgres://h/d\"\nurll = \"x\"\n",
                "unknown field `urll`",
            ),
            (
                "[servers.a]\nurl = \"postgres://h/d\"\n[tenants]\n\"\" = \"a\"\n",
                "tenant \"\"",
            ),
        ] {
            match parse(text) {
                Ok(c) => panic!("accepted {text:?}: {c:?}"),
                Err(e) => {
                    assert!(e.contains(expected), "{text:?}: {e}");
                    assert!(e.starts_with("ryx.toml"), "{e}");
                    assert!(!e.contains('\n'), "{e:?}");
                }
            }
        }
    }
}
