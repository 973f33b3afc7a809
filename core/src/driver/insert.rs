//! `add_many`, written once for every backend (for backend authors).
//!
//! [`add_many`] decides which statements to send over a [`Driver`] and
//! returns the rows written, with their keys, in input order.
//!
//! # Keys
//! - A key the caller set is written as given, whoever makes keys: a
//!   client strategy fills only an unset key, and a database strategy
//!   leaves a set key alone. On PostgreSQL an identity column's sequence is
//!   moved past the largest key written this way, so a later insert without
//!   a key never collides with it (SQLite's `AUTOINCREMENT` does this itself).
//! - Rows whose key the database makes are inserted without the key column
//!   and their keys read back (every other column is written as given).
//!   `RETURNING` promises no order (SQLite documents it as
//!   arbitrary), so the rows are matched to the input without relying on it:
//!   - identity keys: the rows are sorted by key, since one statement
//!     numbers its rows in the order of its `VALUES` list (or, on
//!     PostgreSQL, of its arrays' elements: `SELECT * FROM unnest(..)`);
//!   - keys made by an expression (`gen_random_uuid()`, a custom default):
//!     the keys of a chunk are asked for first, in one statement, and the
//!     rows inserted with them (one row alone is inserted and its key read
//!     back);
//!   - any other database key: one statement per row.
//!
//! # Statements
//! Rows with every column known go, on PostgreSQL, by binary `COPY` from
//! [`COPY_ROWS`](super::copy::COPY_ROWS) rows on where the driver has it
//! ([`Driver::copies`]), otherwise as one array per column; SQLite takes
//! multi-row `VALUES` lists under its bind limit.

use chrono::{DateTime, Utc};

use crate::base::{Base, KeyOf, Model, key_from_database, prepare_insert, stamp_insert};
use crate::bulk;
use crate::pk::KeyStrategy;
use crate::schema::{ColumnDefault, ColumnType, Dialect, Table};
use crate::sql::{SqlWriter, Statement};
use crate::value::Value;
use crate::{Error, Result};

use super::Driver;
use super::statements as st;

/// Inserts `models` (keys filled, audit columns stamped at `now`, values
/// checked) and returns them as written, with their keys, in input order; see the
/// [module docs](self).
///
/// # Errors
/// [`Error::InvalidInput`] for a value the database must not be sent (before
/// anything is sent); the database's errors (a foreign key named as
/// [`crate::error::name_foreign_key`] does); [`Error::Backend`] when a
/// statement wrote or returned another number of rows than it was given.
/// An error after a statement was sent fails the session
/// ([`crate::session::SessionState::finish_writes`]): some rows may be written.
pub async fn add_many<M: Model, D: Driver<M>>(
    driver: &mut D,
    models: Vec<M>,
    now: DateTime<Utc>,
) -> Result<Vec<M>> {
    let before = driver.statements();
    let result = write(driver, models, now, false).await;
    driver.state_mut().finish_writes(before, M::table(), result)
}

/// [`add_many`] of rows whose values were checked already
/// ([`crate::bulk::prepare`] checks an upsert's input): they are only
/// stamped, not checked a second time.
///
/// # Errors
/// As [`add_many`].
pub(crate) async fn add_checked<M: Model, D: Driver<M>>(
    driver: &mut D,
    models: Vec<M>,
    now: DateTime<Utc>,
) -> Result<Vec<M>> {
    let before = driver.statements();
    let result = write(driver, models, now, true).await;
    driver.state_mut().finish_writes(before, M::table(), result)
}

