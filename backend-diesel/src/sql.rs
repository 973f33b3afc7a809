//! Statements the repository writes as SQL text: identifiers come only from
//! the model's [`Table`] (quoted), every value is a bind parameter typed by
//! its column, and the selected columns are the model's diesel `Selectable`
//! list, so rows load with diesel's derives on both databases.

use std::borrow::Cow;

use alchemy_core::audit::CREATED_AT;
use alchemy_core::base::key_from_database;
use alchemy_core::bulk;
use alchemy_core::filter::{Condition, Query, Value};
use alchemy_core::identity;
use alchemy_core::schema::{Column, ColumnType, Dialect, Table, quote, quote_list};
use alchemy_core::{Error, Model, Result};
use chrono::{DateTime, Utc};
use diesel::expression::Expression;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};
use diesel::sqlite::Sqlite;

use crate::Filter;

/// One piece of a statement.
#[derive(Debug, Clone)]
enum Part {
    /// Trusted SQL text (keywords and quoted identifiers); fixed pieces
    /// are borrowed, so a row of binds allocates only for its values.
    Text(Cow<'static, str>),
    /// A value bound as a parameter of its column's type.
    Bind(Value, ColumnType),
    /// A compiled filter.
    Filter(Filter),
    /// The selected columns (the query's `select` expression).
    Select,
}

/// A statement under construction: SQL text, bound values and the place of
/// the selected columns.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Sql {
    parts: Vec<Part>,
    /// The text depends on how many rows or values the statement carries:
    /// caching its prepared form would grow the cache without bound.
    varies: bool,
}

impl Sql {
    fn new(text: impl Into<Cow<'static, str>>) -> Self {
        let mut sql = Self::default();
        sql.push(text);
        sql
    }

    fn push(&mut self, text: impl Into<Cow<'static, str>>) -> &mut Self {
        self.parts.push(Part::Text(text.into()));
        self
    }

    fn bind(&mut self, value: Value, ty: ColumnType) -> &mut Self {
        self.parts.push(Part::Bind(value, ty));
        self
    }

    fn select(&mut self) -> &mut Self {
        self.parts.push(Part::Select);
        self
    }

    fn filter(&mut self, filter: Filter) -> &mut Self {
        self.parts.push(Part::Filter(filter));
        self
    }

    fn varies_with(&mut self, items: usize) -> &mut Self {
        self.varies |= items > 1;
        self
    }

    /// Appends ` RETURNING <select>`.
    pub fn returning(mut self) -> Self {
        self.push(" RETURNING ").select();
        self
    }

    /// The statement as a diesel query whose selected columns are `select`
    /// (e.g. `Model::as_select()`), to `load` with diesel-async.
    pub fn query<S>(self, select: S) -> RawQuery<S> {
        RawQuery { sql: self, select }
    }

    /// The statement, which names its selected columns itself, as a diesel
    /// query of untyped rows, to `load` as [`StoredRow`]s.
    pub fn untyped(self) -> RawQuery<Named> {
        RawQuery {
            sql: self,
            select: Named,
        }
    }
}

/// The select of a [`Sql::untyped`] query: nothing (the text names the
/// columns), with diesel's `Untyped` SQL type, so its rows load by name.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Named;

impl diesel::query_builder::Query for RawQuery<Named> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for Named {
    fn walk_ast<'b>(&'b self, _: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        Ok(())
    }
}

/// A stored row of model `M` read as core values, each column decoded after
/// its type in `M`'s table (found by the column's name).
#[doc(hidden)]
#[derive(Debug)]
pub struct StoredRow<M> {
    /// The values, in the order of the statement's columns.
    pub values: Vec<Value>,
    model: std::marker::PhantomData<fn() -> M>,
}

/// A [`Sql`] statement with its selected columns, runnable by diesel-async.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct RawQuery<S> {
    sql: Sql,
    select: S,
}

impl<S> QueryId for RawQuery<S> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<S: Expression> diesel::query_builder::Query for RawQuery<S> {
    type SqlType = S::SqlType;
}

