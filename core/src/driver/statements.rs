//! The statements of the repository, written once into any backend's
//! builder. Identifiers come only from the model's [`Table`] (quoted once
//! per table); every value is bound.

use crate::audit::CREATED_AT;
use crate::base::key_from_database;
use crate::bulk;
use crate::filter::{Condition, Query};
use crate::schema::{ColumnType, Dialect, Table};
use crate::sql::{self, SqlWriter};
use crate::value::{Value, ValueArray};
use crate::{Model, Result};

use super::TOTAL;

/// Indexes of the columns an insert writes: all but a database-made key.
pub(crate) fn insert_columns<M: Model>() -> &'static [usize] {
    M::table().insert_columns(!key_from_database::<M>())
}

/// `INSERT INTO t (c, ..) VALUES ` for [`insert_columns`].
pub(crate) fn insert_head<M: Model>(dialect: Dialect) -> &'static str {
    M::table().insert_head(dialect, !key_from_database::<M>())
}

/// Indexes of the columns `update_many` writes: every column but the key
/// and `created_at`.
pub(crate) fn update_many_columns(table: &Table) -> Result<Vec<usize>> {
    let key = table.key_index()?;
    Ok((0..table.columns().len())
        .filter(|&i| i != key && table.columns()[i].name != CREATED_AT)
        .collect())
}

/// `SELECT <every column> FROM t`.
pub(crate) fn select(w: &mut impl SqlWriter, table: &'static Table) {
    w.push_static("SELECT ");
    w.select_list(table);
    w.push_static(" FROM ");
    w.push_static(table.quoted_name(w.dialect()));
}

/// `SELECT <every column>, count(*) OVER () AS <TOTAL> FROM t`.
pub(crate) fn select_with_total(w: &mut impl SqlWriter, table: &'static Table) {
    w.push_static("SELECT ");
    w.select_list(table);
    w.push_static(", count(*) OVER () AS ");
    w.push_static(TOTAL);
    w.push_static(" FROM ");
    w.push_static(table.quoted_name(w.dialect()));
}

/// A page of `query` (checked against `table`) after `offset` > 0 rows, each
/// row with the total of rows matching its filter ([`TOTAL`]), in one scan;
/// a page past the last match is one row, the first, that only carries the
/// total (`total <= offset` says so):
///
/// ```sql
/// WITH page AS MATERIALIZED (
///   SELECT <every column>, count(*) OVER () AS total FROM t
///   WHERE .. ORDER BY .. LIMIT <limit> + ?offset)
/// SELECT * FROM (SELECT * FROM page OFFSET ?offset) AS page_rows
/// UNION ALL
/// SELECT * FROM (SELECT * FROM page LIMIT 1) AS page_total WHERE total <= ?offset
/// ```
///
/// The window count sees every match before the `LIMIT` (one scan, as in
/// [`select_with_total`]) and the sort stays bounded by `limit + offset`.
/// Both databases scan a materialized `WITH` in the order its rows were
/// written, so the page keeps the query's order. On PostgreSQL this took
/// 7.8 ms a call where a page and a second `count(*)` past the end took
/// 9.7 ms, and a row number over the bounded rows 9.5 ms (10,000 rows, a
/// search matching 3,439, random offsets; pgbench).
///
/// # Errors
/// As [`crate::sql::write_where`] and [`crate::sql::write_order_by`].
pub(crate) fn page_past_offset(
    w: &mut impl SqlWriter,
    table: &'static Table,
    dialect: Dialect,
    query: &Query,
    offset: u64,
) -> Result<()> {
    let limit = query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    // `limit + offset` stays a BIGINT: pages that far are past any table.
    let offset = i64::try_from(offset)
        .unwrap_or(i64::MAX)
        .min(i64::MAX - limit.unwrap_or(0));
    w.push_static("WITH __alchemy_page AS MATERIALIZED (");
    select_with_total(w, table);
    sql::write_where(w, table, dialect, query.filter.as_ref())?;
    sql::write_order_by(w, table, query)?;
    if let Some(limit) = limit {
        w.push_static(" LIMIT ");
        w.push(sql::digits(&mut [0; 20], limit.unsigned_abs()));
        w.push_static(" + ");
        w.bind_value(Value::Int(offset), ColumnType::BigInt);
    }
    w.push_static(") SELECT * FROM (SELECT * FROM __alchemy_page");
    if let Some(no_limit) = dialect.rules().offset_without_limit() {
        w.push_static(no_limit);
    }
    w.push_static(" OFFSET ");
    w.bind_value(Value::Int(offset), ColumnType::BigInt);
    w.push_static(
        ") AS __alchemy_rows UNION ALL SELECT * FROM \
         (SELECT * FROM __alchemy_page LIMIT 1) AS __alchemy_first WHERE ",
    );
    w.push_static(TOTAL);
    w.push_static(" <= ");
    w.bind_value(Value::Int(offset), ColumnType::BigInt);
    Ok(())
}

