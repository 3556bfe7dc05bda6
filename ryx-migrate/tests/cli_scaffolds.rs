//! `ryx migration generate` and `ryx redo` as a real process.
//!
//! generate: an empty `<version>_<name>/{up,down}.sql` with diesel's comment
//! lines and version format, no database needed, `--dir` created if
//! missing; a bad name or a taken version is one `error:` line, exit 2, and
//! writes nothing.
//!
//! redo: reverts and reapplies the last applied migration only (a pending
//! one stays pending) on PostgreSQL and SQLite; with none applied, exit 2;
//! when the reapply fails, exit 1, and the schema is left as the error says:
//! unchanged on PostgreSQL (one transaction), reverted on SQLite.
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

use std::path::{Path, PathBuf};

use common::{expect, expect_one_line_error, fixtures, pg_url, ryx, unique, Schemas};

/// A folder of its own under the temp dir, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        TempDir(std::env::temp_dir().join(unique("ryx_scaffold")))
    }

    fn str(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// A migration folder `name` with these files.
    fn migration(&self, name: &str, up: &str, down: &str) {
        let folder = self.0.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("up.sql"), up).unwrap();
        std::fs::write(folder.join("down.sql"), down).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn generate_writes_an_empty_diesel_style_migration_without_a_database() {
    let tmp = TempDir::new();
    let dir = tmp.0.join("migrations");
    let dir_str = dir.to_str().unwrap();
    let (stdout, _) = expect(
        &ryx(&["migration", "generate", "create_posts", "--dir", dir_str]),
        0,
    );
    let made = folders(&dir);
    assert_eq!(made.len(), 1, "{made:?}");
    let name = &made[0];
    // diesel's version: %Y-%m-%d-%H%M%S, then _<name>
    let (version, rest) = name.split_once('_').unwrap();
    assert_eq!(rest, "create_posts");
    assert!(
        chrono::NaiveDateTime::parse_from_str(version, "%Y-%m-%d-%H%M%S").is_ok(),
        "{version}"
    );
    assert_eq!(version.len(), "2024-05-01-093000".len(), "{version}");
    let folder = dir.join(name);
    assert_eq!(
        stdout,
        format!(
            "created {dir_str} (it did not exist)\ncreated {}\ncreated {}\n",
            folder.join("up.sql").display(),
            folder.join("down.sql").display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("up.sql")).unwrap(),
        "-- Your SQL goes here\n"
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("down.sql")).unwrap(),
        "-- This file should undo anything in `up.sql`\n"
    );
    // the runners read it: the folder loads
    let loaded = ryx_migrate::load_dir(&dir).unwrap();
    assert_eq!(loaded[0].name, *name);

    // a second one in an existing folder says nothing about creating it
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (stdout, _) = expect(
        &ryx(&["migration", "generate", "add-slug", "--dir", dir_str]),
        0,
    );
    assert!(!stdout.contains("did not exist"), "{stdout}");
    assert_eq!(folders(&dir).len(), 2);
}

#[test]
fn generate_refuses_bad_names_and_taken_versions_writing_nothing() {
    let tmp = TempDir::new();
    for bad in ["../escape", "a/b", "..", "has space", ""] {
        expect_one_line_error(
            &ryx(&["migration", "generate", bad, "--dir", tmp.str()]),
            2,
            "a migration name is 1 to 200 ASCII letters, digits, `_` or `-`",
        );
    }
    assert!(!tmp.0.exists(), "a refused name created {}", tmp.str());
    assert!(!tmp.0.parent().unwrap().join("escape").exists());

    // every version of the next seconds is taken
    let now = chrono::Utc::now();
    for s in 0..10 {
        let v = (now + chrono::Duration::seconds(s)).format("%Y-%m-%d-%H%M%S");
        std::fs::create_dir_all(tmp.0.join(format!("{v}_other"))).unwrap();
    }
    let before = folders(&tmp.0);
    expect_one_line_error(
        &ryx(&["migration", "generate", "create_posts", "--dir", tmp.str()]),
        2,
        "is already used by",
    );
    assert_eq!(folders(&tmp.0), before);

    let (stdout, _) = expect(&ryx(&["migration", "generate", "--help"]), 0);
    assert!(
        stdout.contains("Example:") && stdout.contains("ryx migration generate create_posts"),
        "{stdout}"
    );
}

