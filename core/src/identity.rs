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
use std::fmt;

use chrono::{Datelike as _, Timelike as _};

use crate::base::{KeyOf, Model};
use crate::by_model::ByModel;
use crate::value::Value;

/// One column of a model, text, bytes and JSON lent in place where the
/// model lends them (a JSON document's copy cost more than its encoding).
enum Column<'m> {
    Text(Cow<'m, str>),
    Bytes(&'m [u8]),
    Json(&'m serde_json::Value),
    Value(Value),
}

/// How a model lends a column, found once per model: the downcast of every
/// field of every row read cost more than the row's copy.
#[derive(Debug, Clone, Copy)]
enum Lent {
    Text,
    OptionalText,
    Bytes,
    OptionalBytes,
    Json,
    OptionalJson,
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
            Some(f) if f.is::<Vec<u8>>() => Lent::Bytes,
            Some(f) if f.is::<Option<Vec<u8>>>() => Lent::OptionalBytes,
            Some(f) if f.is::<serde_json::Value>() => Lent::Json,
            Some(f) if f.is::<Option<serde_json::Value>>() => Lent::OptionalJson,
            _ => Lent::Other,
        };
        tracked.push((i, lent));
    }
    tracked
}

/// Column `index` of `model`, lent as `lent` says (text, bytes and JSON
/// without a copy).
#[inline]
fn column<M: Model>(model: &M, index: usize, lent: Lent) -> Column<'_> {
    let field = || model.field(index);
    /// `Some(column)` for a lent `T`, or an `Option<T>` (`None` is NULL).
    fn lent_as<'m, T: 'static>(
        field: Option<&'m dyn std::any::Any>,
        optional: bool,
        make: impl Fn(&'m T) -> Column<'m>,
    ) -> Option<Column<'m>> {
        let field = field?;
        if optional {
            let v = field.downcast_ref::<Option<T>>()?;
            Some(v.as_ref().map_or(Column::Value(Value::Null), make))
        } else {
            field.downcast_ref::<T>().map(make)
        }
    }
    let found = match lent {
        Lent::Bytes | Lent::OptionalBytes => {
            lent_as::<Vec<u8>>(field(), matches!(lent, Lent::OptionalBytes), |b| {
                Column::Bytes(b)
            })
        }
        Lent::Json | Lent::OptionalJson => {
            lent_as::<serde_json::Value>(field(), matches!(lent, Lent::OptionalJson), Column::Json)
        }
        _ => None,
    };
    if let Some(column) = found {
        return column;
    }
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
        _ => {}
    }
    match model.value(index) {
        Some(Value::Text(text)) => Column::Text(Cow::Owned(text)),
        Some(value) => Column::Value(value),
        None => Column::Value(Value::Null),
    }
}

/// How a snapshot stores a column: a tag byte, then its payload. Two
/// values are equal exactly when their encodings are (floats by their
/// bits: a NaN read back is unchanged, `-0.0` after `0.0` is a change).
mod tag {
    pub(super) const NULL: u8 = 0;
    pub(super) const FALSE: u8 = 1;
    pub(super) const TRUE: u8 = 2;
    /// 8 bytes, little-endian.
    pub(super) const INT: u8 = 3;
    /// The bits, 8 bytes, little-endian.
    pub(super) const FLOAT: u8 = 4;
    /// Its length (LEB128), then its bytes.
    pub(super) const TEXT: u8 = 5;
    /// 16 bytes.
    pub(super) const UUID: u8 = 6;
    /// Seconds (8 bytes) and nanoseconds (4 bytes) since 1970, little-endian.
    pub(super) const TIMESTAMP: u8 = 7;
    /// Days since 0001-01-01 (4 bytes, little-endian).
    pub(super) const DATE: u8 = 8;
    /// Seconds and nanoseconds since midnight (4 bytes each, little-endian).
    pub(super) const TIME: u8 = 9;
    /// Its length (LEB128), then its bytes.
    pub(super) const BYTES: u8 = 10;
    /// The text serde_json writes, then a 0 byte.
    pub(super) const JSON: u8 = 11;
    /// The value without trailing zeros (so `12.50` equals `12.5`), as
    /// `rust_decimal` serializes it: 16 bytes.
    pub(super) const DECIMAL: u8 = 12;
}

/// Appends `n` in LEB128 (7 bits a byte, the last below 0x80).
#[inline]
fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push(u8::try_from(n & 0x7f).unwrap_or_default() | 0x80);
        n >>= 7;
    }
    out.push(u8::try_from(n).unwrap_or_default());
}

