//! Updating one identified record in a tenant's table: the scoped form of
//! diesel's `update(&record).set(&record)` and `save_changes`.

use diesel::query_builder::{AsChangeset, AsQuery, IntoUpdateTarget, UpdateStatement};
use diesel::query_dsl::methods::FilterDsl;
use diesel::{EqAll, Identifiable, Table};

use crate::scoped::{SchemaScoped, ScopableTable};
use crate::update;

/// `UPDATE "acme"."posts" SET .. WHERE "id" = $n` for a record that is both
/// `Identifiable` and `AsChangeset`: the scoped form of diesel's
/// `diesel::update(&post).set(&post)` (and of `post.save_changes(conn)`,
/// which goes through `search_path` and cannot be scoped).
///
/// The record's primary key selects the row and its fields are the `SET`
/// clause, as in diesel. Run it with `.execute(conn)`, or on PostgreSQL
/// `.get_result(conn)` for the updated row (what `save_changes` returns):
///
/// ```ignore
/// post.title = "Renamed".into();
/// let saved: Post = ryx::update_record(posts::table.in_schema(&t), &post).get_result(conn)?;
/// ```
#[allow(clippy::type_complexity)]
pub fn update_record<T, Rec, W>(
    target: SchemaScoped<T>,
    record: Rec,
) -> UpdateStatement<SchemaScoped<T>, W, <Rec as AsChangeset>::Changeset>
where
    // the record by reference (`&post`), as diesel's `update(&post).set(&post)`
    Rec: Identifiable + AsChangeset<Target = T> + Copy,
    T: ScopableTable + IntoUpdateTarget<Table = T>,
    SchemaScoped<T>: Table,
    T::PrimaryKey: EqAll<<Rec as Identifiable>::Id>,
    UpdateStatement<SchemaScoped<T>, <T as IntoUpdateTarget>::WhereClause>: FilterDsl<
        <T::PrimaryKey as EqAll<<Rec as Identifiable>::Id>>::Output,
        Output = UpdateStatement<SchemaScoped<T>, W>,
    >,
    UpdateStatement<SchemaScoped<T>, W, <Rec as AsChangeset>::Changeset>: AsQuery,
{
    let key = T::default().primary_key().eq_all(record.id());
    update(target).filter(key).set(record)
}