/// `SELECT count(*) AS <TOTAL> FROM t`.
pub(crate) fn select_count(w: &mut impl SqlWriter, table: &'static Table) {
    w.push_static("SELECT count(*) AS ");
    w.push_static(TOTAL);
    w.push_static(" FROM ");
    w.push_static(table.quoted_name(w.dialect()));
}

/// ` RETURNING <every column>`.
pub(crate) fn returning(w: &mut impl SqlWriter, table: &'static Table) {
    w.push_static(" RETURNING ");
    w.select_list(table);
}

/// ` RETURNING created_at`.
pub(crate) fn returning_created_at(w: &mut impl SqlWriter) {
    w.push_static(" RETURNING ");
    w.push_static(CREATED_AT);
}

/// ` AND created_at = ?`: after [`where_key`], an update that also matches
/// the model's stored `created_at`.
pub(crate) fn and_created_at(w: &mut impl SqlWriter, at: chrono::DateTime<chrono::Utc>) {
    w.push_static(" AND ");
    w.push_static(CREATED_AT);
    w.push_static(" = ");
    w.bind_value(Value::Timestamp(at), ColumnType::Timestamp);
}

/// `SELECT created_at FROM t`.
pub(crate) fn select_created_at(w: &mut impl SqlWriter, table: &'static Table) {
    w.push_static("SELECT ");
    w.push_static(CREATED_AT);
    w.push_static(" FROM ");
    w.push_static(table.quoted_name(w.dialect()));
}

/// `DELETE FROM t`.
pub(crate) fn delete(w: &mut impl SqlWriter, table: &'static Table) {
    w.push_static("DELETE FROM ");
    w.push_static(table.quoted_name(w.dialect()));
}

/// ` WHERE key = ?`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] when the table has no primary key.
pub(crate) fn where_key(w: &mut impl SqlWriter, table: &'static Table, key: Value) -> Result<()> {
    let i = table.key_index()?;
    w.push_static(" WHERE ");
    w.push_static(table.quoted_column(w.dialect(), i).unwrap_or_default());
    w.push_static(" = ");
    w.bind_value(key, table.columns()[i].ty);
    Ok(())
}

/// Whether `filter` is `c = v` for each of `columns` in order, `v` not
/// NULL (a lone `Eq`, or an `And` of them): what [`where_equal`] writes.
pub(crate) fn is_equal_on(filter: &Condition, columns: &[&str]) -> bool {
    let eq = |c: &Condition, column: &str| matches!(c, Condition::Eq { field, value } if field == column && *value != Value::Null);
    match (filter, columns) {
        (Condition::And(all), _) => {
            all.len() == columns.len() && all.iter().zip(columns).all(|(c, col)| eq(c, col))
        }
        (c, [column]) => eq(c, column),
        _ => false,
    }
}

