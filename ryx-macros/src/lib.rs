//! Procedural macros of [ryx](https://docs.rs/ryx): `ryx_table!`.
//!
//! This is an implementation crate; use the macro through `ryx::ryx_table!`.
//! The pipeline follows thiserror and diesel_derives: `ast` parses the
//! declaration into a typed tree that keeps the user's tokens for spans,
//! `valid` checks every rule with an error that points at the mistake, and
//! `expand` emits diesel's `table!`, the glue for `SchemaScoped` and the
//! table's metadata.

#![warn(missing_docs)]

mod ast;
mod attr;
mod expand;
#[cfg(test)]
mod fuzz;
mod valid;

use proc_macro::TokenStream;

/// Declares a table once for every schema: diesel's `table!` plus the glue that
/// lets `table.in_schema("t1")` stand in diesel's queries, and the metadata the
/// migration side needs. See the `ryx` crate docs.
#[proc_macro]
pub fn ryx_table(input: TokenStream) -> TokenStream {
    expand::ryx_table(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
