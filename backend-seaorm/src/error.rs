//! Conversion of SeaORM's [`DbErr`] into [`alchemy_core::Error`], in one place.
//!
//! The driver error under SeaORM is sqlx's, read and classified as
//! alchemy-sqlx reads it ([`alchemy_sqlx::error::classify_database_error`]).

use std::ops::Deref;

use alchemy_core::Error;
use alchemy_core::schema::Table;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// Converts a SeaORM error into the core error: the sqlx database error
/// under it classified as alchemy-sqlx does; a pool that had no free connection
/// in time is [`Error::Busy`]; anything else [`Error::Backend`].
pub(crate) fn from_db(err: DbErr) -> Error {
    from_db_in(err, None)
}

/// As [`from_db`], for a statement on `table` when known: MariaDB names a
/// duplicate primary key only `PRIMARY`, and core names it after the table.
pub(crate) fn from_db_in(err: DbErr, table: Option<&Table>) -> Error {
    if let DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) = err {
        return Error::Busy {
            source: Box::new(err),
        };
    }
    let classified = match &err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => match e.deref() {
            sqlx::Error::Database(db) => {
                Some(alchemy_sqlx::error::classify_database_error(&**db, table))
            }
            _ => None,
        },
        _ => None,
    };
    match classified {
        Some(classified) => classified.into_error(err),
        None => Error::backend(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orm_errors_without_a_driver_error_are_backend() {
        let e = from_db(DbErr::RecordNotInserted);
        assert!(matches!(e, Error::Backend { .. }), "{e}");
    }
}
