//! Checksums of migration text and advisory-lock keys, both from SHA-256.

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `bytes` as lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0x0f), 16).unwrap_or('0'));
    }
    out
}

/// The checksum ryx records for a migration: SHA-256 over its `up.sql` only,
/// with line endings normalised (`\r\n` → `\n`), so a CRLF checkout and an
/// edited `down.sql` change nothing. The history records what was applied;
/// `down.sql` is read when a rollback runs.
///
/// The hashed bytes start with `0xFF`, which no UTF-8 text contains, so no
/// `up.sql` hashes like an input of the [legacy](legacy_migration_checksum)
/// checksum (an `up.sql` that appends `-- ryx:down --` and the `down.sql` to
/// the applied one would otherwise match the old row).
pub(crate) fn migration_checksum(up: &str) -> String {
    let up = up.replace("\r\n", "\n");
    let mut bytes = Vec::with_capacity(up.len() + 1);
    bytes.push(CHECKSUM_V2);
    bytes.extend_from_slice(up.as_bytes());
    sha256_hex(&bytes)
}

/// The first byte hashed by [`migration_checksum`]: never part of UTF-8.
const CHECKSUM_V2: u8 = 0xFF;

/// The checksum ryx 0.1 recorded: over `up.sql`, a `-- ryx:down --`
/// separator and `down.sql`, as read. Still accepted when comparing, so
/// histories written by earlier versions stay valid.
pub(crate) fn legacy_migration_checksum(up: &str, down: Option<&str>) -> String {
    let mut text = String::with_capacity(up.len() + down.map_or(0, str::len) + 16);
    text.push_str(up);
    text.push_str("\n-- ryx:down --\n");
    text.push_str(down.unwrap_or(""));
    sha256_hex(text.as_bytes())
}

/// Whether `recorded` (a history row's checksum) matches a migration with
/// this `up.sql` and `down.sql`: its checksum, or the one earlier versions
/// recorded.
pub(crate) fn checksum_matches(recorded: &str, up: &str, down: Option<&str>) -> bool {
    recorded == migration_checksum(up) || recorded == legacy_migration_checksum(up, down)
}

/// The `pg_advisory_xact_lock` key of a schema: the first 8 bytes of
/// SHA-256("ryx-migrate:" + schema), so unrelated applications' integer locks
/// are unlikely to collide and the key is stable across versions and machines.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn advisory_lock_key(schema: &str) -> i64 {
    let digest = Sha256::digest(format!("ryx-migrate:{schema}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(advisory_lock_key("tenant1"), advisory_lock_key("tenant1"));
        assert_ne!(advisory_lock_key("tenant1"), advisory_lock_key("tenant2"));
        assert_ne!(advisory_lock_key("Tenant1"), advisory_lock_key("tenant1"));
    }

    #[test]
    fn checksum_covers_up_only() {
        let a = migration_checksum("CREATE TABLE t (id INT);");
        assert_ne!(a, migration_checksum("CREATE TABLE t (id BIGINT);"));
        assert_eq!(a.len(), 64);
        // a down.sql edit changes nothing, and neither does the separator
        assert!(checksum_matches(
            &a,
            "CREATE TABLE t (id INT);",
            Some("DROP TABLE t;")
        ));
        assert!(checksum_matches(&a, "CREATE TABLE t (id INT);", None));
        let tricky = "SELECT 1;\n-- ryx:down --\nSELECT 2;";
        assert_ne!(migration_checksum(tricky), migration_checksum("SELECT 1;"));
    }

    #[test]
    fn line_endings_do_not_count() {
        assert_eq!(
            migration_checksum("CREATE TABLE t (\r\n  id INT\r\n);\r\n"),
            migration_checksum("CREATE TABLE t (\n  id INT\n);\n")
        );
    }

    #[test]
    fn old_checksums_are_accepted() {
        // what ryx 0.1 recorded for these files
        let old = sha256_hex(b"SELECT 1;\n-- ryx:down --\nSELECT 2;");
        assert_eq!(
            old,
            legacy_migration_checksum("SELECT 1;", Some("SELECT 2;"))
        );
        assert!(checksum_matches(&old, "SELECT 1;", Some("SELECT 2;")));
        assert!(!checksum_matches(&old, "SELECT 3;", Some("SELECT 2;")));
        // the old split is not a back door: appending the separator and the
        // down.sql to up.sql is a change
        assert!(!checksum_matches(
            &old,
            "SELECT 1;\n-- ryx:down --\nSELECT 2;",
            None
        ));
        assert!(!checksum_matches(
            &old,
            "SELECT 1;\n-- ryx:down --\nSELECT 2;",
            Some("SELECT 2;")
        ));
    }
}
