// A check without its condition.
ryx::ryx_table! {
    #[ryx(check(name = "positive_views"))]
    posts (id) {
        id -> Int8,
        views -> Int4,
    }
}

fn main() {}
