//! [`Value`]: one column value, as the library binds it, compares it and
//! reads it back, whatever the backend.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::schema::ColumnType;
use crate::{Error, Result};

/// One column value: what a model's [`crate::Model::values`] hold, what
/// filters compare with, and what backends bind and decode.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Text(String),
    /// UUID.
    Uuid(Uuid),
    /// UTC timestamp.
    Timestamp(DateTime<Utc>),
}

macro_rules! value_from {
    ($($t:ty => $v:ident $(as $cast:ty)?),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$v(v $(as $cast)?) }
        }
    )*};
}
value_from!(bool => Bool, i64 => Int, i32 => Int as i64, f64 => Float, String => Text, Uuid => Uuid, DateTime<Utc> => Timestamp);

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A stored key read back as a [`Value`] (by a backend's narrow `SELECT`)
/// converted to its Rust type.
macro_rules! value_into {
    ($($t:ty => $v:ident),*) => {$(
        impl TryFrom<Value> for $t {
            type Error = Error;

            /// # Errors
            /// [`Error::Backend`] when the value is of another type.
            fn try_from(v: Value) -> Result<Self> {
                match v {
                    Value::$v(x) => Ok(x),
                    other => Err(Error::backend(format!(
                        concat!("expected a ", stringify!($t), " value, read {:?}"),
                        other
                    ))),
                }
            }
        }
    )*};
}
value_into!(i64 => Int, String => Text, Uuid => Uuid, DateTime<Utc> => Timestamp);

impl Value {
    /// This value as the type of a column, converting what has one obvious
    /// meaning (a UUID or RFC 3339 string, an integer for a float column).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `field` when the value cannot be of that type.
    pub fn coerce(self, field: &str, ty: ColumnType) -> Result<Value> {
        let mismatch = |v: &Value| {
            Error::invalid_input(format!(
                "field `{field}` is {ty:?}; {v:?} is not a value of it"
            ))
        };
        Ok(match (self, ty) {
            (Value::Null, _) => Value::Null,
            (v @ Value::Bool(_), ColumnType::Bool) => v,
            (v @ Value::Int(_), ColumnType::BigInt | ColumnType::Integer) => v,
            (Value::Int(i), ColumnType::Double) => Value::Float(i as f64),
            (v @ Value::Float(_), ColumnType::Double) => v,
            (v @ Value::Text(_), ColumnType::Text | ColumnType::VarChar(_)) => v,
            (v @ Value::Uuid(_), ColumnType::Uuid) => v,
            (Value::Text(s), ColumnType::Uuid) => {
                Value::Uuid(Uuid::parse_str(&s).map_err(|_| mismatch(&Value::Text(s.clone())))?)
            }
            (v @ Value::Timestamp(_), ColumnType::Timestamp) => v,
            (Value::Text(s), ColumnType::Timestamp) => Value::Timestamp(
                DateTime::parse_from_rfc3339(&s)
                    .map_err(|_| mismatch(&Value::Text(s.clone())))?
                    .with_timezone(&Utc),
            ),
            (v, _) => return Err(mismatch(&v)),
        })
    }
}
