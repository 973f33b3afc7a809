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
///
/// ```
/// use alchemy_core::{Error, Repository, Result};
/// # use alchemy_core::{Model, base::BigIntAuditBase};
/// # use chrono::{DateTime, Utc};
/// # #[derive(Debug, Clone, Model)]
/// # #[model(base = BigIntAuditBase)]
/// # pub struct Post {
/// #     pub id: i64,
/// #     pub created_at: DateTime<Utc>,
/// #     pub updated_at: DateTime<Utc>,
/// #     #[model(varchar(200))]
/// #     pub title: String,
/// #     pub published: bool,
/// # }
///
/// /// Adds a post, or says which constraint its title broke.
/// async fn add_post<R: Repository<Model = Post>>(posts: &R, s: &mut R::Session, post: Post) -> Result<Option<Post>> {
///     match posts.add(s, post).await {
///         Ok(post) => Ok(Some(post)),
///         Err(Error::DuplicateKey { constraint, .. }) => {
///             println!("taken: {constraint:?}");
///             Ok(None)
///         }
///         // Worth running the whole unit of work again.
///         Err(e @ Error::Busy { .. }) => Err(e),
///         Err(e) => Err(e),
///     }
/// }
/// ```
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

/// What a database said about a statement it refused, as a backend reads
/// it from its driver: the view [`classify`] turns into an [`Error`], once
/// for every backend (for backend authors; sqlx's `DatabaseError` is the
/// model). Fill in what the driver exposes and leave the rest `None`.
#[derive(Debug, Clone, Copy)]
pub struct DbFailure<'a> {
    /// The database that refused it.
    pub dialect: crate::dialect::Dialect,
    /// PostgreSQL's SQLSTATE, or SQLite's extended result code in decimal.
    pub code: Option<&'a str>,
    /// The database's message.
    pub message: &'a str,
    /// The constraint the database named (PostgreSQL).
    pub constraint: Option<&'a str>,
    /// The column the database named (PostgreSQL's not-null violations).
    pub column: Option<&'a str>,
    /// The driver's own classification, used when there is no code (diesel
    /// exposes kinds, not codes).
    pub kind: Option<FailureKind>,
}

/// The kinds of failure [`classify`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// A unique or primary-key violation.
    Unique,
    /// A foreign-key violation.
    ForeignKey,
    /// A not-null violation.
    NotNull,
    /// A check-constraint violation.
    Check,
    /// A failure that running the unit of work again may not meet: a lock
    /// held, a deadlock, a serialization failure.
    Busy,
}

/// A failure classified by [`classify`], waiting for its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    kind: Option<FailureKind>,
    /// The constraint or column named.
    name: Option<String>,
}

impl Classified {
    /// The kind, if the failure is one the library tells apart.
    pub fn kind(&self) -> Option<FailureKind> {
        self.kind
    }

    /// The [`Error`], with the driver's error as its source.
    pub fn into_error(self, source: impl Into<BoxError>) -> Error {
        let source = source.into();
        let name = self.name;
        match self.kind {
            Some(FailureKind::Unique) => Error::DuplicateKey {
                constraint: name,
                source,
            },
            Some(FailureKind::ForeignKey) => Error::ForeignKey {
                constraint: name,
                source,
            },
            Some(FailureKind::NotNull) => Error::NotNull {
                column: name,
                source,
            },
            Some(FailureKind::Check) => Error::Check {
                constraint: name,
                source,
            },
            Some(FailureKind::Busy) => Error::Busy { source },
            None => Error::Backend { source },
        }
    }
}

