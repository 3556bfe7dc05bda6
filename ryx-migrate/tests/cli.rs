//! The `ryx` binary as a real process against real PostgreSQL, MariaDB and
//! SQLite: every subcommand, fleet runs with a failing tenant, JSON output,
//! and every bad input (one line on stderr, the right exit code).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

use assert_cmd::Command;
use diesel::connection::SimpleConnection;
use diesel::Connection;

fn pg_url() -> String {
    std::env::var("RYX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/migrations")
        .join(name)
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn ryx(args: &[&str]) -> Output {
    Command::cargo_bin("ryx")
        .unwrap()
        .env_remove("DATABASE_URL")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[track_caller]
fn expect(out: &Output, code: i32) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// Bad input: exactly one `error:` line on stderr, no panic or backtrace.
#[track_caller]
fn expect_one_line_error(out: &Output, code: i32, needle: &str) {
    let (_, stderr) = expect(out, code);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(needle),
        "expected {needle:?} in {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

/// Tenant schemas of one test, dropped at the end.
struct Schemas(Vec<String>);

impl Schemas {
    fn new(n: usize) -> Self {
        Schemas((0..n).map(|_| unique("ryx_cli")).collect())
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&pg_url()) {
            for s in &self.0 {
                let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE"));
            }
        }
    }
}

/// A database of its own, for tests that look at every tenant (`--all-schemas`,
/// `tenants list`) and must not see other tests' schemas.
struct PgDb {
    name: String,
}

impl PgDb {
    fn new() -> Self {
        let name = unique("ryx_cli_db");
        let mut admin = diesel::PgConnection::establish(&pg_url()).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        PgDb { name }
    }

    fn url(&self) -> String {
        let base = pg_url();
        let server = base
            .rsplit_once('/')
            .map_or(base.as_str(), |(server, _)| server);
        format!("{server}/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = diesel::PgConnection::establish(&pg_url()) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[test]
fn help_and_version() {
    let (stdout, _) = expect(&ryx(&["--help"]), 0);
    for cmd in [
        "migrate",
        "showmigrations",
        "rollback",
        "sqlmigrate",
        "tenants",
        "makemigrations",
    ] {
        assert!(stdout.contains(cmd), "{stdout}");
    }
    assert!(stdout.contains("Exit codes"));
    let (stdout, _) = expect(&ryx(&["migrate", "--help"]), 0);
    assert!(
        stdout.contains("--all-schemas")
            && stdout.contains("--jobs")
            && stdout.contains("--fail-fast")
    );
    let (stdout, _) = expect(&ryx(&["--version"]), 0);
    assert!(stdout.starts_with("ryx "));
}

#[test]
fn bad_input_is_one_line_and_exit_code_two() {
    let url = pg_url();
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let long = "a".repeat(64);
    let (_, stderr) = expect(&ryx(&["bogus"]), 2);
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
    expect_one_line_error(&ryx(&["tenants", "list"]), 2, "no database URL");
    expect_one_line_error(
        &ryx(&["--url", "http://example", "tenants", "list"]),
        2,
        "unsupported database URL scheme",
    );
    expect_one_line_error(
        &ryx(&[
            "--url",
            "postgres://nobody@127.0.0.1:1/x",
            "tenants",
            "list",
        ]),
        2,
        "cannot connect",
    );
    expect_one_line_error(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            "no/such/dir",
            "--schema",
            "x",
        ]),
        2,
        "no/such/dir",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir]),
        2,
        "--schema",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", ""]),
        2,
        "empty",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", &long]),
        2,
        "63 bytes",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", "pg_x"]),
        2,
        "pg_",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", "whatever"]),
        2,
        "--yes",
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "makemigrations", "x", "--dir", dir]),
        2,
        "no models",
    );
    expect_one_line_error(
        &ryx(&[
            "sqlmigrate",
            "nope",
            "--schema",
            "s",
            "--backend",
            "postgres",
            "--dir",
            dir,
        ]),
        2,
        "no migration `nope`",
    );
}

