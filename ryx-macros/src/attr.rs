//! Attributes of a `ryx_table!` declaration: `#[ryx(..)]` (read and removed)
//! and diesel's own `#[sql_name = ".."]` / `#[max_length = N]` (read and kept).

use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitInt, LitStr, Token};

const COLUMN_KEYS: &str = "`default = \"sql\"`, `unique`, `index`, `max_length = N`, `references = table` or `references = table(column)`, `on_delete = action`, `on_update = action`";
const TABLE_KEYS: &str =
    "`unique(a, b)`, `index(a, b)`, `check(name = \"..\", sql = \"..\")`, `no_auto_increment`";
/// The foreign-key actions, as written and as `ReferentialAction` names them.
pub(crate) const ACTIONS: &[&str] = &[
    "cascade",
    "restrict",
    "set_null",
    "set_default",
    "no_action",
];

/// `on_delete = cascade`: the key (for spans) and the action.
pub(crate) struct FkAction {
    pub(crate) key: syn::Path,
    pub(crate) action: Ident,
}

/// `unique(a, b)` / `index(a, b)` on the table.
pub(crate) struct ColumnList {
    pub(crate) key: syn::Path,
    pub(crate) unique: bool,
    pub(crate) columns: Punctuated<Ident, Token![,]>,
}

/// `check(name = "..", sql = "..")` on the table.
pub(crate) struct Check {
    pub(crate) name: LitStr,
    pub(crate) sql: LitStr,
}

/// `#[ryx(..)]` and diesel attributes of a column.
#[derive(Default)]
pub(crate) struct ColumnAttrs {
    pub(crate) sql_name: Option<LitStr>,
    pub(crate) default: Option<LitStr>,
    pub(crate) unique: bool,
    pub(crate) index: bool,
    pub(crate) max_length: Option<LitInt>,
    pub(crate) references: Option<(Ident, Option<Ident>)>,
    pub(crate) on_delete: Option<FkAction>,
    pub(crate) on_update: Option<FkAction>,
    /// The attributes handed on to diesel's `table!`.
    pub(crate) passthrough: Vec<Attribute>,
}

/// `#[ryx(..)]` and diesel attributes of the table.
#[derive(Default)]
pub(crate) struct TableAttrs {
    pub(crate) sql_name: Option<LitStr>,
    pub(crate) no_auto_increment: bool,
    /// `unique(..)` and `index(..)`, in declaration order.
    pub(crate) indexes: Vec<ColumnList>,
    pub(crate) checks: Vec<Check>,
    pub(crate) passthrough: Vec<Attribute>,
}

fn read_action(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<FkAction> {
    let key = meta.path.clone();
    let name = path_name(&key);
    let action: Ident = meta.value()?.parse().map_err(|_| {
        meta.error(format!(
            "`{name}` takes an action: `{name} = cascade` (one of {})",
            ACTIONS.join(", ")
        ))
    })?;
    if !ACTIONS.iter().any(|a| action == a) {
        return Err(syn::Error::new_spanned(
            &action,
            format!(
                "unknown foreign-key action `{action}`; expected one of {}",
                ACTIONS.join(", ")
            ),
        ));
    }
    Ok(FkAction { key, action })
}

fn read_column_list(
    meta: &syn::meta::ParseNestedMeta<'_>,
    unique: bool,
) -> syn::Result<ColumnList> {
    let key = meta.path.clone();
    let name = path_name(&key);
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!(
            "`{name}` on a table takes two or more columns: `#[ryx({name}(a, b))]`; \
             for one column put `#[ryx({name})]` on the column"
        )));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let columns = content.parse_terminated(<Ident as syn::parse::Parse>::parse, Token![,])?;
    Ok(ColumnList {
        key,
        unique,
        columns,
    })
}

