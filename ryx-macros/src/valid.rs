//! The rules of a `ryx_table!` declaration, each an error that points at the
//! mistake and quotes what the user wrote.

use std::collections::HashSet;

use syn::ext::IdentExt;
use syn::{GenericArgument, Ident, PathArguments, TypePath};

use crate::ast::TableDecl;
use crate::attr::{ColumnAttrs, TableAttrs};

/// The SQL types `ryx_table!` knows, by the names diesel uses, mapped to the
/// `ColumnType` variant the metadata carries.
const SQL_TYPES: &[(&str, &str)] = &[
    ("Int2", "SmallInt"),
    ("SmallInt", "SmallInt"),
    ("Smallint", "SmallInt"),
    ("Int4", "Integer"),
    ("Integer", "Integer"),
    ("Int8", "BigInt"),
    ("BigInt", "BigInt"),
    ("Bigint", "BigInt"),
    ("Text", "Text"),
    ("Varchar", "Varchar"),
    ("VarChar", "Varchar"),
    ("Bool", "Bool"),
    ("Float4", "Float"),
    ("Float", "Float"),
    ("Float8", "Double"),
    ("Double", "Double"),
    ("Numeric", "Numeric"),
    ("Decimal", "Numeric"),
    ("Date", "Date"),
    ("Time", "Time"),
    ("Timestamp", "Timestamp"),
    ("Timestamptz", "Timestamptz"),
    ("Uuid", "Uuid"),
    ("Json", "Json"),
    ("Jsonb", "Jsonb"),
    ("Binary", "Binary"),
    ("Bytea", "Binary"),
    ("Blob", "Binary"),
];

/// A validated table.
pub(crate) struct Table {
    pub(crate) decl: TableDecl,
    pub(crate) attrs: TableAttrs,
    pub(crate) sql_name: String,
    /// The primary key columns (the declared ones, or `id`).
    pub(crate) primary_key: Vec<Ident>,
    pub(crate) columns: Vec<Column>,
    /// Table-level `unique(..)` (true) and `index(..)`: the columns' SQL names.
    pub(crate) indexes: Vec<(bool, Vec<String>)>,
    /// `check(name = .., sql = ..)`: the name and the condition.
    pub(crate) checks: Vec<(String, String)>,
}

/// A validated column.
pub(crate) struct Column {
    pub(crate) name: Ident,
    pub(crate) sql_name: String,
    /// The `ColumnType` variant.
    pub(crate) column_type: Ident,
    pub(crate) nullable: bool,
    pub(crate) attrs: ColumnAttrs,
}

