//! The fence a moved tenant leaves on its old server: every table refuses
//! writes with a message naming the new server, so a service that has not
//! loaded the directory again gets an error instead of writing rows nobody
//! will read.

use crate::backend::Backend;

const PG: Backend = Backend::PostgreSQL;

/// The trigger function's (and the triggers') name inside the tenant schema.
pub(super) const FENCE: &str = "ryx_moved";

/// The statements that fence `tables` of `schema`, moved to `server` (a
/// directory server name: letters, digits, `_` and `-` only, checked when the
/// directory was loaded, so it is safe inside the function's text).
pub(super) fn statements(schema: &str, tables: &[String], server: &str) -> Vec<String> {
    let function = PG.qualify(Some(schema), FENCE);
    let mut out = vec![format!(
        "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $ryx$ BEGIN \
         RAISE EXCEPTION USING ERRCODE = 'read_only_sql_transaction', \
         MESSAGE = format('tenant %s has moved to server {server}: load the tenant directory again', TG_TABLE_SCHEMA); \
         END $ryx$"
    )];
    for table in tables {
        out.push(format!(
            "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {} \
             FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            PG.quote(FENCE),
            PG.qualify(Some(schema), table)
        ));
    }
    out.push(format!(
        "COMMENT ON SCHEMA {} IS 'moved to server {server} by ryx: a stale copy, drop it when no longer needed'",
        PG.quote(schema)
    ));
    out
}