/// ` WHERE c1 = ? AND ..` for a checked `filter` of the shape
/// [`is_equal_on`] accepts.
///
/// # Errors
/// [`Error::InvalidInput`](crate::Error::InvalidInput) for a field `table`
/// does not have.
pub(crate) fn where_equal(
    w: &mut impl SqlWriter,
    table: &'static Table,
    filter: &Condition,
) -> Result<()> {
    let equal = match filter {
        Condition::And(all) => all.as_slice(),
        one => std::slice::from_ref(one),
    };
    w.push_static(" WHERE ");
    for (n, c) in equal.iter().enumerate() {
        let Condition::Eq { field, value } = c else {
            continue;
        };
        let column = table.check_field(field)?;
        if n > 0 {
            w.push_static(" AND ");
        }
        w.push_static(table.quoted_field(w.dialect(), field)?);
        w.push_static(" = ");
        w.bind(value, column.ty);
    }
    Ok(())
}

/// ` WHERE key = ANY(?)` for `keys` with array binds: one array, one text for
/// every count, so the statement is prepared once; ` WHERE key IN (?, ..)`
/// elsewhere.
///
/// # Errors
/// As [`where_key`].
pub(crate) fn where_key_in(
    w: &mut impl SqlWriter,
    table: &'static Table,
    dialect: Dialect,
    keys: &[Value],
) -> Result<()> {
    let i = table.key_index()?;
    let ty = table.columns()[i].ty;
    w.push_static(" WHERE ");
    w.push_static(table.quoted_column(w.dialect(), i).unwrap_or_default());
    if dialect.rules().array_binds() {
        let keys: Vec<&Value> = keys.iter().collect();
        w.push_static(" = ANY(");
        w.bind_array(&keys, ty);
        w.push_static(")");
        return Ok(());
    }
    w.text_varies();
    w.push_static(" IN (");
    for (n, key) in keys.iter().enumerate() {
        if n > 0 {
            w.push_static(", ");
        }
        w.bind(key, ty);
    }
    w.push_static(")");
    Ok(())
}

/// The rows of a `VALUES` list: `columns` of each of `models`.
pub(crate) fn rows<M: Model>(
    w: &mut impl SqlWriter,
    table: &Table,
    columns: &[usize],
    models: &[M],
) {
    if models.len() > 1 {
        w.text_varies();
    }
    for (n, m) in models.iter().enumerate() {
        if w.binds_lent() {
            w.push_static(if n == 0 { "(" } else { ", (" });
            for (c, &i) in columns.iter().enumerate() {
                if c > 0 {
                    w.push_static(", ");
                }
                let ty = table.columns()[i].ty;
                if !m.field(i).is_some_and(|f| w.bind_lent(f, ty)) {
                    w.bind_value(m.value(i).unwrap_or(Value::Null), ty);
                }
            }
            w.push_static(")");
            continue;
        }
        let mut values = m.values();
        // Moved out, not cloned: each column is bound once.
        let mut row = columns.iter().map(|&i| {
            let value = values
                .get_mut(i)
                .map_or(Value::Null, |v| std::mem::replace(v, Value::Null));
            (value, table.columns()[i].ty)
        });
        w.row(n == 0, &mut row);
    }
}

/// `INSERT INTO t (<columns>) VALUES (..), ..` of `models`; with `arrays`,
/// `INSERT INTO t (<columns>) SELECT * FROM unnest(?, ..)` instead: one
/// bound array per column (PostgreSQL). The array text is the same for any
/// number of rows, so one prepared statement serves every chunk, and no
/// bind limit splits the rows.
pub(crate) fn insert<M: Model>(
    w: &mut impl SqlWriter,
    head: &str,
    table: &Table,
    columns: &[usize],
    models: &[M],
    arrays: bool,
) {
    if arrays {
        w.push(head.strip_suffix("VALUES ").unwrap_or(head));
        w.push_static("SELECT * FROM unnest(");
        arrays_of(w, table, columns, models);
        w.push_static(")");
    } else {
        w.push(head);
        rows(w, table, columns, models);
    }
}

