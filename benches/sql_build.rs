//! SQL-building cost of a scoped table against diesel's `table!` with a fixed
//! schema, on PostgreSQL's query builder, no database needed.
//!
//! Three statements, each built from the DSL and rendered to SQL text the way
//! a connection does before its statement-cache lookup: a select (two
//! filters, order, limit), an insert and an update. ryx's side scopes the
//! table per statement (`posts::table.in_schema("bench")`, a `&str` as a
//! request would pass it); diesel's side is `diesel::table! { bench.posts .. }`,
//! whose schema is part of the type. Both render the same statement (diesel
//! also qualifies each column with the schema: `"bench"."posts"."id"`).
//!
//! Criterion measures each variant on its own; the ratio lines come from a
//! separate interleaved loop (ryx batch, diesel batch, then the other order
//! next round) so that a busy machine slows both sides alike:
//!
//! ```text
//! cargo bench --bench sql_build                        # criterion + 41 interleaved rounds
//! RYX_BENCH_QUICK=1 cargo bench --bench sql_build      # shorter criterion runs, 15 rounds
//! cargo bench --bench sql_build -- --test              # every routine once (a smoke test)
//! ```
//!
//! Printed per comparison: `sql_build_<stmt>: <median ryx/diesel>x (goal <= 1.0)`,
//! then the spread of the per-round ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use diesel::pg::Pg;
use diesel::query_builder::{QueryBuilder, QueryFragment};
use diesel::QueryResult;
use ryx::prelude::*;

/// The scoped table: its schema is chosen per statement.
mod scoped {
    ryx::ryx_table! {
        posts (id) {
            id -> Int8,
            author_id -> Int8,
            title -> Varchar,
            views -> Int4,
            active -> Bool,
        }
    }
}

/// The baseline: diesel's own table, its schema fixed at compile time.
mod fixed {
    diesel::table! {
        bench.posts (id) {
            id -> Int8,
            author_id -> Int8,
            title -> Varchar,
            views -> Int4,
            active -> Bool,
        }
    }
}

const TENANT: &str = "bench";

/// diesel's own path: `QueryFragment::to_sql` into `Pg`'s query builder.
fn diesel_sql<Q: QueryFragment<Pg>>(query: &Q) -> QueryResult<String> {
    let mut builder = <Pg as diesel::backend::Backend>::QueryBuilder::default();
    query.to_sql(&mut builder, &Pg)?;
    Ok(builder.finish())
}

fn ryx_select(tenant: &str, author: i64) -> QueryResult<String> {
    use scoped::posts;
    let q = posts::table
        .in_schema(tenant)
        .filter(posts::author_id.eq(author))
        .filter(posts::active.eq(true))
        .order(posts::views.desc())
        .limit(20)
        .select((posts::id, posts::title, posts::views));
    ryx::to_sql::<Pg, _>(&q)
}

fn diesel_select(author: i64) -> QueryResult<String> {
    use fixed::posts;
    let q = posts::table
        .filter(posts::author_id.eq(author))
        .filter(posts::active.eq(true))
        .order(posts::views.desc())
        .limit(20)
        .select((posts::id, posts::title, posts::views));
    diesel_sql(&q)
}

fn ryx_insert(tenant: &str, author: i64) -> QueryResult<String> {
    use scoped::posts;
    let q = ryx::insert_into(posts::table.in_schema(tenant)).values((
        posts::author_id.eq(author),
        posts::title.eq("hello"),
        posts::views.eq(0),
        posts::active.eq(true),
    ));
    // ryx's insert becomes diesel's statement on the scoped table when run;
    // `to_sql` renders that statement (after a clone of the builder).
    q.to_sql::<Pg>()
}

fn diesel_insert(author: i64) -> QueryResult<String> {
    use fixed::posts;
    let q = diesel::insert_into(posts::table).values((
        posts::author_id.eq(author),
        posts::title.eq("hello"),
        posts::views.eq(0),
        posts::active.eq(true),
    ));
    diesel_sql(&q)
}

fn ryx_update(tenant: &str, id: i64) -> QueryResult<String> {
    use scoped::posts;
    let q = ryx::update(posts::table.in_schema(tenant))
        .filter(posts::id.eq(id))
        .set((posts::views.eq(posts::views + 1), posts::title.eq("edited")));
    ryx::to_sql::<Pg, _>(&q)
}

