//! Fleet runs over a tenant directory of two real PostgreSQL servers (the
//! local one and a private cluster): every tenant of both is migrated in one
//! call, a copy the directory places elsewhere is left alone, and a server
//! that goes down fails only its own tenants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod common;

use common::cluster::PgCluster;
use common::{fixtures, unique, PgDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ryx_migrate::directory::Directory;
use ryx_migrate::fleet::{FleetRunner, Outcome};
use ryx_migrate::{create_tenant, load_dir};

struct TwoServers {
    first: PgDb,
    second: PgCluster,
    file: tempfile::NamedTempFile,
    /// Tenants placed on the first server, then on the second.
    on_first: Vec<String>,
    on_second: Vec<String>,
}

/// Two servers, `n` tenants created on each (no migrations yet), the
/// directory naming each tenant explicitly.
fn two_servers(n: usize) -> TwoServers {
    let first = PgDb::new();
    let second = PgCluster::start();
    let on_first: Vec<String> = (0..n).map(|_| unique("one")).collect();
    let on_second: Vec<String> = (0..n).map(|_| unique("two")).collect();
    let mut text = format!(
        "[servers.first]\nurl = \"{}\"\npool_size = 3\n\n[servers.second]\nurl = \"{}\"\npool_size = 3\nconnection_timeout_ms = 1500\n\n[tenants]\n",
        first.url(),
        second.url()
    );
    for (tenants, server, url) in [
        (&on_first, "first", first.url()),
        (&on_second, "second", second.url()),
    ] {
        let mut conn = PgConnection::establish(&url).unwrap();
        for t in tenants {
            create_tenant(&mut conn, t).unwrap();
            text.push_str(&format!("{t} = \"{server}\"\n"));
        }
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    TwoServers {
        first,
        second,
        file,
        on_first,
        on_second,
    }
}

fn applied(url: &str, schema: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM \"{schema}\".ryx_migrations"
    ))
    .get_result::<N>(&mut conn)
    .unwrap()
    .n
}

#[test]
fn one_call_migrates_every_tenant_of_every_server_and_leaves_copies_placed_elsewhere() {
    let s = two_servers(3);
    // a stale copy of a second-server tenant on the first server
    let stale = &s.on_second[0];
    let mut first = PgConnection::establish(&s.first.url()).unwrap();
    create_tenant(&mut first, stale).unwrap();

    let directory = Directory::<PgConnection>::load(s.file.path()).unwrap();
    let runner = FleetRunner::new()
        .migrations(load_dir(fixtures("basic")).unwrap())
        .jobs(2);
    let runs = directory.migrate(&runner, None).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.server.as_str()).collect::<Vec<_>>(),
        ["first", "second"]
    );
    for (run, tenants) in runs.iter().zip([&s.on_first, &s.on_second]) {
        let report = run.result.as_ref().unwrap();
        let migrated: Vec<&str> = report.migrated().map(|t| t.schema.as_str()).collect();
        let mut expected: Vec<&str> = tenants.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(migrated, expected, "{}", run.server);
    }
    assert_eq!(runs[0].elsewhere, std::slice::from_ref(stale));
    assert_eq!(
        applied(&s.first.url(), stale),
        0,
        "the stale copy is left alone"
    );
    for t in &s.on_second {
        assert_eq!(applied(&s.second.url(), t), 3);
    }

    // status over both servers, and a rerun touches nothing
    let migrations = load_dir(fixtures("basic")).unwrap();
    let status = directory.status(None, &migrations).unwrap();
    let current: usize = status
        .iter()
        .map(|r| {
            r.result
                .as_ref()
                .unwrap()
                .iter()
                .filter(|t| t.is_current(false))
                .count()
        })
        .sum();
    assert_eq!(current, 6);
    let runs = directory.migrate(&runner, None).unwrap();
    assert!(runs
        .iter()
        .all(|r| r.result.as_ref().unwrap().current().count() == 3));
}

