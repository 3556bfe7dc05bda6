// A foreign-key action on a column without a foreign key.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        #[ryx(on_delete = cascade)]
        author_id -> Int8,
    }
}

fn main() {}
