//! Expansion of a validated `ryx_table!`: diesel's `table!`, the glue that lets
//! `SchemaScoped<table>` stand in diesel's type machinery, and the metadata.
//!
//! The glue names both the user's table and ryx's `SchemaScoped`, so it cannot
//! be a blanket impl in ryx (E0119/E0210): it is generated here, per table and
//! per column, the way diesel's `table!` generates it for `Only<table>`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::ast::TableDecl;
use crate::valid::{self, Table};

pub(crate) fn ryx_table(input: TokenStream) -> syn::Result<TokenStream> {
    let decl: TableDecl = syn::parse2(input)?;
    let table = valid::validate(decl)?;
    Ok(expand(&table))
}

fn expand(table: &Table) -> TokenStream {
    let ryx = quote!(::ryx::__private);
    let diesel = quote!(#ryx::diesel);
    let name = &table.decl.name;
    let uses = &table.decl.uses;
    let table_attrs = &table.attrs.passthrough;
    let primary_key = &table.primary_key;
    let column_decls = table
        .decl
        .columns
        .iter()
        .zip(&table.columns)
        .map(|(decl, col)| {
            let attrs = &col.attrs.passthrough;
            let col_name = &decl.name;
            let ty = &decl.ty;
            quote! { #(#attrs)* #col_name -> #ty, }
        });

    let scoped = quote!(#ryx::SchemaScoped<#name::table>);
    let column_glue = table.columns.iter().map(|col| {
        let col_name = &col.name;
        quote! {
            impl #diesel::query_source::AppearsInFromClause<#scoped> for #name::#col_name {
                type Count = #diesel::query_source::Once;
            }
            impl #diesel::SelectableExpression<#scoped> for #name::#col_name {}
        }
    });

    let sql_name = &table.sql_name;
    let pk_names: Vec<String> = table
        .primary_key
        .iter()
        .map(|key| {
            table
                .columns
                .iter()
                .find(|c| c.name == *key)
                .map_or_else(|| key.to_string(), |c| c.sql_name.clone())
        })
        .collect();
    let auto_increment = !table.attrs.no_auto_increment;
    let single_key_checks = table.columns.iter().filter_map(|col| {
        let (t, c) = col.attrs.references.as_ref()?;
        if c.is_some() {
            return None;
        }
        let message = format!(
            "`references = {t}` needs `{t}` to have a one-column primary key; \
             name the referenced column: `references = {t}(column)`"
        );
        Some(quote_spanned! {t.span()=>
            const _: () = ::core::assert!(
                <#t::table as #ryx::RyxTable>::PRIMARY_KEY.len() == 1,
                #message
            );
        })
    });
    let column_states = table.columns.iter().map(|col| {
        let col_sql = &col.sql_name;
        let variant = &col.column_type;
        let nullable = col.nullable;
        let default = match &col.attrs.default {
            Some(lit) => quote!(::core::option::Option::Some(#lit)),
            None => quote!(::core::option::Option::None),
        };
        let unique = col.attrs.unique;
        let index = col.attrs.index;
        let max_length = match col
            .attrs
            .max_length
            .as_ref()
            .and_then(|lit| lit.base10_parse::<u32>().ok())
        {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        // The referenced table is declared elsewhere: its SQL names come from
        // its own metadata (`RyxTable`) and diesel's `Column::NAME`.
        let references = match &col.attrs.references {
            Some((t, c)) => {
                let referenced = quote!(<#t::table as #ryx::RyxTable>);
                let column = match c {
                    Some(c) => quote!(<#t::#c as #diesel::Column>::NAME),
                    None => quote!(#referenced::PRIMARY_KEY[0]),
                };
                quote!(::core::option::Option::Some((#referenced::SQL_NAME, #column)))
            }
            None => quote!(::core::option::Option::None),
        };
        let actions = match (&col.attrs.on_delete, &col.attrs.on_update) {
            (None, None) => quote!(),
            (on_delete, on_update) => {
                let name = |a: &Option<crate::attr::FkAction>| match a {
                    Some(a) => {
                        let text = a.action.to_string();
                        quote!(::core::option::Option::Some(#text))
                    }
                    None => quote!(::core::option::Option::None),
                };
                let (d, u) = (name(on_delete), name(on_update));
                quote!(.__with_actions(#d, #u))
            }
        };
        quote! {
            #ryx::ColumnState::__new(
                #col_sql,
                #ryx::ColumnType::#variant,
                #nullable,
                #default,
                #unique,
                #index,
                #max_length,
                #references,
            )#actions
        }
    });
    let constraints = if table.indexes.is_empty() && table.checks.is_empty() {
        quote!()
    } else {
        let indexes = table
            .indexes
            .iter()
            .map(|(unique, cols)| quote!((&[#(#cols),*], #unique)));
        let checks = table.checks.iter().map(|(name, sql)| quote!((#name, #sql)));
        quote!(.__with_constraints(&[#(#indexes),*], &[#(#checks),*]))
    };

    quote! {
        #diesel::table! {
            #(#uses)*
            #(#table_attrs)*
            #name (#(#primary_key),*) {
                #(#column_decls)*
            }
        }

        const _: () = {
            impl #ryx::ScopableTable for #name::table {}

            impl #diesel::query_source::AppearsInFromClause<#scoped> for #name::table {
                type Count = #diesel::query_source::Once;
            }

            impl #diesel::query_source::AppearsInFromClause<#name::table> for #scoped {
                type Count = #diesel::query_source::Once;
            }

            #(#column_glue)*

            #(#single_key_checks)*

            impl #ryx::RyxTable for #name::table {
                const SQL_NAME: &'static str = #sql_name;
                const PRIMARY_KEY: &'static [&'static str] = &[#(#pk_names),*];

                fn table_state(&self) -> #ryx::TableState {
                    #ryx::TableState::__new(
                        <Self as #ryx::RyxTable>::SQL_NAME,
                        ::std::vec![#(#column_states),*],
                        <Self as #ryx::RyxTable>::PRIMARY_KEY,
                        #auto_increment,
                    )#constraints
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_to_diesel_table_and_glue() -> syn::Result<()> {
        let out = ryx_table(quote! {
            posts (id) {
                id -> Int8,
                #[ryx(index)]
                title -> Varchar,
            }
        })?
        .to_string();
        assert!(out.contains("diesel :: table !"), "{out}");
        assert!(out.contains("SchemaScoped < posts :: table >"), "{out}");
        assert!(out.contains("SelectableExpression < :: ryx :: __private :: SchemaScoped < posts :: table > > for posts :: title"), "{out}");
        // ryx's own attribute never reaches diesel
        assert!(!out.contains("# [ryx"), "{out}");
        assert!(out.contains("ColumnType :: Varchar"), "{out}");
        Ok(())
    }

    #[test]
    fn expands_constraints_and_actions() -> syn::Result<()> {
        let out = ryx_table(quote! {
            #[ryx(unique(a, b), check(name = "pos", sql = "a > 0"))]
            t (id) {
                id -> Int8,
                #[ryx(references = u, on_delete = cascade)]
                a -> Int8,
                b -> Text,
            }
        })?
        .to_string();
        assert!(
            out.contains(
                r#". __with_constraints (& [(& ["a" , "b"] , true)] , & [("pos" , "a > 0")])"#
            ),
            "{out}"
        );
        assert!(out.contains(r#". __with_actions (:: core :: option :: Option :: Some ("cascade") , :: core :: option :: Option :: None)"#), "{out}");
        Ok(())
    }

    #[test]
    fn errors_come_back_as_syn_errors() {
        assert!(ryx_table(quote!(posts { id -> Foo })).is_err());
    }
}