async fn write<M: Model, D: Driver<M>>(
    driver: &mut D,
    mut models: Vec<M>,
    now: DateTime<Utc>,
    checked: bool,
) -> Result<Vec<M>> {
    let database_keys = key_from_database::<M>();
    // The places of the rows whose key the database makes.
    let mut made_at = Vec::new();
    for (i, m) in models.iter_mut().enumerate() {
        if checked {
            stamp_insert(m, now);
        } else {
            prepare_insert(m, now)?;
        }
        if database_keys && <<M::Base as Base>::Key as KeyStrategy>::is_unset(m.key()) {
            made_at.push(i);
        }
    }
    // The usual cases keep the input's list: no second list of every row.
    if made_at.is_empty() {
        write_given(driver, &models).await?;
        catch_up(driver, &models).await?;
        return Ok(models);
    }
    if made_at.len() == models.len() {
        return write_made(driver, models).await;
    }
    let mut given = Vec::with_capacity(models.len() - made_at.len());
    let mut made = Vec::with_capacity(made_at.len());
    let mut next_made = made_at.iter().copied().peekable();
    for (i, m) in models.into_iter().enumerate() {
        if next_made.next_if_eq(&i).is_some() {
            made.push(m);
        } else {
            given.push(m);
        }
    }
    write_given(driver, &given).await?;
    catch_up(driver, &given).await?;
    let made = write_made(driver, made).await?;
    // Back in input order.
    let total = given.len() + made.len();
    let (mut given, mut made) = (given.into_iter(), made.into_iter());
    let mut next_made = made_at.into_iter().peekable();
    (0..total)
        .map(|i| {
            let row = if next_made.next_if_eq(&i).is_some() {
                made.next()
            } else {
                given.next()
            };
            row.ok_or_else(|| Error::backend("add_many lost a row"))
        })
        .collect()
}

/// Moves an identity sequence past the keys of `given` rows (see
/// [`identity_catch_up`]).
async fn catch_up<M: Model, D: Driver<M>>(driver: &mut D, given: &[M]) -> Result<()> {
    if key_from_database::<M>()
        && let Some(statement) = identity_catch_up::<M>(driver.dialect(), given)
    {
        query_values(driver, &statement, ColumnType::BigInt).await?;
    }
    Ok(())
}

/// Inserts rows with every column, in chunks.
async fn write_given<M: Model, D: Driver<M>>(driver: &mut D, rows: &[M]) -> Result<()> {
    let table = M::table();
    let columns = table.insert_columns(true);
    let head = table.insert_head(driver.dialect(), true);
    if super::copy::fits(driver, rows.len()) {
        let statement = super::copy::copy_statement(table, columns);
        for chunk in bulk::chunks(rows, super::copy::COPY_BATCH) {
            let payload = super::copy::copy_payload(table, columns, chunk)?;
            written(
                table,
                driver.copy_in(&statement, payload).await?,
                chunk.len(),
            )?;
        }
        return Ok(());
    }
    let per_values = bulk::rows_per_statement(driver.max_binds(), columns.len());
    for chunk in insert_chunks(driver, head, columns, rows, per_values) {
        let mut sql = driver.sql(None);
        st::insert(
            &mut sql,
            &chunk.head,
            table,
            &chunk.columns,
            chunk.rows,
            chunk.arrays,
        );
        written(table, driver.execute(sql).await?, chunk.rows.len())?;
    }
    Ok(())
}

/// `rows` split into one chunk per statement, each with whether it goes as
/// arrays (one bound array per column of `columns`, as
/// [`st::insert`] writes them) or as a `VALUES` list.
///
/// # Behavior
/// With array binds (PostgreSQL), up to [`ARRAY_ROWS`] rows a statement: one
/// text for any count, so one prepared statement serves every size. A
/// chunk with a NULL in a nullable column of `columns`, on a driver whose
/// arrays take none ([`Driver::arrays_take_nulls`]), and every chunk on
/// other databases, goes as `VALUES` lists of `per_values` rows.
pub(super) fn statement_chunks<'r, M: Model, D: Driver<M>>(
    driver: &D,
    columns: &[usize],
    rows: &'r [M],
    per_values: usize,
) -> Vec<(&'r [M], bool)> {
    let table = M::table();
    if !driver.dialect().rules().array_binds() {
        return bulk::chunks(rows, per_values).map(|c| (c, false)).collect();
    }
    let mut out = Vec::new();
    for chunk in bulk::chunks(rows, ARRAY_ROWS) {
        if driver.arrays_take_nulls() || !holds_null(table, columns, chunk) {
            out.push((chunk, true));
        } else {
            out.extend(bulk::chunks(chunk, per_values).map(|c| (c, false)));
        }
    }
    out
}

/// One insert statement's rows: whether they go as arrays, the columns
/// written and their `INSERT INTO t (..) VALUES ` head.
struct InsertChunk<'r, M> {
    rows: &'r [M],
    arrays: bool,
    columns: std::borrow::Cow<'r, [usize]>,
    head: std::borrow::Cow<'r, str>,
}