/// `?, ..`: `columns` of `models` as one bound array per column.
///
/// Text, bytes and JSON the models lend ([`Model::field`]) is bound from the fields
/// themselves; other values are read once ([`Model::value`]). Reading every
/// row's whole `values()` cloned each text twice on its way to the driver
/// (diesel's W5 on PostgreSQL spent 1.3 M of 15.8 M instructions doing so).
fn arrays_of<M: Model>(w: &mut impl SqlWriter, table: &Table, columns: &[usize], models: &[M]) {
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            w.push_static(", ");
        }
        let ty = table.columns()[i].ty;
        let lent = match ty {
            ColumnType::Text | ColumnType::VarChar(_) => models
                .iter()
                .map(|m| m.field(i).and_then(crate::check::lent_text))
                .collect::<Option<_>>()
                .map(ValueArray::Text),
            // Bytes and JSON too: a document's copy costs more than its
            // encoding (W8 on PostgreSQL).
            ColumnType::Bytes => models
                .iter()
                .map(|m| {
                    m.field(i)
                        .and_then(crate::check::lent::<Vec<u8>>)
                        .map(|b| b.map(Vec::as_slice))
                })
                .collect::<Option<_>>()
                .map(ValueArray::Bytes),
            ColumnType::Json => models
                .iter()
                .map(|m| m.field(i).and_then(crate::check::lent::<serde_json::Value>))
                .collect::<Option<_>>()
                .map(ValueArray::Json),
            _ => None,
        };
        if let Some(array) = lent {
            w.bind_value_array(Ok(array));
            continue;
        }
        let values: Vec<Value> = models
            .iter()
            .map(|m| m.value(i).unwrap_or(Value::Null))
            .collect();
        let refs: Vec<&Value> = values.iter().collect();
        w.bind_array(&refs, ty);
    }
}

/// `INSERT INTO t (<columns>) VALUES (..)<tail> RETURNING <every column>`
/// of one row.
pub(crate) fn insert_one<M: Model>(
    w: &mut impl SqlWriter,
    head: &str,
    columns: &[usize],
    model: &M,
    tail: &str,
) {
    let table = M::table();
    insert(w, head, table, columns, std::slice::from_ref(model), false);
    w.push(tail);
    returning(w, table);
}

/// `c = ?, ..`: `values` of columns `columns`, in order.
pub(crate) fn set_list(
    w: &mut impl SqlWriter,
    table: &'static Table,
    columns: &[usize],
    values: impl Iterator<Item = Value>,
) {
    for (n, (&i, value)) in columns.iter().zip(values).enumerate() {
        if n > 0 {
            w.push_static(", ");
        }
        w.push_static(table.quoted_column(w.dialect(), i).unwrap_or_default());
        w.push_static(" = ");
        w.bind_value(value, table.columns()[i].ty);
    }
}

/// `UPDATE t SET c = ?, .. WHERE key = ?`: columns `columns` of `model`.
///
/// # Errors
/// As [`where_key`].
pub(crate) fn update<M: Model>(w: &mut impl SqlWriter, model: &M, columns: &[usize]) -> Result<()> {
    let table = M::table();
    w.push_static("UPDATE ");
    w.push_static(table.quoted_name(w.dialect()));
    w.push_static(" SET ");
    let values = columns
        .iter()
        .map(|&i| model.value(i).unwrap_or(Value::Null));
    set_list(w, table, columns, values);
    where_key(w, table, model.key().clone().into())
}

/// `UPDATE t SET c = ?, .. WHERE key IN (..)`: the same `values` of columns
/// `written` for every row of `models`.
///
/// # Errors
/// As [`where_key`].
pub(crate) fn update_shared<M: Model>(
    w: &mut impl SqlWriter,
    dialect: Dialect,
    written: &[usize],
    values: &[Value],
    models: &[M],
) -> Result<()> {
    let table = M::table();
    w.push_static("UPDATE ");
    w.push_static(table.quoted_name(w.dialect()));
    w.push_static(" SET ");
    set_list(w, table, written, values.iter().cloned());
    let keys: Vec<Value> = models.iter().map(|m| m.key().clone().into()).collect();
    where_key_in(w, table, dialect, &keys)
}

