//! The statements that build a clone from what was read of its template
//! ([`Template`]): pure, in the order they must run.
//!
//! Names ryx writes go through [`Backend::quote`](crate::Backend::quote) and
//! are qualified with the clone's schema. Definitions the server printed
//! (`pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`, defaults,
//! types) name the template's objects unqualified and run with `search_path`
//! set to the clone, so they resolve there (see `catalog`).

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{Column, Constraint, Relation, Sequence, Template};
use super::PG;

/// The clone, as statements sent in order in one batch.
pub(super) fn statements(
    t: &Template,
    template: &str,
    clone: &str,
    with_data: bool,
) -> Vec<String> {
    let built = build(t, clone, with_data);
    let mut out = built.before_rows;
    for r in &built.rows {
        let names: Vec<String> = r.columns.iter().map(|c| PG.quote(c)).collect();
        out.push(format!(
            "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}",
            PG.qualify(Some(clone), &r.table),
            names.join(", "),
            r.values.join(", "),
            PG.qualify(Some(template), &r.table)
        ));
    }
    out.extend(built.after_rows);
    out
}

/// A copy's statements, split where the rows go in.
pub(super) struct Built {
    /// The schema, types, sequences and tables.
    pub(super) before_rows: Vec<String>,
    /// The tables whose rows are copied: every table with `with_data`, else
    /// the history alone.
    pub(super) rows: Vec<RowCopy>,
    /// Constraints, views, indexes, sequence ownership, comments.
    pub(super) after_rows: Vec<String>,
}

/// One table's rows to copy.
pub(super) struct RowCopy {
    pub(super) table: String,
    /// The columns that take values (not generated ones), unquoted.
    pub(super) columns: Vec<String>,
    /// Per column, the value read from the template's table (an enum of the
    /// template's becomes the clone's through its text).
    values: Vec<String>,
}

