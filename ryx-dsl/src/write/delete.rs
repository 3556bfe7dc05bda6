//! `ryx::delete(table.in_schema(s))`: the scoped `DELETE`.

use diesel::query_builder::{DeleteStatement, IntoUpdateTarget};
use diesel::Table;

use super::update::ScopedTarget;
use crate::scoped::{SchemaScoped, ScopableTable};

/// A `DELETE` from a scoped table: `ryx::delete(posts::table.in_schema("t1")).filter(..)`.
///
/// Returns diesel's own `DeleteStatement`, so `.filter`, `.or_filter`,
/// `.returning` and `.execute` work as usual.
pub fn delete<T>(
    target: SchemaScoped<T>,
) -> DeleteStatement<SchemaScoped<T>, <T as IntoUpdateTarget>::WhereClause>
where
    T: ScopableTable + IntoUpdateTarget<Table = T>,
    SchemaScoped<T>: Table,
{
    diesel::delete(ScopedTarget(target))
}