/// `UPDATE t SET c = v.columnN, .. FROM (VALUES (key, c..), ..) AS v
/// WHERE t.key = v.column1`: columns `written` of `models`. With
/// `arrays`, the rows come as one bound array per column instead
/// (`FROM unnest(?, ..) AS v(column1, ..)`, PostgreSQL): one text for
/// any number of rows.
///
/// # Errors
/// As [`where_key`].
pub(crate) fn update_from_values<M: Model>(
    w: &mut impl SqlWriter,
    written: &[usize],
    models: &[M],
    arrays: bool,
) -> Result<()> {
    let table = M::table();
    let key = table.key_index()?;
    let mut row_columns = Vec::with_capacity(written.len() + 1);
    row_columns.push(key);
    row_columns.extend(written);
    if !w.dialect().rules().update_from() {
        return update_joined(w, table, key, written, &row_columns, models);
    }
    w.push_static("UPDATE ");
    w.push_static(table.quoted_name(w.dialect()));
    w.push_static(" SET ");
    w.push(&bulk::values_set_list(w.dialect(), table, key, written));
    if arrays {
        w.push_static(" FROM unnest(");
        arrays_of(w, table, &row_columns, models);
        w.push_static(") AS v(");
        for n in 1..=row_columns.len() {
            if n > 1 {
                w.push_static(", ");
            }
            w.push_static("column");
            w.push(sql::digits(&mut [0; 20], n as u64));
        }
        w.push_static(")");
    } else {
        w.push_static(" FROM (VALUES ");
        rows(w, table, &row_columns, models);
        w.push_static(") AS v");
    }
    w.push_static(" WHERE ");
    w.push_static(table.quoted_name(w.dialect()));
    w.push_static(".");
    w.push_static(table.quoted_column(w.dialect(), key).unwrap_or_default());
    w.push_static(" = v.column1");
    Ok(())
}

/// `UPDATE t JOIN (SELECT ? AS column1, .. UNION ALL SELECT ?, ..) AS v
/// ON t.key = v.column1 SET c = v.columnN, ..`: [`update_from_values`]
/// where there is no `UPDATE .. FROM` (MariaDB), the rows a derived table of
/// `SELECT`s (a `VALUES` table there names its columns after the first
/// row's values).
fn update_joined<M: Model>(
    w: &mut impl SqlWriter,
    table: &'static Table,
    key: usize,
    written: &[usize],
    row_columns: &[usize],
    models: &[M],
) -> Result<()> {
    let dialect = w.dialect();
    w.text_varies();
    w.push_static("UPDATE ");
    w.push_static(table.quoted_name(dialect));
    w.push_static(" JOIN (");
    for (n, m) in models.iter().enumerate() {
        w.push_static(if n == 0 {
            "SELECT "
        } else {
            " UNION ALL SELECT "
        });
        for (c, &i) in row_columns.iter().enumerate() {
            if c > 0 {
                w.push_static(", ");
            }
            let ty = table.columns()[i].ty;
            // A driver may send bytes (a UUID's, a bytes column's) as a
            // string parameter (diesel-async's mysql_async does); the
            // derived table's column would then be `utf8mb4` text, which
            // refuses them.
            let binary = match ty {
                ColumnType::Uuid => Some(" AS BINARY(16))"),
                ColumnType::Bytes => Some(" AS BINARY)"),
                _ => None,
            };
            if binary.is_some() {
                w.push_static("CAST(");
            }
            w.bind_value(m.value(i).unwrap_or(Value::Null), ty);
            if let Some(cast) = binary {
                w.push_static(cast);
            }
            if n == 0 {
                w.push_static(" AS column");
                w.push(sql::digits(&mut [0; 20], c as u64 + 1));
            }
        }
    }
    w.push_static(") AS v ON ");
    w.push_static(table.quoted_name(dialect));
    w.push_static(".");
    w.push_static(table.quoted_column(dialect, key).unwrap_or_default());
    w.push_static(" = v.column1 SET ");
    w.push(&bulk::values_set_list(dialect, table, key, written));
    Ok(())
}

