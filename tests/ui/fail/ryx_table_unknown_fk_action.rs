// A foreign-key action that does not exist.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        #[ryx(references = authors, on_delete = destroy)]
        author_id -> Int8,
    }
}

fn main() {}
