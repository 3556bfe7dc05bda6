// SQL names in the metadata: `r#` stripped, references resolved through the
// referenced table's own `#[sql_name]`s and primary key, self-references too.
use ryx::prelude::*;

ryx::ryx_table! {
    #[sql_name = "people"]
    person (person_id) {
        #[sql_name = "pid"]
        person_id -> Int8,
        r#type -> Text,
    }
}

ryx::ryx_table! {
    nodes (id) {
        id -> Int8,
        #[ryx(references = nodes)]
        parent -> Nullable<Int8>,
        #[ryx(references = person(person_id))]
        owner -> Int8,
    }
}

fn main() {
    assert_eq!(<person::table as RyxTable>::SQL_NAME, "people");
    assert_eq!(<person::table as RyxTable>::PRIMARY_KEY, ["pid"]);
    let person = person::table.table_state();
    assert!(person.column("type").is_some());

    let nodes = nodes::table.table_state();
    let parent = nodes.column("parent").unwrap().references.clone().unwrap();
    assert_eq!(
        (parent.table.as_str(), parent.column.as_str()),
        ("nodes", "id")
    );
    let owner = nodes.column("owner").unwrap().references.clone().unwrap();
    assert_eq!(
        (owner.table.as_str(), owner.column.as_str()),
        ("people", "pid")
    );
}
