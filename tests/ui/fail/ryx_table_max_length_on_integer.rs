// `max_length` on a column that is not `Varchar` or `Text`.
ryx::ryx_table! {
    posts (id) {
        id -> Int8,
        #[ryx(max_length = 20)]
        views -> Int4,
    }
}

fn main() {}
