//! The backend-independent halves of bulk writes. For `update_many`:
//! [`distinct_keys`] and [`in_key_order`]. For `upsert_many`: checking the
//! input, choosing between a native `ON CONFLICT` and select-then-write,
//! splitting the rows, and putting results back in input order. A backend
//! adds only the SQL: selecting the stored rows that match, and the native
//! statement.
//!
//! [`crate::driver`] drives an upsert in three steps: [`prepare`] checks
//! the input and names the stored columns to read; the rows stored under
//! the match values are selected; [`Prepared::plan`] then chooses
//! [`Plan::Native`] (one `INSERT .. ON CONFLICT (..) DO UPDATE .. RETURNING`
//! per chunk) or [`Plan::Split`] (the inserts through `add_many`, the
//! updates as one `UPDATE .. FROM (VALUES ..)`, or one shared `SET .. WHERE
//! key = ANY(..)` when every row writes the same values), and
//! [`in_input_order`] puts the rows back in the caller's order.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

use crate::audit::{CREATED_AT, Timestamps};
use chrono::{DateTime, Utc};

use crate::base::{KeyOf, Model, key_from_database};
use crate::pk::KeyStrategy;
use crate::schema::Dialect;
use crate::value::Value;
use crate::{Error, Result};

/// Column values as a hash-map key: [`Value`] has floats, so it is not
/// `Eq`/`Hash` itself; here a float equals another with the same bits.
#[derive(Debug, Clone)]
pub struct MatchKey(pub Vec<Value>);

impl PartialEq for MatchKey {
    fn eq(&self, other: &Self) -> bool {
        MatchRef(&self.0) == MatchRef(&other.0)
    }
}

impl Eq for MatchKey {}

impl std::hash::Hash for MatchKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        MatchRef(&self.0).hash(state);
    }
}

/// [`MatchKey`] over borrowed values (no copy to look one up).
#[derive(Debug, Clone, Copy)]
struct MatchRef<'a>(&'a [Value]);

impl PartialEq for MatchRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(other.0).all(|pair| match pair {
                (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
                (a, b) => a == b,
            })
    }
}

impl Eq for MatchRef<'_> {}

impl std::hash::Hash for MatchRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for v in self.0 {
            std::mem::discriminant(v).hash(state);
            match v {
                Value::Bool(b) => b.hash(state),
                Value::Int(i) => i.hash(state),
                Value::Float(f) => f.to_bits().hash(state),
                Value::Text(t) => t.hash(state),
                Value::Uuid(u) => u.hash(state),
                Value::Timestamp(t) => t.hash(state),
                Value::Date(d) => d.hash(state),
                Value::Time(t) => t.hash(state),
                Value::Bytes(b) => b.hash(state),
                Value::Json(j) => j.to_string().hash(state),
                // Of the value without trailing zeros, as `==` compares.
                Value::Decimal(d) => d.hash(state),
                _ => {}
            }
        }
    }
}

/// Rows of values of one width, kept in one flat list: one allocation for
/// all rows instead of one per row, which shows in bulk work over thousands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    width: usize,
    values: Vec<Value>,
}

impl Rows {
    /// No rows yet, of `width` values each, with room for `rows` of them.
    pub fn with_capacity(width: usize, rows: usize) -> Self {
        Self {
            width,
            values: Vec::with_capacity(width * rows),
        }
    }

    /// Appends the next value of the row being written: a row is complete
    /// after [`Rows::width`] values.
    pub fn push(&mut self, value: Value) {
        self.values.push(value);
    }

    /// Values a row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// How many complete rows there are.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    /// Whether there are no complete rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the last row is complete.
    fn is_whole(&self) -> bool {
        self.values.len() == self.len() * self.width
    }

    /// The values of row `i`.
    fn row(&self, i: usize) -> &[Value] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// Each complete row's values, in order.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, Value> {
        self.values.chunks_exact(self.width.max(1))
    }

    /// The rows in chunks of at most `max` rows, all of nearly the same size
    /// (as [`chunks`]), each an iterator over its rows' values.
    pub fn chunks(&self, max: usize) -> impl Iterator<Item = std::slice::ChunksExact<'_, Value>> {
        let width = self.width.max(1);
        let rows = self.len();
        self.values[..rows * self.width]
            .chunks(even_chunk(rows, max) * width)
            .map(move |c| c.chunks_exact(width))
    }
}

/// Appends values row after row (as [`Rows::push`]).
impl Extend<Value> for Rows {
    fn extend<I: IntoIterator<Item = Value>>(&mut self, values: I) {
        self.values.extend(values);
    }
}

/// The values of `columns` (indexes into [`Model::table`]) of `model`.
pub fn pick<M: Model>(model: &M, columns: &[usize]) -> Vec<Value> {
    columns
        .iter()
        .map(|&i| model.value(i).unwrap_or(Value::Null))
        .collect()
}

