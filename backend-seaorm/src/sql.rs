//! Hand-written statements for what SeaORM's builders do not express
//! (`UPDATE .. FROM (VALUES ..)`, row-value `IN (VALUES ..)`), with every
//! value bound: identifiers come only from the model's table (quoted),
//! values only from [`Sql::bind`].

use alchemy_core::filter::Value;
use alchemy_core::schema::ColumnType;
use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, Statement};
use uuid::Uuid;

/// A core value as a SeaORM value for a column of type `ty`; a NULL is typed
/// after the column, so PostgreSQL can infer the type of a `VALUES` column
/// that holds only NULLs.
pub(crate) fn bind_value(value: Value, ty: ColumnType) -> sea_orm::Value {
    match value {
        Value::Null => match ty {
            ColumnType::Bool => sea_orm::Value::Bool(None),
            ColumnType::BigInt => sea_orm::Value::BigInt(None),
            ColumnType::Integer => sea_orm::Value::Int(None),
            ColumnType::Double => sea_orm::Value::Double(None),
            ColumnType::Uuid => None::<Uuid>.into(),
            ColumnType::Timestamp => None::<DateTime<Utc>>.into(),
            _ => sea_orm::Value::String(None),
        },
        Value::Bool(v) => v.into(),
        Value::Int(v) => match (ty, i32::try_from(v)) {
            (ColumnType::Integer, Ok(small)) => small.into(),
            _ => v.into(),
        },
        Value::Float(v) => v.into(),
        Value::Text(v) => v.into(),
        Value::Uuid(v) => v.into(),
        Value::Timestamp(v) => v.into(),
        // `Value` is non-exhaustive; a new kind must be added here first.
        _ => sea_orm::Value::String(None),
    }
}

/// Appends column `i` of `row` to `out` as a core value of type
/// `types[i]`, for every `i` (a NULL as [`Value::Null`]).
///
/// # Errors
/// [`alchemy_core::Error::Backend`] when a column is missing or of another
/// type; `out` may then hold part of the row.
pub(crate) fn decode_values(
    row: &sea_orm::QueryResult,
    types: &[ColumnType],
    out: &mut Vec<Value>,
) -> alchemy_core::Result<()> {
    let get = |i: usize, ty: ColumnType| -> Result<Value, sea_orm::DbErr> {
        Ok(match ty {
            ColumnType::Bool => row.try_get_by_index::<Option<bool>>(i)?.into(),
            ColumnType::BigInt => row.try_get_by_index::<Option<i64>>(i)?.into(),
            // PostgreSQL's INTEGER decodes only as i32.
            ColumnType::Integer => row.try_get_by_index::<Option<i32>>(i)?.into(),
            ColumnType::Double => Value::from(row.try_get_by_index::<Option<f64>>(i)?),
            ColumnType::Uuid => row.try_get_by_index::<Option<Uuid>>(i)?.into(),
            ColumnType::Timestamp => row.try_get_by_index::<Option<DateTime<Utc>>>(i)?.into(),
            _ => row.try_get_by_index::<Option<String>>(i)?.into(),
        })
    };
    for (i, &ty) in types.iter().enumerate() {
        out.push(get(i, ty).map_err(alchemy_core::Error::backend)?);
    }
    Ok(())
}

impl alchemy_core::sql::SqlWriter for Sql {
    fn push(&mut self, sql: &str) {
        Sql::push(self, sql);
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        Sql::bind(self, bind_value(value.clone(), ty));
    }

    fn bind_value(&mut self, value: Value, ty: ColumnType) {
        Sql::bind(self, bind_value(value, ty));
    }

    fn bind_array(&mut self, values: &[&Value], ty: ColumnType) {
        Sql::bind_array(self, values, ty);
    }
}

/// A statement being written: SQL text plus its bound values, numbered the
/// way `backend` expects (`$1` on PostgreSQL, `?` on SQLite). (Public only
/// because the session's [`alchemy_core::driver::Driver`] impl names it.)
#[derive(Debug)]
pub struct Sql {
    backend: DbBackend,
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
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends a placeholder bound to `values` as one PostgreSQL array of
    /// column type `ty` (an `INTEGER` column takes a `BIGINT` array).
    /// SeaORM's driver panics on an element of another type or a NULL, so
    /// such values make the statement an error instead.
    pub(crate) fn bind_array(&mut self, values: &[&Value], ty: ColumnType) -> &mut Self {
        use sea_orm::sea_query::ArrayType;
        let element = |v: &Value| -> Option<sea_orm::Value> {
            Some(match (ty, v) {
                (ColumnType::Bool, Value::Bool(b)) => (*b).into(),
                (ColumnType::BigInt | ColumnType::Integer, Value::Int(i)) => (*i).into(),
                (ColumnType::Double, Value::Float(f)) => (*f).into(),
                (ColumnType::Uuid, Value::Uuid(u)) => (*u).into(),
                (ColumnType::Timestamp, Value::Timestamp(t)) => (*t).into(),
                (ColumnType::Text | ColumnType::VarChar(_), Value::Text(t)) => t.clone().into(),
                _ => return None,
            })
        };
        let kind = match ty {
            ColumnType::Bool => ArrayType::Bool,
            ColumnType::BigInt | ColumnType::Integer => ArrayType::BigInt,
            ColumnType::Double => ArrayType::Double,
            ColumnType::Uuid => ArrayType::Uuid,
            ColumnType::Timestamp => ArrayType::ChronoDateTimeUtc,
            _ => ArrayType::String,
        };
        match values
            .iter()
            .map(|v| element(v))
            .collect::<Option<Vec<_>>>()
        {
            Some(elements) => self.bind(sea_orm::Value::Array(kind, Some(Box::new(elements)))),
            None => {
                self.error.get_or_insert_with(|| {
                    format!("values of other types than {ty:?} in an array")
                });
                self.bind(sea_orm::Value::Array(kind, None))
            }
        }
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
    }

    #[test]
    fn nulls_are_typed_after_their_column() {
        assert_eq!(
            bind_value(Value::Null, ColumnType::Timestamp),
            None::<DateTime<Utc>>.into()
        );
        assert_eq!(bind_value(Value::Int(3), ColumnType::Integer), 3i32.into());
        assert_eq!(
            bind_value(Value::Int(i64::MAX), ColumnType::Integer),
            i64::MAX.into()
        );
    }
}
