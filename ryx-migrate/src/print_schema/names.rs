//! Rust names for SQL names, and the model names of check constraints.

use std::collections::BTreeSet;

/// Rust's keywords (strict and reserved, every edition): a table or column
/// of that name is declared as `name_` with `#[sql_name = "name"]`, as
/// diesel's print-schema does.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Whether `name` can be written as it is: an ASCII identifier, not a keyword.
pub(super) fn is_plain_ident(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && name != "_"
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name)
}

/// A Rust identifier for the SQL name `sql`: itself when it is one, else its
/// letters (lowercase) and digits with `_` for the rest, `_`-prefixed before
/// a digit, with `_` appended to a keyword.
fn ident(sql: &str) -> String {
    if is_plain_ident(sql) {
        return sql.to_owned();
    }
    let mut out: String = sql
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    if out == "_" || KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Rust identifiers for `names`, in order, distinct from one another and
/// from `taken` (a column may not share its table's name): a clash gets `_`
/// appended until it is unique.
pub(super) fn unique_idents<'a>(
    names: impl Iterator<Item = &'a str>,
    taken: Option<&str>,
) -> Vec<String> {
    let mut used: BTreeSet<String> = taken.map(str::to_owned).into_iter().collect();
    names
        .map(|sql| {
            let mut name = ident(sql);
            while used.contains(&name) {
                name.push('_');
            }
            used.insert(name.clone());
            name
        })
        .collect()
}

/// The `name` of `check(name = .., ..)` that gives the live constraint
/// `constraint` of `table`: the one ryx hashed into it
/// (`<table>_<name>_<hash>_check`), else PostgreSQL's own naming's middle
/// (`<table>_<name>_check`), else the constraint's name; as letters, digits
/// and `_`, the characters a check's name may hold.
pub(super) fn check_model_name(table: &str, constraint: &str) -> String {
    let ryx_made = constraint
        .strip_prefix(table)
        .and_then(|rest| rest.strip_prefix('_'))
        .and_then(|rest| rest.strip_suffix("_check"))
        .and_then(|rest| rest.rsplit_once('_'))
        .map(|(name, _hash)| name)
        .filter(|name| crate::ddl::check_name(table, name) == constraint);
    let pg_made = constraint
        .strip_prefix(table)
        .and_then(|rest| rest.strip_prefix('_'))
        .and_then(|rest| rest.strip_suffix("_check"))
        .filter(|name| !name.is_empty());
    let name = ryx_made.or(pg_made).unwrap_or(constraint);
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() {
        out.push_str("check");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_names_become_identifiers() {
        assert_eq!(ident("posts"), "posts");
        assert_eq!(ident("type"), "type_");
        assert_eq!(ident("Blog Posts"), "blog_posts");
        assert_eq!(ident("Posts"), "Posts");
        assert_eq!(ident("1st"), "_1st");
        assert_eq!(ident("_"), "__");
        assert_eq!(ident("é"), "__");
        assert_eq!(
            unique_idents(["a b", "a-b", "posts"].into_iter(), Some("posts")),
            ["a_b", "a_b_", "posts_"]
        );
    }

    #[test]
    fn check_names_come_back_from_ryx_postgres_or_as_they_are() {
        let ryx = crate::ddl::check_name("posts", "positive_views");
        assert_eq!(check_model_name("posts", &ryx), "positive_views");
        assert_eq!(check_model_name("posts", "posts_views_check"), "views");
        assert_eq!(check_model_name("posts", "views must-be"), "views_must_be");
    }
}
