//! The conflict clause of an upsert per backend: `ON CONFLICT (target) DO ..`
//! on PostgreSQL and SQLite, `ON DUPLICATE KEY UPDATE ..` on MySQL, written
//! after the rows as diesel writes it for the plain table.

#[cfg(any(feature = "postgres", feature = "mysql"))]
use diesel::insertable::CanInsertInSingleQuery;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;
#[cfg(feature = "mysql")]
use diesel::Table;

use super::super::columns::ColumnsOf;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
use super::super::columns::{push_names, ColumnTuple, SingleColumn};
#[cfg(feature = "mysql")]
use super::AnyDuplicatedKey;
use super::{AnyConflict, DoNothing, DoUpdate, OnColumns, UpsertValues};

/// Never a static query id: the statement's SQL names a run-time schema.
impl<U, Target, Action> QueryId for UpsertValues<U, Target, Action> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// PostgreSQL and MySQL: the rows are diesel's, one row or a batch.
#[cfg(any(feature = "postgres", feature = "mysql"))]
macro_rules! rows_as_diesel_writes_them {
    ($db:ty) => {
        impl<U, Target, Action> CanInsertInSingleQuery<$db> for UpsertValues<U, Target, Action>
        where
            U: CanInsertInSingleQuery<$db>,
        {
            fn rows_to_insert(&self) -> Option<usize> {
                self.values.rows_to_insert()
            }
        }
    };
}

#[cfg(feature = "postgres")]
rows_as_diesel_writes_them!(diesel::pg::Pg);
#[cfg(feature = "mysql")]
rows_as_diesel_writes_them!(diesel::mysql::Mysql);

#[cfg(feature = "postgres")]
impl<U, Target, Action> QueryFragment<diesel::pg::Pg> for UpsertValues<U, Target, Action>
where
    U: QueryFragment<diesel::pg::Pg>,
    Target: QueryFragment<diesel::pg::Pg>,
    Action: QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(" ON CONFLICT");
        self.target.walk_ast(out.reborrow())?;
        self.action.walk_ast(out.reborrow())
    }
}

/// `ON CONFLICT` as PostgreSQL and SQLite write it.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
macro_rules! pg_like_upsert {
    ($db:ty) => {
        impl QueryFragment<$db> for AnyConflict {
            fn walk_ast<'b>(&'b self, _out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                Ok(())
            }
        }

        impl<T, C> QueryFragment<$db> for OnColumns<T, C, SingleColumn>
        where
            C: ColumnsOf<T, SingleColumn>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.push_sql(" (");
                push_names(&mut out, &C::column_names())?;
                out.push_sql(")");
                Ok(())
            }
        }

        impl<T, C> QueryFragment<$db> for OnColumns<T, C, ColumnTuple>
        where
            C: ColumnsOf<T, ColumnTuple>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.push_sql(" (");
                push_names(&mut out, &C::column_names())?;
                out.push_sql(")");
                Ok(())
            }
        }

        impl<T, PkM> QueryFragment<$db> for DoNothing<T, PkM> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.push_sql(" DO NOTHING");
                Ok(())
            }
        }

        impl<C, T, PkM> QueryFragment<$db> for DoUpdate<C, T, PkM>
        where
            C: QueryFragment<$db>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.unsafe_to_cache_prepared();
                if self.changeset.is_noop(out.backend())? {
                    out.push_sql(" DO NOTHING");
                } else {
                    out.push_sql(" DO UPDATE SET ");
                    self.changeset.walk_ast(out.reborrow())?;
                }
                Ok(())
            }
        }
    };
}

#[cfg(feature = "postgres")]
pg_like_upsert!(diesel::pg::Pg);
#[cfg(feature = "sqlite")]
pg_like_upsert!(diesel::sqlite::Sqlite);

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use diesel::mysql::Mysql;

    /// `` `posts`.`id` = `posts`.`id` ``: diesel's no-op assignment on MySQL.
    fn primary_key_to_itself<'b, T, PkM>(
        table: &'b T,
        out: &mut AstPass<'_, 'b, Mysql>,
    ) -> QueryResult<()>
    where
        T: Table + QueryFragment<Mysql>,
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        for (i, name) in T::PrimaryKey::column_names().into_iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            table.walk_ast(out.reborrow())?;
            out.push_sql(".");
            out.push_identifier(name)?;
            out.push_sql(" = ");
            table.walk_ast(out.reborrow())?;
            out.push_sql(".");
            out.push_identifier(name)?;
        }
        Ok(())
    }

    impl<U, Target, Action> QueryFragment<Mysql> for UpsertValues<U, Target, Action>
    where
        U: QueryFragment<Mysql>,
        Target: QueryFragment<Mysql>,
        Action: QueryFragment<Mysql>,
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            self.values.walk_ast(out.reborrow())?;
            out.push_sql(" ON DUPLICATE KEY");
            self.target.walk_ast(out.reborrow())?;
            self.action.walk_ast(out.reborrow())
        }
    }

    impl QueryFragment<Mysql> for AnyConflict {
        fn walk_ast<'b>(&'b self, _out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            Ok(())
        }
    }

    impl<T> QueryFragment<Mysql> for OnColumns<T, diesel::dsl::DuplicatedKeys, AnyDuplicatedKey> {
        fn walk_ast<'b>(&'b self, _out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            Ok(())
        }
    }

    impl<T, PkM> QueryFragment<Mysql> for DoNothing<T, PkM>
    where
        T: Table + QueryFragment<Mysql>,
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            out.push_sql(" UPDATE ");
            primary_key_to_itself(&self.table, &mut out)
        }
    }

    impl<C, T, PkM> QueryFragment<Mysql> for DoUpdate<C, T, PkM>
    where
        C: QueryFragment<Mysql>,
        T: Table + QueryFragment<Mysql>,
        T::PrimaryKey: ColumnsOf<T, PkM>,
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
            out.unsafe_to_cache_prepared();
            out.push_sql(" UPDATE ");
            if self.changeset.is_noop(out.backend())? {
                primary_key_to_itself(&self.table, &mut out)
            } else {
                self.changeset.walk_ast(out.reborrow())
            }
        }
    }
}