/// `[create a] [create b]`, where b's down.sql drops only one of its two
/// tables when `leaky`, so reapplying it fails.
fn two_migrations(leaky: bool) -> TempDir {
    let tmp = TempDir::new();
    tmp.migration(
        "2024-01-01-000000_create_a",
        "CREATE TABLE a (id BIGINT PRIMARY KEY);\n",
        "DROP TABLE a;\n",
    );
    tmp.migration(
        "2024-01-02-000000_create_b",
        "CREATE TABLE b (id BIGINT PRIMARY KEY);\nCREATE TABLE b2 (id BIGINT PRIMARY KEY);\n",
        if leaky {
            "DROP TABLE b;\n"
        } else {
            "DROP TABLE b2;\nDROP TABLE b;\n"
        },
    );
    tmp
}

#[test]
fn redo_reverts_and_reapplies_the_last_migration_on_postgres() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = two_migrations(false);
    expect_one_line_error(
        &ryx(&["--url", &url, "redo", "--schema", s, "--dir", dir.str()]),
        2,
        &format!("schema `{s}` has no applied migration to redo"),
    );
    expect(
        &ryx(&["--url", &url, "migrate", "--schema", s, "--dir", dir.str()]),
        0,
    );
    // a pending migration is not applied by a redo
    dir.migration(
        "2024-01-03-000000_create_c",
        "CREATE TABLE c (id BIGINT PRIMARY KEY);\n",
        "DROP TABLE c;\n",
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "redo", "--schema", s, "--dir", dir.str()]),
        0,
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{s}: reverted 2024-01-02-000000_create_b in ")),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with(&format!("{s}: applied 2024-01-02-000000_create_b in ")),
        "{stdout}"
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "showmigrations",
            "--schema",
            s,
            "--dir",
            dir.str(),
        ]),
        0,
    );
    assert!(
        stdout.contains("[X] 2024-01-02-000000_create_b")
            && stdout.contains("[ ] 2024-01-03-000000_create_c"),
        "{stdout}"
    );
}

#[test]
fn a_failed_reapply_on_postgres_changes_nothing() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = two_migrations(true);
    expect(
        &ryx(&["--url", &url, "migrate", "--schema", s, "--dir", dir.str()]),
        0,
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "redo", "--schema", s, "--dir", dir.str()]),
        1,
        "so the whole redo was rolled back: `2024-01-02-000000_create_b` is still applied, as before",
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "showmigrations",
            "--schema",
            s,
            "--dir",
            dir.str(),
        ]),
        0,
    );
    assert!(
        stdout.contains("[X] 2024-01-02-000000_create_b"),
        "{stdout}"
    );
    // b, dropped by the revert, is back: the transaction rolled back
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&url).unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("SELECT * FROM \"{s}\".b")),
        &mut conn,
    )
    .unwrap();
}

#[cfg(feature = "sqlite")]
#[test]
fn redo_on_sqlite_and_a_failed_reapply_there_leaves_it_reverted() {
    let db = std::env::temp_dir().join(format!("{}.sqlite3", unique("ryx_cli")));
    let url = format!("sqlite://{}", db.display());
    let good = fixtures("basic");
    let good = good.to_str().unwrap();
    expect(
        &ryx(&["--url", &url, "migrate", "--all-schemas", "--dir", good]),
        0,
    );
    let (stdout, stderr) = expect(
        &ryx(&["--url", &url, "redo", "--schema", "x", "--dir", good]),
        0,
    );
    assert!(
        stderr.contains("note: SQLite has no schemas; --schema is ignored"),
        "{stderr}"
    );
    assert!(
        stdout.contains("default: reverted 2024-01-03-000000_add_posts_slug in ")
            && stdout.contains("default: applied 2024-01-03-000000_add_posts_slug in "),
        "{stdout}"
    );
    let _ = std::fs::remove_file(&db);

    let leaky = two_migrations(true);
    expect(
        &ryx(&[
            "--url",
            &url,
            "migrate",
            "--all-schemas",
            "--dir",
            leaky.str(),
        ]),
        0,
    );
    expect_one_line_error(
        &ryx(&["--url", &url, "redo", "--schema", "x", "--dir", leaky.str()]),
        1,
        "`2024-01-02-000000_create_b` was reverted, but applying it again failed: it is now NOT applied",
    );
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "showmigrations", "--dir", leaky.str()]),
        0,
    );
    assert!(
        stdout.contains("[ ] 2024-01-02-000000_create_b"),
        "{stdout}"
    );
    let _ = std::fs::remove_file(&db);
}

#[test]
fn redo_help_has_an_example() {
    let (stdout, _) = expect(&ryx(&["redo", "--help"]), 0);
    assert!(
        stdout.contains("Example:") && stdout.contains("redo --schema acme --dir migrations"),
        "{stdout}"
    );
}
