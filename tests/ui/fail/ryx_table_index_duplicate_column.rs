// A column listed twice in one table-level index.
ryx::ryx_table! {
    #[ryx(index(author_id, author_id))]
    posts (id) {
        id -> Int8,
        author_id -> Int8,
    }
}

fn main() {}
