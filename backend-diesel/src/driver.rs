//! What [`repository!`](crate::repository!)'s driver impl needs of a
//! session beyond loading the model's rows: the bind limit, new
//! statements, and untyped values. Public only because the macro expands
//! in the user's crate.

use alchemy_core::driver::CacheKey;
use alchemy_core::{Model, Result, Value};

use crate::session::{ConnectionMut, Session};
use crate::sql::{Sql, StoredRow, statement_binds};

impl Session {
    /// Most binds one bulk statement carries on this session's database.
    #[doc(hidden)]
    pub fn __max_binds(&self) -> usize {
        statement_binds(self.dialect())
    }

    /// An empty statement (see [`alchemy_core::driver::Driver::sql`]).
    #[doc(hidden)]
    pub fn __sql(&self, cache: Option<CacheKey>) -> Sql {
        Sql::keyed(cache)
    }

    /// Runs `sql`, whose columns are named after columns of `M`'s table,
    /// and decodes every row as values, row after row.
    #[doc(hidden)]
    pub async fn __values<M: Model>(&mut self, sql: Sql) -> Result<Vec<Value>> {
        let query = sql.untyped();
        let result = match self.__statement_connection()? {
            ConnectionMut::Postgres(c) => {
                diesel_async::RunQueryDsl::load::<StoredRow<M>>(query, c).await
            }
            ConnectionMut::Sqlite(c) => {
                diesel_async::RunQueryDsl::load::<StoredRow<M>>(query, c).await
            }
        };
        let rows = self.__sent(M::table(), result)?;
        Ok(rows.into_iter().flat_map(|r| r.values).collect())
    }
}
