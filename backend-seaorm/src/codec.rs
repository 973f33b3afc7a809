//! Values between core and SeaORM: binding a [`Value`] as a
//! `sea_orm::Value` typed by its column, and decoding a row's columns back.

use alchemy_core::Value;
use alchemy_core::schema::{ColumnType, Dialect};
#[cfg(feature = "postgres")]
use alchemy_core::value::ValueArray;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

/// A core value as a SeaORM value for a column of type `ty` on `dialect`;
/// a NULL is typed after the column, so PostgreSQL can infer the type of a
/// `VALUES` column that holds only NULLs.
///
/// Values and NULLs bind as [`ColumnType::bound_as`] says (every integer
/// a `BIGINT`, every float a `DOUBLE PRECISION`), whatever the column's
/// width.
///
/// A UUID binds as a `Uuid` (16 bytes on SQLite and MariaDB). On MariaDB a
/// timestamp binds as a naive UTC `DATETIME`: sqlx sends a `DateTime<Utc>`
/// as a `TIMESTAMP`, which the server turns into NULL outside 1970-2038.
/// On SQLite a decimal binds as the `REAL` its column is there (SeaORM
/// would send its text).
pub(crate) fn bind_value(value: Value, ty: ColumnType, dialect: Dialect) -> sea_orm::Value {
    let naive = dialect == Dialect::MariaDb;
    let real = dialect == Dialect::Sqlite;
    match value {
        Value::Null => match ty.bound_as() {
            ColumnType::Bool => sea_orm::Value::Bool(None),
            ColumnType::BigInt => sea_orm::Value::BigInt(None),
            ColumnType::Double => sea_orm::Value::Double(None),
            ColumnType::Uuid => None::<Uuid>.into(),
            ColumnType::Timestamp if naive => sea_orm::Value::ChronoDateTime(None),
            ColumnType::Timestamp => None::<DateTime<Utc>>.into(),
            ColumnType::Date => sea_orm::Value::ChronoDate(None),
            ColumnType::Time => sea_orm::Value::ChronoTime(None),
            ColumnType::Bytes => sea_orm::Value::Bytes(None),
            ColumnType::Json => sea_orm::Value::Json(None),
            ColumnType::Decimal(..) if real => sea_orm::Value::Double(None),
            ColumnType::Decimal(..) => sea_orm::Value::Decimal(None),
            _ => sea_orm::Value::String(None),
        },
        Value::Bool(v) => v.into(),
        Value::Int(v) => v.into(),
        Value::Float(v) => v.into(),
        Value::Text(v) => v.into(),
        Value::Uuid(v) => v.into(),
        Value::Timestamp(v) if naive => v.naive_utc().into(),
        Value::Timestamp(v) => v.into(),
        Value::Date(v) => v.into(),
        Value::Time(v) => v.into(),
        Value::Bytes(v) => v.into(),
        Value::Json(v) => sea_orm::Value::Json(Some(Box::new(v))),
        Value::Decimal(v) if real => alchemy_core::value::decimal_to_f64(&v).into(),
        Value::Decimal(v) => sea_orm::Value::Decimal(Some(v)),
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
            ColumnType::SmallInt => row.try_get_by_index::<Option<i16>>(i)?.into(),
            ColumnType::Double => Value::from(row.try_get_by_index::<Option<f64>>(i)?),
            ColumnType::Real => Value::from(row.try_get_by_index::<Option<f32>>(i)?),
            ColumnType::Uuid => row.try_get_by_index::<Option<Uuid>>(i)?.into(),
            ColumnType::Timestamp => row.try_get_by_index::<Option<DateTime<Utc>>>(i)?.into(),
            ColumnType::Date => row.try_get_by_index::<Option<NaiveDate>>(i)?.into(),
            ColumnType::Time => row.try_get_by_index::<Option<NaiveTime>>(i)?.into(),
            ColumnType::Bytes => row.try_get_by_index::<Option<Vec<u8>>>(i)?.into(),
            ColumnType::Json => row
                .try_get_by_index::<Option<sea_orm::JsonValue>>(i)?
                .into(),
            ColumnType::Decimal(..) => row
                .try_get_by_index::<Option<crate::types::Decimal>>(i)?
                .map(|d| d.0)
                .into(),
            _ => row.try_get_by_index::<Option<String>>(i)?.into(),
        })
    };
    for (i, &ty) in types.iter().enumerate() {
        out.push(get(i, ty).map_err(alchemy_core::Error::backend)?);
    }
    Ok(())
}

