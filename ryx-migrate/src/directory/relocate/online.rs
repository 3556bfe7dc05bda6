//! The online move: PostgreSQL's logical replication copies the tenant while
//! it keeps taking writes; writes pause only for the final catch-up.
//!
//! 1. The target gets the tenant's structure (no rows), under its lock.
//! 2. The old server publishes the schema (`CREATE PUBLICATION .. FOR TABLES
//!    IN SCHEMA`, PostgreSQL 15); the target subscribes, which copies every
//!    table and then streams changes.
//! 3. Once every table is copied, the move pauses writes (the tables locked
//!    on the old server, as in the offline move) and waits until both sides
//!    hold the same rows (row count and a digest of every row's text).
//! 4. Sequences are carried over, the subscription and publication dropped,
//!    the directory switched, and the old copy fenced or dropped.
//!
//! Needs `wal_level = logical` on the old server, a replica identity (a
//! primary key) on every table, direct connections (not a transaction
//! pooler) and a role allowed to publish and subscribe; the target connects
//! to the old server with the directory's URL. [`unavailable`] says which is
//! missing; the move then copies offline.

use std::time::{Duration, Instant};

use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

use super::{try_lock, Context, MoveError, Mover, Step, PG};
use crate::apply::RunnerConnection;

/// How often the catch-up is checked.
const POLL: Duration = Duration::from_millis(50);

/// The publication's and the subscription's name for `tenant`: `ryx_move_`
/// and a hash of the name (both are identifiers of at most 63 bytes).
pub(super) fn replication_name(tenant: &str) -> String {
    format!(
        "ryx_move_{:016x}",
        u64::from_ne_bytes(crate::checksum::advisory_lock_key(tenant).to_ne_bytes())
    )
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

/// Why the old server cannot feed an online move of `tenant`'s `tables`,
/// or `None` when it can.
pub(super) fn unavailable<C>(
    source: &mut C,
    tenant: &str,
    pooler: bool,
) -> diesel::QueryResult<Option<String>>
where
    C: RunnerConnection<DB = Pg>,
{
    if pooler {
        return Ok(Some(
            "the old server's URL is a transaction pooler; logical replication needs a direct connection".to_owned(),
        ));
    }
    let level: Setting =
        diesel::sql_query("SELECT current_setting('wal_level') AS value").get_result(source)?;
    if level.value != "logical" {
        return Ok(Some(format!(
            "the old server has wal_level = {}; an online move needs wal_level = logical (postgresql.conf, then a restart)",
            level.value
        )));
    }
    let version: Setting =
        diesel::sql_query("SELECT current_setting('server_version_num') AS value")
            .get_result(source)?;
    if version.value.parse::<u32>().unwrap_or(0) < 150_000 {
        return Ok(Some(
            "the old server is older than PostgreSQL 15, which first publishes a whole schema"
                .to_owned(),
        ));
    }
    let matviews: Vec<Setting> = diesel::sql_query(
        "SELECT c.relname::text AS value FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'm' ORDER BY 1",
    )
    .bind::<Text, _>(tenant)
    .load(source)?;
    if !matviews.is_empty() {
        let names: Vec<String> = matviews.into_iter().map(|s| s.value).collect();
        return Ok(Some(format!(
            "materialized view(s) {} are not replicated",
            names.join(", ")
        )));
    }
    // UPDATE and DELETE of a published table need a replica identity
    let without: Vec<Setting> = diesel::sql_query(
        "SELECT c.relname::text AS value FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'r' AND (c.relreplident = 'n' OR (c.relreplident = 'd' \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))) \
         ORDER BY 1",
    )
    .bind::<Text, _>(tenant)
    .load(source)?;
    if !without.is_empty() {
        let names: Vec<String> = without.into_iter().map(|s| s.value).collect();
        return Ok(Some(format!(
            "table(s) {} have no primary key (replica identity): publishing them would make their UPDATEs and DELETEs fail",
            names.join(", ")
        )));
    }
    Ok(None)
}

/// `url` as an SQL string literal (libpq takes a URL as connection info).
pub(super) fn literal(url: &str) -> String {
    format!("'{}'", url.replace('\'', "''"))
}

/// Waits until every table of the subscription `name` is copied (state
/// `r`eady, or `s`ynchronized), at most `timeout`.
pub(super) fn wait_for_initial_copy<C>(
    target: &mut C,
    name: &str,
    timeout: Duration,
) -> diesel::QueryResult<bool>
where
    C: RunnerConnection<DB = Pg>,
{
    #[derive(QueryableByName)]
    struct Pending {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = BigInt)]
        tables: i64,
    }
    let started = Instant::now();
    loop {
        let p: Pending = diesel::sql_query(
            "SELECT count(*) FILTER (WHERE r.srsubstate NOT IN ('r', 's')) AS n, count(*) AS tables \
             FROM pg_catalog.pg_subscription s \
             JOIN pg_catalog.pg_subscription_rel r ON r.srsubid = s.oid WHERE s.subname = $1",
        )
        .bind::<Text, _>(name)
        .get_result(target)?;
        if p.tables > 0 && p.n == 0 {
            return Ok(true);
        }
        if started.elapsed() > timeout {
            return Ok(false);
        }
        std::thread::sleep(POLL);
    }
}