/// Rows per bulk statement when each row binds `binds` values and a
/// statement carries at most `max_binds` (at least 1). Each backend picks
/// its `max_binds` below the database's limit: how big a statement is
/// cheapest depends on the driver (see `BENCHMARKS.md`).
pub fn rows_per_statement(max_binds: usize, binds: usize) -> usize {
    (max_binds / binds.max(1)).max(1)
}

/// Rows per statement of the update of a split upsert writing `written`
/// columns a row: a shared `SET` binds them once and each row only its key;
/// a `FROM (VALUES ..)` list binds the key and `written` values per row.
pub fn update_rows_per_statement(max_binds: usize, written: usize, shared: bool) -> usize {
    if shared {
        rows_per_statement(max_binds.saturating_sub(written), 1)
    } else {
        rows_per_statement(max_binds, written + 1)
    }
}

/// `items` in chunks of at most `max`, all of nearly the same size (10,000
/// rows at most 5,461 a chunk: two of 5,000, not 5,461 and 4,539), so a
/// bulk write prepares one statement shape instead of two.
pub fn chunks<T>(items: &[T], max: usize) -> std::slice::Chunks<'_, T> {
    items.chunks(even_chunk(items.len(), max))
}

/// The size of the nearly even chunks of at most `max` (at least 1) that
/// `len` items go in.
pub(crate) fn even_chunk(len: usize, max: usize) -> usize {
    let count = len.div_ceil(max.max(1)).max(1);
    len.div_ceil(count).max(1)
}

/// Checks that no key appears twice among `models` (one bulk update cannot
/// write a row twice).
///
/// # Errors
/// [`Error::InvalidInput`] naming the repeated key.
pub fn distinct_keys<M: Model>(models: &[M]) -> Result<()> {
    let mut seen = HashSet::new();
    for m in models {
        if !seen.insert(m.key().clone()) {
            return Err(Error::invalid_input(format!(
                "{}: update_many got key {} twice",
                M::table().name(),
                m.key()
            )));
        }
    }
    Ok(())
}

/// `rows` (returned by a bulk update, in any order) in the order of `inputs`, by key.
///
/// # Errors
/// [`Error::NotFound`] naming the first input row that has no result (it does not exist).
pub fn in_key_order<M: Model>(inputs: &[M], rows: Vec<M>) -> Result<Vec<M>> {
    let mut by_key: HashMap<crate::KeyOf<M>, M> =
        rows.into_iter().map(|r| (r.key().clone(), r)).collect();
    inputs
        .iter()
        .map(|m| {
            by_key
                .remove(m.key())
                .ok_or_else(|| Error::not_found(M::table().name(), m.key()))
        })
        .collect()
}

/// The values of `columns` when every one of `models` has the same ones
/// (a bulk change of status, say): then one `UPDATE .. SET c = ? WHERE key
/// IN (..)` writes them all, with no per-row values to send.
pub fn shared_values<M: Model>(models: &[M], columns: &[usize]) -> Option<Vec<Value>> {
    let (first, rest) = models.split_first()?;
    let shared = pick(first, columns);
    // A NaN never equals itself here: such rows take the per-row path.
    let same = |m: &M| {
        columns
            .iter()
            .zip(&shared)
            .all(|(&i, v)| m.value(i).unwrap_or(Value::Null) == *v)
    };
    rest.iter().all(same).then_some(shared)
}

