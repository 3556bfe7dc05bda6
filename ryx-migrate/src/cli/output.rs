//! What the command line prints and how it ends: stdout and stderr macros that
//! never panic, `--format`, planned SQL as script lines, one-line error chains,
//! and the exit codes.

use clap::{Args, ValueEnum};

use crate::backend::Backend;
use crate::error::Error;
use crate::report::Planned;

/// `println!` that never panics: a closed pipe (`ryx .. | head`) only stops
/// the output, not the work (migrations in flight finish and are recorded).
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that never panics.
macro_rules! esay {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `print!` that never panics (see `say!`).
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub(super) use {esay, say, say_raw};

/// Exit code: everything went well.
pub(super) const SUCCESS: u8 = 0;
/// Exit code: some tenant failed (the others ran, unless `--fail-fast`).
pub(super) const TENANT_FAILED: u8 = 1;
/// Exit code: a usage, connection or configuration error.
pub(super) const USAGE: u8 = 2;

/// How a command prints its result: text for people, or one JSON value on
/// stdout. (Doc comments on the variants would become `--help` text.)
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    Text,
    Json,
}

/// `--format`, flattened into every command that can print JSON.
#[derive(Args, Debug, Clone, Copy)]
pub(super) struct FormatOpt {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,
}

/// A command-line failure: what to print after `error: `, and the exit code.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) message: String,
    pub(super) code: u8,
}

impl Failure {
    /// A usage, connection or configuration error (exit code 2).
    pub(super) fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: USAGE,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e {
            Error::MigrationFailed { .. } | Error::NonTransactionalFailed { .. } => TENANT_FAILED,
            _ => USAGE,
        };
        Failure {
            message: chain(&e),
            code,
        }
    }
}

/// One line: the error and its sources, each source once (a source whose
/// text the line already holds is skipped), newlines flattened to spaces.
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    one_line(&out)
}

/// `text` on one line: line breaks (a database's `DETAIL`, a schema name
/// holding a newline) become spaces, so an error is always one `error:` line.
pub(super) fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// A schema name refused by `ryx_dsl::SchemaName`, as a usage error.
pub(super) fn invalid_schema(e: ryx_dsl::SchemaNameError) -> Failure {
    Failure::usage(chain(&Error::from(e)))
}

/// The one-line note for `--schema` on SQLite and MySQL.
pub(super) fn note_no_schemas(kind: Backend) {
    esay!("note: {kind} has no schemas; --schema is ignored");
}

/// A statement of a [`Planned`] migration as script text: `;`-terminated,
/// unless it already is or ends in a `--` comment (ryx's own notes are).
pub(super) fn script_statement(sql: &str) -> String {
    let sql = sql.trim_end();
    let last_line = sql.lines().next_back().unwrap_or_default().trim_start();
    if sql.ends_with(';') || last_line.starts_with("--") {
        sql.to_owned()
    } else {
        format!("{sql};")
    }
}

/// Prints what the library planned for a migration, transaction and lock
/// included ([`Planned::script`]), as a script.
pub(super) fn print_planned(planned: &Planned) {
    for sql in planned.script() {
        say!("{}", script_statement(sql));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn chain_joins_sources_on_one_line() {
        let e = Layer(
            "cannot migrate",
            Some(Box::new(Layer("table exists\nDETAIL: x", None))),
        );
        assert_eq!(chain(&e), "cannot migrate: table exists DETAIL: x");
    }

    #[test]
    fn chain_skips_a_source_the_message_repeats() {
        let e = Layer(
            "could not connect: refused",
            Some(Box::new(Layer(
                "refused",
                Some(Box::new(Layer("os error 111", None))),
            ))),
        );
        assert_eq!(chain(&e), "could not connect: refused: os error 111");
        assert_eq!(chain(&Layer("alone", None)), "alone");
    }

    #[test]
    fn library_errors_exit_two_unless_a_migration_failed() {
        let usage = Failure::from(Error::RollbackTooFar {
            schema: "t".into(),
            requested: 4,
            applied: 3,
        });
        assert_eq!(usage.code, USAGE);
        assert!(
            usage.message.contains("only 3 applied"),
            "{}",
            usage.message
        );
        let failed = Failure::from(Error::MigrationFailed {
            schema: "t".into(),
            migration: "m".into(),
            source: diesel::result::Error::NotFound,
            report: Box::default(),
        });
        assert_eq!(failed.code, TENANT_FAILED);
        assert!(
            failed.message.ends_with(": Record not found"),
            "{}",
            failed.message
        );
    }

    #[test]
    fn statements_become_script_lines() {
        assert_eq!(
            script_statement(r#"SET LOCAL search_path TO "t""#),
            r#"SET LOCAL search_path TO "t";"#
        );
        assert_eq!(
            script_statement("CREATE TABLE t (id INT);\n"),
            "CREATE TABLE t (id INT);"
        );
        assert_eq!(
            script_statement("-- then the session's previous search_path is restored"),
            "-- then the session's previous search_path is restored"
        );
        assert_eq!(
            script_statement("SELECT 1;\n-- done\n"),
            "SELECT 1;\n-- done"
        );
    }
}
