// A check name that is not letters, digits and `_`.
ryx::ryx_table! {
    #[ryx(check(name = "positive views", sql = "views >= 0"))]
    posts (id) {
        id -> Int8,
        views -> Int4,
    }
}

fn main() {}
