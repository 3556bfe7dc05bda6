// A column attribute put on the table.
ryx::ryx_table! {
    #[ryx(unique)]
    posts (id) {
        id -> Int8,
        title -> Varchar,
    }
}

fn main() {}
