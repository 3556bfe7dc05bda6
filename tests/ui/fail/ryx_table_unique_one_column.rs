// A table-level unique constraint over one column (the column attribute says that).
ryx::ryx_table! {
    #[ryx(unique(slug))]
    posts (id) {
        id -> Int8,
        slug -> Varchar,
    }
}

fn main() {}
