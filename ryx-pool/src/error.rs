//! What can go wrong when the pool opens or checks a connection.

/// An error of [`ConnectionManager`](crate::ConnectionManager).
///
/// r2d2 keeps only the text of a connection error (its `Pool::build` and
/// `Pool::get` report `timed out waiting for connection: <text>`), so each
/// message carries the database's own message as well as what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to {url}: {message}; check that the server is running and the URL (host, port, user, database) is right")]
    Connect {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// The driver's message.
        message: String,
    },
    /// A statement that readies a new or checked-out connection failed.
    #[error("cannot {step} on a pooled connection: {message}")]
    Setup {
        /// What ryx was doing, e.g. "set an empty search_path".
        step: &'static str,
        /// The database's message.
        message: String,
    },
    /// `empty_search_path(true)` behind a transaction pooler, but the server
    /// gives sessions a non-empty `search_path`. ryx cannot set it itself: the
    /// pooler hands each transaction whichever server connection is free, so a
    /// session-level `SET` would reach other clients instead.
    #[error(
        "empty_search_path(true) behind a transaction pooler needs the server to give every session an empty \
         search_path, but it is `{found}`: run `ALTER ROLE <user> SET search_path = ''` (or `ALTER DATABASE`), \
         or set it in the pooler's connect_query, or turn empty_search_path off"
    )]
    SearchPathNotEmpty {
        /// The `search_path` the server reported.
        found: String,
    },
}

impl Error {
    pub(crate) fn setup(step: &'static str) -> impl FnOnce(diesel::result::Error) -> Error {
        move |e| Error::Setup {
            step,
            message: e.to_string().trim_end().to_owned(),
        }
    }
}

/// `url` with the password (if any) replaced by `***`, for error messages:
/// the one in the user-info part (`user:secret@host`, where the password may
/// hold `/` or `@`) and a `password=` query parameter.
/// (Shared with ryx's command line; not part of the API.)
#[doc(hidden)]
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let (main, query) = match url[scheme_end..].find('?') {
        Some(q) => url.split_at(scheme_end + q),
        None => (url, ""),
    };
    let mut out = match main[scheme_end..].rfind('@') {
        Some(at) => {
            let userinfo = &main[scheme_end..scheme_end + at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &main[..scheme_end],
                    &userinfo[..colon],
                    &main[scheme_end + at..]
                ),
                None => main.to_owned(),
            }
        }
        None => main.to_owned(),
    };
    if let Some(params) = query.strip_prefix('?') {
        let params: Vec<String> = params
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact_url("/tmp/file.db"), "/tmp/file.db");
        assert_eq!(
            redact_url("mysql://root:p@ss@host/db"),
            "mysql://root:***@host/db"
        );
        assert_eq!(
            redact_url("postgres://app:pa/ss@host/db"),
            "postgres://app:***@host/db"
        );
        assert_eq!(
            redact_url("postgres://host/db?user=app&password=s3cret&sslmode=require"),
            "postgres://host/db?user=app&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://app@host/db?application_name=x@y"),
            "postgres://app@host/db?application_name=x@y"
        );
    }
}
