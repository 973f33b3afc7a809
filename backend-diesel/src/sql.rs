//! Statements the repository writes as SQL text: identifiers come only from
//! the model's [`Table`] (quoted), every value is a bind parameter typed by
//! its column, and the selected columns are the model's diesel `Selectable`
//! list, so rows load with diesel's derives on both databases.

use std::borrow::Cow;

use alchemy_core::audit::CREATED_AT;
use alchemy_core::base::key_from_database;
use alchemy_core::bulk;
use alchemy_core::filter::{Condition, Query, Value};
use alchemy_core::schema::{Column, ColumnType, Dialect, Table, quote, quote_list};
use alchemy_core::{Error, Model, Result};
use chrono::{DateTime, Utc};
use diesel::expression::Expression;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};
use diesel::sqlite::Sqlite;

/// One piece of a statement.
#[derive(Debug, Clone)]
enum Part {
    /// Trusted SQL text (keywords and quoted identifiers); fixed pieces
    /// are borrowed, so a row of binds allocates only for its values.
    Text(Cow<'static, str>),
    /// A value bound as a parameter of its column's type.
    Bind(Value, ColumnType),
    /// The selected columns (the query's `select` expression).
    Select,
    /// Values bound as one PostgreSQL array.
    Array(Array),
    /// `(?, ..)`: the next this many of the statement's row values, after
    /// `, ` when a row came before.
    Row(usize),
}

/// The values of one column as a PostgreSQL array: `c = ANY($1)` is one
/// bind and one statement text whatever the count, so it is prepared once
/// and cached, where `c IN ($1, .., $n)` is parsed and planned anew for
/// every count.
#[derive(Debug, Clone)]
enum Array {
    Bool(Vec<Option<bool>>),
    BigInt(Vec<Option<i64>>),
    Double(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Uuid(Vec<Option<uuid::Uuid>>),
    Timestamp(Vec<Option<DateTime<Utc>>>),
}

impl Array {
    /// `values` as an array of column type `ty` (an `INTEGER` column takes
    /// an `int8[]`, which PostgreSQL compares with it, indexes included);
    /// `None` when a value is of another kind.
    fn new<'v>(values: impl ExactSizeIterator<Item = &'v Value>, ty: ColumnType) -> Option<Self> {
        fn all<'v, T>(
            values: impl Iterator<Item = &'v Value>,
            get: impl Fn(&'v Value) -> Option<T>,
        ) -> Option<Vec<Option<T>>> {
            values
                .map(|v| match v {
                    Value::Null => Some(None),
                    v => get(v).map(Some),
                })
                .collect()
        }
        Some(match ty {
            ColumnType::Bool => Self::Bool(all(values, |v| match v {
                Value::Bool(b) => Some(*b),
                _ => None,
            })?),
            ColumnType::BigInt | ColumnType::Integer => Self::BigInt(all(values, |v| match v {
                Value::Int(i) => Some(*i),
                _ => None,
            })?),
            ColumnType::Double => Self::Double(all(values, |v| match v {
                Value::Float(f) => Some(*f),
                _ => None,
            })?),
            ColumnType::Text | ColumnType::VarChar(_) => Self::Text(all(values, |v| match v {
                Value::Text(t) => Some(t.clone()),
                _ => None,
            })?),
            ColumnType::Uuid => Self::Uuid(all(values, |v| match v {
                Value::Uuid(u) => Some(*u),
                _ => None,
            })?),
            ColumnType::Timestamp => Self::Timestamp(all(values, |v| match v {
                Value::Timestamp(t) => Some(*t),
                _ => None,
            })?),
            _ => return None,
        })
    }
}

impl alchemy_core::sql::SqlWriter for Sql {
    fn push(&mut self, sql: &str) {
        Sql::push(self, sql.to_string());
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        Sql::bind(self, value.clone(), ty);
    }

    fn bind_array(&mut self, values: &[&Value], ty: ColumnType) {
        match Array::new(values.iter().copied(), ty) {
            Some(array) => self.parts.push(Part::Array(array)),
            None => {
                self.error.get_or_insert_with(|| {
                    format!("values of other types than {ty:?} in an array")
                });
            }
        }
    }

