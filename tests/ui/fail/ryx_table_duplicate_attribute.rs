// The same `#[ryx(..)]` attribute given twice on a column.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        #[ryx(index, index)]
        title -> Varchar,
    }
}

fn main() {}
