//! Field types that SeaORM reads the same on every database.
//!
//! | type | PostgreSQL | SQLite | MariaDB |
//! |---|---|---|---|
//! | [`Decimal`] | `NUMERIC(p, s)` | `REAL` | `DECIMAL(p, s)` |
//!
//! SeaORM reads a [`rust_decimal::Decimal`] from SQLite's `REAL` through
//! `rust_decimal`'s `TryFrom<f64>`, which is not the shortest decimal:
//! `4365453.23` comes back `4365453.230000001`. [`Decimal`] reads the
//! shortest, so every value of a decimal column's 15 digits comes back
//! exactly ([`ColumnType::Decimal`](alchemy_core::schema::ColumnType::Decimal)).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable};

/// A [`rust_decimal::Decimal`] entity field that reads back exactly on
/// every database, SQLite included; it derefs to the decimal and converts
/// both ways. Declare the column's precision and scale for SeaORM
/// (`column_type = "Decimal(Some((10, 2)))"`) and for alchemy's table
/// (`#[model(decimal(10, 2))]`).
///
/// ```
/// mod product {
///     use sea_orm::entity::prelude::*;
///
///     #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
///     #[sea_orm(table_name = "product")]
///     pub struct Model {
///         #[sea_orm(primary_key)]
///         pub id: i64,
///         #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
///         pub price: alchemy_seaorm::types::Decimal,
///     }
///
///     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
///     pub enum Relation {}
///
///     impl ActiveModelBehavior for ActiveModel {}
/// }
///
/// let price: alchemy_seaorm::types::Decimal = "19.99".parse().unwrap();
/// assert_eq!(*price, rust_decimal::Decimal::new(1999, 2));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Decimal(pub rust_decimal::Decimal);

impl Deref for Decimal {
    type Target = rust_decimal::Decimal;
    fn deref(&self) -> &rust_decimal::Decimal {
        &self.0
    }
}

impl DerefMut for Decimal {
    fn deref_mut(&mut self) -> &mut rust_decimal::Decimal {
        &mut self.0
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(d: rust_decimal::Decimal) -> Self {
        Self(d)
    }
}

impl From<Decimal> for rust_decimal::Decimal {
    fn from(d: Decimal) -> Self {
        d.0
    }
}

impl From<Decimal> for alchemy_core::Value {
    fn from(d: Decimal) -> Self {
        alchemy_core::Value::Decimal(d.0)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Decimal {
    type Err = rust_decimal::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

impl From<Decimal> for sea_orm::Value {
    fn from(d: Decimal) -> Self {
        sea_orm::Value::Decimal(Some(d.0))
    }
}

impl TryGetable for Decimal {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        #[cfg(feature = "sqlite")]
        if res.try_as_sqlite_row().is_some() {
            let f = <f64 as TryGetable>::try_get_by(res, idx)?;
            return alchemy_core::value::decimal_from_f64(f)
                .map(Self)
                .ok_or_else(|| {
                    TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "the REAL {f} is not a decimal"
                    )))
                });
        }
        <rust_decimal::Decimal as TryGetable>::try_get_by(res, idx).map(Self)
    }
}

impl ValueType for Decimal {
    fn try_from(v: sea_orm::Value) -> Result<Self, ValueTypeErr> {
        <rust_decimal::Decimal as ValueType>::try_from(v).map(Self)
    }

    fn type_name() -> String {
        "Decimal".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(None)
    }
}

impl Nullable for Decimal {
    fn null() -> sea_orm::Value {
        sea_orm::Value::Decimal(None)
    }
}

impl sea_orm::IntoActiveValue<Decimal> for Decimal {
    fn into_active_value(self) -> sea_orm::ActiveValue<Decimal> {
        sea_orm::ActiveValue::Set(self)
    }
}