static NULL_BOOL: Option<bool> = None;
static NULL_INT: Option<i64> = None;
static NULL_FLOAT: Option<f64> = None;
static NULL_TEXT: Option<String> = None;
static NULL_UUID: Option<uuid::Uuid> = None;
static NULL_TIMESTAMP: Option<DateTime<Utc>> = None;

macro_rules! walk_raw {
    ($db:ty, $bind:ident) => {
        fn $bind<'b>(
            value: &'b Value,
            ty: ColumnType,
            out: &mut AstPass<'_, 'b, $db>,
        ) -> diesel::QueryResult<()> {
            match value {
                // A typed NULL, so PostgreSQL knows the type of a VALUES column.
                Value::Null => match ty {
                    ColumnType::Bool => out.push_bind_param::<Nullable<Bool>, _>(&NULL_BOOL),
                    ColumnType::BigInt | ColumnType::Integer => {
                        out.push_bind_param::<Nullable<BigInt>, _>(&NULL_INT)
                    }
                    ColumnType::Double => out.push_bind_param::<Nullable<Double>, _>(&NULL_FLOAT),
                    ColumnType::Uuid => {
                        out.push_bind_param::<Nullable<crate::types::Uuid>, _>(&NULL_UUID)
                    }
                    ColumnType::Timestamp => {
                        out.push_bind_param::<Nullable<crate::types::Timestamp>, _>(&NULL_TIMESTAMP)
                    }
                    _ => out.push_bind_param::<Nullable<Text>, _>(&NULL_TEXT),
                },
                Value::Bool(v) => out.push_bind_param::<Bool, bool>(v),
                Value::Int(v) => out.push_bind_param::<BigInt, i64>(v),
                Value::Float(v) => out.push_bind_param::<Double, f64>(v),
                Value::Text(v) => out.push_bind_param::<Text, String>(v),
                Value::Uuid(v) => out.push_bind_param::<crate::types::Uuid, uuid::Uuid>(v),
                Value::Timestamp(v) => {
                    out.push_bind_param::<crate::types::Timestamp, DateTime<Utc>>(v)
                }
                other => Err(diesel::result::Error::SerializationError(
                    format!("unsupported value {other:?}").into(),
                )),
            }
        }

        impl<S: QueryFragment<$db>> QueryFragment<$db> for RawQuery<S> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> diesel::QueryResult<()> {
                // diesel caches prepared statements by their text (one round
                // trip instead of two on PostgreSQL); text that differs with
                // every row count is not cached.
                if self.sql.varies {
                    out.unsafe_to_cache_prepared();
                }
                for part in &self.sql.parts {
                    match part {
                        Part::Text(s) => out.push_sql(s),
                        Part::Bind(value, ty) => $bind(value, *ty, &mut out)?,
                        Part::Filter(f) => f.walk_ast(out.reborrow())?,
                        Part::Select => self.select.walk_ast(out.reborrow())?,
                    }
                }
                Ok(())
            }
        }
    };
}

walk_raw!(Pg, bind_pg);
walk_raw!(Sqlite, bind_sqlite);

