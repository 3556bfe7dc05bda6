//! Changing the directory file: a tenant's `[tenants]` entry, rewritten in
//! place with everything else (comments, order, layout) kept as written.

use std::io::Write as _;
use std::path::Path;

use super::config::DirectoryConfig;
use super::error::DirectoryError;

/// Points `tenant` at `server` in the directory file at `path`: its
/// `[tenants]` entry is set (added if missing, the table too), the rest of
/// the file stays as written. The new file is checked as a directory (the
/// server must exist) before it replaces the old one, atomically: a temporary
/// file in the same folder, then a rename. Running services see the change
/// when they load the file again.
pub fn assign_tenant(
    path: impl AsRef<Path>,
    tenant: &str,
    server: &str,
) -> Result<(), DirectoryError> {
    let path = path.as_ref();
    let origin = path.display().to_string();
    let read = |source| DirectoryError::Read {
        path: origin.clone(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(read)?;
    let new_text = assigned(&text, &origin, tenant, server)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(read)?;
    file.write_all(new_text.as_bytes()).map_err(read)?;
    file.as_file().sync_all().map_err(read)?;
    if let Ok(meta) = std::fs::metadata(path) {
        // keep the file's permissions (it may hold no secret, or may)
        let _ = std::fs::set_permissions(file.path(), meta.permissions());
    }
    file.persist(path).map_err(|e| read(e.error))?;
    Ok(())
}

/// The file's text with `tenant = "server"` under `[tenants]`, checked.
pub(super) fn assigned(
    text: &str,
    origin: &str,
    tenant: &str,
    server: &str,
) -> Result<String, DirectoryError> {
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| DirectoryError::Format {
                origin: origin.to_owned(),
                message: super::error::one_line(&e.to_string()),
            })?;
    let invalid = |message: String| DirectoryError::Invalid {
        origin: origin.to_owned(),
        message,
    };
    let tenants = doc
        .entry("tenants")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    let Some(tenants) = tenants.as_table_like_mut() else {
        return Err(invalid("`tenants` is not a table".to_owned()));
    };
    match tenants.get_mut(tenant) {
        // the entry as written: its key, spacing and trailing comment stay
        Some(toml_edit::Item::Value(value)) => {
            let decor = value.decor().clone();
            *value = toml_edit::Value::from(server);
            *value.decor_mut() = decor;
        }
        _ => {
            tenants.insert(tenant, toml_edit::value(server));
        }
    }
    let new_text = doc.to_string();
    // the same checks as loading it, with no environment needed
    let config = DirectoryConfig::parse(&new_text, origin, |_| Some("unchecked".to_owned()))?;
    if config.server_of(tenant).map(|s| s.name()) != Some(server) {
        return Err(invalid(format!("could not point `{tenant}` at `{server}`")));
    }
    Ok(new_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# where tenants live\n[servers.main]\nurl = \"postgres://h1/app\" # the first\n\n[servers.eu]\nurl_env = \"EU\"\n\n[tenants]\nacme = \"main\" # since 2024\nglobex = \"main\"\n\"odd name\" = \"main\"  # kept\n";

    #[test]
    fn an_entry_changes_and_everything_else_stays() -> Result<(), DirectoryError> {
        let text = assigned(FILE, "ryx.toml", "globex", "eu")?;
        assert_eq!(text, FILE.replace("globex = \"main\"", "globex = \"eu\""));
        let text = assigned(FILE, "ryx.toml", "odd name", "eu")?;
        assert_eq!(
            text,
            FILE.replace("\"odd name\" = \"main\"", "\"odd name\" = \"eu\"")
        );
        let text = assigned(FILE, "ryx.toml", "acme", "eu")?;
        assert!(text.contains("acme = \"eu\" # since 2024\n"), "{text}");
        let text = assigned(FILE, "ryx.toml", "initech", "eu")?;
        assert!(
            text.starts_with(FILE) && text.ends_with("initech = \"eu\"\n"),
            "{text}"
        );
        let no_table = "[servers.main]\nurl = \"postgres://h1/app\"\n";
        let text = assigned(no_table, "ryx.toml", "acme", "main")?;
        assert!(text.contains("[tenants]\nacme = \"main\""), "{text}");
        Ok(())
    }

    #[test]
    fn an_unknown_server_leaves_the_file_alone() {
        let e = assigned(FILE, "ryx.toml", "acme", "mars")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("the server `mars`, which is not under [servers]")),
            "{e:?}"
        );
    }
}
