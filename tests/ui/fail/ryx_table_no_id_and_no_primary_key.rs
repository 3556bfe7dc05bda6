// No primary key declared and no `id` column to default to.
ryx::ryx_table! {
    posts {
        post_id -> Int8,
        title -> Varchar,
    }
}

fn main() {}