macro_rules! stored_row {
    ($db:ty) => {
        impl<M: Model> diesel::deserialize::QueryableByName<$db> for StoredRow<M> {
            fn build<'a>(
                row: &impl diesel::row::NamedRow<'a, $db>,
            ) -> diesel::deserialize::Result<Self> {
                use diesel::deserialize::FromSql;
                use diesel::row::{Field, Row};
                let table = M::table();
                let mut values = Vec::with_capacity(row.field_count());
                for i in 0..row.field_count() {
                    let field = Row::get(row, i).ok_or("a column is missing")?;
                    let name = field.field_name().ok_or("a column has no name")?;
                    let ty = table
                        .columns()
                        .iter()
                        .find(|c| c.name == name)
                        .map(|c| c.ty)
                        .ok_or_else(|| format!("`{name}` is not a column of `{}`", table.name()))?;
                    let raw = field.value();
                    values.push(match ty {
                        ColumnType::Bool => {
                            <Option<bool> as FromSql<Nullable<Bool>, $db>>::from_nullable_sql(raw)?
                                .into()
                        }
                        ColumnType::BigInt => {
                            <Option<i64> as FromSql<Nullable<BigInt>, $db>>::from_nullable_sql(raw)?
                                .into()
                        }
                        ColumnType::Integer => <Option<i32> as FromSql<
                            Nullable<diesel::sql_types::Integer>,
                            $db,
                        >>::from_nullable_sql(raw)?
                        .into(),
                        ColumnType::Double => Value::from(<Option<f64> as FromSql<
                            Nullable<Double>,
                            $db,
                        >>::from_nullable_sql(
                            raw
                        )?),
                        ColumnType::Uuid => <Option<uuid::Uuid> as FromSql<
                            Nullable<crate::types::Uuid>,
                            $db,
                        >>::from_nullable_sql(raw)?
                        .into(),
                        ColumnType::Timestamp => <Option<DateTime<Utc>> as FromSql<
                            Nullable<crate::types::Timestamp>,
                            $db,
                        >>::from_nullable_sql(raw)?
                        .into(),
                        _ => <Option<String> as FromSql<Nullable<Text>, $db>>::from_nullable_sql(
                            raw,
                        )?
                        .into(),
                    });
                }
                Ok(Self {
                    values,
                    model: std::marker::PhantomData,
                })
            }
        }
    };
}

stored_row!(Pg);
stored_row!(Sqlite);

/// The largest number of bind parameters one statement may carry.
fn max_binds(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 32_766,
        _ => 65_535,
    }
}

/// Rows per statement when each row binds `binds` values.
#[doc(hidden)]
pub fn per_statement(dialect: Dialect, binds: usize) -> usize {
    bulk::rows_per_statement(statement_binds(dialect), binds)
}

/// Most binds the repository puts in one bulk statement on `dialect`.
#[doc(hidden)]
pub fn statement_binds(dialect: Dialect) -> usize {
    max_binds(dialect).min(BINDS_PER_STATEMENT)
}

/// Most binds in one bulk statement, far below the databases' limits: diesel
/// holds a statement's text pieces and binds and then copies the binds, so
/// memory grows with the statement while time per row does not drop past a
/// few thousand binds.
const BINDS_PER_STATEMENT: usize = 8_192;

fn key_column(table: &Table) -> Result<&Column> {
    let name = table.primary_key_columns().first().ok_or_else(|| {
        Error::invalid_input(format!("table `{}` has no primary key", table.name()))
    })?;
    table.check_field(name)
}

fn key_index(table: &Table) -> Result<usize> {
    let key = key_column(table)?;
    table
        .columns()
        .iter()
        .position(|c| c.name == key.name)
        .ok_or_else(|| Error::invalid_input(format!("table `{}` has no key", table.name())))
}

/// Indexes of the columns an insert writes (all but a database-made key).
#[doc(hidden)]
pub fn insert_columns<M: Model>() -> Vec<usize> {
    let table = M::table();
    let skip_key = key_from_database::<M>();
    let key = table.primary_key_columns().first();
    table
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| !(skip_key && Some(&c.name) == key))
        .map(|(i, _)| i)
        .collect()
}

fn push_row(sql: &mut Sql, table: &Table, columns: &[usize], values: Vec<Value>) {
    let mut values: Vec<Option<Value>> = values.into_iter().map(Some).collect();
    sql.push("(");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        let value = values
            .get_mut(i)
            .and_then(Option::take)
            .unwrap_or(Value::Null);
        sql.bind(value, table.columns()[i].ty);
    }
    sql.push(")");
}

fn where_key(sql: &mut Sql, table: &Table, key: Value) -> Result<()> {
    let column = key_column(table)?;
    sql.push(format!(" WHERE {} = ", quote(&column.name)))
        .bind(key, column.ty);
    Ok(())
}

