//! Your own `ryx` command line, with your models: the Rust answer to Python's
//! `--models myapp.models`. Put this in `src/bin/ryx.rs` of your crate.
//!
//! ```text
//! cargo run --example ryx_cli -- --url postgres://postgres@127.0.0.1/test migrate --from-models --schema tenant1
//! cargo run --example ryx_cli -- --url postgres://postgres@127.0.0.1/test makemigrations add_posts --dir migrations
//! cargo run --example ryx_cli -- --help
//! ```
//!
//! Every subcommand of the plain `ryx` binary works; the models add
//! `migrate --from-models` and `makemigrations`.

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
        #[ryx(default = "0")]
        views -> Int4,
    }
}

fn main() -> std::process::ExitCode {
    ryx::migrate::cli::Cli::new()
        .model::<ms_authors::table>()
        .model::<ms_posts::table>()
        .run()
}
