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

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::ops::Range;

use crate::base::{KeyOf, Model};
use crate::by_model::ByModel;
use crate::value::Value;

/// One column of a snapshot.
#[derive(Debug, Clone)]
enum Cell {
    /// Text, at `at` in chunk `chunk` of the snapshots' text.
    Text { chunk: usize, at: Range<usize> },
    /// Any other value, NULL included (never [`Value::Text`]).
    Value(Value),
}

/// One column of a model, text lent in place where the model lends it.
enum Column<'m> {
    Text(Cow<'m, str>),
    Value(Value),
}

/// How a model lends a column, found once per model: the downcast of every
/// field of every row read cost more than the row's copy.
#[derive(Debug, Clone, Copy)]
enum Lent {
    Text,
    OptionalText,
    /// Read through [`Model::value`].
    Other,
}

/// The columns a snapshot keeps, each with how `model` lends it: those an
/// `update` may leave out. The key and `created_at` are never written and
/// `updated_at` always is, so their values are not kept (a post's six
/// columns keep three).
fn tracked_columns<M: Model>(model: &M) -> Vec<(usize, Lent)> {
    let table = M::table();
    let key = table.primary_key_columns();
    let never = [crate::audit::CREATED_AT, crate::audit::UPDATED_AT];
    let mut tracked = Vec::with_capacity(table.columns().len());
    for (i, c) in table.columns().iter().enumerate() {
        if key.contains(&c.name) || never.contains(&c.name.as_str()) {
            continue;
        }
        let lent = match model.field(i) {
            Some(f) if f.is::<String>() => Lent::Text,
            Some(f) if f.is::<Option<String>>() => Lent::OptionalText,
            _ => Lent::Other,
        };
        tracked.push((i, lent));
    }
    tracked
}

/// Column `index` of `model`, lent as `lent` says (text without a copy).
fn column<M: Model>(model: &M, index: usize, lent: Lent) -> Column<'_> {
    let field = || model.field(index);
    match lent {
        Lent::Text => {
            if let Some(text) = field().and_then(|f| f.downcast_ref::<String>()) {
                return Column::Text(Cow::Borrowed(text));
            }
        }
        Lent::OptionalText => {
            if let Some(text) = field().and_then(|f| f.downcast_ref::<Option<String>>()) {
                return match text {
                    Some(text) => Column::Text(Cow::Borrowed(text)),
                    None => Column::Value(Value::Null),
                };
            }
        }
        Lent::Other => {}
    }
    match model.value(index) {
        Some(Value::Text(text)) => Column::Text(Cow::Owned(text)),
        Some(value) => Column::Value(value),
        None => Column::Value(Value::Null),
    }
}

/// The cells of snapshots, `width` a row, their text in chunks.
#[derive(Default)]
struct Cells {
    cells: Vec<Cell>,
    /// Chunks filled up to their capacity and never grown: text is copied
    /// once, never moved to a bigger buffer (doubling one buffer copied all
    /// text read again, 4.1 M instructions in a walk of 20,000 posts). Each
    /// chunk is twice the last, from 256 bytes up to [`CHUNK`], so a session
    /// that reads one row keeps a small one.
    chunks: Vec<String>,
    /// Bytes of text in all chunks.
    text_len: usize,
}

/// The largest chunk of text (a longer text gets a chunk of its own).
const CHUNK: usize = 64 * 1024;

impl Cells {
    #[inline]
    fn cell(&mut self, column: Column<'_>) -> Cell {
        match column {
            Column::Text(text) => self.text_cell(&text),
            Column::Value(value) => Cell::Value(value),
        }
    }

    fn text_cell(&mut self, text: &str) -> Cell {
        let fits = |c: &String| c.capacity() - c.len() >= text.len();
        if !self.chunks.last().is_some_and(fits) {
            let size = self
                .chunks
                .last()
                .map_or(256, |c| (2 * c.capacity()).min(CHUNK));
            self.chunks
                .push(String::with_capacity(size.max(text.len())));
        }
        let chunk = self.chunks.len() - 1;
        let mut at = 0..0;
        if let Some(buffer) = self.chunks.last_mut() {
            at.start = buffer.len();
            buffer.push_str(text);
            at.end = buffer.len();
        }
        self.text_len += text.len();
        Cell::Text { chunk, at }
    }

