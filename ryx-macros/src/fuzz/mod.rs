//! Fuzzing the `ryx_table!` parser with proptest: arbitrary token streams
//! (random token sequences and mutations of valid declarations) never make
//! the macro panic, every refusal is a `syn::Error` with a message, and
//! declarations that are valid (generated, or edited in ways that keep them
//! valid) always expand to items that parse as Rust.

mod tables;
mod tokens;

use std::str::FromStr;

use proc_macro2::TokenStream;
use proptest::prelude::*;
use proptest::sample::select;

use crate::expand::ryx_table;
use tables::{keep_valid, table, SEEDS};
use tokens::{apply, count, edit, nodes, stream, tree};

/// `src` as tokens; text that does not lex fails the case (every source
/// given here is written to lex).
fn lex(src: &str) -> Result<TokenStream, TestCaseError> {
    TokenStream::from_str(src)
        .map_err(|e| TestCaseError::fail(format!("`{src}` does not lex: {e}")))
}

/// Why `src` was refused, for a failure message.
fn refusal(src: &str) -> Option<String> {
    lex(src)
        .ok()
        .and_then(|t| ryx_table(t).err())
        .map(|e| e.to_string())
}

/// The property every input must satisfy: no panic (a panic fails the
/// test), an error with a message, or output that parses as Rust items.
fn check(tokens: TokenStream) -> Result<bool, TestCaseError> {
    match ryx_table(tokens.clone()) {
        Ok(out) => {
            let parsed = syn::parse2::<syn::File>(out.clone());
            prop_assert!(parsed.is_ok(), "expansion of `{tokens}` is not Rust: {out}");
            Ok(true)
        }
        Err(e) => {
            for one in e.clone() {
                prop_assert!(
                    !one.to_string().trim().is_empty(),
                    "empty error message for `{tokens}`"
                );
            }
            let compile_error = e.into_compile_error().to_string();
            prop_assert!(
                compile_error.contains("compile_error"),
                "`{tokens}` gave {compile_error}"
            );
            Ok(false)
        }
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// Random balanced token sequences: never a panic, errors have messages.
    #[test]
    fn fuzz_random_token_streams(parts in prop::collection::vec(tree(), 0..24)) {
        let src = parts.join(" ");
        // `'a` next to some tokens does not lex; such text cannot reach a macro
        if let Ok(tokens) = TokenStream::from_str(&src) {
            check(tokens)?;
        }
    }

    /// A valid declaration with random edits (deleted, duplicated, replaced,
    /// inserted, swapped tokens, inside groups too): never a panic.
    #[test]
    fn fuzz_mutated_declarations(
        seed in select(SEEDS),
        edits in prop::collection::vec((any::<prop::sample::Index>(), edit()), 1..5),
    ) {
        let mut list = nodes(lex(seed)?);
        for (at, e) in &edits {
            let mut target = at.index(count(&list).max(1));
            apply(&mut list, &mut target, e);
        }
        check(stream(&list))?;
    }
}

proptest! {
    #![proptest_config(config(1500))]

    /// Every seed is valid, and so is every generated valid table, before and
    /// after edits that keep it valid: each expands, to Rust items.
    #[test]
    fn fuzz_valid_declarations_expand(
        spec in table(),
        edits in prop::collection::vec(keep_valid(), 0..4),
    ) {
        for seed in SEEDS {
            prop_assert!(check(lex(seed)?)?, "seed refused: {seed}");
        }
        let mut spec = spec;
        let src = spec.render();
        prop_assert!(check(lex(&src)?)?, "valid declaration refused: {src}\n{:?}", refusal(&src));
        for e in &edits {
            spec.edit(e);
            let src = spec.render();
            prop_assert!(check(lex(&src)?)?, "valid declaration refused after {e:?}: {src}\n{:?}", refusal(&src));
        }
    }
}
