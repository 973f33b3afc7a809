//! The repository: core's [`DriverRepository`], written once for every
//! backend, over a sqlx session.

use crate::session::SqlxSession;
use alchemy_core::Model;
use alchemy_core::driver::DriverRepository;

/// A model this crate can store: an [`alchemy_core::Model`] that derives
/// `sqlx::FromRow` for the rows of each database the crate is built for
/// (its `postgres`, `sqlite` and `mysql` features; the derive does all
/// three for the usual column types). Implemented for every such type.
///
/// ```
/// use alchemy_core::{impl_model, base::BigIntAuditBase, schema::{Column, ColumnType}};
/// use chrono::{DateTime, Utc};
///
/// #[derive(Debug, Clone, sqlx::FromRow)]
/// pub struct Tag {
///     pub id: i64,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     pub name: String,
/// }
///
/// impl_model!(Tag, BigIntAuditBase, audited, |t| t
///     .column(Column::new("name", ColumnType::VarChar(100)))
///     .unique(["name"]), fields(name));
///
/// fn stored<M: alchemy_sqlx::SqlxModel>() {}
/// stored::<Tag>();
/// ```
///
/// # A key type of its own
/// The `UserId` of [`KeyStrategy`](alchemy_core::pk::KeyStrategy)'s docs
/// (its core impls hidden here) needs, for sqlx, only `sqlx::Type` and
/// `Decode` so `FromRow` reads it: the library binds keys itself.
///
/// ```
/// use alchemy_core::{Database, Model, Repository, Session};
/// use alchemy_sqlx::{SqliteDb, SqliteRepository};
/// use chrono::{DateTime, Utc};
///
/// #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, sqlx::Type)]
/// #[sqlx(transparent)]
/// pub struct UserId(String);
///
/// #[derive(Debug, Clone, sqlx::FromRow, Model)]
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
/// let db = SqliteDb::connect("sqlite::memory:").await?;
/// db.create_tables(&[User::table()]).await?;
/// let users = SqliteRepository::<User>::new();
/// let mut s = db.begin().await?;
/// let ada = users
///     .add(&mut s, User { id: UserId::default(), created_at: Default::default(), updated_at: Default::default(), email: "ada@example.com".into() })
///     .await?;
/// assert!(ada.id.0.starts_with("usr_"));
/// assert_eq!(users.get(&mut s, &ada.id).await?.email, "ada@example.com");
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub trait SqlxModel: Model + rows::FromPgRow + rows::FromSqliteRow + rows::FromMySqlRow {}

impl<T: Model + rows::FromPgRow + rows::FromSqliteRow + rows::FromMySqlRow> SqlxModel for T {}

/// `FromRow` for each database the crate is built with: a database whose
/// feature is off asks nothing.
pub mod rows {
    use sqlx::FromRow;

    /// `FromRow` for PostgreSQL rows (feature `postgres`).
    #[cfg(feature = "postgres")]
    pub trait FromPgRow: for<'r> FromRow<'r, sqlx::postgres::PgRow> {}
    #[cfg(feature = "postgres")]
    impl<T: for<'r> FromRow<'r, sqlx::postgres::PgRow>> FromPgRow for T {}
    /// Nothing: the crate is built without PostgreSQL.
    #[cfg(not(feature = "postgres"))]
    pub trait FromPgRow {}
    #[cfg(not(feature = "postgres"))]
    impl<T> FromPgRow for T {}

    /// `FromRow` for SQLite rows (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    pub trait FromSqliteRow: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow> {}
    #[cfg(feature = "sqlite")]
    impl<T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>> FromSqliteRow for T {}
    /// Nothing: the crate is built without SQLite.
    #[cfg(not(feature = "sqlite"))]
    pub trait FromSqliteRow {}
    #[cfg(not(feature = "sqlite"))]
    impl<T> FromSqliteRow for T {}

    /// `FromRow` for MariaDB rows (feature `mysql`).
    #[cfg(feature = "mysql")]
    pub trait FromMySqlRow: for<'r> FromRow<'r, sqlx::mysql::MySqlRow> {}
    #[cfg(feature = "mysql")]
    impl<T: for<'r> FromRow<'r, sqlx::mysql::MySqlRow>> FromMySqlRow for T {}
    /// Nothing: the crate is built without MariaDB.
    #[cfg(not(feature = "mysql"))]
    pub trait FromMySqlRow {}
    #[cfg(not(feature = "mysql"))]
    impl<T> FromMySqlRow for T {}
}

/// The repository of model `M` on database `DB` (stateless; `Copy`):
/// every [`alchemy_core::Repository`] method, each following the contract
/// documented there, runs in the [`SqlxSession`] it is given.
///
/// ```
/// # use alchemy_core::{impl_model, base::BigIntBase};
/// # #[derive(Debug, Clone, sqlx::FromRow)]
/// # pub struct Tag { pub id: i64 }
/// # impl_model!(Tag, BigIntBase, plain, |t| t, fields());
/// use alchemy_sqlx::{SqliteRepository, SqlxRepository};
///
/// let tags = SqlxRepository::<Tag, sqlx::Sqlite>::new();
/// let same: SqliteRepository<Tag> = tags;
/// ```
pub type SqlxRepository<M, DB> = DriverRepository<M, SqlxSession<DB>>;

/// A repository on PostgreSQL.
#[cfg(feature = "postgres")]
pub type PgRepository<M> = SqlxRepository<M, sqlx::Postgres>;
/// A repository on SQLite.
#[cfg(feature = "sqlite")]
pub type SqliteRepository<M> = SqlxRepository<M, sqlx::Sqlite>;
/// The repository of model `M` on MariaDB.
#[cfg(feature = "mysql")]
pub type MariaDbRepository<M> = SqlxRepository<M, sqlx::MySql>;
