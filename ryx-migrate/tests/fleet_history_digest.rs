//! The fleet's status from the history digests ryx keeps as the comment of
//! each tenant's `ryx_migrations`: a current fleet costs one catalog query
//! whatever its size, and every tenant whose digest is missing or is not a
//! prefix of the folder (made by an older ryx, changed, unknown rows,
//! cleared by hand) is read in full, with the same status as a full read.
//! A history edited by hand without clearing the digest is reported as the
//! digest says, and `verified_status` reads it as it is.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use common::{fixtures, unique, PgDb};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::sql_types::{Nullable, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ryx_migrate::fleet::{self, FleetRunner};
use ryx_migrate::{load_dir, FileRunner, MigrationFile};

/// The statements a connection sends, as diesel reports them.
fn counted(conn: &mut PgConnection) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            sink.lock().unwrap().push(query.to_string());
        }
    });
    seen
}

/// Makes `n` tenants named `<prefix>_<i>` with every migration applied.
fn current_tenants(url: &str, prefix: &str, n: usize, migrations: &[MigrationFile]) -> Vec<String> {
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}_{i:03}")).collect();
    let pool = diesel::r2d2::Pool::builder()
        .max_size(2)
        .build(diesel::r2d2::ConnectionManager::<PgConnection>::new(url))
        .unwrap();
    let report = FleetRunner::new()
        .migrations(migrations.to_vec())
        .schemas(names.iter().cloned())
        .jobs(2)
        .run(&pool)
        .unwrap();
    assert!(report.is_success(), "{report:?}");
    names
}

fn comment(conn: &mut PgConnection, schema: &str) -> Option<String> {
    #[derive(QueryableByName)]
    struct C {
        #[diesel(sql_type = Nullable<Text>)]
        c: Option<String>,
    }
    let row: C = diesel::sql_query(
        "SELECT pg_catalog.obj_description(pg_catalog.to_regclass(pg_catalog.quote_ident($1) || '.ryx_migrations'), 'pg_class') AS c",
    )
    .bind::<Text, _>(schema)
    .get_result(conn)
    .unwrap();
    row.c
}

#[test]
fn a_current_fleet_costs_one_query_whatever_its_size() {
    let db = PgDb::new();
    let url = db.url();
    let migrations = load_dir(fixtures("basic")).unwrap();
    let prefix = unique("dg");
    let mut counts = Vec::new();
    for (from, to) in [(0, 5), (5, 50)] {
        let made = current_tenants(&url, &format!("{prefix}_{from}"), to - from, &migrations);
        assert_eq!(made.len(), to - from);
        let mut conn = PgConnection::establish(&url).unwrap();
        let seen = counted(&mut conn);
        let all = fleet::status(&mut conn, None, &migrations).unwrap();
        assert_eq!(all.len(), to);
        assert!(all
            .iter()
            .all(|s| s.is_current(false) && s.unknown.is_empty()));
        let seen = seen.lock().unwrap().clone();
        // no tenant's history table is read: its name is in no statement
        for q in &seen {
            assert!(!q.contains(&prefix), "a tenant was read: {q}");
        }
        counts.push(seen.len());
        // the same status as reading every history table
        let full = fleet::verified_status(&mut conn, None, &migrations).unwrap();
        assert_eq!(all, full);
    }
    assert_eq!(counts, [1, 1], "one catalog query for 5 and for 50 tenants");
}

