//! `add_many`, written once for every backend (for backend authors).
//!
//! [`add_many`] decides which statements to send over a [`Driver`] and
//! puts the stored rows back in input order.
//!
//! # Keys
//! - A key the caller set is written as given, whoever makes keys: a
//!   client strategy fills only an unset key, and a database strategy
//!   leaves a set key alone. On PostgreSQL an identity column's sequence is
//!   moved past the largest key written this way, so a later insert without
//!   a key never collides with it (SQLite's `AUTOINCREMENT` does this itself).
//! - Rows whose key the database makes are inserted without the key column
//!   and read back. `RETURNING` promises no order (SQLite documents it as
//!   arbitrary), so the rows are matched to the input without relying on it:
//!   - identity keys: the rows are sorted by key, since one statement
//!     numbers its rows in the order of its `VALUES` list (or, on
//!     PostgreSQL, of its arrays' elements: `SELECT * FROM unnest(..)`);
//!   - keys made by an expression (`gen_random_uuid()`, a custom default):
//!     the keys of a chunk are asked for first, in one statement, and the
//!     rows inserted with them (one row alone is inserted and read back);
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
/// checked) and returns them as stored, in input order; see the
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
    for (chunk, arrays) in statement_chunks(driver, columns, rows, per_values) {
        let mut sql = driver.sql(None);
        st::insert(&mut sql, head, table, columns, chunk, arrays);
        written(table, driver.execute(sql).await?, chunk.len())?;
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

/// Inserts rows whose key the database makes and reads them back in input order.
async fn write_made<M: Model, D: Driver<M>>(driver: &mut D, mut rows: Vec<M>) -> Result<Vec<M>> {
    let table = M::table();
    let key = table.key_index()?;
    let default = <<M::Base as Base>::Key as KeyStrategy>::DEFAULT;
    let per_statement = bulk::rows_per_statement(driver.max_binds(), table.columns().len() - 1);
    if rows.len() == 1 {
        // One row: nothing to match.
        return returned(table, &rows, insert_returning(driver, &rows, false).await?);
    }
    match default {
        Some(ColumnDefault::Identity) => {
            let mut out = Vec::with_capacity(rows.len());
            let columns = st::insert_columns::<M>();
            for (chunk, arrays) in statement_chunks(driver, columns, &rows, per_statement) {
                let mut stored =
                    returned(table, chunk, insert_returning(driver, chunk, arrays).await?)?;
                if let Some(row) = stored
                    .iter()
                    .find(|r| !matches!(r.value(key), Some(Value::Int(_))))
                {
                    return Err(Error::backend(format!(
                        "{}: an identity key read back as {:?}",
                        table.name(),
                        row.value(key)
                    )));
                }
                // One statement numbers its rows in the order of its VALUES
                // list, or of its arrays' elements.
                stored.sort_by_cached_key(|r| match r.value(key) {
                    Some(Value::Int(k)) => k,
                    _ => 0,
                });
                out.append(&mut stored);
            }
            Ok(out)
        }
        Some(default) => match driver.dialect().rules().default_expression(default) {
            Some(expression) => {
                keys_first(driver, &mut rows, expression).await?;
                write_given(driver, &rows).await?;
                Ok(rows)
            }
            None => one_by_one(driver, &rows).await,
        },
        None => one_by_one(driver, &rows).await,
    }
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
        if keys.len() != chunk.len() {
            return Err(Error::backend(format!(
                "{}: asked for {} keys, got {}",
                table.name(),
                chunk.len(),
                keys.len()
            )));
        }
        for (row, key) in chunk.iter_mut().zip(keys) {
            row.set_key(KeyOf::<M>::try_from(key)?);
        }
    }
    Ok(())
}

/// Inserts and reads back each row on its own.
async fn one_by_one<M: Model, D: Driver<M>>(driver: &mut D, rows: &[M]) -> Result<Vec<M>> {
    let table = M::table();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.chunks(1) {
        out.extend(returned(
            table,
            row,
            insert_returning(driver, row, false).await?,
        )?);
    }
    Ok(out)
}

/// `INSERT` of `rows` without a database-made key (as arrays or a `VALUES`
/// list, see [`statement_chunks`]), `RETURNING` every column of the rows
/// written (in any order).
async fn insert_returning<M: Model, D: Driver<M>>(
    driver: &mut D,
    rows: &[M],
    arrays: bool,
) -> Result<Vec<M>> {
    let table = M::table();
    let columns = st::insert_columns::<M>();
    let mut sql = driver.sql(None);
    st::insert(
        &mut sql,
        st::insert_head::<M>(driver.dialect()),
        table,
        columns,
        rows,
        arrays,
    );
    st::returning(&mut sql, table);
    driver.rows(sql).await
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
/// `stored`, checked to hold as many rows as `sent`.
fn returned<M: Model>(table: &Table, sent: &[M], stored: Vec<M>) -> Result<Vec<M>> {
    if stored.len() == sent.len() {
        Ok(stored)
    } else {
        Err(Error::backend(format!(
            "INSERT INTO {} returned {} rows for {}",
            table.name(),
            stored.len(),
            sent.len()
        )))
    }
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
        async fn rows(&mut self, sql: Statement) -> Result<Vec<Counter>> {
            // `INSERT .. (name) VALUES .. RETURNING ..` or `.. SELECT * FROM
            // unnest(?) RETURNING ..`: numbered in the order of its rows,
            // returned in reverse.
            let (_, mut names) = seen(&sql);
            for part in sql.parts() {
                if let crate::sql::Part::Array(v, _) = part {
                    names.extend(v.iter().cloned());
                }
            }
            self.statements
                .push(format!("insert returning {}", names.len()));
            let mut out = Vec::new();
            for name in names {
                self.next += 1;
                let Value::Text(name) = name else {
                    panic!("{name:?}")
                };
                out.push(counter(&name, self.next));
            }
            out.reverse();
            Ok(out)
        }
        async fn rows_and_total(&mut self, _: Statement) -> Result<Vec<(Counter, i64)>> {
            unreachable!("add_many lists nothing")
        }
        async fn values(&mut self, sql: Statement, _: &[ColumnType]) -> Result<Vec<Value>> {
            Ok(Fake::values(self, &sql))
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