/// [`statement_chunks`] of an insert of `columns` under `head`, except on
/// a driver whose arrays take no NULL ([`Driver::arrays_take_nulls`]):
/// there a chunk goes as arrays when its NULLs are all in nullable columns
/// without a default that are NULL in every row (left out, they are NULL
/// as written; SeaORM's W8 on PostgreSQL, 10,000 rows with four NULL
/// columns, took 0.21 s as `VALUES` lists, 0.15 s so), and as `VALUES`
/// lists when a NULL is left, a NOT NULL column's too (which the database
/// then names; an array would refuse it without naming it).
fn insert_chunks<'r, M: Model, D: Driver<M>>(
    driver: &D,
    head: &'r str,
    columns: &'r [usize],
    rows: &'r [M],
    per_values: usize,
) -> Vec<InsertChunk<'r, M>> {
    let table = M::table();
    let dialect = driver.dialect();
    let whole = |rows, arrays| InsertChunk {
        rows,
        arrays,
        columns: std::borrow::Cow::Borrowed(columns),
        head: std::borrow::Cow::Borrowed(head),
    };
    if !dialect.rules().array_binds() || driver.arrays_take_nulls() {
        return statement_chunks(driver, columns, rows, per_values)
            .into_iter()
            .map(|(chunk, arrays)| whole(chunk, arrays))
            .collect();
    }
    let mut out = Vec::new();
    for run in bulk::chunks(rows, ARRAY_ROWS) {
        match without_null_columns(table, columns, run) {
            Some(kept) if kept.len() == columns.len() => out.push(whole(run, true)),
            Some(kept) => {
                let names: Vec<&str> = kept
                    .iter()
                    .filter_map(|&i| table.quoted_column(dialect, i))
                    .collect();
                out.push(InsertChunk {
                    rows: run,
                    arrays: true,
                    head: std::borrow::Cow::Owned(format!(
                        "INSERT INTO {} ({}) VALUES ",
                        table.quoted_name(dialect),
                        names.join(", ")
                    )),
                    columns: std::borrow::Cow::Owned(kept),
                });
            }
            // A NULL the arrays cannot carry (a NOT NULL column's too,
            // which the database then names).
            None => out.extend(bulk::chunks(run, per_values).map(|c| whole(c, false))),
        }
    }
    out
}

/// `columns` without the nullable ones, with no default, that are NULL in
/// every one of `rows`, when no NULL is left in the rest (a NOT NULL
/// column's included); else `None`.
fn without_null_columns<M: Model>(
    table: &Table,
    columns: &[usize],
    rows: &[M],
) -> Option<Vec<usize>> {
    let is_null = |r: &M, i: usize| {
        // A lent field of a type that is never NULL is not read.
        !r.field(i).is_some_and(never_null) && r.value(i).is_none_or(|v| v == Value::Null)
    };
    let mut kept = Vec::with_capacity(columns.len());
    for &i in columns {
        let column = &table.columns()[i];
        let nulls = rows.iter().filter(|r| is_null(r, i)).count();
        match nulls {
            0 => kept.push(i),
            n if n == rows.len() && column.nullable && column.default.is_none() => {}
            // A NULL left (in a NOT NULL column too, which the database
            // then names): `VALUES` lists.
            _ => return None,
        }
    }
    Some(kept)
}

/// Whether `field` is of a type that is never NULL (not an `Option`).
fn never_null(field: &dyn std::any::Any) -> bool {
    field.is::<String>()
        || field.is::<Vec<u8>>()
        || field.is::<serde_json::Value>()
        || field.is::<i64>()
        || field.is::<i32>()
        || field.is::<i16>()
        || field.is::<f64>()
        || field.is::<f32>()
        || field.is::<bool>()
        || field.is::<uuid::Uuid>()
        || field.is::<DateTime<Utc>>()
        || field.is::<chrono::NaiveDate>()
        || field.is::<chrono::NaiveTime>()
        || field.is::<rust_decimal::Decimal>()
}

/// Whether a nullable column among `columns` is NULL in one of `rows`.
fn holds_null<M: Model>(table: &Table, columns: &[usize], rows: &[M]) -> bool {
    columns
        .iter()
        .filter(|&&i| table.columns()[i].nullable)
        .any(|&i| {
            rows.iter()
                .any(|r| r.value(i).is_none_or(|v| v == Value::Null))
        })
}

/// Checks that an `INSERT` wrote as many rows as it was given.
fn written(table: &Table, written: u64, sent: usize) -> Result<()> {
    if usize::try_from(written).ok() == Some(sent) {
        Ok(())
    } else {
        Err(Error::backend(format!(
            "INSERT INTO {} wrote {written} rows for {sent}",
            table.name()
        )))
    }
}

