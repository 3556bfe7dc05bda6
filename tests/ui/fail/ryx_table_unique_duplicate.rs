// The same table-level unique constraint declared twice.
ryx::ryx_table! {
    #[ryx(unique(author_id, slug))]
    #[ryx(unique(author_id, slug))]
    posts (id) {
        id -> Int8,
        author_id -> Int8,
        slug -> Varchar,
    }
}

fn main() {}
