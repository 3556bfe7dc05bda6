// An unknown `#[ryx(..)]` column attribute.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        #[ryx(bogus)]
        title -> Varchar,
    }
}

fn main() {}
