//! The shape of a synchronous multi-tenant service on ryx: each request names
//! its tenant; the name is validated once (`SchemaName`); a pooled connection
//! from ryx's connection manager serves the request's scoped reads and writes
//! in one transaction. Worker threads share the pool, as a web server's would.
//!
//! ```text
//! cargo run --example tenant_service                                   # embedded SQLite file
//! cargo run --example tenant_service -- --url postgres://postgres@127.0.0.1/test
//! ```
//!
//! Behind PgBouncer in transaction mode, build the manager with
//! `.transaction_pooler(true)` (see `ryx::pool::ConnectionManager`).

use std::error::Error;
use std::fmt;

use ryx::migrate::MigrationRunner;
use ryx::pool::ConnectionManager;
use ryx::prelude::*;
use ryx::SchemaName;

ryx::ryx_table! {
    svc_notes (id) {
        id -> Int8,
        #[ryx(max_length = 200)]
        title -> Varchar,
        #[ryx(default = "0")]
        views -> Int4,
    }
}

/// What a client asks of the service.
#[derive(Debug, Clone)]
enum Request {
    /// Add a note to the tenant.
    Publish { tenant: String, title: String },
    /// Read a note (and count the view).
    Read { tenant: String, id: i64 },
    /// The tenant's notes, most viewed first.
    List { tenant: String },
}

impl Request {
    fn tenant(&self) -> &str {
        match self {
            Request::Publish { tenant, .. }
            | Request::Read { tenant, .. }
            | Request::List { tenant } => tenant,
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = svc_notes)]
struct Note {
    id: i64,
    title: String,
    views: i32,
}

/// What the service answers.
#[derive(Debug)]
enum Response {
    Published(i64),
    Note(Note),
    Notes(Vec<Note>),
}

/// A request the service refuses or cannot serve: what an HTTP layer would
/// turn into 400, 404 or 503.
#[derive(Debug)]
enum ServiceError {
    BadTenant(ryx::SchemaNameError),
    UnknownTenant(String),
    NotFound,
    Unavailable(String),
    Database(diesel::result::Error),
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::BadTenant(e) => write!(f, "400 bad tenant name: {e}"),
            ServiceError::UnknownTenant(t) => write!(f, "404 no tenant `{t}`"),
            ServiceError::NotFound => write!(f, "404 no such note"),
            ServiceError::Unavailable(e) => write!(f, "503 no database connection: {e}"),
            ServiceError::Database(e) => write!(f, "500 database error: {e}"),
        }
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => ServiceError::NotFound,
            e => ServiceError::Database(e),
        }
    }
}

const TENANTS: [&str; 3] = ["acme", "globex", "initech"];

