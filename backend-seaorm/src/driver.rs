//! [`Driver`]: how the repository's statements run on a SeaORM session.

use alchemy_core::driver::{CacheKey, Driver, TOTAL};
use alchemy_core::schema::{ColumnType, Dialect};
use alchemy_core::{Model, Result, Value};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, FromQueryResult, ModelTrait,
    QueryResult, Statement,
};

use crate::check;
use crate::codec::decode_values;
use crate::error::from_db;
use crate::session::SeaSession;
use crate::sql::Sql;

/// The dialect of `backend`: SeaORM's MySQL driver is MariaDB's (`SeaDb`
/// refuses backends other than these three).
pub(crate) fn dialect(backend: DbBackend) -> Dialect {
    match backend {
        DbBackend::Postgres => Dialect::Postgres,
        DbBackend::MySql => Dialect::MariaDb,
        _ => Dialect::Sqlite,
    }
}

/// Runs `statement`, which returns at most one row, on `tx`: its row, if
/// any.
///
/// Where the server may send rows before the error (MariaDB, see
/// [`SqlDialect::rows_before_errors`](alchemy_core::dialect::SqlDialect::rows_before_errors)),
/// the result is read whole: a first-row read (SeaORM's `query_one`) would
/// drop the error and report a delete that did not happen.
async fn one_row(
    tx: &DatabaseTransaction,
    statement: Statement,
) -> std::result::Result<Option<QueryResult>, DbErr> {
    if dialect(tx.get_database_backend())
        .rules()
        .rows_before_errors()
    {
        return Ok(tx.query_all_raw(statement).await?.into_iter().next());
    }
    tx.query_one_raw(statement).await
}

impl SeaSession {
    fn backend(&self) -> DbBackend {
        self.connection().get_database_backend()
    }
}

impl SeaSession {
    /// The transaction for a statement of `M`, after the check of `M`'s
    /// entity (a mismatch fails before anything is sent).
    fn model_tx<M: Model + ModelTrait>(&mut self) -> Result<&DatabaseTransaction> {
        check::declaration::<M>()?;
        self.statement_tx()
    }
}

/// Every entity `Model` SeaORM decodes.
impl<M: Model + ModelTrait + FromQueryResult> Driver<M> for SeaSession {
    type Sql = Sql;

    fn dialect(&self) -> Dialect {
        dialect(self.backend())
    }

    /// sea-query binds an array as a `Vec` of its element type, with no
    /// NULL elements.
    fn arrays_take_nulls(&self) -> bool {
        false
    }

    fn sql(&self, _: Option<CacheKey>) -> Sql {
        // sqlx, under SeaORM, finds prepared statements by their text.
        Sql::new(self.backend(), String::with_capacity(128))
    }

    async fn rows(&mut self, sql: Sql) -> Result<Vec<M>> {
        let statement = sql.build()?;
        let result = self.model_tx::<M>()?.query_all_raw(statement).await;
        let rows = self.sent_in(M::table(), result)?;
        rows.iter()
            .map(|r| M::from_query_result(r, "").map_err(from_db))
            .collect()
    }

    async fn row(&mut self, sql: Sql) -> Result<Option<M>> {
        let statement = sql.build()?;
        let result = one_row(self.model_tx::<M>()?, statement).await;
        let row = self.sent_in(M::table(), result)?;
        row.map(|r| M::from_query_result(&r, "").map_err(from_db))
            .transpose()
    }

    async fn rows_and_total(&mut self, sql: Sql) -> Result<Vec<(M, i64)>> {
        let statement = sql.build()?;
        let result = self.model_tx::<M>()?.query_all_raw(statement).await;
        let rows = self.sent_in(M::table(), result)?;
        rows.iter()
            .map(|r| {
                let model = M::from_query_result(r, "").map_err(from_db)?;
                let total = r.try_get::<i64>("", TOTAL).map_err(from_db)?;
                Ok((model, total))
            })
            .collect()
    }

    async fn values(&mut self, sql: Sql, types: &[ColumnType]) -> Result<Vec<Value>> {
        let statement = sql.build()?;
        let result = self.model_tx::<M>()?.query_all_raw(statement).await;
        let rows = self.sent_in(M::table(), result)?;
        let mut values = Vec::with_capacity(rows.len() * types.len());
        for row in &rows {
            decode_values(row, types, &mut values)?;
        }
        Ok(values)
    }

    async fn scalar(&mut self, sql: Sql, ty: ColumnType) -> Result<Option<Value>> {
        let statement = sql.build()?;
        let result = one_row(self.model_tx::<M>()?, statement).await;
        let Some(row) = self.sent_in(M::table(), result)? else {
            return Ok(None);
        };
        let mut values = Vec::with_capacity(1);
        decode_values(&row, &[ty], &mut values)?;
        Ok(values.pop())
    }

    async fn execute(&mut self, sql: Sql) -> Result<u64> {
        let statement = sql.build()?;
        let result = self.model_tx::<M>()?.execute_raw(statement).await;
        self.sent_in(M::table(), result)
            .map(|done| done.rows_affected())
    }
}