fn read_check(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Check> {
    let key = meta.path.clone();
    let usage = "`check` takes a name and a condition: `check(name = \"positive_views\", sql = \"views >= 0\")`";
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(usage));
    }
    let mut name: Option<LitStr> = None;
    let mut sql: Option<LitStr> = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("name") {
            let lit: LitStr = inner.value()?.parse().map_err(|_| inner.error(usage))?;
            set_once(&mut name, lit, &inner.path)
        } else if inner.path.is_ident("sql") {
            let lit: LitStr = inner.value()?.parse().map_err(|_| inner.error(usage))?;
            set_once(&mut sql, lit, &inner.path)
        } else {
            Err(inner.error(format!(
                "unknown `check` key `{}`; {usage}",
                path_name(&inner.path)
            )))
        }
    })?;
    match (name, sql) {
        (Some(name), Some(sql)) => Ok(Check { name, sql }),
        (None, _) => Err(syn::Error::new_spanned(
            &key,
            format!("`check` needs a `name`; {usage}"),
        )),
        (_, None) => Err(syn::Error::new_spanned(
            &key,
            format!("`check` needs `sql`; {usage}"),
        )),
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, path: &syn::Path) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new_spanned(
            path,
            format!("duplicate `{}` attribute", path_name(path)),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn set_flag(slot: &mut bool, path: &syn::Path) -> syn::Result<()> {
    if *slot {
        return Err(syn::Error::new_spanned(
            path,
            format!("duplicate `{}` attribute", path_name(path)),
        ));
    }
    *slot = true;
    Ok(())
}

fn path_name(path: &syn::Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}

/// Reads `#[sql_name = ".."]`, the one diesel attribute ryx needs to know of on
/// both tables and columns.
fn read_sql_name(attr: &Attribute, slot: &mut Option<LitStr>) -> syn::Result<bool> {
    if !attr.path().is_ident("sql_name") {
        return Ok(false);
    }
    let value: LitStr = match &attr.meta {
        syn::Meta::NameValue(nv) => syn::parse2(quote::ToTokens::to_token_stream(&nv.value))
            .map_err(|_| {
                syn::Error::new_spanned(
                    &nv.value,
                    "`sql_name` takes a string: `#[sql_name = \"name\"]`",
                )
            })?,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "`sql_name` takes a string: `#[sql_name = \"name\"]`",
            ))
        }
    };
    set_once(slot, value, attr.path())?;
    Ok(true)
}

impl ColumnAttrs {
    pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = ColumnAttrs::default();
        for attr in attrs {
            if attr.path().is_ident("ryx") {
                attr.parse_nested_meta(|meta| {
                    let path = &meta.path;
                    if path.is_ident("default") {
                        let lit: LitStr = meta.value()?.parse().map_err(|_| {
                            meta.error("`default` takes the default as SQL text in a string: `default = \"0\"`")
                        })?;
                        set_once(&mut out.default, lit, path)
                    } else if path.is_ident("unique") {
                        set_flag(&mut out.unique, path)
                    } else if path.is_ident("index") {
                        set_flag(&mut out.index, path)
                    } else if path.is_ident("max_length") {
                        let lit: LitInt = meta.value()?.parse().map_err(|_| {
                            meta.error("`max_length` takes a whole number: `max_length = 255`")
                        })?;
                        set_once(&mut out.max_length, lit, path)
                    } else if path.is_ident("references") {
                        let input = meta.value()?;
                        let table: Ident = input.parse().map_err(|_| {
                            meta.error("`references` takes a table: `references = authors` or `references = authors(id)`")
                        })?;
                        let column = if input.peek(syn::token::Paren) {
                            let content;
                            syn::parenthesized!(content in input);
                            Some(content.parse::<Ident>()?)
                        } else {
                            None
                        };
                        set_once(&mut out.references, (table, column), path)
                    } else if path.is_ident("on_delete") {
                        let action = read_action(&meta)?;
                        set_once(&mut out.on_delete, action, path)
                    } else if path.is_ident("on_update") {
                        let action = read_action(&meta)?;
                        set_once(&mut out.on_update, action, path)
                    } else {
                        Err(meta.error(format!(
                            "unknown ryx column attribute `{}`; expected one of {COLUMN_KEYS}",
                            path_name(path)
                        )))
                    }
                })?;
            } else if attr.path().is_ident("max_length") {
                // diesel's own spelling: keep it for diesel and read the value.
                let lit: LitInt = match &attr.meta {
                    syn::Meta::NameValue(nv) => {
                        syn::parse2(quote::ToTokens::to_token_stream(&nv.value)).map_err(|_| {
                            syn::Error::new_spanned(
                                &nv.value,
                                "`max_length` takes a whole number: `#[max_length = 255]`",
                            )
                        })?
                    }
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            "`max_length` takes a whole number: `#[max_length = 255]`",
                        ))
                    }
                };
                set_once(&mut out.max_length, lit, attr.path())?;
                out.passthrough.push(attr.clone());
            } else {
                read_sql_name(attr, &mut out.sql_name)?;
                out.passthrough.push(attr.clone());
            }
        }
        Ok(out)
    }
}

impl TableAttrs {
    pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = TableAttrs::default();
        for attr in attrs {
            if attr.path().is_ident("ryx") {
                attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("no_auto_increment") {
                        set_flag(&mut out.no_auto_increment, &meta.path)
                    } else if meta.path.is_ident("unique") {
                        out.indexes.push(read_column_list(&meta, true)?);
                        Ok(())
                    } else if meta.path.is_ident("index") {
                        out.indexes.push(read_column_list(&meta, false)?);
                        Ok(())
                    } else if meta.path.is_ident("check") {
                        out.checks.push(read_check(&meta)?);
                        Ok(())
                    } else {
                        Err(meta.error(format!(
                            "unknown ryx table attribute `{}`; expected {TABLE_KEYS} (column attributes go on the column)",
                            path_name(&meta.path)
                        )))
                    }
                })?;
            } else {
                read_sql_name(attr, &mut out.sql_name)?;
                out.passthrough.push(attr.clone());
            }
        }
        Ok(out)
    }
}