/// The `SET` list of `UPDATE t SET .. FROM (VALUES (key, c..), ..) AS v`:
/// `"c" = v.columnN` for each of `written` (indexes into `table`'s
/// columns), quoted for `dialect`, the key being `v.column1`; with nothing
/// written, the key set to itself, so the statement still matches its rows.
pub fn values_set_list(
    dialect: Dialect,
    table: &crate::schema::Table,
    key: usize,
    written: &[usize],
) -> String {
    let name = |i: usize| table.quoted_column(dialect, i).unwrap_or_default();
    if written.is_empty() {
        return format!("{} = v.column1", name(key));
    }
    written
        .iter()
        .enumerate()
        .map(|(n, &i)| format!("{} = v.column{}", name(i), n + 2))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that an update of `expected` rows by key wrote as many.
///
/// # Errors
/// [`Error::Busy`] when fewer were written: a row matched moments ago was
/// deleted by a concurrent transaction (retrying the unit of work sees it).
pub fn check_updated<M: Model>(expected: usize, written: u64) -> Result<()> {
    if u64::try_from(expected).ok() == Some(written) {
        return Ok(());
    }
    Err(Error::Busy {
        source: format!(
            "{}: updated {written} of {expected} matched rows; the others were deleted concurrently",
            M::table().name()
        )
        .into(),
    })
}

/// Validated input of an upsert.
#[derive(Debug)]
pub struct Prepared<M> {
    /// The rows to write, in input order.
    pub models: Vec<M>,
    /// Indexes of the match columns.
    pub columns: Vec<usize>,
    /// The match values of the rows that can match a stored row, in input
    /// order (all distinct): every row, but for a match on the primary key
    /// the rows whose key is unset, which are new.
    pub wanted: Rows,
    /// For each row of `wanted`, its place in `models`; `None` when
    /// `wanted` holds every row.
    positions: Option<Vec<usize>>,
    /// Whether the match columns are a unique constraint (or a client-made
    /// key), so `ON CONFLICT` on them is race-free.
    pub native: bool,
    /// Positions in `wanted`, by their values: [`Prepared::plan`] finds each
    /// stored row's input with one lookup and no copy of its values.
    index: Index,
}

/// Positions in a list of match values, hashed by those values (a
/// [`HashTable`](hashbrown::HashTable) holds the positions only, so the
/// values are not copied into it).
#[derive(Debug)]
struct Index {
    table: hashbrown::HashTable<usize>,
    hasher: RandomState,
}

impl Index {
    fn hash(&self, values: &[Value]) -> u64 {
        self.hasher.hash_one(MatchRef(values))
    }

    /// The position in `wanted` of the row with `values`.
    fn find(&self, wanted: &Rows, values: &[Value]) -> Option<usize> {
        self.table
            .find(self.hash(values), |&i| {
                MatchRef(wanted.row(i)) == MatchRef(values)
            })
            .copied()
    }

    /// Indexes row `i` of `wanted`; `false` when an earlier row has the same values.
    fn insert(&mut self, wanted: &Rows, i: usize) -> bool {
        let values = wanted.row(i);
        let hash = self.hash(values);
        let hasher = &self.hasher;
        match self.table.entry(
            hash,
            |&j| MatchRef(wanted.row(j)) == MatchRef(values),
            |&j| hasher.hash_one(MatchRef(wanted.row(j))),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(i);
                true
            }
        }
    }
}

/// Checks `match_fields` against `M`'s table, every row's values
/// ([`crate::check::row`]), and the rows' match values for repeats.
///
/// # Errors
/// [`Error::InvalidInput`] for unknown match fields, a value the database
/// must not be sent, or two rows with the same match values. Nothing has
/// been sent.
///
/// # Behavior
/// - No match fields means the primary key.
/// - Matched on a one-column primary key, a row whose key is unset (0, the
///   nil UUID) is new: it matches no stored row and no other input row.
/// - A native `ON CONFLICT` is planned when the match fields are a unique
///   constraint or a client-made key, unless a row carries a key the
///   database would otherwise make (that key is written as given by the
///   select-then-write path).
/// - Where the native clause matches on any unique key (`any_unique`,
///   MariaDB's `ON DUPLICATE KEY UPDATE`), it is planned only when a new
///   row can collide on the match fields alone: no other unique constraint,
///   and a key that is the match field or is made by the database. Else a
///   row could update another stored row than the one its match fields
///   name; select-then-write is planned instead.
pub fn prepare<M: Model>(
    models: Vec<M>,
    match_fields: &[&str],
    any_unique: bool,
) -> Result<Prepared<M>> {
    type K<M> = <<M as Model>::Base as crate::base::Base>::Key;
    let table = M::table();
    let key = table.primary_key_columns();
    // No match fields: the primary key, as in Advanced Alchemy.
    let key_fields: Vec<&str> = key.iter().map(String::as_str).collect();
    let match_fields = if match_fields.is_empty() {
        &key_fields[..]
    } else {
        match_fields
    };
    if match_fields.is_empty() {
        return Err(Error::invalid_input(format!(
            "{}: upsert needs match fields (the table has no primary key)",
            table.name()
        )));
    }
    let columns = match_fields
        .iter()
        .map(|f| {
            if table.check_field(f)?.ty == crate::schema::ColumnType::Json {
                return Err(Error::invalid_input(format!(
                    "field `{f}` is JSON: rows are not matched on a JSON column"
                )));
            }
            table
                .columns()
                .iter()
                .position(|c| c.name == *f)
                .ok_or_else(|| Error::invalid_input(format!("unknown field `{f}`")))
        })
        .collect::<Result<Vec<usize>>>()?;
    let mut sorted = match_fields.to_vec();
    sorted.sort_unstable();
    let on_key = key.len() == 1 && sorted == [key[0].as_str()];
    let mut wanted = Rows::with_capacity(columns.len(), models.len());
    let mut positions = Vec::new();
    for (n, m) in models.iter().enumerate() {
        // Before the SELECT of the stored rows: nothing is sent for bad input.
        crate::check::row(m)?;
        if on_key && K::<M>::is_unset(m.key()) {
            // A new row: it gets a fresh key, and matches nothing.
            continue;
        }
        positions.push(n);
        for &i in &columns {
            wanted.push(m.value(i).unwrap_or(Value::Null));
        }
    }
    let positions = (positions.len() < models.len()).then_some(positions);
    let mut index = Index {
        table: hashbrown::HashTable::with_capacity(wanted.len()),
        hasher: RandomState::new(),
    };
    for i in 0..wanted.len() {
        if !index.insert(&wanted, i) {
            return Err(Error::invalid_input(format!(
                "{}: upsert got two rows with {match_fields:?} = {:?}",
                table.name(),
                wanted.row(i)
            )));
        }
    }
    let unique = table.unique_constraints().iter().any(|u| {
        let mut u: Vec<&str> = u.iter().map(String::as_str).collect();
        u.sort_unstable();
        u == sorted
    });
    let database_keys = key_from_database::<M>();
    // A database-made key is not in the native insert: it cannot be its
    // conflict target, and a key the caller set would be lost (such rows
    // take select-then-write, whose inserts write set keys as given).
    let only_key = table.unique_constraints().iter().all(|u| {
        let mut u: Vec<&str> = u.iter().map(String::as_str).collect();
        u.sort_unstable();
        u == sorted
    }) && (on_key || database_keys);
    let native = (unique || (on_key && !database_keys))
        && !(database_keys && models.iter().any(|m| !K::<M>::is_unset(m.key())))
        && (!any_unique || only_key);
    Ok(Prepared {
        models,
        columns,
        wanted,
        positions,
        native,
        index,
    })
}

