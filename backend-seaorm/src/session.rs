//! The [`SeaSession`]: a SeaORM transaction, the get-or-create cache, the clock
//! and a statement counter.

use alchemy_core::Result;
use alchemy_core::audit::SharedClock;
use alchemy_core::schema::Table;
use alchemy_core::session::{SavepointStatement, SessionState};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

use crate::error::{from_db, from_db_in};

/// A unit of work: one SeaORM [`DatabaseTransaction`] plus the library's
/// [`SessionState`] (get-or-create cache, loaded rows, clock, statement
/// counter, failure).
///
/// Dropping a session without committing rolls the transaction back (SeaORM
/// does so when a [`DatabaseTransaction`] is dropped).
///
/// ```
/// use alchemy_core::{Database, Session};
/// use alchemy_seaorm::SeaDb;
/// use sea_orm::ConnectionTrait;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> alchemy_core::Result<()> {
/// let db = SeaDb::connect("sqlite::memory:").await?;
/// let s = db.begin().await?;
/// // The escape hatch: SeaORM itself, inside the session's transaction.
/// s.connection()
///     .execute_unprepared("CREATE TABLE scratch (n INTEGER)")
///     .await
///     .map_err(alchemy_core::Error::backend)?;
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub struct SeaSession {
    tx: DatabaseTransaction,
    state: SessionState,
}

impl std::fmt::Debug for SeaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeaSession")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl SeaSession {
    pub(crate) fn new(tx: DatabaseTransaction, clock: SharedClock) -> Self {
        Self {
            tx,
            state: SessionState::new(clock),
        }
    }

    /// The native SeaORM transaction: the escape hatch for hand-written
    /// queries (`Entity::find().all(session.connection())`). Statements sent
    /// through it are part of this unit of work but are not counted by
    /// [`statements`](alchemy_core::Session::statements), rows they change
    /// are not seen by the get-or-create cache, and one that fails does not
    /// fail the session (see [`alchemy_core::session`]): run one that may
    /// fail inside [`alchemy_core::Session::savepoint`].
    pub fn connection(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// The transaction for one statement of the library's, counted.
    ///
    /// # Errors
    /// [`alchemy_core::Error::SessionFailed`] when the session has failed:
    /// nothing may be sent.
    pub(crate) fn statement_tx(&mut self) -> Result<&DatabaseTransaction> {
        self.state.begin_statement()?;
        Ok(&self.tx)
    }

    /// The outcome of a statement on `table` sent on
    /// [`SeaSession::statement_tx`]: its error converted, failing the
    /// session.
    pub(crate) fn sent_in<T>(
        &mut self,
        table: &Table,
        result: std::result::Result<T, DbErr>,
    ) -> Result<T> {
        self.state
            .finish_statement(result.map_err(|e| from_db_in(e, Some(table))))
    }
}

impl alchemy_core::Session for SeaSession {
    fn state(&self) -> &SessionState {
        &self.state
    }

    fn state_mut(&mut self) -> &mut SessionState {
        &mut self.state
    }

    /// Commits the transaction.
    ///
    /// # Errors
    /// [`alchemy_core::Error::Busy`] or [`alchemy_core::Error::Backend`].
    async fn commit_transaction(self) -> Result<()> {
        self.tx.commit().await.map_err(from_db)
    }

    /// Rolls back.
    ///
    /// # Errors
    /// [`alchemy_core::Error::Backend`].
    async fn rollback_transaction(self) -> Result<()> {
        self.tx.rollback().await.map_err(from_db)
    }

    async fn execute_savepoint(&mut self, statement: &SavepointStatement) -> Result<()> {
        self.tx
            .execute_unprepared(statement.sql())
            .await
            .map(drop)
            .map_err(from_db)
    }
}