#[cfg(feature = "postgres")]
/// `array` as one PostgreSQL array value (an `INTEGER` column takes a
/// `BIGINT` array).
///
/// # Errors
/// SeaORM's driver panics on a NULL element (and on one of another type,
/// which [`ValueArray::new`] refuses first), so for an `Err` or a NULL: an
/// empty array value, to bind in its place, and the reason the statement
/// must fail.
pub(crate) fn array_value(
    array: alchemy_core::Result<ValueArray<'_>>,
) -> Result<sea_orm::Value, (sea_orm::Value, String)> {
    use sea_orm::sea_query::ArrayType;
    /// Every element, or `None` when one is NULL.
    fn all<T: Into<sea_orm::Value>>(v: Vec<Option<T>>) -> Option<Vec<sea_orm::Value>> {
        v.into_iter().map(|e| e.map(Into::into)).collect()
    }
    let (kind, elements) = match array {
        Ok(ValueArray::Bool(v)) => (ArrayType::Bool, all(v)),
        Ok(ValueArray::Int(v)) => (ArrayType::BigInt, all(v)),
        Ok(ValueArray::Float(v)) => (ArrayType::Double, all(v)),
        Ok(ValueArray::Text(v)) => (
            ArrayType::String,
            v.into_iter()
                .map(|t| t.map(|t| t.to_owned().into()))
                .collect(),
        ),
        Ok(ValueArray::Uuid(v)) => (ArrayType::Uuid, all(v)),
        Ok(ValueArray::Timestamp(v)) => (ArrayType::ChronoDateTimeUtc, all(v)),
        Ok(ValueArray::Date(v)) => (ArrayType::ChronoDate, all(v)),
        Ok(ValueArray::Time(v)) => (ArrayType::ChronoTime, all(v)),
        Ok(ValueArray::Bytes(v)) => (
            ArrayType::Bytes,
            v.into_iter()
                .map(|b| b.map(|b| b.to_vec().into()))
                .collect(),
        ),
        Ok(ValueArray::Json(v)) => (
            ArrayType::Json,
            v.into_iter()
                .map(|j| j.map(|j| sea_orm::Value::Json(Some(Box::new(j.clone())))))
                .collect(),
        ),
        Ok(ValueArray::Decimal(v)) => (
            ArrayType::Decimal,
            v.into_iter()
                .map(|d| d.map(|d| sea_orm::Value::Decimal(Some(d))))
                .collect(),
        ),
        Err(e) => {
            return Err((
                sea_orm::Value::Array(ArrayType::String, None),
                e.to_string(),
            ));
        }
    };
    match elements {
        Some(elements) => Ok(sea_orm::Value::Array(kind, Some(Box::new(elements)))),
        None => {
            let why = format!("a NULL in an array of {kind:?}");
            Err((sea_orm::Value::Array(kind, None), why))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_typed_after_their_column() {
        let bind = |value, ty| bind_value(value, ty, Dialect::Postgres);
        assert_eq!(
            bind(Value::Null, ColumnType::Timestamp),
            None::<DateTime<Utc>>.into()
        );
        // One type per kind, whatever the value: see `bind_value`.
        for ty in [
            ColumnType::SmallInt,
            ColumnType::Integer,
            ColumnType::BigInt,
        ] {
            assert_eq!(bind(Value::Int(3), ty), 3i64.into());
            assert_eq!(bind(Value::Null, ty), sea_orm::Value::BigInt(None));
        }
        assert_eq!(bind(Value::Float(1.5), ColumnType::Real), 1.5f64.into());
        assert_eq!(
            bind(Value::Null, ColumnType::Real),
            sea_orm::Value::Double(None)
        );
    }

    /// MariaDB gets a `DATETIME`, not the `TIMESTAMP` sqlx sends for a
    /// `DateTime<Utc>`, which holds nothing outside 1970-2038.
    #[test]
    fn timestamps_bind_as_naive_utc_on_mariadb() {
        let at = DateTime::<Utc>::MIN_UTC;
        let ts = ColumnType::Timestamp;
        assert_eq!(
            bind_value(Value::Timestamp(at), ts, Dialect::MariaDb),
            sea_orm::Value::ChronoDateTime(Some(at.naive_utc()))
        );
        assert_eq!(
            bind_value(Value::Null, ts, Dialect::MariaDb),
            sea_orm::Value::ChronoDateTime(None)
        );
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            assert_eq!(
                bind_value(Value::Timestamp(at), ts, dialect),
                sea_orm::Value::ChronoDateTimeUtc(Some(at))
            );
        }
    }

    /// Every column type of core's MariaDB DDL, bound and decoded back
    /// exactly: `INT` as `i32`, `BOOLEAN` (a `TINYINT`), `BINARY(16)`
    /// UUIDs, `DATETIME(6)` past `TIMESTAMP`'s range, and text in the
    /// tables' `utf8mb4_nopad_bin` (trailing spaces kept); then NULLs.
    /// Runs when `ALCHEMY_TEST_MARIADB_URL` names a server (under CI it
    /// must). The conformance fixtures have no `INT` or `DOUBLE` column.
    #[tokio::test]
    #[cfg(feature = "mysql")]
    async fn every_column_type_round_trips_on_mariadb() {
        use alchemy_core::Database;
        use sea_orm::{ConnectionTrait, DbBackend, Statement};

        let Some(url) = crate::mariadb_test_url() else {
            return;
        };
        let at = |s: &str| Value::Timestamp(s.parse::<DateTime<Utc>>().unwrap());
        let columns = [
            (ColumnType::Integer, Value::Int(i32::MIN.into())),
            (ColumnType::SmallInt, Value::Int(i16::MIN.into())),
            (ColumnType::Real, Value::Float(f32::MAX.into())),
            (ColumnType::BigInt, Value::Int(i64::MAX)),
            (ColumnType::Double, Value::Float(-1.25e300)),
            (ColumnType::Bool, Value::Bool(true)),
            (ColumnType::Uuid, Value::Uuid(Uuid::now_v7())),
            (ColumnType::Timestamp, at("0001-01-01T00:00:00.000001Z")),
            (ColumnType::Timestamp, at("9999-12-31T23:59:59.999999Z")),
            (ColumnType::Text, Value::Text("Grüße, 世界 ".into())),
            (ColumnType::VarChar(20), Value::Text("a ".into())),
            (
                ColumnType::Date,
                Value::Date(NaiveDate::from_ymd_opt(1, 1, 1).unwrap()),
            ),
            (
                ColumnType::Date,
                Value::Date(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
            ),
            (
                ColumnType::Time,
                Value::Time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap()),
            ),
            (ColumnType::Bytes, Value::Bytes(vec![0, 255, 0])),
            (
                ColumnType::Json,
                Value::Json(serde_json::json!({"a": [1, 2.5, null], "b": "ü"})),
            ),
        ];
        let rules = Dialect::MariaDb.rules();
        let types: Vec<ColumnType> = columns.iter().map(|(ty, _)| *ty).collect();
        let definitions: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, &ty)| format!("c{i} {}", rules.column_type(ty)))
            .collect();
        let create = format!(
            "CREATE TEMPORARY TABLE codec_probe (n INT, {}){}",
            definitions.join(", "),
            rules.table_options()
        );
        let db = crate::SeaDb::connect(&url).await.unwrap();
        // A session is one connection: the temporary table is its own.
        let s = db.begin().await.unwrap();
        let tx = s.connection();
        tx.execute_unprepared(&create).await.unwrap();
        let names: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
        let marks = vec!["?"; columns.len()].join(", ");
        let insert = format!(
            "INSERT INTO codec_probe (n, {}) VALUES (1, {marks}), (2, {marks})",
            names.join(", ")
        );
        let values = columns
            .iter()
            .map(|(ty, v)| bind_value(v.clone(), *ty, Dialect::MariaDb))
            .chain(
                types
                    .iter()
                    .map(|&ty| bind_value(Value::Null, ty, Dialect::MariaDb)),
            );
        let insert = Statement::from_sql_and_values(DbBackend::MySql, insert, values);
        tx.execute_raw(insert).await.unwrap();
        let select = format!("SELECT {} FROM codec_probe ORDER BY n", names.join(", "));
        let rows = tx
            .query_all_raw(Statement::from_string(DbBackend::MySql, select))
            .await
            .unwrap();
        let mut decoded = Vec::new();
        for row in &rows {
            decode_values(row, &types, &mut decoded).unwrap();
        }
        let expected: Vec<Value> = columns
            .into_iter()
            .map(|(_, v)| v)
            .chain(types.iter().map(|_| Value::Null))
            .collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    #[cfg(feature = "postgres")]
    fn arrays_refuse_values_of_another_type() {
        let (ok, bad) = (Value::Int(1), Value::Text("x".into()));
        let of = |values: &[&Value]| array_value(ValueArray::new(values, ColumnType::BigInt));
        assert!(of(&[&ok]).is_ok());
        assert!(of(&[&ok, &bad]).is_err());
        assert!(of(&[&Value::Null]).is_err());
    }
}
