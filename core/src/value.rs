//! [`Value`]: one column value, as the library binds it, compares it and
//! reads it back, whatever the backend.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::schema::{ColumnType, MAX_DECIMAL_PRECISION};
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
    /// Calendar date.
    Date(NaiveDate),
    /// Time of day, to the microsecond.
    Time(NaiveTime),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A JSON document (SQL NULL is [`Value::Null`]; JSON's `null` is
    /// `Json(serde_json::Value::Null)`).
    Json(serde_json::Value),
    /// An exact decimal.
    Decimal(Decimal),
}

macro_rules! value_from {
    ($($t:ty => $v:ident $(as $cast:ty)?),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$v(v $(as $cast)?) }
        }
    )*};
}
value_from!(bool => Bool, i64 => Int, i32 => Int as i64, i16 => Int as i64, f64 => Float, f32 => Float as f64, String => Text, Uuid => Uuid, DateTime<Utc> => Timestamp, NaiveDate => Date, NaiveTime => Time, Vec<u8> => Bytes, serde_json::Value => Json, Decimal => Decimal);

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

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
value_into!(i64 => Int, String => Text, Uuid => Uuid, DateTime<Utc> => Timestamp, NaiveDate => Date, NaiveTime => Time, Vec<u8> => Bytes, serde_json::Value => Json, Decimal => Decimal);

impl Value {
    /// This value as the type of a column, converting what has one obvious
    /// meaning (a UUID or RFC 3339 string, an integer for a float column, a
    /// `YYYY-MM-DD` date, an `HH:MM:SS[.ffffff]` time, standard base64
    /// for bytes: the forms the JSON query language writes them in; for a
    /// JSON column, a boolean, number or text is that JSON value; for a
    /// decimal column, an integer, a decimal string such as `"12.50"`, or a
    /// float read as the shortest decimal that is that float, so `0.1` is
    /// `0.1`).
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
            (
                v @ Value::Int(_),
                ColumnType::BigInt | ColumnType::Integer | ColumnType::SmallInt,
            ) => v,
            (Value::Int(i), ColumnType::Double | ColumnType::Real) => Value::Float(i as f64),
            (v @ Value::Float(_), ColumnType::Double | ColumnType::Real) => v,
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
            (v @ Value::Date(_), ColumnType::Date) => v,
            (Value::Text(s), ColumnType::Date) => Value::Date(
                NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .map_err(|_| mismatch(&Value::Text(s.clone())))?,
            ),
            (v @ Value::Time(_), ColumnType::Time) => v,
            (Value::Text(s), ColumnType::Time) => Value::Time(
                NaiveTime::parse_from_str(&s, "%H:%M:%S%.f")
                    .map_err(|_| mismatch(&Value::Text(s.clone())))?,
            ),
            (v @ Value::Bytes(_), ColumnType::Bytes) => v,
            (v @ Value::Json(_), ColumnType::Json) => v,
            (Value::Bool(b), ColumnType::Json) => Value::Json(b.into()),
            (Value::Int(i), ColumnType::Json) => Value::Json(i.into()),
            (Value::Float(f), ColumnType::Json) => Value::Json(
                serde_json::Number::from_f64(f)
                    .map(serde_json::Value::Number)
                    .ok_or_else(|| mismatch(&Value::Float(f)))?,
            ),
            (Value::Text(s), ColumnType::Json) => Value::Json(s.into()),
            (v @ Value::Decimal(_), ColumnType::Decimal(..)) => v,
            (Value::Int(i), ColumnType::Decimal(..)) => Value::Decimal(Decimal::from(i)),
            (Value::Float(f), ColumnType::Decimal(..)) => {
                Value::Decimal(decimal_from_f64(f).ok_or_else(|| mismatch(&Value::Float(f)))?)
            }
            (Value::Text(s), ColumnType::Decimal(..)) => Value::Decimal(
                s.parse::<Decimal>()
                    .map_err(|_| mismatch(&Value::Text(s.clone())))?,
            ),
            (Value::Text(s), ColumnType::Bytes) => Value::Bytes(
                BASE64
                    .decode(&s)
                    .map_err(|_| mismatch(&Value::Text(s.clone())))?,
            ),
            (v, _) => return Err(mismatch(&v)),
        })
    }
}

