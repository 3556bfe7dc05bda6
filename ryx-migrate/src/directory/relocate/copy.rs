//! Rows from one server to another: each row's text form (PostgreSQL's own
//! I/O of every type, as `COPY` writes it), read through a cursor on the
//! source and cast back to the table's row type on the target.

use diesel::connection::LoadConnection;
use diesel::pg::Pg;
use diesel::sql_types::{Array, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::backend::Backend;

const PG: Backend = Backend::PostgreSQL;

/// Rows fetched and inserted at a time.
const BATCH: usize = 1000;

/// The cursor's name on the source (one move at a time per connection).
const CURSOR: &str = "ryx_move_rows";

#[derive(QueryableByName)]
struct RowText {
    #[diesel(sql_type = Text)]
    row: String,
}

/// Copies every row of `schema.table` from `source` to `target`, `BATCH`
/// rows at a time, and returns how many. Both connections are inside
/// transactions the caller opened (the source's snapshot is the copy's).
/// `columns` are the table's columns that take values (not generated ones),
/// the same on both sides; the target table has the source's row type.
pub(super) fn copy_rows<S, T>(
    source: &mut S,
    target: &mut T,
    schema: &str,
    table: &str,
    columns: &[String],
) -> QueryResult<u64>
where
    S: LoadConnection<Backend = Pg>,
    T: LoadConnection<Backend = Pg>,
{
    let qualified = PG.qualify(Some(schema), table);
    diesel::sql_query(format!(
        "DECLARE {CURSOR} NO SCROLL CURSOR FOR SELECT CAST(t AS text) AS row FROM {qualified} AS t"
    ))
    .execute(source)?;
    let names: Vec<String> = columns.iter().map(|c| PG.quote(c)).collect();
    let fields: Vec<String> = columns
        .iter()
        .map(|c| format!("(r).{}", PG.quote(c)))
        .collect();
    let insert = format!(
        "INSERT INTO {qualified} ({}) OVERRIDING SYSTEM VALUE SELECT {} \
         FROM (SELECT CAST(x AS {qualified}) AS r FROM unnest($1) AS x) AS s",
        names.join(", "),
        fields.join(", ")
    );
    let mut copied = 0u64;
    loop {
        let rows: Vec<RowText> =
            diesel::sql_query(format!("FETCH {BATCH} FROM {CURSOR}")).load(source)?;
        if rows.is_empty() {
            break;
        }
        let n = rows.len();
        let texts: Vec<String> = rows.into_iter().map(|r| r.row).collect();
        diesel::sql_query(&insert)
            .bind::<Array<Text>, _>(texts)
            .execute(target)?;
        copied += u64::try_from(n).unwrap_or(u64::MAX);
        if n < BATCH {
            break;
        }
    }
    diesel::sql_query(format!("CLOSE {CURSOR}")).execute(source)?;
    Ok(copied)
}