/// The number at the start of `bytes` and the bytes after it.
fn read_varint(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= usize::from(b & 0x7f).checked_shl(u32::try_from(7 * i).ok()?)?;
        if b < 0x80 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

impl Column<'_> {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        let text = |out: &mut Vec<u8>, t: &str| {
            out.push(tag::TEXT);
            push_varint(out, t.len());
            out.extend_from_slice(t.as_bytes());
        };
        let bytes = |out: &mut Vec<u8>, b: &[u8]| {
            out.push(tag::BYTES);
            push_varint(out, b.len());
            out.extend_from_slice(b);
        };
        // Written in place and ended by a 0 byte: compact JSON escapes
        // every control character, so its text holds none.
        let json = |out: &mut Vec<u8>, j: &serde_json::Value| {
            out.push(tag::JSON);
            // Writing to a Vec fails only for a map with non-string keys,
            // which a `serde_json::Value` never has.
            let _ = serde_json::to_writer(&mut *out, j);
            out.push(0);
        };
        match self {
            Column::Text(t) => text(out, t),
            Column::Bytes(b) => bytes(out, b),
            Column::Json(j) => json(out, j),
            Column::Value(v) => match v {
                Value::Null => out.push(tag::NULL),
                Value::Bool(b) => out.push(if *b { tag::TRUE } else { tag::FALSE }),
                Value::Int(n) => {
                    out.push(tag::INT);
                    out.extend_from_slice(&n.to_le_bytes());
                }
                Value::Float(f) => {
                    out.push(tag::FLOAT);
                    out.extend_from_slice(&f.to_bits().to_le_bytes());
                }
                Value::Text(t) => text(out, t),
                Value::Uuid(u) => {
                    out.push(tag::UUID);
                    out.extend_from_slice(u.as_bytes());
                }
                Value::Timestamp(t) => {
                    out.push(tag::TIMESTAMP);
                    out.extend_from_slice(&t.timestamp().to_le_bytes());
                    out.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
                }
                Value::Date(d) => {
                    out.push(tag::DATE);
                    out.extend_from_slice(&d.num_days_from_ce().to_le_bytes());
                }
                Value::Time(t) => {
                    out.push(tag::TIME);
                    out.extend_from_slice(&t.num_seconds_from_midnight().to_le_bytes());
                    out.extend_from_slice(&t.nanosecond().to_le_bytes());
                }
                Value::Bytes(b) => bytes(out, b),
                Value::Json(j) => json(out, j),
                Value::Decimal(d) => {
                    out.push(tag::DECIMAL);
                    out.extend_from_slice(&d.normalize().serialize());
                }
            },
        }
    }
}

/// The first encoded column of `bytes` and the bytes after it; `None` when
/// `bytes` does not start with one.
fn split_column(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, payload) = bytes.split_first()?;
    let len = match tag {
        tag::NULL | tag::FALSE | tag::TRUE => 0,
        tag::INT | tag::FLOAT => 8,
        tag::UUID | tag::DECIMAL => 16,
        tag::TIMESTAMP => 12,
        tag::DATE => 4,
        tag::TIME => 8,
        tag::TEXT | tag::BYTES => {
            let (n, text) = read_varint(payload)?;
            n.checked_add(payload.len() - text.len())?
        }
        tag::JSON => payload.iter().position(|&b| b == 0)? + 1,
        _ => return None,
    };
    let end = len.checked_add(1)?;
    (end <= bytes.len()).then(|| bytes.split_at(end))
}

/// The encoded rows, in chunks filled up to their capacity and never grown:
/// a row is copied once, never moved to a bigger buffer. Each chunk is twice
/// the last, from 256 bytes up to [`CHUNK`], so a session that reads one row
/// keeps a small one; a row longer than that gets a chunk of its own.
#[derive(Default)]
struct Arena {
    chunks: Vec<Vec<u8>>,
    /// Bytes in all chunks.
    len: usize,
}

/// The largest chunk of rows.
const CHUNK: usize = 64 * 1024;

impl Arena {
    /// The chunk to append a row of `size` bytes to, and where the row
    /// starts: below [`CHUNK`], so `chunk * CHUNK + start` names it.
    fn room(&mut self, size: usize) -> (usize, &mut Vec<u8>) {
        let fits = |c: &Vec<u8>| c.len() < CHUNK && c.capacity() - c.len() >= size;
        if !self.chunks.last().is_some_and(fits) {
            let next = self
                .chunks
                .last()
                .map_or(256, |c| (2 * c.capacity()).min(CHUNK));
            self.chunks.push(Vec::with_capacity(next.max(size)));
        }
        self.len += size;
        let chunk = self.chunks.len() - 1;
        let buffer = &mut self.chunks[chunk];
        (chunk * CHUNK + buffer.len(), buffer)
    }

