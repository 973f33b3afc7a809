//! The one place where diesel's and the pool's errors become [`alchemy_core::Error`].

use alchemy_core::Error;
use alchemy_core::schema::{Dialect, Table};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Converts a diesel error raised by a statement on `table` (when known).
///
/// - Unique violations become [`Error::DuplicateKey`]: PostgreSQL names the
///   constraint; SQLite names only the columns (`UNIQUE constraint failed:
///   tag.name`), and diesel does not expose SQLite's extended code, so the
///   primary-key case (`SQLITE_CONSTRAINT_PRIMARYKEY`) is recognised by the
///   columns being exactly `table`'s primary key.
/// - Foreign-key violations become [`Error::ForeignKey`].
/// - Not-null violations become [`Error::NotNull`] (PostgreSQL names the
///   column; on SQLite it is read from the message), check violations
///   [`Error::Check`] with the constraint name (both databases name it).
/// - SQLite `BUSY`/`LOCKED`, PostgreSQL serialization failures, deadlocks and
///   lock timeouts become [`Error::Busy`].
/// - Everything else is [`Error::Backend`].
pub(crate) fn from_diesel(e: DieselError, dialect: Dialect, table: Option<&Table>) -> Error {
    let DieselError::DatabaseError(kind, info) = &e else {
        return Error::backend(e);
    };
    let message = info.message().to_string();
    match kind {
        DatabaseErrorKind::UniqueViolation => {
            let constraint = match dialect {
                Dialect::Sqlite => {
                    let primary_key = table.is_some_and(|t| sqlite_is_primary_key(t, &message));
                    alchemy_core::error::sqlite_constraint_name(primary_key, &message)
                }
                _ => info.constraint_name().map(str::to_string),
            };
            Error::DuplicateKey {
                constraint,
                source: Box::new(e),
            }
        }
        DatabaseErrorKind::ForeignKeyViolation => Error::ForeignKey {
            constraint: info.constraint_name().map(str::to_string),
            source: Box::new(e),
        },
        DatabaseErrorKind::NotNullViolation => Error::NotNull {
            column: match dialect {
                Dialect::Sqlite => alchemy_core::error::sqlite_not_null_column(&message),
                _ => info.column_name().map(str::to_string),
            },
            source: Box::new(e),
        },
        DatabaseErrorKind::CheckViolation => Error::Check {
            constraint: match dialect {
                Dialect::Sqlite => alchemy_core::error::sqlite_check_name(&message),
                _ => info.constraint_name().map(str::to_string),
            },
            source: Box::new(e),
        },
        _ if alchemy_core::error::sqlite_foreign_key(&message) => Error::ForeignKey {
            constraint: None,
            source: Box::new(e),
        },
        _ if message.contains("NOT NULL constraint failed: ") => Error::NotNull {
            column: alchemy_core::error::sqlite_not_null_column(&message),
            source: Box::new(e),
        },
        _ if message.contains("CHECK constraint failed: ") => Error::Check {
            constraint: alchemy_core::error::sqlite_check_name(&message),
            source: Box::new(e),
        },
        DatabaseErrorKind::SerializationFailure => Error::Busy {
            source: Box::new(e),
        },
        _ if is_busy_message(&message) => Error::Busy {
            source: Box::new(e),
        },
        _ => Error::backend(e),
    }
}

/// Whether a SQLite unique-violation message names exactly `table`'s primary key.
fn sqlite_is_primary_key(table: &Table, message: &str) -> bool {
    let Some((_, columns)) = message.split_once("constraint failed: ") else {
        return false;
    };
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        match qualified.trim().split_once('.') {
            Some((t, c)) if t == table.name() => names.push(c),
            _ => return false,
        }
    }
    let pk = table.primary_key_columns();
    !pk.is_empty() && names.len() == pk.len() && pk.iter().zip(&names).all(|(a, b)| a == b)
}

/// Messages of retryable lock failures whose code diesel does not classify:
/// SQLite `SQLITE_BUSY`/`SQLITE_LOCKED` (and their extended codes) and
/// PostgreSQL deadlocks (40P01) and lock timeouts (55P03).
fn is_busy_message(message: &str) -> bool {
    const BUSY: [&str; 6] = [
        "database is locked",
        "database table is locked",
        "database schema is locked",
        "deadlock detected",
        "could not obtain lock",
        "canceling statement due to lock timeout",
    ];
    BUSY.iter().any(|m| message.contains(m))
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

#[cfg(test)]
mod tests {
    use super::*;
    use alchemy_core::schema::{Column, ColumnType};

    #[test]
    fn primary_key_is_told_from_unique() {
        let t = Table::new("post")
            .column(Column::new("id", ColumnType::Uuid))
            .column(Column::new("title", ColumnType::Text))
            .primary_key(["id"]);
        assert!(sqlite_is_primary_key(
            &t,
            "UNIQUE constraint failed: post.id"
        ));
        assert!(!sqlite_is_primary_key(
            &t,
            "UNIQUE constraint failed: post.title"
        ));
        assert!(!sqlite_is_primary_key(
            &t,
            "UNIQUE constraint failed: other.id"
        ));
    }
}
