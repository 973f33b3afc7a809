//! The two databases this crate drives, behind one sealed trait.
//!
//! sqlx code is written against a concrete database (`Postgres`, `Sqlite`);
//! this trait is the small set of operations whose bounds only hold for a
//! concrete one (binding a value, running a built query), so the repository
//! itself can be written once, generically.

use std::future::Future;
use std::str::FromStr;
#[cfg(feature = "sqlite")]
use std::time::Duration;

use alchemy_core::Value;
use alchemy_core::driver::TOTAL;
use alchemy_core::schema::{ColumnType, Dialect};
use alchemy_core::value::ValueArray;
use chrono::{DateTime, Utc};
#[cfg(feature = "mysql")]
use sqlx::MySql;
#[cfg(feature = "postgres")]
use sqlx::Postgres;
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
use sqlx::error::BoxDynError;
#[cfg(feature = "mysql")]
use sqlx::mysql::MySqlConnectOptions;
use sqlx::pool::PoolOptions;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgConnectOptions;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{Arguments, AssertSqlSafe, Pool, Row, Transaction};

#[cfg(feature = "postgres")]
use crate::codec::add_pg_array;
use crate::codec::{add_lent, add_value, decode_value};
use crate::repository::SqlxModel;
use crate::sql::Sql;

mod sealed {
    pub trait Sealed {}
    #[cfg(feature = "postgres")]
    impl Sealed for sqlx::Postgres {}
    #[cfg(feature = "sqlite")]
    impl Sealed for sqlx::Sqlite {}
    #[cfg(feature = "mysql")]
    impl Sealed for sqlx::MySql {}
}

/// A database this crate supports: [`sqlx::Postgres`], [`sqlx::Sqlite`] or
/// [`sqlx::MySql`] (MariaDB).
///
/// Sealed: its methods are plumbing for the repository, not an extension point.
pub trait SqlxBackend: sqlx::Database + sealed::Sealed {
    /// The SQL dialect.
    const DIALECT: Dialect;

