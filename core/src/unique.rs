//! The unique mixin: get-or-create of rows identified by a natural key.
//!
//! A model says how to find "the same" row ([`Unique::unique_key`],
//! [`Unique::unique_filter`]); [`RepositoryExt::get_or_create`](crate::RepositoryExt::get_or_create)
//! returns that row or inserts the candidate, without ever reporting a
//! duplicate key to a caller that races another one.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use crate::base::Model;
use crate::by_model::ByModel;
use crate::filter::Condition;

/// A model with a natural key other than its primary key.
///
/// # Contract
/// - `unique_columns` carry a unique constraint (add it with
///   [`Table::unique`](crate::schema::Table::unique)): concurrent inserts rely on it.
/// - `unique_filter(&m.unique_key())` matches exactly the rows whose
///   `unique_columns` equal `m`'s.
/// - `with_unique_key` passes the same key as `unique_key` returns.
///
/// ```
/// use alchemy_core::{impl_model, base::BigIntAuditBase, filter::Condition, unique::Unique};
/// use alchemy_core::schema::{Column, ColumnType};
/// use chrono::{DateTime, Utc};
///
/// #[derive(Debug, Clone)]
/// pub struct Tag {
///     pub id: i64,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     pub name: String,
/// }
/// impl_model!(Tag, BigIntAuditBase, audited, |t| t
///     .column(Column::new("name", ColumnType::VarChar(100)))
///     .unique(["name"]), fields(name));
///
/// impl Unique for Tag {
///     type UniqueKey = String;
///     fn unique_columns() -> &'static [&'static str] {
///         &["name"]
///     }
///     fn unique_key(&self) -> String {
///         self.name.clone()
///     }
///     fn unique_filter(key: &String) -> Condition {
///         Condition::eq("name", key.as_str())
///     }
///     // Lends the key, so a cache hit copies nothing.
///     fn with_unique_key<R>(&self, f: impl FnOnce(&String) -> R) -> R {
///         f(&self.name)
///     }
/// }
/// ```
pub trait Unique: Model {
    /// The hashable natural key (e.g. the tag name).
    type UniqueKey: Clone + Debug + Eq + Hash + Send + Sync + 'static;

    /// The columns of the natural key; the conflict target of the insert.
    fn unique_columns() -> &'static [&'static str];

    /// The natural key of this row.
    fn unique_key(&self) -> Self::UniqueKey;

    /// The condition that finds the row with natural key `key`.
    fn unique_filter(key: &Self::UniqueKey) -> Condition;

    /// Calls `f` with this row's natural key, the one
    /// [`Unique::unique_key`] returns. get-or-create looks its session cache
    /// up through this, once per call: when the key is one field, override
    /// it to lend that field (`f(&self.name)`) and a cache hit copies
    /// nothing. The default builds the key with [`Unique::unique_key`].
    fn with_unique_key<R>(&self, f: impl FnOnce(&Self::UniqueKey) -> R) -> R {
        f(&self.unique_key())
    }
}

/// Rows already fetched or created in one unit of work, by model and natural key.
///
/// It lives in a backend's session and dies with it; sessions clear it on
/// rollback, so it never holds a row that the database does not.
#[derive(Default)]
pub struct UniqueCache {
    maps: ByModel,
}

/// foldhash, randomly seeded per map (as the identity map): natural keys
/// can come from users, and SipHash made a cache hit's lookup 270
/// instructions instead of 130 (a short tag name, bench W2).
type Rows<M> = HashMap<<M as Unique>::UniqueKey, M, foldhash::fast::RandomState>;

impl Debug for UniqueCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniqueCache")
            .field("models", &self.maps.len())
            .finish()
    }
}

impl UniqueCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached row of model `M` with natural key `key`.
    pub fn get<M: Unique>(&self, key: &M::UniqueKey) -> Option<&M> {
        self.maps.get::<M, Rows<M>>()?.get(key)
    }

    /// Caches `row` under its natural key.
    pub fn insert<M: Unique>(&mut self, row: M) {
        if let Some(map) = self.maps.get_or_default::<M, Rows<M>>() {
            map.insert(row.unique_key(), row);
        }
    }

    /// Forgets every row of model `M`; repositories call it after an update
    /// or delete of `M`, which may have changed or removed a cached row.
    pub fn forget<M: 'static>(&mut self) {
        self.maps.remove::<M>();
    }

    /// Forgets everything (rollback).
    pub fn clear(&mut self) {
        self.maps.clear();
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.maps.len() == 0
    }
}
