//! Fleet operations over every server of a directory at once: which tenants
//! each server holds, their migration status, and a [`FleetRunner`] run per
//! server, the servers in parallel.

use std::collections::BTreeMap;

use diesel::r2d2::{Pool, PooledConnection};
use ryx_pool::{ConnectionManager, PoolBackend};

use super::{Directory, DirectoryError};
use crate::apply::RunnerConnection;
use crate::backend::MigrationBackend;
use crate::error::Error;
use crate::fleet::{FleetReport, FleetRunner, TenantStatus};
use crate::source::MigrationFile;

/// The ryx tenants found on one server.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerTenants {
    /// The server's name in the directory.
    pub server: String,
    /// The tenants the directory places on this server that it holds.
    pub tenants: Vec<String>,
    /// Tenant schemas the server holds that the directory places elsewhere
    /// (a copy left by a move without `--drop-source`) or nowhere: never
    /// migrated through the directory.
    pub elsewhere: Vec<String>,
}

/// One server's part of a run over the directory.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerRun<T> {
    /// The server's name in the directory.
    pub server: String,
    /// What the server gave, or why it gave nothing (down, refusing, a
    /// failed catalog query): its tenants were then not reached.
    pub result: Result<T, Error>,
    /// Tenant schemas found on the server that the directory places
    /// elsewhere or nowhere, left alone.
    pub elsewhere: Vec<String>,
    /// The tenants the directory names for this server (`[tenants]` entries
    /// and, with explicit schemas, those asked for): what a server that gave
    /// nothing leaves unreached.
    pub expected: Vec<String>,
}

impl<C> Directory<C>
where
    C: PoolBackend,
    C::Backend: MigrationBackend,
    PooledConnection<ConnectionManager<C>>: RunnerConnection,
{
    /// The tenants of one server: the ryx tenants it holds, split by whether
    /// the directory places them there.
    pub fn server_tenants(&self, server: &str) -> Result<ServerTenants, Error> {
        let pool = self.pool(server).map_err(directory_error)?;
        let mut conn = pool.get().map_err(Error::Pool)?;
        let found = crate::fleet::tenants(&mut conn)?;
        drop(conn);
        let (tenants, elsewhere) = found
            .into_iter()
            .partition(|t| self.config.server_of(t).map(|s| s.name()) == Some(server));
        Ok(ServerTenants {
            server: server.to_owned(),
            tenants,
            elsewhere,
        })
    }

    /// Routes `schemas` to their servers: server name → its schemas, in the
    /// order given. A schema the directory does not map fails the whole call
    /// before any server is reached.
    pub fn route(
        &self,
        schemas: &[String],
    ) -> Result<BTreeMap<String, Vec<String>>, DirectoryError> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for schema in schemas {
            let server = self.server_of(schema)?;
            let list = out.entry(server.name().to_owned()).or_default();
            if !list.contains(schema) {
                list.push(schema.clone());
            }
        }
        Ok(out)
    }

    /// Runs `f` for every server at once (a thread each), over the tenants
    /// asked for: `Some(schemas)` routed through the directory, or `None`
    /// for every tenant each server holds and the directory places there.
    /// Servers come back in name order; one that fails does not stop the
    /// others.
    pub fn for_each_server<T, F>(
        &self,
        schemas: Option<&[String]>,
        f: F,
    ) -> Result<Vec<ServerRun<T>>, DirectoryError>
    where
        T: Send,
        F: Fn(&Pool<ConnectionManager<C>>, &[String]) -> Result<T, Error> + Sync,
    {
        // each server with the tenants named for it, or `None`: find them there
        let work: Vec<(String, Option<Vec<String>>)> = match schemas {
            Some(list) => self
                .route(list)?
                .into_iter()
                .map(|(server, named)| (server, Some(named)))
                .collect(),
            None => self
                .config
                .servers
                .keys()
                .map(|s| (s.clone(), None))
                .collect(),
        };
        let f = &f;
        let runs = std::thread::scope(|scope| {
            let handles: Vec<_> = work
                .into_iter()
                .map(|(server, named)| {
                    scope.spawn(move || {
                        let (expected, found) = match named {
                            Some(named) => (named.clone(), Ok((named, Vec::new()))),
                            None => (
                                self.listed_on(&server),
                                self.server_tenants(&server)
                                    .map(|found| (found.tenants, found.elsewhere)),
                            ),
                        };
                        let (result, elsewhere) = match found {
                            Ok((targets, elsewhere)) => (
                                self.pool(&server)
                                    .map_err(directory_error)
                                    .and_then(|pool| f(pool, &targets)),
                                elsewhere,
                            ),
                            Err(e) => (Err(e), Vec::new()),
                        };
                        ServerRun {
                            server,
                            result,
                            elsewhere,
                            expected,
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok())
                .collect::<Vec<_>>()
        });
        Ok(runs)
    }

    /// A [`FleetRunner`] run on every server at once over its tenants
    /// (`None`: every tenant each server holds that the directory places
    /// there; `Some`: those schemas, routed). Each server's run uses its own
    /// pool, with the runner's `jobs` per server.
    pub fn migrate(
        &self,
        runner: &FleetRunner<'_>,
        schemas: Option<&[String]>,
    ) -> Result<Vec<ServerRun<FleetReport>>, DirectoryError> {
        self.for_each_server(schemas, |pool, targets| runner.run_schemas(pool, targets))
    }

    /// The migration status of the tenants on every server at once, as
    /// [`fleet::status`](crate::fleet::status).
    pub fn status(
        &self,
        schemas: Option<&[String]>,
        migrations: &[MigrationFile],
    ) -> Result<Vec<ServerRun<Vec<TenantStatus>>>, DirectoryError> {
        self.for_each_server(schemas, |pool, targets| {
            let mut conn = pool.get().map_err(Error::Pool)?;
            crate::fleet::status(&mut conn, Some(targets), migrations)
        })
    }

    /// The tenants `[tenants]` places on `server`.
    fn listed_on(&self, server: &str) -> Vec<String> {
        self.config
            .tenants
            .iter()
            .filter(|(_, s)| s.as_str() == server)
            .map(|(t, _)| t.clone())
            .collect()
    }
}

fn directory_error(e: DirectoryError) -> Error {
    Error::Directory(Box::new(e))
}