    /// Opens a pool for `url` with this crate's connection settings (see [`crate::db`]).
    fn connect(url: &str) -> impl Future<Output = sqlx::Result<Pool<Self>>> + Send;

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    fn begin(
        pool: &Pool<Self>,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self>>> + Send;

    /// Adds `value` to `args`; a NULL is typed after the column type `ty`.
    ///
    /// # Errors
    /// sqlx's encoding error (none of this crate's value types has one).
    fn add_value(
        args: &mut Self::Arguments,
        value: &Value,
        ty: ColumnType,
    ) -> Result<(), BoxDynError>;

    /// Adds `array` to `args` as one array parameter (PostgreSQL; SQLite
    /// has no array parameters, and the library asks it for none).
    ///
    /// # Errors
    /// sqlx's encoding error; on SQLite, always.
    fn add_array(args: &mut Self::Arguments, array: ValueArray<'_>) -> Result<(), BoxDynError>;

    /// Adds a model's field of column type `ty`, lent in place, to `args`
    /// without a copy (text, bytes, JSON); `None` for a field it does not
    /// bind this way (the caller binds its value).
    fn add_lent(
        args: &mut Self::Arguments,
        field: &dyn std::any::Any,
        ty: ColumnType,
    ) -> Option<Result<(), BoxDynError>>;

    /// Whether sessions run a binary `COPY .. FROM STDIN`
    /// ([`Driver::copies`](alchemy_core::driver::Driver::copies)):
    /// PostgreSQL's do.
    const COPIES: bool;

    /// Runs `statement`, a binary `COPY .. FROM STDIN`, with `payload` on
    /// `conn`; the rows written. Never asked of SQLite, which has no `COPY`.
    ///
    /// # Errors
    /// The database's error; on SQLite, always.
    fn copy_in(
        conn: &mut Self::Connection,
        statement: &str,
        payload: Vec<u8>,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send;

    /// Runs `qb` and decodes every row.
    fn fetch_all<M: SqlxModel>(
        conn: &mut Self::Connection,
        qb: Sql<Self>,
    ) -> impl Future<Output = sqlx::Result<Vec<M>>> + Send;

    /// Runs `qb` and decodes its first row; the rest are never produced
    /// (one message from SQLite's worker thread instead of one per row and
    /// one for the end).
    fn fetch_optional<M: SqlxModel>(
        conn: &mut Self::Connection,
        qb: Sql<Self>,
    ) -> impl Future<Output = sqlx::Result<Option<M>>> + Send;

    /// Runs `qb` and decodes every row plus its `__alchemy_total` column
    /// (the `count(*) OVER ()` of a list-and-count).
    fn fetch_all_with_total<M: SqlxModel>(
        conn: &mut Self::Connection,
        qb: Sql<Self>,
    ) -> impl Future<Output = sqlx::Result<Vec<(M, i64)>>> + Send;

    /// Runs `qb` and decodes every row as untyped values, column `i` as
    /// `types[i]` (a NULL as [`Value::Null`]), all rows in one list, row
    /// after row.
    fn fetch_values(
        conn: &mut Self::Connection,
        qb: Sql<Self>,
        types: &[ColumnType],
    ) -> impl Future<Output = sqlx::Result<Vec<Value>>> + Send;

    /// Runs `qb` and returns the timestamp in the first column of its first
    /// row (a `RETURNING created_at`), if it returned one.
    fn fetch_timestamp(
        conn: &mut Self::Connection,
        qb: Sql<Self>,
    ) -> impl Future<Output = sqlx::Result<Option<DateTime<Utc>>>> + Send;

    /// Runs `qb` and returns the `BIGINT` in the first column of its first
    /// row (a `count(*)`), if it returned one that is not NULL.
    fn fetch_int(
        conn: &mut Self::Connection,
        qb: Sql<Self>,
    ) -> impl Future<Output = sqlx::Result<Option<i64>>> + Send;

    /// Runs `qb` and returns the number of rows it affected.
    fn execute(
        conn: &mut Self::Connection,
        qb: Sql<Self>,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send;

    /// Runs one statement of trusted, developer-written SQL (DDL).
    fn execute_sql(pool: &Pool<Self>, sql: String)
    -> impl Future<Output = sqlx::Result<()>> + Send;

    /// Runs one statement of library-written SQL without parameters
    /// (savepoints) on `conn`.
    fn execute_sql_in(
        conn: &mut Self::Connection,
        sql: &str,
    ) -> impl Future<Output = sqlx::Result<()>> + Send;
}

// Running a built statement is the same code for both databases; only the
// bounds differ, and they hold for each concrete one.
macro_rules! statements {
    ($row:ty) => {
        async fn fetch_all<M: SqlxModel>(
            conn: &mut Self::Connection,
            qb: Sql<Self>,
        ) -> sqlx::Result<Vec<M>> {
            let (text, args) = qb.into_parts()?;
            sqlx::query_as_with::<Self, M, _>(AssertSqlSafe(text), args)
                .fetch_all(conn)
                .await
        }

        async fn fetch_optional<M: SqlxModel>(
            conn: &mut Self::Connection,
            qb: Sql<Self>,
        ) -> sqlx::Result<Option<M>> {
            let (text, args) = qb.into_parts()?;
            let query = sqlx::query_as_with::<Self, M, _>(AssertSqlSafe(text), args);
            if Self::DIALECT.rules().rows_before_errors() {
                // The error may come after the row: the result is read whole.
                return Ok(query.fetch_all(conn).await?.into_iter().next());
            }
            query.fetch_optional(conn).await
        }

        async fn execute(conn: &mut Self::Connection, qb: Sql<Self>) -> sqlx::Result<u64> {
            let (text, args) = qb.into_parts()?;
            Ok(sqlx::query_with(AssertSqlSafe(text), args)
                .execute(conn)
                .await?
                .rows_affected())
        }

        async fn fetch_all_with_total<M: SqlxModel>(
            conn: &mut Self::Connection,
            qb: Sql<Self>,
        ) -> sqlx::Result<Vec<(M, i64)>> {
            let (text, args) = qb.into_parts()?;
            let rows = sqlx::query_with(AssertSqlSafe(text), args)
                .fetch_all(conn)
                .await?;
            rows.iter()
                .map(|row: &$row| Ok((M::from_row(row)?, row.try_get::<i64, _>(TOTAL)?)))
                .collect()
        }

        async fn fetch_values(
            conn: &mut Self::Connection,
            qb: Sql<Self>,
            types: &[ColumnType],
        ) -> sqlx::Result<Vec<Value>> {
            let (text, args) = qb.into_parts()?;
            let rows = sqlx::query_with(AssertSqlSafe(text), args)
                .fetch_all(conn)
                .await?;
            rows.iter()
                .flat_map(|row: &$row| {
                    types
                        .iter()
                        .enumerate()
                        .map(move |(i, ty)| decode_value!(row, i, *ty))
                })
                .collect()
        }

        async fn fetch_timestamp(
            conn: &mut Self::Connection,
            qb: Sql<Self>,
        ) -> sqlx::Result<Option<DateTime<Utc>>> {
            let (text, args) = qb.into_parts()?;
            sqlx::query_scalar_with::<Self, DateTime<Utc>, _>(AssertSqlSafe(text), args)
                .fetch_optional(conn)
                .await
        }

        async fn fetch_int(
            conn: &mut Self::Connection,
            qb: Sql<Self>,
        ) -> sqlx::Result<Option<i64>> {
            let (text, args) = qb.into_parts()?;
            sqlx::query_scalar_with::<Self, Option<i64>, _>(AssertSqlSafe(text), args)
                .fetch_optional(conn)
                .await
                .map(Option::flatten)
        }

        async fn execute_sql(pool: &Pool<Self>, sql: String) -> sqlx::Result<()> {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await?;
            Ok(())
        }

        async fn execute_sql_in(conn: &mut Self::Connection, sql: &str) -> sqlx::Result<()> {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(conn)
                .await?;
            Ok(())
        }
    };
}

#[cfg(feature = "postgres")]
impl SqlxBackend for Postgres {
    const DIALECT: Dialect = Dialect::Postgres;

    async fn connect(url: &str) -> sqlx::Result<Pool<Self>> {
        let options = PgConnectOptions::from_str(url)?;
        PoolOptions::<Postgres>::new()
            .max_connections(16)
            .connect_with(options)
            .await
    }

    fn begin(
        pool: &Pool<Self>,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self>>> + Send {
        // The pool's future itself, not wrapped in another (it is large).
        pool.begin()
    }

    fn add_value(
        args: &mut Self::Arguments,
        value: &Value,
        ty: ColumnType,
    ) -> Result<(), BoxDynError> {
        add_value!(args, value, ty, std::convert::identity)
    }

    fn add_array(args: &mut Self::Arguments, array: ValueArray<'_>) -> Result<(), BoxDynError> {
        add_pg_array(args, array)
    }

    fn add_lent(
        args: &mut Self::Arguments,
        field: &dyn std::any::Any,
        ty: ColumnType,
    ) -> Option<Result<(), BoxDynError>> {
        add_lent!(args, field, ty)
    }

    const COPIES: bool = true;

    async fn copy_in(
        conn: &mut Self::Connection,
        statement: &str,
        payload: Vec<u8>,
    ) -> sqlx::Result<u64> {
        let mut copy = conn.copy_in_raw(statement).await?;
        copy.send(payload).await?;
        copy.finish().await
    }

    statements!(sqlx::postgres::PgRow);
}

#[cfg(feature = "sqlite")]
impl SqlxBackend for Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;

    async fn connect(url: &str) -> sqlx::Result<Pool<Self>> {
        // WAL lets readers run beside the writer; a 5 s busy timeout makes
        // writers queue instead of failing; foreign keys are off by default in SQLite.
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        PoolOptions::<Sqlite>::new()
            // An in-memory database lives and dies with one connection.
            .max_connections(if in_memory { 1 } else { 8 })
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout(if in_memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if in_memory {
                None
            } else {
                Some(Duration::from_secs(1800))
            })
            .connect_with(options)
            .await
    }

    fn begin(
        pool: &Pool<Self>,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self>>> + Send {
        // Take the write lock at once: a deferred transaction that reads and
        // then writes fails with SQLITE_BUSY_SNAPSHOT whatever the timeout.
        pool.begin_with("BEGIN IMMEDIATE")
    }

    fn add_value(
        args: &mut Self::Arguments,
        value: &Value,
        ty: ColumnType,
    ) -> Result<(), BoxDynError> {
        // The one text form every backend writes (see `audit::sqlite_text`).
        add_value!(args, value, ty, alchemy_core::audit::sqlite_text)
    }

    fn add_array(_: &mut Self::Arguments, _: ValueArray<'_>) -> Result<(), BoxDynError> {
        Err("SQLite has no array parameters".into())
    }

    fn add_lent(
        args: &mut Self::Arguments,
        field: &dyn std::any::Any,
        ty: ColumnType,
    ) -> Option<Result<(), BoxDynError>> {
        add_lent!(args, field, ty)
    }

    const COPIES: bool = false;

    async fn copy_in(_: &mut Self::Connection, _: &str, _: Vec<u8>) -> sqlx::Result<u64> {
        Err(sqlx::Error::Protocol("SQLite has no COPY".into()))
    }

    statements!(sqlx::sqlite::SqliteRow);
}

/// MariaDB through sqlx's MySQL driver.
#[cfg(feature = "mysql")]
impl SqlxBackend for MySql {
    const DIALECT: Dialect = Dialect::MariaDb;

    async fn connect(url: &str) -> sqlx::Result<Pool<Self>> {
        // sqlx already sets `utf8mb4`, UTC as the session time zone and
        // `PIPES_AS_CONCAT`; the dialect's setup adds strict mode.
        let options = MySqlConnectOptions::from_str(url)?;
        PoolOptions::<MySql>::new()
            .max_connections(16)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    match Dialect::MariaDb.rules().connection_setup() {
                        Some(setup) => sqlx::raw_sql(setup).execute(conn).await.map(drop),
                        None => Ok(()),
                    }
                })
            })
            .connect_with(options)
            .await
    }

    fn begin(
        pool: &Pool<Self>,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self>>> + Send {
        pool.begin()
    }

    fn add_value(
        args: &mut Self::Arguments,
        value: &Value,
        ty: ColumnType,
    ) -> Result<(), BoxDynError> {
        // A UUID binds as its 16 bytes (`BINARY(16)`), a timestamp as a
        // `DATETIME` in UTC: sqlx sends a `DateTime<Utc>` as a `TIMESTAMP`,
        // which the server turns into NULL outside 1970-2038.
        add_value!(args, value, ty, |at: DateTime<Utc>| at.naive_utc())
    }

    fn add_array(_: &mut Self::Arguments, _: ValueArray<'_>) -> Result<(), BoxDynError> {
        Err("MariaDB has no array parameters".into())
    }

    fn add_lent(
        args: &mut Self::Arguments,
        field: &dyn std::any::Any,
        ty: ColumnType,
    ) -> Option<Result<(), BoxDynError>> {
        add_lent!(args, field, ty)
    }

    const COPIES: bool = false;

    async fn copy_in(_: &mut Self::Connection, _: &str, _: Vec<u8>) -> sqlx::Result<u64> {
        Err(sqlx::Error::Protocol("MariaDB has no COPY".into()))
    }

    statements!(sqlx::mysql::MySqlRow);
}