fn checked_filter(table: &Table, condition: &Condition) -> Result<Filter> {
    Filter::new(condition, table)
}

/// `SELECT <select> FROM t WHERE key = ?`.
#[doc(hidden)]
pub fn get<M: Model>(key: Value) -> Result<Sql> {
    let table = M::table();
    let mut sql = Sql::new("SELECT ");
    sql.select().push(format!(" FROM {}", quote(table.name())));
    where_key(&mut sql, table, key)?;
    Ok(sql)
}

/// `SELECT <select> FROM t [WHERE ..] [ORDER BY ..] [LIMIT ..] [OFFSET ..]`;
/// the query is checked against the table before anything is built.
///
/// # Errors
/// [`Error::InvalidInput`] for an unknown field or a value of the wrong type.
#[doc(hidden)]
pub fn list<M: Model>(dialect: Dialect, query: &Query) -> Result<Sql> {
    let table = M::table();
    let query = query.clone().checked(table)?;
    let mut sql = Sql::new("SELECT ");
    sql.select().push(format!(" FROM {}", table.quoted_name()));
    if let Some(filter) = &query.filter {
        sql.push(" WHERE ").filter(checked_filter(table, filter)?);
    }
    for (i, order) in query.order_by.iter().enumerate() {
        sql.push(if i == 0 { " ORDER BY " } else { ", " });
        sql.push(quote(&order.field));
        sql.push(if order.descending { " DESC" } else { " ASC" });
    }
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    if let Some(limit) = query.limit {
        sql.push(" LIMIT ");
        if dialect == Dialect::Sqlite {
            // A bound LIMIT makes SQLite prepare the statement again on every
            // run (its plan depends on the value). An integer is safe as
            // text, and page sizes are few, so the cached statements stay few.
            sql.push(clamp(limit).to_string());
        } else {
            sql.bind(Value::Int(clamp(limit)), ColumnType::BigInt);
        }
    } else if query.offset.is_some() && dialect == Dialect::Sqlite {
        // SQLite takes no OFFSET without a LIMIT; -1 is "no limit".
        sql.push(" LIMIT -1");
    }
    if let Some(offset) = query.offset {
        sql.push(" OFFSET ")
            .bind(Value::Int(clamp(offset)), ColumnType::BigInt);
    }
    Ok(sql)
}

/// `SELECT <select> FROM t [WHERE ..]` (the select being `count(*)`).
///
/// # Errors
/// [`Error::InvalidInput`] as [`list`].
#[doc(hidden)]
pub fn count<M: Model>(filter: Option<&Condition>) -> Result<Sql> {
    let table = M::table();
    let mut sql = Sql::new("SELECT ");
    sql.select().push(format!(" FROM {}", quote(table.name())));
    if let Some(filter) = filter {
        sql.push(" WHERE ").filter(checked_filter(table, filter)?);
    }
    Ok(sql)
}

/// What an insert does on a conflict.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum OnConflict<'a> {
    /// A plain insert.
    Fail,
    /// `ON CONFLICT DO NOTHING` (any unique constraint).
    Nothing,
    /// `ON CONFLICT (match columns) DO UPDATE SET` every other written column.
    Update(&'a [usize]),
}

