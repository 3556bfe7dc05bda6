//! Staged `ryx migrate` rollouts over PostgreSQL tenants, run as real
//! processes in a database of their own: `--batch N --pause D` finishes each
//! batch (up to `--jobs` at once) before the next starts, and a failing
//! `--canary` starts no other tenant, which `--resume` then continues.
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

use std::collections::BTreeMap;

use common::faults::{json_of, schemas_in, tenants, Dir, Mig, Name};
use common::{fixtures, ryx, unique, PgDb};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Double, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

/// One migration that logs when it started and ended in `public.batch_log`,
/// sleeping between for the seconds `public.sleeps` gives its tenant.
fn logged() -> Vec<Mig> {
    vec![Mig {
        name: "2024-01-01-000000_logged",
        up: "CREATE TABLE t (id BIGINT PRIMARY KEY);\n\
             INSERT INTO public.batch_log (schema, started) VALUES (current_schema(), clock_timestamp());\n\
             SELECT pg_catalog.pg_sleep(coalesce((SELECT secs FROM public.sleeps WHERE schema = current_schema()), 0));\n\
             UPDATE public.batch_log SET finished = clock_timestamp() WHERE schema = current_schema();\n"
            .into(),
        tables: &["t"],
    }]
}

#[derive(QueryableByName, Debug)]
struct Span {
    #[diesel(sql_type = Text)]
    schema: String,
    /// Seconds since the epoch.
    #[diesel(sql_type = Double)]
    started: f64,
    #[diesel(sql_type = Double)]
    finished: f64,
}

#[test]
fn batches_run_one_after_another_with_jobs_inside_each() {
    let db = PgDb::new();
    let url = db.url();
    let names = tenants(&db, 5);
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(
        "CREATE TABLE public.batch_log (schema TEXT PRIMARY KEY, started TIMESTAMPTZ NOT NULL, finished TIMESTAMPTZ);\n\
         CREATE TABLE public.sleeps (schema TEXT PRIMARY KEY, secs DOUBLE PRECISION NOT NULL);",
    )
    .unwrap();
    // the first tenant of the first batch is slow: without batches its
    // worker's partner would start the third tenant long before it ends
    diesel::sql_query("INSERT INTO public.sleeps VALUES ($1, 1.0)")
        .bind::<Text, _>(&names[0])
        .execute(&mut conn)
        .unwrap();
    let migs = logged();
    let dir = Dir::new(&migs);
    let report_file = std::env::temp_dir()
        .join(unique("ryx_staged"))
        .join("run.json");
    // in this order (--schema, not the catalog's collation)
    let mut args = vec!["--url", url.as_str(), "migrate", "--dir", dir.path()];
    for s in &names {
        args.extend(["--schema", s.as_str()]);
    }
    let (code, json) = json_of(&ryx(&[
        &args[..],
        &[
            "--jobs",
            "2",
            "--batch",
            "2",
            "--pause",
            "10ms",
            "--report-file",
            report_file.to_str().unwrap(),
            "--format",
            "json",
        ],
    ]
    .concat()));
    let _ = std::fs::remove_dir_all(report_file.parent().unwrap());
    assert_eq!(code, 0, "{json}");
    assert_eq!(schemas_in(&json, "migrated"), names);

    let spans: BTreeMap<String, Span> = diesel::sql_query(
        "SELECT schema, extract(epoch FROM started)::float8 AS started, \
         extract(epoch FROM finished)::float8 AS finished FROM public.batch_log",
    )
    .load::<Span>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|s| (s.schema.clone(), s))
    .collect();
    assert_eq!(spans.len(), 5, "{spans:?}");
    let batches: Vec<Vec<&Span>> = names
        .chunks(2)
        .map(|batch| batch.iter().map(|s| &spans[s]).collect())
        .collect();
    for pair in batches.windows(2) {
        let ended = pair[0].iter().map(|s| s.finished).fold(f64::MIN, f64::max);
        let next = pair[1].iter().map(|s| s.started).fold(f64::MAX, f64::min);
        // the next batch starts after the whole batch and the pause
        assert!(next - ended >= 0.010, "{spans:?}");
    }
    // --jobs 2 inside a batch: the second tenant ran while the slow first one slept
    let (slow, partner) = (&spans[&names[0]], &spans[&names[1]]);
    assert!(partner.started < slow.finished, "{spans:?}");
}

#[test]
fn a_failing_canary_starts_no_other_tenant_and_resume_continues() {
    let db = PgDb::new();
    let url = db.url();
    let names = tenants(&db, 4);
    let dir = fixtures("basic");
    let dir = dir.to_str().unwrap();
    let report_dir = std::env::temp_dir().join(unique("ryx_staged"));
    let report_file = report_dir.join("run.json");
    let report_file = report_file.to_str().unwrap();
    // the canary (the first tenant) fails at its second migration
    let canary = &names[0];
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(&format!("CREATE TABLE \"{canary}\".ms_posts (id INT)"))
        .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--url",
            url.as_str(),
            "migrate",
            "--dir",
            dir,
            "--report-file",
            report_file,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = ryx(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let (code, json) = json_of(&out);
        (code, json, stderr)
    };

    // in this order (--schema, not the catalog's collation): the first is the canary
    let mut first: Vec<&str> = vec!["--canary", "1", "--batch", "2"];
    for s in &names {
        first.extend(["--schema", s.as_str()]);
    }
    let (code, json, stderr) = run(&first);
    assert_eq!(code, 1, "{json}");
    assert_eq!(schemas_in(&json, "failed"), [canary.as_str()]);
    assert_eq!(schemas_in(&json, "not_started"), names[1..]);
    assert!(schemas_in(&json, "migrated").is_empty(), "{json}");
    assert!(
        stderr.contains("canary failed: 3 other tenants were not started")
            && stderr.contains("`ryx migrate --only-failed --resume --canary 1`"),
        "{stderr}"
    );
    for s in &names[1..] {
        assert!(history(&mut conn, s).is_empty(), "{s} was started");
    }
    let report = read(report_file);
    assert_eq!(outcome(&report, canary), "failed");
    for s in &names[1..] {
        assert_eq!(outcome(&report, s), "not_started");
    }

    // --resume starts exactly the others, and leaves the failed canary alone
    let (code, json, _) = run(&["--resume", "--batch", "2"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(schemas_in(&json, "migrated"), names[1..]);
    assert_eq!(history(&mut conn, canary).len(), 1);
    let report = read(report_file);
    assert_eq!(outcome(&report, canary), "failed");

    // fixed, --only-failed completes the fleet
    conn.batch_execute(&format!("DROP TABLE \"{canary}\".ms_posts"))
        .unwrap();
    let (code, json, _) = run(&["--only-failed"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(schemas_in(&json, "migrated"), [canary.as_str()]);
    let report = read(report_file);
    for s in &names {
        assert_eq!(outcome(&report, s), "migrated", "{report}");
        assert_eq!(history(&mut conn, s).len(), 3, "{s}");
    }
    let _ = std::fs::remove_dir_all(&report_dir);
}

fn read(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn outcome(report: &serde_json::Value, schema: &str) -> String {
    report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["schema"] == schema)
        .unwrap_or_else(|| panic!("{schema} not in {report}"))["outcome"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn history(conn: &mut PgConnection, schema: &str) -> Vec<String> {
    diesel::sql_query(format!(
        "SELECT name::text AS name FROM \"{schema}\".ryx_migrations ORDER BY name"
    ))
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}
