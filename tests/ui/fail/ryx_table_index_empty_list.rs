// A table-level index with no columns.
ryx::ryx_table! {
    #[ryx(index())]
    posts (id) {
        id -> Int8,
        author_id -> Int8,
    }
}

fn main() {}
