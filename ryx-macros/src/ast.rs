//! The typed tree of a `ryx_table!` declaration (diesel's `table!` grammar).

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, parenthesized, Attribute, Ident, ItemUse, Token, TypePath};

/// `use ..;* #[attr]* [schema.]name [(pk, ..)] { columns }`
pub(crate) struct TableDecl {
    pub(crate) uses: Vec<ItemUse>,
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) schema: Option<Ident>,
    pub(crate) name: Ident,
    pub(crate) primary_key: Option<Punctuated<Ident, Token![,]>>,
    pub(crate) columns: Punctuated<ColumnDecl, Token![,]>,
}

/// `#[attr]* name -> Type`
pub(crate) struct ColumnDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) ty: TypePath,
}

impl Parse for TableDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut uses = Vec::new();
        while input.peek(Token![use]) {
            uses.push(input.parse()?);
        }
        let attrs = Attribute::parse_outer(input)?;
        let first: Ident = input.parse()?;
        let (schema, name) = if input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            (Some(first), input.parse()?)
        } else {
            (None, first)
        };
        let primary_key = if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            Some(content.parse_terminated(Ident::parse, Token![,])?)
        } else {
            None
        };
        let content;
        braced!(content in input);
        let columns = content.parse_terminated(ColumnDecl::parse, Token![,])?;
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the table's `{ .. }`: declare one table per `ryx_table!`",
            ));
        }
        Ok(TableDecl {
            uses,
            attrs,
            schema,
            name,
            primary_key,
            columns,
        })
    }
}

impl Parse for ColumnDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        let name = input.parse()?;
        input.parse::<Token![->]>()?;
        let ty = input.parse()?;
        Ok(ColumnDecl { attrs, name, ty })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_diesel_style_declaration() -> syn::Result<()> {
        let t: TableDecl = syn::parse_str(
            "/// Posts\n posts (id) { id -> Int8, #[sql_name = \"t\"] title -> Varchar, }",
        )?;
        assert_eq!(t.name, "posts");
        assert!(t.schema.is_none());
        assert_eq!(t.columns.len(), 2);
        assert_eq!(t.attrs.len(), 1);
        assert_eq!(t.columns[1].attrs.len(), 1);
        Ok(())
    }

    #[test]
    fn parses_a_schema_prefix_for_validation_to_refuse() -> syn::Result<()> {
        let t: TableDecl = syn::parse_str("s.posts { id -> Int8 }")?;
        assert_eq!(t.schema.map(|s| s.to_string()).as_deref(), Some("s"));
        assert!(t.primary_key.is_none());
        Ok(())
    }

    #[test]
    fn trailing_tokens_are_an_error() {
        assert!(syn::parse_str::<TableDecl>("a { id -> Int8 } b { id -> Int8 }").is_err());
    }
}