/// The service, written once for any backend's connection type.
macro_rules! serve {
    ($conn_ty:ty, $url:expr) => {{
        // One pool for the process. Defaults: at most 100 prepared statements
        // per connection, and (PostgreSQL) an empty search_path, so a query
        // that forgot `.in_schema` fails instead of reading another tenant.
        let pool = ryx::pool::Pool::builder()
            .max_size(4)
            .build(ConnectionManager::<$conn_ty>::new($url))?;

        // Provision the tenants (a real service does this at sign-up).
        {
            let mut conn = pool.get()?;
            for tenant in TENANTS {
                MigrationRunner::new()
                    .model::<svc_notes::table>()
                    .schema(tenant)
                    .migrate(&mut conn)?;
                ryx::delete(svc_notes::table.in_schema(tenant)).execute(&mut conn)?;
            }
        }

        let handle = |request: &Request| -> Result<Response, ServiceError> {
            // Validate the tenant once; a bad name never reaches SQL.
            let tenant = SchemaName::new(request.tenant()).map_err(ServiceError::BadTenant)?;
            if !TENANTS.contains(&tenant.as_str()) {
                return Err(ServiceError::UnknownTenant(tenant.to_string()));
            }
            let mut conn = pool
                .get()
                .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
            conn.transaction(|conn| match request {
                Request::Publish { title, .. } => {
                    ryx::insert_into(svc_notes::table.in_schema(&tenant))
                        .values(svc_notes::title.eq(title))
                        .execute(conn)?;
                    let id = svc_notes::table
                        .in_schema(&tenant)
                        .select(svc_notes::id)
                        .order(svc_notes::id.desc())
                        .first(conn)?;
                    Ok(Response::Published(id))
                }
                Request::Read { id, .. } => {
                    let n = ryx::update(svc_notes::table.in_schema(&tenant))
                        .filter(svc_notes::id.eq(id))
                        .set(svc_notes::views.eq(svc_notes::views + 1))
                        .execute(conn)?;
                    if n == 0 {
                        return Err(ServiceError::NotFound);
                    }
                    let note = svc_notes::table
                        .in_schema(&tenant)
                        .find(id)
                        .select(Note::as_select())
                        .get_result(conn)?;
                    Ok(Response::Note(note))
                }
                Request::List { .. } => Ok(Response::Notes(
                    svc_notes::table
                        .in_schema(&tenant)
                        .order((svc_notes::views.desc(), svc_notes::id))
                        .select(Note::as_select())
                        .load(conn)?,
                )),
            })
        };

        // Requests arrive on several worker threads at once.
        std::thread::scope(|scope| {
            for tenant in TENANTS {
                let handle = &handle;
                scope.spawn(move || {
                    for title in ["hello", "quarterly report"] {
                        let request = Request::Publish {
                            tenant: tenant.to_owned(),
                            title: format!("{tenant}: {title}"),
                        };
                        if let Err(e) = handle(&request) {
                            eprintln!("{request:?}: {e}");
                        }
                    }
                });
            }
        });
        let Ok(Response::Published(id)) = handle(&Request::Publish {
            tenant: "globex".into(),
            title: "globex: read me".into(),
        }) else {
            return Err("publishing a note failed".into());
        };
        let requests = [
            Request::List {
                tenant: "acme".into(),
            },
            Request::Read {
                tenant: "globex".into(),
                id,
            },
            Request::Read {
                tenant: "acme".into(),
                id,
            },
            Request::List {
                tenant: "globex".into(),
            },
            Request::List {
                tenant: "umbrella".into(),
            },
            Request::List {
                tenant: String::new(),
            },
        ];
        for request in &requests {
            match handle(request) {
                Ok(Response::Published(id)) => println!("{request:?} -> published #{id}"),
                Ok(Response::Note(n)) => {
                    println!("{request:?} -> #{} {:?} ({} views)", n.id, n.title, n.views)
                }
                Ok(Response::Notes(notes)) => {
                    let titles: Vec<String> = notes
                        .iter()
                        .map(|n| format!("#{} {:?} ({} views)", n.id, n.title, n.views))
                        .collect();
                    println!("{request:?} -> [{}]", titles.join(", "));
                }
                Err(e) => println!("{request:?} -> {e}"),
            }
        }
    }};
}

fn main() -> Result<(), Box<dyn Error>> {
    match url_from_args()? {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            println!("PostgreSQL: each tenant is its own schema");
            serve!(PgConnection, url);
        }
        Some(url) if url.starts_with("mysql://") => {
            #[cfg(feature = "mysql")]
            {
                println!("MySQL: schemas are a no-op, all tenants share the database's tables");
                serve!(diesel::MysqlConnection, url);
            }
            #[cfg(not(feature = "mysql"))]
            return Err(format!("{url}: MySQL support is the `mysql` feature: cargo run --example tenant_service --features mysql -- --url ..").into());
        }
        other => {
            let path = match other {
                Some(url) => url.strip_prefix("sqlite://").unwrap_or(&url).to_owned(),
                None => {
                    let path = std::env::temp_dir().join("ryx_tenant_service_demo.sqlite3");
                    let _ = std::fs::remove_file(&path);
                    path.to_string_lossy().into_owned()
                }
            };
            println!("SQLite ({path}): schemas are a no-op, all tenants share one set of tables");
            serve!(SqliteConnection, path);
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
                println!("usage: tenant_service [--url postgres://..|mysql://..|sqlite://PATH]  (default: DATABASE_URL, else an embedded SQLite file)");
                std::process::exit(0);
            }
            other => return Err(format!("unexpected argument `{other}`; try --help").into()),
        }
    }
    Ok(url.or_else(|| std::env::var("DATABASE_URL").ok()))
}