/// Each table's row count and a digest of its rows' text, in table order.
pub(super) fn digests<C>(
    conn: &mut C,
    tenant: &str,
    tables: &[String],
) -> diesel::QueryResult<Vec<(i64, String)>>
where
    C: RunnerConnection<DB = Pg>,
{
    #[derive(QueryableByName)]
    struct Digest {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        digest: String,
    }
    tables
        .iter()
        .map(|t| {
            diesel::sql_query(format!(
                "SELECT count(*) AS n, coalesce(md5(string_agg(CAST(x AS text), '|' ORDER BY CAST(x AS text))), '') AS digest FROM {} AS x",
                PG.qualify(Some(tenant), t)
            ))
            .get_result::<Digest>(conn)
            .map(|d| (d.n, d.digest))
        })
        .collect()
}

/// Waits until the target holds exactly `expected` (the old server's
/// digests, taken with writes paused), at most `timeout`.
pub(super) fn wait_for_catch_up<C>(
    target: &mut C,
    tenant: &str,
    tables: &[String],
    expected: &[(i64, String)],
    timeout: Duration,
) -> diesel::QueryResult<bool>
where
    C: RunnerConnection<DB = Pg>,
{
    let started = Instant::now();
    loop {
        if digests(target, tenant, tables)? == expected {
            return Ok(true);
        }
        if started.elapsed() > timeout {
            return Ok(false);
        }
        std::thread::sleep(POLL);
    }
}

/// A session-level advisory lock on the runners' key, polled as the
/// runners poll (see [`crate::backend::retry_pause`]) for at most `timeout`.
fn session_lock<C>(conn: &mut C, schema: &str, timeout: Duration) -> diesel::QueryResult<bool>
where
    C: RunnerConnection<DB = Pg>,
{
    let key = crate::checksum::advisory_lock_key(schema);
    let started = Instant::now();
    let mut pause = crate::backend::retry_pause(None);
    while !crate::backend::try_session_lock(conn, key)? {
        if started.elapsed() > timeout {
            return Ok(false);
        }
        std::thread::sleep(pause);
        pause = crate::backend::retry_pause(Some(pause));
    }
    Ok(true)
}

fn session_unlock<C>(conn: &mut C, schema: &str)
where
    C: RunnerConnection<DB = Pg>,
{
    let _ = crate::backend::session_unlock(conn, crate::checksum::advisory_lock_key(schema));
}

