//! The one place where diesel's and the pool's errors become [`alchemy_core::Error`].

use alchemy_core::Error;
use alchemy_core::error::{DbFailure, FailureKind, classify};
use alchemy_core::schema::{Dialect, Table};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Converts a diesel error raised by a statement on `table` (when known):
/// diesel's database error read as core's [`DbFailure`] and classified by
/// core ([`alchemy_core::error::classify`]). diesel exposes kinds, not
/// SQLite's extended codes, so a SQLite primary-key violation is told from
/// a unique one by the columns being exactly `table`'s key.
pub(crate) fn from_diesel(e: DieselError, dialect: Dialect, table: Option<&Table>) -> Error {
    let DieselError::DatabaseError(kind, info) = &e else {
        return Error::backend(e);
    };
    let failure = DbFailure {
        dialect,
        code: None,
        message: info.message(),
        constraint: info.constraint_name(),
        column: info.column_name(),
        kind: match kind {
            DatabaseErrorKind::UniqueViolation => Some(FailureKind::Unique),
            DatabaseErrorKind::ForeignKeyViolation => Some(FailureKind::ForeignKey),
            DatabaseErrorKind::NotNullViolation => Some(FailureKind::NotNull),
            DatabaseErrorKind::CheckViolation => Some(FailureKind::Check),
            DatabaseErrorKind::SerializationFailure => Some(FailureKind::Busy),
            _ => None,
        },
    };
    classify(&failure, table).into_error(e)
}

/// Converts a connection error (establishing a connection).
pub(crate) fn from_connection(e: diesel::ConnectionError) -> Error {
    Error::backend(e)
}

/// Converts a pool error: a failed connect, or a failed setup statement.
pub(crate) fn from_pool(
    e: diesel_async::pooled_connection::deadpool::PoolError,
    dialect: Dialect,
) -> Error {
    use diesel_async::pooled_connection::PoolError as Inner;
    use diesel_async::pooled_connection::deadpool::PoolError;
    match e {
        PoolError::Backend(Inner::QueryError(q)) => from_diesel(q, dialect, None),
        PoolError::Backend(Inner::ConnectionError(c)) => from_connection(c),
        other => Error::backend(other),
    }
}
