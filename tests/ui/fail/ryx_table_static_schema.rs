// A static `schema.` prefix: the schema is chosen per statement with `.in_schema(..)`.
ryx::ryx_table! {
    s.posts (id) {
        id -> Int8,
        title -> Varchar,
    }
}

fn main() {}
