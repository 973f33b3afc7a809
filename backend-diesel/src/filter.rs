//! A core [`Condition`] as a diesel boolean expression, for `.filter(..)`.

use alchemy_core::Result;
use alchemy_core::filter::Condition;
use alchemy_core::schema::{Dialect, Table};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
#[cfg(feature = "mysql")]
use diesel::mysql::Mysql;
#[cfg(feature = "postgres")]
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Bool;
#[cfg(feature = "sqlite")]
use diesel::sqlite::Sqlite;

use crate::sql::{RawQuery, Sql};

/// A [`Condition`] checked against a table, usable as a diesel boolean
/// expression: `post::table.filter(Filter::new(&cond, Post::table())?)`.
///
/// The SQL is the one every backend writes (`alchemy_core::sql`, with the
/// semantics of [`alchemy_core::filter`]): column names come from the
/// checked condition and are quoted; every value is converted to its
/// column's type and bound as a parameter of that SQL type
/// ([`alchemy_core::filter::Value::Uuid`] as [`crate::types::Uuid`],
/// timestamps as [`crate::types::Timestamp`]); lists are one array on
/// PostgreSQL and one JSON value on SQLite and MariaDB past 100 values;
/// case-sensitive matches use `GLOB` on SQLite (whose `LIKE` folds case).
/// The text is written for each database the crate is built for.
#[derive(Debug, Clone)]
pub struct Filter {
    #[cfg(feature = "postgres")]
    postgres: RawQuery<()>,
    #[cfg(feature = "sqlite")]
    sqlite: RawQuery<()>,
    #[cfg(feature = "mysql")]
    mysql: RawQuery<()>,
}

impl Filter {
    /// Checks every field of `condition` against `table`, converts its
    /// values to their columns' types ([`Condition::checked_ref`]) and
    /// writes it for both databases.
    ///
    /// # Errors
    /// [`alchemy_core::Error::InvalidInput`] naming the first unknown field
    /// or unsuitable value, or for a filter over the limits of
    /// [`alchemy_core::sql::write_condition`].
    pub fn new(condition: &Condition, table: &Table) -> Result<Self> {
        let checked = condition.checked_ref(table)?;
        let write = |dialect| -> Result<RawQuery<()>> {
            let mut sql = Sql::keyed(dialect, None);
            alchemy_core::sql::write_condition(&mut sql, table, dialect, &checked)?;
            Ok(sql.query(()))
        };
        Ok(Self {
            #[cfg(feature = "postgres")]
            postgres: write(Dialect::Postgres)?,
            #[cfg(feature = "sqlite")]
            sqlite: write(Dialect::Sqlite)?,
            #[cfg(feature = "mysql")]
            mysql: write(Dialect::MariaDb)?,
        })
    }
}

impl Expression for Filter {
    type SqlType = Bool;
}

impl<QS: ?Sized> AppearsOnTable<QS> for Filter {}

impl<QS: ?Sized> SelectableExpression<QS> for Filter {}

impl<GB> ValidGrouping<GB> for Filter {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for Filter {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(feature = "postgres")]
impl QueryFragment<Pg> for Filter {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_sql("(");
        self.postgres.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

#[cfg(feature = "sqlite")]
impl QueryFragment<Sqlite> for Filter {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> diesel::QueryResult<()> {
        out.push_sql("(");
        self.sqlite.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

#[cfg(feature = "mysql")]
impl QueryFragment<Mysql> for Filter {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Mysql>) -> diesel::QueryResult<()> {
        out.push_sql("(");
        self.mysql.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}
