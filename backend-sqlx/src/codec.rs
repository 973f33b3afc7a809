//! Values between core and sqlx: binding a [`Value`] typed by its column
//! (a NULL typed after it, PostgreSQL arrays of one type) and decoding a
//! column back. Written as macros where sqlx's bounds hold only for each
//! concrete database; [`crate::backend`] expands them for both.

// What PostgreSQL's arrays use; the macros name their paths in full.
#[cfg(feature = "postgres")]
use {
    alchemy_core::value::ValueArray, sqlx::Arguments, sqlx::error::BoxDynError,
    sqlx::postgres::PgArguments,
};

/// Adds `$value` to `$args` as a parameter of column type `$ty`; a NULL is
/// typed after the column. `$timestamp` gives a timestamp's encoded form.
macro_rules! add_value {
    ($args:expr, $value:expr, $ty:expr, $timestamp:expr) => {
        match $value {
            // Typed as `ColumnType::bound_as` says, as the values are.
            Value::Null => match $ty.bound_as() {
                ColumnType::Bool => $args.add(None::<bool>),
                ColumnType::BigInt => $args.add(None::<i64>),
                ColumnType::Double => $args.add(None::<f64>),
                ColumnType::Uuid => $args.add(None::<uuid::Uuid>),
                ColumnType::Timestamp => $args.add(None::<chrono::DateTime<chrono::Utc>>),
                ColumnType::Date => $args.add(None::<chrono::NaiveDate>),
                ColumnType::Time => $args.add(None::<chrono::NaiveTime>),
                ColumnType::Bytes => $args.add(None::<Vec<u8>>),
                ColumnType::Json => $args.add(None::<sqlx::types::Json<sqlx::types::JsonValue>>),
                ColumnType::Decimal(..) => $args.add(None::<crate::types::Decimal>),
                _ => $args.add(None::<String>),
            },
            Value::Bool(v) => $args.add(*v),
            Value::Int(v) => $args.add(*v),
            Value::Float(v) => $args.add(*v),
            // Encoded from the borrowed text: the arguments copy it once.
            Value::Text(v) => $args.add(v.as_str()),
            Value::Uuid(v) => $args.add(*v),
            Value::Timestamp(v) => $args.add($timestamp(*v)),
            Value::Date(v) => $args.add(*v),
            Value::Time(v) => $args.add(*v),
            Value::Bytes(v) => $args.add(v.as_slice()),
            // `jsonb` on PostgreSQL, text (serde_json's form) elsewhere.
            Value::Json(v) => $args.add(sqlx::types::Json(v)),
            // `NUMERIC` on PostgreSQL and MariaDB, a `REAL` on SQLite.
            Value::Decimal(v) => $args.add(crate::types::Decimal(*v)),
            // `Value` is non-exhaustive; a new kind must be added here first.
            _ => $args.add(None::<String>),
        }
    };
}

pub(crate) use add_value;

/// Adds a model's lent field of column type `$ty` to `$args` without a
/// copy (text, bytes, JSON), as a `Some(sqlx::Result)`; `None` for any
/// other field, which is bound as a value.
macro_rules! add_lent {
    ($args:expr, $field:expr, $ty:expr) => {{
        let field: &dyn std::any::Any = $field;
        match $ty {
            ColumnType::Text | ColumnType::VarChar(_) => field
                .downcast_ref::<String>()
                .map(|s| $args.add(s.as_str())),
            ColumnType::Bytes => field
                .downcast_ref::<Vec<u8>>()
                .map(|b| $args.add(b.as_slice())),
            ColumnType::Json => field
                .downcast_ref::<sqlx::types::JsonValue>()
                .or_else(|| {
                    field
                        .downcast_ref::<Option<sqlx::types::JsonValue>>()
                        .and_then(Option::as_ref)
                })
                .map(|j| $args.add(sqlx::types::Json(j))),
            _ => None,
        }
    }};
}

pub(crate) use add_lent;

/// Column `$i` of `$row` decoded as a core value of column type `$ty` (a
/// NULL as [`Value::Null`]), as a `sqlx::Result<Value>`.
macro_rules! decode_value {
    ($row:expr, $i:expr, $ty:expr) => {
        (|| -> sqlx::Result<Value> {
            let (row, i) = ($row, $i);
            Ok(match $ty {
                ColumnType::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
                ColumnType::BigInt => row.try_get::<Option<i64>, _>(i)?.into(),
                // PostgreSQL's INTEGER decodes only as i32.
                ColumnType::Integer => row.try_get::<Option<i32>, _>(i)?.into(),
                ColumnType::SmallInt => row.try_get::<Option<i16>, _>(i)?.into(),
                ColumnType::Double => Value::from(row.try_get::<Option<f64>, _>(i)?),
                ColumnType::Real => Value::from(row.try_get::<Option<f32>, _>(i)?),
                ColumnType::Uuid => row.try_get::<Option<uuid::Uuid>, _>(i)?.into(),
                ColumnType::Timestamp => row
                    .try_get::<Option<chrono::DateTime<chrono::Utc>>, _>(i)?
                    .into(),
                ColumnType::Date => row.try_get::<Option<chrono::NaiveDate>, _>(i)?.into(),
                ColumnType::Time => row.try_get::<Option<chrono::NaiveTime>, _>(i)?.into(),
                ColumnType::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.into(),
                ColumnType::Json => row
                    .try_get::<Option<sqlx::types::Json<sqlx::types::JsonValue>>, _>(i)?
                    .map(|j| j.0)
                    .into(),
                ColumnType::Decimal(..) => row
                    .try_get::<Option<crate::types::Decimal>, _>(i)?
                    .map(|d| d.0)
                    .into(),
                _ => row.try_get::<Option<String>, _>(i)?.into(),
            })
        })()
    };
}
pub(crate) use decode_value;

#[cfg(feature = "postgres")]
/// Adds `array` to `args` as one PostgreSQL array ([`ValueArray`]: an
/// `INTEGER` column takes a BIGINT array).
///
/// # Errors
/// sqlx's encoding error (none of these element types has one).
pub(crate) fn add_pg_array(
    args: &mut PgArguments,
    array: ValueArray<'_>,
) -> Result<(), BoxDynError> {
    match array {
        ValueArray::Bool(v) => args.add(v),
        ValueArray::Int(v) => args.add(v),
        ValueArray::Float(v) => args.add(v),
        ValueArray::Text(v) => args.add(v),
        ValueArray::Uuid(v) => args.add(v),
        ValueArray::Timestamp(v) => args.add(v),
        ValueArray::Date(v) => args.add(v),
        ValueArray::Time(v) => args.add(v),
        ValueArray::Bytes(v) => args.add(v),
        ValueArray::Json(v) => args.add(
            v.into_iter()
                .map(|j| j.map(sqlx::types::Json))
                .collect::<Vec<_>>(),
        ),
        ValueArray::Decimal(v) => args.add(v),
    }
}
