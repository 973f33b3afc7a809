//! [`Driver`]: how the repository's statements run on a sqlx session.

use alchemy_core::driver::{CacheKey, Driver};
use alchemy_core::schema::{ColumnType, Dialect};
use alchemy_core::{Result, Value};

use crate::backend::SqlxBackend;
use crate::repository::SqlxModel;
use crate::session::SqlxSession;
use crate::sql::Sql;

impl<M: SqlxModel, DB: SqlxBackend> Driver<M> for SqlxSession<DB> {
    type Sql = Sql<DB>;

    fn dialect(&self) -> Dialect {
        DB::DIALECT
    }

    fn sql(&self, cache: Option<CacheKey>) -> Sql<DB> {
        match cache {
            Some(key) => Sql::cached::<M>(key),
            None => Sql::new(""),
        }
    }

    async fn rows(&mut self, sql: Sql<DB>) -> Result<Vec<M>> {
        let result = DB::fetch_all::<M>(self.conn_for_statement()?, sql.keep::<M>()).await;
        self.sent_in(M::table(), result)
    }

    async fn row(&mut self, sql: Sql<DB>) -> Result<Option<M>> {
        let result = DB::fetch_optional::<M>(self.conn_for_statement()?, sql.keep::<M>()).await;
        self.sent_in(M::table(), result)
    }

    async fn rows_and_total(&mut self, sql: Sql<DB>) -> Result<Vec<(M, i64)>> {
        let result = DB::fetch_all_with_total::<M>(self.conn_for_statement()?, sql).await;
        self.sent_in(M::table(), result)
    }

    async fn values(&mut self, sql: Sql<DB>, types: &[ColumnType]) -> Result<Vec<Value>> {
        let result = DB::fetch_values(self.conn_for_statement()?, sql, types).await;
        self.sent_in(M::table(), result)
    }

    /// Counts and `created_at` read back without a list of values.
    async fn scalar(&mut self, sql: Sql<DB>, ty: ColumnType) -> Result<Option<Value>> {
        let sql = sql.keep::<M>();
        match ty {
            ColumnType::BigInt => {
                let result = DB::fetch_int(self.conn_for_statement()?, sql).await;
                self.sent_in(M::table(), result).map(|n| n.map(Value::Int))
            }
            ColumnType::Timestamp => {
                let result = DB::fetch_timestamp(self.conn_for_statement()?, sql).await;
                self.sent_in(M::table(), result)
                    .map(|at| at.map(Value::Timestamp))
            }
            _ => {
                let result = DB::fetch_values(self.conn_for_statement()?, sql, &[ty]).await;
                self.sent_in(M::table(), result)
                    .map(|values| values.into_iter().next())
            }
        }
    }

    async fn execute(&mut self, sql: Sql<DB>) -> Result<u64> {
        let result = DB::execute(self.conn_for_statement()?, sql).await;
        self.sent_in(M::table(), result)
    }

    fn copies(&self) -> bool {
        DB::COPIES
    }

    async fn copy_in(&mut self, statement: &str, payload: Vec<u8>) -> Result<u64> {
        let result = DB::copy_in(self.conn_for_statement()?, statement, payload).await;
        self.sent_in(M::table(), result)
    }
}
