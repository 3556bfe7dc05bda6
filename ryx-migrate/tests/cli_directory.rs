//! The `ryx` command line over a tenant directory of two real PostgreSQL
//! servers (a database of the local server and a private cluster), run as a
//! real process: `migrate`, `showmigrations` and `tenants list` on both at
//! once, single-tenant commands routed to the tenant's server, what is
//! refused with `--directory`, and a server that is down.
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

use common::cluster::PgCluster;
use common::{expect, expect_one_line_error, fixtures, ryx, unique, PgDb};
use diesel::prelude::*;
use ryx_migrate::create_tenant;

struct TwoServers {
    first: PgDb,
    second: PgCluster,
    dir: tempfile::TempDir,
    /// The directory file, in `dir`.
    file: String,
    /// Tenants placed on the first server, then on the second (sorted).
    on_first: Vec<String>,
    on_second: Vec<String>,
    /// The prefix a rule places on the second server.
    prefix: String,
}

/// Two servers, `n` tenants created on each (no migrations yet), each named
/// under `[tenants]`, and a rule sending `<prefix>...` to the second.
fn two_servers(n: usize) -> TwoServers {
    let first = PgDb::new();
    let second = PgCluster::start();
    let mut on_first: Vec<String> = (0..n).map(|_| unique("one")).collect();
    let mut on_second: Vec<String> = (0..n).map(|_| unique("two")).collect();
    on_first.sort();
    on_second.sort();
    let prefix = unique("ruled");
    let mut text = format!(
        "[servers.first]\nurl = \"{}\"\npool_size = 3\n\n\
         [servers.second]\nurl = \"{}\"\npool_size = 3\nconnection_timeout_ms = 1500\n\n\
         [[rules]]\nprefix = \"{prefix}_\"\nserver = \"second\"\n\n[tenants]\n",
        first.url(),
        second.url()
    );
    for (tenants, server, url) in [
        (&on_first, "first", first.url()),
        (&on_second, "second", second.url()),
    ] {
        let mut conn = PgConnection::establish(&url).unwrap();
        for t in tenants {
            create_tenant(&mut conn, t).unwrap();
            text.push_str(&format!("{t} = \"{server}\"\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ryx.toml");
    std::fs::write(&file, text).unwrap();
    TwoServers {
        first,
        second,
        file: file.to_str().unwrap().to_owned(),
        dir,
        on_first,
        on_second,
        prefix,
    }
}

/// How many migrations `schema`'s history on the server at `url` holds
/// (`None`: the schema has no history table there).
fn applied(url: &str, schema: &str) -> Option<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM \"{schema}\".ryx_migrations"
    ))
    .get_result::<N>(&mut conn)
    .ok()
    .map(|r| r.n)
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn schemas_of(value: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["schema"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn fleet_commands_run_on_both_servers_and_tenant_commands_on_the_tenants_server() {
    let s = two_servers(2);
    let migrations = fixtures("basic");
    let migrations = migrations.to_str().unwrap();
    let file = s.file.as_str();
    // a copy of a second-server tenant left on the first (as a move without
    // dropping the source leaves one)
    let copy = &s.on_second[0];
    create_tenant(&mut PgConnection::establish(&s.first.url()).unwrap(), copy).unwrap();

    // migrate: every tenant of both servers, one JSON object
    let out = ryx(&[
        "--directory",
        file,
        "migrate",
        "--all-schemas",
        "--dir",
        migrations,
        "--jobs",
        "2",
        "--format",
        "json",
    ]);
    let (stdout, stderr) = expect(&out, 0);
    let report = json(&stdout);
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{report}");
    for (server, (name, tenants)) in servers
        .iter()
        .zip([("first", &s.on_first), ("second", &s.on_second)])
    {
        assert_eq!(server["server"], name, "{report}");
        assert_eq!(&schemas_of(&server["migrated"]), tenants, "{report}");
        assert_eq!(server["failed"].as_array().unwrap().len(), 0);
    }
    assert_eq!(servers[0]["elsewhere"][0], copy.as_str());
    assert!(report["ms"].is_u64(), "{report}");
    for t in &s.on_first {
        assert_eq!(applied(&s.first.url(), t), Some(3), "{t}");
    }
    for t in &s.on_second {
        assert_eq!(applied(&s.second.url(), t), Some(3), "{t}");
    }
    // the copy is named on stderr and left alone
    assert!(
        stderr.contains(&format!(
            "note: server first also holds tenant schemas the directory places elsewhere, left alone: {copy} (placed on second)"
        )),
        "{stderr}"
    );
    assert_eq!(applied(&s.first.url(), copy), Some(0));

    // again as text: a line per tenant, per server, then the totals
    let out = ryx(&[
        "--directory",
        file,
        "migrate",
        "--all-schemas",
        "--dir",
        migrations,
    ]);
    let (stdout, _) = expect(&out, 0);
    for t in s.on_first.iter().chain(&s.on_second) {
        assert!(
            stdout.contains(&format!("{t}: already current")),
            "{stdout}"
        );
    }
    for server in ["first", "second"] {
        assert!(
            stdout.contains(&format!(
                "server {server}: 0 migrated, 2 already current, 0 failed"
            )),
            "{stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("already current") && l.ends_with(" 4")),
        "{stdout}"
    );

    // showmigrations: per server, its tenants
    let out = ryx(&[
        "--directory",
        file,
        "showmigrations",
        "--dir",
        migrations,
        "--format",
        "json",
    ]);
    let (stdout, _) = expect(&out, 0);
    let shown = json(&stdout);
    for (i, (name, tenants)) in [("first", &s.on_first), ("second", &s.on_second)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(shown[i]["server"], name, "{shown}");
        assert_eq!(&schemas_of(&shown[i]["tenants"]), tenants, "{shown}");
        assert_eq!(
            shown[i]["tenants"][0]["applied"].as_array().unwrap().len(),
            3
        );
    }
    let out = ryx(&["--directory", file, "showmigrations", "--dir", migrations]);
    let (stdout, _) = expect(&out, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    let second_at = lines.iter().position(|l| *l == "server second").unwrap();
    assert_eq!(lines[0], "server first", "{stdout}");
    assert!(
        lines[second_at..].contains(&s.on_second[1].as_str()),
        "{stdout}"
    );
    assert!(
        lines[..second_at].contains(&s.on_first[1].as_str()),
        "{stdout}"
    );

    // tenants list: each tenant with its server; the copy only as a note
    let out = ryx(&["--directory", file, "tenants", "list", "--format", "json"]);
    let (stdout, stderr) = expect(&out, 0);
    let mut expected: Vec<serde_json::Value> = s
        .on_first
        .iter()
        .map(|t| serde_json::json!({"schema": t, "server": "first"}))
        .chain(
            s.on_second
                .iter()
                .map(|t| serde_json::json!({"schema": t, "server": "second"})),
        )
        .collect();
    expected.sort_by_key(|v| v["schema"].as_str().unwrap().to_owned());
    assert_eq!(json(&stdout), serde_json::Value::Array(expected));
    assert!(
        stderr.contains(&format!("{copy} (placed on second)")),
        "{stderr}"
    );
    let out = ryx(&["--directory", file, "tenants", "list"]);
    let (stdout, _) = expect(&out, 0);
    let row = stdout
        .lines()
        .find(|l| l.starts_with(s.on_second[1].as_str()))
        .unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        [s.on_second[1].as_str(), "second"]
    );

    // rollback goes to the tenant's server (the copy on the first has no
    // migration to revert: a rollback sent there would fail)
    let out = ryx(&[
        "--directory",
        file,
        "rollback",
        "--schema",
        copy,
        "--dir",
        migrations,
    ]);
    let (stdout, _) = expect(&out, 0);
    assert!(stdout.contains(&format!(
        "{copy}: reverted 2024-01-03-000000_add_posts_slug"
    )));
    assert_eq!(applied(&s.second.url(), copy), Some(2));
    assert_eq!(applied(&s.first.url(), copy), Some(0));

    // so does redo: reverted and applied again there
    let out = ryx(&[
        "--directory",
        file,
        "redo",
        "--schema",
        copy,
        "--dir",
        migrations,
    ]);
    let (stdout, _) = expect(&out, 0);
    assert!(
        stdout.contains(&format!("{copy}: applied 2024-01-02-000000_create_posts")),
        "{stdout}"
    );
    assert_eq!(applied(&s.second.url(), copy), Some(2));

    // print-schema reads the tenant's own server
    let out = ryx(&["--directory", file, "print-schema", "--schema", copy]);
    let (stdout, _) = expect(&out, 0);
    assert!(
        stdout.contains("ms_posts") && !stdout.contains("slug"),
        "{stdout}"
    );

    // tenants create and drop: a tenant a rule places on the second server
    let ruled = format!("{}_acme", s.prefix);
    let out = ryx(&[
        "--directory",
        file,
        "tenants",
        "create",
        &ruled,
        "--dir",
        migrations,
    ]);
    expect(&out, 0);
    assert_eq!(applied(&s.second.url(), &ruled), Some(3));
    assert_eq!(applied(&s.first.url(), &ruled), None);
    let out = ryx(&["--directory", file, "tenants", "drop", &ruled, "--yes"]);
    expect(&out, 0);
    assert_eq!(applied(&s.second.url(), &ruled), None);

    // commands that need no database run as usual
    let out = ryx(&[
        "--directory",
        file,
        "sqlmigrate",
        "2024-01-02-000000",
        "--schema",
        "acme",
        "--dir",
        migrations,
    ]);
    let (stdout, _) = expect(&out, 0);
    assert!(
        stdout.starts_with("-- 2024-01-02-000000_create_posts on PostgreSQL"),
        "{stdout}"
    );
    let made = s.dir.path().join("made");
    let out = ryx(&[
        "--directory",
        file,
        "migration",
        "generate",
        "add_x",
        "--dir",
        made.to_str().unwrap(),
    ]);
    expect(&out, 0);
    assert_eq!(std::fs::read_dir(&made).unwrap().count(), 1);
}

#[test]
fn what_does_not_fit_a_directory_is_refused_with_one_line() {
    let s = two_servers(1);
    let migrations = fixtures("basic");
    let migrations = migrations.to_str().unwrap();
    let file = s.file.as_str();
    let stranger = unique("nowhere");
    for command in [
        &["rollback", "--schema", stranger.as_str()][..],
        &["migrate", "--schema", &s.on_first[0], "--schema", &stranger],
    ] {
        let mut args = vec!["--directory", file];
        args.extend(command);
        args.extend(["--dir", migrations]);
        expect_one_line_error(
            &ryx(&args),
            2,
            &format!("tenant `{stranger}` is not in the directory {file}: add `{stranger} = \"SERVER\"` under [tenants]"),
        );
    }
    assert_eq!(
        applied(&s.first.url(), &s.on_first[0]),
        Some(0),
        "nothing ran"
    );
    let url = s.first.url();
    expect_one_line_error(
        &ryx(&[
            "--url",
            &url,
            "--directory",
            file,
            "migrate",
            "--all-schemas",
        ]),
        2,
        "--url and --directory both name the database",
    );
    expect_one_line_error(
        &ryx(&["--directory", file, "tenants", "list", "--sizes"]),
        2,
        "tenants list --sizes is not with --directory yet",
    );
    for (flag, extra) in [
        ("--dry-run", None),
        ("--only-failed", None),
        ("--report-file", Some("r.json")),
    ] {
        let mut args = vec!["--directory", file, "migrate", "--dir", migrations, flag];
        args.extend(extra);
        if flag != "--only-failed" {
            args.push("--all-schemas");
        }
        let out = ryx(&args);
        expect_one_line_error(&out, 2, "is not with --directory yet: ");
        let stderr = common::text(&out.stderr);
        assert!(stderr.starts_with(&format!("error: {flag}")), "{stderr}");
    }
    expect_one_line_error(
        &ryx(&["--directory", file, "makemigrations", "x"]),
        2,
        "pass --url",
    );

    assert_eq!(
        applied(&s.first.url(), &s.on_first[0]),
        Some(0),
        "nothing ran"
    );

    // a server marked transaction_pooler gets the pooler's safeguards: a
    // migration that needs session state is refused there
    let pooled = unique("pooled");
    let mut text = std::fs::read_to_string(file).unwrap();
    text.push_str(&format!(
        "\n[servers.pooled]\nurl = \"{url}\"\ntransaction_pooler = true\n\n\
         [[rules]]\nprefix = \"{pooled}_\"\nserver = \"pooled\"\n"
    ));
    std::fs::write(file, text).unwrap();
    let non_transactional = fixtures("non_transactional");
    let non_transactional = non_transactional.to_str().unwrap();
    let out = ryx(&[
        "--directory",
        file,
        "tenants",
        "create",
        &format!("{pooled}_a"),
        "--dir",
        non_transactional,
    ]);
    expect_one_line_error(&out, 2, "through a transaction pooler");
    // the same migrations on a server without the flag run
    let out = ryx(&[
        "--directory",
        file,
        "migrate",
        "--schema",
        &s.on_first[0],
        "--dir",
        non_transactional,
    ]);
    expect(&out, 0);
    assert_eq!(applied(&s.first.url(), &s.on_first[0]), Some(2));

    // an explicit --directory wins over DATABASE_URL from the environment
    let out = assert_cmd::Command::cargo_bin("ryx")
        .unwrap()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env_remove("RYX_DIRECTORY")
        .args(["--directory", file, "tenants", "list"])
        .output()
        .unwrap();
    let (stdout, _) = expect(&out, 0);
    assert!(stdout.contains(&s.on_second[0]), "{stdout}");
    // both only from the environment: say which
    let out = assert_cmd::Command::cargo_bin("ryx")
        .unwrap()
        .env("DATABASE_URL", s.first.url())
        .env("RYX_DIRECTORY", file)
        .args(["tenants", "list"])
        .output()
        .unwrap();
    expect_one_line_error(&out, 2, "both DATABASE_URL and RYX_DIRECTORY are set");
}

#[test]
fn a_stopped_server_fails_only_its_tenants_and_a_rerun_completes() {
    let mut s = two_servers(2);
    let migrations = fixtures("basic");
    let migrations = migrations.to_str().unwrap();
    let file = s.file.clone();
    s.second.stop();
    let args = [
        "--directory",
        file.as_str(),
        "migrate",
        "--all-schemas",
        "--dir",
        migrations,
        "--format",
        "json",
    ];
    let (stdout, _) = expect(&ryx(&args), 1);
    let report = json(&stdout);
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(
        &schemas_of(&servers[0]["migrated"]),
        &s.on_first,
        "{report}"
    );
    assert_eq!(servers[1]["server"], "second", "{report}");
    assert!(
        !servers[1]["error"].as_str().unwrap().is_empty(),
        "{report}"
    );
    assert_eq!(servers[1]["unreached"], serde_json::json!(s.on_second));
    for t in &s.on_first {
        assert_eq!(applied(&s.first.url(), t), Some(3));
    }
    // the text summary says so too, and tenants list exits 1 naming it
    let (stdout, _) = expect(&ryx(&args[..6]), 1);
    assert!(
        stdout.contains("server second: UNREACHABLE (")
            && stdout.contains(&format!(
                "its tenants were not migrated: {}",
                s.on_second.join(", ")
            )),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("unreached") && l.ends_with(" 2")),
        "{stdout}"
    );
    let (stdout, stderr) = expect(&ryx(&["--directory", &file, "tenants", "list"]), 1);
    assert!(stdout.contains(&s.on_first[0]), "{stdout}");
    assert!(stderr.contains("server second: UNREACHABLE ("), "{stderr}");

    s.second.restart();
    let (stdout, _) = expect(&ryx(&args), 0);
    let report = json(&stdout);
    assert_eq!(
        report["servers"][0]["current"],
        serde_json::json!(s.on_first)
    );
    assert_eq!(&schemas_of(&report["servers"][1]["migrated"]), &s.on_second);
    for t in &s.on_second {
        assert_eq!(applied(&s.second.url(), t), Some(3));
    }
}
