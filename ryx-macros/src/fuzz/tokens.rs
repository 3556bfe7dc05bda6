//! Token-stream generators and mutators for the `ryx_table!` fuzz tests:
//! random balanced token trees built from the grammar's words, keywords,
//! literals and punctuation, and edits (delete, duplicate, replace, insert,
//! swap) applied anywhere in a token tree, inside groups too.

use std::str::FromStr;

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::select;

/// Single tokens: identifiers (keywords, raw identifiers, the words of the
/// grammar, SQL types), literals and punctuation.
const LEAVES: &[&str] = &[
    // the grammar's own words
    "posts",
    "id",
    "title",
    "author_id",
    "Int4",
    "Int8",
    "Varchar",
    "Text",
    "Bool",
    "Nullable",
    "Timestamp",
    "Foo",
    "diesel",
    "sql_types",
    "ryx",
    "sql_name",
    "max_length",
    "index",
    "unique",
    "default",
    "references",
    "no_auto_increment",
    "doc",
    // keywords and raw identifiers
    "use",
    "fn",
    "type",
    "struct",
    "self",
    "super",
    "crate",
    "Self",
    "mod",
    "pub",
    "as",
    "in",
    "r#type",
    "r#use",
    "r#match",
    "r#fn",
    "r#struct",
    "_",
    "é",
    "naïve",
    // literals
    "\"x\"",
    "\"\"",
    "\"a\\\"b\"",
    "r\"raw\"",
    "r#\"r;\"#",
    "b\"bytes\"",
    "'c'",
    "b'c'",
    "0",
    "1",
    "255",
    "-1",
    "4294967296",
    "1.5",
    "1e9",
    "0x10",
    "1u8",
    "true",
    "false",
    "'a",
    // punctuation
    "#",
    "!",
    "->",
    ",",
    ";",
    ":",
    "::",
    ".",
    "..",
    "<",
    ">",
    "=",
    "==",
    "-",
    "+",
    "*",
    "/",
    "&",
    "|",
    "?",
    "@",
    "$",
    "%",
    "^",
    "~",
    "=>",
    "<=",
    ">=",
];

fn leaf() -> impl Strategy<Value = String> {
    select(LEAVES).prop_map(str::to_owned)
}

/// A balanced tree of tokens, as source text.
pub(super) fn tree() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        (
            select(&[("(", ")"), ("[", "]"), ("{", "}")][..]),
            prop::collection::vec(inner, 0..8),
        )
            .prop_map(|((open, close), body)| format!("{open} {} {close}", body.join(" ")))
    })
}

/// A token tree with groups opened, so edits can reach inside them.
#[derive(Clone, Debug)]
pub(super) enum Node {
    Leaf(TokenTree),
    Group(Delimiter, Vec<Node>),
}

pub(super) fn nodes(ts: TokenStream) -> Vec<Node> {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => Node::Group(g.delimiter(), nodes(g.stream())),
            other => Node::Leaf(other),
        })
        .collect()
}

pub(super) fn stream(nodes: &[Node]) -> TokenStream {
    nodes
        .iter()
        .map(|n| match n {
            Node::Leaf(tt) => tt.clone(),
            Node::Group(d, inner) => TokenTree::Group(Group::new(*d, stream(inner))),
        })
        .collect()
}

pub(super) fn count(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Leaf(_) => 1,
            Node::Group(_, inner) => 1 + count(inner),
        })
        .sum()
}

#[derive(Clone, Debug)]
pub(super) enum Edit {
    Delete,
    Duplicate,
    Replace(String),
    Insert(String),
    /// Swap the node with its right neighbour.
    Swap,
}

pub(super) fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        Just(Edit::Delete),
        Just(Edit::Duplicate),
        Just(Edit::Swap),
        tree().prop_map(Edit::Replace),
        tree().prop_map(Edit::Insert),
    ]
}

/// Applies `edit` at the `target`-th node in pre-order; returns whether it was reached.
pub(super) fn apply(list: &mut Vec<Node>, target: &mut usize, edit: &Edit) -> bool {
    let mut i = 0;
    while i < list.len() {
        if *target == 0 {
            match edit {
                Edit::Delete => {
                    list.remove(i);
                }
                Edit::Duplicate => {
                    let n = list[i].clone();
                    list.insert(i, n);
                }
                Edit::Swap => {
                    if i + 1 < list.len() {
                        list.swap(i, i + 1);
                    }
                }
                Edit::Replace(src) | Edit::Insert(src) => {
                    // the replacements are fixed token texts that lex
                    let new = TokenStream::from_str(src).map(nodes).unwrap_or_default();
                    let remove = usize::from(matches!(edit, Edit::Replace(_)));
                    list.splice(i..i + remove, new);
                }
            }
            return true;
        }
        *target -= 1;
        if let Node::Group(_, inner) = &mut list[i] {
            if apply(inner, target, edit) {
                return true;
            }
        }
        i += 1;
    }
    false
}