/// Most rows one array insert carries ([`st::insert`]); more go
/// in further statements of the same text.
const ARRAY_ROWS: usize = 10_000;

/// Inserts rows whose key the database makes and sets each row's key, in
/// input order. Only the keys are read back: every other column is written
/// as given (and checked first), so the rows are returned as given, as
/// rows with keys of their own are; decoding the whole rows again cost as
/// much as the insert (W8: 10,000 rows with JSON, 0.16 s against 0.07 s).
async fn write_made<M: Model, D: Driver<M>>(driver: &mut D, mut rows: Vec<M>) -> Result<Vec<M>> {
    let table = M::table();
    let default = <<M::Base as Base>::Key as KeyStrategy>::DEFAULT;
    let per_statement = bulk::rows_per_statement(driver.max_binds(), table.columns().len() - 1);
    if rows.len() == 1 {
        // One row: nothing to match.
        let keys = insert_returning_keys(driver, &rows, false, None).await?;
        set_keys(table, &mut rows, keys)?;
        return Ok(rows);
    }
    match default {
        Some(ColumnDefault::Identity) => {
            let columns = st::insert_columns::<M>();
            let head = st::insert_head::<M>(driver.dialect());
            // The chunks' statements, then the chunks themselves, mutably.
            let plan: Vec<(usize, bool, Vec<usize>, String)> =
                insert_chunks(driver, head, columns, &rows, per_statement)
                    .into_iter()
                    .map(|c| {
                        let columns = c.columns.into_owned();
                        (c.rows.len(), c.arrays, columns, c.head.into_owned())
                    })
                    .collect();
            let mut rest = rows.as_mut_slice();
            for (len, arrays, columns, head) in plan {
                let (chunk, after) = std::mem::take(&mut rest).split_at_mut(len);
                rest = after;
                let written = Some((head.as_str(), columns.as_slice()));
                if let Some(last) = driver.dialect().rules().last_identity() {
                    let keys = insert_counting_keys(driver, chunk, written, last).await?;
                    set_keys(table, chunk, keys)?;
                    continue;
                }
                if driver.dialect().rules().aggregates_keys() {
                    let keys = insert_aggregating_keys(driver, chunk, arrays, written).await?;
                    set_keys(table, chunk, keys)?;
                    continue;
                }
                let mut keys = insert_returning_keys(driver, chunk, arrays, written).await?;
                if let Some(key) = keys.iter().find(|k| !matches!(k, Value::Int(_))) {
                    return Err(Error::backend(format!(
                        "{}: an identity key read back as {key:?}",
                        table.name()
                    )));
                }
                // One statement numbers its rows in the order of its VALUES
                // list, or of its arrays' elements.
                keys.sort_unstable_by_key(|k| match k {
                    Value::Int(k) => *k,
                    _ => 0,
                });
                set_keys(table, chunk, keys)?;
            }
            Ok(rows)
        }
        Some(default) => match driver.dialect().rules().default_expression(default) {
            Some(expression) => {
                keys_first(driver, &mut rows, expression).await?;
                write_given(driver, &rows).await?;
                Ok(rows)
            }
            None => {
                one_by_one(driver, &mut rows).await?;
                Ok(rows)
            }
        },
        None => {
            one_by_one(driver, &mut rows).await?;
            Ok(rows)
        }
    }
}

/// Gives `rows` the `keys` read back, in order.
///
/// # Errors
/// [`Error::Backend`] when there are not as many keys as rows, or a key is
/// not of the key's type.
fn set_keys<M: Model>(table: &Table, rows: &mut [M], keys: Vec<Value>) -> Result<()> {
    if keys.len() != rows.len() {
        return Err(Error::backend(format!(
            "{}: {} keys read back for {} rows",
            table.name(),
            keys.len(),
            rows.len()
        )));
    }
    for (row, key) in rows.iter_mut().zip(keys) {
        row.set_key(KeyOf::<M>::try_from(key)?);
    }
    Ok(())
}

