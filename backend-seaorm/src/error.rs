//! Conversion of SeaORM's [`DbErr`] into [`alchemy_core::Error`], in one place.
//!
//! The driver error under SeaORM is sqlx's; its `DatabaseError` gives the
//! SQLSTATE (PostgreSQL) or the extended result code (SQLite, as a decimal
//! string) and, on PostgreSQL, the constraint name.

use std::ops::Deref;

use alchemy_core::Error;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// SQLite `SQLITE_CONSTRAINT_FOREIGNKEY`.
const SQLITE_FOREIGN_KEY: i64 = 787;
/// SQLite `SQLITE_CONSTRAINT_PRIMARYKEY`.
const SQLITE_PRIMARY_KEY: i64 = 1555;
/// SQLite `SQLITE_CONSTRAINT_UNIQUE`.
const SQLITE_UNIQUE: i64 = 2067;
/// SQLite `SQLITE_CONSTRAINT_NOTNULL`.
const SQLITE_NOT_NULL: i64 = 1299;
/// SQLite `SQLITE_CONSTRAINT_CHECK`.
const SQLITE_CHECK: i64 = 275;
/// SQLite `SQLITE_BUSY` (primary code; extended codes keep it in the low byte).
const SQLITE_BUSY: i64 = 5;
/// SQLite `SQLITE_LOCKED` (primary code).
const SQLITE_LOCKED: i64 = 6;

/// Converts a SeaORM error into the core error.
///
/// - unique / primary-key violation → [`Error::DuplicateKey`] (constraint
///   named by PostgreSQL, derived from the message on SQLite);
/// - foreign-key violation → [`Error::ForeignKey`];
/// - not-null violation → [`Error::NotNull`] (column named by PostgreSQL,
///   derived from the message on SQLite);
/// - check violation → [`Error::Check`] (constraint named by both);
/// - SQLite busy/locked, PostgreSQL 40001/40P01/55P03, a pool that had no
///   free connection in time → [`Error::Busy`];
/// - anything else → [`Error::Backend`].
pub(crate) fn from_db(err: DbErr) -> Error {
    match classify(&err) {
        Kind::Duplicate(constraint) => Error::DuplicateKey {
            constraint,
            source: Box::new(err),
        },
        Kind::ForeignKey(constraint) => Error::ForeignKey {
            constraint,
            source: Box::new(err),
        },
        Kind::NotNull(column) => Error::NotNull {
            column,
            source: Box::new(err),
        },
        Kind::Check(constraint) => Error::Check {
            constraint,
            source: Box::new(err),
        },
        Kind::Busy => Error::Busy {
            source: Box::new(err),
        },
        Kind::Other => Error::backend(err),
    }
}

enum Kind {
    Duplicate(Option<String>),
    ForeignKey(Option<String>),
    NotNull(Option<String>),
    Check(Option<String>),
    Busy,
    Other,
}

fn classify(err: &DbErr) -> Kind {
    if let DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) = err {
        return Kind::Busy;
    }
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = err
    else {
        return Kind::Other;
    };
    let sqlx::Error::Database(db) = e.deref() else {
        return Kind::Other;
    };
    let code = db.code().map(|c| c.to_string()).unwrap_or_default();
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        let Ok(n) = code.parse::<i64>() else {
            return Kind::Other;
        };
        match n {
            SQLITE_PRIMARY_KEY => Kind::Duplicate(alchemy_core::error::sqlite_constraint_name(
                true,
                db.message(),
            )),
            SQLITE_UNIQUE => Kind::Duplicate(alchemy_core::error::sqlite_constraint_name(
                false,
                db.message(),
            )),
            SQLITE_FOREIGN_KEY => Kind::ForeignKey(None),
            SQLITE_NOT_NULL => {
                Kind::NotNull(alchemy_core::error::sqlite_not_null_column(db.message()))
            }
            SQLITE_CHECK => Kind::Check(alchemy_core::error::sqlite_check_name(db.message())),
            _ if alchemy_core::error::sqlite_foreign_key(db.message()) => Kind::ForeignKey(None),
            n if n & 0xff == SQLITE_BUSY || n & 0xff == SQLITE_LOCKED => Kind::Busy,
            _ => Kind::Other,
        }
    } else {
        let constraint = db.constraint().map(str::to_string);
        match code.as_str() {
            "23505" => Kind::Duplicate(constraint),
            "23503" => Kind::ForeignKey(constraint),
            "23502" => Kind::NotNull(
                db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .and_then(|pg| pg.column())
                    .map(str::to_string),
            ),
            "23514" => Kind::Check(constraint),
            "40001" | "40P01" | "55P03" => Kind::Busy,
            _ => Kind::Other,
        }
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
