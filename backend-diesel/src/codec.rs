//! Values between core and diesel: binding a [`Value`] as a diesel bind
//! parameter typed by its column (a NULL typed after it, PostgreSQL arrays
//! of one type), and decoding a stored row's columns back by name. The
//! column types that differ per database are in [`crate::types`].

use alchemy_core::schema::ColumnType;
use alchemy_core::value::ValueArray;
use alchemy_core::{Model, Value};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
#[cfg(feature = "mysql")]
use diesel::mysql::Mysql;
#[cfg(feature = "postgres")]
use diesel::pg::Pg;
use diesel::query_builder::AstPass;
use diesel::sql_types::{BigInt, Binary, Bool, Date, Double, Nullable, Text, Time};
#[cfg(feature = "sqlite")]
use diesel::sqlite::Sqlite;

/// The values of one column as a PostgreSQL array: `c = ANY($1)` is one
/// bind and one statement text whatever the count, so it is prepared once
/// and cached, where `c IN ($1, .., $n)` is parsed and planned anew for
/// every count.
#[derive(Debug, Clone)]
// Read only by PostgreSQL's binding.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Array {
    Bool(Vec<Option<bool>>),
    BigInt(Vec<Option<i64>>),
    Double(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Uuid(Vec<Option<uuid::Uuid>>),
    Timestamp(Vec<Option<DateTime<Utc>>>),
    Date(Vec<Option<NaiveDate>>),
    Time(Vec<Option<NaiveTime>>),
    Bytes(Vec<Option<Vec<u8>>>),
    Json(Vec<Option<serde_json::Value>>),
    Decimal(Vec<Option<rust_decimal::Decimal>>),
}

/// `array` as diesel binds it (text is copied, as a statement owns its
/// binds).
impl From<ValueArray<'_>> for Array {
    fn from(array: ValueArray<'_>) -> Self {
        match array {
            ValueArray::Bool(v) => Self::Bool(v),
            ValueArray::Int(v) => Self::BigInt(v),
            ValueArray::Float(v) => Self::Double(v),
            ValueArray::Text(v) => {
                Self::Text(v.into_iter().map(|t| t.map(str::to_owned)).collect())
            }
            ValueArray::Uuid(v) => Self::Uuid(v),
            ValueArray::Timestamp(v) => Self::Timestamp(v),
            ValueArray::Date(v) => Self::Date(v),
            ValueArray::Time(v) => Self::Time(v),
            ValueArray::Bytes(v) => {
                Self::Bytes(v.into_iter().map(|b| b.map(<[u8]>::to_vec)).collect())
            }
            ValueArray::Json(v) => Self::Json(v.into_iter().map(|j| j.cloned()).collect()),
            ValueArray::Decimal(v) => Self::Decimal(v),
        }
    }
}

static NULL_BOOL: Option<bool> = None;
static NULL_INT: Option<i64> = None;
static NULL_FLOAT: Option<f64> = None;
static NULL_TEXT: Option<String> = None;
static NULL_UUID: Option<uuid::Uuid> = None;
static NULL_TIMESTAMP: Option<DateTime<Utc>> = None;
static NULL_DATE: Option<NaiveDate> = None;
static NULL_TIME: Option<NaiveTime> = None;
static NULL_BYTES: Option<Vec<u8>> = None;
static NULL_JSON: Option<serde_json::Value> = None;
static NULL_DECIMAL: Option<rust_decimal::Decimal> = None;

