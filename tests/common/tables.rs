//! The user's example tables (`ms_authors`, `ms_posts`) and their row types.
#![allow(dead_code)]

use diesel::prelude::*;

ryx::ryx_table! {
    ms_authors (id) {
        id -> Int8,
        name -> Varchar,
    }
}

ryx::ryx_table! {
    ms_posts (id) {
        id -> Int8,
        #[ryx(references = ms_authors, index)]
        author_id -> Int8,
        #[max_length = 200]
        title -> Varchar,
        #[ryx(default = "0")]
        views -> Int4,
        active -> Bool,
        created_at -> Timestamp,
    }
}

// ms_posts.author_id references ms_authors.id: one ryx line.
ryx::joinable!(ms_posts -> ms_authors (author_id));

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = ms_posts)]
pub struct Post {
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub views: i32,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Insertable, AsChangeset, Debug, Clone)]
#[diesel(table_name = ms_posts)]
pub struct NewPost {
    pub author_id: i64,
    pub title: String,
    pub views: i32,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
}

/// An insert whose `views` may be left to the column default.
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = ms_posts)]
pub struct NewPostMaybeViews {
    pub author_id: i64,
    pub title: String,
    pub views: Option<i32>,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = ms_authors)]
pub struct Author {
    pub id: i64,
    pub name: String,
}

pub fn at(day: u32) -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 1, day)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid date")
}

pub fn new_post(author_id: i64, title: &str, views: i32, active: bool, day: u32) -> NewPost {
    NewPost {
        author_id,
        title: title.to_owned(),
        views,
        active,
        created_at: at(day),
    }
}
