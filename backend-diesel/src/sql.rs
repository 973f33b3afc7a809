//! The statement builder core's repository writes into ([`Sql`]), and its
//! diesel form ([`RawQuery`]): identifiers come only from the model's table
//! (quoted), every value is a bind parameter typed by its column, and the
//! selected columns are the model's diesel `Selectable` list, so rows load
//! with diesel's derives on both databases.

use std::borrow::Cow;

use alchemy_core::driver::CacheKey;

use crate::codec::{self, Array};
use alchemy_core::Value;
use alchemy_core::schema::{ColumnType, Dialect, Table};
use alchemy_core::value::ValueArray;
use diesel::expression::Expression;
#[cfg(feature = "postgres")]
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::BigInt;
#[cfg(feature = "sqlite")]
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

impl alchemy_core::sql::SqlWriter for Sql {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn push(&mut self, sql: &str) {
        Sql::push(self, sql.to_string());
    }

    fn push_static(&mut self, sql: &'static str) {
        Sql::push(self, sql);
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        Sql::bind(self, value.clone(), ty);
    }

    fn bind_value(&mut self, value: Value, ty: ColumnType) {
        Sql::bind(self, value, ty);
    }

    fn select_list(&mut self, _: &'static Table) {
        self.parts.push(Part::Select);
    }

    /// One part for the row, its values kept in one list.
    fn row(&mut self, _first: bool, values: &mut dyn Iterator<Item = (Value, ColumnType)>) {
        let before = self.rows.len();
        self.rows.extend(values);
        self.parts.push(Part::Row(self.rows.len() - before));
    }

    fn bind_value_array(&mut self, array: alchemy_core::Result<ValueArray<'_>>) {
        match array {
            Ok(array) => self.parts.push(Part::Array(array.into())),
            Err(e) => {
                self.error.get_or_insert_with(|| e.to_string());
            }
        }
    }

    fn text_varies(&mut self) {
        self.varies = true;
    }
}

/// A statement under construction: SQL text, bound values and the place of
/// the selected columns.
#[derive(Debug, Clone)]
pub struct Sql {
    /// The database it is written for.
    dialect: Dialect,
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
    /// The kind of a statement written the same way on every call for one
    /// model, which diesel then finds by type ([`Fixed`]).
    cache: Option<CacheKey>,
}

impl Sql {
    /// An empty statement, of kind `cache` if it is written the same way
    /// on every call for one model.
    pub(crate) fn keyed(dialect: Dialect, cache: Option<CacheKey>) -> Self {
        Self {
            dialect,
            // A get or a one-row insert: a few hundred bytes, which the
            // allocator's small-size caches serve.
            parts: Vec::with_capacity(8),
            rows: Vec::new(),
            varies: false,
            error: None,
            cache,
        }
    }

    /// The kind this statement was made as (see [`Sql::keyed`]).
    pub fn cache_key(&self) -> Option<CacheKey> {
        self.cache
    }

    fn push(&mut self, text: impl Into<Cow<'static, str>>) -> &mut Self {
        self.parts.push(Part::Text(text.into()));
        self
    }

    fn bind(&mut self, value: Value, ty: ColumnType) -> &mut Self {
        self.parts.push(Part::Bind(value, ty));
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
#[derive(Debug, Clone, Copy)]
pub struct Named;

impl<I> diesel::query_builder::Query for RawQuery<Named, I> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for Named {
    fn walk_ast<'b>(&'b self, _: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        Ok(())
    }
}

/// A [`Sql`] statement with its selected columns, runnable by diesel-async.
#[derive(Debug, Clone)]
pub struct RawQuery<S, I = ByText> {
    sql: Sql,
    select: S,
    id: std::marker::PhantomData<fn() -> I>,
}

/// How diesel finds the prepared form of a [`RawQuery`] in its statement
/// cache.
pub trait StatementId: 'static {
    /// Whether the statement's type identifies it.
    const BY_TYPE: bool;
}

/// Found by the statement's text (and bind types), which diesel builds and
/// hashes on every call.
#[derive(Debug, Clone, Copy)]
pub struct ByText;

impl StatementId for ByText {
    const BY_TYPE: bool = false;
}

/// A statement of kind `K` for model `M` whose text and bind types are the
/// same on every call (on one connection, so one dialect): diesel finds its
/// prepared form by type, so it does not build the text to look it up
/// (SQLite) or hash it (PostgreSQL), as for its own query DSL.
#[derive(Debug)]
pub struct Fixed<M, K>(std::marker::PhantomData<fn() -> (M, K)>);

impl<M: 'static, K: 'static> StatementId for Fixed<M, K> {
    const BY_TYPE: bool = true;
}

/// [`Fixed`] kind: [`CacheKey::GetByKey`].
#[derive(Debug)]
pub struct GetByKey;

/// [`Fixed`] kind: [`CacheKey::UpdateWhole`].
#[derive(Debug)]
pub(crate) struct UpdateWhole;

/// [`Fixed`] kind: [`CacheKey::InsertAbsent`].
#[derive(Debug)]
pub struct InsertAbsent;

impl<S, I: StatementId> QueryId for RawQuery<S, I> {
    type QueryId = I;
    const HAS_STATIC_QUERY_ID: bool = I::BY_TYPE;
}