/// `bind_pg` and `bind_sqlite`: one value as one bind parameter.
macro_rules! bind_value {
    ($db:ty, $bind:ident) => {
        pub(crate) fn $bind<'b>(
            value: &'b Value,
            ty: ColumnType,
            out: &mut AstPass<'_, 'b, $db>,
        ) -> diesel::QueryResult<()> {
            match value {
                // A typed NULL, so PostgreSQL knows the type of a VALUES
                // column; typed as `ColumnType::bound_as` says.
                Value::Null => match ty.bound_as() {
                    ColumnType::Bool => out.push_bind_param::<Nullable<Bool>, _>(&NULL_BOOL),
                    ColumnType::BigInt => out.push_bind_param::<Nullable<BigInt>, _>(&NULL_INT),
                    ColumnType::Double => out.push_bind_param::<Nullable<Double>, _>(&NULL_FLOAT),
                    ColumnType::Uuid => {
                        out.push_bind_param::<Nullable<crate::types::Uuid>, _>(&NULL_UUID)
                    }
                    ColumnType::Timestamp => {
                        out.push_bind_param::<Nullable<crate::types::Timestamp>, _>(&NULL_TIMESTAMP)
                    }
                    ColumnType::Date => out.push_bind_param::<Nullable<Date>, _>(&NULL_DATE),
                    ColumnType::Time => out.push_bind_param::<Nullable<Time>, _>(&NULL_TIME),
                    ColumnType::Bytes => out.push_bind_param::<Nullable<Binary>, _>(&NULL_BYTES),
                    ColumnType::Json => {
                        out.push_bind_param::<Nullable<crate::types::Json>, _>(&NULL_JSON)
                    }
                    ColumnType::Decimal(..) => {
                        out.push_bind_param::<Nullable<crate::types::Decimal>, _>(&NULL_DECIMAL)
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
                Value::Date(v) => out.push_bind_param::<Date, NaiveDate>(v),
                Value::Time(v) => out.push_bind_param::<Time, NaiveTime>(v),
                Value::Bytes(v) => out.push_bind_param::<Binary, Vec<u8>>(v),
                Value::Json(v) => out.push_bind_param::<crate::types::Json, serde_json::Value>(v),
                Value::Decimal(v) => {
                    out.push_bind_param::<crate::types::Decimal, rust_decimal::Decimal>(v)
                }
                other => Err(diesel::result::Error::SerializationError(
                    format!("unsupported value {other:?}").into(),
                )),
            }
        }
    };
}

#[cfg(feature = "postgres")]
bind_value!(Pg, bind_pg);
#[cfg(feature = "sqlite")]
bind_value!(Sqlite, bind_sqlite);
#[cfg(feature = "mysql")]
bind_value!(Mysql, bind_mysql);

#[cfg(feature = "postgres")]
pub(crate) fn array_pg<'b>(
    array: &'b Array,
    out: &mut AstPass<'_, 'b, Pg>,
) -> diesel::QueryResult<()> {
    use diesel::sql_types::Array as A;
    match array {
        Array::Bool(v) => out.push_bind_param::<A<Nullable<Bool>>, _>(v),
        Array::BigInt(v) => out.push_bind_param::<A<Nullable<BigInt>>, _>(v),
        Array::Double(v) => out.push_bind_param::<A<Nullable<Double>>, _>(v),
        Array::Text(v) => out.push_bind_param::<A<Nullable<Text>>, _>(v),
        Array::Uuid(v) => out.push_bind_param::<A<Nullable<crate::types::Uuid>>, _>(v),
        Array::Timestamp(v) => out.push_bind_param::<A<Nullable<crate::types::Timestamp>>, _>(v),
        Array::Date(v) => out.push_bind_param::<A<Nullable<Date>>, _>(v),
        Array::Time(v) => out.push_bind_param::<A<Nullable<Time>>, _>(v),
        Array::Bytes(v) => out.push_bind_param::<A<Nullable<Binary>>, _>(v),
        Array::Json(v) => out.push_bind_param::<A<Nullable<crate::types::Json>>, _>(v),
        Array::Decimal(v) => out.push_bind_param::<A<Nullable<crate::types::Decimal>>, _>(v),
    }
}

#[cfg(feature = "sqlite")]
pub(crate) fn array_sqlite(_: &Array, _: &mut AstPass<'_, '_, Sqlite>) -> diesel::QueryResult<()> {
    // Core asks for arrays only on PostgreSQL.
    Err(diesel::result::Error::QueryBuilderError(
        "SQLite has no array parameters".into(),
    ))
}

#[cfg(feature = "mysql")]
pub(crate) fn array_mysql(_: &Array, _: &mut AstPass<'_, '_, Mysql>) -> diesel::QueryResult<()> {
    // Core asks for arrays only on PostgreSQL.
    Err(diesel::result::Error::QueryBuilderError(
        "MariaDB has no array parameters".into(),
    ))
}

/// A stored row of model `M` read as core values, each column decoded after
/// its type in `M`'s table (found by the column's name).
#[derive(Debug)]
pub(crate) struct StoredRow<M> {
    /// The values, in the order of the statement's columns.
    pub(crate) values: Vec<Value>,
    model: std::marker::PhantomData<fn() -> M>,
}

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
                        .or((name == alchemy_core::driver::TOTAL).then_some(ColumnType::BigInt))
                        .or((name == alchemy_core::driver::KEYS).then_some(ColumnType::Text))
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
                        ColumnType::SmallInt => <Option<i16> as FromSql<
                            Nullable<diesel::sql_types::SmallInt>,
                            $db,
                        >>::from_nullable_sql(raw)?
                        .into(),
                        ColumnType::Real => Value::from(<Option<f32> as FromSql<
                            Nullable<diesel::sql_types::Float>,
                            $db,
                        >>::from_nullable_sql(raw)?),
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
                        ColumnType::Date => {
                            <Option<NaiveDate> as FromSql<Nullable<Date>, $db>>::from_nullable_sql(
                                raw,
                            )?
                            .into()
                        }
                        ColumnType::Time => {
                            <Option<NaiveTime> as FromSql<Nullable<Time>, $db>>::from_nullable_sql(
                                raw,
                            )?
                            .into()
                        }
                        ColumnType::Bytes => {
                            <Option<Vec<u8>> as FromSql<Nullable<Binary>, $db>>::from_nullable_sql(
                                raw,
                            )?
                            .into()
                        }
                        ColumnType::Json => <Option<serde_json::Value> as FromSql<
                            Nullable<crate::types::Json>,
                            $db,
                        >>::from_nullable_sql(raw)?
                        .into(),
                        ColumnType::Decimal(..) => <Option<rust_decimal::Decimal> as FromSql<
                            Nullable<crate::types::Decimal>,
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

#[cfg(feature = "postgres")]
stored_row!(Pg);
#[cfg(feature = "sqlite")]
stored_row!(Sqlite);
#[cfg(feature = "mysql")]
stored_row!(Mysql);
