//! SQL types that map one Rust type to the right column type on every database.
//!
//! diesel's own `Uuid` and `Timestamptz` types exist only for PostgreSQL. The
//! types here let one `table!` work on PostgreSQL, SQLite and MariaDB:
//!
//! | SQL type | Rust type | PostgreSQL | SQLite | MariaDB |
//! |---|---|---|---|---|
//! | [`Uuid`] | [`uuid::Uuid`] | `uuid` | 16-byte `BLOB` | `BINARY(16)` |
//! | [`Timestamp`] | [`chrono::DateTime<Utc>`] | `timestamptz` | `TEXT`, RFC 3339 (`2024-02-29T12:34:56.123456+00:00`) | `DATETIME(6)` in UTC |
//! | [`Json`] | [`serde_json::Value`] | `jsonb` | `TEXT` as serde_json writes it | `JSON` |
//! | [`Decimal`] | [`rust_decimal::Decimal`] | `numeric` | `REAL` | `DECIMAL` |
//!
//! The SQLite text form is the one every backend writes
//! ([`alchemy_core::audit::sqlite_text`]): it sorts in time order, reads back
//! exactly (microseconds, UTC), and a file written by sqlx or SeaORM reads
//! and filters the same here.

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
#[cfg(feature = "mysql")]
use diesel::mysql::{Mysql, MysqlValue};
#[cfg(feature = "postgres")]
use diesel::pg::{Pg, PgValue};
use diesel::query_builder::QueryId;
#[cfg(any(feature = "sqlite", feature = "mysql"))]
use diesel::serialize::IsNull;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{self, SqlType};
#[cfg(feature = "sqlite")]
use diesel::sqlite::{Sqlite, SqliteValue};

/// A UUID column: `uuid` on PostgreSQL, a 16-byte `BLOB` on SQLite,
/// `BINARY(16)` on MariaDB. Its Rust type is [`uuid::Uuid`].
#[derive(Debug, Clone, Copy, Default, QueryId, SqlType)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Binary"))]
#[diesel(mysql_type(name = "Blob"))]
pub struct Uuid;

/// A UTC timestamp column with microseconds: `timestamptz` on PostgreSQL,
/// RFC 3339 `TEXT` on SQLite, `DATETIME(6)` on MariaDB (sent as a
/// `DATETIME`: a `TIMESTAMP` parameter is converted through the session's
/// time zone and holds only 1970-2038). Its Rust type is
/// [`chrono::DateTime<Utc>`].
#[derive(Debug, Clone, Copy, Default, QueryId, SqlType)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
#[diesel(mysql_type(name = "DateTime"))]
pub struct Timestamp;

/// A JSON column: `jsonb` on PostgreSQL, text on SQLite, `JSON` on
/// MariaDB. Its Rust type is [`serde_json::Value`] (diesel's own `Jsonb`
/// exists only for PostgreSQL, and its `Json` is `json` there).
#[derive(Debug, Clone, Copy, Default, QueryId, SqlType)]
#[diesel(postgres_type(oid = 3802, array_oid = 3807))]
#[diesel(sqlite_type(name = "Text"))]
#[diesel(mysql_type(name = "String"))]
pub struct Json;

/// An exact decimal column: `numeric` on PostgreSQL, `DECIMAL` on
/// MariaDB, and on SQLite the 8-byte `REAL` a decimal column is there
/// ([`ColumnType::Decimal`](alchemy_core::schema::ColumnType::Decimal)).
/// Its Rust type is [`rust_decimal::Decimal`]; from a SQLite `REAL` it is
/// the shortest decimal that is that float, so every value of a decimal
/// column's 15 digits reads back exactly (diesel's own `Numeric` exists
/// for `bigdecimal` and reads SQLite's float through `f64` conversion).
///
/// ```
/// diesel::table! {
///     product (id) {
///         id -> BigInt,
///         price -> alchemy_diesel::types::Decimal,
///         discount -> Nullable<alchemy_diesel::types::Decimal>,
///     }
/// }
///
/// #[derive(Debug, Clone, diesel::Queryable, diesel::Selectable)]
/// #[diesel(table_name = product)]
/// pub struct Product {
///     pub id: i64,
///     pub price: rust_decimal::Decimal,
///     pub discount: Option<rust_decimal::Decimal>,
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, QueryId, SqlType)]
#[diesel(postgres_type(oid = 1700, array_oid = 1231))]
#[diesel(sqlite_type(name = "Double"))]
#[diesel(mysql_type(name = "Numeric"))]
pub struct Decimal;

/// A [`uuid::Uuid`] as a diesel expression of type [`Uuid`].
///
/// diesel's coherence rules do not let this crate make `uuid::Uuid` itself an
/// expression of a custom SQL type, so insertable and changeset structs
/// name this wrapper on their UUID fields:
/// `#[diesel(serialize_as = alchemy_diesel::types::UuidValue)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression)]
#[diesel(sql_type = Uuid)]
pub struct UuidValue(pub uuid::Uuid);

impl From<uuid::Uuid> for UuidValue {
    fn from(v: uuid::Uuid) -> Self {
        Self(v)
    }
}

