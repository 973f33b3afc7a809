//! # alchemy-sqlx
//!
//! [alchemy-core](alchemy_core)'s base models, mixins and repository for
//! [sqlx](https://docs.rs/sqlx), on PostgreSQL, SQLite and MariaDB.
//!
//! A model is a plain `#[derive(sqlx::FromRow)]` struct with an
//! [`alchemy_core::Model`] impl (`#[derive(Model)]` writes it from the
//! struct); that makes it a [`SqlxModel`]. The repository is one
//! generic type, [`SqlxRepository<M, DB>`]; every call takes the
//! [`SqlxSession`] (a sqlx transaction) it runs in.
//!
//! ```no_run
//! use alchemy_core::base::UuidV7AuditBase;
//! use alchemy_core::{Database, Model, Repository, Session};
//! use alchemy_sqlx::{SqliteDb, SqliteRepository};
//! use chrono::{DateTime, Utc};
//! use uuid::Uuid;
//!
//! #[derive(Debug, Clone, sqlx::FromRow, Model)]
//! #[model(base = UuidV7AuditBase)]
//! pub struct Post {
//!     pub id: Uuid,
//!     pub created_at: DateTime<Utc>,
//!     pub updated_at: DateTime<Utc>,
//!     #[model(varchar(200), index)]
//!     pub title: String,
//! }
//!
//! # async fn run() -> alchemy_core::Result<()> {
//! let db = SqliteDb::connect("sqlite://blog.db").await?;
//! db.create_tables(&[Post::table()]).await?;
//! let posts = SqliteRepository::<Post>::new();
//! let mut session = db.begin().await?;
//! let post = posts
//!     .add(&mut session, Post { id: Uuid::nil(), created_at: DateTime::UNIX_EPOCH, updated_at: DateTime::UNIX_EPOCH, title: "Hello".into() })
//!     .await?;
//! session.commit().await?;
//! assert_eq!(post.id.get_version_num(), 7);
//! # Ok(()) }
//! ```
//!
//! A crate that depends on alchemy-sqlx alone reaches alchemy-core through
//! it, and tells the derive where it is:
//!
//! ```
//! use alchemy_sqlx::alchemy_core::base::BigIntBase;
//! use alchemy_sqlx::Model;
//!
//! #[derive(Debug, Clone, sqlx::FromRow, Model)]
//! #[model(base = BigIntBase, crate = "alchemy_sqlx::alchemy_core")]
//! pub struct Note {
//!     pub id: i64,
//!     pub body: Option<String>,
//! }
//! assert!(Note::table().column_named("body").unwrap().nullable);
//! ```
//!
//! # Features
//! - `postgres`, `sqlite` and `mysql` (MariaDB; all by default): the
//!   databases it is built for; a build compiles only the drivers it names.
//! - `tracing`: a span per repository call (see alchemy-core's `tracing`).
//!
//! # Databases
//! - PostgreSQL ([`PgDb`], [`PgRepository`]): `uuid`, `timestamptz`, identity keys.
//! - SQLite ([`SqliteDb`], [`SqliteRepository`]): UUIDs as 16-byte BLOBs,
//!   timestamps as RFC 3339 UTC text (sorts and compares correctly), WAL, a
//!   5 s busy timeout, enforced foreign keys, and `BEGIN IMMEDIATE` sessions
//!   so concurrent read-then-write units of work queue instead of failing.
//! - MariaDB ([`MariaDb`], [`MariaDbRepository`]; feature `mysql`, sqlx's
//!   MySQL driver, `mysql://` URLs): tables in InnoDB with exact
//!   (`utf8mb4_nopad_bin`) text, UUIDs as `BINARY(16)`, timestamps as
//!   `DATETIME(6)` in UTC, `AUTO_INCREMENT` keys, strict mode on every
//!   connection. What MariaDB lacks is written another way, the same on
//!   every backend: see `alchemy_core::dialect::mariadb`. MySQL 8 is not
//!   supported yet (no `RETURNING`).
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod backend;
mod codec;
pub mod db;
mod driver;
pub mod error;
pub mod link;
pub mod repository;
pub mod session;
mod sql;
pub mod types;

/// alchemy-core itself, for a crate that does not depend on it directly:
/// derived models then say `#[model(crate = "alchemy_sqlx::alchemy_core")]`.
pub use alchemy_core;
/// [`alchemy_core::Model`], the trait and its derive.
pub use alchemy_core::Model;
pub use backend::SqlxBackend;
#[cfg(feature = "mysql")]
pub use db::MariaDb;
#[cfg(feature = "postgres")]
pub use db::PgDb;
#[cfg(feature = "sqlite")]
pub use db::SqliteDb;
pub use db::SqlxDb;
pub use link::SqlxLinkRepository;
#[cfg(feature = "mysql")]
pub use repository::MariaDbRepository;
#[cfg(feature = "postgres")]
pub use repository::PgRepository;
#[cfg(feature = "sqlite")]
pub use repository::SqliteRepository;
pub use repository::{SqlxModel, SqlxRepository};

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!("alchemy-sqlx needs a database: enable its `postgres`, `sqlite` or `mysql` feature");
pub use session::SqlxSession;

#[cfg(all(test, feature = "postgres", feature = "sqlite"))]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[derive(Debug, Clone, sqlx::FromRow)]
    struct Row {
        id: i64,
    }
    alchemy_core::impl_model!(Row, alchemy_core::base::BigIntBase, plain, |t| t, fields());

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<PgDb>();
        send_sync::<SqliteDb>();
        send_sync::<PgRepository<Row>>();
        send_sync::<SqlxLinkRepository<Row, Row, sqlx::Sqlite>>();
        // A session is moved between tasks, never shared.
        send::<SqlxSession<sqlx::Postgres>>();
        send::<SqlxSession<sqlx::Sqlite>>();
    }
}

/// The crate's README, compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
