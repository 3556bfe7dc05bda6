//! The model-driven runner (`MigrationRunner`) on real PostgreSQL, SQLite and
//! MySQL (MariaDB): it creates missing tables, columns and indexes in each
//! tenant's schema, never drops, and reports drift it does not fix.
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
use ryx::migrate::fleet::ModelFleetRunner;
use ryx::migrate::{DDLGenerator, MigrationBackend, MigrationRunner};
use ryx::prelude::*;

/// The suite, written once and instantiated per backend below; each backend's
/// module brings `setup`, `tables`, `Conn` and `KIND` from `common::migrations`.
macro_rules! migrate_models_suite {
    () => {
        use super::*;

        #[test]
        fn six_tenants_then_scoped_queries() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            for tenant in &names {
                let report = MigrationRunner::new()
                    .model::<ms_authors::table>()
                    .model::<ms_posts::table>()
                    .schema(tenant.as_str())
                    .migrate(&mut conn)?;
                if KIND.has_schemas() || tenant == &names[0] {
                    assert!(report.applied.iter().any(|a| a.name == "model:ms_posts:create"), "{report}");
                } else {
                    assert!(report.is_noop(), "{report}");
                }
                assert!(report.drift.is_empty(), "{report}");
            }
            let t2 = names[1].as_str();
            let ada: i64 = {
                ryx::insert_into(ms_authors::table.in_schema(t2))
                    .values(ms_authors::name.eq("ada"))
                    .execute(&mut conn)?;
                ms_authors::table.in_schema(t2).select(ms_authors::id).first(&mut conn)?
            };
            ryx::insert_into(ms_posts::table.in_schema(t2))
                .values(&vec![new_post(ada, "a", 100, true, 1), new_post(ada, "b", 1, false, 2)])
                .execute(&mut conn)?;
            // the default from #[ryx(default = "0")]
            ryx::insert_into(ms_posts::table.in_schema(t2))
                .values((
                    ms_posts::author_id.eq(ada),
                    ms_posts::title.eq("defaulted"),
                    ms_posts::active.eq(true),
                    ms_posts::created_at.eq(at(3)),
                ))
                .execute(&mut conn)?;
            let active: Vec<Post> = ms_posts::table
                .in_schema(t2)
                .filter(ms_posts::active.eq(true))
                .order(ms_posts::id)
                .load(&mut conn)?;
            assert_eq!(active.iter().map(|p| (p.title.as_str(), p.views)).collect::<Vec<_>>(), [("a", 100), ("defaulted", 0)]);
            let in_t1: i64 = ms_posts::table.in_schema(names[0].as_str()).count().get_result(&mut conn)?;
            assert_eq!(in_t1, if KIND.has_schemas() { 0 } else { 3 });
            for tenant in &names {
                let t = tables(&mut conn, tenant);
                assert!(t.contains(&"ms_posts".to_owned()) && t.contains(&"ryx_migrations".to_owned()), "{tenant}: {t:?}");
            }
            Ok(())
        }

        #[test]
        fn model_fleet_runs_each_schema_once_and_reports_it() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let two = [names[0].clone(), names[1].clone()];
            let runner = || ModelFleetRunner::new().model::<ms_authors::table>().model::<ms_posts::table>();
            let seen = std::cell::RefCell::new(Vec::new());
            let plan = runner()
                .schemas(two.clone())
                .dry_run(true)
                .on_done(|t| seen.borrow_mut().push(t.schema.clone()))
                .run(&mut conn)?;
            assert!(plan.is_success() && plan.not_started.is_empty());
            assert_eq!(seen.borrow().as_slice(), two.as_slice());
            for t in &plan.tenants {
                let report = t.outcome.as_ref().unwrap();
                assert!(report.applied.is_empty() && !report.planned.is_empty(), "{report}");
            }
            assert!(!tables(&mut conn, &two[0]).contains(&"ms_posts".to_owned()));
            // a schema named twice runs once
            let run = runner().schemas([&two[0], &two[1], &two[0]]).run(&mut conn)?;
            assert!(run.is_success());
            assert_eq!(run.tenants.iter().map(|t| t.schema.as_str()).collect::<Vec<_>>(), [two[0].as_str(), two[1].as_str()]);
            for (i, t) in run.tenants.iter().enumerate() {
                let report = t.outcome.as_ref().unwrap();
                // one database is one tenant without schemas: the second finds it done
                assert_eq!(report.is_noop(), i > 0 && !KIND.has_schemas(), "{report}");
                assert!(tables(&mut conn, &t.schema).contains(&"ms_posts".to_owned()));
            }
            let again = runner().schemas(two.clone()).run(&mut conn)?;
            assert!(again.tenants.iter().all(|t| t.outcome.as_ref().is_ok_and(|r| r.is_noop())), "{again:?}");
            // an invalid name stops the run before anything runs
            let seen_before = seen.borrow().len();
            let bad = runner().schemas([two[0].as_str(), ""]).on_done(|t| seen.borrow_mut().push(t.schema.clone())).run(&mut conn);
            assert!(matches!(bad, Err(ryx::migrate::Error::InvalidSchemaName(_))), "{bad:?}");
            assert_eq!(seen.borrow().len(), seen_before);
            Ok(())
        }

        #[test]
        fn missing_columns_are_added_and_drift_is_reported() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let gen = DDLGenerator::new(KIND).in_schema(s);
            if let Some(sql) = gen.create_schema(s)? {
                diesel::sql_query(sql).execute(&mut conn)?;
            }
            // an older ms_authors: no `name`, plus a column the model does not have
            diesel::sql_query(format!(
                "CREATE TABLE {} (id BIGINT PRIMARY KEY, legacy INTEGER)",
                KIND.qualify(Some(s), "ms_authors")
            ))
            .execute(&mut conn)?;
            let mut table = ms_authors::table.table_state();
            // adding a NOT NULL column to a table needs a default
            table.columns[1].default = Some("'unknown'".into());
            // a schema made by hand becomes a tenant only when asked
            ryx::migrate::fleet::adopt_tenant(&mut conn, s)?;
            let report = MigrationRunner::new().table(table).schema(s).migrate(&mut conn)?;
            assert!(report.applied.iter().any(|a| a.name == "model:ms_authors:add:name"), "{report}");
            assert!(
                report.drift.iter().any(|d| matches!(d, ryx::migrate::Drift::ExtraColumn { column, .. } if column == "legacy")),
                "{report}"
            );
            // it never drops: the extra column is still there
            let cols = <<Conn as diesel::Connection>::Backend as MigrationBackend>::live_columns(&mut conn, s, "ms_authors")?;
            assert!(cols.iter().any(|c| c.name == "legacy"));
            assert!(cols.iter().any(|c| c.name == "name"));
            Ok(())
        }

        #[test]
        fn a_table_dropped_by_hand_is_created_again() -> Result<(), Box<dyn std::error::Error>> {
            let (_guard, mut conn, names) = setup();
            let s = names[0].as_str();
            let runner = || MigrationRunner::new().model::<ms_authors::table>().model::<ms_posts::table>().schema(s);
            runner().migrate(&mut conn)?;
            diesel::sql_query(DDLGenerator::new(KIND).in_schema(s).drop_table("ms_posts")?).execute(&mut conn)?;
            let report = runner().migrate(&mut conn)?;
            assert!(report.applied.iter().any(|a| a.name == "model:ms_posts:create"), "{report}");
            assert!(tables(&mut conn, s).contains(&"ms_posts".to_owned()));
            assert!(runner().migrate(&mut conn)?.is_noop());
            Ok(())
        }
    };
}

