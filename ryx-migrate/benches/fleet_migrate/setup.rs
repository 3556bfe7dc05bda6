//! The fixture and the databases: the migration folder's SQL, ryx's history
//! table, the `Made` cleanup guard (every created database dropped, the
//! temporary folder removed), and bulk tenant creation.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::fleet;

use crate::Res;

pub(crate) const MIGRATION_NAME: &str = "2024-06-01-000000_create_accounts";
/// The migration: 2 tables, 2 indexes, a foreign key.
pub(crate) const UP_SQL: &str = "\
CREATE TABLE accounts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE invoices (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id BIGINT NOT NULL, amount_cents BIGINT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE INDEX invoices_account_id_idx ON invoices (account_id);
ALTER TABLE invoices ADD CONSTRAINT invoices_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
";
pub(crate) const DOWN_SQL: &str = "DROP TABLE invoices;\nDROP TABLE accounts;\n";
/// `ensure_history`'s table, as ryx creates it on PostgreSQL.
pub(crate) const HISTORY_DDL: &str = "(name VARCHAR(255) NOT NULL PRIMARY KEY, \
     checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_ms BIGINT NOT NULL)";

/// What the bench made; dropped at the end whatever happened.
pub(crate) struct Made {
    pub(crate) admin_url: String,
    pub(crate) databases: RefCell<Vec<String>>,
    pub(crate) dir: PathBuf,
}

impl Made {
    pub(crate) fn create_db(&self, name: &str) -> Res<String> {
        let mut admin = PgConnection::establish(&self.admin_url)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))?;
        self.databases.borrow_mut().push(name.to_owned());
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(db_url(&self.admin_url, name))
    }

    pub(crate) fn drop_db(&self, name: &str) -> Res<()> {
        let mut admin = PgConnection::establish(&self.admin_url)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))?;
        self.databases.borrow_mut().retain(|d| d != name);
        Ok(())
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        let left: Vec<String> = self.databases.borrow().clone();
        for db in left {
            if let Err(e) = self.drop_db(&db) {
                eprintln!("fleet_migrate: could not drop database {db}: {e}");
            }
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!(
                "fleet_migrate: could not remove {}: {e}",
                self.dir.display()
            );
        }
    }
}

/// `url` with its database replaced by `db` (the query string kept).
fn db_url(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[authority_end..].find('/') {
        Some(i) => &base[..authority_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many tenants hold the migration's foreign key (the last statement).
pub(crate) fn migrated_tenants(conn: &mut PgConnection) -> Res<usize> {
    let c: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_catalog.pg_constraint \
         WHERE conname = 'invoices_account_id_fkey' AND contype = 'f'",
    )
    .get_result(conn)?;
    Ok(usize::try_from(c.n)?)
}

/// The comment ryx keeps on `schema`'s history table (its history digest).
pub(crate) fn history_comment(conn: &mut PgConnection, schema: &str) -> Res<String> {
    #[derive(QueryableByName)]
    struct Comment {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        c: Option<String>,
    }
    let row: Comment = diesel::sql_query(format!(
        "SELECT pg_catalog.obj_description('{}.\"ryx_migrations\"'::regclass, 'pg_class') AS c",
        quote(schema)
    ))
    .get_result(conn)?;
    row.c
        .ok_or_else(|| format!("ryx left no digest on {schema}'s history").into())
}

/// A fresh database holding `tenants` empty ryx tenants: what
/// `ryx_migrate::create_tenant` makes (the schema, its history table,
/// `HISTORY_DDL`, and the empty history's digest as its comment), the first
/// by `create_tenant`, the others in one transaction instead of one each.
pub(crate) fn fleet_db(made: &Made, name: &str, tenants: &[String]) -> Res<String> {
    let url = made.create_db(name)?;
    let mut conn = PgConnection::establish(&url)?;
    let Some((first, rest)) = tenants.split_first() else {
        return Ok(url);
    };
    ryx_migrate::create_tenant(&mut conn, first)?;
    let digest = history_comment(&mut conn, first)?;
    let mut sql = String::from("BEGIN;\n");
    for t in rest {
        let q = quote(t);
        writeln!(
            sql,
            "CREATE SCHEMA {q}; CREATE TABLE {q}.\"ryx_migrations\" {HISTORY_DDL}; \
             COMMENT ON TABLE {q}.\"ryx_migrations\" IS '{digest}';"
        )?;
    }
    sql.push_str("COMMIT;");
    conn.batch_execute(&sql)?;
    let listed = fleet::tenants(&mut conn)?;
    if listed.len() != tenants.len() {
        return Err("ryx does not see the bulk-made tenants".into());
    }
    Ok(url)
}
