//! What a migration's checksum covers, against a real PostgreSQL schema: only
//! `up.sql` (an edited `down.sql` blocks neither `migrate` nor `rollback`),
//! line endings do not count, histories written by earlier versions (which
//! hashed `up.sql` and `down.sql`) stay valid, and `ryx rollback` accepts
//! `--allow-changed`.
#![cfg(all(feature = "postgres", feature = "cli"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{expect, pg_url, ryx, unique, Schemas};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use ryx_migrate::{Error, FileRunner};
use sha2::{Digest, Sha256};

/// A copy of the `basic` fixture, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn basic() -> Self {
        let to = std::env::temp_dir().join(unique("ryx_checksum"));
        let from = common::fixtures("basic");
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            std::fs::create_dir_all(&target).unwrap();
            for file in std::fs::read_dir(entry.path()).unwrap() {
                let file = file.unwrap();
                std::fs::copy(file.path(), target.join(file.file_name())).unwrap();
            }
        }
        Dir(to)
    }

    fn file(&self, migration: &str, file: &str) -> PathBuf {
        self.0.join(migration).join(file)
    }

    fn str(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const LAST: &str = "2024-01-03-000000_add_posts_slug";

fn conn() -> PgConnection {
    PgConnection::establish(&pg_url()).unwrap()
}

fn runner(dir: &Dir, schema: &str) -> FileRunner {
    FileRunner::new().migrations_dir(&dir.0).schema(schema)
}

/// The checksum ryx 0.x recorded: SHA-256 over `up.sql`, a separator and
/// `down.sql`, as the files were read.
fn old_checksum(folder: &Path) -> String {
    let up = std::fs::read_to_string(folder.join("up.sql")).unwrap();
    let down = std::fs::read_to_string(folder.join("down.sql")).unwrap_or_default();
    let digest = Sha256::digest(format!("{up}\n-- ryx:down --\n{down}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_edited_down_sql_blocks_neither_migrate_nor_rollback() {
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = Dir::basic();
    let mut conn = conn();
    runner(&dir, s).run(&mut conn).unwrap();
    std::fs::write(
        dir.file(LAST, "down.sql"),
        "-- drop the column again\nALTER TABLE ms_posts DROP COLUMN slug;\n",
    )
    .unwrap();
    assert!(runner(&dir, s).run(&mut conn).unwrap().is_noop());
    let report = runner(&dir, s).rollback(&mut conn, 1).unwrap();
    assert_eq!(report.reverted.len(), 1);
    assert_eq!(runner(&dir, s).pending(&mut conn).unwrap(), vec![LAST]);
}

#[test]
fn an_edited_up_sql_is_still_refused() {
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = Dir::basic();
    let mut conn = conn();
    runner(&dir, s).run(&mut conn).unwrap();
    std::fs::write(
        dir.file(LAST, "up.sql"),
        "ALTER TABLE ms_posts ADD COLUMN slug TEXT;",
    )
    .unwrap();
    let err = runner(&dir, s).run(&mut conn).unwrap_err();
    assert!(matches!(err, Error::ChangedAfterApply { .. }), "{err:?}");
    let err = runner(&dir, s).rollback(&mut conn, 1).unwrap_err();
    assert!(matches!(err, Error::ChangedAfterApply { .. }), "{err:?}");
}

#[test]
fn crlf_line_endings_do_not_change_the_checksum() {
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = Dir::basic();
    let mut conn = conn();
    runner(&dir, s).run(&mut conn).unwrap();
    for m in runner(&dir, s).load().unwrap() {
        let up = m.up.replace("\r\n", "\n").replace('\n', "\r\n");
        assert_ne!(up, m.up);
        std::fs::write(dir.file(&m.name, "up.sql"), up).unwrap();
    }
    assert!(runner(&dir, s).run(&mut conn).unwrap().is_noop());
    assert_eq!(
        runner(&dir, s)
            .rollback(&mut conn, 1)
            .unwrap()
            .reverted
            .len(),
        1
    );
}

#[test]
fn histories_recorded_with_the_old_checksum_stay_valid() {
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = Dir::basic();
    let mut conn = conn();
    runner(&dir, s).run(&mut conn).unwrap();
    // rewrite the history as an earlier ryx recorded it
    for m in runner(&dir, s).load().unwrap() {
        let old = old_checksum(&dir.0.join(&m.name));
        assert_ne!(old, m.checksum());
        conn.batch_execute(&format!(
            "UPDATE \"{s}\".ryx_migrations SET checksum = '{old}' WHERE name = '{}'",
            m.name
        ))
        .unwrap();
    }
    assert!(runner(&dir, s).run(&mut conn).unwrap().is_noop());
    assert_eq!(
        runner(&dir, s)
            .rollback(&mut conn, 1)
            .unwrap()
            .reverted
            .len(),
        1
    );
    // re-applied: recorded the new way
    runner(&dir, s).run(&mut conn).unwrap();
    let rows = runner(&dir, s).applied(&mut conn).unwrap();
    let last = rows.iter().find(|r| r.name == LAST).unwrap();
    let loaded = runner(&dir, s).load().unwrap();
    assert_eq!(last.checksum, loaded[2].checksum());
    // an old checksum of a different up.sql is still a change
    std::fs::write(
        dir.file("2024-01-01-000000_create_authors", "up.sql"),
        "SELECT 1;",
    )
    .unwrap();
    let err = runner(&dir, s).run(&mut conn).unwrap_err();
    assert!(matches!(err, Error::ChangedAfterApply { .. }), "{err:?}");
}

#[test]
fn cli_rollback_accepts_allow_changed() {
    let url = pg_url();
    let schemas = Schemas::new(1);
    let s = &schemas.0[0];
    let dir = Dir::basic();
    let d = dir.str();
    expect(
        &ryx(&["--url", &url, "migrate", "--dir", d, "--schema", s]),
        0,
    );
    std::fs::write(
        dir.file(LAST, "up.sql"),
        "ALTER TABLE ms_posts ADD COLUMN slug TEXT;",
    )
    .unwrap();
    let out = ryx(&["--url", &url, "rollback", "--dir", d, "--schema", s]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        common::text(&out.stderr).contains("--allow-changed"),
        "{}",
        common::text(&out.stderr)
    );
    let (stdout, _) = expect(
        &ryx(&[
            "--url",
            &url,
            "rollback",
            "--dir",
            d,
            "--schema",
            s,
            "--allow-changed",
        ]),
        0,
    );
    assert!(stdout.contains(&format!("reverted {LAST}")), "{stdout}");
}