/// What to send, once the stored matches are known.
#[derive(Debug)]
pub enum Plan<M> {
    /// One `INSERT .. ON CONFLICT (match) DO UPDATE` of every row, stamped
    /// as inserts (the statement keeps key and `created_at` of existing rows).
    Native {
        /// The rows, in input order.
        models: Vec<M>,
        /// Rows that did not exist.
        created: usize,
        /// Rows that existed.
        updated: usize,
    },
    /// `add_many(inserts)` and an update of `updates` by key that writes
    /// the `written` columns, then [`Order::reassemble`] of the inserted
    /// rows and `updates`.
    Split {
        /// Rows that did not exist.
        inserts: Vec<M>,
        /// Rows that existed, carrying the stored key and `created_at`,
        /// stamped as updates: once written, the rows as stored.
        updates: Vec<M>,
        /// The columns (indexes into [`Model::table`]) to write for
        /// `updates`: every column but the key, `created_at` and the match
        /// columns. Empty: nothing to write (no updates, or a table of
        /// nothing else).
        written: Vec<usize>,
        /// The values of `written` when every one of `updates` has the same
        /// ones: then one `UPDATE .. SET c = ? WHERE key IN (..)` per chunk
        /// writes them (see [`shared_values`]).
        shared: Option<Vec<Value>>,
        /// Where each result goes.
        order: Order,
        /// `inserts.len()`.
        created: usize,
        /// `updates.len()`.
        updated: usize,
    },
}

/// A stored row's key and, on audited tables, `created_at`.
type Stored<M> = (KeyOf<M>, Option<DateTime<Utc>>);

/// Where each input row's result comes from: (inserted?, index).
#[derive(Debug)]
pub struct Order(Vec<(bool, usize)>);

impl Order {
    /// The results in input order.
    ///
    /// # Errors
    /// [`Error::Backend`] when a write returned fewer rows than it was given.
    pub fn reassemble<M>(self, inserted: Vec<M>, updated: Vec<M>) -> Result<Vec<M>> {
        let mut inserted: Vec<Option<M>> = inserted.into_iter().map(Some).collect();
        let mut updated: Vec<Option<M>> = updated.into_iter().map(Some).collect();
        self.0
            .into_iter()
            .map(|(new, i)| {
                let slot = if new { &mut inserted } else { &mut updated };
                slot.get_mut(i)
                    .and_then(Option::take)
                    .ok_or_else(|| Error::backend("upsert lost a row"))
            })
            .collect()
    }
}

impl<M: Model> Prepared<M> {
    /// The columns to read of each stored row that matches, in this order:
    /// the key, `created_at` (audited tables), then the match columns. They
    /// are all [`Prepared::plan`] needs: an existing row gets the input's
    /// values, so its other stored values are not read.
    pub fn stored_columns(&self) -> Vec<usize> {
        let table = M::table();
        let position = |name: &str| table.columns().iter().position(|c| c.name == name);
        let key = table.primary_key_columns();
        let mut columns: Vec<usize> = key.iter().filter_map(|k| position(k)).collect();
        if <M::Base as crate::base::Base>::AUDITED {
            columns.extend(position(CREATED_AT));
        }
        columns.extend(&self.columns);
        columns
    }

