// A primary key column declared `Nullable`.
ryx::ryx_table! {
    posts (id) {
        id -> Nullable<Int8>,
        title -> Varchar,
    }
}

fn main() {}