#[test]
fn rollback_past_the_first_migration_is_refused() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    expect(
        &ryx(&["--url", &url, "migrate", "--dir", dir, "--schema", s]),
        0,
    );
    expect_one_line_error(
        &ryx(&[
            "--url", &url, "rollback", "--schema", s, "--steps", "4", "--dir", dir,
        ]),
        2,
        "only 3 applied",
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url", &url, "rollback", "--schema", s, "--steps", "2", "--dir", dir,
        ]),
        0,
    );
    assert!(
        stdout.contains("reverted 2024-01-03-000000_add_posts_slug"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reverted 2024-01-02-000000_create_posts"),
        "{stdout}"
    );
}

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
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{bad}\"; CREATE TABLE \"{bad}\".ms_posts (id INT)"
    ))
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

#[test]
fn text_output_is_one_line_per_tenant_and_a_summary() {
    let url = pg_url();
    let schemas = Schemas::new(2);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            &schemas.0[0],
            "--schema",
            &schemas.0[1],
        ]),
        0,
    );
    for s in &schemas.0 {
        assert!(
            stdout.contains(&format!("{s}: migrated (3 applied)")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("migrated                2"), "{stdout}");
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            &schemas.0[0],
        ]),
        0,
    );
    assert!(
        stdout.contains(&format!("{}: already current", schemas.0[0])),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            &schemas.0[0],
            "--dry-run",
        ]),
        0,
    );
    assert!(stdout.contains("up to date"), "{stdout}");
}

#[test]
fn tenants_create_list_drop_and_sqlmigrate() {
    let db = PgDb::new();
    let url = db.url();
    let schemas = Schemas::new(2);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let (a, b) = (&schemas.0[0], &schemas.0[1]);
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "tenants", "create", a, "--dir", dir]),
        0,
    );
    assert!(stdout.contains("3 migration(s) applied"), "{stdout}");
    expect(
        &ryx(&["--url", &url, "tenants", "create", b, "--no-migrate"]),
        0,
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "tenants", "list", "--format", "json"]),
        0,
    );
    let list: Vec<String> = serde_json::from_str(stdout.trim()).unwrap();
    assert!(list.contains(a) && list.contains(b), "{list:?}");
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            dir,
            "--schema",
            b,
            "--dry-run",
        ]),
        0,
    );
    assert!(
        stdout.contains(&format!("SET LOCAL search_path TO \"{b}\";")),
        "{stdout}"
    );
    assert!(stdout.contains("CREATE TABLE ms_authors"), "{stdout}");
    let (stdout, _) = expect(
        &ryx(&[
            "sqlmigrate",
            "2024-01-03-000000",
            "--schema",
            a,
            "--backend",
            "postgres",
            "--dir",
            dir,
        ]),
        0,
    );
    assert!(
        stdout.contains("BEGIN;")
            && stdout.contains("ALTER TABLE ms_posts ADD COLUMN slug")
            && stdout.contains("COMMIT;"),
        "{stdout}"
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", "public", "--yes"]),
        2,
        "not a ryx tenant",
    );
    let (stdout, _) = expect(&ryx(&["--url", &url, "tenants", "drop", a, "--yes"]), 0);
    assert!(stdout.contains("dropped"));
    let (stdout, _) = expect(&ryx(&["--url", &url, "tenants", "list"]), 0);
    assert!(
        !stdout.lines().any(|l| l == a) && stdout.lines().any(|l| l == b),
        "{stdout}"
    );
}

