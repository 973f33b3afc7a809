//! The unit of work: a sqlx transaction plus the get-or-create cache.

use std::fmt;

use alchemy_core::audit::SharedClock;
use alchemy_core::schema::Table;
use alchemy_core::session::{SavepointStatement, SessionState};
use alchemy_core::{Result, Session};
use sqlx::Transaction;

use crate::backend::SqlxBackend;
use crate::error::{convert, convert_in};

/// One transaction. Dropping it without [`Session::commit`] rolls back.
///
/// ```
/// use alchemy_core::{Database, Session};
/// use alchemy_sqlx::SqliteDb;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> alchemy_core::Result<()> {
/// let db = SqliteDb::connect("sqlite::memory:").await?;
/// let mut s = db.begin().await?;
/// // The escape hatch: sqlx itself, inside the session's transaction.
/// let one: i64 = sqlx::query_scalar("SELECT 1")
///     .fetch_one(s.connection())
///     .await
///     .map_err(alchemy_core::Error::backend)?;
/// assert_eq!(one, 1);
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub struct SqlxSession<DB: SqlxBackend> {
    tx: Transaction<'static, DB>,
    state: SessionState,
}

impl<DB: SqlxBackend> fmt::Debug for SqlxSession<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlxSession")
            .field("dialect", &DB::DIALECT)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<DB: SqlxBackend> SqlxSession<DB> {
    pub(crate) fn new(tx: Transaction<'static, DB>, clock: SharedClock) -> Self {
        Self {
            tx,
            state: SessionState::new(clock),
        }
    }

    /// The transaction's connection, for hand-written queries in the same
    /// unit of work (`query(..).fetch_all(session.connection())`).
    ///
    /// Rows written this way are not seen by the get-or-create cache, and a
    /// statement that fails here does not fail the session (see
    /// [`alchemy_core::session`]): run one that may fail inside
    /// [`Session::savepoint`].
    pub fn connection(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }

    /// The connection for one statement of the library's, counted.
    ///
    /// # Errors
    /// [`Error::SessionFailed`](alchemy_core::Error::SessionFailed) when the
    /// session has failed: nothing may be sent.
    pub(crate) fn conn_for_statement(&mut self) -> Result<&mut DB::Connection> {
        self.state.begin_statement()?;
        Ok(&mut self.tx)
    }

    /// The outcome of a statement on `table` sent on
    /// [`SqlxSession::conn_for_statement`]: its error converted, failing
    /// the session.
    pub(crate) fn sent_in<T>(&mut self, table: &Table, result: sqlx::Result<T>) -> Result<T> {
        self.state
            .finish_statement(result.map_err(|e| convert_in(e, Some(table))))
    }
}

impl<DB: SqlxBackend> Session for SqlxSession<DB> {
    fn state(&self) -> &SessionState {
        &self.state
    }

    fn state_mut(&mut self) -> &mut SessionState {
        &mut self.state
    }

    async fn commit_transaction(self) -> Result<()> {
        self.tx.commit().await.map_err(convert)
    }

    async fn rollback_transaction(self) -> Result<()> {
        self.tx.rollback().await.map_err(convert)
    }

    async fn execute_savepoint(&mut self, statement: &SavepointStatement) -> Result<()> {
        DB::execute_sql_in(&mut self.tx, statement.sql())
            .await
            .map_err(convert)
    }
}