    fn text_varies(&mut self) {
        self.varies = true;
    }
}

/// A statement under construction: SQL text, bound values and the place of
/// the selected columns.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Sql {
    parts: Vec<Part>,
    /// The values of the [`Part::Row`]s, in order: one list for every row,
    /// so a row costs one part, not one per value and separator.
    rows: Vec<(Value, ColumnType)>,
    /// The text depends on how many rows or values the statement carries:
    /// caching its prepared form would grow the cache without bound.
    varies: bool,
    /// Why the statement cannot be run (a value of the wrong type in an
    /// array); reported when it is.
    error: Option<String>,
}

impl Sql {
    fn new(text: impl Into<Cow<'static, str>>) -> Self {
        let mut sql = Self {
            // A get or a one-row insert: a few hundred bytes, which the
            // allocator's small-size caches serve.
            parts: Vec::with_capacity(8),
            rows: Vec::new(),
            varies: false,
            error: None,
        };
        sql.push(text);
        sql
    }

    /// Room for `rows` rows of `columns` values.
    fn reserve_rows(&mut self, rows: usize, columns: usize) -> &mut Self {
        self.parts.reserve(rows);
        self.rows.reserve(rows.saturating_mul(columns));
        self
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

    fn varies_with(&mut self, items: usize) -> &mut Self {
        self.varies |= items > 1;
        self
    }

    /// Appends `<column> = ANY(?)` with `values` as one array on PostgreSQL
    /// (see [`Array`]), else `<column> IN (?, ..)`; `column` is quoted SQL.
    fn any_of<'v>(
        &mut self,
        dialect: Dialect,
        column: String,
        values: impl ExactSizeIterator<Item = &'v Value> + Clone,
        ty: ColumnType,
    ) -> &mut Self {
        if dialect == Dialect::Postgres
            && let Some(array) = Array::new(values.clone(), ty)
        {
            self.push(column).push(" = ANY(");
            self.parts.push(Part::Array(array));
            return self.push(")");
        }
        self.varies_with(values.len());
        self.push(column).push(" IN (");
        for (n, value) in values.enumerate() {
            if n > 0 {
                self.push(", ");
            }
            self.bind(value.clone(), ty);
        }
        self.push(")")
    }

    /// Appends ` RETURNING <select>`.
    pub fn returning(mut self) -> Self {
        self.push(" RETURNING ").select();
        self
    }

    /// Appends ` RETURNING "created_at"`.
    pub fn returning_created_at(mut self) -> Self {
        self.push(" RETURNING \"created_at\"");
        self
    }

    /// The statement as a diesel query whose selected columns are `select`
    /// (e.g. `Model::as_select()`), to `load` with diesel-async; diesel
    /// finds its prepared form by its text.
    pub fn query<S>(self, select: S) -> RawQuery<S> {
        RawQuery {
            sql: self,
            select,
            id: std::marker::PhantomData,
        }
    }

    /// As [`Sql::query`], for a statement whose text and bind types are the
    /// same on every call for model `M` and statement kind `K` (see
    /// [`Fixed`]): diesel finds its prepared form by type.
    pub fn fixed<S, M: 'static, K: 'static>(self, select: S) -> RawQuery<S, Fixed<M, K>> {
        debug_assert!(!self.varies, "a fixed statement cannot vary with a count");
        RawQuery {
            sql: self,
            select,
            id: std::marker::PhantomData,
        }
    }

    /// The statement, which names its selected columns itself, as a diesel
    /// query of untyped rows, to `load` as [`StoredRow`]s.
    pub fn untyped(self) -> RawQuery<Named> {
        self.query(Named)
    }
}

/// The select of a [`Sql::untyped`] query: nothing (the text names the
/// columns), with diesel's `Untyped` SQL type, so its rows load by name.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Named;

impl diesel::query_builder::Query for RawQuery<Named, ByText> {
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
pub struct RawQuery<S, I = ByText> {
    sql: Sql,
    select: S,
    id: std::marker::PhantomData<fn() -> I>,
}

/// How diesel finds the prepared form of a [`RawQuery`] in its statement
/// cache.
#[doc(hidden)]
pub trait CacheKey: 'static {
    /// Whether the statement's type identifies it.
    const BY_TYPE: bool;
}

/// Found by the statement's text (and bind types), which diesel builds and
/// hashes on every call.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ByText;

impl CacheKey for ByText {
    const BY_TYPE: bool = false;
}

/// A statement of kind `K` for model `M` whose text and bind types are the
/// same on every call (on one connection, so one dialect): diesel finds its
/// prepared form by type, so it does not build the text to look it up
/// (SQLite) or hash it (PostgreSQL), as for its own query DSL.
#[doc(hidden)]
#[derive(Debug)]
pub struct Fixed<M, K>(std::marker::PhantomData<fn() -> (M, K)>);