#[test]
fn named_tenants_are_routed_and_an_unmapped_one_stops_the_run_before_any_server() {
    let s = two_servers(2);
    let directory = Directory::<PgConnection>::load(s.file.path()).unwrap();
    let runner = FleetRunner::new().migrations(load_dir(fixtures("basic")).unwrap());
    let asked = vec![s.on_first[1].clone(), s.on_second[0].clone()];
    let runs = directory.migrate(&runner, Some(&asked)).unwrap();
    for run in &runs {
        assert_eq!(
            run.result.as_ref().unwrap().migrated().count(),
            1,
            "{}",
            run.server
        );
    }
    assert_eq!(applied(&s.first.url(), &s.on_first[0]), 0);
    assert_eq!(applied(&s.second.url(), &s.on_second[1]), 0);

    let stranger = unique("nowhere");
    let e = directory
        .migrate(&runner, Some(&[s.on_first[0].clone(), stranger.clone()]))
        .err()
        .unwrap();
    assert!(e.to_string().contains(&stranger), "{e}");
    assert_eq!(applied(&s.first.url(), &s.on_first[0]), 0, "nothing ran");
}

#[test]
fn a_server_down_fails_only_its_tenants_and_a_rerun_completes() {
    let mut s = two_servers(2);
    let directory = Directory::<PgConnection>::load(s.file.path()).unwrap();
    let runner = FleetRunner::new().migrations(load_dir(fixtures("basic")).unwrap());
    s.second.stop();
    let runs = directory.migrate(&runner, None).unwrap();
    assert_eq!(runs[0].result.as_ref().unwrap().migrated().count(), 2);
    let down = &runs[1];
    assert!(down.result.is_err(), "{down:?}");
    let mut expected = s.on_second.clone();
    expected.sort();
    assert_eq!(down.expected, expected, "the tenants it leaves unreached");

    s.second.restart();
    let runs = directory.migrate(&runner, None).unwrap();
    assert_eq!(runs[0].result.as_ref().unwrap().current().count(), 2);
    assert_eq!(runs[1].result.as_ref().unwrap().migrated().count(), 2);
}

#[test]
fn a_server_lost_mid_run_fails_its_remaining_tenants_with_history_matching_tables() {
    let mut s = two_servers(4);
    // each migration of the second server's tenants takes a while
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("2024-01-01-000000_slow");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("up.sql"),
        "SELECT pg_sleep(0.4); CREATE TABLE slow (id INT);",
    )
    .unwrap();
    std::fs::write(m.join("down.sql"), "DROP TABLE slow;").unwrap();
    let directory = Directory::<PgConnection>::load(s.file.path()).unwrap();
    let runner = FleetRunner::new()
        .migrations(load_dir(dir.path()).unwrap())
        .jobs(1);
    let second_url = s.second.url();
    let runs = std::thread::scope(|scope| {
        let run = scope.spawn(|| directory.migrate(&runner, None).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(900));
        s.second.stop();
        run.join().unwrap()
    });
    assert_eq!(runs[0].result.as_ref().unwrap().migrated().count(), 4);
    let second = runs[1].result.as_ref().unwrap();
    let failed_or_not_started = second
        .tenants
        .iter()
        .filter(|t| matches!(t.outcome, Outcome::Failed(_) | Outcome::NotStarted))
        .count();
    assert!(failed_or_not_started >= 1, "{second:?}");
    assert!(second.migrated().count() >= 1, "{second:?}");
    s.second.restart();
    let mut conn = PgConnection::establish(&second_url).unwrap();
    for t in &s.on_second {
        // history and tables agree for every tenant
        let has_table = conn
            .batch_execute(&format!("SELECT 1 FROM \"{t}\".slow LIMIT 0"))
            .is_ok();
        assert_eq!(applied(&second_url, t) == 1, has_table, "{t}");
    }
    let runs = directory.migrate(&runner, None).unwrap();
    assert!(runs.iter().all(|r| r.result.as_ref().unwrap().is_success()));
}