    /// The plan, given the stored rows whose match values are among
    /// `wanted`, each as the values of [`Prepared::stored_columns`] (a
    /// [`Rows`] of that width), with
    /// the rows to write stamped at `now` (inserts by
    /// [`Repository::add_many`](crate::Repository::add_many) themselves).
    ///
    /// # Errors
    /// [`Error::MultipleResults`] when several stored rows match one input
    /// row; [`Error::Backend`] when a stored row does not have the shape of
    /// [`Prepared::stored_columns`].
    pub fn plan(self, existing: Rows, now: DateTime<Utc>) -> Result<Plan<M>> {
        let audited = <M::Base as crate::base::Base>::AUDITED;
        // Values before the match columns: the key, and `created_at`.
        let head = 1 + usize::from(audited);
        // Each input row's stored key and `created_at`, if it exists.
        let mut stored: Vec<Option<Stored<M>>> = std::iter::repeat_with(|| None)
            .take(self.models.len())
            .collect();
        let mut updated = 0;
        if existing.width() != head + self.columns.len() || !existing.is_whole() {
            return Err(Error::backend(format!(
                "{}: stored matches of {} values ({} in all), expected rows of {}",
                M::table().name(),
                existing.width(),
                existing.values.len(),
                head + self.columns.len()
            )));
        }
        let mut values = existing.values;
        for row in values.chunks_exact_mut(existing.width) {
            let (front, matched) = row.split_at_mut(head);
            // A row the database matched but whose values differ (a
            // collation that folds case, say) is no input row's.
            let Some(w) = self.index.find(&self.wanted, matched) else {
                continue;
            };
            let i = self.positions.as_ref().map_or(w, |p| p[w]);
            let mut take = |j: usize| std::mem::replace(&mut front[j], Value::Null);
            let key = KeyOf::<M>::try_from(take(0))?;
            let created_at = if audited {
                Some(DateTime::<Utc>::try_from(take(1))?)
            } else {
                None
            };
            if stored[i].replace((key, created_at)).is_some() {
                return Err(Error::MultipleResults {
                    entity: M::table().name().to_string(),
                });
            }
            updated += 1;
        }
        let created = self.models.len() - updated;
        if self.native {
            let mut models = self.models;
            for m in &mut models {
                // Checked by `prepare`; the stamps are the clock's.
                crate::base::stamp_insert(m, now);
            }
            return Ok(Plan::Native {
                models,
                created,
                updated,
            });
        }
        let mut inserts = Vec::with_capacity(created);
        let mut updates = Vec::with_capacity(updated);
        let mut order = Vec::with_capacity(self.models.len());
        for (mut m, stored) in self.models.into_iter().zip(stored) {
            match stored {
                Some((key, created_at)) => {
                    m.set_key(key);
                    if let Some(created_at) = created_at {
                        m.set_timestamps(Timestamps {
                            created_at,
                            updated_at: created_at,
                        });
                    }
                    crate::base::stamp_update(&mut m, now);
                    order.push((false, updates.len()));
                    updates.push(m);
                }
                None => {
                    order.push((true, inserts.len()));
                    inserts.push(m);
                }
            }
        }
        let written = if updates.is_empty() {
            Vec::new()
        } else {
            written_columns::<M>(&self.columns)
        };
        let shared = shared_values(&updates, &written);
        Ok(Plan::Split {
            inserts,
            updates,
            written,
            shared,
            order: Order(order),
            created,
            updated,
        })
    }
}

/// The columns select-then-write sets on an existing row: every column but
/// the key, `created_at` and the match columns (which are equal by
/// construction), in table order.
fn written_columns<M: Model>(match_columns: &[usize]) -> Vec<usize> {
    let table = M::table();
    let key = table.primary_key_columns();
    table
        .columns()
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !key.contains(&c.name) && c.name != CREATED_AT && !match_columns.contains(i)
        })
        .map(|(i, _)| i)
        .collect()
}

/// `rows` (returned by a native upsert, in any order) in the order of
/// `inputs`, matched on `columns`.
///
/// # Errors
/// [`Error::Backend`] when an input row has no result.
pub fn in_input_order<M: Model>(inputs: &[M], rows: Vec<M>, columns: &[usize]) -> Result<Vec<M>> {
    let mut by_match: HashMap<MatchKey, M> = rows
        .into_iter()
        .map(|r| (MatchKey(pick(&r, columns)), r))
        .collect();
    inputs
        .iter()
        .map(|m| {
            by_match
                .remove(&MatchKey(pick(m, columns)))
                .ok_or_else(|| Error::backend("upsert lost a row"))
        })
        .collect()
}