#[test]
fn tenants_without_a_matching_digest_are_read_in_full() {
    let db = PgDb::new();
    let url = db.url();
    let dir = fixtures("basic");
    let migrations = load_dir(&dir).unwrap();
    let two = migrations[..2].to_vec();
    let prefix = unique("dg");
    let mut conn = PgConnection::establish(&url).unwrap();
    let t = |name: &str| format!("{prefix}_{name}");

    // made by an older ryx, which kept no digest: the first migration
    // applied, the same table and rows, no comment
    let old = t("old");
    FileRunner::new()
        .migrations(migrations[..1].to_vec())
        .schema(&old)
        .run(&mut conn)
        .unwrap();
    conn.batch_execute(&format!(
        "COMMENT ON TABLE \"{old}\".ryx_migrations IS NULL"
    ))
    .unwrap();
    // two of three applied: a prefix, its digest says so
    let partial = t("partial");
    FileRunner::new()
        .migrations(two.clone())
        .schema(&partial)
        .run(&mut conn)
        .unwrap();
    // an unknown row, added by a writer that clears the digest (the model
    // runner leaves it cleared)
    let unknown = t("unknown");
    FileRunner::new()
        .migrations(migrations.clone())
        .schema(&unknown)
        .run(&mut conn)
        .unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO \"{unknown}\".ryx_migrations (name, checksum, execution_ms) VALUES ('2099-01-01-000000_elsewhere', 'x', 1); \
         COMMENT ON TABLE \"{unknown}\".ryx_migrations IS NULL"
    ))
    .unwrap();
    // a row deleted by hand, the digest cleared as documented
    let cleared = t("cleared");
    FileRunner::new()
        .migrations(migrations.clone())
        .schema(&cleared)
        .run(&mut conn)
        .unwrap();
    conn.batch_execute(&format!(
        "DELETE FROM \"{cleared}\".ryx_migrations WHERE name = '{}'; COMMENT ON TABLE \"{cleared}\".ryx_migrations IS NULL",
        migrations[2].name
    ))
    .unwrap();
    // a digest that is not ryx's
    let foreign = t("foreign");
    FileRunner::new()
        .migrations(two.clone())
        .schema(&foreign)
        .run(&mut conn)
        .unwrap();
    conn.batch_execute(&format!(
        "COMMENT ON TABLE \"{foreign}\".ryx_migrations IS 'kept by the DBA'"
    ))
    .unwrap();
    // a new, empty tenant
    let empty = t("empty");
    ryx_migrate::create_tenant(&mut conn, &empty).unwrap();

    let schemas = vec![
        old.clone(),
        partial.clone(),
        unknown.clone(),
        cleared.clone(),
        foreign.clone(),
        empty.clone(),
    ];
    let fast = fleet::status(&mut conn, Some(&schemas), &migrations).unwrap();
    let full = fleet::verified_status(&mut conn, Some(&schemas), &migrations).unwrap();
    assert_eq!(fast, full);
    let of = |s: &str| fast.iter().find(|st| st.schema == s).unwrap().clone();
    assert_eq!(of(&old).applied, [migrations[0].name.clone()]);
    assert_eq!(of(&old).pending.len(), 2);
    assert_eq!(of(&partial).pending, [migrations[2].name.clone()]);
    assert_eq!(of(&unknown).unknown, ["2099-01-01-000000_elsewhere"]);
    assert!(of(&unknown).pending.is_empty());
    assert_eq!(of(&cleared).pending, [migrations[2].name.clone()]);
    assert_eq!(of(&foreign).pending, [migrations[2].name.clone()]);
    assert_eq!(of(&empty).pending.len(), 3);
    assert!(of(&empty).exists);

    // an edited up.sql: the digest no longer matches, the history is read
    // and the migration reported changed
    let tmp = std::env::temp_dir().join(unique("ryx_digest_dir"));
    for m in &migrations {
        let d = tmp.join(&m.name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(dir.join(&m.name).join("up.sql"), d.join("up.sql")).unwrap();
        std::fs::copy(dir.join(&m.name).join("down.sql"), d.join("down.sql")).unwrap();
    }
    let first = tmp.join(&migrations[0].name).join("up.sql");
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, format!("{text}\n-- edited\n")).unwrap();
    let edited = load_dir(&tmp).unwrap();
    std::fs::remove_dir_all(&tmp).unwrap();
    let fast = fleet::status(&mut conn, Some(&schemas), &edited).unwrap();
    let full = fleet::verified_status(&mut conn, Some(&schemas), &edited).unwrap();
    assert_eq!(fast, full);
    assert_eq!(of(&partial).schema, partial);
    let partial_now = fast.iter().find(|st| st.schema == partial).unwrap();
    assert_eq!(partial_now.changed, [migrations[0].name.clone()]);

    // the fleet migrates the old tenant, which then has a digest
    assert_eq!(comment(&mut conn, &old), None);
    let pool = diesel::r2d2::Pool::builder()
        .max_size(1)
        .build(diesel::r2d2::ConnectionManager::<PgConnection>::new(&url))
        .unwrap();
    let report = FleetRunner::new()
        .migrations(migrations.clone())
        .schemas([old.clone()])
        .jobs(1)
        .run(&pool)
        .unwrap();
    assert_eq!(report.migrated().count(), 1);
    assert!(comment(&mut conn, &old).is_some_and(|c| c.starts_with("ryx:v1:")));
    let st = fleet::status(&mut conn, Some(&[old]), &migrations).unwrap();
    assert!(st[0].is_current(false));
}