/// `INSERT INTO t (..) VALUES (..), .. [ON CONFLICT ..]` for rows already
/// stamped; add [`Sql::returning`] to read them back.
#[doc(hidden)]
pub fn insert<M: Model>(models: &[M], on_conflict: OnConflict<'_>) -> Sql {
    let table = M::table();
    let columns = insert_columns::<M>();
    let names: Vec<&str> = columns
        .iter()
        .map(|&i| table.columns()[i].name.as_str())
        .collect();
    let mut sql = Sql::new(format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(table.name()),
        quote_list(&names)
    ));
    sql.varies_with(models.len());
    for (n, m) in models.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        push_row(&mut sql, table, &columns, m.values());
    }
    match on_conflict {
        OnConflict::Fail => {}
        // No conflict target: every unique index is an arbiter.
        OnConflict::Nothing => {
            sql.push(" ON CONFLICT DO NOTHING");
        }
        OnConflict::Update(match_columns) => {
            let name = |i: &usize| table.columns()[*i].name.as_str();
            let match_names: Vec<&str> = match_columns.iter().map(name).collect();
            let set: Vec<String> = bulk::update_columns::<M>(&columns, match_columns)
                .iter()
                .map(|i| format!("{0} = excluded.{0}", quote(name(i))))
                .collect();
            if set.is_empty() {
                // Nothing to change; still return the stored row.
                let first = quote(name(&match_columns[0]));
                sql.push(format!(
                    " ON CONFLICT ({}) DO UPDATE SET {first} = excluded.{first}",
                    quote_list(&match_names)
                ));
            } else {
                sql.push(format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    quote_list(&match_names),
                    set.join(", ")
                ));
            }
        }
    }
    sql
}

/// `UPDATE t SET <columns> WHERE key = ? RETURNING <select>` for a row
/// already stamped, writing the columns [`identity::update_columns`] picks
/// from `changed` (every column but key and `created_at` when unknown);
/// `None` when there is nothing to write.
///
/// # Errors
/// [`Error::InvalidInput`] when the table has no primary key.
#[doc(hidden)]
pub fn update<M: Model>(model: &M, changed: Option<Vec<usize>>) -> Result<Option<Sql>> {
    let table = M::table();
    let key = key_index(table)?;
    let columns = identity::update_columns::<M>(changed);
    if columns.is_empty() {
        return Ok(None);
    }
    let values = model.values();
    let mut sql = Sql::new(format!("UPDATE {} SET ", quote(table.name())));
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        let column = &table.columns()[i];
        let value = values.get(i).cloned().unwrap_or(Value::Null);
        sql.push(format!("{} = ", quote(&column.name)))
            .bind(value, column.ty);
    }
    let key_value = values.get(key).cloned().unwrap_or(Value::Null);
    where_key(&mut sql, table, key_value)?;
    sql.push(" RETURNING ").select();
    Ok(Some(sql))
}

/// How many rows one `update_many` statement carries.
#[doc(hidden)]
pub fn update_many_rows<M: Model>(dialect: Dialect) -> usize {
    let table = M::table();
    let written = table
        .columns()
        .iter()
        .filter(|c| c.name != CREATED_AT)
        .count();
    per_statement(dialect, written)
}

/// `UPDATE t SET c = v.columnN, .. FROM (VALUES (key, ..), ..) AS v WHERE
/// t.key = v.column1 RETURNING <select>` for rows already stamped, writing
/// every column but the key and `created_at`.
///
/// # Errors
/// [`Error::InvalidInput`] when the table has no primary key.
#[doc(hidden)]
pub fn update_many<M: Model>(models: &[M]) -> Result<Sql> {
    let table = M::table();
    let key = key_index(table)?;
    let written: Vec<usize> = (0..table.columns().len())
        .filter(|&i| i != key && table.columns()[i].name != CREATED_AT)
        .collect();
    Ok(update_from_values(models, &written)?.returning())
}

/// `UPDATE t SET c = ?, .. WHERE key IN (..)`: the same `values` of
/// columns `written` for every row with one of `keys`.
///
/// # Errors
/// [`Error::InvalidInput`] when the table has no primary key.
#[doc(hidden)]
pub fn update_shared<M: Model>(written: &[usize], values: &[Value], keys: &[Value]) -> Result<Sql> {
    let table = M::table();
    let key = key_column(table)?;
    let mut sql = Sql::new(format!("UPDATE {} SET ", table.quoted_name()));
    sql.varies_with(keys.len());
    for (n, (&i, value)) in written.iter().zip(values).enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        let column = &table.columns()[i];
        sql.push(format!("{} = ", quote(&column.name)));
        sql.bind(value.clone(), column.ty);
    }
    sql.push(format!(" WHERE {} IN (", quote(&key.name)));
    for (n, k) in keys.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(k.clone(), key.ty);
    }
    sql.push(")");
    Ok(sql)
}