/// Powers of ten an `f64` holds exactly: 10^22 is the last.
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `f` as the shortest decimal that parses back to it (`0.1` is `0.1`, not
/// the binary fraction nearest it): every decimal of at most 15
/// significant digits comes back exactly, which is how SQLite's `REAL`
/// reads a decimal column. `None` for NaN, an infinity or a float beyond
/// a decimal's 28 digits.
pub fn decimal_from_f64(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    // The fewest places whose decimal is `f`: `m / 10^s` of a whole `m`
    // below 2^53 divides two exact floats, so it rounds once, as parsing
    // does, and the test is exact. Below 2^51 the product's error is under
    // a half, so `round` finds the `m` when there is one.
    for (places, power) in (0u32..=15).zip(EXACT_POWERS) {
        let scaled = f * power;
        if scaled.abs() >= 2_251_799_813_685_248.0 {
            break;
        }
        let m = scaled.round();
        if m / power == f {
            #[allow(clippy::cast_possible_truncation)] // whole, below 2^51
            return Some(Decimal::new(m as i64, places));
        }
    }
    // `{}` prints the shortest digits that read back as `f`, never in
    // exponent form; `from_str_exact` refuses what a decimal cannot hold
    // (28 digits) rather than round it.
    Decimal::from_str_exact(&f.to_string()).ok()
}

/// `d` as the `f64` nearest it (correctly rounded), as SQLite's `REAL`
/// stores a decimal column; exact for every decimal of at most 15
/// significant digits.
pub fn decimal_to_f64(d: &Decimal) -> f64 {
    let (m, places) = (d.mantissa(), d.scale() as usize);
    // Both exact, so the one division rounds correctly.
    if m.unsigned_abs() < 1 << 53
        && let Some(power) = EXACT_POWERS.get(places)
    {
        return m as f64 / power;
    }
    // Rust's float parsing rounds correctly; a decimal's text always parses.
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// The values of one column as one typed array, for a database that binds
/// a list as one array ([`Lists::Array`](crate::dialect::Lists::Array)):
/// each backend's codec binds the vector of its variant. A NULL is `None`;
/// an `INTEGER` column's values make a `BIGINT` array, which PostgreSQL
/// compares with it, indexes included. Not `non_exhaustive`: a new kind
/// must get an arm in every backend's codec.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueArray<'v> {
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Integers (`BIGINT` and `INTEGER` columns).
    Int(Vec<Option<i64>>),
    /// Floats.
    Float(Vec<Option<f64>>),
    /// Text, borrowed from the values.
    Text(Vec<Option<&'v str>>),
    /// UUIDs.
    Uuid(Vec<Option<Uuid>>),
    /// UTC timestamps.
    Timestamp(Vec<Option<DateTime<Utc>>>),
    /// Dates.
    Date(Vec<Option<NaiveDate>>),
    /// Times of day.
    Time(Vec<Option<NaiveTime>>),
    /// Bytes, borrowed from the values.
    Bytes(Vec<Option<&'v [u8]>>),
    /// JSON documents, borrowed from the values (bulk writes bind them as
    /// an array; filters never list them).
    Json(Vec<Option<&'v serde_json::Value>>),
    /// Decimals.
    Decimal(Vec<Option<Decimal>>),
}

impl<'v> ValueArray<'v> {
    /// The elements as values (a NULL for `None`), and the column type the
    /// array binds as (`BIGINT` for integers).
    pub fn to_values(&self) -> (Vec<Value>, ColumnType) {
        fn each<T: Clone + Into<Value>>(v: &[Option<T>]) -> Vec<Value> {
            v.iter().map(|e| Value::from(e.clone())).collect()
        }
        match self {
            Self::Bool(v) => (each(v), ColumnType::Bool),
            Self::Int(v) => (each(v), ColumnType::BigInt),
            Self::Float(v) => (each(v), ColumnType::Double),
            Self::Text(v) => (each(v), ColumnType::Text),
            Self::Uuid(v) => (each(v), ColumnType::Uuid),
            Self::Timestamp(v) => (each(v), ColumnType::Timestamp),
            Self::Date(v) => (each(v), ColumnType::Date),
            Self::Time(v) => (each(v), ColumnType::Time),
            Self::Bytes(v) => (each(v), ColumnType::Bytes),
            Self::Json(v) => (
                v.iter()
                    .map(|e| e.map_or(Value::Null, |j| Value::Json(j.clone())))
                    .collect(),
                ColumnType::Json,
            ),
            Self::Decimal(v) => (each(v), ColumnType::Decimal(MAX_DECIMAL_PRECISION, 0)),
        }
    }

    /// `values` as an array of column type `ty`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a value of another kind than `ty` takes
    /// (the library checks values first, so a backend sees this only for
    /// values it was handed unchecked).
    pub fn new(values: &[&'v Value], ty: ColumnType) -> Result<Self> {
        fn all<'v, T>(
            values: &[&'v Value],
            ty: ColumnType,
            get: impl Fn(&'v Value) -> Option<T>,
        ) -> Result<Vec<Option<T>>> {
            values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    v => get(v).map(Some).ok_or_else(|| {
                        Error::invalid_input(format!("{v:?} in an array of {ty:?}"))
                    }),
                })
                .collect()
        }
        Ok(match ty {
            ColumnType::Bool => Self::Bool(all(values, ty, |v| match v {
                Value::Bool(b) => Some(*b),
                _ => None,
            })?),
            ColumnType::BigInt | ColumnType::Integer | ColumnType::SmallInt => {
                Self::Int(all(values, ty, |v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })?)
            }
            ColumnType::Double | ColumnType::Real => Self::Float(all(values, ty, |v| match v {
                Value::Float(f) => Some(*f),
                _ => None,
            })?),
            ColumnType::Uuid => Self::Uuid(all(values, ty, |v| match v {
                Value::Uuid(u) => Some(*u),
                _ => None,
            })?),
            ColumnType::Timestamp => Self::Timestamp(all(values, ty, |v| match v {
                Value::Timestamp(t) => Some(*t),
                _ => None,
            })?),
            ColumnType::Text | ColumnType::VarChar(_) => {
                Self::Text(all(values, ty, |v| match v {
                    Value::Text(t) => Some(t.as_str()),
                    _ => None,
                })?)
            }
            ColumnType::Date => Self::Date(all(values, ty, |v| match v {
                Value::Date(d) => Some(*d),
                _ => None,
            })?),
            ColumnType::Time => Self::Time(all(values, ty, |v| match v {
                Value::Time(t) => Some(*t),
                _ => None,
            })?),
            ColumnType::Bytes => Self::Bytes(all(values, ty, |v| match v {
                Value::Bytes(b) => Some(b.as_slice()),
                _ => None,
            })?),
            ColumnType::Json => Self::Json(all(values, ty, |v| match v {
                Value::Json(j) => Some(j),
                _ => None,
            })?),
            ColumnType::Decimal(..) => Self::Decimal(all(values, ty, |v| match v {
                Value::Decimal(d) => Some(*d),
                _ => None,
            })?),
        })
    }
}

#[cfg(test)]
mod array_tests {
    use super::*;

    #[test]
    fn decimals_are_read_from_integers_strings_and_shortest_floats() {
        let ty = ColumnType::Decimal(15, 2);
        let dec = |s: &str| Value::Decimal(s.parse().unwrap());
        assert_eq!(Value::Int(7).coerce("p", ty).unwrap(), dec("7"));
        assert_eq!(Value::from("12.50").coerce("p", ty).unwrap(), dec("12.50"));
        assert_eq!(Value::Float(0.1).coerce("p", ty).unwrap(), dec("0.1"));
        for bad in [
            Value::from("12,5"),
            Value::Float(f64::NAN),
            Value::Float(1e300),
        ] {
            let e = bad.coerce("p", ty).unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        }
    }

    #[test]
    fn every_decimal_of_fifteen_digits_survives_a_float() {
        // SQLite's REAL: to f64 and back, exactly, at every scale.
        let mut n: i64 = 999_999_999_999_999;
        for scale in 0..=15u32 {
            for m in [n, -n, 1, 123_456_789_012_345, 100_000_000_000_001, 5] {
                let d = Decimal::new(m, scale);
                assert_eq!(decimal_from_f64(decimal_to_f64(&d)), Some(d), "{d}");
            }
            n -= 1;
        }
        // The fast paths agree with the text ones, at any scale.
        let mut x: u64 = 88_172_645_463_325_252;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = u32::try_from(x % 15 + 1).unwrap();
            let m = i64::try_from((x >> 8) % 10u64.pow(digits)).unwrap();
            let scale = u32::try_from((x >> 40) % 29).unwrap();
            let d = Decimal::new(if x & 1 == 0 { m } else { -m }, scale);
            let f = decimal_to_f64(&d);
            assert_eq!(f, d.to_string().parse::<f64>().unwrap(), "{d}");
            let by_text = Decimal::from_str_exact(&f.to_string()).ok();
            assert_eq!(decimal_from_f64(f), by_text, "{f}");
        }
        // Values a float cannot be, exactly.
        assert_eq!(decimal_from_f64(f64::INFINITY), None);
        assert_eq!(decimal_from_f64(1e-40), None);
        assert_eq!(decimal_from_f64(0.1), Some(Decimal::new(1, 1)));
    }

    #[test]
    fn dates_times_and_bytes_are_read_from_their_json_strings() {
        let date = Value::from("2024-02-29")
            .coerce("d", ColumnType::Date)
            .unwrap();
        assert_eq!(
            date,
            Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        let time = Value::from("12:30:00.25")
            .coerce("h", ColumnType::Time)
            .unwrap();
        assert_eq!(
            time,
            Value::Time(NaiveTime::from_hms_milli_opt(12, 30, 0, 250).unwrap())
        );
        let bytes = Value::from("AP8=").coerce("b", ColumnType::Bytes).unwrap();
        assert_eq!(bytes, Value::Bytes(vec![0, 255]));
        for (bad, ty) in [
            ("2023-02-29", ColumnType::Date),
            ("24:00:00", ColumnType::Time),
            ("not base64!", ColumnType::Bytes),
        ] {
            let e = Value::from(bad).coerce("c", ty).unwrap_err();
            assert!(
                matches!(e, Error::InvalidInput { .. }) && e.to_string().contains("`c`"),
                "{e}"
            );
        }
        let e = Value::Int(1).coerce("d", ColumnType::Date).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    }

    #[test]
    fn arrays_take_only_values_of_their_column_type() {
        let (one, null, text) = (Value::Int(1), Value::Null, Value::from("x"));
        assert_eq!(
            ValueArray::new(&[&one, &null], ColumnType::Integer).ok(),
            Some(ValueArray::Int(vec![Some(1), None]))
        );
        assert_eq!(
            ValueArray::new(&[&text], ColumnType::VarChar(5)).ok(),
            Some(ValueArray::Text(vec![Some("x")]))
        );
        let e = ValueArray::new(&[&one, &text], ColumnType::BigInt);
        assert!(matches!(e, Err(Error::InvalidInput { .. })), "{e:?}");
    }
}