pub(crate) fn validate(decl: TableDecl) -> syn::Result<Table> {
    if let Some(schema) = &decl.schema {
        return Err(syn::Error::new_spanned(
            schema,
            format!(
                "`{schema}.{}`: a ryx table has no static schema; declare it without `{schema}.` \
                 and choose the schema per statement with `.in_schema(\"{schema}\")`",
                decl.name
            ),
        ));
    }
    let attrs = TableAttrs::parse(&decl.attrs)?;
    let sql_name = attrs
        .sql_name
        .as_ref()
        .map(syn::LitStr::value)
        // diesel's SQL name of `r#type` is `type`
        .unwrap_or_else(|| decl.name.unraw().to_string());

    if decl.columns.is_empty() {
        return Err(syn::Error::new_spanned(
            &decl.name,
            format!("table `{}` declares no columns", decl.name),
        ));
    }

    let mut seen = HashSet::new();
    let mut columns = Vec::with_capacity(decl.columns.len());
    for col in &decl.columns {
        if !seen.insert(col.name.to_string()) {
            return Err(syn::Error::new_spanned(
                &col.name,
                format!("duplicate column `{}` in table `{}`", col.name, decl.name),
            ));
        }
        if col.name == decl.name {
            return Err(syn::Error::new_spanned(
                &col.name,
                format!(
                    "column `{0}` has the same name as its table; rename the Rust name and keep \
                     the SQL name with `#[sql_name = \"{0}\"] {0}_ -> ..`",
                    col.name
                ),
            ));
        }
        let attrs = ColumnAttrs::parse(&col.attrs)?;
        let (column_type, nullable) = sql_type(&col.ty)?;
        if let Some(max) = &attrs.max_length {
            if column_type != "Varchar" && column_type != "Text" {
                return Err(syn::Error::new_spanned(
                    max,
                    format!(
                        "`max_length` applies to `Varchar` and `Text` columns, but `{}` is `{}`",
                        col.name,
                        type_text(&col.ty)
                    ),
                ));
            }
            max.base10_parse::<u32>().map_err(|_| {
                syn::Error::new_spanned(
                    max,
                    "`max_length` must be a positive whole number that fits in 32 bits",
                )
            })?;
        }
        let sql_name = attrs
            .sql_name
            .as_ref()
            .map(syn::LitStr::value)
            .unwrap_or_else(|| col.name.unraw().to_string());
        columns.push(Column {
            name: col.name.clone(),
            sql_name,
            column_type: Ident::new(
                column_type,
                col.ty
                    .path
                    .segments
                    .last()
                    .map_or_else(proc_macro2::Span::call_site, |s| s.ident.span()),
            ),
            nullable,
            attrs,
        });
    }

    let primary_key: Vec<Ident> = match &decl.primary_key {
        Some(keys) => {
            if keys.is_empty() {
                return Err(syn::Error::new_spanned(
                    &decl.name,
                    format!("table `{}` declares an empty primary key `()`", decl.name),
                ));
            }
            let mut seen_pk = HashSet::new();
            for key in keys {
                if !seen.contains(&key.to_string()) {
                    return Err(syn::Error::new_spanned(
                        key,
                        format!(
                            "primary key `{key}` is not a column of `{}`; declare it among the columns or fix the name",
                            decl.name
                        ),
                    ));
                }
                if !seen_pk.insert(key.to_string()) {
                    return Err(syn::Error::new_spanned(
                        key,
                        format!("`{key}` is listed twice in the primary key"),
                    ));
                }
            }
            keys.iter().cloned().collect()
        }
        None => {
            let id = decl.columns.iter().find(|c| c.name == "id").ok_or_else(|| {
                syn::Error::new_spanned(
                    &decl.name,
                    format!(
                        "table `{0}` has no `id` column and no primary key: declare one, e.g. `{0} ({1}) {{ .. }}`",
                        decl.name,
                        decl.columns.first().map_or_else(|| "id".to_owned(), |c| c.name.to_string())
                    ),
                )
            })?;
            vec![id.name.clone()]
        }
    };
    for key in &primary_key {
        if let Some(col) = columns.iter().find(|c| c.name == *key) {
            if col.nullable {
                return Err(syn::Error::new_spanned(
                    key,
                    format!("primary key column `{key}` cannot be `Nullable`"),
                ));
            }
        }
    }

    for col in &columns {
        foreign_key_actions(col)?;
    }
    let indexes = table_indexes(&decl.name, &attrs, &columns)?;
    let checks = checks(&attrs)?;

    Ok(Table {
        decl,
        attrs,
        sql_name,
        primary_key,
        columns,
        indexes,
        checks,
    })
}