/// The copy's statements, the rows left to the caller.
pub(super) fn build(t: &Template, clone: &str, with_data: bool) -> Built {
    let q = |name: &str| PG.qualify(Some(clone), name);
    let mut out = vec![format!("CREATE SCHEMA {}", PG.quote(clone))];
    let mut comments = Vec::new();

    for e in &t.enums {
        out.push(format!("CREATE TYPE {} AS ENUM ({})", q(&e.name), e.labels));
        if let Some(c) = &e.comment {
            comments.push(format!("COMMENT ON TYPE {} IS {c}", q(&e.name)));
        }
    }
    // sequences of their own (standalone, serial); identity ones come with their column
    for s in t.sequences.iter().filter(|s| s.owned != "i") {
        out.push(format!(
            "CREATE SEQUENCE {} AS {}{}",
            q(&s.name),
            s.data_type,
            options(s)
        ));
    }
    let columns = by_relation(&t.columns);
    let tables: Vec<&Relation> = t.relations.iter().filter(|r| r.kind == "r").collect();
    // Without rows, primary keys, unique, check and exclusion constraints go
    // inside CREATE TABLE (a third faster than ALTER TABLE each); with rows,
    // after them, so that each index is built once rather than maintained
    // row by row. Foreign keys and NOT VALID constraints always come after.
    let inline = |k: &&Constraint| !with_data && !k.later;
    for r in &tables {
        let cols = columns.get(&r.oid).map_or(&[][..], Vec::as_slice);
        let mut defs: Vec<String> = cols
            .iter()
            .map(|c| column(c, identity_sequence(t, &r.name, &c.name), clone))
            .collect();
        defs.extend(
            t.constraints
                .iter()
                .filter(|k| k.table == r.name)
                .filter(inline)
                .map(|k| format!("CONSTRAINT {} {}", PG.quote(&k.name), k.definition)),
        );
        out.push(format!(
            "CREATE {}TABLE {} ({}){}",
            if r.unlogged { "UNLOGGED " } else { "" },
            q(&r.name),
            defs.join(", "),
            with_options(&r.options)
        ));
    }
    // rows before constraints and indexes: no order among tables to respect,
    // and building an index once is faster than maintaining it row by row
    let mut rows = Vec::new();
    for r in &tables {
        if !(with_data || r.name == crate::HISTORY_TABLE) {
            continue;
        }
        let cols = columns.get(&r.oid).map_or(&[][..], Vec::as_slice);
        let copied: Vec<&Column> = cols.iter().filter(|c| c.generated.is_empty()).collect();
        // a value of the template's enum becomes one of the clone's through its text
        let values: Vec<String> = copied
            .iter()
            .map(|c| {
                if c.own_type {
                    format!(
                        "CAST(CAST({} AS text) AS {})",
                        PG.quote(&c.name),
                        c.data_type
                    )
                } else {
                    PG.quote(&c.name)
                }
            })
            .collect();
        rows.push(RowCopy {
            table: r.name.clone(),
            columns: copied.iter().map(|c| c.name.clone()).collect(),
            values,
        });
    }
    let before_rows = std::mem::take(&mut out);
    // primary keys, unique, check and exclusion before foreign keys (sorted so)
    for k in &t.constraints {
        if !inline(&k) {
            out.push(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {}",
                q(&k.table),
                PG.quote(&k.name),
                k.definition
            ));
        }
        if let Some(c) = &k.comment {
            comments.push(format!(
                "COMMENT ON CONSTRAINT {} ON {} IS {c}",
                PG.quote(&k.name),
                q(&k.table)
            ));
        }
    }
    for r in view_order(t) {
        let body = r.definition.as_deref().unwrap_or("").trim();
        let body = body.strip_suffix(';').unwrap_or(body);
        if r.kind == "m" {
            out.push(format!(
                "CREATE MATERIALIZED VIEW {}{} AS {body} WITH {}DATA",
                q(&r.name),
                with_options(&r.options),
                if r.populated { "" } else { "NO " }
            ));
        } else {
            out.push(format!(
                "CREATE VIEW {}{} AS {body}",
                q(&r.name),
                with_options(&r.options)
            ));
        }
    }
    // after the views: materialized views have indexes too
    for i in &t.indexes {
        out.push(i.definition.clone());
        if let Some(c) = &i.comment {
            comments.push(format!("COMMENT ON INDEX {} IS {c}", q(&i.name)));
        }
    }
    for s in t.sequences.iter().filter(|s| s.owned == "a") {
        if let (Some(table), Some(col)) = (&s.owner_table, &s.owner_column) {
            out.push(format!(
                "ALTER SEQUENCE {} OWNED BY {}.{}",
                q(&s.name),
                q(table),
                PG.quote(col)
            ));
        }
    }
    for r in &t.relations {
        let what = match r.kind.as_str() {
            "r" => "TABLE",
            "v" => "VIEW",
            "m" => "MATERIALIZED VIEW",
            _ => "SEQUENCE",
        };
        if let Some(c) = &r.comment {
            comments.push(format!("COMMENT ON {what} {} IS {c}", q(&r.name)));
        }
        for col in columns.get(&r.oid).map_or(&[][..], Vec::as_slice) {
            if let Some(c) = &col.comment {
                comments.push(format!(
                    "COMMENT ON COLUMN {}.{} IS {c}",
                    q(&r.name),
                    PG.quote(&col.name)
                ));
            }
        }
    }
    out.extend(comments);
    Built {
        before_rows,
        rows,
        after_rows: out,
    }
}

/// Columns per relation, in order.
fn by_relation(columns: &[Column]) -> BTreeMap<i64, Vec<Column>> {
    let mut out: BTreeMap<i64, Vec<Column>> = BTreeMap::new();
    for c in columns {
        out.entry(c.rel).or_default().push(c.clone());
    }
    out
}

/// The identity sequence of `table.column`, if it is an identity column.
fn identity_sequence<'t>(t: &'t Template, table: &str, column: &str) -> Option<&'t Sequence> {
    t.sequences.iter().find(|s| {
        s.owned == "i"
            && s.owner_table.as_deref() == Some(table)
            && s.owner_column.as_deref() == Some(column)
    })
}

/// A column's definition in `CREATE TABLE`.
fn column(c: &Column, identity: Option<&Sequence>, clone: &str) -> String {
    let mut out = format!("{} {}", PG.quote(&c.name), c.data_type);
    if let (Some(schema), Some(name)) = (&c.collation_schema, &c.collation) {
        out.push_str(&format!(" COLLATE {}", PG.qualify(Some(schema), name)));
    }
    if let (kind @ ("a" | "d"), Some(s)) = (c.identity.as_str(), identity) {
        out.push_str(&format!(
            " GENERATED {} AS IDENTITY (SEQUENCE NAME {}{})",
            if kind == "a" { "ALWAYS" } else { "BY DEFAULT" },
            PG.qualify(Some(clone), &s.name),
            options(s)
        ));
    }
    if let Some(expr) = &c.expr {
        if c.generated == "s" {
            out.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
        } else {
            out.push_str(&format!(" DEFAULT {expr}"));
        }
    }
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    out
}

