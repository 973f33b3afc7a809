//! [`SeaRepository`]: core's [`DriverRepository`], written once for every
//! backend, over a SeaORM session, for any entity whose model implements
//! [`alchemy_core::Model`].

use alchemy_core::driver::DriverRepository;
use alchemy_core::{Error, Result};
use sea_orm::{EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn};

use crate::session::SeaSession;

/// The repository of entity `E`: core's one implementation of
/// [`alchemy_core::Repository`] (and so of
/// [`RepositoryExt`](alchemy_core::RepositoryExt)) for every SeaORM entity
/// whose `Model` implements [`alchemy_core::Model`]; every method follows the
/// contract documented there.
///
/// The repository is stateless; every call runs in the [`SeaSession`] it is
/// given. Statements are written by the library from the model's table and
/// run as SeaORM raw statements, every value bound; rows decode through the
/// entity's `FromQueryResult`. It fills keys and audit columns itself on
/// every path, so it does not depend on `ActiveModelBehavior::before_save`
/// (see [`crate::hooks`] for SeaORM's own save path).
///
/// # A key type of its own
/// The `UserId` of [`KeyStrategy`](alchemy_core::pk::KeyStrategy)'s docs
/// (its core impls hidden here) needs, for SeaORM, `DeriveValueType` (so
/// the entity reads it) and, as a primary key, `TryFromU64`, which SeaORM
/// asks of every key type (a user id is never made from a number): the
/// library binds keys itself.
///
/// ```
/// use alchemy_core::{Database, Model, Repository, Session};
/// use alchemy_seaorm::{SeaDb, SeaRepository};
/// use sea_orm::{DbErr, TryFromU64};
///
/// #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
/// pub struct UserId(String);
///
/// impl TryFromU64 for UserId {
///     fn try_from_u64(_: u64) -> Result<Self, DbErr> {
///         Err(DbErr::ConvertFromU64("UserId"))
///     }
/// }
///
/// mod user {
///     use sea_orm::entity::prelude::*;
///
///     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, alchemy_core::Model)]
///     #[sea_orm(table_name = "user")]
///     #[model(base = super::UserBase, table = "user")]
///     pub struct Model {
///         #[sea_orm(primary_key, auto_increment = false)]
///         pub id: super::UserId,
///         pub created_at: DateTimeUtc,
///         pub updated_at: DateTimeUtc,
///         pub email: String,
///     }
///
///     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
///     pub enum Relation {}
///
///     impl ActiveModelBehavior for ActiveModel {}
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
/// let db = SeaDb::connect("sqlite::memory:").await?;
/// db.create_tables(&[user::Model::table()]).await?;
/// let users = SeaRepository::<user::Entity>::new();
/// let mut s = db.begin().await?;
/// let ada = users
///     .add(&mut s, user::Model { id: UserId::default(), created_at: Default::default(), updated_at: Default::default(), email: "ada@example.com".into() })
///     .await?;
/// assert!(ada.id.0.starts_with("usr_"));
/// assert_eq!(users.get(&mut s, &ada.id).await?.email, "ada@example.com");
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub type SeaRepository<E> = DriverRepository<<E as EntityTrait>::Model, SeaSession>;

/// The column of entity `E` called `name`.
pub(crate) fn column<E: EntityTrait>(name: &str) -> Option<E::Column> {
    E::Column::iter().find(|c| c.as_str() == name)
}

/// The single primary-key column of entity `E`.
pub(crate) fn key_column<E: EntityTrait>() -> Result<E::Column> {
    let mut keys = E::PrimaryKey::iter();
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key.into_column()),
        _ => Err(Error::NotSupported {
            operation: "a repository over a table without exactly one primary-key column",
            backend: "alchemy-seaorm",
        }),
    }
}