fn diesel_update(id: i64) -> QueryResult<String> {
    use fixed::posts;
    let q = diesel::update(posts::table)
        .filter(posts::id.eq(id))
        .set((posts::views.eq(posts::views + 1), posts::title.eq("edited")));
    diesel_sql(&q)
}

/// One statement kind: its name and the two ways to build it.
struct Case {
    name: &'static str,
    ryx: fn(&str, i64) -> QueryResult<String>,
    diesel: fn(i64) -> QueryResult<String>,
}

const CASES: [Case; 3] = [
    Case {
        name: "select",
        ryx: ryx_select,
        diesel: diesel_select,
    },
    Case {
        name: "insert",
        ryx: ryx_insert,
        diesel: diesel_insert,
    },
    Case {
        name: "update",
        ryx: ryx_update,
        diesel: diesel_update,
    },
];

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn spread(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

/// `n` builds with ryx; seconds taken. The tenant goes through `black_box`
/// so the compiler cannot see it is always the same.
fn ryx_batch(case: &Case, n: usize) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        let id = i64::try_from(i).unwrap_or(0);
        let _ = black_box((case.ryx)(black_box(TENANT), id));
    }
    t.elapsed().as_secs_f64()
}

fn diesel_batch(case: &Case, n: usize) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        let id = i64::try_from(i).unwrap_or(0);
        let _ = black_box((case.diesel)(id));
    }
    t.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("RYX_BENCH_QUICK").is_some();
    // `cargo bench -- --test` (criterion's smoke test): one tiny round.
    let smoke = std::env::args().any(|a| a == "--test");

    // The two sides must build the same statement, or the ratio means nothing.
    // One difference is diesel's: a fixed-schema table qualifies its columns
    // with the schema too (`"bench"."posts"."id"`), ryx's only with the table.
    for case in &CASES {
        let (r, d) = ((case.ryx)(TENANT, 7)?, (case.diesel)(7)?);
        if r != d.replace(r#""bench"."posts"."#, r#""posts"."#) {
            return Err(format!("{}: ryx built\n  {r}\nbut diesel built\n  {d}", case.name).into());
        }
    }

    let mut criterion = if quick {
        Criterion::default()
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(20)
    } else {
        Criterion::default()
    }
    .configure_from_args();
    for case in &CASES {
        let mut group = criterion.benchmark_group(format!("sql_build/{}", case.name));
        group.bench_function("ryx", |b| {
            b.iter(|| (case.ryx)(black_box(TENANT), black_box(7)));
        });
        group.bench_function("diesel", |b| {
            b.iter(|| (case.diesel)(black_box(7)));
        });
        group.finish();
    }
    criterion.final_summary();

    // Interleaved: per round, a batch of each (order flipped every round),
    // the round's ratio ryx/diesel; median and spread over the rounds.
    let (rounds, per_batch) = if smoke {
        (3, 100)
    } else if quick {
        (
            env_or("RYX_BENCH_ROUNDS", 15),
            env_or("RYX_BENCH_BUILDS", 20_000),
        )
    } else {
        (
            env_or("RYX_BENCH_ROUNDS", 41),
            env_or("RYX_BENCH_BUILDS", 50_000),
        )
    };
    let (rounds, per_batch) = (rounds.max(1), per_batch.max(1));
    let mut lines = Vec::new();
    for case in &CASES {
        // warm-up: caches, branch predictors, allocator
        ryx_batch(case, per_batch / 10 + 1);
        diesel_batch(case, per_batch / 10 + 1);
        let (mut ratios, mut ryx_ns, mut diesel_ns) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let (r, d) = if round % 2 == 0 {
                let r = ryx_batch(case, per_batch);
                (r, diesel_batch(case, per_batch))
            } else {
                let d = diesel_batch(case, per_batch);
                (ryx_batch(case, per_batch), d)
            };
            ratios.push(r / d);
            ryx_ns.push(r / per_batch as f64 * 1e9);
            diesel_ns.push(d / per_batch as f64 * 1e9);
        }
        let (lo, hi) = spread(&ratios);
        lines.push(format!(
            "sql_build_{}: {:.3}x (goal <= 1.0)\n  spread {:.3}-{:.3} over {rounds} rounds x {per_batch} builds; \
             median ns/build: ryx {:.0}, diesel {:.0}",
            case.name,
            median(ratios),
            lo,
            hi,
            median(ryx_ns),
            median(diesel_ns),
        ));
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