/// Sets the keys of `rows`, asking the database for them by `expression`,
/// one statement per chunk.
async fn keys_first<M: Model, D: Driver<M>>(
    driver: &mut D,
    rows: &mut [M],
    expression: &str,
) -> Result<()> {
    let table = M::table();
    let ty = table.columns()[table.key_index()?].ty;
    let per_statement = bulk::rows_per_statement(driver.max_binds(), table.columns().len());
    let size = bulk::even_chunk(rows.len(), per_statement);
    for chunk in rows.chunks_mut(size) {
        let query = made_keys(driver.dialect(), table, expression, chunk.len())?;
        let keys = query_values(driver, &query, ty).await?;
        set_keys(table, chunk, keys)?;
    }
    Ok(())
}

/// Inserts each row on its own and sets its key.
async fn one_by_one<M: Model, D: Driver<M>>(driver: &mut D, rows: &mut [M]) -> Result<()> {
    let table = M::table();
    for row in rows.chunks_mut(1) {
        let keys = insert_returning_keys(driver, row, false, None).await?;
        set_keys(table, row, keys)?;
    }
    Ok(())
}

/// Writes the `INSERT` of `rows` without a database-made key (as arrays
/// or a `VALUES` list) into `sql`: of the `written` columns under their
/// head ([`insert_chunks`]), or of every column.
fn write_insert<M: Model>(
    sql: &mut impl SqlWriter,
    dialect: Dialect,
    rows: &[M],
    arrays: bool,
    written: Option<(&str, &[usize])>,
) {
    let (head, columns) =
        written.unwrap_or((st::insert_head::<M>(dialect), st::insert_columns::<M>()));
    st::insert(sql, head, M::table(), columns, rows, arrays);
}

/// `INSERT` of `rows` without a database-made key (as arrays or a `VALUES`
/// list, see [`insert_chunks`]; of the `written` columns under their head,
/// or of every one), `RETURNING` the keys made (in any order).
async fn insert_returning_keys<M: Model, D: Driver<M>>(
    driver: &mut D,
    rows: &[M],
    arrays: bool,
    written: Option<(&str, &[usize])>,
) -> Result<Vec<Value>> {
    let table = M::table();
    let key = table.key_index()?;
    let dialect = driver.dialect();
    let mut sql = driver.sql(None);
    write_insert(&mut sql, dialect, rows, arrays, written);
    sql.push_static(" RETURNING ");
    sql.push(table.quoted_column(dialect, key).unwrap_or_default());
    driver.values(sql, &[table.columns()[key].ty]).await
}

/// `INSERT` of `rows` (as a `VALUES` list, of the `written` columns under
/// their head), then the keys counted back from the last one the database
/// made ([`SqlDialect::last_identity`]), in the rows' order: one statement
/// that answers the first key only when the range counted back holds
/// exactly as many rows.
///
/// # Errors
/// [`Error::Backend`] when the insert wrote another number of rows, or the
/// keys were not consecutive.
///
/// [`SqlDialect::last_identity`]: crate::dialect::SqlDialect::last_identity
async fn insert_counting_keys<M: Model, D: Driver<M>>(
    driver: &mut D,
    rows: &[M],
    written: Option<(&str, &[usize])>,
    last: &str,
) -> Result<Vec<Value>> {
    let table = M::table();
    let key = table.key_index()?;
    let dialect = driver.dialect();
    let mut sql = driver.sql(None);
    write_insert(&mut sql, dialect, rows, false, written);
    self::written(table, driver.execute(sql).await?, rows.len())?;
    let n = i64::try_from(rows.len()).map_err(|_| Error::invalid_input("too many rows"))?;
    let key_name = table.quoted_column(dialect, key).unwrap_or_default();
    // The first key, when the n keys up to the last are all rows.
    let mut sql = driver.sql(None);
    sql.push_static("SELECT CASE WHEN (SELECT count(*) FROM ");
    sql.push(table.quoted_name(dialect));
    sql.push_static(" WHERE ");
    sql.push(key_name);
    sql.push(&format!(" BETWEEN {last} - "));
    sql.bind_value(Value::Int(n - 1), ColumnType::BigInt);
    sql.push(&format!(" AND {last}) = "));
    sql.bind_value(Value::Int(n), ColumnType::BigInt);
    sql.push(&format!(" THEN {last} - "));
    sql.bind_value(Value::Int(n - 1), ColumnType::BigInt);
    sql.push_static(" END AS ");
    sql.push(key_name);
    let first = driver.values(sql, &[ColumnType::BigInt]).await?;
    match first.as_slice() {
        [Value::Int(first)] => Ok((0..n).map(|i| Value::Int(first + i)).collect()),
        other => Err(Error::backend(format!(
            "INSERT INTO {}: the {n} keys made are not consecutive ({other:?})",
            table.name()
        ))),
    }
}

