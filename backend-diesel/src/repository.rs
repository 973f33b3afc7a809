//! [`DieselRepository`]: the [`alchemy_core::Repository`] of a diesel
//! model, core's [`DriverRepository`], written once for every backend, over
//! a [`DieselSession`] that loads rows of any [`DieselModel`](crate::DieselModel).
//!
//! Values are written from [`alchemy_core::Model::values`] as bind
//! parameters typed by their columns; rows are read with the model's
//! `Selectable` derive. Bulk statements carry at most 8,192 binds each (far
//! below SQLite's 32,766 and PostgreSQL's 65,535: diesel copies a
//! statement's binds, so memory grows with it while time per row stops
//! dropping). Statements written the same way on every call (a get by key,
//! a whole-row update, `add_if_absent`'s insert) are found in diesel's
//! statement cache by type, as for its own query DSL; others whose text
//! does not depend on a row count are cached by their text.

use alchemy_core::driver::DriverRepository;

use crate::session::DieselSession;

/// The repository of diesel model `M` (a [`DieselModel`](crate::DieselModel)): stateless and
/// `Copy`; every [`alchemy_core::Repository`] method, each following the
/// contract documented there, runs in the [`DieselSession`] it is given.
///
/// ```
/// use alchemy_core::{impl_model, base::BigIntBase, schema::{Column, ColumnType}};
/// use alchemy_diesel::DieselRepository;
/// use diesel::prelude::*;
///
/// diesel::table! { tag (id) { id -> BigInt, name -> Text, } }
///
/// #[derive(Debug, Clone, Queryable, Selectable)]
/// #[diesel(table_name = tag)]
/// pub struct Tag { pub id: i64, pub name: String }
///
/// impl_model!(Tag, BigIntBase, plain, |t| t
///     .column(Column::new("name", ColumnType::Text)), fields(name));
///
/// let tags = DieselRepository::<Tag>::new();
/// ```
pub type DieselRepository<M> = DriverRepository<M, DieselSession>;
