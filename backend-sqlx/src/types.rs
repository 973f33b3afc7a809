//! Field types that sqlx decodes the same on every database.
//!
//! | type | PostgreSQL | SQLite | MariaDB |
//! |---|---|---|---|
//! | [`Decimal`] | `NUMERIC(p, s)` | `REAL` | `DECIMAL(p, s)` |
//!
//! sqlx decodes a [`rust_decimal::Decimal`] on PostgreSQL and MariaDB but
//! not on SQLite, where a decimal column is an 8-byte `REAL`
//! ([`ColumnType::Decimal`](alchemy_core::schema::ColumnType::Decimal)).
//! [`Decimal`] decodes on all three.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;

use alchemy_core::Value;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// A [`rust_decimal::Decimal`] field that reads and writes on every
/// database: natively on PostgreSQL and MariaDB, and on SQLite as the
/// `REAL` the column is there, read back as the shortest decimal that is
/// that float, so every value of its column's 15 digits comes back exactly
/// (`rust_decimal`'s own `TryFrom<f64>` reads `4365453.23` as
/// `4365453.230000001`).
///
/// It derefs to the decimal and converts both ways; name the column's
/// precision and scale on the field, as for any decimal.
///
/// ```
/// use alchemy_sqlx::types::Decimal;
/// use alchemy_sqlx::{Model, alchemy_core::base::BigIntBase};
///
/// #[derive(Debug, Clone, sqlx::FromRow, Model)]
/// #[model(base = BigIntBase)]
/// pub struct Product {
///     pub id: i64,
///     #[model(decimal(10, 2))]
///     pub price: Decimal,
///     #[model(decimal(5, 4))]
///     pub discount: Option<Decimal>,
/// }
///
/// let price = Decimal::from(rust_decimal::Decimal::new(1999, 2));
/// assert_eq!(price.to_string(), "19.99");
/// assert!(*price > rust_decimal::Decimal::ONE);
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

impl From<Decimal> for Value {
    fn from(d: Decimal) -> Self {
        Value::Decimal(d.0)
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

/// Type, encoding and decoding as `rust_decimal::Decimal`'s own.
macro_rules! native {
    ($db:ty) => {
        impl Type<$db> for Decimal {
            fn type_info() -> <$db as Database>::TypeInfo {
                <rust_decimal::Decimal as Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                <rust_decimal::Decimal as Type<$db>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, $db> for Decimal {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <rust_decimal::Decimal as Encode<'q, $db>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r> Decode<'r, $db> for Decimal {
            fn decode(value: <$db as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                <rust_decimal::Decimal as Decode<'r, $db>>::decode(value).map(Self)
            }
        }
    };
}

#[cfg(feature = "postgres")]
native!(sqlx::Postgres);
#[cfg(feature = "mysql")]
native!(sqlx::MySql);

/// On SQLite, the `REAL` the column is.
#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use sqlx::Sqlite;
    use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};

    impl Type<Sqlite> for Decimal {
        fn type_info() -> SqliteTypeInfo {
            <f64 as Type<Sqlite>>::type_info()
        }
        fn compatible(ty: &SqliteTypeInfo) -> bool {
            <f64 as Type<Sqlite>>::compatible(ty)
        }
    }

    impl<'q> Encode<'q, Sqlite> for Decimal {
        fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
            let f = alchemy_core::value::decimal_to_f64(&self.0);
            <f64 as Encode<'q, Sqlite>>::encode(f, buf)
        }
    }

    impl<'r> Decode<'r, Sqlite> for Decimal {
        fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
            let f = <f64 as Decode<'r, Sqlite>>::decode(value)?;
            alchemy_core::value::decimal_from_f64(f)
                .map(Self)
                .ok_or_else(|| format!("the REAL {f} is not a decimal").into())
        }
    }
}