/// `INSERT` of `rows` (as [`insert_returning_keys`]) in a `WITH`, its
/// integer keys read back as one text value ([`super::KEYS`]): ascending,
/// which is the rows' order within one statement.
///
/// # Errors
/// [`Error::Backend`] when the text is not a list of integers.
async fn insert_aggregating_keys<M: Model, D: Driver<M>>(
    driver: &mut D,
    rows: &[M],
    arrays: bool,
    written: Option<(&str, &[usize])>,
) -> Result<Vec<Value>> {
    let table = M::table();
    let key = table.key_index()?;
    let dialect = driver.dialect();
    let key_name = table.quoted_column(dialect, key).unwrap_or_default();
    let mut sql = driver.sql(None);
    sql.push_static("WITH __alchemy_made AS (");
    write_insert(&mut sql, dialect, rows, arrays, written);
    sql.push_static(" RETURNING ");
    sql.push(key_name);
    sql.push(&format!(
        ") SELECT string_agg({key_name}::text, ',' ORDER BY {key_name}) AS {} FROM __alchemy_made",
        super::KEYS
    ));
    let text = driver.values(sql, &[ColumnType::Text]).await?;
    let bad = |what: &dyn std::fmt::Debug| {
        Error::backend(format!(
            "INSERT INTO {}: its keys read back as {what:?}",
            table.name()
        ))
    };
    match text.as_slice() {
        [Value::Text(list)] => list
            .split(',')
            .map(|k| k.parse::<i64>().map(Value::Int).map_err(|_| bad(&k)))
            .collect(),
        other => Err(bad(&other)),
    }
}

/// Runs `statement` and returns the first column of each row read as `ty`.
async fn query_values<M: Model, D: Driver<M>>(
    driver: &mut D,
    statement: &Statement,
    ty: ColumnType,
) -> Result<Vec<Value>> {
    let mut sql = driver.sql(None);
    statement.write_to(&mut sql);
    driver.values(sql, &[ty]).await
}
/// `n` keys made by `expression`: `WITH RECURSIVE` counts to `n` on both
/// databases, and each row evaluates the expression anew.
fn made_keys(dialect: Dialect, table: &Table, expression: &str, n: usize) -> Result<Statement> {
    let key = table
        .quoted_column(dialect, table.key_index()?)
        .unwrap_or_default();
    let count = i64::try_from(n).map_err(|_| Error::invalid_input("too many rows"))?;
    let mut statement = Statement::new(dialect);
    statement
        .push_static("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ");
    statement.bind(&Value::Int(count), ColumnType::BigInt);
    statement.push(&format!(") SELECT {expression} AS {key} FROM n"));
    Ok(statement)
}