    fn text(&self, chunk: usize, at: &Range<usize>) -> Option<&str> {
        self.chunks.get(chunk)?.get(at.clone())
    }

    #[inline]
    fn same(&self, cell: &Cell, column: &Column<'_>) -> bool {
        match (cell, column) {
            (Cell::Text { chunk, at }, Column::Text(text)) => {
                self.text(*chunk, at) == Some(&**text)
            }
            (Cell::Value(old), Column::Value(new)) => old == new,
            _ => false,
        }
    }
}

/// Loaded rows of one model: for each key, the column values as read.
///
/// Snapshots are cells in one list, a row's cells side by side, and the
/// text of every cell in one buffer: remembering a row read copies its text
/// once into that buffer instead of cloning the row, one allocation per
/// text field to make and later free (a walk of 20,000 posts spent 23.4 M
/// instructions on those clones, 8.5 M with cells; raw sqlx spent 142 M on
/// the whole walk). Only the columns an `update` may leave out are kept.
/// A row read again or deleted leaves dead cells and text behind; once they
/// outweigh the live ones, the lists are rebuilt with the live rows only.
/// Keys are hashed with foldhash, randomly seeded per map: they are primary
/// keys the database returned, hashed for every row read, where SipHash
/// would cost more than the rest of remembering the row.
struct Snapshots<M: Model> {
    /// Key to row number (its cells are `row * width ..`).
    index: HashMap<KeyOf<M>, usize, foldhash::fast::RandomState>,
    /// The kept columns (set from the first row recorded); `width` of them.
    tracked: Vec<(usize, Lent)>,
    cells: Cells,
    /// Rows numbered so far, live or dead.
    rows: usize,
    /// Rows and text bytes no key points at.
    dead_rows: usize,
    dead_text: usize,
}

impl<M: Model> Default for Snapshots<M> {
    fn default() -> Self {
        Self {
            index: HashMap::default(),
            tracked: Vec::new(),
            cells: Cells::default(),
            rows: 0,
            dead_rows: 0,
            dead_text: 0,
        }
    }
}

/// Dead rows and text bytes below which nothing is rebuilt: a small map is
/// cheaper to keep than to copy.
const KEEP_DEAD: usize = 1024;

impl<M: Model> Snapshots<M> {
    fn cells_of(&self, row: usize) -> Range<usize> {
        let width = self.tracked.len();
        row * width..(row + 1) * width
    }

    fn record(&mut self, rows: &[M]) {
        if self.rows == 0
            && let Some(first) = rows.first()
        {
            self.tracked = tracked_columns(first);
        }
        self.index.reserve(rows.len());
        self.cells.cells.reserve(rows.len() * self.tracked.len());
        for row in rows {
            match self.index.entry(row.key().clone()) {
                Entry::Vacant(slot) => {
                    slot.insert(self.rows);
                    self.rows += 1;
                    for &(i, lent) in &self.tracked {
                        let cell = self.cells.cell(column(row, i, lent));
                        self.cells.cells.push(cell);
                    }
                }
                // Read again: the changed columns replace the old ones.
                Entry::Occupied(at) => {
                    let first = *at.get() * self.tracked.len();
                    for (n, &(i, lent)) in self.tracked.iter().enumerate() {
                        let new = column(row, i, lent);
                        if !self.cells.same(&self.cells.cells[first + n], &new) {
                            let cell = self.cells.cell(new);
                            if let Cell::Text { at, .. } =
                                std::mem::replace(&mut self.cells.cells[first + n], cell)
                            {
                                self.dead_text += at.len();
                            }
                        }
                    }
                }
            }
        }
        self.rebuild_when_mostly_dead();
    }

    fn forget(&mut self, key: &KeyOf<M>) {
        let Some(row) = self.index.remove(key) else {
            return;
        };
        self.dead_rows += 1;
        for cell in &self.cells.cells[self.cells_of(row)] {
            if let Cell::Text { at, .. } = cell {
                self.dead_text += at.len();
            }
        }
        self.rebuild_when_mostly_dead();
    }

