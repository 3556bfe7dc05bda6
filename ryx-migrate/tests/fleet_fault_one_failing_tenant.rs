//! One tenant of fifty failing (a table in the way of its second
//! migration), through `ryx migrate --all-schemas` and through `FleetRunner`.
//! Only that tenant fails, by name, with its first migration kept; the other
//! forty-nine are migrated; each tenant's `ryx_migrations` history matches
//! the tables its schema holds (a migration is recorded exactly when its
//! tables exist); and once the obstacle is gone a rerun finishes it alone.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::faults::{
    all_names, assert_history_matches_tables, fleet, join, migrate_json, pool, schemas_in, tenants,
    Dir, Mig,
};
use common::PgDb;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use ryx_migrate::fleet::Outcome;
use ryx_migrate::Error;

/// `[t1] [t2] [t3]`.
fn plain() -> Vec<Mig> {
    vec![
        Mig {
            name: "2024-01-01-000000_t1",
            up: "CREATE TABLE t1 (id BIGINT PRIMARY KEY);\n".into(),
            tables: &["t1"],
        },
        Mig {
            name: "2024-01-02-000000_t2",
            up: "CREATE TABLE t2 (id BIGINT PRIMARY KEY);\n".into(),
            tables: &["t2"],
        },
        Mig {
            name: "2024-01-03-000000_t3",
            up: "CREATE TABLE t3 (id BIGINT PRIMARY KEY);\n".into(),
            tables: &["t3"],
        },
    ]
}

/// Fifty tenants, one with a table in the way of its second migration:
/// `(db, tenants, the bad one)`.
fn fifty_with_one_conflict() -> (PgDb, Vec<String>, String) {
    let db = PgDb::new();
    let names = tenants(&db, 50);
    let bad = names[17].clone();
    let mut conn = PgConnection::establish(&db.url()).unwrap();
    conn.batch_execute(&format!("CREATE TABLE \"{bad}\".t2 (x TEXT)"))
        .unwrap();
    (db, names, bad)
}

/// `ryx migrate --all-schemas --format json`: a table in the way of one
/// tenant's second migration fails that tenant alone (exit code 1).
#[test]
fn cli_one_tenant_of_fifty_failing() {
    let (db, names, bad) = fifty_with_one_conflict();
    let url = db.url();
    let migs = plain();
    let dir = Dir::new(&migs);

    let (code, json) = migrate_json(&url, &dir, "2");
    assert_eq!(code, 1, "{json}");
    assert_eq!(schemas_in(&json, "failed"), [bad.as_str()], "{json}");
    let error = json["failed"][0]["error"].as_str().unwrap();
    assert!(
        error.contains(&bad) && error.contains(migs[1].name) && error.contains("already exists"),
        "{error}"
    );
    assert_eq!(
        json["failed"][0]["applied"],
        serde_json::json!([migs[0].name])
    );
    let migrated = schemas_in(&json, "migrated");
    assert_eq!(migrated.len(), 49, "{json}");
    assert!(!migrated.contains(&bad));
    for m in json["migrated"].as_array().unwrap() {
        assert_eq!(m["applied"], serde_json::json!(all_names(&migs)), "{m}");
    }

    let mut conn = PgConnection::establish(&url).unwrap();
    for s in &names {
        if *s == bad {
            let recorded = assert_history_matches_tables(&mut conn, s, &migs, &["t2"]);
            assert_eq!(recorded, [migs[0].name]);
        } else {
            let recorded = assert_history_matches_tables(&mut conn, s, &migs, &[]);
            assert_eq!(recorded, all_names(&migs), "{s}");
        }
    }

    conn.batch_execute(&format!("DROP TABLE \"{bad}\".t2"))
        .unwrap();
    let (code, json) = migrate_json(&url, &dir, "2");
    assert_eq!(code, 0, "{json}");
    assert_eq!(schemas_in(&json, "migrated"), [bad.as_str()], "{json}");
    assert_eq!(
        json["migrated"][0]["applied"],
        serde_json::json!([migs[1].name, migs[2].name])
    );
    assert_eq!(schemas_in(&json, "current").len(), 49, "{json}");
    for s in &names {
        let recorded = assert_history_matches_tables(&mut conn, s, &migs, &[]);
        assert_eq!(recorded, all_names(&migs), "{s}");
    }
}

/// The same through `FleetRunner`.
#[test]
fn fleet_runner_one_tenant_of_fifty_failing() {
    let (db, names, bad) = fifty_with_one_conflict();
    let url = db.url();
    let migs = plain();
    let dir = Dir::new(&migs);
    let migrations = ryx_migrate::load_dir(&dir.0).unwrap();

    let done = Arc::new(AtomicUsize::new(0));
    let run = fleet(
        pool(&url, 2),
        migrations.clone(),
        names.clone(),
        done.clone(),
    );
    let report = join(&run).unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 50);
    assert_eq!(report.tenants.len(), 50);
    let failed: Vec<&str> = report.failed().map(|t| t.schema.as_str()).collect();
    assert_eq!(failed, [bad.as_str()]);
    match &report.failed().next().unwrap().outcome {
        Outcome::Failed(Error::MigrationFailed {
            schema,
            migration,
            report,
            ..
        }) => {
            assert_eq!(schema, &bad);
            assert_eq!(migration, migs[1].name);
            assert_eq!(report.applied.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.migrated().count(), 49);
    let mut conn = PgConnection::establish(&url).unwrap();
    for s in &names {
        let extra: &[&str] = if *s == bad { &["t2"] } else { &[] };
        assert_history_matches_tables(&mut conn, s, &migs, extra);
    }

    conn.batch_execute(&format!("DROP TABLE \"{bad}\".t2"))
        .unwrap();
    let rerun = fleet(pool(&url, 2), migrations, names.clone(), done);
    let report = join(&rerun).unwrap();
    assert!(report.is_success(), "{report:#?}");
    let migrated: Vec<&str> = report.migrated().map(|t| t.schema.as_str()).collect();
    assert_eq!(migrated, [bad.as_str()]);
    assert_eq!(report.current().count(), 49);
    for s in &names {
        let recorded = assert_history_matches_tables(&mut conn, s, &migs, &[]);
        assert_eq!(recorded, all_names(&migs), "{s}");
    }
}
