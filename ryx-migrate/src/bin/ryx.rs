//! The `ryx` command line: `ryx migrate --schema tenant1`, `ryx showmigrations`, ...
//! Run `ryx --help`.

fn main() -> std::process::ExitCode {
    ryx_migrate::cli::Cli::new().run()
}
