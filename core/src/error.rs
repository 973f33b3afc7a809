//! The one error type every backend returns.

use std::fmt;

/// A boxed error from a driver or ORM, kept as the `source` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure a repository, session or helper can report.
///
/// Backends convert their driver's errors into this enum in one place, so a
/// caller matches on the same variants whichever ORM is underneath.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No row matched: `get` of a missing key, `update`/`delete` of a row that is gone.
    #[error("{entity} not found: {key}")]
    NotFound {
        /// The table that was searched.
        entity: String,
        /// The key (or filter) that matched nothing, rendered for humans.
        key: String,
    },
    /// A write broke a unique or primary-key constraint.
    #[error("duplicate key{}", constraint_suffix(.constraint))]
    DuplicateKey {
        /// The violated constraint, when the database names it.
        constraint: Option<String>,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// A write broke a foreign-key constraint.
    #[error("foreign key violation{}", constraint_suffix(.constraint))]
    ForeignKey {
        /// The violated constraint, when the database names it.
        constraint: Option<String>,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// A write left a NOT NULL column empty.
    #[error("not-null violation{}", constraint_suffix(.column))]
    NotNull {
        /// The column, when the database names it.
        column: Option<String>,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// A write broke a check constraint.
    #[error("check violation{}", constraint_suffix(.constraint))]
    Check {
        /// The violated constraint, when the database names it.
        constraint: Option<String>,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// A lookup that must match at most one row matched several.
    #[error("{entity}: expected at most one row, found several")]
    MultipleResults {
        /// The table that was searched.
        entity: String,
    },
    /// The caller passed something unusable: an unknown field, a name that
    /// slugifies to nothing. Nothing was sent to the database.
    #[error("invalid input: {message}")]
    InvalidInput {
        /// What was wrong, naming the offending field or value.
        message: String,
    },
    /// The operation is not available on this backend or database.
    #[error("{operation} is not supported by {backend}")]
    NotSupported {
        /// The operation that was asked for.
        operation: &'static str,
        /// The backend (and database) that cannot do it.
        backend: &'static str,
    },
    /// The database was busy or chose this transaction as a deadlock or
    /// serialization victim; running the whole unit of work again may succeed.
    #[error("database busy, retry the transaction")]
    Busy {
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// Any other driver, connection or decoding error.
    #[error("database error: {source}")]
    Backend {
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// An earlier statement of this unit of work was rejected by the
    /// database, so the session is failed: nothing more is sent, and
    /// [`Session::commit`](crate::Session::commit) rolls back and returns
    /// this error. Roll the session back and start again, or contain an
    /// expected failure in [`Session::savepoint`](crate::Session::savepoint).
    #[error(
        "the session failed at an earlier statement ({first}): it sends nothing more and cannot commit"
    )]
    SessionFailed {
        /// The first failure of the session (its driver error rendered as text).
        #[source]
        first: Box<Error>,
    },
}

fn constraint_suffix(constraint: &Option<String>) -> String {
    match constraint {
        Some(name) => format!(" ({name})"),
        None => String::new(),
    }
}

impl Error {
    /// An [`Error::InvalidInput`] with the given message.
    pub fn invalid_input(message: impl fmt::Display) -> Self {
        Self::InvalidInput {
            message: message.to_string(),
        }
    }

    /// An [`Error::NotFound`] for `entity` and a key rendered with `Display`.
    pub fn not_found(entity: impl Into<String>, key: impl fmt::Display) -> Self {
        Self::NotFound {
            entity: entity.into(),
            key: key.to_string(),
        }
    }

    /// An [`Error::Backend`] wrapping any driver error.
    pub fn backend(source: impl Into<BoxError>) -> Self {
        Self::Backend {
            source: source.into(),
        }
    }

    /// Whether re-running the whole transaction may succeed ([`Error::Busy`],
    /// or a session that failed with it).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Busy { .. } => true,
            Self::SessionFailed { first } => first.is_retryable(),
            _ => false,
        }
    }

    /// Whether the database (or the connection) raised this error while
    /// running a statement, as opposed to the library deciding the outcome
    /// (no row found, input refused before anything was sent).
    pub fn is_from_database(&self) -> bool {
        !matches!(
            self,
            Self::NotFound { .. }
                | Self::MultipleResults { .. }
                | Self::InvalidInput { .. }
                | Self::NotSupported { .. }
        )
    }

    /// A copy of this error, with its driver error kept as text (driver
    /// errors cannot be cloned): what a failed session keeps of its first
    /// failure while the original goes back to the caller.
    pub(crate) fn replica(&self) -> Self {
        let text = |source: &BoxError| -> BoxError { source.to_string().into() };
        match self {
            Self::NotFound { entity, key } => Self::NotFound {
                entity: entity.clone(),
                key: key.clone(),
            },
            Self::DuplicateKey { constraint, source } => Self::DuplicateKey {
                constraint: constraint.clone(),
                source: text(source),
            },
            Self::ForeignKey { constraint, source } => Self::ForeignKey {
                constraint: constraint.clone(),
                source: text(source),
            },
            Self::NotNull { column, source } => Self::NotNull {
                column: column.clone(),
                source: text(source),
            },
            Self::Check { constraint, source } => Self::Check {
                constraint: constraint.clone(),
                source: text(source),
            },
            Self::MultipleResults { entity } => Self::MultipleResults {
                entity: entity.clone(),
            },
            Self::InvalidInput { message } => Self::InvalidInput {
                message: message.clone(),
            },
            Self::NotSupported { operation, backend } => Self::NotSupported { operation, backend },
            Self::Busy { source } => Self::Busy {
                source: text(source),
            },
            Self::Backend { source } => Self::Backend {
                source: text(source),
            },
            Self::SessionFailed { first } => Self::SessionFailed {
                first: Box::new(first.replica()),
            },
        }
    }
}

/// The conventional name of the constraint behind a SQLite unique or
/// primary-key failure.
///
/// SQLite names columns, not constraints (`UNIQUE constraint failed:
/// tag.name`); with the naming convention of [`crate::naming`] the
/// constraint name follows from them: `pk_<table>` when `primary_key` (extended
/// code 1555), else `uq_<table>_<columns>`.
pub fn sqlite_constraint_name(primary_key: bool, message: &str) -> Option<String> {
    let (_, columns) = message.split_once("constraint failed: ")?;
    let mut table = None;
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        let (t, c) = qualified.trim().split_once('.')?;
        table.get_or_insert(t);
        names.push(c);
    }
    let table = table?;
    Some(if primary_key {
        crate::naming::primary_key(table)
    } else {
        crate::naming::unique(table, &names)
    })
}

