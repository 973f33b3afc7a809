//! Many-to-many association tables.

use std::fmt;
use std::marker::PhantomData;

use alchemy_core::schema::quote;
use alchemy_core::{KeyOf, LinkRepository, Model, Result};

use crate::backend::SqlxBackend;
use crate::repository::SqlxModel;
use crate::session::SqlxSession;
use crate::sql::{Sql, key_type_of, select_list};

/// Ties the repository to its models and database without owning any.
type Marker<L, R, DB> = PhantomData<fn() -> (L, R, DB)>;

/// The association table `table (left_column, right_column)` between `L` and `R`.
///
/// The table needs a primary or unique key over both columns (so attaching
/// twice is a no-op); `ON DELETE CASCADE` foreign keys make deleting either
/// side remove its links.
pub struct SqlxLinkRepository<L, R, DB> {
    table: &'static str,
    left_column: &'static str,
    right_column: &'static str,
    _marker: Marker<L, R, DB>,
}

impl<L, R, DB> SqlxLinkRepository<L, R, DB> {
    /// The link table `table`, whose `left_column` refers to `L`'s key and
    /// `right_column` to `R`'s.
    pub const fn new(
        table: &'static str,
        left_column: &'static str,
        right_column: &'static str,
    ) -> Self {
        Self {
            table,
            left_column,
            right_column,
            _marker: PhantomData,
        }
    }
}

impl<L, R, DB> Clone for SqlxLinkRepository<L, R, DB> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L, R, DB> Copy for SqlxLinkRepository<L, R, DB> {}

impl<L, R, DB> fmt::Debug for SqlxLinkRepository<L, R, DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlxLinkRepository")
            .field("table", &self.table)
            .field("left_column", &self.left_column)
            .field("right_column", &self.right_column)
            .finish()
    }
}

impl<L, R, DB> LinkRepository for SqlxLinkRepository<L, R, DB>
where
    DB: SqlxBackend,
    L: Model,
    R: SqlxModel,
{
    type Left = L;
    type Right = R;
    type Session = SqlxSession<DB>;

    async fn attach(
        &self,
        session: &mut SqlxSession<DB>,
        left: &KeyOf<L>,
        right: &KeyOf<R>,
    ) -> Result<()> {
        let mut qb = Sql::new(&format!(
            "INSERT INTO {} ({}, {}) VALUES (",
            quote(self.table),
            quote(self.left_column),
            quote(self.right_column)
        ));
        qb.bind(left.clone().into(), key_type_of::<L>())
            .push(", ")
            .bind(right.clone().into(), key_type_of::<R>());
        qb.push(") ON CONFLICT DO NOTHING");
        {
            let result = DB::execute(session.conn_for_statement()?, qb).await;
            session.sent(result)
        }?;
        Ok(())
    }

    async fn detach(
        &self,
        session: &mut SqlxSession<DB>,
        left: &KeyOf<L>,
        right: &KeyOf<R>,
    ) -> Result<bool> {
        let mut qb = Sql::new(&format!(
            "DELETE FROM {} WHERE {} = ",
            quote(self.table),
            quote(self.left_column)
        ));
        qb.bind(left.clone().into(), key_type_of::<L>())
            .push(" AND ")
            .push(&quote(self.right_column))
            .push(" = ")
            .bind(right.clone().into(), key_type_of::<R>());
        let n = {
            let result = DB::execute(session.conn_for_statement()?, qb).await;
            session.sent(result)
        }?;
        Ok(n > 0)
    }

    async fn right_of(&self, session: &mut SqlxSession<DB>, left: &KeyOf<L>) -> Result<Vec<R>> {
        let right = R::table();
        let key = right
            .primary_key_columns()
            .first()
            .map(String::as_str)
            .unwrap_or("id");
        let mut qb = Sql::new(&format!(
            "SELECT {cols} FROM {rt} AS \"r\" JOIN {lt} AS \"l\" ON \"l\".{rc} = \"r\".{key} WHERE \"l\".{lc} = ",
            cols = select_list(right, "r"),
            rt = quote(right.name()),
            lt = quote(self.table),
            rc = quote(self.right_column),
            key = quote(key),
            lc = quote(self.left_column),
        ));
        qb.bind(left.clone().into(), key_type_of::<L>())
            .push(" ORDER BY \"r\".")
            .push(&quote(key));
        {
            let result = DB::fetch_all::<R>(session.conn_for_statement()?, qb).await;
            session.sent(result)
        }
    }
}
