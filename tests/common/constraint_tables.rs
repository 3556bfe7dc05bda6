//! Tables with table-level constraints (`unique(..)`, `index(..)`,
//! `check(..)`) and foreign-key actions, for `tests/migrate_constraints.rs`.
#![allow(dead_code)]

ryx::ryx_table! {
    ck_authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    #[ryx(unique(author_id, slug), index(author_id, created_at))]
    #[ryx(check(name = "positive_views", sql = "views >= 0"))]
    ck_posts (id) {
        id -> Int8,
        #[ryx(references = ck_authors, on_delete = cascade, on_update = restrict)]
        author_id -> Int8,
        #[ryx(references = ck_authors, on_delete = set_null)]
        editor_id -> Nullable<Int8>,
        #[max_length = 100]
        slug -> Varchar,
        #[ryx(default = "0")]
        views -> Int4,
        created_at -> Timestamp,
    }
}

/// `ck_posts` as it was before its constraints: no table-level indexes or
/// checks, and foreign keys without actions.
pub fn ck_posts_v1() -> ryx::migrate::TableState {
    use ryx::migrate::RyxTable;
    let mut t = ck_posts::table.table_state();
    t.indexes.clear();
    t.checks.clear();
    for c in &mut t.columns {
        c.on_delete = None;
        c.on_update = None;
    }
    t
}