    /// The bytes from the row at `at` to the end of its chunk.
    fn from(&self, at: usize) -> &[u8] {
        self.chunks
            .get(at / CHUNK)
            .and_then(|c| c.get(at % CHUNK..))
            .unwrap_or_default()
    }
}

/// The row of `width` encoded columns at `at` in `arena`.
fn row_in(arena: &Arena, width: usize, at: usize) -> &[u8] {
    let all = arena.from(at);
    let mut rest = all;
    for _ in 0..width {
        match split_column(rest) {
            Some((_, after)) => rest = after,
            None => break,
        }
    }
    &all[..all.len() - rest.len()]
}

/// Loaded rows of one model: for each key, the column values as read.
///
/// A row's snapshot is its kept columns encoded side by side (a tag byte
/// and the value's bytes) in chunks of bytes: remembering a row read is one
/// copy of its values, with no allocation of its own. A walk of 20,000
/// posts spent 23.4 M instructions on cloning each row, 12 M on a cell per
/// column, and raw sqlx 127 M on the whole walk; the encoding also halved
/// the memory (200 to about 120 bytes a post, key index included). Only
/// the columns an `update` may leave out are kept. A row read again or
/// deleted leaves dead bytes behind; once they outweigh the live ones, the
/// chunks are rebuilt with the live rows only. Keys are hashed with
/// foldhash, randomly seeded per map: they are primary keys the database
/// returned, hashed for every row read, where SipHash would cost more than
/// the rest of remembering the row.
struct Snapshots<M: Model> {
    /// Key to where its row starts in `rows`.
    index: HashMap<KeyOf<M>, usize, foldhash::fast::RandomState>,
    /// The kept columns (set from the first row recorded).
    tracked: Vec<(usize, Lent)>,
    rows: Arena,
    /// Bytes of rows no key points at.
    dead: usize,
}

impl<M: Model> Default for Snapshots<M> {
    fn default() -> Self {
        Self {
            index: HashMap::default(),
            tracked: Vec::new(),
            rows: Arena::default(),
            dead: 0,
        }
    }
}

/// Dead bytes below which nothing is rebuilt: a small map is cheaper to
/// keep than to copy.
const KEEP_DEAD: usize = 16 * 1024;

impl<M: Model> Snapshots<M> {
    /// The encoded row at `at`.
    fn row(&self, at: usize) -> &[u8] {
        row_in(&self.rows, self.tracked.len(), at)
    }

    fn record(&mut self, rows: &[M]) {
        if self.rows.len == 0
            && let Some(first) = rows.first()
        {
            self.tracked = tracked_columns(first);
        }
        self.index.reserve(rows.len());
        // A row is encoded here first, then copied into a chunk with room
        // for it: cheaper than finding its size before encoding it.
        let mut scratch = Vec::new();
        for row in rows {
            scratch.clear();
            for &(i, lent) in &self.tracked {
                column(row, i, lent).encode(&mut scratch);
            }
            let (at, buffer) = self.rows.room(scratch.len());
            buffer.extend_from_slice(&scratch);
            // Read again: the new values replace the old.
            if let Some(old) = self.index.insert(row.key().clone(), at) {
                self.dead += self.row(old).len();
            }
        }
        self.rebuild_when_mostly_dead();
    }

    fn forget(&mut self, key: &KeyOf<M>) {
        let Some(at) = self.index.remove(key) else {
            return;
        };
        self.dead += self.row(at).len();
        self.rebuild_when_mostly_dead();
    }

    /// Copies the live rows into new chunks once the dead outweigh them, so
    /// a session that reads the same rows again and again stays the size of
    /// the rows it holds (each row is copied at most once per rebuild, and a
    /// rebuild waits for as many dead bytes as it copies).
    fn rebuild_when_mostly_dead(&mut self) {
        let live = self.rows.len - self.dead;
        if self.dead <= KEEP_DEAD || self.dead <= live {
            return;
        }
        let mut rows = Arena::default();
        let old = std::mem::take(&mut self.rows);
        let mut index = std::mem::take(&mut self.index);
        for at in index.values_mut() {
            let bytes = row_in(&old, self.tracked.len(), *at);
            let (new, buffer) = rows.room(bytes.len());
            buffer.extend_from_slice(bytes);
            *at = new;
        }
        self.index = index;
        self.rows = rows;
        self.dead = 0;
    }

