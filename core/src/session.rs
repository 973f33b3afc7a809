//! The unit of work: the [`Session`] trait every backend's session
//! implements, and the [`SessionState`] each keeps.
//!
//! # A failed session stays failed
//! PostgreSQL aborts a transaction at the first statement it rejects, and
//! answers a later `COMMIT` with a rollback that drivers report as
//! success; SQLite keeps going. So that a program behaves the same on every
//! database (and never reports a commit that saved nothing, or saved half),
//! sessions follow SQLAlchemy: once the database rejects a statement the
//! library sent, the session is *failed*.
//! - The call whose statement failed returns the database's error
//!   ([`Error::DuplicateKey`], [`Error::ForeignKey`], ...).
//! - Every later call that would send a statement returns
//!   [`Error::SessionFailed`], which carries that first failure, and sends
//!   nothing.
//! - [`Session::commit`] rolls the transaction back and returns
//!   [`Error::SessionFailed`].
//!
//! Outcomes the library decides itself are not failures: no row found
//! ([`Error::NotFound`]), input refused before anything was sent
//! ([`Error::InvalidInput`]), several rows where one was expected.
//!
//! A caller who expects a statement may fail contains it in
//! [`Session::savepoint`] (SQLAlchemy's `begin_nested`): a failure inside
//! rolls back to the savepoint, and the session stays usable.
//!
//! # Hand-written statements
//! Statements sent through a backend's native escape hatch (the sqlx
//! connection, the diesel connection, the SeaORM transaction) bypass this
//! bookkeeping: the session cannot see their errors. On PostgreSQL a failed
//! hand-written statement still aborts the transaction, so the next library
//! call fails with the database's "current transaction is aborted" error
//! (and fails the session), but a `commit` with no library call in between
//! is answered with a silent rollback. Run a hand-written statement that
//! may fail inside [`Session::savepoint`], or roll the session back
//! yourself when it fails.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use crate::audit::{SharedClock, now_micros};
use crate::identity::Loaded;
use crate::unique::UniqueCache;
use crate::{Error, Result};

/// A unit of work: one transaction, plus the state the library keeps for it
/// ([`SessionState`]).
///
/// Dropping a session without [`Session::commit`] rolls the transaction back.
///
/// A backend implements the five required methods; the rest is written
/// once here. See the [module docs](self) for how a session fails.
///
/// ```
/// use alchemy_core::{Error, Repository, Result, Session};
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
/// /// Adds `a`, and `b` if it can be added: a failure of `b` inside the
/// /// savepoint is undone alone and the session stays usable.
/// async fn add_pair<R>(posts: &R, mut s: R::Session, a: Post, b: Post) -> Result<()>
/// where
///     R: Repository<Model = Post> + Clone + 'static,
/// {
///     posts.add(&mut s, a).await?;
///     // The savepoint's work owns what it uses: repositories are `Copy`.
///     let owned = posts.clone();
///     let second = s.savepoint(move |s| Box::pin(async move { owned.add(s, b).await })).await;
///     match second {
///         Ok(_) | Err(Error::DuplicateKey { .. }) => s.commit().await,
///         Err(e) => {
///             s.rollback().await?;
///             Err(e)
///         }
///     }
/// }
/// ```
pub trait Session: Send + Sized {
    /// The library's state of this unit of work (for backend authors).
    fn state(&self) -> &SessionState;

    /// The library's state of this unit of work, to change (for backend authors).
    fn state_mut(&mut self) -> &mut SessionState;

    /// Sends `COMMIT` (for backend authors; callers use [`Session::commit`],
    /// which calls this only for a session that has not failed).
    ///
    /// # Errors
    /// [`Error::Busy`] or [`Error::Backend`] when the commit fails.
    fn commit_transaction(self) -> impl Future<Output = Result<()>> + Send;

