//! `ryx migrate` over many PostgreSQL tenants saves a run report, and
//! `--only-failed` / `--resume` migrate exactly the tenants it lists as
//! failed / not started: after a fix, after a killed run; the report's
//! default place, its redacted URL, and the usage errors. Run as real
//! processes, each test in a database of its own.
#![cfg(all(feature = "postgres", feature = "cli"))]
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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::faults::{
    all_names, assert_history_matches_tables, finish, json_of, schemas_in, spawn_ryx, tenants,
    wait_for, Dir, Mig, Name,
};
use common::{expect, expect_one_line_error, fixtures, pg_url, ryx, unique, PgDb, Schemas};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};

/// A folder of its own for report files, removed at the end.
struct Tmp(PathBuf);

impl Tmp {
    fn new() -> Self {
        Tmp(std::env::temp_dir().join(unique("ryx_reports")))
    }
    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read_report(path: impl AsRef<Path>) -> serde_json::Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no report at {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The schemas whose saved outcome is `outcome`.
fn with_outcome(report: &serde_json::Value, outcome: &str) -> BTreeSet<String> {
    report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] == outcome)
        .map(|t| t["schema"].as_str().unwrap().to_owned())
        .collect()
}

fn set(names: &[String]) -> BTreeSet<String> {
    names.iter().cloned().collect()
}

/// The migrations in `schema`'s history.
fn applied(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    diesel::sql_query(format!(
        "SELECT name::text AS name FROM \"{schema}\".ryx_migrations ORDER BY name"
    ))
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

/// `migrate` with `args` after `--url URL migrate --dir DIR`.
fn migrate(url: &str, dir: &str, args: &[&str]) -> Output {
    let mut all = vec!["--url", url, "migrate", "--dir", dir];
    all.extend_from_slice(args);
    ryx(&all)
}

#[test]
fn only_failed_after_a_fix_migrates_exactly_the_failed_tenant() {
    let db = PgDb::new();
    let url = db.url();
    let names = tenants(&db, 3);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let tmp = Tmp::new();
    let report_file = tmp.file("run.json");
    let bad = &names[1];
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(&format!("CREATE TABLE \"{bad}\".ms_posts (id INT)"))
        .unwrap();

    let out = migrate(
        &url,
        dir,
        &[
            "--all-schemas",
            "--jobs",
            "2",
            "--report-file",
            &report_file,
        ],
    );
    let (stdout, _) = expect(&out, 1);
    assert!(
        stdout.contains("next: `ryx migrate --only-failed` retries the failed tenants")
            && stdout.contains(&report_file),
        "{stdout}"
    );
    let report = read_report(&report_file);
    assert_eq!(report["format"], 1);
    assert_eq!(report["completed"], true);
    assert_eq!(report["selection"], "all-schemas");
    assert!(report["finished_at"].is_string(), "{report}");
    assert_eq!(
        report["dir"],
        std::fs::canonicalize(dir).unwrap().to_str().unwrap()
    );
    assert_eq!(
        with_outcome(&report, "failed"),
        set(std::slice::from_ref(bad))
    );
    let failed = report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["schema"] == bad.as_str())
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("already exists"),
        "{failed}"
    );
    assert_eq!(failed["applied"][0], "2024-01-01-000000_create_authors");
    assert_eq!(
        with_outcome(&report, "migrated"),
        set(&[names[0].clone(), names[2].clone()])
    );

    conn.batch_execute(&format!("DROP TABLE \"{bad}\".ms_posts"))
        .unwrap();
    let out = migrate(
        &url,
        dir,
        &[
            "--only-failed",
            "--report-file",
            &report_file,
            "--format",
            "json",
        ],
    );
    let (code, json) = json_of(&out);
    assert_eq!(code, 0, "{json}");
    assert_eq!(schemas_in(&json, "migrated"), [bad.as_str()]);
    assert!(schemas_in(&json, "current").is_empty(), "{json}");
    assert!(schemas_in(&json, "failed").is_empty(), "{json}");
    let applied_now = json["migrated"][0]["applied"].as_array().unwrap();
    assert_eq!(applied_now.len(), 2, "{json}");
    for s in &names {
        assert_eq!(applied(&mut conn, s).len(), 3, "{s}");
    }
    // merged: every tenant migrated, the run an --only-failed one
    let report = read_report(&report_file);
    assert_eq!(with_outcome(&report, "migrated"), set(&names));
    assert_eq!(report["selection"], "only-failed");
    assert_eq!(report["completed"], true);

    // once nothing failed there is nothing to retry
    let out = migrate(&url, dir, &["--only-failed", "--report-file", &report_file]);
    let (stdout, stderr) = expect(&out, 0);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("nothing to retry") && stderr.contains("0 failed"),
        "{stderr}"
    );
    let out = migrate(
        &url,
        dir,
        &[
            "--only-failed",
            "--report-file",
            &report_file,
            "--format",
            "json",
        ],
    );
    let (code, json) = json_of(&out);
    assert_eq!(code, 0);
    for key in ["migrated", "current", "failed", "not_started"] {
        assert!(schemas_in(&json, key).is_empty(), "{json}");
    }
}