    /// The kept columns of `model` that differ from its snapshot.
    fn changed(&self, model: &M) -> Option<Vec<usize>> {
        let mut old = self.row(*self.index.get(model.key())?);
        let mut new = Vec::new();
        let mut changed = Vec::new();
        for &(i, lent) in &self.tracked {
            let (was, rest) = split_column(old)?;
            old = rest;
            new.clear();
            column(model, i, lent).encode(&mut new);
            if was != new.as_slice() {
                changed.push(i);
            }
        }
        Some(changed)
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
        // Bytes kept, and bytes no key points at.
        let snapshots = |loaded: &Loaded| -> (usize, usize) {
            let map = loaded.maps.get::<Row, Snapshots<Row>>().unwrap();
            (map.rows.len, map.dead)
        };
        // A row of 3,000 is `a` (tag, length, `row NNNN`: 10 bytes at most)
        // and `b` (9 bytes). Once the dead outweighed the live rows, they
        // were rebuilt: what is dead now was forgotten after that.
        let (kept, dead) = snapshots(&loaded);
        assert!(kept - dead == 1000 * 19, "{kept} {dead}");
        assert!(dead <= kept - dead, "{kept} {dead}");
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
        let (kept, dead) = snapshots(&loaded);
        assert!(kept < 2 * (1000 * 19 + KEEP_DEAD), "{kept} {dead}");
        assert_eq!(loaded.changed(&again), Some(vec![]));
        assert_eq!(loaded.changed(&rows[2999]), Some(vec![3]));
        assert_eq!(loaded.changed(&rows[2500]), Some(vec![]));
    }

    #[test]
    fn encodings_are_equal_exactly_when_values_are() {
        let at = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        let long = "x".repeat(20_000);
        let values = [
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(0),
            Value::Int(-1),
            Value::Int(i64::MAX),
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Float(f64::NAN),
            Value::Float(1.5),
            Value::Text(String::new()),
            Value::Text("a".into()),
            Value::Text("a\0b".into()),
            Value::Text("x".repeat(127)),
            Value::Text("x".repeat(128)),
            Value::Text(long.clone()),
            Value::Uuid(uuid::Uuid::nil()),
            Value::Uuid(uuid::Uuid::from_u128(1)),
            Value::Timestamp(at),
            Value::Timestamp(at + chrono::Duration::nanoseconds(1)),
            Value::Timestamp(DateTime::from_timestamp(-62_135_596_800, 0).unwrap()),
            Value::Date(chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap()),
            Value::Date(chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
            Value::Time(chrono::NaiveTime::MIN),
            Value::Time(chrono::NaiveTime::from_hms_micro_opt(0, 0, 0, 1).unwrap()),
            Value::Bytes(vec![]),
            Value::Bytes(vec![0]),
            Value::Bytes(vec![7; 300]),
            Value::Decimal("12.5".parse().unwrap()),
            Value::Decimal("-12.5".parse().unwrap()),
            Value::Decimal("0.000001".parse().unwrap()),
            Value::Json(serde_json::json!({"a": [1, "x\0y"], "b": null})),
            Value::Json(serde_json::json!("\0")),
            Value::Json(serde_json::Value::Null),
            Value::Json(serde_json::json!([])),
        ];
        let encode = |v: &Value| {
            let column = match v {
                Value::Text(t) => super::Column::Text(Cow::Borrowed(t)),
                Value::Bytes(b) => super::Column::Bytes(b),
                Value::Json(j) => super::Column::Json(j),
                v => super::Column::Value(v.clone()),
            };
            let mut out = Vec::new();
            column.encode(&mut out);
            // Values lent by a model and values from `Model::value` agree.
            let mut owned = Vec::new();
            super::Column::Value(v.clone()).encode(&mut owned);
            assert_eq!(out, owned);
            out
        };
        let encoded: Vec<Vec<u8>> = values.iter().map(encode).collect();
        for (i, a) in encoded.iter().enumerate() {
            let mut two = a.clone();
            two.extend_from_slice(&encoded[(i + 1) % encoded.len()]);
            assert_eq!(
                split_column(&two),
                Some(two.split_at(a.len())),
                "{:?}",
                values[i]
            );
            assert_eq!(split_column(&a[..a.len() - 1]), None, "cut short");
            for (j, b) in encoded.iter().enumerate() {
                assert_eq!(a == b, i == j, "{:?} against {:?}", values[i], values[j]);
            }
        }
        assert_eq!(split_column(&[200]), None, "an unknown tag");
        // Trailing zeros are not a change: the database gives `12.50` back
        // for the model's `12.5`.
        let d = |s: &str| encode(&Value::Decimal(s.parse().unwrap()));
        assert_eq!(d("12.50"), d("12.5"));
        assert_eq!(d("-0.00"), d("0"));
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
