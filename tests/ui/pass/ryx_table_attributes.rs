// Every attribute `ryx_table!` accepts, and the metadata it records.
use ryx::migrate::{ColumnType, ForeignKey};
use ryx::prelude::*;

ryx::ryx_table! {
    authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    /// Posts, with every column attribute.
    #[sql_name = "blog_posts"]
    posts (id) {
        id -> Int8,
        #[ryx(default = "0", index)]
        views -> Int4,
        #[ryx(unique, max_length = 20)]
        slug -> Varchar,
        #[max_length = 200]
        title -> Varchar,
        #[ryx(references = authors)]
        author_id -> Int8,
        #[ryx(references = authors(id))]
        #[sql_name = "editor"]
        editor_id -> Nullable<Int8>,
    }
}

ryx::ryx_table! {
    #[ryx(no_auto_increment)]
    tags (code) {
        code -> Int4,
        label -> Text,
    }
}

ryx::ryx_table! {
    memberships (user_id, group_id) {
        user_id -> Int8,
        group_id -> Int8,
    }
}

fn main() {
    let posts = posts::table.table_state();
    assert_eq!(posts.name, "blog_posts");
    assert_eq!(posts.primary_key, ["id"]);
    assert!(posts.has_auto_increment_key());

    let views = posts.column("views").unwrap();
    assert_eq!(views.sql_type, ColumnType::Integer);
    assert_eq!(views.default.as_deref(), Some("0"));
    assert!(views.indexed && !views.unique);

    let slug = posts.column("slug").unwrap();
    assert!(slug.unique);
    assert_eq!(slug.max_length, Some(20));
    assert_eq!(posts.column("title").unwrap().max_length, Some(200));

    let fk = ForeignKey {
        table: "authors".into(),
        column: "id".into(),
    };
    assert_eq!(
        posts.column("author_id").unwrap().references.as_ref(),
        Some(&fk)
    );
    let editor = posts.column("editor").unwrap();
    assert!(editor.nullable);
    assert_eq!(editor.references.as_ref(), Some(&fk));
    assert!(posts.column("editor_id").is_none());

    let tags = tags::table.table_state();
    assert_eq!(tags.primary_key, ["code"]);
    assert!(!tags.has_auto_increment_key());

    assert_eq!(
        memberships::table.table_state().primary_key,
        ["user_id", "group_id"]
    );

    // the diesel side is unchanged: the Rust names stay, the SQL names are used
    let q = posts::table
        .in_schema("t")
        .select((posts::editor_id, posts::slug));
    assert_eq!(
        ryx::to_sql::<diesel::pg::Pg, _>(&q).unwrap(),
        r#"SELECT "blog_posts"."editor", "blog_posts"."slug" FROM "t"."blog_posts""#,
    );
}
