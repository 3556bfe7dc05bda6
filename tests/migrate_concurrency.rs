//! Concurrent runners on one schema, on real PostgreSQL, SQLite and MySQL
//! (MariaDB): each migration is applied exactly once.
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

use common::runners::fixtures;
use ryx::migrate::FileRunner;

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `connect_other`, `setup` and `KIND` from `common::migrations`.
macro_rules! migrate_concurrency_suite {
    () => {
        use super::*;

        #[test]
        fn four_threads_one_schema_apply_each_migration_once(
        ) -> Result<(), Box<dyn std::error::Error>> {
            let (guard, mut conn, names) = setup();
            // several rounds on PostgreSQL (fresh schemas), so a lost race shows up
            let rounds = if KIND.has_schemas() { 4 } else { 1 };
            for s in names.iter().take(rounds) {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = (0..4)
                        .map(|_| {
                            let s = s.clone();
                            let guard = &guard;
                            scope.spawn(move || {
                                let mut conn = connect_other(guard);
                                FileRunner::new()
                                    .migrations_dir(fixtures("basic"))
                                    .schema(s)
                                    .run(&mut conn)
                            })
                        })
                        .collect();
                    let reports: Vec<_> = handles
                        .into_iter()
                        .map(|h| h.join().unwrap().unwrap())
                        .collect();
                    let applied: usize = reports.iter().map(|r| r.applied.len()).sum();
                    assert_eq!(
                        applied, 3,
                        "each migration applied exactly once: {reports:?}"
                    );
                });
                let history = FileRunner::new().schema(s.as_str()).applied(&mut conn)?;
                assert_eq!(history.len(), 3);
            }
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::migrations::postgres::{connect_other, setup, KIND};

    migrate_concurrency_suite!();
}

mod sqlite {
    use crate::common::migrations::sqlite::{connect_other, setup, KIND};

    migrate_concurrency_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::migrations::mysql::{connect_other, setup, KIND};

    migrate_concurrency_suite!();
}