    /// Sends `ROLLBACK` (for backend authors; callers use [`Session::rollback`]).
    ///
    /// # Errors
    /// [`Error::Backend`] when the connection failed.
    fn rollback_transaction(self) -> impl Future<Output = Result<()>> + Send;

    /// Sends one savepoint statement in the transaction and converts its
    /// error (for backend authors; [`Session::savepoint`] does the bookkeeping).
    ///
    /// # Errors
    /// The database's error, converted.
    fn execute_savepoint(
        &mut self,
        statement: &SavepointStatement,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Commits the transaction.
    ///
    /// # Behavior
    /// - A failed session (see the [module docs](self)) is rolled back
    ///   instead, and its failure returned: nothing it did is saved.
    ///
    /// # Errors
    /// [`Error::SessionFailed`] for a failed session; [`Error::Busy`] or
    /// [`Error::Backend`] when the commit fails (nothing was written).
    fn commit(self) -> impl Future<Output = Result<()>> + Send {
        async move {
            if let Some(failed) = self.state().commit_refusal() {
                // The failure matters more than a failed rollback.
                let _ = self.rollback_transaction().await;
                return Err(failed);
            }
            self.commit_transaction().await
        }
    }

    /// Rolls the transaction back and forgets every cached row.
    ///
    /// # Errors
    /// [`Error::Backend`] when the connection failed; nothing was written either way.
    fn rollback(mut self) -> impl Future<Output = Result<()>> + Send {
        self.state_mut().forget_rows();
        self.rollback_transaction()
    }

    /// Runs `work` in a nested unit of work (a `SAVEPOINT`), SQLAlchemy's
    /// `begin_nested`: a failure inside rolls back what `work` did and
    /// leaves the session usable.
    ///
    /// `work` gets the session and owns what it uses (the future it returns
    /// may not borrow from outside): clone the repository into it (they are
    /// stateless values), as for [`DatabaseExt::transaction`](crate::DatabaseExt::transaction).
    ///
    /// ```
    /// # use alchemy_core::{Error, Repository, Session, Result};
    /// # async fn example<R: Repository + Clone + 'static>(posts: &R, s: &mut R::Session, row: R::Model) -> Result<()> {
    /// // A duplicate is expected and fine: the session goes on.
    /// let posts = posts.clone();
    /// let added = s
    ///     .savepoint(move |s| Box::pin(async move { posts.add(s, row).await }))
    ///     .await;
    /// match added {
    ///     Ok(_) | Err(Error::DuplicateKey { .. }) => {}
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Behavior
    /// - `work` returns `Ok` and no statement inside failed: its writes are
    ///   kept (`RELEASE SAVEPOINT`) and its value returned.
    /// - `work` returns an error, or a statement inside failed: the
    ///   transaction goes back to the savepoint (`ROLLBACK TO SAVEPOINT`),
    ///   rows loaded or cached since are forgotten, and the session is
    ///   usable again.
    /// - Savepoints nest.
    /// - A savepoint future dropped before it finished leaves the session
    ///   unable to commit: [`Session::commit`] then rolls back and fails.
    ///
    /// # Errors
    /// `work`'s error; [`Error::SessionFailed`] carrying the failure inside
    /// when `work` returned `Ok` after a statement of it failed; and
    /// [`Error::SessionFailed`] at once, sending nothing, when the session
    /// had already failed.
    fn savepoint<T, F>(&mut self, work: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send,
        F: for<'s> FnOnce(&'s mut Self) -> Pin<Box<dyn Future<Output = Result<T>> + Send + 's>>
            + Send,
    {
        async move {
            let depth = self.state().open_savepoints + 1;
            self.state_mut().begin_statement()?;
            let begun = self
                .execute_savepoint(&SavepointStatement::begin(depth))
                .await;
            self.state_mut().finish_statement(begun)?;
            self.state_mut().open_savepoints = depth;
            let outcome = work(self).await;
            let inner = self.state_mut().failure.take();
            let failure = match (outcome, inner) {
                (Ok(value), None) => {
                    let released = self
                        .execute_savepoint(&SavepointStatement::release(depth))
                        .await;
                    let state = self.state_mut();
                    state.statements += 1;
                    state.open_savepoints = depth - 1;
                    return state.finish_statement(released).map(|()| value);
                }
                (Ok(_), Some(first)) => Error::SessionFailed { first },
                (Err(e), _) => e,
            };
            // Back to the savepoint; sent even though the session failed
            // inside (that is what they are for).
            for statement in [
                SavepointStatement::rollback_to(depth),
                SavepointStatement::release(depth),
            ] {
                let sent = self.execute_savepoint(&statement).await;
                self.state_mut().statements += 1;
                self.state_mut().finish_statement(sent)?;
            }
            let state = self.state_mut();
            state.open_savepoints = depth - 1;
            // Rows read or cached inside may be gone now.
            state.forget_rows();
            Err(failure)
        }
    }

    /// The rows cached by get-or-create in this unit of work.
    fn unique_cache(&mut self) -> &mut UniqueCache {
        &mut self.state_mut().cache
    }

    /// The column values of rows this unit of work has loaded or written
    /// (cleared on rollback); `update` writes only what differs from them.
    fn loaded(&mut self) -> &mut Loaded {
        &mut self.state_mut().loaded
    }

    /// The clock that stamps audit columns.
    fn clock(&self) -> &SharedClock {
        &self.state().clock
    }

    /// Statements this session has sent through the library (not through the
    /// native escape hatch); lets tests prove that a call sent nothing.
    fn statements(&self) -> u64 {
        self.state().statements
    }

    /// The first failure of a failed session (see the [module docs](self)),
    /// `None` while it is usable.
    fn failure(&self) -> Option<&Error> {
        self.state().failure.as_deref()
    }
}

/// What the library keeps for one unit of work: the get-or-create cache,
/// the loaded rows, the clock, a statement counter and whether the session
/// has failed. Each backend's session holds one and hands it out through
/// [`Session::state`]; backends call [`SessionState::begin_statement`] and
/// [`SessionState::finish_statement`] around every statement they send.
pub struct SessionState {
    cache: UniqueCache,
    loaded: Loaded,
    clock: SharedClock,
    statements: u64,
    /// A copy of the first failure (see [`Error::replica`]).
    failure: Option<Box<Error>>,
    /// Savepoints [`Session::savepoint`] holds open.
    open_savepoints: u32,
}

impl fmt::Debug for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionState")
            .field("statements", &self.statements)
            .field("failure", &self.failure)
            .field("open_savepoints", &self.open_savepoints)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl SessionState {
    /// A fresh unit of work stamping audit columns with `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            cache: UniqueCache::new(),
            loaded: Loaded::new(),
            clock,
            statements: 0,
            failure: None,
            open_savepoints: 0,
        }
    }

    /// Statements sent through the library so far.
    pub fn statements(&self) -> u64 {
        self.statements
    }

    /// The clock's now, cut to microseconds: the stamp for audit columns.
    pub fn now(&self) -> DateTime<Utc> {
        now_micros(self.clock.as_ref())
    }

    /// Whether the session is usable (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::SessionFailed`] carrying the first failure.
    pub fn ensure_usable(&self) -> Result<()> {
        match self.failed_error() {
            Some(failed) => Err(failed),
            None => Ok(()),
        }
    }

    /// Call before sending a statement: counts it, or refuses when the
    /// session has failed.
    ///
    /// # Errors
    /// [`Error::SessionFailed`] carrying the first failure; the statement
    /// must not be sent.
    pub fn begin_statement(&mut self) -> Result<()> {
        self.ensure_usable()?;
        self.statements += 1;
        Ok(())
    }

    /// Call with the outcome of a statement sent after
    /// [`SessionState::begin_statement`]: an error raised by the database
    /// ([`Error::is_from_database`]) fails the session, keeping the first.
    ///
    /// # Errors
    /// `result`'s error, unchanged.
    pub fn finish_statement<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result
            && e.is_from_database()
            && self.failure.is_none()
        {
            self.failure = Some(Box::new(e.replica()));
        }
        result
    }

    /// Takes back the failure the last statement recorded, a duplicate key
    /// the database undid alone, leaving the transaction as it was
    /// ([`SqlDialect::duplicate_undoes_statement`]): the session goes on, as
    /// after a savepoint rolled back.
    ///
    /// [`SqlDialect::duplicate_undoes_statement`]: crate::dialect::SqlDialect::duplicate_undoes_statement
    pub(crate) fn contain_duplicate(&mut self) {
        if matches!(self.failure.as_deref(), Some(Error::DuplicateKey { .. })) {
            self.failure = None;
        }
    }

    /// The outcome of a write of several statements (`add_many`,
    /// `update_many`, `upsert_many`) on `table`, begun when the session had
    /// sent `sent_before` statements.
    ///
    /// # Behavior
    /// - A foreign key the error names nothing of is named after `table`'s
    ///   only one ([`crate::error::name_foreign_key`]).
    /// - An error after a statement was sent fails the session, whatever
    ///   raised it (a row found missing, a count that does not add up):
    ///   some rows may be written and others not, so the unit of work must
    ///   not commit. Input refused before anything was written
    ///   ([`Error::InvalidInput`], [`Error::MultipleResults`]) does not.
    ///
    /// # Errors
    /// `result`'s error.
    pub fn finish_writes<T>(
        &mut self,
        sent_before: u64,
        table: &crate::schema::Table,
        result: Result<T>,
    ) -> Result<T> {
        let result = result.map_err(|e| crate::error::name_foreign_key(e, table));
        if let Err(e) = &result
            && self.statements > sent_before
            && !matches!(
                e,
                Error::InvalidInput { .. }
                    | Error::MultipleResults { .. }
                    | Error::NotSupported { .. }
            )
            && self.failure.is_none()
        {
            self.failure = Some(Box::new(e.replica()));
        }
        result
    }

    /// The error every call of a failed session returns; `None` while it is
    /// usable.
    fn failed_error(&self) -> Option<Error> {
        let first = self.failure.as_ref()?;
        Some(Error::SessionFailed {
            first: Box::new(first.replica()),
        })
    }

    /// Why [`Session::commit`] must roll back instead: the session failed,
    /// or a savepoint block was dropped before it finished (its work is
    /// neither kept nor undone, so the transaction is in no known state).
    fn commit_refusal(&self) -> Option<Error> {
        if self.open_savepoints > 0 {
            return Some(Error::SessionFailed {
                first: Box::new(Error::backend(
                    "a savepoint block was dropped before it finished",
                )),
            });
        }
        self.failed_error()
    }

    /// Forgets cached and loaded rows (on rollback).
    pub fn forget_rows(&mut self) {
        self.cache.clear();
        self.loaded.clear();
    }
}

/// One statement of [`Session::savepoint`]: `SAVEPOINT`, `ROLLBACK TO
/// SAVEPOINT` or `RELEASE SAVEPOINT` of a savepoint named after its depth.
/// Only the library makes them; a backend runs [`SavepointStatement::sql`]
/// as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavepointStatement {
    sql: String,
}

impl SavepointStatement {
    fn begin(depth: u32) -> Self {
        Self {
            sql: format!("SAVEPOINT alchemy_{depth}"),
        }
    }

    fn rollback_to(depth: u32) -> Self {
        Self {
            sql: format!("ROLLBACK TO SAVEPOINT alchemy_{depth}"),
        }
    }

    fn release(depth: u32) -> Self {
        Self {
            sql: format!("RELEASE SAVEPOINT alchemy_{depth}"),
        }
    }

    /// The statement's text (the same on every supported database).
    pub fn sql(&self) -> &str {
        &self.sql
    }
}
