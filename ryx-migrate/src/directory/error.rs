//! [`DirectoryError`]: what goes wrong loading a directory or routing a tenant.

/// An error of the tenant directory. Each message is one line that says what
/// to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The directory file could not be read.
    #[error("cannot read the tenant directory {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has a field the format does not know.
    #[error("{origin}: {message}")]
    Format {
        /// The file (or `<string>`).
        origin: String,
        /// The parser's message, on one line.
        message: String,
    },
    /// The file is valid TOML but does not describe a directory.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file (or `<string>`).
        origin: String,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// No `[tenants]` entry and no rule maps the tenant: it is never sent to
    /// a default server.
    #[error("tenant `{tenant}` is not in the directory {origin}: add `{tenant} = \"SERVER\"` under [tenants] (servers: {servers})")]
    UnknownTenant {
        /// The tenant asked for.
        tenant: String,
        /// The directory file.
        origin: String,
        /// The servers it lists, comma-separated.
        servers: String,
    },
    /// A server name the directory does not list.
    #[error("no server `{server}` in the directory {origin} (servers: {servers})")]
    UnknownServer {
        /// The name asked for.
        server: String,
        /// The directory file.
        origin: String,
        /// The servers it lists, comma-separated.
        servers: String,
    },
    /// A server's URL is not one of the backend the directory was opened for.
    #[error("server `{server}` in {origin}: {url} is not a {backend} URL")]
    WrongBackend {
        /// The server.
        server: String,
        /// The directory file.
        origin: String,
        /// The URL, password redacted.
        url: String,
        /// The backend the directory was opened for.
        backend: crate::Backend,
    },
    /// No connection to the tenant's server within its `connection_timeout_ms`.
    #[error("tenant `{tenant}`: no connection to server `{server}` ({url}): {source}")]
    Connection {
        /// The tenant asked for.
        tenant: String,
        /// Its server.
        server: String,
        /// The server's URL, password redacted.
        url: String,
        /// r2d2's error, with the last connection error.
        #[source]
        source: r2d2::Error,
    },
}

/// `text` on one line: the TOML parser's messages span several.
pub(super) fn one_line(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().all(|c| c == '|' || c == '^' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ")
}