impl<M: 'static, K: 'static> CacheKey for Fixed<M, K> {
    const BY_TYPE: bool = true;
}

/// [`Fixed`] kind: `SELECT .. WHERE key = ?` ([`get`]).
#[doc(hidden)]
#[derive(Debug)]
pub struct GetByKey;

/// [`Fixed`] kind: an `UPDATE` of every column but the key and
/// `created_at` ([`update`] of an [`alchemy_core::identity::UpdatePlan`] that writes the
/// whole row).
#[doc(hidden)]
#[derive(Debug)]
pub struct UpdateWhole;

/// [`Fixed`] kind: one row's `INSERT .. ON CONFLICT DO NOTHING RETURNING ..`
/// ([`insert`] with [`OnConflict::Nothing`]); the bind types are the
/// columns' (a model's values are typed by its fields).
#[doc(hidden)]
#[derive(Debug)]
pub struct InsertAbsent;

impl<S, I: CacheKey> QueryId for RawQuery<S, I> {
    type QueryId = I;
    const HAS_STATIC_QUERY_ID: bool = I::BY_TYPE;
}

impl<S: Expression, I> diesel::query_builder::Query for RawQuery<S, I> {
    type SqlType = S::SqlType;
}

static NULL_BOOL: Option<bool> = None;
static NULL_INT: Option<i64> = None;
static NULL_FLOAT: Option<f64> = None;
static NULL_TEXT: Option<String> = None;
static NULL_UUID: Option<uuid::Uuid> = None;
static NULL_TIMESTAMP: Option<DateTime<Utc>> = None;

macro_rules! walk_raw {
    ($db:ty, $bind:ident, $array:ident) => {
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

        impl<S: QueryFragment<$db>, I> QueryFragment<$db> for RawQuery<S, I> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> diesel::QueryResult<()> {
                // diesel caches prepared statements by their text (one round
                // trip instead of two on PostgreSQL); text that differs with
                // every row count is not cached.
                if let Some(e) = &self.sql.error {
                    return Err(diesel::result::Error::QueryBuilderError(e.clone().into()));
                }
                if self.sql.varies {
                    out.unsafe_to_cache_prepared();
                }
                let mut rows = self.sql.rows.iter();
                let mut first_row = true;
                for part in &self.sql.parts {
                    match part {
                        Part::Text(s) => out.push_sql(s),
                        Part::Bind(value, ty) => $bind(value, *ty, &mut out)?,
                        Part::Select => self.select.walk_ast(out.reborrow())?,
                        Part::Array(array) => $array(array, &mut out)?,
                        Part::Row(n) => {
                            out.push_sql(if first_row { "(" } else { ", (" });
                            first_row = false;
                            for (j, (value, ty)) in rows.by_ref().take(*n).enumerate() {
                                if j > 0 {
                                    out.push_sql(", ");
                                }
                                $bind(value, *ty, &mut out)?;
                            }
                            out.push_sql(")");
                        }
                    }
                }
                Ok(())
            }
        }
    };
}

fn array_pg<'b>(array: &'b Array, out: &mut AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
    use diesel::sql_types::Array as A;
    match array {
        Array::Bool(v) => out.push_bind_param::<A<Nullable<Bool>>, _>(v),
        Array::BigInt(v) => out.push_bind_param::<A<Nullable<BigInt>>, _>(v),
        Array::Double(v) => out.push_bind_param::<A<Nullable<Double>>, _>(v),
        Array::Text(v) => out.push_bind_param::<A<Nullable<Text>>, _>(v),
        Array::Uuid(v) => out.push_bind_param::<A<Nullable<crate::types::Uuid>>, _>(v),
        Array::Timestamp(v) => out.push_bind_param::<A<Nullable<crate::types::Timestamp>>, _>(v),
    }
}

fn array_sqlite(_: &Array, _: &mut AstPass<'_, '_, Sqlite>) -> diesel::QueryResult<()> {
    // `Sql::any_of` makes arrays only for PostgreSQL.
    Err(diesel::result::Error::QueryBuilderError(
        "SQLite has no array parameters".into(),
    ))
}

walk_raw!(Pg, bind_pg, array_pg);
walk_raw!(Sqlite, bind_sqlite, array_sqlite);

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