#[test]
fn sqlite_ignores_schema_with_a_note() {
    let path = std::env::temp_dir().join(format!("{}.sqlite3", unique("ryx_cli")));
    let url = format!("sqlite://{}", path.display());
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let (stdout, stderr) = expect(
        &ryx(&[
            "--url", &url, "migrate", "--dir", dir, "--schema", "tenant1",
        ]),
        0,
    );
    assert!(
        stderr.contains("note: SQLite has no schemas; --schema is ignored"),
        "{stderr}"
    );
    assert!(stdout.contains("migrated (3 applied)"), "{stdout}");
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            path.to_str().unwrap(),
            "showmigrations",
            "--dir",
            dir,
        ]),
        0,
    );
    assert!(
        stdout.contains(" [X] 2024-01-03-000000_add_posts_slug"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url", &url, "rollback", "--schema", "tenant1", "--dir", dir,
        ]),
        0,
    );
    assert!(
        stdout.contains("reverted 2024-01-03-000000_add_posts_slug"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "showmigrations", "--dir", dir, "--unapplied"]),
        0,
    );
    assert!(
        stdout.contains(" [ ] 2024-01-03-000000_add_posts_slug") && !stdout.contains("[X]"),
        "{stdout}"
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "tenants", "drop", "x", "--yes"]),
        2,
        "no schemas",
    );
    let _ = std::fs::remove_file(&path);
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_migrate_show_and_rollback() {
    let server = std::env::var("RYX_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned());
    let name = unique("ryx_cli");
    let mut admin = diesel::MysqlConnection::establish(&server).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE `{name}`"))
        .unwrap();
    let url = format!("{server}/{name}");
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let result = std::panic::catch_unwind(|| {
        let (stdout, stderr) = expect(
            &ryx(&[
                "--url", &url, "migrate", "--dir", dir, "--schema", "t1", "--format", "json",
            ]),
            0,
        );
        assert!(stderr.contains("MySQL has no schemas"), "{stderr}");
        let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(
            json["migrated"][0]["applied"].as_array().unwrap().len(),
            3,
            "{json}"
        );
        let (stdout, _) = expect(&ryx(&["--url", &url, "showmigrations", "--dir", dir]), 0);
        assert!(
            stdout.contains(" [X] 2024-01-02-000000_create_posts"),
            "{stdout}"
        );
        expect(
            &ryx(&[
                "--url", &url, "rollback", "--schema", "t1", "--steps", "3", "--dir", dir,
            ]),
            0,
        );
        let (stdout, _) = expect(&ryx(&["--url", &url, "showmigrations", "--dir", dir]), 0);
        assert!(!stdout.contains("[X]"), "{stdout}");
    });
    let _ = admin.batch_execute(&format!("DROP DATABASE `{name}`"));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn repeated_schemas_run_once_and_edited_migrations_are_not_current() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = schemas.0[0].as_str();
    let dir = std::env::temp_dir().join(unique("ryx_cli_dir"));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixtures("basic")).unwrap() {
        let entry = entry.unwrap();
        let to = dir.join(entry.file_name());
        std::fs::create_dir_all(&to).unwrap();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
        }
    }
    let d = dir.to_str().unwrap();
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            d,
            "--schema",
            s,
            "--schema",
            s,
            "--jobs",
            "4294967295",
            "--format",
            "json",
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["migrated"].as_array().unwrap().len(), 1, "{json}");
    assert!(json["current"].as_array().unwrap().is_empty(), "{json}");
    // edit an applied migration: the tenant is no longer "current"
    std::fs::write(
        dir.join("2024-01-01-000000_create_authors/up.sql"),
        "CREATE TABLE ms_authors (id BIGINT PRIMARY KEY);",
    )
    .unwrap();
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "showmigrations", "--dir", d, "--schema", s]),
        0,
    );
    assert!(
        stdout.contains("2024-01-01-000000_create_authors (changed since it was applied)"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "migrate", "--dir", d, "--schema", s]),
        1,
    );
    assert!(
        stdout.contains("FAILED") && stdout.contains("--allow-changed"),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--dir",
            d,
            "--schema",
            s,
            "--allow-changed",
        ]),
        0,
    );
    assert!(stdout.contains("already current"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_only_commands_do_not_create_sqlite_files() {
    let path = std::env::temp_dir().join(format!("{}.sqlite3", unique("ryx_cli_missing")));
    let dir = fixtures("basic");
    expect_one_line_error(
        &ryx(&[
            "--url",
            path.to_str().unwrap(),
            "showmigrations",
            "--dir",
            dir.to_str().unwrap(),
        ]),
        2,
        "no SQLite database",
    );
    assert!(!path.exists());
}
