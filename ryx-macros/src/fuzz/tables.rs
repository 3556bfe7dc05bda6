//! Valid `ryx_table!` declarations for the fuzz tests: the hand-written
//! seeds, a generator of valid tables (identifiers plain, raw and non-ASCII,
//! every column attribute, keys by name or the `id` column) rendered as
//! source, and edits that keep a declaration valid.

use proptest::prelude::*;
use proptest::sample::select;

/// Valid declarations like the ones in `ast.rs`, `valid.rs` and the tests'
/// tables: the seeds of the mutations.
pub(super) const SEEDS: &[&str] = &[
    "posts (id) { id -> Int8, title -> Varchar, }",
    "/// Posts\n posts (id) { id -> Int8, #[sql_name = \"t\"] title -> Varchar, }",
    "t (id) { id -> Int8, n -> Nullable<Varchar>, d -> diesel::sql_types::Timestamptz }",
    "t { id -> Int4, x -> Text }",
    "#[sql_name = \"Posts\"] t { id -> Int4, \
     #[ryx(default = \"0\", unique, index, references = authors(id))] #[sql_name = \"a_id\"] a -> Int4, \
     #[max_length = 20] s -> Varchar }",
    "r#struct { id -> Int4, r#type -> Text }",
    "ms_posts (id) { id -> Int8, #[ryx(references = ms_authors, index)] author_id -> Int8, \
     #[max_length = 200] title -> Varchar, #[ryx(default = \"0\")] views -> Int4, \
     active -> Bool, created_at -> Timestamp, }",
    "use diesel::sql_types::*; #[ryx(no_auto_increment)] pairs (a, b) { a -> Int4, b -> Int4 }",
];