/// Appends `(?, ..)` with `values` of `columns`, after `, ` when a row came
/// before in this statement.
fn push_row(sql: &mut Sql, table: &Table, columns: &[usize], mut values: Vec<Value>) {
    for &i in columns {
        // Moved out, not cloned: each column is bound once.
        let value = values
            .get_mut(i)
            .map_or(Value::Null, |v| std::mem::replace(v, Value::Null));
        sql.rows.push((value, table.columns()[i].ty));
    }
    sql.parts.push(Part::Row(columns.len()));
}

fn where_key(sql: &mut Sql, table: &'static Table, key: Value) -> Result<()> {
    let column = key_column(table)?;
    sql.push(" WHERE ")
        .push(table.quoted_field(&column.name)?)
        .push(" = ")
        .bind(key, column.ty);
    Ok(())
}

/// `SELECT <select> FROM t`.
fn select_from(table: &'static Table) -> Sql {
    let mut sql = Sql::new("SELECT ");
    sql.select().push(" FROM ").push(table.quoted_name());
    sql
}

/// `SELECT <select> FROM t WHERE key = ?`.
#[doc(hidden)]
pub fn get<M: Model>(key: Value) -> Result<Sql> {
    let table = M::table();
    let mut sql = select_from(table);
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
    let query = query.checked_ref(table)?;
    let mut sql = select_from(table);
    alchemy_core::sql::write_query(&mut sql, table, dialect, &query)?;
    Ok(sql)
}

