//! `lifecycle::tenant_sizes` and `ryx tenants list --sizes`: tables,
//! estimated rows and bytes per tenant, from the catalog; `tenants list`
//! without `--sizes` prints names only, as before.
// Tests may unwrap, panic and cast freely, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
#![cfg(all(feature = "cli", feature = "postgres"))]

mod common;

use common::{expect, fixtures, ryx, PgDb};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

#[test]
fn sizes_per_tenant_from_the_catalog() {
    let db = PgDb::new();
    let url = db.url();
    let dir = fixtures("clone");
    let dir = dir.to_str().unwrap();
    let (big, small) = ("sizes_big", "sizes_small");
    for t in [big, small] {
        expect(
            &ryx(&["--url", &url, "tenants", "create", t, "--dir", dir]),
            0,
        );
    }
    let mut conn = PgConnection::establish(&url).unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO \"{big}\".accounts (email) SELECT 'u' || i || '@example.com' \
           FROM generate_series(1, 2000) i; \
         ANALYZE \"{big}\".accounts; ANALYZE \"{big}\".orders; ANALYZE \"{big}\".invoices; \
         ANALYZE \"{big}\".bookings; ANALYZE \"{big}\".order_stats"
    ))
    .unwrap();

    // the library
    let sizes = ryx_migrate::lifecycle::tenant_sizes(&mut conn).unwrap();
    let names: Vec<&str> = sizes.iter().map(|s| s.schema.as_str()).collect();
    assert_eq!(names, [big, small]);
    assert_eq!(sizes[0].tables, 5, "{sizes:?}");
    assert_eq!(sizes[0].rows, Some(2000), "{sizes:?}");
    // never analyzed: unknown (or 0 if autovacuum got there first)
    assert!(matches!(sizes[1].rows, None | Some(0)), "{sizes:?}");
    // 2000 rows take more than 16 pages
    assert!(sizes[0].bytes > sizes[1].bytes + 16 * 8192, "{sizes:?}");
    // read from the files: the same tenants, every one taking room
    let exact = ryx_migrate::lifecycle::tenant_sizes_exact(&mut conn).unwrap();
    assert_eq!(exact.len(), 2);
    assert_eq!((exact[0].tables, exact[0].rows), (5, Some(2000)));
    assert!(
        exact[0].bytes > exact[1].bytes + 16 * 8192 && exact[1].bytes > 0,
        "{exact:?}"
    );

    // the command, as JSON
    let (stdout, _) = expect(
        &ryx(&[
            "--url", &url, "tenants", "list", "--sizes", "--format", "json",
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json[0]["schema"], big, "{json}");
    assert_eq!(json[0]["tables"], 5, "{json}");
    assert_eq!(json[0]["rows"], 2000, "{json}");
    assert_eq!(json[0]["bytes"], sizes[0].bytes, "{json}");
    assert_eq!(json[1]["schema"], small, "{json}");
    let (stdout, _) = expect(
        &ryx(&[
            "--url", &url, "tenants", "list", "--sizes", "--exact", "--format", "json",
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json[1]["bytes"], exact[1].bytes, "{json}");

    // as text, sorted: a header, then one aligned line per tenant
    for sort in ["size", "rows"] {
        let (stdout, _) = expect(
            &ryx(&["--url", &url, "tenants", "list", "--sizes", "--sort", sort]),
            0,
        );
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{stdout}");
        assert!(
            lines[0].starts_with("tenant") && lines[0].ends_with("size"),
            "{stdout}"
        );
        assert!(
            lines[1].starts_with(big) && lines[1].contains(" 2000 "),
            "{stdout}"
        );
        assert!(lines[2].starts_with(small), "{stdout}");
        assert_eq!(lines[1].len(), lines[0].len(), "{stdout}");
    }
    // by name (the default): small after big alphabetically
    let (stdout, _) = expect(&ryx(&["--url", &url, "tenants", "list", "--sizes"]), 0);
    assert!(stdout.lines().nth(1).unwrap().starts_with(big), "{stdout}");

    // without --sizes: names only, as before
    let (stdout, _) = expect(&ryx(&["--url", &url, "tenants", "list"]), 0);
    assert_eq!(stdout, format!("{big}\n{small}\n"));
    let (stdout, _) = expect(
        &ryx(&["--url", &url, "tenants", "list", "--format", "json"]),
        0,
    );
    assert_eq!(stdout.trim(), format!("[\"{big}\",\"{small}\"]"));

    // --sort and --exact need --sizes: a usage error
    for flag in [&["--sort", "size"][..], &["--exact"]] {
        let mut args = vec!["--url", url.as_str(), "tenants", "list"];
        args.extend_from_slice(flag);
        let (_, stderr) = expect(&ryx(&args), 2);
        assert!(stderr.starts_with("error:"), "{stderr}");
    }
}
