//! SQL text for the repository: the statement builder, column lists, rows,
//! conditions, queries.
//!
//! Identifiers come only from the model's `Table` (quoted); every value is a
//! bind parameter.

use std::any::TypeId;
use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};

use alchemy_core::base::key_from_database;
use alchemy_core::filter::Value;
use alchemy_core::schema::{Column, ColumnType, Table, quote};
use alchemy_core::sql::SqlWriter;
use alchemy_core::{Error, Model, Result};
use sqlx::error::BoxDynError;

use crate::backend::SqlxBackend;

/// One statement being built: its text and its bind values. (Public only
/// because [`SqlxBackend`]'s sealed methods take it.)
///
/// sqlx's `QueryBuilder` formats every fragment and placeholder through
/// `std::fmt`; this appends them, which is most of the cost of building a
/// statement for one row.
pub struct Sql<DB: SqlxBackend> {
    /// The text: built, or made once and cached ([`Sql::fixed`]).
    text: Cow<'static, str>,
    args: DB::Arguments,
    binds: usize,
    /// The first value that failed to encode; the statement then fails
    /// when run, with that error.
    error: Option<BoxDynError>,
}

impl<DB: SqlxBackend> Sql<DB> {
    /// A statement starting with `head`.
    pub(crate) fn new(head: &str) -> Self {
        let mut text = String::with_capacity(head.len() + 128);
        text.push_str(head);
        Self::with_text(Cow::Owned(text))
    }

    /// A statement whose whole text, placeholders included, is `text` (see
    /// [`cached`]); add its values with [`Sql::arg`].
    pub(crate) fn fixed(text: &'static str) -> Self {
        Self::with_text(Cow::Borrowed(text))
    }

    fn with_text(text: Cow<'static, str>) -> Self {
        Self {
            text,
            args: DB::Arguments::default(),
            binds: 0,
            error: None,
        }
    }

    /// Appends trusted SQL text (keywords, quoted identifiers).
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.text.to_mut().push_str(sql);
        self
    }

    /// Appends a placeholder and binds `value` to it; a NULL is typed after
    /// the column type `ty`.
    pub(crate) fn bind(&mut self, value: impl Borrow<Value>, ty: ColumnType) -> &mut Self {
        DB::placeholder(self.text.to_mut(), self.binds + 1);
        self.arg(value, ty)
    }

    /// Appends a placeholder and binds `values` to it as one array
    /// (PostgreSQL; see [`SqlxBackend::add_array`]).
    pub(crate) fn bind_array(&mut self, values: &[&Value], ty: ColumnType) -> &mut Self {
        self.binds += 1;
        DB::placeholder(self.text.to_mut(), self.binds);
        if let Err(e) = DB::add_array(&mut self.args, values, ty)
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self
    }

    /// Binds `value` to the next placeholder already in the text.
    pub(crate) fn arg(&mut self, value: impl Borrow<Value>, ty: ColumnType) -> &mut Self {
        self.binds += 1;
        if let Err(e) = DB::add_value(&mut self.args, value.borrow(), ty)
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self
    }

    /// The text so far.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// How many values are bound.
    #[cfg(test)]
    pub(crate) fn binds(&self) -> usize {
        self.binds
    }

    /// The text alone (to cache: see [`cached`]).
    pub(crate) fn into_text(self) -> String {
        self.text.into_owned()
    }

    /// The text and the bind values.
    ///
    /// # Errors
    /// The first value that failed to encode, as sqlx reports it.
    pub(crate) fn into_parts(self) -> sqlx::Result<(Cow<'static, str>, DB::Arguments)> {
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok((self.text, self.args)),
        }
    }
}

impl<DB: SqlxBackend> SqlWriter for Sql<DB> {
    fn push(&mut self, sql: &str) {
        Sql::push(self, sql);
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        Sql::bind(self, value, ty);
    }

    fn bind_array(&mut self, values: &[&Value], ty: ColumnType) {
        Sql::bind_array(self, values, ty);
    }
}

