// Two checks of the same name.
ryx::ryx_table! {
    #[ryx(check(name = "views", sql = "views >= 0"))]
    #[ryx(check(name = "views", sql = "views < 1000"))]
    posts (id) {
        id -> Int8,
        views -> Int4,
    }
}

fn main() {}
