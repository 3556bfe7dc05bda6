//! Options several commands share, defined once and flattened into each:
//! `--dir` and the tenant selection (`--schema S ...` / `--all-schemas`).
//! (`--format` is with the rest of the output, in `output.rs`.)

use std::collections::HashSet;
use std::path::PathBuf;

use clap::Args;

use super::output::{invalid_schema, note_no_schemas, Failure};
use crate::apply::RunnerConnection;
use crate::backend::{Backend, MigrationBackend};
use crate::fleet::{self, DEFAULT_TENANT};

/// `--dir`: the migrations folder.
#[derive(Args, Debug, Clone)]
pub(super) struct MigrationsDir {
    /// The migrations folder.
    #[arg(long, default_value = "migrations")]
    pub(super) dir: PathBuf,
}

/// `--shared-schema S ...` / `--no-shared-schemas`: the schemas on a
/// migration's `search_path` after the tenant's own.
#[derive(Args, Debug, Clone)]
pub(super) struct SharedSchemas {
    /// A schema a migration's unqualified names are also looked up in, after
    /// the tenant's own, for functions and types installed there such as
    /// diesel's diesel_manage_updated_at (repeatable; default: public).
    #[arg(long = "shared-schema", value_name = "SCHEMA")]
    shared: Vec<String>,
    /// Only the tenant's own schema on a migration's search_path.
    #[arg(long, conflicts_with = "shared")]
    no_shared_schemas: bool,
}

impl SharedSchemas {
    /// The schemas given, or `None` for the runners' default (`public`).
    pub(super) fn list(&self) -> Option<Vec<String>> {
        if self.no_shared_schemas {
            Some(Vec::new())
        } else if self.shared.is_empty() {
            None
        } else {
            Some(self.shared.clone())
        }
    }

    /// `runner` with these schemas.
    pub(super) fn apply(&self, runner: crate::FileRunner) -> crate::FileRunner {
        match self.list() {
            Some(list) => runner.shared_schemas(list),
            None => runner,
        }
    }
}

/// `--schema S ...` or `--all-schemas`: the tenants a command works on.
#[derive(Args, Debug, Clone)]
pub(super) struct Targets {
    /// A tenant schema (repeat for several).
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub(super) schemas: Vec<String>,
    /// Every schema holding a ryx_migrations table.
    #[arg(long, conflicts_with = "schemas")]
    pub(super) all_schemas: bool,
}

impl Targets {
    /// On SQLite and MySQL a `--schema` given is ignored: say so on stderr.
    pub(super) fn note_if_ignored(&self, kind: Backend) {
        if !kind.has_schemas() && !self.schemas.is_empty() {
            note_no_schemas(kind);
        }
    }

    /// The schemas to work on: each `--schema` once, in the order given;
    /// every tenant for `--all-schemas`; the one database (as
    /// [`DEFAULT_TENANT`]) on backends without schemas. With `required`, no
    /// selection at all is a usage error.
    pub(super) fn resolve<C: RunnerConnection>(
        &self,
        conn: &mut C,
        required: bool,
    ) -> Result<Vec<String>, Failure> {
        let named = self.named(required)?;
        if !<C::DB as MigrationBackend>::KIND.has_schemas() {
            return Ok(vec![DEFAULT_TENANT.to_owned()]);
        }
        match named {
            Some(named) => Ok(named),
            None => Ok(fleet::tenants(conn)?),
        }
    }

    /// The schemas named, each once in the order given and checked, or
    /// `None` for every tenant (`--all-schemas`, or no selection when not
    /// `required`). With `required`, no selection at all is a usage error.
    pub(super) fn named(&self, required: bool) -> Result<Option<Vec<String>>, Failure> {
        if required && self.schemas.is_empty() && !self.all_schemas {
            return Err(Failure::usage(
                "say which tenants: --schema SCHEMA (repeatable) or --all-schemas",
            ));
        }
        for s in &self.schemas {
            ryx_dsl::SchemaName::new_for_create(s).map_err(invalid_schema)?;
        }
        if self.all_schemas || self.schemas.is_empty() {
            return Ok(None);
        }
        let mut seen = HashSet::new();
        Ok(Some(
            self.schemas
                .iter()
                .filter(|s| seen.insert(*s))
                .cloned()
                .collect(),
        ))
    }
}
