//! The user's schema-per-tenant example: six tenants (`tenant1`..`tenant6`),
//! each with its own `ms_authors` and `ms_posts` tables.
//!
//! ```text
//! cargo run --example multi_tenant                                   # embedded SQLite file
//! cargo run --example multi_tenant -- --url postgres://postgres@127.0.0.1/test
//! cargo run --example multi_tenant --features mysql -- --url mysql://root@127.0.0.1/test
//! ```
//!
//! `DATABASE_URL` is used when `--url` is not given. On SQLite and MySQL
//! schemas are a no-op, so all six tenants share one set of tables there.

use std::error::Error;

use ryx::migrate::MigrationRunner;
use ryx::prelude::*;

ryx::ryx_table! {
    ms_authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    ms_posts (id) {
        id -> Int8,
        #[ryx(references = ms_authors, index)]
        author_id -> Int8,
        title -> Varchar,
        views -> Int4,
        #[ryx(default = "true")]
        active -> Bool,
    }
}

ryx::joinable!(ms_posts -> ms_authors (author_id));

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = ms_posts)]
struct Post {
    id: i64,
    title: String,
    views: i32,
}

#[derive(Insertable)]
#[diesel(table_name = ms_posts)]
struct NewPost<'a> {
    author_id: i64,
    title: &'a str,
    views: i32,
    active: bool,
}

const TENANTS: [&str; 6] = [
    "tenant1", "tenant2", "tenant3", "tenant4", "tenant5", "tenant6",
];

/// The demo itself; the same code for every connection type.
macro_rules! run_demo {
    ($conn:expr) => {{
        let conn = $conn;
        for tenant in TENANTS {
            // CREATE SCHEMA first, then the tables the models need, under the
            // schema's lock, recorded in the schema's own ryx_migrations.
            let report = MigrationRunner::new()
                .model::<ms_authors::table>()
                .model::<ms_posts::table>()
                .schema(tenant)
                .migrate(conn)?;
            if report.is_noop() {
                println!("{tenant}: up to date");
            } else {
                println!(
                    "{tenant}: applied {}",
                    report
                        .applied
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }

        // Start from a clean tenant2 so the demo can run again.
        ryx::delete(ms_posts::table.in_schema("tenant2")).execute(conn)?;
        ryx::delete(ms_authors::table.in_schema("tenant2")).execute(conn)?;

        ryx::insert_into(ms_authors::table.in_schema("tenant2"))
            .values(ms_authors::name.eq("Ada"))
            .execute(conn)?;
        let ada: i64 = ms_authors::table
            .in_schema("tenant2")
            .select(ms_authors::id)
            .order(ms_authors::id.desc())
            .first(conn)?;
        let posts = [
            NewPost {
                author_id: ada,
                title: "Schemas per tenant",
                views: 250,
                active: true,
            },
            NewPost {
                author_id: ada,
                title: "Draft",
                views: 3,
                active: false,
            },
            NewPost {
                author_id: ada,
                title: "Qualified names, not search_path",
                views: 120,
                active: true,
            },
        ];
        let n = ryx::insert_into(ms_posts::table.in_schema("tenant2"))
            .values(&posts[..])
            .execute(conn)?;
        println!("inserted {n} posts into tenant2");

        let active: Vec<Post> = ms_posts::table
            .in_schema("tenant2")
            .filter(ms_posts::active.eq(true))
            .order(ms_posts::views.desc())
            .select(Post::as_select())
            .load(conn)?;
        println!("tenant2 has {} active posts:", active.len());
        for post in &active {
            println!("  #{} {:?} ({} views)", post.id, post.title, post.views);
        }

        let in_tenant1: i64 = ms_posts::table
            .in_schema("tenant1")
            .count()
            .get_result(conn)?;
        println!("tenant1 has {in_tenant1} posts");
    }};
}

fn main() -> Result<(), Box<dyn Error>> {
    let url = url_from_args()?;
    match url.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let mut conn = PgConnection::establish(url)?;
            println!("PostgreSQL: each tenant is its own schema");
            run_demo!(&mut conn);
        }
        Some(url) if url.starts_with("mysql://") => {
            #[cfg(feature = "mysql")]
            {
                let mut conn = diesel::MysqlConnection::establish(url)?;
                println!("MySQL: schemas are a no-op, all tenants share the database's tables");
                run_demo!(&mut conn);
            }
            #[cfg(not(feature = "mysql"))]
            return Err(format!("{url}: MySQL support is the `mysql` feature: cargo run --example multi_tenant --features mysql -- --url ..").into());
        }
        other => {
            // the default database: a file of this run's own, removed at the
            // end (two runs at once never share it)
            let mut demo_file = None;
            let path = match other {
                Some(url) => url.strip_prefix("sqlite://").unwrap_or(url).to_owned(),
                None => {
                    let file = tempfile::Builder::new()
                        .prefix("ryx_multi_tenant_demo_")
                        .suffix(".sqlite3")
                        .tempfile()?;
                    let path = file.path().to_string_lossy().into_owned();
                    demo_file = Some(file);
                    path
                }
            };
            let mut conn = SqliteConnection::establish(&path)?;
            println!("SQLite ({path}): schemas are a no-op, all tenants share one set of tables");
            run_demo!(&mut conn);
            drop(conn);
            drop(demo_file);
        }
    }
    Ok(())
}

/// `--url URL`, else `DATABASE_URL`, else none (embedded SQLite).
fn url_from_args() -> Result<Option<String>, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => {
                url =
                    Some(args.next().ok_or(
                        "--url needs a value, e.g. --url postgres://postgres@127.0.0.1/test",
                    )?)
            }
            "-h" | "--help" => {
                println!("usage: multi_tenant [--url postgres://..|mysql://..|sqlite://PATH]  (default: DATABASE_URL, else an embedded SQLite file)");
                std::process::exit(0);
            }
            other => return Err(format!("unexpected argument `{other}`; try --help").into()),
        }
    }
    Ok(url.or_else(|| std::env::var("DATABASE_URL").ok()))
}
