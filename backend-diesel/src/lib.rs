//! # alchemy-diesel
//!
//! [alchemy-core](alchemy_core)'s base models, mixins and repositories for
//! [diesel](https://docs.rs/diesel) 2.3 with
//! [diesel-async](https://docs.rs/diesel-async) 0.9, on PostgreSQL
//! (`AsyncPgConnection`, pure Rust, no libpq), SQLite
//! (`SyncConnectionWrapper<SqliteConnection>`, bundled SQLite) and MariaDB
//! (`AsyncMysqlConnection`, mysql_async, pure Rust).
//!
//! A model is a diesel `table!` plus a struct with diesel's derives and an
//! [`alchemy_core::Model`] impl (a [`DieselModel`]); [`DieselRepository`] is
//! its [`alchemy_core::Repository`], [`DieselLinkRepository`] the
//! [`alchemy_core::LinkRepository`] of an association table. Every call takes
//! the [`DieselSession`] (a transaction on a pooled connection) it runs in.
//!
//! ```no_run
//! use alchemy_core::base::UuidV7AuditBase;
//! use alchemy_core::{Database, Model, Repository, Session};
//! use chrono::{DateTime, Utc};
//! use diesel::prelude::*;
//! use uuid::Uuid;
//!
//! diesel::table! {
//!     post (id) {
//!         id -> alchemy_diesel::types::Uuid,
//!         created_at -> alchemy_diesel::types::Timestamp,
//!         updated_at -> alchemy_diesel::types::Timestamp,
//!         title -> Varchar,
//!     }
//! }
//!
//! #[derive(Debug, Clone, Queryable, Selectable, Model)]
//! #[diesel(table_name = post)]
//! #[model(base = UuidV7AuditBase)]
//! pub struct Post {
//!     pub id: Uuid,
//!     pub created_at: DateTime<Utc>,
//!     pub updated_at: DateTime<Utc>,
//!     #[model(varchar(200), index)]
//!     pub title: String,
//! }
//!
//!
//! /// Posts.
//! pub type PostRepository = alchemy_diesel::DieselRepository<Post>;
//!
//! # async fn run() -> alchemy_core::Result<()> {
//! let db = alchemy_diesel::DieselDb::connect("sqlite://blog.db?mode=rwc").await?;
//! db.create_tables(&[Post::table()]).await?;
//! let mut session = db.begin().await?;
//! let post = PostRepository::new()
//!     .add(&mut session, Post {
//!         id: Uuid::nil(),
//!         created_at: DateTime::UNIX_EPOCH,
//!         updated_at: DateTime::UNIX_EPOCH,
//!         title: "Hello".into(),
//!     })
//!     .await?;
//! session.commit().await?;
//! assert_eq!(post.id.get_version_num(), 7);
//! # Ok(()) }
//! ```
//!
//! # Features
//! - `postgres`, `sqlite` and `mysql` (MariaDB; all by default): the
//!   databases it is built for; a build compiles only the drivers it names
//!   (a PostgreSQL-only build no bundled C library). A model's
//!   `Selectable` is needed only for the databases built; a URL for a
//!   database left out is [`alchemy_core::Error::NotSupported`].
//! - `tracing`: a span per repository call (see alchemy-core's `tracing`).
//!
//! # Defining models
//! - Column types: [`types::Uuid`] and [`types::Timestamp`] work on every
//!   database (diesel's own `Uuid`/`Timestamptz` are PostgreSQL-only); use
//!   diesel's `BigInt`, `Varchar`, `Text`, `Bool` (and `Nullable<..>`) for the rest.
//! - The struct derives `Queryable` and `Selectable` (rows are read through
//!   its `Selectable` column list) and [`alchemy_core::Model`] (or uses
//!   [`alchemy_core::impl_model!`]), whose [`alchemy_core::Model::values`]
//!   every write binds, typed by the columns of [`alchemy_core::Model::table`].
//! - The `table!` is checked against [`alchemy_core::Model::table`] on the
//!   model's first statement (see [`check`]): the table name, the column
//!   names in order, and no column the table lets be NULL that the `table!`
//!   makes NOT NULL. A difference fails that statement, and every later one
//!   of the model, with [`alchemy_core::Error::InvalidInput`] naming it;
//!   nothing is sent.
//! - Hand-written diesel inserts and updates through
//!   [`DieselSession::connection`] may also derive `Insertable`/`AsChangeset`;
//!   diesel cannot make `uuid::Uuid`/`DateTime<Utc>` expressions of a type
//!   defined outside diesel, so such fields then carry
//!   `#[diesel(serialize_as = types::UuidValue)]` /
//!   `#[diesel(serialize_as = types::TimestampValue)]`.
//!
//! # Databases
//! - PostgreSQL: `uuid`, `timestamptz`, `boolean`, identity keys; the URL's
//!   `options=-csearch_path%3D<schema>` is honoured (tokio-postgres).
//! - SQLite: UUIDs as 16-byte BLOBs, timestamps as RFC 3339 UTC text in the
//!   form every backend writes (sorts and round-trips exactly), booleans as integers;
//!   every connection runs [`db::SQLITE_SETUP`] (WAL, 5 s busy timeout,
//!   foreign keys on) and sessions start with `BEGIN IMMEDIATE`, so
//!   concurrent read-then-write units of work queue instead of failing.
//! - MariaDB (`mysql://`): tables in InnoDB with exact (`utf8mb4_nopad_bin`)
//!   text, UUIDs as `BINARY(16)`, timestamps as `DATETIME(6)` in UTC,
//!   `AUTO_INCREMENT` keys; every connection runs in strict mode. What MariaDB lacks is written another way, the same on
//!   every backend: see `alchemy_core::dialect::mariadb`.
//!
//! # Errors
//! Unique violations are [`alchemy_core::Error::DuplicateKey`] with the
//! constraint name (PostgreSQL reports it; MariaDB names it in its
//! message; on SQLite it follows from the columns and the naming
//! convention), foreign-key violations
//! [`alchemy_core::Error::ForeignKey`], not-null violations
//! [`alchemy_core::Error::NotNull`], check violations
//! [`alchemy_core::Error::Check`], lock timeouts, deadlocks and
//! serialization failures [`alchemy_core::Error::Busy`].
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod check;
mod codec;
pub mod db;
mod driver;
mod error;
pub mod filter;
pub mod link;
pub mod repository;
pub mod session;
mod sql;
pub mod types;

/// alchemy-core itself, for a crate that does not depend on it directly:
/// derived models then say `#[model(crate = "alchemy_diesel::alchemy_core")]`.
pub use alchemy_core;
/// [`alchemy_core::Model`], the trait and its derive.
pub use alchemy_core::Model;
pub use db::DieselDb;
pub use driver::DieselModel;
pub use filter::Filter;
pub use link::DieselLinkRepository;
pub use repository::DieselRepository;
pub use session::{ConnectionMut, DieselSession};

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!(
    "alchemy-diesel needs a database: enable its `postgres`, `sqlite` or `mysql` feature"
);
