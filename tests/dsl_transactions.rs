//! Scoped statements inside diesel transactions, on real PostgreSQL, SQLite
//! and MySQL (MariaDB): a rolled-back transaction leaves nothing, a committed
//! one keeps its writes.
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

use common::tables::*;
use ryx::prelude::*;

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `seed` and `setup` from `common::dsl`.
macro_rules! dsl_transactions_suite {
    () => {
        use super::*;

        #[test]
        fn transactions_commit_and_roll_back() -> QueryResult<()> {
            let (_guard, mut conn, t, _) = setup();
            let ada = seed(&mut conn, &t)?;
            let result: QueryResult<()> = conn.transaction(|conn| {
                ryx::insert_into(ms_posts::table.in_schema(&t))
                    .values(&new_post(ada, "rolled back", 1, true, 10))
                    .execute(conn)?;
                Err(diesel::result::Error::RollbackTransaction)
            });
            assert!(result.is_err());
            conn.transaction(|conn| {
                ryx::insert_into(ms_posts::table.in_schema(&t))
                    .values(&new_post(ada, "committed", 1, true, 10))
                    .execute(conn)?;
                ryx::update(ms_posts::table.in_schema(&t))
                    .filter(ms_posts::title.eq("a"))
                    .set(ms_posts::views.eq(11))
                    .execute(conn)
            })?;
            let titles: Vec<String> = ms_posts::table
                .in_schema(&t)
                .filter(ms_posts::title.eq_any(["rolled back", "committed"]))
                .select(ms_posts::title)
                .load(&mut conn)?;
            assert_eq!(titles, ["committed"]);
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::dsl::postgres::{seed, setup};

    dsl_transactions_suite!();
}

mod sqlite {
    use crate::common::dsl::sqlite::{seed, setup};

    dsl_transactions_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::dsl::mysql::{seed, setup};

    dsl_transactions_suite!();
}