/// The upsert clause of `dialect` ([`SqlDialect::upsert_clause`]) and
/// ` RETURNING <every column>`: the tail of a native upsert of the
/// inserted `columns`.
///
/// [`SqlDialect::upsert_clause`]: crate::dialect::SqlDialect::upsert_clause
pub(crate) fn upsert_tail<M: Model>(
    dialect: Dialect,
    columns: &[usize],
    match_columns: &[usize],
) -> String {
    let table = M::table();
    let name = |i: usize| table.quoted_column(dialect, i).unwrap_or_default();
    let matched: Vec<&str> = match_columns.iter().map(|&i| name(i)).collect();
    let set: Vec<&str> = bulk::upsert_set_columns::<M>(columns, match_columns)
        .into_iter()
        .map(name)
        .collect();
    let mut tail = String::new();
    dialect.rules().upsert_clause(&mut tail, &matched, &set);
    tail.push_str(" RETURNING ");
    tail.push_str(table.select_list(dialect));
    tail
}

/// `SELECT <stored> FROM t WHERE <columns> IN (..)` for the rows of
/// `wanted` (values of `columns`):
/// - one column, with array binds: `c = ANY(?)` with one array, one text for
///   every count, prepared once;
/// - one column elsewhere: a plain `c IN (?, ..)`, which databases hash or
///   look up in an index (they plan `(c) IN ((?), ..)` as one OR branch per
///   value, tried on every row);
/// - several columns: `(a, b) IN ((?, ?), ..)`.
///
/// A row of `wanted` with a NULL matches nothing; the caller sends no
/// statement for rows that all have one.
pub(crate) fn existing_by(
    w: &mut impl SqlWriter,
    table: &'static Table,
    dialect: Dialect,
    stored: &[usize],
    columns: &[usize],
    wanted: std::slice::ChunksExact<'_, Value>,
) {
    let name = |i: usize| table.quoted_column(dialect, i).unwrap_or_default();
    w.push_static("SELECT ");
    for (n, &i) in stored.iter().enumerate() {
        if n > 0 {
            w.push_static(", ");
        }
        w.push_static(name(i));
    }
    w.push_static(" FROM ");
    w.push_static(table.quoted_name(w.dialect()));
    w.push_static(" WHERE ");
    if let [column] = columns {
        let ty = table.columns()[*column].ty;
        w.push_static(name(*column));
        // A NULL matches nothing: it is left out.
        let values: Vec<&Value> = wanted
            .filter_map(|row| row.first())
            .filter(|v| **v != Value::Null)
            .collect();
        if dialect.rules().array_binds() {
            w.push_static(" = ANY(");
            w.bind_array(&values, ty);
            w.push_static(")");
            return;
        }
        w.text_varies();
        w.push_static(" IN (");
        for (n, value) in values.into_iter().enumerate() {
            if n > 0 {
                w.push_static(", ");
            }
            w.bind(value, ty);
        }
        w.push_static(")");
        return;
    }
    w.text_varies();
    w.push_static("(");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            w.push_static(", ");
        }
        w.push_static(name(i));
    }
    w.push_static(") IN (");
    for (n, row) in wanted.enumerate() {
        let mut values = row
            .iter()
            .zip(columns)
            .map(|(v, &i)| (v.clone(), table.columns()[i].ty));
        w.row(n == 0, &mut values);
    }
    w.push_static(")");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};
    use crate::sql::Statement;

    #[test]
    fn only_equalities_on_the_unique_columns_in_order_take_the_fixed_lookup() {
        let (a, b) = (Condition::eq("a", 1), Condition::eq("b", "x"));
        assert!(is_equal_on(&a, &["a"]));
        assert!(is_equal_on(
            &Condition::and([a.clone(), b.clone()]),
            &["a", "b"]
        ));
        assert!(!is_equal_on(
            &Condition::and([b.clone(), a.clone()]),
            &["a", "b"]
        ));
        assert!(!is_equal_on(&Condition::and([a.clone()]), &["a", "b"]));
        assert!(!is_equal_on(&Condition::or([a.clone()]), &["a"]));
        assert!(!is_equal_on(&a, &["a", "b"]));
        assert!(!is_equal_on(&Condition::eq("a", Value::Null), &["a"]));
    }

    #[test]
    fn the_fixed_lookup_binds_each_value_with_its_column_type() {
        static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| {
            Table::new("t")
                .column(Column::new("a", ColumnType::BigInt))
                .column(Column::new("b", ColumnType::Text))
        });
        let mut sql = Statement::new(Dialect::Postgres);
        let filter = Condition::and([Condition::eq("a", 1), Condition::eq("b", "x")]);
        where_equal(&mut sql, table, &filter).unwrap();
        let mut text = String::new();
        let mut binds = Vec::new();
        for part in sql.parts() {
            match part {
                crate::sql::Part::Text(t) => text.push_str(t),
                crate::sql::Part::Bind(v, ty) => {
                    text.push('?');
                    binds.push((v.clone(), *ty));
                }
                crate::sql::Part::Array(..) | crate::sql::Part::Invalid(_) => unreachable!(),
            }
        }
        assert_eq!(text, " WHERE \"a\" = ? AND \"b\" = ?");
        assert_eq!(
            binds,
            [
                (Value::Int(1), ColumnType::BigInt),
                (Value::from("x"), ColumnType::Text)
            ]
        );
        let unknown = Condition::eq("c", 1);
        assert!(where_equal(&mut Statement::new(Dialect::Postgres), table, &unknown).is_err());
    }

    /// The text of `sql`, `?` for each bound value.
    fn text(sql: &Statement) -> String {
        let mut text = String::new();
        for part in sql.parts() {
            match part {
                crate::sql::Part::Text(t) => text.push_str(t),
                _ => text.push('?'),
            }
        }
        text
    }

    #[derive(Debug, Clone)]
    struct Doc {
        id: uuid::Uuid,
        owner: uuid::Uuid,
        n: i64,
    }
    crate::impl_model!(
        Doc,
        crate::base::UuidBase,
        table = "doc",
        plain,
        |t| t
            .column(Column::new("owner", ColumnType::Uuid))
            .column(Column::new("n", ColumnType::BigInt)),
        fields(owner, n)
    );

    #[test]
    fn rows_update_from_values_or_join_a_derived_table_without_update_from() {
        let doc = |n| Doc {
            id: uuid::Uuid::nil(),
            owner: uuid::Uuid::nil(),
            n,
        };
        let docs = [doc(1), doc(2)];
        let mut pg = Statement::new(Dialect::Postgres);
        update_from_values(&mut pg, &[1, 2], &docs, false).unwrap();
        assert_eq!(
            text(&pg),
            "UPDATE \"doc\" SET \"owner\" = v.column2, \"n\" = v.column3 \
             FROM (VALUES (?, ?, ?), (?, ?, ?)) AS v WHERE \"doc\".\"id\" = v.column1"
        );
        // MariaDB has no UPDATE .. FROM; UUIDs are cast to bytes.
        let mut maria = Statement::new(Dialect::MariaDb);
        update_from_values(&mut maria, &[1, 2], &docs, false).unwrap();
        assert_eq!(
            text(&maria),
            "UPDATE `doc` JOIN (SELECT CAST(? AS BINARY(16)) AS column1, \
             CAST(? AS BINARY(16)) AS column2, ? AS column3 UNION ALL SELECT \
             CAST(? AS BINARY(16)), CAST(? AS BINARY(16)), ?) AS v \
             ON `doc`.`id` = v.column1 SET `owner` = v.column2, `n` = v.column3"
        );
    }
}