/// `SELECT <select> FROM t [WHERE ..]` (the select being `count(*)`).
///
/// # Errors
/// [`Error::InvalidInput`] as [`list`].
#[doc(hidden)]
pub fn count<M: Model>(dialect: Dialect, filter: Option<&Condition>) -> Result<Sql> {
    let table = M::table();
    let filter = filter.map(|f| f.checked_ref(table)).transpose()?;
    let mut sql = select_from(table);
    alchemy_core::sql::write_where(&mut sql, table, dialect, filter.as_deref())?;
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
/// stamped, without a database-made key; add [`Sql::returning`] to read
/// them back.
#[doc(hidden)]
pub fn insert<M: Model>(models: &[M], on_conflict: OnConflict<'_>) -> Sql {
    insert_columns_of(models, &insert_columns::<M>(), on_conflict)
}

/// `INSERT INTO t (<every column>) VALUES (..), ..` for rows already
/// stamped, their keys included.
#[doc(hidden)]
pub fn insert_whole<M: Model>(models: &[M]) -> Sql {
    let columns: Vec<usize> = (0..M::table().columns().len()).collect();
    insert_columns_of(models, &columns, OnConflict::Fail)
}

/// Runs a statement the library wrote ([`alchemy_core::sql::Statement`]),
/// its columns named in its text, to load as [`StoredRow`]s.
#[doc(hidden)]
pub fn from_statement(statement: &alchemy_core::sql::Statement) -> Sql {
    let mut sql = Sql::new("");
    statement.write_to(&mut sql);
    sql
}

fn insert_columns_of<M: Model>(
    models: &[M],
    columns: &[usize],
    on_conflict: OnConflict<'_>,
) -> Sql {
    let table = M::table();
    let mut sql = Sql::new("INSERT INTO ");
    sql.push(table.quoted_name()).push(" (");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.push(table.quoted_column(i).unwrap_or_default());
    }
    sql.push(") VALUES ");
    sql.varies_with(models.len())
        .reserve_rows(models.len(), columns.len());
    for m in models {
        push_row(&mut sql, table, columns, m.values());
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
            let set: Vec<String> = bulk::update_columns::<M>(columns, match_columns)
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

/// `UPDATE t SET <columns> WHERE key = ?` for a row already stamped,
/// writing `columns` (an [`alchemy_core::identity::UpdatePlan`]'s); add
/// [`Sql::returning`] or [`Sql::returning_created_at`] as the plan reads back.
///
/// # Errors
/// [`Error::InvalidInput`] when the table has no primary key.
#[doc(hidden)]
pub fn update<M: Model>(model: &M, columns: &[usize]) -> Result<Sql> {
    let table = M::table();
    let key = key_index(table)?;
    let mut sql = Sql::new("UPDATE ");
    sql.push(table.quoted_name()).push(" SET ");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        let column = &table.columns()[i];
        let value = model.value(i).unwrap_or(Value::Null);
        sql.push(table.quoted_column(i).unwrap_or_default())
            .push(" = ")
            .bind(value, column.ty);
    }
    let key_value = model.value(key).unwrap_or(Value::Null);
    where_key(&mut sql, table, key_value)?;
    Ok(sql)
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

/// `UPDATE t SET c = ?, .. WHERE key = ANY(?)` (PostgreSQL; `key IN (..)`
/// on SQLite): the same `values` of columns `written` for every row with
/// one of `keys`.
///
/// # Errors
/// [`Error::InvalidInput`] when the table has no primary key.
#[doc(hidden)]
pub fn update_shared<M: Model>(
    dialect: Dialect,
    written: &[usize],
    values: &[Value],
    keys: &[Value],
) -> Result<Sql> {
    let table = M::table();
    let key = key_column(table)?;
    let mut sql = Sql::new("UPDATE ");
    sql.push(table.quoted_name()).push(" SET ");
    for (n, (&i, value)) in written.iter().zip(values).enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        let column = &table.columns()[i];
        sql.push(table.quoted_column(i).unwrap_or_default())
            .push(" = ")
            .bind(value.clone(), column.ty);
    }
    sql.push(" WHERE ")
        .any_of(dialect, quote(&key.name), keys.iter(), key.ty);
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
    sql.varies_with(models.len())
        .reserve_rows(models.len(), row_columns.len());
    for m in models {
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
/// chunk of an upsert's wanted values, to load as [`StoredRow`]s; on one
/// match column, `c = ANY(?)` on PostgreSQL and `c IN (..)` on SQLite.
#[doc(hidden)]
pub fn existing_by<M: Model>(
    dialect: Dialect,
    stored: &[usize],
    columns: &[usize],
    wanted: std::slice::ChunksExact<'_, Value>,
) -> Sql {
    let table = M::table();
    let name = |i: &usize| table.columns()[*i].name.as_str();
    let names: Vec<&str> = columns.iter().map(name).collect();
    let selected: Vec<&str> = stored.iter().map(name).collect();
    let mut sql = Sql::new(format!(
        "SELECT {} FROM {} WHERE ",
        quote_list(&selected),
        quote(table.name()),
    ));
    if let [i] = columns {
        // One column: `c = ANY(?)` or a plain `IN (?, ..)`, which PostgreSQL
        // hashes or looks up in an index; it plans `(c) IN ((?), ..)` as one
        // OR branch per value, tried on every row.
        let values = wanted.map(|w| w.first().unwrap_or(&Value::Null));
        sql.any_of(dialect, quote(name(i)), values, table.columns()[*i].ty);
        return sql;
    }
    sql.varies_with(wanted.len());
    sql.push(format!("({}) IN (", quote_list(&names)));
    for (n, values) in wanted.enumerate() {
        sql.push(if n == 0 { "(" } else { ", (" });
        for (j, (value, &i)) in values.iter().zip(columns).enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.bind(value.clone(), table.columns()[i].ty);
        }
        sql.push(")");
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
pub fn delete_where<M: Model>(dialect: Dialect, filter: &Condition) -> Result<Sql> {
    let table = M::table();
    let filter = filter.checked_ref(table)?;
    let mut sql = Sql::new("DELETE FROM ");
    sql.push(table.quoted_name()).push(" WHERE ");
    alchemy_core::sql::write_condition(&mut sql, table, dialect, &filter)?;
    sql.push(" RETURNING ").select();
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alchemy_core::base::BigIntAuditBase;

    #[derive(Debug, Clone)]
    struct Row {
        id: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        name: String,
        n: i32,
    }
    alchemy_core::impl_model!(
        Row,
        BigIntAuditBase,
        table = "row",
        audited,
        |t| t
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("n", ColumnType::Integer)),
        fields(name, n)
    );

    fn text<DB>(sql: Sql) -> String
    where
        DB: diesel::backend::Backend + Default,
        DB::QueryBuilder: Default,
        RawQuery<Named>: QueryFragment<DB>,
    {
        diesel::debug_query::<DB, _>(&sql.untyped())
            .to_string()
            .split(" -- binds")
            .next()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn one_match_column_is_an_array_on_postgres_and_a_list_on_sqlite() {
        let wanted = [Value::from("a"), Value::from("b")];
        let pg = existing_by::<Row>(Dialect::Postgres, &[0, 1, 3], &[3], wanted.chunks_exact(1));
        assert!(!pg.varies, "one text for every count: cached");
        assert_eq!(
            text::<Pg>(pg),
            r#"SELECT "id", "created_at", "name" FROM "row" WHERE "name" = ANY($1)"#
        );
        let lite = existing_by::<Row>(Dialect::Sqlite, &[0, 1, 3], &[3], wanted.chunks_exact(1));
        assert!(lite.varies);
        assert_eq!(
            text::<Sqlite>(lite),
            r#"SELECT "id", "created_at", "name" FROM "row" WHERE "name" IN (?, ?)"#
        );
    }

    fn row(name: &str) -> Row {
        Row {
            id: 0,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            name: name.into(),
            n: 1,
        }
    }

    /// Whether diesel would keep the prepared form of `sql` selecting `select`.
    fn cached<S>(sql: Sql, select: S, dialect: Dialect) -> bool
    where
        S: QueryFragment<Pg> + QueryFragment<Sqlite>,
    {
        let query = sql.query(select);
        match dialect {
            Dialect::Postgres => query.is_safe_to_cache_prepared(&Pg),
            _ => query.is_safe_to_cache_prepared(&Sqlite),
        }
        .expect("walks")
    }

    #[test]
    fn a_page_with_its_total_and_a_count_are_cached_statements() {
        use alchemy_core::filter::{Condition, Query};
        use diesel::dsl::count_star;
        use diesel::expression_methods::WindowExpressionMethods as _;
        let page = Query::new()
            .filter(Condition::search(["name"], "7", true))
            .order_by_desc("created_at")
            .limit(20)
            .offset(37);
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            // What `list_and_count` and `count` select besides the row.
            let listed = list::<Row>(dialect, &page).expect("valid query");
            assert!(cached(listed, count_star().over(), dialect), "{dialect:?}");
            let counted = count::<Row>(dialect, page.filter.as_ref()).expect("valid filter");
            assert!(cached(counted, count_star(), dialect), "{dialect:?}");
        }
        // Why the repository does not select SQL literals: diesel never
        // caches a statement holding one, so every call would prepare anew.
        let listed = list::<Row>(Dialect::Postgres, &page).expect("valid query");
        let literal = diesel::dsl::sql::<BigInt>("count(*) OVER ()");
        assert!(!cached(listed, literal, Dialect::Postgres));
    }

    #[test]
    fn parts_stay_small() {
        // Eight parts (a get) fit the allocator's small-size caches.
        assert!(
            std::mem::size_of::<Part>() <= 64,
            "{}",
            std::mem::size_of::<Part>()
        );
    }

    #[test]
    fn rows_are_listed_with_one_placeholder_per_value() {
        let sql = insert(&[row("a"), row("b")], OnConflict::Nothing);
        assert!(sql.varies, "two rows: not cached");
        assert_eq!(
            text::<Pg>(sql),
            r#"INSERT INTO "row" ("created_at", "updated_at", "name", "n") VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) ON CONFLICT DO NOTHING"#
        );
        let one = insert(&[row("a")], OnConflict::Fail).returning();
        assert!(!one.varies, "one row: cached");
        assert_eq!(
            text::<Sqlite>(one),
            r#"INSERT INTO "row" ("created_at", "updated_at", "name", "n") VALUES (?, ?, ?, ?) RETURNING "#
        );
        let sql = update_from_values(&[row("a"), row("b")], &[3]).unwrap();
        assert_eq!(
            text::<Pg>(sql),
            r#"UPDATE "row" SET "name" = "v".column2 FROM (VALUES ($1, $2), ($3, $4)) AS "v" WHERE "row"."id" = "v".column1"#
        );
    }

    #[test]
    fn arrays_only_for_values_of_the_column_type() {
        let wanted = [Value::Int(1), Value::Int(2)];
        // INTEGER is bound as an int8[] array, which PostgreSQL compares with it.
        let sql = existing_by::<Row>(Dialect::Postgres, &[0], &[4], wanted.chunks_exact(1));
        assert_eq!(
            text::<Pg>(sql),
            r#"SELECT "id" FROM "row" WHERE "n" = ANY($1)"#
        );
        let mixed = [Value::Int(1), Value::from("x")];
        assert!(Array::new(mixed.iter(), ColumnType::BigInt).is_none());
        let keys = [Value::Int(1), Value::Null];
        assert!(matches!(
            Array::new(keys.iter(), ColumnType::BigInt),
            Some(Array::BigInt(v)) if v == [Some(1), None]
        ));
        let stamp = [Value::Timestamp(DateTime::UNIX_EPOCH)];
        let sql = update_shared::<Row>(Dialect::Postgres, &[2], &stamp, &keys).unwrap();
        assert_eq!(
            text::<Pg>(sql),
            r#"UPDATE "row" SET "updated_at" = $1 WHERE "id" = ANY($2)"#
        );
    }
}