/// `on_delete` / `on_update`: only with `references`, and `set_null` only on
/// a `Nullable` column (`set_default` only where there is a default or NULL).
fn foreign_key_actions(col: &Column) -> syn::Result<()> {
    for fk in [&col.attrs.on_delete, &col.attrs.on_update]
        .into_iter()
        .flatten()
    {
        let key = fk
            .key
            .get_ident()
            .map_or_else(String::new, Ident::to_string);
        if col.attrs.references.is_none() {
            return Err(syn::Error::new_spanned(
                &fk.key,
                format!(
                    "`{key}` on `{}`, which has no foreign key: add `references = table` to the same `#[ryx(..)]`",
                    col.name
                ),
            ));
        }
        if fk.action == "set_null" && !col.nullable {
            return Err(syn::Error::new_spanned(
                &fk.action,
                format!(
                    "`{key} = set_null` on `{}`, which is not `Nullable`: make the column `Nullable<..>` or choose another action",
                    col.name
                ),
            ));
        }
        if fk.action == "set_default" && !col.nullable && col.attrs.default.is_none() {
            return Err(syn::Error::new_spanned(
                &fk.action,
                format!(
                    "`{key} = set_default` on `{}`, which is not `Nullable` and has no default: add `default = \"..\"`",
                    col.name
                ),
            ));
        }
    }
    Ok(())
}

/// Table-level `unique(..)` / `index(..)`: two or more distinct columns of
/// the table, each list declared once.
fn table_indexes(
    table: &Ident,
    attrs: &TableAttrs,
    columns: &[Column],
) -> syn::Result<Vec<(bool, Vec<String>)>> {
    let mut out: Vec<(bool, Vec<String>)> = Vec::new();
    for list in &attrs.indexes {
        let kind = if list.unique { "unique" } else { "index" };
        if list.columns.is_empty() {
            return Err(syn::Error::new_spanned(
                &list.key,
                format!("`{kind}()` lists no columns: `{kind}(a, b)`"),
            ));
        }
        let mut names = Vec::with_capacity(list.columns.len());
        let mut seen = HashSet::new();
        for ident in &list.columns {
            let col = columns
                .iter()
                .find(|c| c.name.unraw() == ident.unraw())
                .ok_or_else(|| {
                    syn::Error::new_spanned(
                        ident,
                        format!("`{ident}` in `{kind}(..)` is not a column of `{table}`"),
                    )
                })?;
            if !seen.insert(ident.unraw().to_string()) {
                return Err(syn::Error::new_spanned(
                    ident,
                    format!("`{ident}` is listed twice in `{kind}(..)`"),
                ));
            }
            names.push(col.sql_name.clone());
        }
        if let (1, Some(ident)) = (names.len(), list.columns.first()) {
            return Err(syn::Error::new_spanned(
                &list.key,
                format!(
                    "`{kind}({ident})` names one column: put `#[ryx({kind})]` on the column `{ident}`"
                ),
            ));
        }
        if out
            .iter()
            .any(|(u, cols)| *u == list.unique && *cols == names)
        {
            let listed: Vec<String> = list.columns.iter().map(ToString::to_string).collect();
            return Err(syn::Error::new_spanned(
                &list.key,
                format!("duplicate `{kind}({})` on `{table}`", listed.join(", ")),
            ));
        }
        out.push((list.unique, names));
    }
    Ok(out)
}

/// `check(name = .., sql = ..)`: a name of letters, digits and `_`, unique on
/// the table, and a condition.
fn checks(attrs: &TableAttrs) -> syn::Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for check in &attrs.checks {
        let name = check.name.value();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(syn::Error::new_spanned(
                &check.name,
                format!("check name `{name}`: use letters, digits and `_`, e.g. `positive_views`"),
            ));
        }
        let sql = check.sql.value();
        if sql.trim().is_empty() {
            return Err(syn::Error::new_spanned(
                &check.sql,
                format!("check `{name}` has an empty condition: `sql = \"views >= 0\"`"),
            ));
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(syn::Error::new_spanned(
                &check.name,
                format!("duplicate check `{name}`"),
            ));
        }
        out.push((name, sql));
    }
    Ok(out)
}

fn type_text(ty: &TypePath) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(' ', "")
}