/// `error` from an insert or update of `table`, with the name of the
/// foreign key it broke filled in when the database gave none (SQLite says
/// only `FOREIGN KEY constraint failed`) and the table has exactly one, so
/// the name follows from the naming convention of [`crate::naming`].
///
/// Only for writes into `table` itself: a delete that breaks a foreign key
/// breaks one of another table (a row referring to the deleted one), which
/// this cannot name.
pub fn name_foreign_key(error: Error, table: &crate::schema::Table) -> Error {
    match (error, table.foreign_keys()) {
        (
            Error::ForeignKey {
                constraint: None,
                source,
            },
            [fk],
        ) => Error::ForeignKey {
            constraint: Some(crate::naming::foreign_key(
                table.name(),
                &fk.column,
                &fk.referred_table,
            )),
            source,
        },
        (other, _) => other,
    }
}

/// Whether a SQLite error message reports a foreign-key violation. SQLite
/// gives these two extended codes: `SQLITE_CONSTRAINT_FOREIGNKEY` (787)
/// for an insert or update, and `SQLITE_CONSTRAINT_TRIGGER` (1811) for a
/// delete refused by `ON DELETE RESTRICT`, which drivers do not classify.
pub fn sqlite_foreign_key(message: &str) -> bool {
    message.contains("FOREIGN KEY constraint failed")
}

/// The column of a SQLite `NOT NULL constraint failed: <table>.<column>` message.
pub fn sqlite_not_null_column(message: &str) -> Option<String> {
    let (_, qualified) = message.split_once("NOT NULL constraint failed: ")?;
    let (_, column) = qualified.trim().split_once('.')?;
    Some(column.to_string())
}

/// The constraint of a SQLite `CHECK constraint failed: <name>` message.
pub fn sqlite_check_name(message: &str) -> Option<String> {
    let (_, name) = message.split_once("CHECK constraint failed: ")?;
    Some(name.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_map_to_conventional_names() {
        assert_eq!(
            sqlite_constraint_name(false, "UNIQUE constraint failed: tag.name").as_deref(),
            Some("uq_tag_name")
        );
        assert_eq!(
            sqlite_constraint_name(false, "UNIQUE constraint failed: t.a, t.b").as_deref(),
            Some("uq_t_a_b")
        );
        assert_eq!(
            sqlite_constraint_name(true, "UNIQUE constraint failed: post.id").as_deref(),
            Some("pk_post")
        );
        assert_eq!(
            sqlite_constraint_name(false, "FOREIGN KEY constraint failed"),
            None
        );
    }

    #[test]
    fn a_table_with_one_foreign_key_names_it() {
        use crate::schema::{Column, ColumnType, OnDelete, Table};
        let fk = || Error::ForeignKey {
            constraint: None,
            source: "FOREIGN KEY constraint failed".into(),
        };
        let one = Table::new("comment")
            .column(Column::new("post_id", ColumnType::BigInt))
            .foreign_key("post_id", "post", "id", OnDelete::Restrict);
        assert_eq!(
            name_foreign_key(fk(), &one).to_string(),
            "foreign key violation (fk_comment_post_id_post)"
        );
        let two = one
            .clone()
            .foreign_key("post_id", "other", "id", OnDelete::Cascade);
        assert!(matches!(
            name_foreign_key(fk(), &two),
            Error::ForeignKey {
                constraint: None,
                ..
            }
        ));
        assert!(sqlite_foreign_key("FOREIGN KEY constraint failed"));
    }

    #[test]
    fn messages_name_the_entity_and_constraint() {
        let e = Error::not_found("post", 42);
        assert_eq!(e.to_string(), "post not found: 42");
        let e = Error::DuplicateKey {
            constraint: Some("uq_tag_name".into()),
            source: "boom".into(),
        };
        assert_eq!(e.to_string(), "duplicate key (uq_tag_name)");
        assert!(!e.is_retryable());
    }

    #[test]
    fn error_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
    }
}
