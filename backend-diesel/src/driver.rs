//! [`Driver`]: how the repository's statements run on a diesel session, for
//! every [`DieselModel`].

use alchemy_core::driver::{CacheKey, Driver};
use alchemy_core::schema::{ColumnType, Dialect};
use alchemy_core::{Model, Result, Value};
use chrono::{DateTime, Utc};
use diesel::dsl::AsSelect as SelectBy;
#[cfg(feature = "mysql")]
use diesel::mysql::Mysql;
#[cfg(feature = "postgres")]
use diesel::pg::Pg;
use diesel::query_builder::QueryFragment;
use diesel::sql_types::BigInt;
#[cfg(feature = "sqlite")]
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, Selectable, SelectableHelper};
#[cfg(feature = "mysql")]
use diesel_async::AsyncMysqlConnection;
#[cfg(feature = "postgres")]
use diesel_async::AsyncPgConnection;
use diesel_async::methods::LoadQuery;

use crate::check::{self, CheckDb, ColumnNulls, SelectedTypes};
use crate::codec::StoredRow;
#[cfg(feature = "sqlite")]
use crate::db::SqliteConn;
use crate::session::{ConnectionMut, DieselSession};
use crate::sql::{
    ByText, Fixed, GetByKey, InsertAbsent, RawQuery, Sql, Typed, UpdateWhole, WithTotal,
    statement_binds,
};

/// Runs `$body` with `$c` bound to the connection behind `$conn`, typed
/// once per database (diesel's load bounds hold only for a concrete
/// connection type).
macro_rules! on_connection {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            ConnectionMut::Postgres($c) => $body,
            #[cfg(feature = "sqlite")]
            ConnectionMut::Sqlite($c) => $body,
            #[cfg(feature = "mysql")]
            ConnectionMut::Mysql($c) => $body,
        }
    };
}

