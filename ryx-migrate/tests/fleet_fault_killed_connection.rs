//! The migrating connection terminated mid-migration, through the library
//! `FileRunner` and through the `ryx migrate --all-schemas` process. The
//! migration that was running is rolled back with its backend, so each
//! tenant's `ryx_migrations` history still matches the tables its schema
//! holds (a migration is recorded exactly when its tables exist); the failed
//! tenant is reported by name, the others are migrated, and a rerun finishes
//! every tenant.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::faults::{
    all_names, assert_history_matches_tables, chain, db_name, finish, guarded, join, json_of,
    migrate_json, schemas_in, sleeper, sleepy, spawn_ryx, tenants, terminate, wait_for, Dir,
};
use common::{pg_url, PgDb, Schemas};
use diesel::{Connection, PgConnection};
use ryx_migrate::Error;

/// `FileRunner`: the backend killed while `b` sleeps; `a` stays, `b` is
/// neither recorded nor present, and a new connection finishes the job.
#[test]
fn file_runner_connection_killed_mid_migration() {
    let schemas = Schemas::new(1);
    let schema = schemas.0[0].clone();
    let migs = sleepy("5");
    let dir = Dir::new(&migs);
    let migrations = ryx_migrate::load_dir(&dir.0).unwrap();
    let mut admin = PgConnection::establish(&pg_url()).unwrap();
    let db = db_name(&pg_url());

    let run = {
        let (migrations, schema) = (migrations.clone(), schema.clone());
        guarded(move || {
            let mut conn = PgConnection::establish(&pg_url()).unwrap();
            ryx_migrate::FileRunner::new()
                .migrations(migrations)
                .schema(schema)
                .run(&mut conn)
                .map_err(Box::new)
        })
    };
    let pid = wait_for("the migration to sleep", || {
        sleeper(&mut admin, &db)
            .filter(|(_, s)| *s == schema)
            .map(|(pid, _)| pid)
    });
    terminate(&mut admin, pid);
    let err = join(&run).expect_err("a run whose connection was killed succeeded");
    let message = chain(&*err);
    match &*err {
        Error::MigrationFailed {
            schema: s,
            migration,
            report,
            ..
        } => {
            assert_eq!(s, &schema, "{message}");
            assert_eq!(migration, migs[1].name, "{message}");
            let applied: Vec<&str> = report.applied.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(applied, [migs[0].name], "{message}");
        }
        other => panic!("expected MigrationFailed, got {other:?}"),
    }
    assert!(
        message.contains(&schema) && message.contains(migs[1].name),
        "{message}"
    );
    // a committed, b rolled back with the backend, c never started
    let recorded = assert_history_matches_tables(&mut admin, &schema, &migs, &[]);
    assert_eq!(recorded, [migs[0].name]);

    // a new connection finishes the job
    let rerun = guarded(move || {
        let mut conn = PgConnection::establish(&pg_url()).unwrap();
        ryx_migrate::FileRunner::new()
            .migrations(migrations)
            .schema(schema)
            .run(&mut conn)
            .map_err(Box::new)
    });
    let report = join(&rerun).unwrap();
    let applied: Vec<&str> = report.applied.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(applied, [migs[1].name, migs[2].name]);
    let recorded = assert_history_matches_tables(&mut admin, &schemas.0[0], &migs, &[]);
    assert_eq!(recorded, all_names(&migs));
}

/// `ryx migrate --all-schemas --jobs 2`: one tenant's backend killed
/// mid-migration; only that tenant fails, by name, and a rerun finishes it.
#[test]
fn cli_fleet_with_one_backend_killed() {
    let db = PgDb::new();
    let url = db.url();
    let names = tenants(&db, 6);
    let migs = sleepy("1");
    let dir = Dir::new(&migs);
    let mut admin = PgConnection::establish(&pg_url()).unwrap();

    let child = spawn_ryx(&[
        "--url",
        &url,
        "migrate",
        "--dir",
        dir.path(),
        "--all-schemas",
        "--jobs",
        "2",
        "--format",
        "json",
    ]);
    let (pid, killed) = wait_for("a tenant to sleep", || sleeper(&mut admin, &db_name(&url)));
    terminate(&mut admin, pid);
    let (code, json) = json_of(&finish(child));
    assert_eq!(code, 1, "{json}");
    assert_eq!(schemas_in(&json, "failed"), [killed.as_str()], "{json}");
    let error = json["failed"][0]["error"].as_str().unwrap();
    assert!(
        error.contains(&killed) && error.contains(migs[1].name),
        "{error}"
    );
    assert_eq!(
        json["failed"][0]["applied"],
        serde_json::json!([migs[0].name])
    );
    let migrated = schemas_in(&json, "migrated");
    assert_eq!(migrated.len(), 5, "{json}");
    assert!(!migrated.contains(&killed));

    let mut conn = PgConnection::establish(&url).unwrap();
    for s in &names {
        let recorded = assert_history_matches_tables(&mut conn, s, &migs, &[]);
        if *s == killed {
            assert_eq!(recorded, [migs[0].name]);
        } else {
            assert_eq!(recorded, all_names(&migs), "{s}");
        }
    }

    let (code, json) = migrate_json(&url, &dir, "2");
    assert_eq!(code, 0, "{json}");
    assert_eq!(schemas_in(&json, "migrated"), [killed.as_str()], "{json}");
    assert_eq!(schemas_in(&json, "current").len(), 5, "{json}");
    for s in &names {
        let recorded = assert_history_matches_tables(&mut conn, s, &migs, &[]);
        assert_eq!(recorded, all_names(&migs), "{s}");
    }
}
