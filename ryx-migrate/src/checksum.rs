//! Checksums of migration text and advisory-lock keys, both from SHA-256.

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0x0f), 16).unwrap_or('0'));
    }
    out
}

/// The checksum ryx records for a migration: over its `up.sql` and `down.sql`.
pub(crate) fn migration_checksum(up: &str, down: Option<&str>) -> String {
    let mut text = String::with_capacity(up.len() + down.map_or(0, str::len) + 16);
    text.push_str(up);
    text.push_str("\n-- ryx:down --\n");
    text.push_str(down.unwrap_or(""));
    sha256_hex(text.as_bytes())
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
    fn checksum_covers_up_and_down() {
        let a = migration_checksum("CREATE TABLE t (id INT);", Some("DROP TABLE t;"));
        assert_ne!(a, migration_checksum("CREATE TABLE t (id INT);", None));
        assert_ne!(
            a,
            migration_checksum("CREATE TABLE t (id BIGINT);", Some("DROP TABLE t;"))
        );
        assert_eq!(a.len(), 64);
    }
}
