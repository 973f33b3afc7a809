//! sqlx errors into the core [`Error`], in one place.

use alchemy_core::Error;
use alchemy_core::error::{
    sqlite_check_name, sqlite_constraint_name, sqlite_foreign_key, sqlite_not_null_column,
};
use sqlx::error::ErrorKind;

// SQLite extended result codes.
const SQLITE_CONSTRAINT_PRIMARYKEY: &str = "1555";
// PostgreSQL SQLSTATEs that mean "run the transaction again".
const PG_RETRYABLE: [&str; 3] = ["40001", "40P01", "55P03"];

/// Converts a sqlx error into the core error.
pub(crate) fn convert(e: sqlx::Error) -> Error {
    let sqlx::Error::Database(db) = &e else {
        return match e {
            sqlx::Error::PoolTimedOut => Error::Busy { source: e.into() },
            other => Error::backend(other),
        };
    };
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let sqlite = db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
    match db.kind() {
        ErrorKind::UniqueViolation => {
            let constraint = if sqlite {
                sqlite_constraint_name(code == SQLITE_CONSTRAINT_PRIMARYKEY, db.message())
            } else {
                db.constraint().map(str::to_string)
            };
            Error::DuplicateKey {
                constraint,
                source: e.into(),
            }
        }
        ErrorKind::ForeignKeyViolation => Error::ForeignKey {
            constraint: db.constraint().map(str::to_string),
            source: e.into(),
        },
        ErrorKind::NotNullViolation => {
            let column = match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                Some(pg) => pg.column().map(str::to_string),
                None => sqlite_not_null_column(db.message()),
            };
            Error::NotNull {
                column,
                source: e.into(),
            }
        }
        ErrorKind::CheckViolation => {
            let constraint = if sqlite {
                sqlite_check_name(db.message())
            } else {
                db.constraint().map(str::to_string)
            };
            Error::Check {
                constraint,
                source: e.into(),
            }
        }
        _ if sqlite && sqlite_foreign_key(db.message()) => Error::ForeignKey {
            constraint: None,
            source: e.into(),
        },
        _ if sqlite && is_sqlite_busy(&code) => Error::Busy { source: e.into() },
        _ if !sqlite && PG_RETRYABLE.contains(&code.as_str()) => Error::Busy { source: e.into() },
        _ => Error::backend(e),
    }
}

/// SQLITE_BUSY (5) and SQLITE_LOCKED (6) with any extended code.
fn is_sqlite_busy(code: &str) -> bool {
    code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_codes() {
        assert!(is_sqlite_busy("5"));
        assert!(is_sqlite_busy("517"));
        assert!(is_sqlite_busy("262"));
        assert!(!is_sqlite_busy("2067"));
        assert!(!is_sqlite_busy("x"));
    }

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