impl Mover<'_> {
    /// The online move (see the module docs). Both servers' migration locks
    /// are held for the whole move (session locks: no runner changes the
    /// tenant's structure while it replicates); whatever fails before the
    /// switch removes the subscription, the publication and the target's
    /// copy.
    pub(super) fn run_online<S, D>(
        &self,
        source: &mut S,
        dest: &mut D,
    ) -> Result<(Vec<(String, u64)>, Duration), MoveError>
    where
        S: RunnerConnection<DB = Pg>,
        D: RunnerConnection<DB = Pg>,
    {
        let tenant = self.tenant;
        let busy = |server: &str, waited: Duration| MoveError::Busy {
            tenant: tenant.to_owned(),
            server: server.to_owned(),
            waited_ms: waited.as_millis(),
        };
        let on_source = self.db(self.from);
        if !session_lock(source, tenant, self.options.lock_timeout)
            .map_err(|e| on_source(Step::Db("take the tenant's lock", e)))?
        {
            return Err(busy(self.from.name(), self.options.lock_timeout));
        }
        let on_target = self.db(self.to);
        match session_lock(dest, tenant, self.options.lock_timeout) {
            Ok(true) => {}
            Ok(false) => {
                session_unlock(source, tenant);
                return Err(busy(self.to.name(), self.options.lock_timeout));
            }
            Err(e) => {
                session_unlock(source, tenant);
                return Err(on_target(Step::Db("take the tenant's lock", e)));
            }
        }
        let name = replication_name(tenant);
        let result = self.replicate(source, dest, &name);
        if result.is_err() {
            // nothing switched: remove what the move made (best effort)
            let _ = dest.batch_execute(&format!("DROP SUBSCRIPTION IF EXISTS {}", PG.quote(&name)));
            self.drop_copy(dest);
        }
        let _ = source.batch_execute(&format!("DROP PUBLICATION IF EXISTS {}", PG.quote(&name)));
        session_unlock(dest, tenant);
        session_unlock(source, tenant);
        result
    }

    fn replicate<S, D>(
        &self,
        source: &mut S,
        dest: &mut D,
        name: &str,
    ) -> Result<(Vec<(String, u64)>, Duration), MoveError>
    where
        S: RunnerConnection<DB = Pg>,
        D: RunnerConnection<DB = Pg>,
    {
        let tenant = self.tenant;
        let on_source = self.db(self.from);
        let on_target = self.db(self.to);
        // 1. the structure, from the old server's catalog
        let plan = source
            .transaction::<_, Step, _>(|source| {
                if !crate::lifecycle::is_tenant(source, tenant)
                    .map_err(super::tx_step(tenant, "look for the tenant"))?
                {
                    return Err(Step::Move(MoveError::NotATenant {
                        tenant: tenant.to_owned(),
                        server: self.from.name().to_owned(),
                    }));
                }
                crate::lifecycle::copy_plan(source, tenant)
                    .map_err(super::tx_step(tenant, "read the tenant's catalog"))
            })
            .map_err(&on_source)?;
        let tables: Vec<String> = plan.tables.iter().map(|(t, _)| t.clone()).collect();
        dest.transaction::<_, Step, _>(|dest| {
            if crate::lifecycle::schema_exists(dest, tenant)
                .map_err(super::tx_step(tenant, "look for the schema"))?
            {
                return Err(Step::Move(MoveError::TargetExists {
                    tenant: tenant.to_owned(),
                    server: self.to.name().to_owned(),
                }));
            }
            dest.batch_execute(&format!("SET LOCAL search_path = {}", PG.quote(tenant)))
                .step("set the search_path")?;
            let mut sql = plan.before_rows.clone();
            sql.extend(plan.after_rows.iter().cloned());
            dest.batch_execute(&sql.join(";\n"))
                .step("create the tenant's structure")
        })
        .map_err(&on_target)?;
        // 2. publish, subscribe: the initial copy, then the stream
        source
            .batch_execute(&format!(
                "CREATE PUBLICATION {} FOR TABLES IN SCHEMA {}",
                PG.quote(name),
                PG.quote(tenant)
            ))
            .map_err(|e| on_source(Step::Db("publish the tenant's tables", e)))?;
        dest.batch_execute(&format!(
            "CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {}",
            PG.quote(name),
            literal(self.from.url()),
            PG.quote(name)
        ))
        .map_err(|e| on_target(Step::Db("subscribe to the old server", e)))?;
        let started = Instant::now();
        if !wait_for_initial_copy(dest, name, self.options.copy_timeout)
            .map_err(|e| on_target(Step::Db("follow the initial copy", e)))?
        {
            return Err(MoveError::Timeout {
                tenant: tenant.to_owned(),
                server: self.to.name().to_owned(),
                what: "finish its initial copy",
                waited_ms: started.elapsed().as_millis(),
            });
        }
        // 3. writes paused on the old server until the fence commits
        let lock_ms = self.options.lock_timeout.as_millis();
        let catch_up = self.options.catch_up_timeout;
        let to = self.to.name().to_owned();
        source
            .transaction::<_, Step, _>(|source| {
                if !try_lock(source, tenant).step("take the tenant's lock")? {
                    return Err(Step::Move(MoveError::Busy {
                        tenant: tenant.to_owned(),
                        server: self.from.name().to_owned(),
                        waited_ms: 0,
                    }));
                }
                let list: Vec<String> =
                    tables.iter().map(|t| PG.qualify(Some(tenant), t)).collect();
                source
                    .batch_execute(&format!(
                        "SET LOCAL lock_timeout = {lock_ms}; LOCK TABLE {} IN EXCLUSIVE MODE",
                        list.join(", ")
                    ))
                    .step("lock the tenant's tables against writes")?;
                let paused = Instant::now();
                let expected = digests(source, tenant, &tables).step("read the tenant's rows")?;
                let sequences = super::sequence_values(source, tenant, &plan.sequences)
                    .step("read the sequences")?;
                let caught_up = wait_for_catch_up(dest, tenant, &tables, &expected, catch_up)
                    .map_err(|e| target_step(&to, "compare the copied rows", e))?;
                if !caught_up {
                    return Err(Step::Move(MoveError::Timeout {
                        tenant: tenant.to_owned(),
                        server: to.clone(),
                        what: "catch up",
                        waited_ms: paused.elapsed().as_millis(),
                    }));
                }
                for (sequence, last, called) in &sequences {
                    diesel::sql_query(
                        "SELECT pg_catalog.setval(CAST($1 AS pg_catalog.regclass), $2, $3)",
                    )
                    .bind::<Text, _>(PG.qualify(Some(tenant), sequence))
                    .bind::<BigInt, _>(*last)
                    .bind::<diesel::sql_types::Bool, _>(*called)
                    .execute(dest)
                    .map_err(|e| target_step(&to, "set the sequences", e))?;
                }
                dest.batch_execute(&format!("DROP SUBSCRIPTION {}", PG.quote(name)))
                    .map_err(|e| target_step(&to, "end the subscription", e))?;
                let copied: Vec<(String, u64)> = tables
                    .iter()
                    .zip(&expected)
                    .map(|(t, (n, _))| (t.clone(), u64::try_from(*n).unwrap_or(0)))
                    .collect();
                self.switch(source, dest, &copied)?;
                Ok((copied, paused))
            })
            .map(|(copied, paused)| (copied, paused.elapsed()))
            .map_err(&on_source)
    }
}

/// A target's database error as a step's, named for the target.
fn target_step(server: &str, step: &'static str, source: diesel::result::Error) -> Step {
    Step::Move(MoveError::Database {
        server: server.to_owned(),
        step,
        source,
    })
}
