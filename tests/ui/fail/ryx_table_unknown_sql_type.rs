// A column type `ryx_table!` does not know.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        title -> Strng,
    }
}

fn main() {}