impl<DB: SqlxBackend> std::fmt::Debug for Sql<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql")
            .field("text", &self.text)
            .field("binds", &self.binds)
            .finish_non_exhaustive()
    }
}

/// Statements whose text depends only on the model, the database and the
/// kind of statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fixed {
    /// `SELECT <every column> FROM t WHERE key = ?`.
    GetByKey,
    /// `UPDATE t SET <every column but key and created_at> WHERE key = ?
    /// RETURNING created_at`.
    UpdateWhole,
    /// One row's `INSERT .. ON CONFLICT DO NOTHING RETURNING <every column>`.
    InsertAbsent,
}

type Texts = HashMap<(TypeId, TypeId, Fixed), &'static str, foldhash::fast::RandomState>;

/// The text of statement `kind` for model `M` on database `DB`: built by
/// `build` on first use, then the same `&'static str` (sqlx finds its
/// prepared statement by the text, and a static text is neither copied nor
/// freed per call). One text per model, database and kind is kept for the
/// life of the program, as the models' tables are.
///
/// # Errors
/// `build`'s error (the text is then not cached).
pub(crate) fn cached<DB: SqlxBackend, M: 'static>(
    kind: Fixed,
    build: impl FnOnce() -> Result<String>,
) -> Result<&'static str> {
    static TEXTS: OnceLock<RwLock<Texts>> = OnceLock::new();
    let texts = TEXTS.get_or_init(RwLock::default);
    let key = (TypeId::of::<M>(), TypeId::of::<DB>(), kind);
    // A poisoned lock only means a panic elsewhere mid-insert; the map is
    // still whole.
    if let Some(text) = texts
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(text);
    }
    let built = build()?;
    let mut texts = texts.write().unwrap_or_else(PoisonError::into_inner);
    Ok(texts.entry(key).or_insert_with(|| built.leak()))
}

/// Appends the decimal digits of `n`.
pub(crate) fn push_digits(text: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b"0123456789"[usize::try_from(n % 10).unwrap_or(0)];
        n /= 10;
        if n == 0 {
            break;
        }
    }
    text.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// Quoted, comma-separated column list, each qualified by `alias`.
