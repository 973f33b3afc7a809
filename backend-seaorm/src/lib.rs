//! # alchemy-seaorm
//!
//! alchemy-rs for SeaORM 2.0: define entities with `DeriveEntityModel` as
//! usual, put them on an alchemy base by deriving [`alchemy_core::Model`]
//! for the entity's `Model` too (or with
//! [`impl_model!`](alchemy_core::impl_model)), and use
//! [`SeaRepository`] — one generic [`alchemy_core::Repository`] for every
//! such entity — inside a [`SeaSession`] from [`SeaDb::begin`](alchemy_core::Database::begin).
//!
//! ```
//! use alchemy_core::filter::{Condition, Query};
//! use alchemy_core::{Database, Model, Repository, Session as _};
//! use alchemy_seaorm::{SeaDb, SeaRepository};
//!
//! mod tag {
//!     use sea_orm::entity::prelude::*;
//!
//!     // The table definition (and its DDL) comes from the base and the
//!     // `#[model(..)]` attributes.
//!     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, alchemy_core::Model)]
//!     #[sea_orm(table_name = "tag")]
//!     #[model(base = alchemy_core::base::BigIntAuditBase, table = "tag")]
//!     pub struct Model {
//!         #[sea_orm(primary_key)]
//!         pub id: i64,
//!         pub created_at: DateTimeUtc,
//!         pub updated_at: DateTimeUtc,
//!         #[model(varchar(100), unique)]
//!         pub name: String,
//!     }
//!
//!     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//!     pub enum Relation {}
//!
//!     impl ActiveModelBehavior for ActiveModel {}
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> alchemy_core::Result<()> {
//! let db = SeaDb::connect("sqlite::memory:").await?;
//! db.create_tables(&[tag::Model::table()]).await?;
//!
//! let tags = SeaRepository::<tag::Entity>::new();
//! let mut session = db.begin().await?;
//! let rust = tags
//!     .add(&mut session, tag::Model {
//!         id: 0, // BIGINT keys come from the database
//!         created_at: Default::default(),
//!         updated_at: Default::default(),
//!         name: "Rust".into(),
//!     })
//!     .await?;
//! assert!(rust.id > 0);
//! assert_eq!(rust.created_at, rust.updated_at);
//!
//! // A filtered, sorted page and the total, in one statement.
//! let query = Query::new()
//!     .filter(Condition::starts_with("name", "R", false))
//!     .order_by("name")
//!     .limit(10);
//! let (page, total) = tags.list_and_count(&mut session, &query).await?;
//! assert_eq!((page.len(), total), (1, 1));
//! session.commit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Pieces
//!
//! | item | what |
//! |---|---|
//! | [`SeaDb`] | the pool: connect by URL, clock, `create_tables`, `begin` |
//! | [`SeaSession`] | a SeaORM `DatabaseTransaction` + get-or-create cache + statement counter |
//! | [`SeaRepository`] | the repository of one entity |
//! | [`SeaLinkRepository`] / [`LinkEntity`] | many-to-many association tables |
//! | [`hooks`] | key/audit stamping for `ActiveModelBehavior::before_save` |
//!
//! ## Features
//!
//! - `postgres`, `sqlite` and `mysql` (all by default): the databases it is
//!   built for (SeaORM's `sqlx-postgres`, `sqlx-sqlite` and `sqlx-mysql`,
//!   the last for MariaDB); a URL for a database left out is
//!   [`alchemy_core::Error::NotSupported`].
//! - `tracing`: a span per repository call (see alchemy-core's `tracing`).
//!
//! ## Notes
//!
//! - **Entity and table.** The entity is checked against
//!   [`alchemy_core::Model::table`] on the model's first statement: the table
//!   name, the column names in order, and no column the table lets be NULL
//!   that the entity makes NOT NULL. A difference fails that statement, and
//!   every later one of the model, with [`alchemy_core::Error::InvalidInput`]
//!   naming it; nothing is sent.
//! - **Hooks and bulk paths.** SeaORM calls `ActiveModelBehavior::before_save`
//!   only from `ActiveModel::insert`, `update` and `save`; `Entity::insert`,
//!   `insert_many` and `update_many` skip it. The repositories stamp keys and
//!   audit columns themselves on every path, single and bulk (`add_many`,
//!   `update_many`, `upsert_many`; the last two are hand-written statements
//!   with bound values: `UPDATE .. FROM (VALUES ..)` and `INSERT .. ON
//!   CONFLICT .. DO UPDATE`; on MariaDB `UPDATE .. JOIN` of the rows, and
//!   `ON DUPLICATE KEY UPDATE` where the match is the one key a row can
//!   clash on). If your code also saves active
//!   models directly, call [`hooks::stamp`] from `before_save`; it is
//!   idempotent, so a row stamped twice still has `created_at == updated_at`.
//! - **Storage.** On SQLite, UUIDs are 16-byte BLOBs, timestamps RFC 3339
//!   text in UTC in the one form every alchemy-rs backend writes,
//!   [`alchemy_core::audit::sqlite_text`] (sqlx's encoding, which SeaORM
//!   binds through, e.g. `2024-02-29T12:34:56.123456+00:00`: microseconds
//!   round-trip exactly and the strings sort in time order) and
//!   booleans integers. On PostgreSQL: `uuid`, `timestamptz`, `boolean`.
//!   On MariaDB (10.6 and later; tested on 10.11): InnoDB tables, UUIDs
//!   `BINARY(16)`, timestamps `DATETIME(6)` in UTC, booleans `BOOLEAN`,
//!   text compared byte for byte (`utf8mb4_nopad_bin`), as on the others.
//! - **MariaDB.** Connections run in strict mode (`STRICT_ALL_TABLES`), so
//!   a value a column cannot hold fails instead of being truncated. The
//!   repositories bind timestamps as `DATETIME`, so any year round-trips;
//!   SeaORM's own saves (`ActiveModel::insert`) bind a `DateTimeUtc` as a
//!   `TIMESTAMP`, which MariaDB makes NULL outside 1970-2038. A statement
//!   that returns at most one row is read whole: MariaDB sends a `DELETE ..
//!   RETURNING` row before the foreign-key check that then fails it.
//! - **SQLite concurrency.** Connections use WAL, a 5 s busy timeout and
//!   `foreign_keys = ON`; sessions start with `BEGIN IMMEDIATE`, so
//!   read-then-write units of work queue instead of failing with `SQLITE_BUSY`.
//! - **Escape hatches.** [`SeaSession::connection`] is the native
//!   `DatabaseTransaction`; [`SeaDb::connection`] the native pool.
//! - **Errors** are [`alchemy_core::Error`]: unique violations are
//!   `DuplicateKey` with the constraint name (derived from the naming
//!   convention on SQLite, and on MariaDB for a primary key, which it calls
//!   `PRIMARY`), foreign-key violations `ForeignKey`, lock conflicts
//!   `Busy`.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod check;
mod codec;

/// The MariaDB server of this crate's own tests, from
/// `ALCHEMY_TEST_MARIADB_URL`; `None` (the test is skipped, and says so)
/// without one, and a failure under CI, where MariaDB must be there.
#[cfg(all(test, feature = "mysql"))]
fn mariadb_test_url() -> Option<String> {
    let url = std::env::var("ALCHEMY_TEST_MARIADB_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but ALCHEMY_TEST_MARIADB_URL is not"
        );
        eprintln!("skipped: set ALCHEMY_TEST_MARIADB_URL to run this test");
    }
    url
}
pub mod db;
mod driver;
mod error;
pub mod filter;
pub mod hooks;
pub mod link;
pub mod repository;
pub mod session;
mod sql;
pub mod types;

/// alchemy-core itself, for a crate that does not depend on it directly:
/// derived models then say `#[model(crate = "alchemy_seaorm::alchemy_core")]`.
pub use alchemy_core;
/// [`alchemy_core::Model`], the trait and its derive.
pub use alchemy_core::Model;
pub use db::SeaDb;
pub use link::{LinkEntity, SeaLinkRepository};
pub use repository::SeaRepository;
pub use session::SeaSession;

/// SeaORM, as this crate uses it.
pub use sea_orm;

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!(
    "alchemy-seaorm needs a database: enable its `postgres`, `sqlite` or `mysql` feature"
);
