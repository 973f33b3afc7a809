//! `add_many`, written once for every backend (for backend authors).
//!
//! A backend supplies the statements ([`Insert`]); [`add_many`] decides
//! which to send and puts the stored rows back in input order.
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
//!     numbers its rows in the order of its `VALUES` list;
//!   - keys made by an expression (`gen_random_uuid()`, a custom default):
//!     the keys of a chunk are asked for first, in one statement, and the
//!     rows inserted with them (one row alone is inserted and read back);
//!   - any other database key: one statement per row.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::base::{Base, KeyOf, Model, key_from_database, prepare_insert};
use crate::bulk;
use crate::filter::Value;
use crate::pk::KeyStrategy;
use crate::schema::{ColumnType, Default as ColumnDefault, Dialect, Table, default_expression};
use crate::session::SessionState;
use crate::sql::{SqlWriter, Statement};
use crate::{Error, Result};

/// The statements [`add_many`] sends, supplied by a backend for model `M`.
pub trait Insert<M: Model>: Send {
    /// The state of the session the statements run in.
    fn state(&mut self) -> &mut SessionState;

    /// The database the statements run on.
    fn dialect(&self) -> Dialect;

    /// Most rows one insert carries when each row binds `columns` values.
    fn rows_per_statement(&self, columns: usize) -> usize;

    /// `INSERT` of `rows` (already stamped and checked) with every column,
    /// the key included; the number of rows written.
    fn insert(&mut self, rows: &[M]) -> impl Future<Output = Result<u64>> + Send;

    /// `INSERT` of `rows` without the key column, `RETURNING` every column
    /// of the rows written (in any order).
    fn insert_returning(&mut self, rows: &[M]) -> impl Future<Output = Result<Vec<M>>> + Send;

    /// Runs `statement`, a query [`add_many`] wrote, and returns the first
    /// column of each row read as `ty`.
    fn query_values(
        &mut self,
        statement: &Statement,
        ty: ColumnType,
    ) -> impl Future<Output = Result<Vec<Value>>> + Send;
}

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
/// ([`SessionState::finish_writes`]): some rows may be written.
pub async fn add_many<M: Model, D: Insert<M>>(
    driver: &mut D,
    models: Vec<M>,
    now: DateTime<Utc>,
) -> Result<Vec<M>> {
    let before = driver.state().statements();
    let result = write(driver, models, now).await;
    driver.state().finish_writes(before, M::table(), result)
}