/// A model this crate can store: an [`alchemy_core::Model`] with diesel's
/// `#[derive(Queryable, Selectable)]` over a `table!` whose column names
/// match [`Model::table`], loadable on each database the crate is built
/// for (its `postgres`, `sqlite` and `mysql` features). Implemented for
/// every such type; its methods are plumbing for the repository.
///
/// Use [`types::Uuid`](crate::types::Uuid) and
/// [`types::Timestamp`](crate::types::Timestamp) for UUID and timestamp
/// columns. `Insertable`/`AsChangeset` derives are not needed by the
/// repository (they stay useful for hand-written diesel queries through
/// [`DieselSession::connection`]).
///
/// # A key type of its own
/// The `UserId` of [`KeyStrategy`](alchemy_core::pk::KeyStrategy)'s docs
/// (its core impls hidden here) needs, for diesel, only `FromSql` (and
/// `#[derive(FromSqlRow)]`) so `Queryable` reads it: the library binds
/// keys itself.
///
/// ```
/// use alchemy_core::{Database, Model, Repository, Session};
/// use alchemy_diesel::{DieselDb, DieselRepository};
/// use chrono::{DateTime, Utc};
/// use diesel::backend::Backend;
/// use diesel::deserialize::{self, FromSql};
/// use diesel::prelude::*;
/// use diesel::sql_types::Text;
///
/// #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, diesel::deserialize::FromSqlRow)]
/// pub struct UserId(String);
///
/// impl<DB: Backend> FromSql<Text, DB> for UserId
/// where
///     String: FromSql<Text, DB>,
/// {
///     fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
///         String::from_sql(bytes).map(UserId)
///     }
/// }
///
/// diesel::table! {
///     user (id) {
///         id -> Varchar,
///         created_at -> alchemy_diesel::types::Timestamp,
///         updated_at -> alchemy_diesel::types::Timestamp,
///         email -> Text,
///     }
/// }
///
/// #[derive(Debug, Clone, Queryable, Selectable, Model)]
/// #[diesel(table_name = user)]
/// #[model(base = UserBase)]
/// pub struct User {
///     pub id: UserId,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     pub email: String,
/// }
/// # use alchemy_core::pk::{KeyGeneration, KeyStrategy};
/// # use alchemy_core::schema::ColumnType;
/// # use alchemy_core::{Base, Error, Value};
/// # impl std::fmt::Display for UserId {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
/// # }
/// # impl From<UserId> for Value {
/// #     fn from(id: UserId) -> Value { Value::Text(id.0) }
/// # }
/// # impl TryFrom<Value> for UserId {
/// #     type Error = Error;
/// #     fn try_from(value: Value) -> Result<Self, Error> {
/// #         match value {
/// #             Value::Text(id) if id.starts_with("usr_") => Ok(UserId(id)),
/// #             other => Err(Error::invalid_input(format!("not a user id: {other:?}"))),
/// #         }
/// #     }
/// # }
/// # pub struct UserKey;
/// # impl KeyStrategy for UserKey {
/// #     type Value = UserId;
/// #     const GENERATION: KeyGeneration = KeyGeneration::Client;
/// #     const COLUMN_TYPE: ColumnType = ColumnType::VarChar(20);
/// #     fn generate() -> UserId {
/// #         UserId(format!("usr_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]))
/// #     }
/// # }
/// # pub struct UserBase;
/// # impl Base for UserBase { type Key = UserKey; const AUDITED: bool = true; }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> alchemy_core::Result<()> {
/// let db = DieselDb::connect("sqlite::memory:").await?;
/// db.create_tables(&[User::table()]).await?;
/// let users = DieselRepository::<User>::new();
/// let mut s = db.begin().await?;
/// let ada = users
///     .add(&mut s, User { id: UserId::default(), created_at: Default::default(), updated_at: Default::default(), email: "ada@example.com".into() })
///     .await?;
/// assert!(ada.id.0.starts_with("usr_"));
/// assert_eq!(users.get(&mut s, &ada.id).await?.email, "ada@example.com");
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub trait DieselModel: Model + Sized {
    /// Runs `sql`, which selects the model's `Selectable` columns, and
    /// decodes every row (found in diesel's statement cache by type for a
    /// [`CacheKey`], else by text).
    #[doc(hidden)]
    fn __load(
        sql: Sql,
        conn: ConnectionMut<'_>,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;

    /// Checks, once per model, that the `Selectable` columns are
    /// [`Model::table`]'s: names, order and nullability.
    #[doc(hidden)]
    fn __check() -> Result<()>;

    /// As [`DieselModel::__load`], each row with the `BIGINT` total after
    /// the model's columns.
    #[doc(hidden)]
    fn __load_with_total(
        sql: Sql,
        conn: ConnectionMut<'_>,
    ) -> impl Future<Output = QueryResult<Vec<(Self, i64)>>> + Send;
}

type Rows<M, DB, I = ByText> = RawQuery<SelectBy<M, DB>, I>;
type Totals<M, DB> = RawQuery<WithTotal<SelectBy<M, DB>>>;

/// Declares `$name`: loading a model's rows on one database (`$db` through
/// connection type `$conn`, feature `$feature`). diesel's load bounds hold
/// only for a concrete connection type, so they are stated per database,
/// as a trait implemented for every model that meets them; without the
/// feature the trait is empty and implemented for every type. A
/// [`DieselModel`] is one of each, so a build with any set of databases
/// names its bounds once.
macro_rules! loads_on {
    ($name:ident, $db:ty, $conn:ty, $feature:literal) => {
        #[doc = concat!("Loading rows on one database (feature `", $feature, "`); plumbing for [`DieselModel`].")]
        #[doc(hidden)]
        #[cfg(feature = $feature)]
        pub trait $name: Sized {
            /// Runs `sql` and decodes every row.
            fn load_rows(
                sql: Sql,
                conn: &mut $conn,
            ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
            /// As `load_rows`, each row with the `BIGINT` total.
            fn load_totals(
                sql: Sql,
                conn: &mut $conn,
            ) -> impl Future<Output = QueryResult<Vec<(Self, i64)>>> + Send;
        }

        #[cfg(feature = $feature)]
        impl<M> $name for M
        where
            M: Selectable<$db> + Send + 'static,
            for<'q> Rows<M, $db>: LoadQuery<'q, $conn, M>,
            for<'q> Rows<M, $db, Fixed<M, GetByKey>>: LoadQuery<'q, $conn, M>,
            for<'q> Rows<M, $db, Fixed<M, InsertAbsent>>: LoadQuery<'q, $conn, M>,
            for<'q> Totals<M, $db>: LoadQuery<'q, $conn, (M, i64)>,
        {
            async fn load_rows(sql: Sql, c: &mut $conn) -> QueryResult<Vec<M>> {
                use diesel_async::RunQueryDsl;
                match sql.cache_key() {
                    Some(CacheKey::GetByKey) => {
                        sql.fixed::<_, M, GetByKey>(M::as_select()).load(c).await
                    }
                    Some(CacheKey::InsertAbsent) => {
                        sql.fixed::<_, M, InsertAbsent>(M::as_select())
                            .load(c)
                            .await
                    }
                    _ => sql.query(M::as_select()).load(c).await,
                }
            }

            async fn load_totals(sql: Sql, c: &mut $conn) -> QueryResult<Vec<(M, i64)>> {
                use diesel_async::RunQueryDsl;
                sql.query(WithTotal(M::as_select())).load(c).await
            }
        }

        #[doc(hidden)]
        #[cfg(not(feature = $feature))]
        pub trait $name {}
        #[cfg(not(feature = $feature))]
        impl<M> $name for M {}
    };
}

loads_on!(LoadsOnPg, Pg, AsyncPgConnection, "postgres");
loads_on!(LoadsOnSqlite, Sqlite, SqliteConn, "sqlite");
loads_on!(LoadsOnMysql, Mysql, AsyncMysqlConnection, "mysql");

impl<M> DieselModel for M
where
    M: Model + Send + 'static + LoadsOnPg + LoadsOnSqlite + LoadsOnMysql,
    M: Selectable<CheckDb>,
    <M as Selectable<CheckDb>>::SelectExpression: QueryFragment<CheckDb>,
    SelectedTypes<M>: ColumnNulls,
{
    fn __check() -> Result<()> {
        check::declaration::<M>()
    }

    async fn __load(sql: Sql, conn: ConnectionMut<'_>) -> QueryResult<Vec<M>> {
        match conn {
            #[cfg(feature = "postgres")]
            ConnectionMut::Postgres(c) => <M as LoadsOnPg>::load_rows(sql, c).await,
            #[cfg(feature = "sqlite")]
            ConnectionMut::Sqlite(c) => <M as LoadsOnSqlite>::load_rows(sql, c).await,
            #[cfg(feature = "mysql")]
            ConnectionMut::Mysql(c) => <M as LoadsOnMysql>::load_rows(sql, c).await,
        }
    }

    async fn __load_with_total(sql: Sql, conn: ConnectionMut<'_>) -> QueryResult<Vec<(M, i64)>> {
        match conn {
            #[cfg(feature = "postgres")]
            ConnectionMut::Postgres(c) => <M as LoadsOnPg>::load_totals(sql, c).await,
            #[cfg(feature = "sqlite")]
            ConnectionMut::Sqlite(c) => <M as LoadsOnSqlite>::load_totals(sql, c).await,
            #[cfg(feature = "mysql")]
            ConnectionMut::Mysql(c) => <M as LoadsOnMysql>::load_totals(sql, c).await,
        }
    }
}

impl DieselSession {
    /// The connection for a statement of `M`, after the check of `M`'s
    /// declaration (a mismatch fails before anything is sent).
    fn model_connection<M: DieselModel>(&mut self) -> Result<ConnectionMut<'_>> {
        M::__check()?;
        self.statement_connection()
    }
}

impl<M: DieselModel> Driver<M> for DieselSession {
    type Sql = Sql;

    fn dialect(&self) -> Dialect {
        DieselSession::dialect(self)
    }

    fn max_binds(&self) -> usize {
        statement_binds(DieselSession::dialect(self))
    }

    fn sql(&self, cache: Option<CacheKey>) -> Sql {
        Sql::keyed(DieselSession::dialect(self), cache)
    }

    async fn rows(&mut self, sql: Sql) -> Result<Vec<M>> {
        let result = M::__load(sql, self.model_connection::<M>()?).await;
        self.sent(M::table(), result)
    }

    async fn rows_and_total(&mut self, sql: Sql) -> Result<Vec<(M, i64)>> {
        let result = M::__load_with_total(sql, self.model_connection::<M>()?).await;
        self.sent(M::table(), result)
    }

    async fn values(&mut self, sql: Sql, _: &[ColumnType]) -> Result<Vec<Value>> {
        // Decoded by name: the statements name their columns after `M`'s.
        let query = sql.untyped();
        let result = on_connection!(self.model_connection::<M>()?, |c| {
            diesel_async::RunQueryDsl::load::<StoredRow<M>>(query, c).await
        });
        let rows = self.sent(M::table(), result)?;
        Ok(rows.into_iter().flat_map(|r| r.values).collect())
    }

    /// A `count(*)` and a whole-row update's `RETURNING created_at` load
    /// typed: no list of values, and a cached statement.
    async fn scalar(&mut self, sql: Sql, ty: ColumnType) -> Result<Option<Value>> {
        use diesel_async::RunQueryDsl;
        let whole = sql.cache_key() == Some(CacheKey::UpdateWhole);
        let conn = self.model_connection::<M>()?;
        let result = match ty {
            ColumnType::Timestamp => on_connection!(conn, |c| {
                let select = Typed::<crate::types::Timestamp>::new();
                let rows: QueryResult<Vec<DateTime<Utc>>> = if whole {
                    sql.fixed::<_, M, UpdateWhole>(select).load(c).await
                } else {
                    sql.query(select).load(c).await
                };
                rows.map(|r| r.into_iter().next().map(Value::Timestamp))
            }),
            ColumnType::BigInt => on_connection!(conn, |c| {
                let rows: QueryResult<Vec<i64>> = sql.query(Typed::<BigInt>::new()).load(c).await;
                rows.map(|r| r.into_iter().next().map(Value::Int))
            }),
            // Other types by name, as `values` reads them.
            _ => on_connection!(conn, |c| {
                RunQueryDsl::load::<StoredRow<M>>(sql.untyped(), c)
                    .await
                    .map(|r| r.into_iter().flat_map(|r| r.values).next())
            }),
        };
        self.sent(M::table(), result)
    }

    async fn execute(&mut self, sql: Sql) -> Result<u64> {
        M::__check()?;
        self.execute_sql(M::table(), sql).await
    }
}