#[test]
fn a_hand_edit_that_keeps_the_digest_is_seen_only_by_a_full_read() {
    let db = PgDb::new();
    let url = db.url();
    let migrations = load_dir(fixtures("basic")).unwrap();
    let schema = unique("dg_edited");
    let mut conn = PgConnection::establish(&url).unwrap();
    FileRunner::new()
        .migrations(migrations.clone())
        .schema(&schema)
        .run(&mut conn)
        .unwrap();
    conn.batch_execute(&format!(
        "DELETE FROM \"{schema}\".ryx_migrations WHERE name = '{}'",
        migrations[2].name
    ))
    .unwrap();
    let only = [schema.clone()];
    // as documented: the digest is trusted ..
    let fast = fleet::status(&mut conn, Some(&only), &migrations).unwrap();
    assert!(fast[0].is_current(false));
    // .. a full read sees the edit ..
    let full = fleet::verified_status(&mut conn, Some(&only), &migrations).unwrap();
    assert_eq!(full[0].pending, [migrations[2].name.clone()]);
    // .. and so does the runner of the one tenant
    let pending = FileRunner::new()
        .migrations(migrations.clone())
        .schema(&schema)
        .pending(&mut conn)
        .unwrap();
    assert_eq!(pending, [migrations[2].name.clone()]);
    // clearing the digest, as documented, makes the fleet read it
    conn.batch_execute(&format!(
        "COMMENT ON TABLE \"{schema}\".ryx_migrations IS NULL"
    ))
    .unwrap();
    let fast = fleet::status(&mut conn, Some(&only), &migrations).unwrap();
    assert_eq!(fast, full);
}

#[test]
fn rollbacks_and_non_transactional_migrations_keep_the_digest() {
    let db = PgDb::new();
    let url = db.url();
    let mut conn = PgConnection::establish(&url).unwrap();
    for folder in ["basic", "non_transactional"] {
        let migrations = load_dir(fixtures(folder)).unwrap();
        let schema = unique("dg_rb");
        let only = [schema.clone()];
        let runner = FileRunner::new()
            .migrations(migrations.clone())
            .schema(&schema);
        runner.run(&mut conn).unwrap();
        let digest = comment(&mut conn, &schema);
        assert!(digest.as_deref().is_some_and(|c| c.starts_with("ryx:v1:")));
        let st = fleet::status(&mut conn, Some(&only), &migrations).unwrap();
        assert!(st[0].is_current(false), "{folder}: {st:?}");
        for step in 1..=migrations.len() {
            runner.rollback(&mut conn, 1).unwrap();
            let fast = fleet::status(&mut conn, Some(&only), &migrations).unwrap();
            let full = fleet::verified_status(&mut conn, Some(&only), &migrations).unwrap();
            assert_eq!(fast, full, "{folder}, after {step} rollbacks");
            assert_eq!(fast[0].pending.len(), step);
        }
        runner.run(&mut conn).unwrap();
        assert_eq!(comment(&mut conn, &schema), digest, "{folder}");
        conn.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .unwrap();
    }
}

/// A tenant without a digest dropped between the catalog query and the read
/// of its history table: the read fails, the tenants are listed again and
/// the dropped one is left out.
#[test]
fn a_tenant_dropped_between_the_queries_is_left_out() {
    let db = PgDb::new();
    let url = db.url();
    let migrations = load_dir(fixtures("basic")).unwrap();
    let keep = unique("dg_keep");
    let gone = unique("dg_gone");
    let mut conn = PgConnection::establish(&url).unwrap();
    for s in [&keep, &gone] {
        FileRunner::new()
            .migrations(migrations.clone())
            .schema(s)
            .run(&mut conn)
            .unwrap();
        // as made by an older ryx: no digest, so its table is read
        conn.batch_execute(&format!("COMMENT ON TABLE \"{s}\".ryx_migrations IS NULL"))
            .unwrap();
    }
    let (drop_url, drop_name) = (url.clone(), gone.clone());
    let dropped = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&dropped);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::FinishQuery { query, .. } = event {
            let mut done = flag.lock().unwrap();
            if !*done && query.to_string().contains("pg_description") {
                let mut other = PgConnection::establish(&drop_url).unwrap();
                other
                    .batch_execute(&format!("DROP SCHEMA \"{drop_name}\" CASCADE"))
                    .unwrap();
                *done = true;
            }
        }
    });
    let st = fleet::status(&mut conn, None, &migrations).unwrap();
    assert!(*dropped.lock().unwrap());
    let names: Vec<&str> = st.iter().map(|s| s.schema.as_str()).collect();
    assert_eq!(names, [keep.as_str()]);
    assert!(st[0].is_current(false));
}