/// The `ColumnType` variant of a declared type, and whether it is `Nullable`.
fn sql_type(ty: &TypePath) -> syn::Result<(&'static str, bool)> {
    let unknown = || {
        let names: Vec<&str> = SQL_TYPES.iter().map(|(n, _)| *n).collect();
        syn::Error::new_spanned(
            ty,
            format!(
                "unknown SQL type `{}`; ryx_table! supports {} and `Nullable<..>` of them",
                type_text(ty),
                names.join(", ")
            ),
        )
    };
    let last = ty.path.segments.last().ok_or_else(unknown)?;
    if last.ident == "Nullable" {
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return Err(syn::Error::new_spanned(
                ty,
                "`Nullable` takes one type: `Nullable<Int4>`",
            ));
        };
        let mut types = args.args.iter();
        match (types.next(), types.next()) {
            (Some(GenericArgument::Type(syn::Type::Path(inner))), None) => {
                let (name, nullable) = sql_type(inner)?;
                if nullable {
                    return Err(syn::Error::new_spanned(
                        ty,
                        "`Nullable<Nullable<..>>`: a column is nullable once",
                    ));
                }
                Ok((name, true))
            }
            _ => Err(syn::Error::new_spanned(
                ty,
                "`Nullable` takes one type: `Nullable<Int4>`",
            )),
        }
    } else {
        if !matches!(last.arguments, PathArguments::None) {
            return Err(unknown());
        }
        SQL_TYPES
            .iter()
            .find(|(n, _)| last.ident == n)
            .map(|(_, variant)| (*variant, false))
            .ok_or_else(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> syn::Result<Table> {
        validate(syn::parse_str(src)?)
    }

    fn err(src: &str) -> String {
        match check(src) {
            Ok(_) => String::from("<no error>"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn maps_types_and_nullability() -> syn::Result<()> {
        let t = check(
            "t (id) { id -> Int8, n -> Nullable<Varchar>, d -> diesel::sql_types::Timestamptz }",
        )?;
        assert_eq!(t.columns[0].column_type, "BigInt");
        assert!(!t.columns[0].nullable);
        assert_eq!(t.columns[1].column_type, "Varchar");
        assert!(t.columns[1].nullable);
        assert_eq!(t.columns[2].column_type, "Timestamptz");
        Ok(())
    }

    #[test]
    fn primary_key_defaults_to_id() -> syn::Result<()> {
        let t = check("t { id -> Int4, x -> Text }")?;
        assert_eq!(t.primary_key.len(), 1);
        assert_eq!(t.primary_key[0], "id");
        Ok(())
    }

    #[test]
    fn rules_are_errors_that_quote_the_input() {
        assert!(err("t { id -> Foo }").contains("unknown SQL type `Foo`"));
        assert!(err("t { id -> Int4, id -> Int4 }").contains("duplicate column `id`"));
        assert!(err("t (key) { id -> Int4 }").contains("primary key `key` is not a column"));
        assert!(err("t { x -> Int4 }").contains("no `id` column"));
        assert!(err("s.t { id -> Int4 }").contains("no static schema"));
        assert!(err("t { id -> Int4, #[ryx(bogus)] x -> Int4 }")
            .contains("unknown ryx column attribute `bogus`"));
        assert!(err("t { id -> Int4, #[ryx(max_length = 3)] x -> Int4 }")
            .contains("applies to `Varchar`"));
        assert!(err("t { id -> Int4, #[ryx(unique, unique)] x -> Int4 }")
            .contains("duplicate `unique`"));
        assert!(err("t { id -> Nullable<Int4> }").contains("cannot be `Nullable`"));
        assert!(err("#[ryx(index)] t { id -> Int4 }")
            .contains("`index` on a table takes two or more columns"));
        assert!(
            err("#[ryx(bogus)] t { id -> Int4 }").contains("unknown ryx table attribute `bogus`")
        );
    }

    #[test]
    fn constraint_rules() {
        let t = "{ id -> Int4, a -> Int4, b -> Nullable<Int4> }";
        let e = |attr: &str| err(&format!("#[ryx({attr})] t {t}"));
        assert!(e("unique(a, zz)").contains("`zz` in `unique(..)` is not a column of `t`"));
        assert!(e("index()").contains("`index()` lists no columns"));
        assert!(e("unique(a)").contains("names one column"));
        assert!(e("unique(a, a)").contains("listed twice"));
        assert!(err(&format!("#[ryx(unique(a, b), unique(a, b))] t {t}"))
            .contains("duplicate `unique(a, b)`"));
        assert!(e("check(name = \"x y\", sql = \"a > 0\")").contains("letters, digits"));
        assert!(e("check(name = \"x\", sql = \" \")").contains("empty condition"));
        assert!(e("check(name = \"x\")").contains("needs `sql`"));
        assert!(err(&format!("#[ryx(check(name = \"x\", sql = \"a > 0\"), check(name = \"x\", sql = \"a > 1\"))] t {t}"))
            .contains("duplicate check `x`"));
        let c =
            |attrs: &str, ty: &str| err(&format!("t {{ id -> Int4, #[ryx({attrs})] a -> {ty} }}"));
        assert!(c("references = u, on_delete = explode", "Int4")
            .contains("unknown foreign-key action `explode`"));
        assert!(c("on_delete = cascade", "Int4").contains("has no foreign key"));
        assert!(c("references = u, on_delete = set_null", "Int4").contains("not `Nullable`"));
        assert!(c("references = u, on_update = set_default", "Int4").contains("no default"));
        assert!(c(
            "references = u, on_delete = cascade, on_delete = restrict",
            "Int4"
        )
        .contains("duplicate `on_delete`"));
    }

    #[test]
    fn reads_constraints() -> syn::Result<()> {
        let t = check(
            "#[ryx(unique(a, r#type), index(r#type, a))] #[ryx(check(name = \"pos\", sql = \"a >= 0\"))] \
             t { id -> Int4, #[ryx(references = u, on_delete = set_null, on_update = cascade)] a -> Nullable<Int4>, r#type -> Text }",
        )?;
        assert_eq!(
            t.indexes,
            [
                (true, vec!["a".to_owned(), "type".to_owned()]),
                (false, vec!["type".to_owned(), "a".to_owned()])
            ]
        );
        assert_eq!(t.checks, [("pos".to_owned(), "a >= 0".to_owned())]);
        assert!(t.columns[1]
            .attrs
            .on_delete
            .as_ref()
            .is_some_and(|a| a.action == "set_null"));
        Ok(())
    }

    #[test]
    fn reads_ryx_and_diesel_attributes() -> syn::Result<()> {
        let t = check(
            "#[sql_name = \"Posts\"] t { id -> Int4, \
             #[ryx(default = \"0\", unique, index, references = authors(id))] #[sql_name = \"a_id\"] a -> Int4, \
             #[max_length = 20] s -> Varchar }",
        )?;
        assert_eq!(t.sql_name, "Posts");
        let a = &t.columns[1];
        assert_eq!(a.sql_name, "a_id");
        assert!(a.attrs.unique && a.attrs.index);
        assert_eq!(
            a.attrs.default.as_ref().map(syn::LitStr::value).as_deref(),
            Some("0")
        );
        assert!(a.attrs.references.is_some());
        assert!(t.columns[2].attrs.max_length.is_some());
        // the diesel attributes stay for diesel's table!, the ryx one is removed
        assert_eq!(a.attrs.passthrough.len(), 1);
        assert_eq!(t.columns[2].attrs.passthrough.len(), 1);
        Ok(())
    }
    #[test]
    fn raw_identifiers_keep_their_rust_name_and_lose_r_hash_in_sql() -> syn::Result<()> {
        let t = check("r#struct { id -> Int4, r#type -> Text }")?;
        assert_eq!(t.sql_name, "struct");
        assert_eq!(t.columns[1].sql_name, "type");
        assert_eq!(t.columns[1].name.to_string(), "r#type");
        Ok(())
    }
}
