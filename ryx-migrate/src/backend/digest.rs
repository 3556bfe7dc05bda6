//! The history digest: a SHA-256 over a tenant's `(name, checksum)` history
//! rows, kept by ryx on PostgreSQL as the comment of the tenant's
//! `ryx_migrations` table (`ryx:v1:<64 hex digits>`).
//!
//! Every writer of a history sets the comment in the transaction, and under
//! the schema's lock, that changes the history: `ensure_history` clears it
//! before anything is written, and the file runner sets it again from the
//! history it read under the lock plus the row it adds or removes. A writer
//! outside a transaction (a `run_in_transaction = false` migration) clears it
//! first and sets it after its history row, so a failure in between leaves
//! no comment rather than a wrong one.
//!
//! The fleet's status reads every tenant's comment in one catalog query and
//! trusts a comment only when it equals the digest of a prefix of the
//! migration folder (the first `k` migrations by name, with their current
//! checksums): that tenant's history is then exactly those rows. A tenant
//! without a comment (made by an older ryx, or cleared by another writer) or
//! with any other digest has its history table read as before. A history
//! edited by hand without clearing the comment is not noticed: see
//! [`verified_status`](crate::fleet::verified_status).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::history::history_table;
use super::kind::Backend;

/// What every digest comment starts with; a comment that does not is not
/// ryx's.
const PREFIX: &str = "ryx:v1:";

/// The digest of a history: its `(name, checksum)` rows in name order (byte
/// order), each field length-prefixed, so no two histories share an input.
pub(crate) fn history_digest<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut rows: Vec<(&str, &str)> = rows.into_iter().collect();
    rows.sort_unstable();
    let mut hasher = Sha256::new();
    for (name, checksum) in rows {
        feed(&mut hasher, name, checksum);
    }
    finish(hasher)
}

fn feed(hasher: &mut Sha256, name: &str, checksum: &str) {
    for field in [name, checksum] {
        hasher.update(u64::try_from(field.len()).unwrap_or(u64::MAX).to_le_bytes());
        hasher.update(field.as_bytes());
    }
}

fn finish(hasher: Sha256) -> String {
    format!("{PREFIX}{}", crate::checksum::hex(&hasher.finalize()))
}

/// The statement that sets (`Some`) or clears (`None`) the digest of
/// `schema`'s history: `COMMENT ON TABLE "schema"."ryx_migrations" IS ..`
/// on PostgreSQL, nothing elsewhere. The digest is only ever ryx's own
/// `ryx:v1:` and hex digits (anything else clears), so the literal needs no
/// escaping.
pub(crate) fn stamp_sql(kind: Backend, schema: &str, digest: Option<&str>) -> Option<String> {
    if kind != Backend::PostgreSQL {
        return None;
    }
    let value = match digest {
        Some(d)
            if d.strip_prefix(PREFIX)
                .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit())) =>
        {
            format!("'{d}'")
        }
        _ => "NULL".to_owned(),
    };
    Some(format!(
        "COMMENT ON TABLE {} IS {value}",
        history_table(kind, schema)
    ))
}

/// The digests of every prefix of a migration list (in name order): a
/// tenant whose digest is found here has applied exactly the first `k`
/// migrations, with their current checksums, and nothing else.
#[derive(Debug)]
pub(crate) struct Prefixes {
    by_digest: HashMap<String, usize>,
    /// `(name, checksum)` in name order.
    rows: Vec<(String, String)>,
}

impl Prefixes {
    /// The prefixes of `rows` (`(name, checksum)`, in any order).
    pub(crate) fn new(mut rows: Vec<(String, String)>) -> Self {
        rows.sort_unstable();
        let mut by_digest = HashMap::with_capacity(rows.len() + 1);
        let mut hasher = Sha256::new();
        by_digest.insert(finish(hasher.clone()), 0);
        for (i, (name, checksum)) in rows.iter().enumerate() {
            feed(&mut hasher, name, checksum);
            by_digest.insert(finish(hasher.clone()), i + 1);
        }
        Prefixes { by_digest, rows }
    }

    /// The history a tenant with this comment has, if the comment is the
    /// digest of a prefix.
    pub(crate) fn history(&self, comment: Option<&str>) -> Option<&[(String, String)]> {
        let k = *self.by_digest.get(comment?)?;
        self.rows.get(..k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, c)| ((*n).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn a_prefix_is_found_and_nothing_else() {
        let all = rows(&[("2_b", "bb"), ("1_a", "aa"), ("3_c", "cc")]);
        let p = Prefixes::new(all);
        let two = history_digest([("1_a", "aa"), ("2_b", "bb")]);
        assert_eq!(p.history(Some(&two)).map(<[_]>::len), Some(2));
        assert_eq!(
            p.history(Some(&history_digest([]))).map(<[_]>::len),
            Some(0)
        );
        // not a prefix, a changed checksum, an extra row, no comment
        for other in [
            history_digest([("1_a", "aa"), ("3_c", "cc")]),
            history_digest([("1_a", "ab")]),
            history_digest([("1_a", "aa"), ("0_x", "xx")]),
        ] {
            assert_eq!(p.history(Some(&other)), None);
        }
        assert_eq!(p.history(None), None);
        // fields cannot run into each other
        assert_ne!(history_digest([("ab", "c")]), history_digest([("a", "bc")]));
    }

    #[test]
    fn only_ryx_digests_reach_the_literal() {
        let d = history_digest([("1_a", "aa")]);
        let set = stamp_sql(Backend::PostgreSQL, "t", Some(&d)).unwrap_or_default();
        assert!(set.ends_with(&format!("IS '{d}'")), "{set}");
        let odd = stamp_sql(Backend::PostgreSQL, "t", Some("ryx:v1:'; DROP")).unwrap_or_default();
        assert!(odd.ends_with("IS NULL"), "{odd}");
        assert_eq!(stamp_sql(Backend::SQLite, "t", Some(&d)), None);
    }
}