/// A [`chrono::DateTime<Utc>`] as a diesel expression of type [`Timestamp`];
/// name it on timestamp fields of insertable and changeset structs:
/// `#[diesel(serialize_as = alchemy_diesel::types::TimestampValue)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct TimestampValue(pub DateTime<Utc>);

impl From<DateTime<Utc>> for TimestampValue {
    fn from(v: DateTime<Utc>) -> Self {
        Self(v)
    }
}

// `table!` gives columns of a type named `Timestamp` date arithmetic
// (`created_at + interval`), as for diesel's own timestamp types.
impl diesel::sql_types::ops::Add for Timestamp {
    type Rhs = sql_types::Interval;
    type Output = Timestamp;
}

impl diesel::sql_types::ops::Sub for Timestamp {
    type Rhs = sql_types::Interval;
    type Output = Timestamp;
}

/// A [`rust_decimal::Decimal`] as a diesel expression of type [`Decimal`],
/// for the query builder (`product::price.eq(DecimalValue(d))`) and for
/// decimal fields of insertable and changeset structs:
/// `#[diesel(serialize_as = alchemy_diesel::types::DecimalValue)]`
/// (diesel's coherence rules do not let this crate make
/// `rust_decimal::Decimal` an expression of a SQL type of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression)]
#[diesel(sql_type = Decimal)]
pub struct DecimalValue(pub rust_decimal::Decimal);

impl From<rust_decimal::Decimal> for DecimalValue {
    fn from(v: rust_decimal::Decimal) -> Self {
        Self(v)
    }
}

// `table!` gives columns of a type named `Decimal` arithmetic, as for
// diesel's `Numeric`: decimal with decimal stays decimal.
macro_rules! decimal_arithmetic {
    ($($op:ident),*) => {$(
        impl diesel::sql_types::ops::$op for Decimal {
            type Rhs = Decimal;
            type Output = Decimal;
        }
    )*};
}
decimal_arithmetic!(Add, Sub, Mul, Div);

macro_rules! delegate_to_sql {
    ($wrapper:ty => $sql:ty) => {
        #[cfg(feature = "postgres")]
        impl ToSql<$sql, Pg> for $wrapper {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                ToSql::<$sql, Pg>::to_sql(&self.0, out)
            }
        }
        #[cfg(feature = "sqlite")]
        impl ToSql<$sql, Sqlite> for $wrapper {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                ToSql::<$sql, Sqlite>::to_sql(&self.0, out)
            }
        }
        #[cfg(feature = "mysql")]
        impl ToSql<$sql, Mysql> for $wrapper {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
                ToSql::<$sql, Mysql>::to_sql(&self.0, out)
            }
        }
    };
}

delegate_to_sql!(UuidValue => Uuid);
delegate_to_sql!(TimestampValue => Timestamp);
delegate_to_sql!(DecimalValue => Decimal);

/// A primary-key value as something diesel can compare its key column with.
///
/// Implemented for the key types of the provided strategies: `i64`
/// (`BigInt`), `String` (`Varchar`), [`uuid::Uuid`] (as [`UuidValue`]).
pub trait SqlKey {
    /// The expression value bound for the key.
    type Value;
    /// The key as that value.
    fn sql_value(&self) -> Self::Value;
}

impl SqlKey for i64 {
    type Value = i64;
    fn sql_value(&self) -> i64 {
        *self
    }
}

impl SqlKey for String {
    type Value = String;
    fn sql_value(&self) -> String {
        self.clone()
    }
}

impl SqlKey for uuid::Uuid {
    type Value = UuidValue;
    fn sql_value(&self) -> UuidValue {
        UuidValue(*self)
    }
}

#[cfg(feature = "postgres")]
impl ToSql<Uuid, Pg> for uuid::Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <uuid::Uuid as ToSql<sql_types::Uuid, Pg>>::to_sql(self, out)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<Uuid, Pg> for uuid::Uuid {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <uuid::Uuid as FromSql<sql_types::Uuid, Pg>>::from_sql(bytes)
    }
}

#[cfg(feature = "sqlite")]
impl ToSql<Uuid, Sqlite> for uuid::Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.as_bytes().as_slice());
        Ok(IsNull::No)
    }
}

#[cfg(feature = "sqlite")]
impl FromSql<Uuid, Sqlite> for uuid::Uuid {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        // Borrowed, not copied into a Vec: this runs once per row read.
        Ok(uuid::Uuid::from_slice(value.read_blob())?)
    }
}

#[cfg(feature = "postgres")]
impl ToSql<Timestamp, Pg> for DateTime<Utc> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<sql_types::Timestamptz, Pg>>::to_sql(self, out)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<Timestamp, Pg> for DateTime<Utc> {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<sql_types::Timestamptz, Pg>>::from_sql(bytes)
    }
}

/// The SQLite text form of a timestamp, shared by every backend
/// ([`alchemy_core::audit::sqlite_text`]).
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_timestamp(t: &DateTime<Utc>) -> String {
    alchemy_core::audit::sqlite_text(*t)
}

