// The same column declared twice.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        title -> Varchar,
        title -> Text,
    }
}

fn main() {}
