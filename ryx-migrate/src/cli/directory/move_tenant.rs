//! `ryx --directory ryx.toml tenants move TENANT --to SERVER`.

use std::path::Path;

use super::super::output::{chain, say, Failure, Format, SUCCESS, TENANT_FAILED};
use super::super::tenants::TenantsCommand;
use super::super::Command;
use crate::directory::relocate::{move_tenant, MoveError, MoveOptions, MoveReport, Online};

/// Moves the tenant `command` names; prints what was done.
pub(super) fn run(path: &Path, command: &Command) -> Result<u8, Failure> {
    let Command::Tenants {
        command:
            TenantsCommand::Move {
                schema,
                to,
                drop_source,
                offline,
                online,
                format,
            },
    } = command
    else {
        return Err(Failure::usage("not a tenants move"));
    };
    let mode = match (*offline, *online) {
        (true, _) => Online::Never,
        (_, true) => Online::Required,
        _ => Online::Auto,
    };
    let options = MoveOptions::new().drop_source(*drop_source).online(mode);
    let report = move_tenant(path, schema, to, options).map_err(failure)?;
    match format.format {
        Format::Json => say!("{}", json(&report)),
        Format::Text => say!("{}", text(&report)),
    }
    Ok(SUCCESS)
}

/// Refusals before anything changed are usage errors (exit 2); a move that
/// failed on the way, or left the old copy writable, failed its tenant (1).
fn failure(e: MoveError) -> Failure {
    let code = match e {
        MoveError::Directory(_)
        | MoveError::SameServer { .. }
        | MoveError::NotATenant { .. }
        | MoveError::TargetExists { .. }
        | MoveError::Connect { .. }
        | MoveError::CannotCopy { .. }
        | MoveError::OnlineUnavailable { .. } => super::super::output::USAGE,
        _ => TENANT_FAILED,
    };
    Failure {
        message: chain(&e),
        code,
    }
}

fn text(r: &MoveReport) -> String {
    let rows: u64 = r.tables.iter().map(|(_, n)| n).sum();
    let how = if r.online {
        "online".to_owned()
    } else {
        match &r.offline_reason {
            Some(why) => format!("offline ({why})"),
            None => "offline".to_owned(),
        }
    };
    let old = if r.source_dropped {
        format!("the old copy on {} was dropped", r.from)
    } else {
        format!(
            "the old copy on {} refuses writes (drop it with `ryx --url .. tenants drop {} --yes` when done)",
            r.from, r.tenant
        )
    };
    format!(
        "{}: moved from {} to {} {how}: {} tables, {rows} rows in {:.1?}, writes paused {:.1?}; the directory names {}; {old}",
        r.tenant,
        r.from,
        r.to,
        r.tables.len(),
        r.duration,
        r.write_pause,
        r.to
    )
}

fn json(r: &MoveReport) -> serde_json::Value {
    serde_json::json!({
        "schema": r.tenant,
        "from": r.from,
        "to": r.to,
        "online": r.online,
        "offline_reason": r.offline_reason,
        "tables": r.tables.iter().map(|(t, n)| serde_json::json!({"table": t, "rows": n})).collect::<Vec<_>>(),
        "ms": r.duration.as_millis(),
        "write_pause_ms": r.write_pause.as_millis(),
        "source_dropped": r.source_dropped,
    })
}