#[cfg(feature = "sqlite")]
impl ToSql<Timestamp, Sqlite> for DateTime<Utc> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_timestamp(self));
        Ok(IsNull::No)
    }
}

#[cfg(feature = "sqlite")]
impl FromSql<Timestamp, Sqlite> for DateTime<Utc> {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        // Borrowed, not copied into a String: this runs once per row read.
        Ok(DateTime::parse_from_rfc3339(value.read_text())?.with_timezone(&Utc))
    }
}

#[cfg(feature = "mysql")]
impl ToSql<Uuid, Mysql> for uuid::Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
        std::io::Write::write_all(out, self.as_bytes())?;
        Ok(IsNull::No)
    }
}

#[cfg(feature = "mysql")]
impl FromSql<Uuid, Mysql> for uuid::Uuid {
    fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
        Ok(uuid::Uuid::from_slice(value.as_bytes())?)
    }
}

#[cfg(feature = "mysql")]
impl ToSql<Timestamp, Mysql> for DateTime<Utc> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
        let naive = self.naive_utc();
        <chrono::NaiveDateTime as ToSql<sql_types::Datetime, Mysql>>::to_sql(
            &naive,
            &mut out.reborrow(),
        )
    }
}

#[cfg(feature = "mysql")]
impl FromSql<Timestamp, Mysql> for DateTime<Utc> {
    fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
        let naive =
            <chrono::NaiveDateTime as FromSql<sql_types::Datetime, Mysql>>::from_sql(value)?;
        Ok(naive.and_utc())
    }
}

#[cfg(feature = "postgres")]
impl ToSql<Json, Pg> for serde_json::Value {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <serde_json::Value as ToSql<sql_types::Jsonb, Pg>>::to_sql(self, out)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<Json, Pg> for serde_json::Value {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <serde_json::Value as FromSql<sql_types::Jsonb, Pg>>::from_sql(bytes)
    }
}

#[cfg(feature = "sqlite")]
impl ToSql<Json, Sqlite> for serde_json::Value {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        <serde_json::Value as ToSql<sql_types::Json, Sqlite>>::to_sql(self, out)
    }
}

#[cfg(feature = "sqlite")]
impl FromSql<Json, Sqlite> for serde_json::Value {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        <serde_json::Value as FromSql<sql_types::Json, Sqlite>>::from_sql(value)
    }
}

#[cfg(feature = "mysql")]
impl ToSql<Json, Mysql> for serde_json::Value {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
        <serde_json::Value as ToSql<sql_types::Json, Mysql>>::to_sql(self, out)
    }
}

#[cfg(feature = "mysql")]
impl FromSql<Json, Mysql> for serde_json::Value {
    fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
        <serde_json::Value as FromSql<sql_types::Json, Mysql>>::from_sql(value)
    }
}

#[cfg(feature = "postgres")]
impl ToSql<Decimal, Pg> for rust_decimal::Decimal {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <rust_decimal::Decimal as ToSql<sql_types::Numeric, Pg>>::to_sql(self, out)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<Decimal, Pg> for rust_decimal::Decimal {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <rust_decimal::Decimal as FromSql<sql_types::Numeric, Pg>>::from_sql(bytes)
    }
}

#[cfg(feature = "sqlite")]
impl ToSql<Decimal, Sqlite> for rust_decimal::Decimal {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(alchemy_core::value::decimal_to_f64(self));
        Ok(IsNull::No)
    }
}

#[cfg(feature = "sqlite")]
impl FromSql<Decimal, Sqlite> for rust_decimal::Decimal {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let f = <f64 as FromSql<sql_types::Double, Sqlite>>::from_sql(value)?;
        alchemy_core::value::decimal_from_f64(f)
            .ok_or_else(|| format!("the REAL {f} is not a decimal").into())
    }
}

#[cfg(feature = "mysql")]
impl ToSql<Decimal, Mysql> for rust_decimal::Decimal {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
        <rust_decimal::Decimal as ToSql<sql_types::Numeric, Mysql>>::to_sql(self, out)
    }
}

#[cfg(feature = "mysql")]
impl FromSql<Decimal, Mysql> for rust_decimal::Decimal {
    fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
        <rust_decimal::Decimal as FromSql<sql_types::Numeric, Mysql>>::from_sql(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_text_sorts_and_keeps_microseconds() {
        let a = Utc.timestamp_opt(1_709_210_096, 123_456_000).unwrap();
        let b = Utc.timestamp_opt(1_709_210_096, 200_000_000).unwrap();
        let old = Utc.timestamp_opt(-1_000_000_000, 0).unwrap();
        assert_eq!(sqlite_timestamp(&a), "2024-02-29T12:34:56.123456+00:00");
        assert!(sqlite_timestamp(&old) < sqlite_timestamp(&a));
        assert!(sqlite_timestamp(&a) < sqlite_timestamp(&b));
        let back = DateTime::parse_from_rfc3339(&sqlite_timestamp(&a)).unwrap();
        assert_eq!(back.with_timezone(&Utc), a);
    }
}