pub(crate) fn select_list(table: &Table, alias: &str) -> String {
    let prefix = format!("{}.", quote(alias));
    table
        .columns()
        .iter()
        .map(|c| format!("{prefix}{}", quote(&c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn key_column(table: &Table) -> Result<&Column> {
    let name = table.primary_key_columns().first().ok_or_else(|| {
        Error::invalid_input(format!("table `{}` has no primary key", table.name()))
    })?;
    table.check_field(name)
}

/// Indexes of the columns an insert writes (all but a database-made key).
pub(crate) fn insert_columns<M: Model>(table: &Table) -> Vec<usize> {
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

/// `INSERT INTO t (c, ..) VALUES ` for columns `columns`.
pub(crate) fn insert_head(table: &Table, columns: &[usize]) -> String {
    let mut head = String::with_capacity(table.select_list().len() + 40);
    head.push_str("INSERT INTO ");
    head.push_str(table.quoted_name());
    head.push_str(" (");
    for (n, name) in columns
        .iter()
        .filter_map(|&i| table.quoted_column(i))
        .enumerate()
    {
        if n > 0 {
            head.push_str(", ");
        }
        head.push_str(name);
    }
    head.push_str(") VALUES ");
    head
}

/// `(?, ..)`: the values of `columns` of one row.
pub(crate) fn push_row<DB: SqlxBackend>(
    qb: &mut Sql<DB>,
    table: &Table,
    columns: &[usize],
    mut values: Vec<Value>,
) {
    qb.push("(");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        // Moved out, not cloned: each column is bound once.
        let value = values
            .get_mut(i)
            .map_or(Value::Null, |v| std::mem::replace(v, Value::Null));
        qb.bind(value, table.columns()[i].ty);
    }
    qb.push(")");
}

pub(crate) fn key_type(table: &Table) -> ColumnType {
    key_column(table).map_or(ColumnType::Text, |c| c.ty)
}

pub(crate) fn key_type_of<M: Model>() -> ColumnType {
    key_type(M::table())
}

#[cfg(test)]
mod tests {
    use alchemy_core::base::BigIntAuditBase;
    use alchemy_core::filter::{Condition, Query};
    use alchemy_core::schema::Column;
    use alchemy_core::schema::Dialect;

    use super::*;

    fn tag() -> Table {
        Table::with_base::<BigIntAuditBase>("tag").column(Column::new("name", ColumnType::Text))
    }

    #[test]
    fn digits_are_written_in_decimal() {
        for n in [0, 7, 10, 12_345, u64::MAX] {
            let mut text = String::new();
            push_digits(&mut text, n);
            assert_eq!(text, n.to_string());
        }
    }

    #[test]
    fn placeholders_are_numbered_on_postgres_and_plain_on_sqlite() {
        let mut pg = Sql::<sqlx::Postgres>::new("SELECT ");
        for i in 0..11 {
            pg.bind(Value::Int(i), ColumnType::BigInt).push(",");
        }
        assert_eq!(pg.text(), "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,");
        let mut lite = Sql::<sqlx::Sqlite>::new("SELECT ");
        lite.bind(Value::Null, ColumnType::Uuid)
            .push(",")
            .bind(Value::Text("x".into()), ColumnType::Text);
        assert_eq!(lite.text(), "SELECT ?,?");
        assert!(lite.into_parts().is_ok());
    }

    #[test]
    fn queries_use_quoted_names_a_literal_limit_and_a_bound_offset() {
        let table = tag();
        let query = Query::new()
            .filter(Condition::eq("name", "a"))
            .order_by_desc("created_at")
            .limit(20)
            .offset(40);
        let mut pg = Sql::<sqlx::Postgres>::new("SELECT 1 FROM t");
        alchemy_core::sql::write_query(&mut pg, &table, Dialect::Postgres, &query).unwrap();
        assert_eq!(
            pg.text(),
            "SELECT 1 FROM t WHERE \"name\" = $1 ORDER BY \"created_at\" DESC LIMIT 20 OFFSET $2"
        );
        let mut lite = Sql::<sqlx::Sqlite>::new("SELECT 1 FROM t");
        alchemy_core::sql::write_query(&mut lite, &table, Dialect::Sqlite, &Query::new().offset(3))
            .unwrap();
        assert_eq!(lite.text(), "SELECT 1 FROM t LIMIT -1 OFFSET ?");
    }

    #[test]
    fn fixed_texts_are_built_once_per_model_database_and_kind() {
        struct A;
        struct B;
        let fail = cached::<sqlx::Postgres, A>(Fixed::GetByKey, || Err(Error::backend("no")));
        assert!(fail.is_err(), "an error is not cached");
        let a = cached::<sqlx::Postgres, A>(Fixed::GetByKey, || Ok("a".into())).unwrap();
        let again = cached::<sqlx::Postgres, A>(Fixed::GetByKey, || Ok("other".into())).unwrap();
        assert!(std::ptr::eq(a, again), "built once");
        let b = cached::<sqlx::Postgres, B>(Fixed::GetByKey, || Ok("b".into())).unwrap();
        let lite = cached::<sqlx::Sqlite, A>(Fixed::GetByKey, || Ok("lite".into())).unwrap();
        let kind = cached::<sqlx::Postgres, A>(Fixed::UpdateWhole, || Ok("u".into())).unwrap();
        assert_eq!((a, b, lite, kind), ("a", "b", "lite", "u"));

        let mut qb = Sql::<sqlx::Postgres>::fixed(a);
        qb.arg(Value::Int(1), ColumnType::BigInt);
        assert_eq!((qb.text(), qb.binds()), ("a", 1), "args add no placeholder");
    }

    #[test]
    fn an_unknown_field_is_an_error_not_sql() {
        let table = tag();
        let mut qb = Sql::<sqlx::Postgres>::new("SELECT 1 FROM t");
        let bad = Query::new().order_by("name; DROP TABLE tag");
        let e =
            alchemy_core::sql::write_query(&mut qb, &table, Dialect::Postgres, &bad).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    }
}
