//! sqlx errors into the core [`Error`], in one place: sqlx's database
//! error read as core's [`DbFailure`], classified by core.
//!
//! [`classify_database_error`] is public for backends that run on sqlx
//! (alchemy-seaorm), so sqlx's errors are read one way.

use alchemy_core::Error;
use alchemy_core::error::{Classified, DbFailure, FailureKind, classify};
use alchemy_core::schema::{Dialect, Table};
use sqlx::error::{DatabaseError, ErrorKind};

/// Converts a sqlx error into the core error.
pub(crate) fn convert(e: sqlx::Error) -> Error {
    convert_in(e, None)
}

/// Converts a sqlx error of a statement on `table`, when known, into the
/// core error (MariaDB names a duplicate primary key only `PRIMARY`).
pub(crate) fn convert_in(e: sqlx::Error, table: Option<&Table>) -> Error {
    match &e {
        sqlx::Error::Database(db) => classify_database_error(&**db, table).into_error(e),
        sqlx::Error::PoolTimedOut => Error::Busy { source: e.into() },
        _ => Error::backend(e),
    }
}

/// A database error sqlx reported, classified by core
/// ([`alchemy_core::error::classify`]); attach the error itself with
/// [`Classified::into_error`]. `table` is the table the statement wrote,
/// when known.
pub fn classify_database_error(db: &dyn DatabaseError, table: Option<&Table>) -> Classified {
    // MariaDB's SQLSTATE (`23000`) is shared by every constraint; its error
    // number tells them apart.
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        let number = my.number().to_string();
        let mut failure = failure(db, Some(&number));
        failure.dialect = Dialect::MariaDb;
        return classify(&failure, table);
    }
    let code = db.code();
    classify(&failure(db, code.as_deref()), table)
}

/// `db` as core's view of a failure; `code` is `db.code()`.
fn failure<'a>(db: &'a dyn DatabaseError, code: Option<&'a str>) -> DbFailure<'a> {
    #[cfg(feature = "postgres")]
    let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
    #[cfg(not(feature = "postgres"))]
    let pg: Option<&NoPgError> = None;
    DbFailure {
        dialect: if pg.is_some() {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        },
        code,
        message: db.message(),
        constraint: db.constraint(),
        column: pg.and_then(|pg| pg.column()),
        kind: match db.kind() {
            ErrorKind::UniqueViolation => Some(FailureKind::Unique),
            ErrorKind::ForeignKeyViolation => Some(FailureKind::ForeignKey),
            ErrorKind::NotNullViolation => Some(FailureKind::NotNull),
            ErrorKind::CheckViolation => Some(FailureKind::Check),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_database_errors_are_backend_errors() {
        assert!(matches!(
            convert(sqlx::Error::RowNotFound),
            Error::Backend { .. }
        ));
        assert!(matches!(
            convert(sqlx::Error::PoolTimedOut),
            Error::Busy { .. }
        ));
    }
}

/// Stands for PostgreSQL's error without the `postgres` feature: never made.
#[cfg(not(feature = "postgres"))]
struct NoPgError;

#[cfg(not(feature = "postgres"))]
impl NoPgError {
    fn column(&self) -> Option<&str> {
        None
    }
}