mod postgres {
    use crate::common::migrations::postgres::{setup, tables, Conn, KIND};

    migrate_models_suite!();

    #[test]
    fn tables_never_land_in_public_and_hostile_names_work() -> Result<(), Box<dyn std::error::Error>>
    {
        let mut conn = common::pg_connect();
        let hostile = format!(r#"t"; DROP TABLE x; --{}"#, common::unique_name(""));
        let _guard = common::PgSchemas::adopt(hostile.clone());
        let report = MigrationRunner::new()
            .model::<ms_authors::table>()
            .model::<ms_posts::table>()
            .schema(hostile.as_str())
            .migrate(&mut conn)?;
        assert!(!report.applied.is_empty());
        let public = <diesel::pg::Pg as MigrationBackend>::live_tables(&mut conn, "public")?;
        assert!(
            !public
                .iter()
                .any(|t| t == "ms_posts" || t == "ryx_migrations"),
            "{public:?}"
        );
        let tables = <diesel::pg::Pg as MigrationBackend>::live_tables(&mut conn, &hostile)?;
        assert!(tables.contains(&"ms_posts".to_owned()));
        let indexes =
            <diesel::pg::Pg as MigrationBackend>::live_indexes(&mut conn, &hostile, "ms_posts")?;
        assert!(
            indexes.contains(&"ms_posts_author_id_aaf716c9df_idx".to_owned()),
            "{indexes:?}"
        );
        Ok(())
    }

    #[test]
    fn model_fleet_keeps_going_past_a_failure_unless_fail_fast(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(3);
        let [broken, b, c] = [0, 1, 2].map(|i| schemas.names[i].clone());
        // a view where the model wants a table: its index cannot be created
        // a tenant whose ms_posts is taken by a view: creating the table fails
        ryx::migrate::create_tenant(&mut conn, &broken)?;
        diesel::sql_query(format!(
            "CREATE VIEW \"{broken}\".ms_posts AS SELECT 1 AS id"
        ))
        .execute(&mut conn)?;
        let runner = || {
            ModelFleetRunner::new()
                .model::<ms_authors::table>()
                .model::<ms_posts::table>()
        };
        let fast = runner()
            .schemas([&broken, &b, &c])
            .fail_fast(true)
            .run(&mut conn)?;
        assert!(!fast.is_success());
        assert_eq!(fast.tenants.len(), 1);
        assert_eq!(fast.failed().count(), 1);
        assert_eq!(fast.not_started, [b.clone(), c.clone()]);
        assert!(tables(&mut conn, &b).is_empty());
        let all = runner().schemas([&broken, &b, &c]).run(&mut conn)?;
        assert!(!all.is_success() && all.not_started.is_empty());
        assert_eq!(
            all.failed().map(|t| t.schema.as_str()).collect::<Vec<_>>(),
            [broken.as_str()]
        );
        assert!(matches!(
            &all.tenants[0].outcome,
            Err(ryx::migrate::Error::MigrationFailed { .. })
        ));
        for s in [&b, &c] {
            assert!(tables(&mut conn, s).contains(&"ms_posts".to_owned()));
        }
        Ok(())
    }

    #[test]
    fn type_drift_is_reported_not_fixed() -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(1);
        let s = schemas.names[0].as_str();
        diesel::sql_query(format!("CREATE SCHEMA \"{s}\"")).execute(&mut conn)?;
        diesel::sql_query(format!(
            "CREATE TABLE \"{s}\".ms_authors (id BIGINT PRIMARY KEY, name INTEGER)"
        ))
        .execute(&mut conn)?;
        ryx::migrate::fleet::adopt_tenant(&mut conn, s)?;
        let report = MigrationRunner::new()
            .model::<ms_authors::table>()
            .schema(s)
            .migrate(&mut conn)?;
        assert!(
            report.drift.iter().any(|d| matches!(d, ryx::migrate::Drift::TypeMismatch { column, found, .. } if column == "name" && found == "integer")),
            "{report}"
        );
        Ok(())
    }
}

mod sqlite {
    use crate::common::migrations::sqlite::{setup, tables, Conn, KIND};

    migrate_models_suite!();
}

#[cfg(feature = "mysql")]
mod mysql {
    use crate::common::migrations::mysql::{setup, tables, Conn, KIND};

    migrate_models_suite!();
}
