//! `ryx migrate` over many PostgreSQL tenants, run as a real process: a failing
//! tenant does not stop the others (exit code 1, JSON report, status per
//! tenant, `--all-schemas` afterwards), and `--fail-fast` stops starting new
//! ones.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::{expect, fixtures, pg_url, ryx, PgDb, Schemas};
use diesel::connection::SimpleConnection;
use diesel::Connection;

#[test]
fn postgres_fleet_with_one_failing_tenant() {
    let db = PgDb::new();
    let url = db.url();
    let schemas = Schemas::new(3);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    // make the second tenant fail at its second migration
    let bad = &schemas.0[1];
    let mut conn = diesel::PgConnection::establish(&url).unwrap();
    ryx_migrate::create_tenant(&mut conn, bad).unwrap();
    conn.batch_execute(&format!("CREATE TABLE \"{bad}\".ms_posts (id INT)"))
        .unwrap();
    let mut args = vec![
        "--url",
        url.as_str(),
        "migrate",
        "--dir",
        dir,
        "--jobs",
        "2",
        "--format",
        "json",
    ];
    for s in &schemas.0 {
        args.extend(["--schema", s.as_str()]);
    }
    let (stdout, _) = expect(&ryx(&args), 1);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let migrated: Vec<&str> = json["migrated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["schema"].as_str().unwrap())
        .collect();
    assert_eq!(migrated.len(), 2, "{json}");
    assert!(!migrated.contains(&bad.as_str()));
    let failed = json["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["schema"], bad.as_str());
    let error = failed[0]["error"].as_str().unwrap();
    assert!(
        error.contains("2024-01-02-000000_create_posts") && error.contains("already exists"),
        "{error}"
    );

    // status of all of them; the failed tenant still has its first migration
    let mut show = vec![
        "--url",
        url.as_str(),
        "showmigrations",
        "--dir",
        dir,
        "--format",
        "json",
    ];
    for s in &schemas.0 {
        show.extend(["--schema", s.as_str()]);
    }
    let (stdout, _) = expect(&ryx(&show), 0);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let bad_status = json
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["schema"] == bad.as_str())
        .unwrap();
    assert_eq!(bad_status["applied"].as_array().unwrap().len(), 1);
    assert_eq!(bad_status["pending"].as_array().unwrap().len(), 2);

    // text: [X] applied, [ ] pending
    show.truncate(show.len() - 2 * schemas.0.len() - 2);
    show.extend(["--schema", bad.as_str()]);
    let (stdout, _) = expect(&ryx(&show), 0);
    assert!(
        stdout.contains(" [X] 2024-01-01-000000_create_authors"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" [ ] 2024-01-02-000000_create_posts"),
        "{stdout}"
    );

    // fix the tenant; --all-schemas migrates it and leaves the others alone
    conn.batch_execute(&format!("DROP TABLE \"{bad}\".ms_posts"))
        .unwrap();
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--all-schemas",
            "--format",
            "json",
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let migrated: Vec<&str> = json["migrated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["schema"].as_str().unwrap())
        .collect();
    assert_eq!(migrated, [bad.as_str()]);
    let current: Vec<&str> = json["current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for s in [&schemas.0[0], &schemas.0[2]] {
        assert!(current.contains(&s.as_str()), "{json}");
    }
}

#[test]
fn fail_fast_stops_starting_tenants() {
    let url = pg_url();
    let mut schemas = Schemas::new(3);
    schemas.0.sort();
    let dir = fixtures("failing");
    let dir = dir.to_str().unwrap();
    let mut args = vec![
        "--url",
        url.as_str(),
        "migrate",
        "--dir",
        dir,
        "--jobs",
        "1",
        "--fail-fast",
        "--format",
        "json",
    ];
    for s in &schemas.0 {
        args.extend(["--schema", s.as_str()]);
    }
    let (stdout, _) = expect(&ryx(&args), 1);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["failed"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json["not_started"].as_array().unwrap().len(), 2, "{json}");
}
