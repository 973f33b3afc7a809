//! Hand-written statements for what SeaORM's builders do not express
//! (`UPDATE .. FROM (VALUES ..)`, row-value `IN (VALUES ..)`), with every
//! value bound: identifiers come only from the model's table (quoted),
//! values only from [`Sql::bind`].

use alchemy_core::dialect::SqlDialect;
use alchemy_core::filter::Value;
use alchemy_core::schema::ColumnType;
use alchemy_core::value::ValueArray;
use sea_orm::{DbBackend, Statement};

#[cfg(feature = "postgres")]
use crate::codec::array_value;
use crate::codec::bind_value;

impl alchemy_core::sql::SqlWriter for Sql {
    fn dialect(&self) -> alchemy_core::schema::Dialect {
        self.rules.dialect()
    }

    fn push(&mut self, sql: &str) {
        Sql::push(self, sql);
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        let value = bind_value(value.clone(), ty, self.rules.dialect());
        Sql::bind(self, value);
    }

    fn bind_value(&mut self, value: Value, ty: ColumnType) {
        let value = bind_value(value, ty, self.rules.dialect());
        Sql::bind(self, value);
    }

    fn bind_value_array(&mut self, array: alchemy_core::Result<ValueArray<'_>>) {
        Sql::bind_value_array(self, array);
    }
}

/// A statement being written: SQL text plus its bound values, numbered the
/// way `backend` expects ([`SqlDialect::placeholder`]: `$1` on PostgreSQL,
/// `?` on SQLite and MariaDB). (Public only because the session's
/// [`alchemy_core::driver::Driver`] impl names it.)
#[derive(Debug)]
pub struct Sql {
    backend: DbBackend,
    rules: &'static dyn SqlDialect,
    text: String,
    values: Vec<sea_orm::Value>,
    /// Why the statement cannot be built (a value of the wrong type in an
    /// array, which SeaORM's driver would panic on).
    error: Option<String>,
}

impl Sql {
    /// A statement starting with `text`.
    pub(crate) fn new(backend: DbBackend, text: impl Into<String>) -> Self {
        Self {
            backend,
            rules: crate::driver::dialect(backend).rules(),
            text: text.into(),
            values: Vec::new(),
            error: None,
        }
    }

    /// Appends trusted SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: sea_orm::Value) -> &mut Self {
        self.values.push(value);
        self.rules.placeholder(&mut self.text, self.values.len());
        self
    }

    /// Appends a placeholder bound to `array`, one PostgreSQL array (an
    /// `INTEGER` column takes a `BIGINT` array). SeaORM's driver panics on
    /// an element of another type or a NULL, and on any array for another
    /// database (their dialects ask for none), so such values (and an
    /// `Err`) make the statement an error instead.
    #[cfg(feature = "postgres")]
    pub(crate) fn bind_value_array(
        &mut self,
        array: alchemy_core::Result<ValueArray<'_>>,
    ) -> &mut Self {
        if self.backend != DbBackend::Postgres {
            self.error
                .get_or_insert_with(|| format!("{:?} has no array parameters", self.backend));
            return self;
        }
        match array_value(array) {
            Ok(array) => self.bind(array),
            Err((empty, e)) => {
                self.error.get_or_insert(e);
                self.bind(empty)
            }
        }
    }

    /// Without PostgreSQL nothing asks for an array (SQLite's and MariaDB's
    /// dialects have none): the statement fails if something does.
    #[cfg(not(feature = "postgres"))]
    pub(crate) fn bind_value_array(
        &mut self,
        _: alchemy_core::Result<ValueArray<'_>>,
    ) -> &mut Self {
        self.error
            .get_or_insert_with(|| "array parameters need the `postgres` feature".into());
        self
    }

    /// The finished statement.
    ///
    /// # Errors
    /// [`alchemy_core::Error::Backend`] when a value could not be bound.
    pub(crate) fn build(self) -> alchemy_core::Result<Statement> {
        if let Some(e) = self.error {
            return Err(alchemy_core::Error::backend(e));
        }
        Ok(Statement::from_sql_and_values(
            self.backend,
            self.text,
            self.values,
        ))
    }

    /// The text and values, for a SeaORM custom expression.
    ///
    /// # Errors
    /// As [`Sql::build`].
    pub(crate) fn into_parts(self) -> alchemy_core::Result<(String, Vec<sea_orm::Value>)> {
        match self.error {
            Some(e) => Err(alchemy_core::Error::backend(e)),
            None => Ok((self.text, self.values)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn placeholders_follow_the_backend() {
        let mut pg = Sql::new(DbBackend::Postgres, "SELECT ");
        pg.bind(1i64.into()).push(", ").bind(2i64.into());
        assert_eq!(pg.build().unwrap().sql, "SELECT $1, $2");
        let mut lite = Sql::new(DbBackend::Sqlite, "SELECT ");
        alchemy_core::sql::SqlWriter::row(
            &mut lite,
            true,
            &mut [
                (Value::Null, ColumnType::Uuid),
                (Value::Int(1), ColumnType::BigInt),
            ]
            .into_iter(),
        );
        let stmt = lite.build().unwrap();
        assert_eq!(stmt.sql, "SELECT (?, ?)");
        let values = stmt.values.map(|v| v.0).unwrap_or_default();
        assert_eq!(values, vec![None::<Uuid>.into(), 1i64.into()]);
        let mut maria = Sql::new(DbBackend::MySql, "SELECT ");
        maria.bind(1i64.into()).push(", ").bind(2i64.into());
        assert_eq!(maria.build().unwrap().sql, "SELECT ?, ?");
    }

    /// SeaORM's MySQL and SQLite drivers panic on an array value: one asked
    /// for there fails the statement instead.
    #[test]
    fn arrays_fail_the_statement_off_postgres() {
        for backend in [DbBackend::MySql, DbBackend::Sqlite] {
            let mut sql = Sql::new(backend, "SELECT ");
            let one = Value::Int(1);
            sql.bind_value_array(ValueArray::new(&[&one], ColumnType::BigInt));
            assert!(sql.build().is_err(), "{backend:?}");
        }
    }
}
