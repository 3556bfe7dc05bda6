// `references = table` on a table whose primary key has two columns: which one?
ryx::ryx_table! {
    memberships (user_id, group_id) {
        user_id -> Int8,
        group_id -> Int8,
    }
}

ryx::ryx_table! {
    invites (id) {
        id -> Int8,
        #[ryx(references = memberships)]
        membership -> Int8,
    }
}

fn main() {}
