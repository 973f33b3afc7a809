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

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use crate::base::{KeyOf, Model};
use crate::by_model::ByModel;

/// Loaded rows of one model: the rows as read, whose column values are
/// compared only when an `update` asks (a clone is cheaper to keep than a
/// list of values made for every row read).
///
/// The rows sit in one list in the order read, found through a small index
/// of key to position: a session that reads thousands of rows then touches
/// the list only at its end and an index of a few bytes a row, instead of a
/// hash table of whole rows written at random. Keys are hashed with
/// foldhash, randomly seeded per map: they are primary keys the database
/// returned, hashed for every row read, where SipHash would cost more than
/// the rest of remembering the row.
struct Snapshots<M: Model> {
    index: HashMap<KeyOf<M>, usize, foldhash::fast::RandomState>,
    rows: Vec<M>,
}

impl<M: Model> Default for Snapshots<M> {
    fn default() -> Self {
        Self {
            index: HashMap::default(),
            rows: Vec::new(),
        }
    }
}

impl<M: Model> Snapshots<M> {
    fn record(&mut self, rows: &[M]) {
        self.index.reserve(rows.len());
        self.rows.reserve(rows.len());
        for row in rows {
            match self.index.entry(row.key().clone()) {
                Entry::Occupied(at) => self.rows[*at.get()] = row.clone(),
                Entry::Vacant(slot) => {
                    slot.insert(self.rows.len());
                    self.rows.push(row.clone());
                }
            }
        }
    }

    fn forget(&mut self, key: &KeyOf<M>) {
        let Some(at) = self.index.remove(key) else {
            return;
        };
        self.rows.swap_remove(at);
        // The last row moved into the gap: point its key at its new place.
        if let Some(moved) = self.rows.get(at)
            && let Some(position) = self.index.get_mut(moved.key())
        {
            *position = at;
        }
    }

    fn get(&self, key: &KeyOf<M>) -> Option<&M> {
        self.rows.get(*self.index.get(key)?)
    }
}

/// Column values of loaded rows, by model and key. Dies with its session.
#[derive(Default)]
pub struct Loaded {
    maps: ByModel,
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

    /// Remembers `rows` as stored now.
    pub fn record<M: Model>(&mut self, rows: &[M]) {
        if let Some(map) = self.maps.get_or_default::<M, Snapshots<M>>() {
            map.record(rows);
        }
    }

    /// Forgets the row with `key` (it was deleted): a row later inserted
    /// with the same key is not compared with the deleted one.
    pub fn forget<M: Model>(&mut self, key: &KeyOf<M>) {
        if let Some(map) = self.maps.get_or_default::<M, Snapshots<M>>() {
            map.forget(key);
        }
    }

    /// Forgets each of `rows` (a delete returned them), as [`Loaded::forget`].
    pub fn forget_rows<M: Model>(&mut self, rows: &[M]) {
        if let Some(map) = self.maps.get_or_default::<M, Snapshots<M>>() {
            for row in rows {
                map.forget(row.key());
            }
        }
    }

    /// The indexes (into [`Model::table`]'s columns) of the values of `model`
    /// that differ from its snapshot; `None` when this session never loaded
    /// the row.
    pub fn changed<M: Model>(&self, model: &M) -> Option<Vec<usize>> {
        let old = self
            .maps
            .get::<M, Snapshots<M>>()?
            .get(model.key())?
            .values();
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
    update_plan::<M>(changed).columns
}

/// What `update` reads back to return the row as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBack {
    /// The whole row (`RETURNING` every column): some columns were not
    /// written and may have changed since this session loaded the row.
    Row,
    /// Only `created_at`: every other column but the key was written from
    /// the model, so the stored row is the model with the stored `created_at`.
    CreatedAt,
    /// Nothing: every column but the key was written (the table has no
    /// `created_at`), so the stored row is the model; the count of rows
    /// written says whether it exists.
    Nothing,
}

/// An `update`'s columns and what it reads back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePlan {
    /// The columns written (see [`update_columns`]), in table order.
    pub columns: Vec<usize>,
    /// What the statement returns.
    pub read_back: ReadBack,
}

/// The plan of an `update` given the columns [`Loaded::changed`] found:
/// the changed ones (all when unknown), never the key or `created_at`,
/// always `updated_at` when the table has it; and what to read back.
pub fn update_plan<M: Model>(changed: Option<Vec<usize>>) -> UpdatePlan {
    let table = M::table();
    let key = table.primary_key_columns();
    let writable =
        |c: &crate::schema::Column| !key.contains(&c.name) && c.name != crate::audit::CREATED_AT;
    let columns: Vec<usize> = table
        .columns()
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            writable(c)
                && (changed.as_ref().is_none_or(|ch| ch.contains(i))
                    || c.name == crate::audit::UPDATED_AT)
        })
        .map(|(i, _)| i)
        .collect();
    let whole = columns.len() == table.columns().iter().filter(|c| writable(c)).count();
    let read_back = if !whole {
        ReadBack::Row
    } else if table.column_named(crate::audit::CREATED_AT).is_some() {
        ReadBack::CreatedAt
    } else {
        ReadBack::Nothing
    };
    UpdatePlan { columns, read_back }
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

    #[test]
    fn forgetting_a_row_keeps_the_others_and_a_second_read_replaces_the_first() {
        let mut loaded = Loaded::new();
        let rows: Vec<Row> = (1..=4)
            .map(|id| Row {
                id,
                a: format!("row {id}"),
                ..row()
            })
            .collect();
        loaded.record(&rows);
        // Forget a row in the middle: the last one moves into its place.
        loaded.forget::<Row>(&2);
        loaded.forget::<Row>(&99);
        assert_eq!(loaded.changed(&rows[1]), None);
        for r in [&rows[0], &rows[2], &rows[3]] {
            assert_eq!(loaded.changed(r), Some(vec![]), "row {}", r.id);
        }
        // Read again with other values: the new snapshot replaces the old.
        let mut again = rows[3].clone();
        again.b = 7;
        loaded.record(std::slice::from_ref(&again));
        assert_eq!(loaded.changed(&again), Some(vec![]));
        assert_eq!(loaded.changed(&rows[3]), Some(vec![4]));
        loaded.forget::<Row>(&4);
        assert_eq!(loaded.changed(&again), None);
        assert_eq!(loaded.changed(&rows[2]), Some(vec![]));
    }

    #[test]
    fn an_update_that_writes_every_column_reads_back_only_created_at() {
        let plan = update_plan::<Row>(None);
        assert_eq!(plan.columns, [2, 3, 4]);
        assert_eq!(plan.read_back, ReadBack::CreatedAt);
        let plan = update_plan::<Row>(Some(vec![3]));
        assert_eq!(plan.columns, [2, 3]);
        assert_eq!(plan.read_back, ReadBack::Row, "b was not written");
        let plan = update_plan::<Row>(Some(vec![3, 4]));
        assert_eq!(plan.read_back, ReadBack::CreatedAt, "every column written");

        #[derive(Debug, Clone)]
        struct Plain {
            id: i64,
            a: String,
        }
        crate::impl_model!(
            Plain,
            crate::base::BigIntBase,
            table = "plain",
            plain,
            |t| t.column(Column::new("a", ColumnType::Text)),
            fields(a)
        );
        assert_eq!(update_plan::<Plain>(None).read_back, ReadBack::Nothing);
        let none = update_plan::<Plain>(Some(vec![]));
        assert!(none.columns.is_empty(), "no change, no audit column");
        assert_eq!(none.read_back, ReadBack::Row);
    }
}
