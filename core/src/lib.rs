//! # alchemy-core
//!
//! Production-ready building blocks for database models, defined once and
//! implemented for sqlx (`alchemy-sqlx`), diesel-async (`alchemy-diesel`) and
//! SeaORM (`alchemy-seaorm`): primary-key strategies and bases, audit
//! timestamps, the slug and unique mixins, naming conventions, table DDL, and
//! the async repository traits. This crate depends on no database driver.
//!
//! ```
//! use alchemy_core::{Model, base::BigIntAuditBase, slug::slugify};
//! use chrono::{DateTime, Utc};
//!
//! #[derive(Debug, Clone, Model)]
//! #[model(base = BigIntAuditBase, unique_key(name))]
//! pub struct Tag {
//!     pub id: i64,
//!     pub created_at: DateTime<Utc>,
//!     pub updated_at: DateTime<Utc>,
//!     #[model(varchar(100))]
//!     pub name: String,
//!     #[model(slug)]
//!     pub slug: String,
//! }
//!
//! assert_eq!(Tag::table().name(), "tag");
//! assert_eq!(slugify("Rust & Databases").unwrap(), "rust-databases");
//! ```
//!
//! # Features
//! - `tracing`: every repository call runs in a `tracing` span named
//!   `alchemy.repository` (at `DEBUG`) with the fields `table`,
//!   `operation` (the method's name), and, once it is done, `statements`
//!   (how many it sent) and `rows` (returned, written or counted) when it
//!   succeeded. Each backend crate forwards its own `tracing` feature here.
//!
//! The modules, by who reads them:
//!
//! | for | module | holds |
//! |---|---|---|
//! | model authors | [`base`] | the ten bases, [`Model`](trait@Model) and its derive, [`impl_model!`], custom bases |
//! | | [`pk`] | key strategies: BigInt, UUIDv4/v6/v7, NanoID, server UUID |
//! | | [`audit`] | `created_at`/`updated_at`, the injectable clock |
//! | | [`schema`] | table definitions and their DDL |
//! | | [`naming`] | table and constraint names |
//! | | [`slug`] | `slugify`, the [`SlugKey`](slug::SlugKey) mixin and its column |
//! | | [`unique`] | the [`Unique`](unique::Unique) mixin and its session cache |
//! | | [`value`] | [`Value`], one column value |
//! | repository users | [`repository`] | databases and the repository traits |
//! | | [`session`] | the unit of work: [`Session`], failed sessions, savepoints |
//! | | [`filter`] | conditions over a model's columns, queries, their JSON form |
//! | | [`pagination`] | offset pages and keyset cursors |
//! | | [`check`] | the values refused before anything is sent |
//! | | [`error`] | the one error enum |
//! | backend authors (not semver-stable) | [`driver`] | the repository written once over a backend's driver |
//! | | [`dialect`] | what differs between databases, one file each |
//! | | [`sql`] | filters and statements as SQL, into any backend's builder |
//! | | [`bulk`] | the backend-independent halves of `update_many` and `upsert_many` |
//! | | [`identity`] | the rows a session loaded, so updates write only what changed |
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod audit;
pub mod base;
pub mod bulk;
mod by_model;
pub mod check;
pub mod dialect;
pub mod driver;
pub mod error;
pub mod filter;
pub mod identity;
pub mod naming;
pub mod pagination;
pub mod pk;
pub mod repository;
pub mod schema;
pub mod session;
pub mod slug;
pub mod sql;
pub mod unique;
pub mod value;

/// Derives [`Model`](trait@Model) from a struct: see the trait's docs.
pub use alchemy_macros::Model;
pub use base::{Base, KeyOf, Model};
pub use error::{BoxError, Error, Result};
pub use repository::{
    Database, DatabaseExt, LinkRepository, Repository, RepositoryExt, Session, Upserted,
};
pub use value::Value;

/// The crate's README, compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
