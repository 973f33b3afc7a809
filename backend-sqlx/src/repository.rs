//! The repository: core's [`DriverRepository`], written once for every
//! backend, over a sqlx session.

use alchemy_core::Model;
use alchemy_core::driver::DriverRepository;
use sqlx::FromRow;

use crate::session::SqlxSession;

/// A model this crate can store: an [`alchemy_core::Model`] that derives
/// `sqlx::FromRow` for PostgreSQL and SQLite rows (the derive does both for
/// the usual column types). Implemented for every such type.
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
pub trait SqlxModel:
    Model + for<'r> FromRow<'r, sqlx::postgres::PgRow> + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
{
}

impl<T> SqlxModel for T where
    T: Model
        + for<'r> FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
{
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
pub type PgRepository<M> = SqlxRepository<M, sqlx::Postgres>;
/// A repository on SQLite.
pub type SqliteRepository<M> = SqlxRepository<M, sqlx::Sqlite>;