/// A Rust identifier that is no keyword: plain, raw or non-ASCII.
fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        "f_[a-z0-9_]{0,8}",
        "[A-Z][A-Za-z0-9]{0,6}_c",
        select(
            &[
                "r#type",
                "r#match",
                "r#fn",
                "r#struct",
                "café",
                "naïve",
                "Ünïcode"
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

/// A string as a Rust string literal (any content: quotes, NUL, newlines, unicode).
fn lit(s: &str) -> String {
    format!("{s:?}")
}

const TYPES: &[&str] = &[
    "Int2",
    "SmallInt",
    "Int4",
    "Integer",
    "Int8",
    "BigInt",
    "Text",
    "Varchar",
    "Bool",
    "Float4",
    "Float8",
    "Double",
    "Numeric",
    "Date",
    "Time",
    "Timestamp",
    "Timestamptz",
    "Uuid",
    "Json",
    "Jsonb",
    "Binary",
    "Bytea",
    "Blob",
    "diesel::sql_types::Int4",
    "diesel::sql_types::Text",
];

#[derive(Clone, Debug)]
struct ColumnSpec {
    name: String,
    ty: &'static str,
    nullable: bool,
    index: bool,
    unique: bool,
    default: Option<String>,
    max_length: Option<(bool, u32)>,
    references: Option<(String, Option<String>)>,
    sql_name: Option<String>,
    doc: Option<String>,
}

fn column() -> impl Strategy<Value = ColumnSpec> {
    (
        ident(),
        select(TYPES),
        any::<bool>(),
        (any::<bool>(), any::<bool>()),
        prop::option::of(".{0,12}"),
        prop::option::of((any::<bool>(), 1u32..=u32::MAX)),
        prop::option::of((ident(), prop::option::of(ident()))),
        prop::option::of(".{0,12}"),
        prop::option::of("[^\r]{0,12}"),
    )
        .prop_map(
            |(
                name,
                ty,
                nullable,
                (index, unique),
                default,
                max_length,
                references,
                sql_name,
                doc,
            )| {
                let textual = ty.ends_with("Varchar") || ty.ends_with("Text");
                ColumnSpec {
                    name,
                    ty,
                    nullable,
                    index,
                    unique,
                    default,
                    max_length: max_length.filter(|_| textual),
                    references,
                    sql_name,
                    doc,
                }
            },
        )
}

#[derive(Clone, Debug)]
pub(super) struct TableSpec {
    name: String,
    sql_name: Option<String>,
    no_auto_increment: bool,
    doc: Option<String>,
    /// `None`: no `(..)`, the `id` column is the key.
    primary_key: Option<Vec<usize>>,
    columns: Vec<ColumnSpec>,
    trailing_comma: bool,
    uses: bool,
}

impl TableSpec {
    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        if self.uses {
            out.push_str("use diesel::sql_types::*; ");
        }
        if let Some(doc) = &self.doc {
            out.push_str(&format!("#[doc = {}] ", lit(doc)));
        }
        if let Some(s) = &self.sql_name {
            out.push_str(&format!("#[sql_name = {}] ", lit(s)));
        }
        if self.no_auto_increment {
            out.push_str("#[ryx(no_auto_increment)] ");
        }
        out.push_str(&self.name);
        if let Some(keys) = &self.primary_key {
            let names: Vec<&str> = keys
                .iter()
                .map(|&k| self.columns[k].name.as_str())
                .collect();
            out.push_str(&format!(" ({})", names.join(", ")));
        }
        let cols: Vec<String> = self.columns.iter().map(render_column).collect();
        out.push_str(&format!(" {{ {}", cols.join(", ")));
        if self.trailing_comma {
            out.push(',');
        }
        out.push_str(" }");
        out
    }
}

fn render_column(c: &ColumnSpec) -> String {
    let mut out = String::new();
    if let Some(doc) = &c.doc {
        out.push_str(&format!("#[doc = {}] ", lit(doc)));
    }
    let mut ryx = Vec::new();
    if c.index {
        ryx.push("index".to_owned());
    }
    if c.unique {
        ryx.push("unique".to_owned());
    }
    if let Some(d) = &c.default {
        ryx.push(format!("default = {}", lit(d)));
    }
    if let Some((table, col)) = &c.references {
        match col {
            Some(col) => ryx.push(format!("references = {table}({col})")),
            None => ryx.push(format!("references = {table}")),
        }
    }
    match c.max_length {
        Some((true, n)) => ryx.push(format!("max_length = {n}")),
        Some((false, n)) => out.push_str(&format!("#[max_length = {n}] ")),
        None => {}
    }
    if !ryx.is_empty() {
        out.push_str(&format!("#[ryx({})] ", ryx.join(", ")));
    }
    if let Some(s) = &c.sql_name {
        out.push_str(&format!("#[sql_name = {}] ", lit(s)));
    }
    let ty = if c.nullable {
        format!("Nullable<{}>", c.ty)
    } else {
        c.ty.to_owned()
    };
    out.push_str(&format!("{} -> {ty}", c.name));
    out
}

/// Valid tables: unique column names, none named like the table, a key of
/// declared non-nullable columns (or an `id` column), attributes each once.
pub(super) fn table() -> impl Strategy<Value = TableSpec> {
    (
        ident(),
        prop::option::of(".{0,12}"),
        any::<bool>(),
        prop::option::of("[^\r]{0,12}"),
        prop::collection::vec(column(), 1..7),
        prop::option::of(prop::collection::vec(any::<prop::sample::Index>(), 1..4)),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(name, sql_name, no_auto_increment, doc, mut columns, keys, trailing_comma, uses)| {
                // names unique, and not the table's
                let mut seen = std::collections::HashSet::new();
                seen.insert(name.clone());
                columns.retain(|c| c.name != "id" && seen.insert(c.name.clone()));
                let primary_key = match keys {
                    Some(keys) if !columns.is_empty() => {
                        let mut picked: Vec<usize> = Vec::new();
                        for k in keys {
                            let i = k.index(columns.len());
                            if !picked.contains(&i) {
                                picked.push(i);
                            }
                        }
                        for &i in &picked {
                            columns[i].nullable = false;
                        }
                        Some(picked)
                    }
                    _ => {
                        columns.insert(
                            0,
                            ColumnSpec {
                                name: "id".to_owned(),
                                ty: "Int8",
                                nullable: false,
                                index: false,
                                unique: false,
                                default: None,
                                max_length: None,
                                references: None,
                                sql_name: None,
                                doc: None,
                            },
                        );
                        None
                    }
                };
                TableSpec {
                    name,
                    sql_name,
                    no_auto_increment,
                    doc,
                    primary_key,
                    columns,
                    trailing_comma,
                    uses,
                }
            },
        )
}

/// Edits that keep a declaration valid.
#[derive(Clone, Debug)]
pub(super) enum KeepValid {
    /// Reverse the column order (keys are by name, so still valid).
    Reverse,
    ToggleTrailingComma,
    /// Add an index to a column that has none.
    Index(prop::sample::Index),
    /// Change a non-key column's type.
    Retype(prop::sample::Index, &'static str, bool),
    /// Drop a non-key column, if another remains.
    DropColumn(prop::sample::Index),
}

pub(super) fn keep_valid() -> impl Strategy<Value = KeepValid> {
    prop_oneof![
        Just(KeepValid::Reverse),
        Just(KeepValid::ToggleTrailingComma),
        any::<prop::sample::Index>().prop_map(KeepValid::Index),
        (any::<prop::sample::Index>(), select(TYPES), any::<bool>())
            .prop_map(|(i, t, n)| KeepValid::Retype(i, t, n)),
        any::<prop::sample::Index>().prop_map(KeepValid::DropColumn),
    ]
}

impl TableSpec {
    fn key_names(&self) -> Vec<String> {
        match &self.primary_key {
            Some(keys) => keys.iter().map(|&k| self.columns[k].name.clone()).collect(),
            None => vec!["id".to_owned()],
        }
    }

    fn reindex_keys(&mut self, names: &[String]) {
        if self.primary_key.is_some() {
            self.primary_key = Some(
                names
                    .iter()
                    .filter_map(|n| self.columns.iter().position(|c| &c.name == n))
                    .collect(),
            );
        }
    }

    pub(super) fn edit(&mut self, e: &KeepValid) {
        let keys = self.key_names();
        match e {
            KeepValid::Reverse => self.columns.reverse(),
            KeepValid::ToggleTrailingComma => self.trailing_comma = !self.trailing_comma,
            KeepValid::Index(i) => {
                let i = i.index(self.columns.len());
                self.columns[i].index = true;
            }
            KeepValid::Retype(i, ty, nullable) => {
                let i = i.index(self.columns.len());
                let c = &mut self.columns[i];
                if !keys.contains(&c.name) {
                    c.ty = ty;
                    c.nullable = *nullable;
                    if !(ty.ends_with("Varchar") || ty.ends_with("Text")) {
                        c.max_length = None;
                    }
                }
            }
            KeepValid::DropColumn(i) => {
                let i = i.index(self.columns.len());
                if !keys.contains(&self.columns[i].name) && self.columns.len() > 1 {
                    self.columns.remove(i);
                }
            }
        }
        self.reindex_keys(&keys);
    }
}
