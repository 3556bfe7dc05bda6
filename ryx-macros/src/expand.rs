//! Expansion of a validated `ryx_table!`: diesel's `table!`, the glue that lets
//! `SchemaScoped<table>` stand in diesel's type machinery, and the metadata.
//!
//! The glue names both the user's table and ryx's `SchemaScoped`, so it cannot
//! be a blanket impl in ryx (E0119/E0210): it is generated here, per table and
//! per column, the way diesel's `table!` generates it for `Only<table>`.

use proc_macro2::TokenStream;
use quote::quote;

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
        let references = match &col.attrs.references {
            Some((t, c)) => {
                let t = t.to_string();
                let c = c
                    .as_ref()
                    .map_or_else(|| "id".to_owned(), ToString::to_string);
                quote!(::core::option::Option::Some((#t, #c)))
            }
            None => quote!(::core::option::Option::None),
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
            )
        }
    });

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

            impl #ryx::RyxTable for #name::table {
                fn table_state(&self) -> #ryx::TableState {
                    #ryx::TableState::__new(
                        #sql_name,
                        ::std::vec![#(#column_states),*],
                        &[#(#pk_names),*],
                        #auto_increment,
                    )
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
    fn errors_come_back_as_syn_errors() {
        assert!(ryx_table(quote!(posts { id -> Foo })).is_err());
    }
}