async fn write<M: Model, D: Insert<M>>(
    driver: &mut D,
    mut models: Vec<M>,
    now: DateTime<Utc>,
) -> Result<Vec<M>> {
    let database_keys = key_from_database::<M>();
    // The places of the rows whose key the database makes.
    let mut made_at = Vec::new();
    for (i, m) in models.iter_mut().enumerate() {
        prepare_insert(m, now)?;
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
async fn catch_up<M: Model, D: Insert<M>>(driver: &mut D, given: &[M]) -> Result<()> {
    if key_from_database::<M>()
        && let Some(statement) = identity_catch_up::<M>(driver.dialect(), given)
    {
        driver.query_values(&statement, ColumnType::BigInt).await?;
    }
    Ok(())
}

/// Inserts rows with every column, in chunks.
async fn write_given<M: Model, D: Insert<M>>(driver: &mut D, rows: &[M]) -> Result<()> {
    let per_statement = driver.rows_per_statement(M::table().columns().len());
    for chunk in bulk::chunks(rows, per_statement) {
        let written = driver.insert(chunk).await?;
        if usize::try_from(written).ok() != Some(chunk.len()) {
            return Err(Error::backend(format!(
                "INSERT INTO {} wrote {written} rows for {}",
                M::table().name(),
                chunk.len()
            )));
        }
    }
    Ok(())
}

/// Inserts rows whose key the database makes and reads them back in input order.
async fn write_made<M: Model, D: Insert<M>>(driver: &mut D, mut rows: Vec<M>) -> Result<Vec<M>> {
    let table = M::table();
    let key = table.key_index()?;
    let default = <<M::Base as Base>::Key as KeyStrategy>::DEFAULT;
    let per_statement = driver.rows_per_statement(table.columns().len() - 1);
    if rows.len() == 1 {
        // One row: nothing to match.
        return returned(table, &rows, driver.insert_returning(&rows).await?);
    }
    match default {
        Some(ColumnDefault::Identity) => {
            let mut out = Vec::with_capacity(rows.len());
            for chunk in bulk::chunks(&rows, per_statement) {
                let mut stored = returned(table, chunk, driver.insert_returning(chunk).await?)?;
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
                // One statement numbers its rows in the order of its VALUES.
                stored.sort_by_cached_key(|r| match r.value(key) {
                    Some(Value::Int(k)) => k,
                    _ => 0,
                });
                out.append(&mut stored);
            }
            Ok(out)
        }
        Some(default) => match default_expression(default, driver.dialect()) {
            Some(expression) => {
                keys_first(driver, &mut rows, &expression).await?;
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
async fn keys_first<M: Model, D: Insert<M>>(
    driver: &mut D,
    rows: &mut [M],
    expression: &str,
) -> Result<()> {
    let table = M::table();
    let ty = table.columns()[table.key_index()?].ty;
    let per_statement = driver.rows_per_statement(table.columns().len());
    let size = bulk::even_chunk(rows.len(), per_statement);
    for chunk in rows.chunks_mut(size) {
        let query = made_keys(table, expression, chunk.len())?;
        let keys = driver.query_values(&query, ty).await?;
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
async fn one_by_one<M: Model, D: Insert<M>>(driver: &mut D, rows: &[M]) -> Result<Vec<M>> {
    let table = M::table();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.chunks(1) {
        out.extend(returned(table, row, driver.insert_returning(row).await?)?);
    }
    Ok(out)
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
fn made_keys(table: &Table, expression: &str, n: usize) -> Result<Statement> {
    let key = table.quoted_column(table.key_index()?).unwrap_or_default();
    let count = i64::try_from(n).map_err(|_| Error::invalid_input("too many rows"))?;
    let mut statement = Statement::new();
    statement
        .push_static("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ");
    statement.bind(&Value::Int(count), ColumnType::BigInt);
    statement.push(&format!(") SELECT {expression} AS {key} FROM n"));
    Ok(statement)
}

/// On PostgreSQL, the statement (returning one column, named after the
/// key) that moves an identity column's sequence
/// past the largest key among `rows` (written as given); `None` where there
/// is nothing to move (another database, a key without identity, no integer
/// key). It changes nothing when the sequence is already ahead, and like
/// every sequence change it is not undone by a rollback (a gap, never a
/// collision).
pub fn identity_catch_up<M: Model>(dialect: Dialect, rows: &[M]) -> Option<Statement> {
    if dialect != Dialect::Postgres
        || <<M::Base as Base>::Key as KeyStrategy>::DEFAULT != Some(ColumnDefault::Identity)
    {
        return None;
    }
    let table = M::table();
    let key = table.key_index().ok()?;
    let largest = Value::Int(
        rows.iter()
            .filter_map(|r| match r.value(key) {
                Some(Value::Int(k)) => Some(k),
                _ => None,
            })
            .max()?,
    );
    let name = Value::Text(table.quoted_name().to_string());
    let column = Value::Text(table.columns()[key].name.clone());
    let mut sequence = Statement::new();
    sequence.push_static("pg_get_serial_sequence(");
    sequence.bind(&name, ColumnType::Text);
    sequence.push_static(", ");
    sequence.bind(&column, ColumnType::Text);
    sequence.push_static(")::regclass");
    let mut statement = Statement::new();
    statement.push_static("SELECT setval(");
    sequence.write_to(&mut statement);
    statement.push_static(", ");
    statement.bind(&largest, ColumnType::BigInt);
    // Named after the key, so backends that read columns by name read it.
    statement.push(&format!(") AS {} WHERE ", table.quoted_column(key)?));
    statement.bind(&largest, ColumnType::BigInt);
    statement.push_static(" > COALESCE(pg_sequence_last_value(");
    sequence.write_to(&mut statement);
    statement.push_static("), 0)");
    Some(statement)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{BigIntBase, ServerUuidBase};
    use crate::schema::Column;

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

    impl<M: Model> Insert<M> for Fake {
        fn state(&mut self) -> &mut SessionState {
            &mut self.state
        }
        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
        fn rows_per_statement(&self, _: usize) -> usize {
            3
        }
        async fn insert(&mut self, rows: &[M]) -> Result<u64> {
            self.statements.push(format!("insert {}", rows.len()));
            for r in rows {
                self.stored.push(("given".into(), r.values()));
            }
            Ok(u64::try_from(rows.len()).unwrap_or(0))
        }
        async fn insert_returning(&mut self, rows: &[M]) -> Result<Vec<M>> {
            self.statements
                .push(format!("insert returning {}", rows.len()));
            let mut out = Vec::new();
            for r in rows {
                self.next += 1;
                let mut stored = r.clone();
                stored.set_key(KeyOf::<M>::try_from(Value::Int(self.next))?);
                out.push(stored);
            }
            out.reverse();
            Ok(out)
        }
        async fn query_values(
            &mut self,
            statement: &Statement,
            _: ColumnType,
        ) -> Result<Vec<Value>> {
            let text: String = statement
                .parts()
                .iter()
                .map(|p| match p {
                    crate::sql::Part::Text(t) => t.to_string(),
                    crate::sql::Part::Bind(v, _) => format!("{v:?}"),
                    crate::sql::Part::Array(v, _) => format!("{v:?}"),
                })
                .collect();
            self.statements.push(text.clone());
            let n = statement.parts().iter().find_map(|p| match p {
                crate::sql::Part::Bind(Value::Int(n), _) => Some(*n),
                _ => None,
            });
            Ok(if text.starts_with("WITH RECURSIVE") {
                (0..n.unwrap_or(0))
                    .map(|_| Value::Uuid(uuid::Uuid::new_v4()))
                    .collect()
            } else {
                vec![]
            })
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
        // Two statements (3 + 2 rows): keys follow each statement's VALUES order.
        assert_eq!(got, [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)]);
        assert_eq!(db.statements, ["insert returning 3", "insert returning 2"]);
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
            db.statements.len(),
            4,
            "keys and insert per chunk: {:?}",
            db.statements
        );
    }
}