/// A sequence's options, as `CREATE SEQUENCE` and identity columns take them.
fn options(s: &Sequence) -> String {
    format!(
        " INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {}{}",
        s.increment,
        s.min,
        s.max,
        s.start,
        s.cache,
        if s.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

/// ` WITH (..)` for non-empty `reloptions`.
fn with_options(options: &str) -> String {
    if options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({options})")
    }
}

/// The views and materialized views, each after the views it reads (in
/// creation order otherwise).
fn view_order(t: &Template) -> Vec<&Relation> {
    let views: Vec<&Relation> = t
        .relations
        .iter()
        .filter(|r| r.kind == "v" || r.kind == "m")
        .collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::with_capacity(views.len());
    while out.len() < views.len() {
        let before = out.len();
        for v in &views {
            if done.contains(v.name.as_str()) {
                continue;
            }
            let ready = t
                .view_dependencies
                .iter()
                .filter(|d| d.dependent == v.name)
                .all(|d| done.contains(d.referenced.as_str()));
            if ready {
                done.insert(&v.name);
                out.push(*v);
            }
        }
        if out.len() == before {
            // a cycle cannot exist between views; keep the rest in creation
            // order rather than loop
            out.extend(
                views
                    .iter()
                    .filter(|v| !done.contains(v.name.as_str()))
                    .copied(),
            );
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::catalog::Index;

    fn relation(oid: i64, name: &str, kind: &str) -> Relation {
        Relation {
            oid,
            name: name.into(),
            kind: kind.into(),
            unlogged: false,
            options: String::new(),
            populated: true,
            definition: (kind == "v").then(|| " SELECT 1 AS one;".to_owned()),
            comment: None,
        }
    }

    fn col(rel: i64, name: &str, expr: Option<&str>) -> Column {
        Column {
            rel,
            name: name.into(),
            data_type: "integer".into(),
            not_null: true,
            own_type: false,
            identity: String::new(),
            generated: String::new(),
            expr: expr.map(str::to_owned),
            collation_schema: None,
            collation: None,
            comment: None,
        }
    }

    #[test]
    fn tables_then_rows_then_constraints_views_and_indexes() {
        let t = Template {
            relations: vec![
                relation(1, "ryx_migrations", "r"),
                relation(2, "a\"b", "r"),
                relation(3, "v", "v"),
            ],
            columns: vec![
                col(1, "name", None),
                col(2, "id", Some("nextval('s'::regclass)")),
            ],
            constraints: vec![Constraint {
                table: "a\"b".into(),
                name: "pk".into(),
                later: false,
                definition: "PRIMARY KEY (id)".into(),
                comment: Some("'the key'".into()),
            }],
            indexes: vec![Index {
                name: "i".into(),
                definition: "CREATE INDEX i ON \"a\"\"b\" USING btree (id)".into(),
                comment: None,
            }],
            ..Template::default()
        };
        let sql = statements(&t, "tpl", "new", false);
        assert_eq!(
            sql,
            [
                r#"CREATE SCHEMA "new""#,
                r#"CREATE TABLE "new"."ryx_migrations" ("name" integer NOT NULL)"#,
                r#"CREATE TABLE "new"."a""b" ("id" integer DEFAULT nextval('s'::regclass) NOT NULL, CONSTRAINT "pk" PRIMARY KEY (id))"#,
                r#"INSERT INTO "new"."ryx_migrations" ("name") OVERRIDING SYSTEM VALUE SELECT "name" FROM "tpl"."ryx_migrations""#,
                r#"CREATE VIEW "new"."v" AS SELECT 1 AS one"#,
                r#"CREATE INDEX i ON "a""b" USING btree (id)"#,
                r#"COMMENT ON CONSTRAINT "pk" ON "new"."a""b" IS 'the key'"#,
            ]
        );
        // with data every table's rows are copied, before the constraints
        let sql = statements(&t, "tpl", "new", true);
        let at = |prefix: &str| sql.iter().position(|s| s.starts_with(prefix));
        let (insert, key) = (
            at(r#"INSERT INTO "new"."a""b""#),
            at(r#"ALTER TABLE "new"."a""b" ADD CONSTRAINT "pk" PRIMARY KEY (id)"#),
        );
        assert!(
            insert.is_some() && key.is_some() && insert < key,
            "{sql:#?}"
        );
    }

    #[test]
    fn views_come_after_the_views_they_read() {
        let mut t = Template {
            relations: vec![relation(1, "outer", "v"), relation(2, "inner", "v")],
            ..Template::default()
        };
        t.view_dependencies
            .push(super::super::catalog::ViewDependency {
                dependent: "outer".into(),
                referenced: "inner".into(),
            });
        let names: Vec<&str> = view_order(&t).iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["inner", "outer"]);
    }
}