/// The statement (returning one column, named after the key) that moves
/// an identity key's generator past the largest key among `rows` (written
/// as given), from [`SqlDialect::identity_catch_up`]; `None` where there is
/// nothing to move (a database that needs none, a key without identity, no
/// integer key).
///
/// [`SqlDialect::identity_catch_up`]: crate::dialect::SqlDialect::identity_catch_up
pub fn identity_catch_up<M: Model>(dialect: Dialect, rows: &[M]) -> Option<Statement> {
    if <<M::Base as Base>::Key as KeyStrategy>::DEFAULT != Some(ColumnDefault::Identity) {
        return None;
    }
    let table = M::table();
    let key = table.key_index().ok()?;
    let largest = rows
        .iter()
        .filter_map(|r| match r.value(key) {
            Some(Value::Int(k)) => Some(k),
            _ => None,
        })
        .max()?;
    dialect.rules().identity_catch_up(table, key, largest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{BigIntBase, ServerUuidBase};
    use crate::schema::Column;
    use crate::session::{Session, SessionState};

    #[derive(Debug, Clone, PartialEq)]
    struct Counter {
        id: i64,
        name: String,
    }
    crate::impl_model!(
        Counter,
        BigIntBase,
        plain,
        |t| t.column(Column::new("name", ColumnType::Text)),
        fields(name)
    );

    #[derive(Debug, Clone, PartialEq)]
    struct Made {
        id: uuid::Uuid,
        name: String,
    }
    crate::impl_model!(
        Made,
        ServerUuidBase,
        plain,
        |t| t.column(Column::new("name", ColumnType::Text)),
        fields(name)
    );

    /// A database that numbers rows as one statement does, returns them in
    /// reverse (the order `RETURNING` does not promise), and records what
    /// was sent.
    struct Fake {
        next: i64,
        stored: Vec<(String, Vec<Value>)>,
        statements: Vec<String>,
        state: SessionState,
    }

    impl Default for Fake {
        fn default() -> Self {
            Self {
                next: 0,
                stored: Vec::new(),
                statements: Vec::new(),
                state: SessionState::new(crate::audit::system_clock()),
            }
        }
    }

    /// The statement's text, values written in, and its bound values.
    fn seen(sql: &Statement) -> (String, Vec<Value>) {
        let mut text = String::new();
        let mut binds = Vec::new();
        for part in sql.parts() {
            match part {
                crate::sql::Part::Text(t) => text.push_str(t),
                crate::sql::Part::Bind(v, _) => {
                    text.push_str(&format!("{v:?}"));
                    binds.push(v.clone());
                }
                crate::sql::Part::Array(v, _) => text.push_str(&format!("{v:?}")),
                crate::sql::Part::Invalid(why) => panic!("{why}"),
            }
        }
        (text, binds)
    }

    impl Session for Fake {
        fn state(&self) -> &SessionState {
            &self.state
        }
        fn state_mut(&mut self) -> &mut SessionState {
            &mut self.state
        }
        async fn commit_transaction(self) -> Result<()> {
            Ok(())
        }
        async fn rollback_transaction(self) -> Result<()> {
            Ok(())
        }
        async fn execute_savepoint(
            &mut self,
            _: &crate::session::SavepointStatement,
        ) -> Result<()> {
            Ok(())
        }
    }

    impl Fake {
        /// An insert of every column: records each row's values, bound
        /// row after row or (PostgreSQL) as one array per column.
        fn insert(&mut self, sql: &Statement, columns: usize) -> u64 {
            let arrays: Vec<&Vec<Value>> = sql
                .parts()
                .iter()
                .filter_map(|p| match p {
                    crate::sql::Part::Array(v, _) => Some(v),
                    _ => None,
                })
                .collect();
            let binds = if arrays.is_empty() {
                seen(sql).1
            } else {
                assert_eq!(arrays.len(), columns, "one array per column");
                (0..arrays[0].len())
                    .flat_map(|r| arrays.iter().map(move |a| a[r].clone()))
                    .collect()
            };
            let rows = binds.len() / columns;
            self.statements.push(format!("insert {rows}"));
            for row in binds.chunks(columns) {
                self.stored.push(("given".into(), row.to_vec()));
            }
            u64::try_from(rows).unwrap_or(0)
        }

        /// The first column of `WITH RECURSIVE` key queries: new UUIDs.
        fn values(&mut self, sql: &Statement) -> Vec<Value> {
            let (text, binds) = seen(sql);
            self.statements.push(text.clone());
            let n = match binds.first() {
                Some(Value::Int(n)) => *n,
                _ => 0,
            };
            if text.starts_with("WITH RECURSIVE") {
                (0..n).map(|_| Value::Uuid(uuid::Uuid::new_v4())).collect()
            } else {
                vec![]
            }
        }
    }

    /// Counters: 3 rows per statement without the key (1 bind each), 1 with it.
    impl Driver<Counter> for Fake {
        type Sql = Statement;
        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
        fn max_binds(&self) -> usize {
            3
        }
        fn sql(&self, _: Option<super::super::CacheKey>) -> Statement {
            Statement::new(Dialect::Postgres)
        }
        async fn rows(&mut self, _: Statement) -> Result<Vec<Counter>> {
            unreachable!("add_many reads back keys only")
        }
        async fn rows_and_total(&mut self, _: Statement) -> Result<Vec<(Counter, i64)>> {
            unreachable!("add_many lists nothing")
        }
        async fn values(&mut self, sql: Statement, _: &[ColumnType]) -> Result<Vec<Value>> {
            let (text, mut names) = seen(&sql);
            let aggregated = text.starts_with("WITH __alchemy_made AS (INSERT");
            if !text.starts_with("INSERT") && !aggregated {
                return Ok(Fake::values(self, &sql));
            }
            // `INSERT .. (name) VALUES .. RETURNING "id"` or `.. SELECT *
            // FROM unnest(?) RETURNING "id"`: numbered in the order of its
            // rows, returned in reverse; in a `WITH`, as one text in
            // ascending order.
            assert!(text.ends_with(r#" RETURNING "id""#) || aggregated, "{text}");
            for part in sql.parts() {
                if let crate::sql::Part::Array(v, _) = part {
                    names.extend(v.iter().cloned());
                }
            }
            self.statements
                .push(format!("insert returning {}", names.len()));
            let mut keys: Vec<Value> = names
                .iter()
                .map(|_| {
                    self.next += 1;
                    Value::Int(self.next)
                })
                .collect();
            if aggregated {
                let list: Vec<String> = keys
                    .iter()
                    .map(|k| match k {
                        Value::Int(k) => k.to_string(),
                        _ => String::new(),
                    })
                    .collect();
                return Ok(vec![Value::Text(list.join(","))]);
            }
            keys.reverse();
            Ok(keys)
        }
        async fn execute(&mut self, sql: Statement) -> Result<u64> {
            Ok(self.insert(&sql, 2))
        }
    }

    /// Rows with server-made UUIDs: 3 rows per statement (2 binds each).
    impl Driver<Made> for Fake {
        type Sql = Statement;
        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
        fn max_binds(&self) -> usize {
            6
        }
        fn sql(&self, _: Option<super::super::CacheKey>) -> Statement {
            Statement::new(Dialect::Postgres)
        }
        async fn rows(&mut self, _: Statement) -> Result<Vec<Made>> {
            unreachable!("keys are asked for first")
        }
        async fn rows_and_total(&mut self, _: Statement) -> Result<Vec<(Made, i64)>> {
            unreachable!("add_many lists nothing")
        }
        async fn values(&mut self, sql: Statement, _: &[ColumnType]) -> Result<Vec<Value>> {
            Ok(Fake::values(self, &sql))
        }
        async fn execute(&mut self, sql: Statement) -> Result<u64> {
            Ok(self.insert(&sql, 2))
        }
    }

    fn counter(name: &str, id: i64) -> Counter {
        Counter {
            id,
            name: name.into(),
        }
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn identity_rows_are_matched_by_key_not_by_returning_order() {
        let mut db = Fake::default();
        let names = ["a", "b", "c", "d", "e"];
        let input = names.iter().map(|n| counter(n, 0)).collect();
        let rows = run(add_many(&mut db, input, chrono::Utc::now())).unwrap();
        let got: Vec<(&str, i64)> = rows.iter().map(|r| (r.name.as_str(), r.id)).collect();
        // One array statement (no bind limit): keys follow its rows' order.
        assert_eq!(got, [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)]);
        assert_eq!(db.statements, ["insert returning 5"]);
    }

    #[test]
    fn set_database_keys_are_written_as_given_in_input_order() {
        let mut db = Fake::default();
        let input = vec![counter("a", 0), counter("ten", 10), counter("b", 0)];
        let rows = run(add_many(&mut db, input, chrono::Utc::now())).unwrap();
        let got: Vec<(&str, i64)> = rows.iter().map(|r| (r.name.as_str(), r.id)).collect();
        assert_eq!(got, [("a", 1), ("ten", 10), ("b", 2)]);
        assert_eq!(db.statements[0], "insert 1");
        assert!(
            db.statements[1].starts_with("SELECT setval("),
            "{:?}",
            db.statements
        );
        assert!(db.statements[1].contains("Int(10)"), "{:?}", db.statements);
        assert_eq!(db.statements[2], "insert returning 2");
    }

    #[test]
    fn expression_keys_are_asked_for_first() {
        let mut db = Fake::default();
        let input = (0..4)
            .map(|i| Made {
                id: uuid::Uuid::nil(),
                name: format!("m{i}"),
            })
            .collect();
        let rows = run(add_many(&mut db, input, chrono::Utc::now())).unwrap();
        assert!(rows.iter().all(|r| !r.id.is_nil()));
        for (r, (_, stored)) in rows.iter().zip(&db.stored) {
            assert_eq!(
                stored[0],
                Value::Uuid(r.id),
                "written with the key returned"
            );
        }
        assert!(
            db.statements[0].starts_with("WITH RECURSIVE"),
            "{:?}",
            db.statements
        );
        assert_eq!(
            db.statements[1..],
            [
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < Int(2)) SELECT gen_random_uuid() AS \"id\" FROM n",
                "insert 4"
            ],
            "keys per chunk of binds, then one array insert: {:?}",
            db.statements
        );
    }
}
