//! Per-schema migrations for ryx: table metadata emitted by `ryx_table!`
//! (this release), DDL generation and the migration runners (in progress).

#![warn(missing_docs)]

mod metadata;

pub use crate::metadata::{ColumnState, ColumnType, ForeignKey, RyxTable, TableState};