/// Classifies a failure the database reported, the same way for every
/// backend, with the rules of its database ([`crate::dialect`]):
/// - the kind comes from the code (a SQLSTATE, a SQLite extended code),
///   else from the driver's own kind, else from the message
///   ([`SqlDialect::failure_kind_from_message`](crate::dialect::SqlDialect::failure_kind_from_message));
/// - the name, a constraint or for a not-null violation a column, is what
///   the database reported or, on SQLite, which names columns only, the
///   conventional name ([`crate::dialect::sqlite::constraint_name`]);
///   a foreign key on SQLite is named by [`name_foreign_key`].
pub fn classify(failure: &DbFailure<'_>, table: Option<&crate::schema::Table>) -> Classified {
    let rules = failure.dialect.rules();
    let kind = failure
        .code
        .and_then(|code| rules.failure_kind(code))
        .or(failure.kind)
        .or_else(|| rules.failure_kind_from_message(failure.message));
    let name = kind.and_then(|kind| rules.failure_name(kind, failure, table));
    Classified { kind, name }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(crate::dialect::sqlite::is_foreign_key(
            "FOREIGN KEY constraint failed"
        ));
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

    fn failure(
        dialect: crate::dialect::Dialect,
        code: Option<&'static str>,
        message: &'static str,
    ) -> DbFailure<'static> {
        DbFailure {
            dialect,
            code,
            message,
            constraint: None,
            column: None,
            kind: None,
        }
    }

    #[test]
    fn codes_classify_on_both_databases() {
        use crate::schema::Dialect::{Postgres, Sqlite};
        let unique = failure(Sqlite, Some("2067"), "UNIQUE constraint failed: tag.name");
        assert_eq!(
            classify(&unique, None),
            Classified {
                kind: Some(FailureKind::Unique),
                name: Some("uq_tag_name".into())
            }
        );
        let pk = failure(Sqlite, Some("1555"), "UNIQUE constraint failed: tag.id");
        assert_eq!(classify(&pk, None).name.as_deref(), Some("pk_tag"));
        let restrict = failure(Sqlite, Some("1811"), "FOREIGN KEY constraint failed");
        assert_eq!(
            classify(&restrict, None).kind(),
            Some(FailureKind::ForeignKey)
        );
        assert_eq!(
            classify(&failure(Sqlite, Some("517"), "busy"), None).kind(),
            Some(FailureKind::Busy)
        );
        let mut pg = failure(Postgres, Some("23505"), "duplicate key value");
        pg.constraint = Some("uq_tag_name");
        assert_eq!(classify(&pg, None).name.as_deref(), Some("uq_tag_name"));
        let mut not_null = failure(Postgres, Some("23502"), "null value");
        not_null.column = Some("title");
        assert_eq!(classify(&not_null, None).name.as_deref(), Some("title"));
        assert_eq!(
            classify(&failure(Postgres, Some("40P01"), "deadlock detected"), None).kind(),
            Some(FailureKind::Busy)
        );
        assert_eq!(
            classify(&failure(Postgres, Some("42601"), "syntax"), None).kind(),
            None
        );
    }

    #[test]
    fn without_a_code_the_kind_and_message_classify() {
        use crate::schema::{Column, ColumnType, Dialect::Sqlite, Table};
        let t = Table::new("post")
            .column(Column::new("id", ColumnType::Uuid))
            .column(Column::new("title", ColumnType::Text))
            .primary_key(["id"]);
        let mut key = failure(Sqlite, None, "UNIQUE constraint failed: post.id");
        key.kind = Some(FailureKind::Unique);
        assert_eq!(classify(&key, Some(&t)).name.as_deref(), Some("pk_post"));
        let mut title = failure(Sqlite, None, "UNIQUE constraint failed: post.title");
        title.kind = Some(FailureKind::Unique);
        assert_eq!(
            classify(&title, Some(&t)).name.as_deref(),
            Some("uq_post_title")
        );
        let check = failure(Sqlite, None, "CHECK constraint failed: ck_post_title");
        assert_eq!(
            classify(&check, None).name.as_deref(),
            Some("ck_post_title")
        );
        let locked = failure(Sqlite, None, "database is locked");
        assert!(matches!(
            classify(&locked, None).into_error("x"),
            Error::Busy { .. }
        ));
    }
}