/// The columns a native upsert sets on an existing row: of the inserted
/// `columns`, all but the key, `created_at` and the match columns. Never
/// empty: with nothing to change, the first match column is set to itself so
/// the row still comes back.
pub fn upsert_set_columns<M: Model>(columns: &[usize], match_columns: &[usize]) -> Vec<usize> {
    let table = M::table();
    let key = table.primary_key_columns();
    let set: Vec<usize> = columns
        .iter()
        .copied()
        .filter(|&i| {
            let name = &table.columns()[i].name;
            !key.contains(name) && name != CREATED_AT && !match_columns.contains(&i)
        })
        .collect();
    if set.is_empty() {
        match_columns.first().copied().into_iter().collect()
    } else {
        set
    }
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
        name: String,
        code: String,
        n: i64,
    }
    crate::impl_model!(
        Row,
        BigIntAuditBase,
        table = "row",
        audited,
        |t| t
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("code", ColumnType::Text))
            .column(Column::new("n", ColumnType::BigInt))
            .unique(["code"]),
        fields(name, code, n)
    );

    fn row(id: i64, name: &str, code: &str, n: i64) -> Row {
        Row {
            id,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            name: name.into(),
            code: code.into(),
            n,
        }
    }

    #[test]
    fn bulk_updates_check_keys_and_keep_input_order() {
        assert!(distinct_keys(&[row(1, "a", "1", 1), row(2, "b", "2", 2)]).is_ok());
        let e = distinct_keys(&[row(1, "a", "1", 1), row(1, "b", "2", 2)]).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        let rows = in_key_order(
            &[row(2, "", "", 0), row(1, "", "", 0)],
            vec![row(1, "x", "", 0), row(2, "y", "", 0)],
        )
        .unwrap();
        assert_eq!(
            rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["y", "x"]
        );
        let e = in_key_order(&[row(3, "", "", 0)], vec![]).unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{e}");
    }

    #[test]
    fn prepare_checks_fields_and_repeats() {
        // No match fields: the key. Unset keys are new rows, never repeats.
        let p = prepare(vec![row(0, "a", "x", 1), row(0, "b", "y", 2)], &[], false).unwrap();
        assert!(p.wanted.is_empty());
        assert_eq!(p.columns, [0]);
        let p = prepare(
            vec![row(0, "a", "x", 1), row(7, "b", "y", 2)],
            &["id"],
            false,
        )
        .unwrap();
        assert_eq!(p.wanted.len(), 1);
        assert_eq!(p.positions, Some(vec![1]));
        // A database key the caller set is not lost to a native insert.
        let p = prepare(vec![row(7, "a", "x", 1)], &["code"], false).unwrap();
        assert!(!p.native);
        let e = prepare(vec![row(0, "a", "x", 1)], &["nope"], false).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = prepare(
            vec![row(0, "a", "x", 1), row(0, "a", "y", 2)],
            &["name"],
            false,
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        assert!(
            prepare(vec![row(0, "a", "x", 1)], &["code"], false)
                .unwrap()
                .native
        );
        assert!(
            !prepare(vec![row(0, "a", "x", 1)], &["name"], false)
                .unwrap()
                .native
        );
        assert!(
            !prepare(vec![row(0, "a", "x", 1)], &["id"], false)
                .unwrap()
                .native,
            "database key"
        );
    }

    #[derive(Debug, Clone)]
    struct Twice {
        id: i64,
        code: String,
        name: String,
    }
    crate::impl_model!(
        Twice,
        crate::base::BigIntBase,
        table = "twice",
        plain,
        |t| t
            .column(Column::new("code", ColumnType::Text))
            .column(Column::new("name", ColumnType::Text))
            .unique(["code"])
            .unique(["name"]),
        fields(code, name)
    );

    #[test]
    fn a_clause_matching_any_unique_key_is_native_only_when_one_key_can_clash() {
        // MariaDB's ON DUPLICATE KEY UPDATE: `code` is the only unique key
        // and the database makes the primary key, so a new row clashes on
        // `code` alone.
        assert!(
            prepare(vec![row(0, "a", "x", 1)], &["code"], true)
                .unwrap()
                .native
        );
        // Two unique keys: a row could update the one its `name` matches.
        let twice = Twice {
            id: 0,
            code: "c".into(),
            name: "n".into(),
        };
        assert!(
            prepare(vec![twice.clone()], &["code"], false)
                .unwrap()
                .native
        );
        assert!(!prepare(vec![twice], &["code"], true).unwrap().native);
    }

    /// A stored match as the backends read it: key, `created_at`, `name`.
    fn stored(id: i64, created_at: DateTime<Utc>, name: &str) -> Vec<Value> {
        vec![
            Value::Int(id),
            Value::Timestamp(created_at),
            Value::Text(name.into()),
        ]
    }

    /// `rows` as [`Rows`] of `width`.
    fn table_of(width: usize, rows: Vec<Vec<Value>>) -> Rows {
        let mut out = Rows::with_capacity(width, rows.len());
        for v in rows.into_iter().flatten() {
            out.push(v);
        }
        out
    }

    #[test]
    fn rows_come_in_even_chunks_of_whole_rows() {
        let rows = table_of(
            2,
            (0..7).map(|i| vec![Value::Int(i), Value::Null]).collect(),
        );
        assert_eq!((rows.len(), rows.width()), (7, 2));
        let sizes: Vec<usize> = rows.chunks(3).map(|c| c.len()).collect();
        assert_eq!(sizes, [3, 3, 1]);
        let firsts: Vec<&Value> = rows.chunks(4).flatten().map(|r| &r[0]).collect();
        assert_eq!(firsts.len(), 7);
        assert_eq!(firsts[6], &Value::Int(6));
        assert_eq!(Rows::with_capacity(2, 0).chunks(3).count(), 0);
        let mut partial = rows.clone();
        partial.push(Value::Int(7));
        assert_eq!(partial.len(), 7, "an incomplete row is not counted");
        assert_eq!(partial.iter().count(), 7);
        assert!(!partial.is_whole());
    }

    #[test]
    fn prepare_keeps_the_match_values_in_input_order() {
        let p = prepare(
            vec![row(0, "a", "x", 1), row(0, "b", "x", 2)],
            &["name", "n"],
            false,
        )
        .unwrap();
        let wanted: Vec<&[Value]> = p.wanted.iter().collect();
        assert_eq!(
            wanted,
            [
                &[Value::Text("a".into()), Value::Int(1)][..],
                &[Value::Text("b".into()), Value::Int(2)][..]
            ]
        );
    }

    #[test]
    fn plan_skips_stored_rows_that_match_no_input() {
        // As a collation that folds case would return "OLD" for "old".
        let p = prepare(vec![row(0, "old", "1", 1)], &["name"], false).unwrap();
        let Plan::Split {
            inserts,
            created,
            updated,
            ..
        } = p
            .plan(
                table_of(3, vec![stored(7, DateTime::UNIX_EPOCH, "OLD")]),
                DateTime::UNIX_EPOCH,
            )
            .unwrap()
        else {
            panic!("split expected")
        };
        assert_eq!((created, updated, inserts.len()), (1, 0, 1));
    }

    #[test]
    fn plan_splits_and_reassembles_in_input_order() {
        let p = prepare(
            vec![row(0, "new", "1", 1), row(0, "old", "2", 2)],
            &["name"],
            false,
        )
        .unwrap();
        let names = |cols: &[usize]| {
            cols.iter()
                .map(|&i| Row::table().columns()[i].name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&p.stored_columns()), ["id", "created_at", "name"]);
        let created_at = DateTime::UNIX_EPOCH + chrono::TimeDelta::days(1);
        let now = DateTime::UNIX_EPOCH + chrono::TimeDelta::days(2);
        let Plan::Split {
            inserts,
            updates,
            written,
            shared,
            order,
            created,
            updated,
        } = p
            .plan(table_of(3, vec![stored(7, created_at, "old")]), now)
            .unwrap()
        else {
            panic!("split expected")
        };
        assert_eq!((created, updated), (1, 1));
        assert_eq!(
            names(&written),
            ["updated_at", "code", "n"],
            "all but the key, created_at and the match column"
        );
        assert_eq!(updates[0].updated_at, now, "stamped as an update");
        assert_eq!(
            shared,
            Some(vec![
                Value::Timestamp(now),
                Value::Text("2".into()),
                Value::Int(2)
            ]),
            "one row shares its own values"
        );
        assert_eq!(updates[0].id, 7, "the stored key is kept");
        assert_eq!(updates[0].created_at, created_at);
        let rows = order.reassemble(inserts, updates).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["new", "old"]
        );
    }

    #[test]
    fn plan_rejects_stored_rows_of_another_shape() {
        let p = prepare(vec![row(0, "a", "1", 1)], &["name"], false).unwrap();
        let e = p
            .plan(table_of(1, vec![vec![Value::Int(1)]]), DateTime::UNIX_EPOCH)
            .unwrap_err();
        assert!(matches!(e, Error::Backend { .. }), "{e}");
        let p = prepare(vec![row(0, "a", "1", 1)], &["name"], false).unwrap();
        let mut partial = table_of(3, vec![stored(1, DateTime::UNIX_EPOCH, "a")]);
        partial.push(Value::Int(2));
        let e = p.plan(partial, DateTime::UNIX_EPOCH).unwrap_err();
        assert!(e.to_string().contains("4 in all"), "an incomplete row: {e}");
        let p = prepare(vec![row(0, "a", "1", 1)], &["name"], false).unwrap();
        let wrong_key = vec![
            Value::Text("1".into()),
            Value::Timestamp(DateTime::UNIX_EPOCH),
            Value::Text("a".into()),
        ];
        let e = p
            .plan(table_of(3, vec![wrong_key]), DateTime::UNIX_EPOCH)
            .unwrap_err();
        assert!(matches!(e, Error::Backend { .. }), "{e}");
    }

    #[test]
    fn plan_without_updates_writes_nothing() {
        let p = prepare(vec![row(0, "a", "1", 1)], &["name"], false).unwrap();
        let Plan::Split {
            written, shared, ..
        } = p.plan(table_of(3, vec![]), DateTime::UNIX_EPOCH).unwrap()
        else {
            panic!("split expected")
        };
        assert!(written.is_empty());
        assert_eq!(shared, None);
    }

    #[test]
    fn values_set_lists_name_the_values_columns() {
        let t = Row::table();
        assert_eq!(
            values_set_list(Dialect::Postgres, t, 0, &[2, 5]),
            r#""updated_at" = v.column2, "n" = v.column3"#
        );
        assert_eq!(
            values_set_list(Dialect::MariaDb, t, 0, &[]),
            "`id` = v.column1"
        );
    }

    #[test]
    fn chunks_are_even_and_within_the_limit() {
        let items: Vec<usize> = (0..10_000).collect();
        let sizes: Vec<usize> = chunks(&items, 5_461).map(<[usize]>::len).collect();
        assert_eq!(sizes, [5_000, 5_000]);
        let sizes: Vec<usize> = chunks(&items[..7], 3).map(<[usize]>::len).collect();
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(chunks(&items[..0], 3).count(), 0);
        assert_eq!(
            chunks(&items[..5], 0).count(),
            5,
            "a limit of 0 still makes progress"
        );
        assert_eq!(rows_per_statement(32_766, 6), 5_461);
        assert_eq!(
            rows_per_statement(10, 0),
            10,
            "no binds a row still makes progress"
        );
    }

    #[test]
    fn shared_values_only_when_every_row_has_them() {
        let rows = [row(1, "a", "x", 5), row(2, "b", "x", 5)];
        assert_eq!(
            shared_values(&rows, &[4, 5]),
            Some(vec![Value::Text("x".into()), Value::Int(5)])
        );
        assert_eq!(shared_values(&rows, &[3, 5]), None, "names differ");
        assert_eq!(shared_values::<Row>(&[], &[5]), None);
    }

    #[test]
    fn match_keys_compare_floats_by_bits() {
        use std::collections::HashSet;
        let k = |v: Vec<Value>| MatchKey(v);
        let set: HashSet<MatchKey> = [
            k(vec![Value::Float(1.0)]),
            k(vec![Value::Float(f64::NAN)]),
            k(vec![Value::Int(1)]),
            k(vec![Value::Text("a".into()), Value::Null]),
        ]
        .into_iter()
        .collect();
        assert!(set.contains(&k(vec![Value::Float(1.0)])));
        assert!(set.contains(&k(vec![Value::Float(f64::NAN)])));
        assert!(set.contains(&k(vec![Value::Text("a".into()), Value::Null])));
        assert!(!set.contains(&k(vec![Value::Float(-0.0)])));
        assert!(!set.contains(&k(vec![Value::Text("a".into())])));
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn several_stored_matches_are_multiple_results() {
        let p = prepare(vec![row(0, "dup", "1", 1)], &["name"], false).unwrap();
        let e = p
            .plan(
                table_of(
                    3,
                    vec![
                        stored(1, DateTime::UNIX_EPOCH, "dup"),
                        stored(2, DateTime::UNIX_EPOCH, "dup"),
                    ],
                ),
                DateTime::UNIX_EPOCH,
            )
            .unwrap_err();
        assert!(matches!(e, Error::MultipleResults { .. }), "{e}");
    }

    #[test]
    fn native_update_columns_skip_key_created_at_and_match() {
        let names = |cols: Vec<usize>| {
            cols.into_iter()
                .map(|i| Row::table().columns()[i].name.clone())
                .collect::<Vec<_>>()
        };
        let all: Vec<usize> = (0..6).collect();
        assert_eq!(
            names(upsert_set_columns::<Row>(&all, &[4])),
            ["updated_at", "name", "n"]
        );
        let rows = in_input_order(
            &[row(0, "a", "1", 1), row(0, "b", "2", 2)],
            vec![row(5, "b", "2", 2), row(4, "a", "1", 1)],
            &[4],
        )
        .unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [4, 5]);
    }
}
