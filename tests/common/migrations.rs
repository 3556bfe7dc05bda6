//! Support for the `migrate_*` suites, which are written once as a macro and
//! instantiated per backend: one module per backend providing `Conn`, `KIND`,
//! `setup() -> (guard, conn, six schema names)`, `connect_other(&guard)` (a
//! second connection to the same database) and `tables(conn, schema)`; and the
//! `everything` table, one column of every type ryx maps.
//!
//! On PostgreSQL the six names are fresh schemas, dropped when the guard is;
//! on SQLite and MySQL they are `tenant1`..`tenant6` in one fresh database,
//! where the schema is a no-op.

ryx::ryx_table! {
    /// One column of every type ryx maps.
    everything (id) {
        id -> Int4,
        a -> Int2,
        b -> Int8,
        #[ryx(unique, max_length = 40)]
        c -> Varchar,
        d -> Text,
        e -> Bool,
        f -> Float4,
        g -> Float8,
        h -> Numeric,
        i -> Date,
        j -> Nullable<Timestamp>,
        k -> Timestamptz,
        l -> Uuid,
        m -> Json,
        n -> Jsonb,
        o -> Binary,
        #[ryx(index, default = "'x'")]
        p -> Nullable<Varchar>,
    }
}

/// The tables ryx sees in `schema` (the whole database on SQLite and MySQL).
macro_rules! tables_fn {
    () => {
        pub fn tables(conn: &mut Conn, schema: &str) -> Vec<String> {
            <<Conn as diesel::Connection>::Backend as ryx::migrate::MigrationBackend>::live_tables(
                conn, schema,
            )
            .unwrap()
        }
    };
}

pub mod postgres {
    use crate::common;
    pub use diesel::PgConnection as Conn;
    pub const KIND: ryx::migrate::Backend = ryx::migrate::Backend::PostgreSQL;

    pub fn setup() -> (common::PgSchemas, Conn, Vec<String>) {
        let conn = common::pg_connect();
        let schemas = common::PgSchemas::reserve(6);
        let names = schemas.names.clone();
        (schemas, conn, names)
    }

    pub fn connect_other(_guard: &common::PgSchemas) -> Conn {
        common::pg_connect()
    }

    tables_fn!();
}

pub mod sqlite {
    use crate::common;
    pub use diesel::SqliteConnection as Conn;
    pub const KIND: ryx::migrate::Backend = ryx::migrate::Backend::SQLite;

    pub fn setup() -> (common::SqliteDb, Conn, Vec<String>) {
        let db = common::SqliteDb::empty();
        let conn = db.connect();
        let names = (1..=6).map(|i| format!("tenant{i}")).collect();
        (db, conn, names)
    }

    pub fn connect_other(db: &common::SqliteDb) -> Conn {
        db.connect()
    }

    tables_fn!();
}

#[cfg(feature = "mysql")]
pub mod mysql {
    use crate::common;
    pub use diesel::MysqlConnection as Conn;
    pub const KIND: ryx::migrate::Backend = ryx::migrate::Backend::MySQL;

    pub fn setup() -> (common::MysqlDb, Conn, Vec<String>) {
        let (db, conn) = common::MysqlDb::empty();
        let names = (1..=6).map(|i| format!("tenant{i}")).collect();
        (db, conn, names)
    }

    pub fn connect_other(db: &common::MysqlDb) -> Conn {
        db.connect()
    }

    tables_fn!();
}