/// `UPDATE t SET c = v.columnN, .. FROM (VALUES (key, ..), ..) AS v WHERE
/// t.key = v.column1`, writing columns `written` of `models`.
///
/// # Errors
/// [`Error::InvalidInput`] when the table has no primary key.
#[doc(hidden)]
pub fn update_from_values<M: Model>(models: &[M], written: &[usize]) -> Result<Sql> {
    let table = M::table();
    let key = key_index(table)?;
    let mut row_columns = vec![key];
    row_columns.extend(written);
    let mut sql = Sql::new(format!(
        "UPDATE {} SET {} FROM (VALUES ",
        table.quoted_name(),
        bulk::values_set_list(table, key, written)
    ));
    sql.varies_with(models.len());
    for (n, m) in models.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        push_row(&mut sql, table, &row_columns, m.values());
    }
    sql.push(format!(
        ") AS \"v\" WHERE {}.{} = \"v\".column1",
        quote(table.name()),
        quote(&table.columns()[key].name)
    ));
    Ok(sql)
}

/// `SELECT <stored> FROM t WHERE (match columns) IN ((..), ..)` for one
/// chunk of an upsert's wanted values, to load as [`StoredRow`]s.
#[doc(hidden)]
pub fn existing_by<M: Model>(stored: &[usize], columns: &[usize], wanted: &[Vec<Value>]) -> Sql {
    let table = M::table();
    let name = |i: &usize| table.columns()[*i].name.as_str();
    let names: Vec<&str> = columns.iter().map(name).collect();
    let selected: Vec<&str> = stored.iter().map(name).collect();
    let mut sql = Sql::new(format!(
        "SELECT {} FROM {} WHERE ({}) IN (",
        quote_list(&selected),
        quote(table.name()),
        quote_list(&names)
    ));
    sql.varies_with(wanted.len());
    // One column: a plain `IN (?, ..)`, which PostgreSQL hashes or looks up
    // in an index; it plans `(c) IN ((?), ..)` as one OR branch per value,
    // tried on every row.
    let single = columns.len() == 1;
    for (n, values) in wanted.iter().enumerate() {
        sql.push(match (n, single) {
            (0, true) => "",
            (_, true) => ", ",
            (0, false) => "(",
            (_, false) => ", (",
        });
        for (j, (value, &i)) in values.iter().zip(columns).enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.bind(value.clone(), table.columns()[i].ty);
        }
        if !single {
            sql.push(")");
        }
    }
    sql.push(")");
    sql
}

/// `DELETE FROM t WHERE key IN (..) RETURNING <select>` for one chunk of keys.
///
/// # Errors
/// [`Error::InvalidInput`] when the table has no primary key.
#[doc(hidden)]
pub fn delete_keys<M: Model>(keys: &[Value]) -> Result<Sql> {
    let table = M::table();
    let key = key_column(table)?;
    let mut sql = Sql::new(format!(
        "DELETE FROM {} WHERE {} IN (",
        quote(table.name()),
        quote(&key.name)
    ));
    sql.varies_with(keys.len());
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(k.clone(), key.ty);
    }
    sql.push(") RETURNING ").select();
    Ok(sql)
}

/// `DELETE FROM t WHERE <filter> RETURNING <select>`.
///
/// # Errors
/// [`Error::InvalidInput`] for an unknown field or a value of the wrong type.
#[doc(hidden)]
pub fn delete_where<M: Model>(filter: &Condition) -> Result<Sql> {
    let table = M::table();
    let filter = checked_filter(table, filter)?;
    let mut sql = Sql::new(format!("DELETE FROM {} WHERE ", quote(table.name())));
    sql.filter(filter).push(" RETURNING ").select();
    Ok(sql)
}