impl<S: Expression, I> diesel::query_builder::Query for RawQuery<S, I> {
    type SqlType = S::SqlType;
}

macro_rules! walk_raw {
    ($db:ty, $bind:path, $array:path) => {
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

#[cfg(feature = "postgres")]
walk_raw!(Pg, codec::bind_pg, codec::array_pg);
#[cfg(feature = "sqlite")]
walk_raw!(Sqlite, codec::bind_sqlite, codec::array_sqlite);
#[cfg(feature = "mysql")]
walk_raw!(diesel::mysql::Mysql, codec::bind_mysql, codec::array_mysql);

/// Most binds the repository puts in one bulk statement on `dialect`.
pub(crate) fn statement_binds(dialect: Dialect) -> usize {
    dialect.max_binds().min(BINDS_PER_STATEMENT)
}

/// Most binds in one bulk statement, far below the databases' limits: diesel
/// holds a statement's text pieces and binds and then copies the binds, so
/// memory grows with the statement while time per row does not drop past a
/// few thousand binds.
const BINDS_PER_STATEMENT: usize = 8_192;

/// The select of a statement whose text names its one column (`count(*)`,
/// `RETURNING created_at`): nothing is written, and the column loads as SQL
/// type `ST`. Not an SQL literal, which diesel never caches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Typed<ST>(std::marker::PhantomData<fn() -> ST>);

impl<ST> Typed<ST> {
    /// The select.
    pub(crate) const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<ST> Default for Typed<ST> {
    fn default() -> Self {
        Self::new()
    }
}

impl<ST: diesel::sql_types::SqlType + diesel::sql_types::SingleValue> Expression for Typed<ST> {
    type SqlType = ST;
}

impl<ST, DB: diesel::backend::Backend> QueryFragment<DB> for Typed<ST> {
    fn walk_ast<'b>(&'b self, _: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        Ok(())
    }
}

/// The select of a list-and-count: the model's columns (`S`), then the
/// `BIGINT` total the text names after them; loads as `(model, i64)`.
#[derive(Debug, Clone, Copy)]
pub struct WithTotal<S>(pub S);

impl<S: Expression> Expression for WithTotal<S> {
    type SqlType = (S::SqlType, BigInt);
}

impl<S: QueryFragment<DB>, DB: diesel::backend::Backend> QueryFragment<DB> for WithTotal<S> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        self.0.walk_ast(out)
    }
}

#[cfg(all(test, feature = "postgres", feature = "sqlite"))]
mod tests {
    use super::*;
    use alchemy_core::sql::SqlWriter;
    use diesel::sql_types::{BigInt, Timestamptz};

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
    fn counts_totals_and_read_backs_are_cached_statements() {
        // The select walked where the statement names its columns.
        let count = || {
            let mut sql = Sql::keyed(Dialect::Postgres, None);
            sql.push_static("SELECT ");
            sql.parts.push(Part::Select);
            sql.push_static(" FROM \"t\"");
            sql
        };
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            assert!(cached(count(), Typed::<BigInt>::new(), dialect));
            assert!(cached(count(), WithTotal(Typed::<BigInt>::new()), dialect));
            assert!(cached(count(), Typed::<Timestamptz>::new(), dialect));
        }
        // Why the repository does not select SQL literals: diesel never caches
        // a PostgreSQL statement holding one, so every call would prepare anew.
        let literal = diesel::dsl::sql::<BigInt>("count(*) OVER ()");
        assert!(!cached(count(), literal, Dialect::Postgres));
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
    fn rows_are_one_part_with_one_placeholder_per_value() {
        let mut sql = Sql::keyed(Dialect::Postgres, None);
        sql.push_static("INSERT INTO \"t\" (\"a\", \"b\") VALUES ");
        for first in [true, false] {
            let mut row = [
                (Value::Int(1), ColumnType::BigInt),
                (Value::Null, ColumnType::Text),
            ]
            .into_iter();
            sql.row(first, &mut row);
        }
        assert_eq!(sql.parts.len(), 3, "the text and one part per row");
        assert_eq!(
            text::<Pg>(sql),
            r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4)"#
        );
    }

    #[test]
    fn arrays_only_for_values_of_the_column_type() {
        let mixed = [Value::Int(1), Value::from("x")];
        let mut sql = Sql::keyed(Dialect::Postgres, None);
        sql.bind_array(&[&mixed[0], &mixed[1]], ColumnType::BigInt);
        assert!(sql.error.is_some(), "the statement fails");
        let keys = [Value::Int(1), Value::Null];
        assert!(matches!(
            ValueArray::new(&[&keys[0], &keys[1]], ColumnType::BigInt).map(Array::from),
            Ok(Array::BigInt(v)) if v == [Some(1), None]
        ));
        let mut sql = Sql::keyed(Dialect::Postgres, None);
        sql.push_static("SELECT 1 WHERE \"n\" = ANY(");
        sql.bind_array(&[&Value::Int(1), &Value::Int(2)], ColumnType::Integer);
        sql.push_static(")");
        // INTEGER is bound as an int8[] array, which PostgreSQL compares with it.
        assert_eq!(text::<Pg>(sql), r#"SELECT 1 WHERE "n" = ANY($1)"#);
    }
}