/// One migration that sleeps 0.7 s.
fn slow() -> Vec<Mig> {
    vec![Mig {
        name: "2024-01-01-000000_slow",
        up: "CREATE TABLE s (id BIGINT PRIMARY KEY);\nSELECT pg_catalog.pg_sleep(0.7);\n".into(),
        tables: &["s"],
    }]
}

#[test]
fn resume_after_a_killed_run_starts_exactly_the_tenants_not_started() {
    let db = PgDb::new();
    let url = db.url();
    let names = tenants(&db, 5);
    let migs = slow();
    let dir = Dir::new(&migs);
    let tmp = Tmp::new();
    let report_file = tmp.file("run.json");
    let mut child = spawn_ryx(&[
        "--url",
        &url,
        "migrate",
        "--dir",
        dir.path(),
        "--all-schemas",
        "--jobs",
        "1",
        "--report-file",
        &report_file,
    ]);
    // the file is rewritten at most once a second: wait for one that
    // records a migrated tenant, then kill the run
    wait_for("a report with a migrated tenant", || {
        let text = std::fs::read_to_string(&report_file).ok()?;
        // written to a temporary file and renamed: never seen half written
        let report: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("half a report: {e}: {text}"));
        Some(()).filter(|()| !with_outcome(&report, "migrated").is_empty())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let report = read_report(&report_file);
    assert_eq!(report["completed"], false, "{report}");
    assert!(report["finished_at"].is_null(), "{report}");
    let migrated = with_outcome(&report, "migrated");
    let not_started = with_outcome(&report, "not_started");
    assert!(
        !not_started.is_empty(),
        "the run ended before the kill: {report}"
    );
    assert_eq!(
        migrated
            .union(&not_started)
            .cloned()
            .collect::<BTreeSet<_>>(),
        set(&names),
        "{report}"
    );

    let out = finish(spawn_ryx(&[
        "--url",
        &url,
        "migrate",
        "--dir",
        dir.path(),
        "--resume",
        "--report-file",
        &report_file,
        "--format",
        "json",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("did not finish"), "{stderr}");
    let (code, json) = json_of(&out);
    assert_eq!(code, 0, "{json}");
    let resumed: BTreeSet<String> = schemas_in(&json, "migrated")
        .into_iter()
        .chain(schemas_in(&json, "current"))
        .collect();
    // exactly the tenants not started: those recorded as migrated are not
    // even looked at; the one killed mid-migration is migrated now
    assert_eq!(resumed, not_started, "{json}");
    assert!(!schemas_in(&json, "migrated").is_empty(), "{json}");
    let mut conn = PgConnection::establish(&url).unwrap();
    for s in &names {
        assert_eq!(
            assert_history_matches_tables(&mut conn, s, &migs, &[]),
            all_names(&migs),
            "{s}"
        );
    }
    let report = read_report(&report_file);
    assert_eq!(report["selection"], "resume");
    assert_eq!(report["completed"], true);
    assert!(with_outcome(&report, "not_started").is_empty(), "{report}");
    assert!(with_outcome(&report, "failed").is_empty(), "{report}");
}

/// `url` with a password in it (the server trusts any), and that password.
fn with_password(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.rsplit_once('@').unwrap();
    match user.split_once(':') {
        Some((_, password)) => (url.to_owned(), password.to_owned()),
        None => (
            format!("{scheme}://{user}:s3cret-pw@{host}"),
            "s3cret-pw".to_owned(),
        ),
    }
}

/// The `ryx` binary with `env` set (and `XDG_STATE_HOME`, `HOME`,
/// `RYX_REPORT_FILE` removed unless set there).
fn ryx_env(env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("ryx").unwrap();
    cmd.env_remove("DATABASE_URL")
        .env_remove("XDG_STATE_HOME")
        .env_remove("HOME")
        .env_remove("RYX_REPORT_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn the_default_report_is_kept_per_database_and_folder_without_the_password() {
    let db = PgDb::new();
    let (url, password) = with_password(&db.url());
    let names = tenants(&db, 2);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let tmp = Tmp::new();
    let state = tmp.0.join("state");
    let runs = state.join("ryx").join("runs");
    let xdg = [("XDG_STATE_HOME", state.as_path())];

    // one tenant: no report
    let out = ryx_env(
        &xdg,
        &[
            "--url", &url, "migrate", "--dir", dir, "--schema", &names[0],
        ],
    );
    expect(&out, 0);
    assert!(files_in(&runs).is_empty(), "{:?}", files_in(&runs));

    let out = ryx_env(
        &xdg,
        &["--url", &url, "migrate", "--dir", dir, "--all-schemas"],
    );
    expect(&out, 0);
    let files = files_in(&runs);
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(!text.contains(&password), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["url"], ryx_pool::redact_url(&url));
    assert!(
        report["url"].as_str().unwrap().contains(":***@"),
        "{report}"
    );
    assert_eq!(with_outcome(&report, "migrated"), set(&names[1..]));
    assert_eq!(with_outcome(&report, "current"), set(&names[..1]));

    // found again without --report-file ...
    let out = ryx_env(
        &xdg,
        &["--url", &url, "migrate", "--dir", dir, "--only-failed"],
    );
    let (_, stderr) = expect(&out, 0);
    assert!(stderr.contains("nothing to retry"), "{stderr}");
    // ... but not for another folder, which has a report of its own
    let other = Dir::new(&slow());
    let out = ryx_env(
        &xdg,
        &[
            "--url",
            &url,
            "migrate",
            "--dir",
            other.path(),
            "--only-failed",
        ],
    );
    expect_one_line_error(&out, 2, "no saved run report at");

    // without XDG_STATE_HOME: under ~/.local/state
    let home = tmp.0.join("home");
    let out = ryx_env(
        &[("HOME", home.as_path())],
        &["--url", &url, "migrate", "--dir", dir, "--all-schemas"],
    );
    expect(&out, 0);
    let files = files_in(&home.join(".local/state/ryx/runs"));
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        with_outcome(&read_report(&files[0]), "current"),
        set(&names)
    );
}

#[test]
fn an_unwritable_report_stops_only_a_run_that_named_it() {
    let db = PgDb::new();
    let url = db.url();
    let names = tenants(&db, 2);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let tmp = Tmp::new();
    std::fs::create_dir_all(&tmp.0).unwrap();
    // a folder that cannot be made: a file is in the way
    let blocker = tmp.0.join("file");
    std::fs::write(&blocker, "").unwrap();
    let unwritable = blocker.join("sub");

    let named = unwritable.join("run.json");
    let out = migrate(
        &url,
        dir,
        &["--all-schemas", "--report-file", named.to_str().unwrap()],
    );
    expect_one_line_error(&out, 2, "nothing was migrated");
    let mut conn = PgConnection::establish(&url).unwrap();
    for s in &names {
        assert!(applied(&mut conn, s).is_empty(), "{s}");
    }

    let out = ryx_env(
        &[("XDG_STATE_HOME", unwritable.as_path())],
        &["--url", &url, "migrate", "--dir", dir, "--all-schemas"],
    );
    let (_, stderr) = expect(&out, 0);
    assert!(
        stderr.starts_with("note: ") && stderr.contains("the run goes on without one"),
        "{stderr}"
    );
    for s in &names {
        assert_eq!(applied(&mut conn, s).len(), 3, "{s}");
    }
}

#[test]
fn a_tenant_dropped_since_is_skipped_not_created_again() {
    let db = PgDb::new();
    let url = db.url();
    let names = tenants(&db, 2);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let tmp = Tmp::new();
    let report_file = tmp.file("run.json");
    let bad = &names[1];
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(&format!("CREATE TABLE \"{bad}\".ms_posts (id INT)"))
        .unwrap();
    let out = migrate(&url, dir, &["--all-schemas", "--report-file", &report_file]);
    expect(&out, 1);
    expect(&ryx(&["--url", &url, "tenants", "drop", bad, "--yes"]), 0);

    let out = migrate(
        &url,
        dir,
        &[
            "--only-failed",
            "--report-file",
            &report_file,
            "--format",
            "json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (code, json) = json_of(&out);
    assert_eq!(code, 0, "{json}");
    assert!(
        stderr.contains(&format!("{bad} is no longer a tenant")),
        "{stderr}"
    );
    assert!(schemas_in(&json, "migrated").is_empty(), "{json}");
    let out = ryx(&["--url", &url, "tenants", "list", "--format", "json"]);
    let (stdout, _) = expect(&out, 0);
    assert!(!stdout.contains(bad.as_str()), "{stdout}");
}

#[test]
fn bad_inputs_are_one_line_usage_errors() {
    let url = pg_url();
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let schemas = Schemas::new(2);
    let (a, b) = (schemas.0[0].as_str(), schemas.0[1].as_str());
    let tmp = Tmp::new();
    let missing = tmp.file("missing.json");
    for (args, needle) in [
        (
            &["--schema", a, "--batch", "0"][..],
            "--batch must be at least 1",
        ),
        (
            &["--schema", a, "--canary", "0"],
            "--canary must be at least 1",
        ),
        (
            &["--schema", a, "--batch", "2", "--pause", "5x"],
            "500ms, 2s or 1m",
        ),
        (&["--schema", a, "--pause", "1s"], "give --batch N"),
        (
            &["--only-failed", "--report-file", &missing],
            "no saved run report at",
        ),
        (
            &["--resume", "--report-file", &missing],
            "no saved run report at",
        ),
        (&["--only-failed", "--all-schemas"], "cannot be used with"),
        (&["--resume", "--schema", a], "cannot be used with"),
        (
            &["--schema", a, "--canary", "1", "--dry-run"],
            "cannot be used with",
        ),
    ] {
        expect_one_line_error(&migrate(&url, dir, args), 2, needle);
    }

    // a report of another database, and a file that is no report
    std::fs::create_dir_all(&tmp.0).unwrap();
    let foreign = tmp.file("foreign.json");
    std::fs::write(
        &foreign,
        r#"{"format":1,"url":"postgres://app:***@elsewhere/db","dir":"/srv/migrations","selection":"all-schemas",
           "started_at":"2026-01-01T00:00:00.000Z","finished_at":null,"completed":true,
           "tenants":[{"schema":"acme","outcome":"failed","error":"boom"}]}"#,
    )
    .unwrap();
    expect_one_line_error(
        &migrate(&url, dir, &["--only-failed", "--report-file", &foreign]),
        2,
        "is of a run against postgres://app:***@elsewhere/db",
    );
    let user_file = tmp.file("notes.txt");
    std::fs::write(&user_file, "my notes").unwrap();
    expect_one_line_error(
        &migrate(&url, dir, &["--resume", "--report-file", &user_file]),
        2,
        "is not a ryx run report",
    );
    // a run over several tenants never replaces it, and runs nothing
    expect_one_line_error(
        &migrate(
            &url,
            dir,
            &["--schema", a, "--schema", b, "--report-file", &user_file],
        ),
        2,
        "is not a ryx run report: refusing to replace it",
    );
    assert_eq!(std::fs::read_to_string(&user_file).unwrap(), "my notes");
    let out = ryx(&["--url", &url, "tenants", "list", "--format", "json"]);
    let (stdout, _) = expect(&out, 0);
    assert!(!stdout.contains(a) && !stdout.contains(b), "{stdout}");
}

#[test]
fn migrate_help_shows_a_staged_rollout_and_the_retries() {
    let (stdout, _) = expect(&ryx(&["migrate", "--help"]), 0);
    for flag in [
        "--only-failed",
        "--resume",
        "--batch <N>",
        "--pause <DURATION>",
        "--canary <K>",
        "--report-file <PATH>",
        "ryx migrate --all-schemas --canary 1 --batch 50 --pause 2s",
        "$XDG_STATE_HOME/ryx/runs/",
    ] {
        assert!(stdout.contains(flag), "{flag}: {stdout}");
    }
}
