//! The rows a session has loaded, so `update` writes only what changed.
//!
//! Like SQLAlchemy's identity map, a session remembers the column values of
//! every row its repositories read or updated. `update` compares the model
//! with that snapshot and writes only the columns that differ (plus
//! `updated_at`), so two units of work that change different columns of one
//! row do not overwrite each other. A row the session never loaded has no
//! snapshot: then every column is written. Rows the session inserted get
//! none either: no other transaction can change them before this one
//! commits, so writing them whole loses nothing, and a bulk insert stays
//! free of the bookkeeping.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

use crate::base::{KeyOf, Model};
use crate::filter::Value;

type Snapshots<M> = HashMap<KeyOf<M>, Vec<Value>>;

/// Column values of loaded rows, by model and key. Dies with its session.
#[derive(Default)]
pub struct Loaded {
    maps: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("models", &self.maps.len())
            .finish()
    }
}

impl Loaded {
    /// Nothing loaded yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn map<M: Model>(&mut self) -> Option<&mut Snapshots<M>> {
        self.maps
            .entry(TypeId::of::<M>())
            .or_insert_with(|| Box::new(Snapshots::<M>::new()))
            .downcast_mut::<Snapshots<M>>()
    }

    /// Remembers `rows` as stored now.
    pub fn record<M: Model>(&mut self, rows: &[M]) {
        if let Some(map) = self.map::<M>() {
            for row in rows {
                map.insert(row.key().clone(), row.values());
            }
        }
    }

    /// Forgets the row with `key` (it was deleted).
    pub fn forget<M: Model>(&mut self, key: &KeyOf<M>) {
        if let Some(map) = self.map::<M>() {
            map.remove(key);
        }
    }

    /// The indexes (into [`Model::table`]'s columns) of the values of `model`
    /// that differ from its snapshot; `None` when this session never loaded
    /// the row.
    pub fn changed<M: Model>(&self, model: &M) -> Option<Vec<usize>> {
        let old = self
            .maps
            .get(&TypeId::of::<M>())?
            .downcast_ref::<Snapshots<M>>()?
            .get(model.key())?;
        let new = model.values();
        Some(
            (0..new.len())
                .filter(|&i| old.get(i) != new.get(i))
                .collect(),
        )
    }

    /// Forgets everything (rollback).
    pub fn clear(&mut self) {
        self.maps.clear();
    }
}

/// The columns `update` writes: the changed ones (all when unknown), never
/// the key or `created_at`, always `updated_at` when the table has it.
pub fn update_columns<M: Model>(changed: Option<Vec<usize>>) -> Vec<usize> {
    let table = M::table();
    let key = table.primary_key_columns();
    let all = 0..table.columns().len();
    let chosen: Vec<usize> = match changed {
        Some(c) => c,
        None => all.collect(),
    };
    table
        .columns()
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !key.contains(&c.name)
                && c.name != crate::audit::CREATED_AT
                && (chosen.contains(i) || c.name == crate::audit::UPDATED_AT)
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::BigIntAuditBase;
    use crate::schema::{Column, ColumnType};
    use chrono::{DateTime, Utc};

    #[derive(Debug, Clone)]
    struct Row {
        id: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        a: String,
        b: i64,
    }
    crate::impl_model!(
        Row,
        BigIntAuditBase,
        table = "row",
        audited,
        |t| t
            .column(Column::new("a", ColumnType::Text))
            .column(Column::new("b", ColumnType::BigInt)),
        fields(a, b)
    );

    fn row() -> Row {
        Row {
            id: 1,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            a: "x".into(),
            b: 1,
        }
    }

    #[test]
    fn only_changed_columns_and_updated_at_are_written() {
        let mut loaded = Loaded::new();
        let mut r = row();
        assert_eq!(loaded.changed(&r), None, "unknown row");
        assert_eq!(
            update_columns::<Row>(None),
            [2, 3, 4],
            "unknown: every column"
        );
        loaded.record(std::slice::from_ref(&r));
        assert_eq!(loaded.changed(&r), Some(vec![]));
        assert_eq!(
            update_columns::<Row>(loaded.changed(&r)),
            [2],
            "nothing changed: only updated_at"
        );
        r.b = 2;
        assert_eq!(update_columns::<Row>(loaded.changed(&r)), [2, 4]);
        loaded.forget::<Row>(&1);
        assert_eq!(loaded.changed(&r), None);
        loaded.record(&[r.clone()]);
        loaded.clear();
        assert_eq!(loaded.changed(&r), None);
    }
}
