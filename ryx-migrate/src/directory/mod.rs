//! The tenant directory: which server holds which tenant, and a pooled
//! connection to the right one.
//!
//! A schema-per-tenant deployment that outgrows one PostgreSQL server spreads
//! its tenant schemas over several. The directory is a TOML file (by
//! convention `ryx.toml`) naming the servers and mapping each tenant to one,
//! explicitly or by a prefix rule; [`Directory::get`] hands out a connection
//! from that server's pool (ryx's [`ConnectionManager`], so every safeguard
//! of a single-server pool holds per server). A tenant the file does not map
//! is an error, never a default server.
//!
//! ```toml
//! # ryx.toml
//! [servers.main]
//! url = "postgres://app@db1.internal/app"
//! pool_size = 16                  # connections per server (default 10)
//!
//! [servers.eu]
//! url_env = "EU_DATABASE_URL"     # the URL from the environment: no password in the file
//! connection_timeout_ms = 5000    # how long get() waits (default 30000)
//! transaction_pooler = true       # PgBouncer in transaction mode (default false)
//! statement_cache_limit = 256     # per connection (default: the manager's, 100)
//!
//! [tenants]                       # explicit entries come first
//! acme = "main"
//! globex = "eu"
//!
//! [[rules]]                       # then the first rule whose prefix matches
//! prefix = "eu_"
//! server = "eu"
//! ```
//!
//! ```no_run
//! use diesel::{PgConnection, RunQueryDsl};
//! use ryx_migrate::directory::Directory; // ryx::directory::Directory
//!
//! let directory = Directory::<PgConnection>::load("ryx.toml")?;
//! let mut conn = directory.get("acme")?; // a connection to acme's server
//! // scope statements as on one server: posts::table.in_schema("acme")..
//! diesel::sql_query(r#"SELECT count(*) FROM "acme"."posts""#).execute(&mut conn)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Pools are opened lazily, one per server, the first time one of its
//! tenants asks: a server that is down fails only its own tenants, after its
//! `connection_timeout_ms`.

mod config;
mod edit;
mod error;
mod fleet;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod relocate;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use diesel::r2d2::{Pool, PooledConnection};
use ryx_pool::{ConnectionManager, PoolBackend};

pub use self::config::ServerConfig;
use self::config::{list, DirectoryConfig};
pub use self::edit::assign_tenant;
pub use self::error::DirectoryError;
pub use self::fleet::{ServerRun, ServerTenants};
use crate::backend::{Backend, MigrationBackend};

/// The origin named in errors of a directory parsed from a string.
const STRING_ORIGIN: &str = "<string>";

/// Servers and the tenants they hold, with a lazily opened pool per server.
/// See the [module docs](self) for the file format.
pub struct Directory<C: PoolBackend> {
    origin: String,
    config: DirectoryConfig,
    pools: BTreeMap<String, OnceLock<Pool<ConnectionManager<C>>>>,
}

impl<C> Directory<C>
where
    C: PoolBackend,
    C::Backend: MigrationBackend,
{
    /// Reads and checks the directory file at `path`. URLs named by
    /// `url_env` are read from the environment now. No connection is opened.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DirectoryError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
            path: origin.clone(),
            source,
        })?;
        Self::parse(&text, &origin)
    }

    /// As [`load`](Self::load), from the file's text.
    pub fn from_toml(text: &str) -> Result<Self, DirectoryError> {
        Self::parse(text, STRING_ORIGIN)
    }

    fn parse(text: &str, origin: &str) -> Result<Self, DirectoryError> {
        let config = DirectoryConfig::parse(text, origin, |var| std::env::var(var).ok())?;
        let backend = <C::Backend as MigrationBackend>::KIND;
        for server in config.servers.values() {
            if Backend::of_url(server.url()) != Some(backend) {
                return Err(DirectoryError::WrongBackend {
                    server: server.name().to_owned(),
                    origin: origin.to_owned(),
                    url: server.redacted_url(),
                    backend,
                });
            }
        }
        let pools = config
            .servers
            .keys()
            .map(|name| (name.clone(), OnceLock::new()))
            .collect();
        Ok(Directory {
            origin: origin.to_owned(),
            config,
            pools,
        })
    }

    /// The server `tenant` lives on: its `[tenants]` entry, else the first
    /// rule whose prefix it starts with, else [`DirectoryError::UnknownTenant`].
    pub fn server_of(&self, tenant: &str) -> Result<&ServerConfig, DirectoryError> {
        self.config
            .server_of(tenant)
            .ok_or_else(|| DirectoryError::UnknownTenant {
                tenant: tenant.to_owned(),
                origin: self.origin.clone(),
                servers: list(self.config.servers.keys()),
            })
    }

    /// A pooled connection to `tenant`'s server. Scope every statement with
    /// `.in_schema(tenant)` as on a single server: the connection is a plain
    /// ryx pool connection, not tied to the tenant.
    pub fn get(
        &self,
        tenant: &str,
    ) -> Result<PooledConnection<ConnectionManager<C>>, DirectoryError> {
        let server = self.server_of(tenant)?;
        self.pool_of(server)?
            .get()
            .map_err(|source| DirectoryError::Connection {
                tenant: tenant.to_owned(),
                server: server.name().to_owned(),
                url: server.redacted_url(),
                source,
            })
    }

    /// The pool of the server named `server` (opened on first use).
    pub fn pool(&self, server: &str) -> Result<&Pool<ConnectionManager<C>>, DirectoryError> {
        let config =
            self.config
                .servers
                .get(server)
                .ok_or_else(|| DirectoryError::UnknownServer {
                    server: server.to_owned(),
                    origin: self.origin.clone(),
                    servers: list(self.config.servers.keys()),
                })?;
        self.pool_of(config)
    }

    fn pool_of(
        &self,
        server: &ServerConfig,
    ) -> Result<&Pool<ConnectionManager<C>>, DirectoryError> {
        let cell = self
            .pools
            .get(server.name())
            .ok_or_else(|| DirectoryError::UnknownServer {
                server: server.name().to_owned(),
                origin: self.origin.clone(),
                servers: list(self.config.servers.keys()),
            })?;
        Ok(cell.get_or_init(|| {
            let mut manager = ConnectionManager::<C>::new(server.url())
                .transaction_pooler(server.transaction_pooler);
            if let Some(limit) = server.statement_cache_limit {
                manager = manager.statement_cache_limit(limit);
            }
            // Lazily: no connection until a tenant asks, so that a server
            // that is down fails only its own tenants.
            Pool::builder()
                .max_size(server.pool_size)
                .min_idle(Some(0))
                .connection_timeout(Duration::from_millis(server.connection_timeout_ms))
                .build_unchecked(manager)
        }))
    }

    /// Every server, by name.
    pub fn servers(&self) -> impl Iterator<Item = &ServerConfig> {
        self.config.servers.values()
    }

    /// The tenants named under `[tenants]`, with their server's name (tenants
    /// mapped by a rule are found on the servers themselves).
    pub fn listed_tenants(&self) -> impl Iterator<Item = (&str, &str)> {
        self.config
            .tenants
            .iter()
            .map(|(t, s)| (t.as_str(), s.as_str()))
    }

    /// The file this directory was loaded from (`<string>` for
    /// [`from_toml`](Self::from_toml)).
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl<C: PoolBackend> std::fmt::Debug for Directory<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("origin", &self.origin)
            .field("servers", &self.config.servers.values().collect::<Vec<_>>())
            .field("tenants", &self.config.tenants)
            .field("rules", &self.config.rules)
            .finish()
    }
}
