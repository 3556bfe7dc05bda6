// `on_delete = set_null` on a column that cannot be NULL.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        #[ryx(references = authors, on_delete = set_null)]
        author_id -> Int8,
    }
}

fn main() {}