    /// Copies the live rows into new lists once the dead outweigh them, so
    /// a session that reads the same rows again and again stays the size of
    /// the rows it holds (each row is copied at most once per rebuild, and a
    /// rebuild waits for as many dead bytes as it copies).
    fn rebuild_when_mostly_dead(&mut self) {
        let live_text = self.cells.text_len - self.dead_text;
        let rows = self.dead_rows > KEEP_DEAD && self.dead_rows > self.index.len();
        let text = self.dead_text > KEEP_DEAD && self.dead_text > live_text;
        if !(rows || text) {
            return;
        }
        let width = self.tracked.len();
        let mut live = Cells {
            cells: Vec::with_capacity(self.index.len() * width),
            ..Cells::default()
        };
        let mut next = 0;
        for row in self.index.values_mut() {
            let first = *row * width;
            *row = next;
            next += 1;
            for cell in &self.cells.cells[first..first + width] {
                let cell = match cell {
                    Cell::Text { chunk, at } => {
                        live.text_cell(self.cells.text(*chunk, at).unwrap_or_default())
                    }
                    Cell::Value(value) => Cell::Value(value.clone()),
                };
                live.cells.push(cell);
            }
        }
        self.cells = live;
        self.rows = next;
        self.dead_rows = 0;
        self.dead_text = 0;
    }

    /// The kept columns of `model` that differ from its snapshot.
    fn changed(&self, model: &M) -> Option<Vec<usize>> {
        let row = *self.index.get(model.key())?;
        let old = self.cells.cells.get(self.cells_of(row))?;
        Some(
            self.tracked
                .iter()
                .zip(old)
                .filter(|&(&(i, lent), old)| !self.cells.same(old, &column(model, i, lent)))
                .map(|(&(i, _), _)| i)
                .collect(),
        )
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
    /// the row. Only columns an `update` may leave out are compared: never
    /// the key, `created_at` or `updated_at`.
    pub fn changed<M: Model>(&self, model: &M) -> Option<Vec<usize>> {
        self.maps.get::<M, Snapshots<M>>()?.changed(model)
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

    /// Rows with keys `ids`, each with its own text.
    fn rows(ids: std::ops::Range<i64>) -> Vec<Row> {
        ids.map(|id| Row {
            id,
            a: format!("row {id}"),
            ..row()
        })
        .collect()
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
        let rows = rows(1..5);
        loaded.record(&rows);
        // Forget a row in the middle: the others keep their snapshots.
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
    fn rows_read_again_or_deleted_do_not_grow_the_snapshots() {
        let mut loaded = Loaded::new();
        let rows = rows(0..3000);
        loaded.record(&rows);
        for r in &rows[..2000] {
            loaded.forget::<Row>(&r.id);
        }
        let snapshots = |loaded: &Loaded| -> (usize, usize) {
            let map = loaded.maps.get::<Row, Snapshots<Row>>().unwrap();
            (map.cells.cells.len(), map.cells.text_len)
        };
        // 1,501 dead rows outweighed the 1,499 live ones: rebuilt then, so
        // the 499 forgotten after it are all that is dead now.
        assert_eq!(snapshots(&loaded).0, (1000 + 499) * 2, "columns a and b");
        for r in &rows[..2000] {
            assert_eq!(loaded.changed(r), None, "row {}", r.id);
        }
        for r in &rows[2000..] {
            assert_eq!(loaded.changed(r), Some(vec![]), "row {}", r.id);
        }
        // One row read again and again, its text changed each time: the
        // old text is dropped once it outweighs the live text.
        let mut again = rows[2999].clone();
        for n in 0..10_000 {
            again.a = format!("read {n}");
            loaded.record(std::slice::from_ref(&again));
        }
        assert!(
            snapshots(&loaded).1 < 2 * 16_000,
            "{:?}",
            snapshots(&loaded)
        );
        assert_eq!(loaded.changed(&again), Some(vec![]));
        assert_eq!(loaded.changed(&rows[2999]), Some(vec![3]));
        assert_eq!(loaded.changed(&rows[2500]), Some(vec![]));
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
