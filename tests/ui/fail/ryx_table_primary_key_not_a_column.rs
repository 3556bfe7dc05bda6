// A primary key that names no column.
ryx::ryx_table! {
    posts (post_id) {
        id -> Int8,
        title -> Varchar,
    }
}

fn main() {}
