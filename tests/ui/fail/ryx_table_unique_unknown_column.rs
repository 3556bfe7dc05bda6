// A table-level unique constraint naming a column the table lacks.
ryx::ryx_table! {
    #[ryx(unique(author_id, slugg))]
    posts (id) {
        id -> Int8,
        author_id -> Int8,
        slug -> Varchar,
    }
}

fn main() {}
