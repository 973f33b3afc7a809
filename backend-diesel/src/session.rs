//! The [`DieselSession`]: one transaction on a pooled connection, the get-or-create
//! cache, the clock and a statement counter.

use std::fmt;

use alchemy_core::audit::SharedClock;
use alchemy_core::schema::{Dialect, Table};
use alchemy_core::session::{SavepointStatement, SessionState};
use alchemy_core::{Error, Result};
#[cfg(feature = "mysql")]
use diesel_async::AsyncMysqlConnection;
#[cfg(feature = "postgres")]
use diesel_async::AsyncPgConnection;
use diesel_async::SimpleAsyncConnection;
use diesel_async::pooled_connection::deadpool::Object;

#[cfg(feature = "sqlite")]
use crate::db::SqliteConn;
use crate::error;

/// A pooled connection of any of the databases.
pub(crate) enum Connection {
    // Boxed: the PostgreSQL and MariaDB connections are several times larger.
    #[cfg(feature = "postgres")]
    Postgres(Box<Object<AsyncPgConnection>>),
    #[cfg(feature = "sqlite")]
    Sqlite(Object<SqliteConn>),
    #[cfg(feature = "mysql")]
    Mysql(Box<Object<AsyncMysqlConnection>>),
}

impl Connection {
    /// Takes the connection out of its pool and closes it, so a transaction
    /// left open on it can never be reused: closing rolls it back.
    pub(crate) fn discard(self) {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(c) => drop(Object::take(*c)),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(c) => drop(Object::take(c)),
            #[cfg(feature = "mysql")]
            Self::Mysql(c) => drop(Object::take(*c)),
        }
    }

    fn as_mut(&mut self) -> ConnectionMut<'_> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(c) => ConnectionMut::Postgres(c),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(c) => ConnectionMut::Sqlite(c),
            #[cfg(feature = "mysql")]
            Self::Mysql(c) => ConnectionMut::Mysql(c),
        }
    }
}

/// The native diesel-async connection of a [`DieselSession`], inside its open
/// transaction: the escape hatch for hand-written diesel queries.
///
/// Queries run through it are part of the session's transaction but are not
/// counted by [`alchemy_core::Session::statements`]. Do not commit or roll
/// back through it; use the session.
pub enum ConnectionMut<'a> {
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(&'a mut AsyncPgConnection),
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut SqliteConn),
    /// A MariaDB connection.
    #[cfg(feature = "mysql")]
    Mysql(&'a mut AsyncMysqlConnection),
}

impl fmt::Debug for ConnectionMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => "ConnectionMut::Postgres(..)",
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => "ConnectionMut::Sqlite(..)",
            #[cfg(feature = "mysql")]
            Self::Mysql(_) => "ConnectionMut::Mysql(..)",
        })
    }
}

/// A unit of work: a transaction on one pooled connection (begun by
/// [`alchemy_core::Database::begin`]) and the library's
/// [`SessionState`] (get-or-create cache, loaded rows, clock, statement
/// counter, failure).
///
/// Dropping a session without [`commit`](alchemy_core::Session::commit)
/// rolls the transaction back: a background task sends `ROLLBACK` before
/// the connection goes back to the pool (or the connection is closed).
///
/// ```
/// use alchemy_core::{Database, Session};
/// use alchemy_diesel::{ConnectionMut, DieselDb};
/// use diesel::sql_types::BigInt;
/// use diesel_async::RunQueryDsl;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> alchemy_core::Result<()> {
/// let db = DieselDb::connect("sqlite::memory:").await?;
/// let mut s = db.begin().await?;
/// // The escape hatch: diesel itself, inside the session's transaction,
/// // on whichever connection type the URL chose.
/// let query = diesel::select(diesel::dsl::sql::<BigInt>("1"));
/// let one: i64 = match s.connection()? {
///     ConnectionMut::Postgres(c) => query.get_result(c).await,
///     ConnectionMut::Sqlite(c) => query.get_result(c).await,
///     ConnectionMut::Mysql(c) => query.get_result(c).await,
/// }
/// .map_err(alchemy_core::Error::backend)?;
/// assert_eq!(one, 1);
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub struct DieselSession {
    conn: Option<Connection>,
    dialect: Dialect,
    state: SessionState,
}

impl fmt::Debug for DieselSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DieselSession")
            .field("dialect", &self.dialect)
            .field("open", &self.conn.is_some())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl DieselSession {
    pub(crate) fn new(conn: Connection, dialect: Dialect, clock: SharedClock) -> Self {
        Self {
            conn: Some(conn),
            dialect,
            state: SessionState::new(clock),
        }
    }

    /// The database this session runs on.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The native connection, inside this session's transaction (the escape
    /// hatch for hand-written diesel queries).
    ///
    /// A statement that fails here does not fail the session (see
    /// [`alchemy_core::session`]): run one that may fail inside
    /// [`alchemy_core::Session::savepoint`].
    ///
    /// # Errors
    /// [`Error::Backend`] only if the session has already given its
    /// connection up (cannot happen through the public API, which consumes
    /// the session on commit and rollback).
    pub fn connection(&mut self) -> Result<ConnectionMut<'_>> {
        match self.conn.as_mut() {
            Some(c) => Ok(c.as_mut()),
            None => Err(Error::backend("the session has no connection any more")),
        }
    }

    /// The connection for one statement of the library's, counted.
    ///
    /// # Errors
    /// [`Error::SessionFailed`] when the session has failed: nothing may be sent.
    pub(crate) fn statement_connection(&mut self) -> Result<ConnectionMut<'_>> {
        self.state.begin_statement()?;
        self.connection()
    }

    /// The outcome of a statement on `table` sent on
    /// [`DieselSession::statement_connection`]: its error converted, failing
    /// the session.
    pub(crate) fn sent<'t, T>(
        &mut self,
        table: impl Into<Option<&'t Table>>,
        result: diesel::QueryResult<T>,
    ) -> Result<T> {
        let table = table.into();
        let result = result.map_err(|e| error::from_diesel(e, self.dialect, table));
        self.state.finish_statement(result)
    }

    /// Runs a statement that returns no rows, counting it; the number of
    /// rows it wrote.
    pub(crate) async fn execute_sql(&mut self, table: &Table, sql: crate::sql::Sql) -> Result<u64> {
        let query = sql.query(());
        let result = match self.statement_connection()? {
            #[cfg(feature = "postgres")]
            ConnectionMut::Postgres(c) => diesel_async::RunQueryDsl::execute(query, c).await,
            #[cfg(feature = "sqlite")]
            ConnectionMut::Sqlite(c) => diesel_async::RunQueryDsl::execute(query, c).await,
            #[cfg(feature = "mysql")]
            ConnectionMut::Mysql(c) => diesel_async::RunQueryDsl::execute(query, c).await,
        };
        self.sent(table, result)
            .map(|n| u64::try_from(n).unwrap_or(u64::MAX))
    }

    async fn finish(mut self, sql: &str) -> Result<()> {
        let dialect = self.dialect;
        let Some(mut conn) = self.conn.take() else {
            return Err(Error::backend("the session has no connection any more"));
        };
        self.state.forget_rows();
        let result = match &mut conn {
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => c.batch_execute(sql).await,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => c.batch_execute(sql).await,
            #[cfg(feature = "mysql")]
            Connection::Mysql(c) => c.batch_execute(sql).await,
        };
        match result {
            // Back to the pool, outside any transaction.
            Ok(()) => Ok(()),
            Err(e) => {
                conn.discard();
                Err(error::from_diesel(e, dialect, None))
            }
        }
    }
}

/// Holds the connection of a dropped session until its `ROLLBACK` went
/// through; if it did not (an error, or the task was dropped with its
/// runtime), the connection is closed instead of going back to the pool.
struct RollbackGuard(Option<Connection>);

impl RollbackGuard {
    async fn rollback(mut self) {
        let ok = match self.0.as_mut() {
            #[cfg(feature = "postgres")]
            Some(Connection::Postgres(c)) => c.batch_execute("ROLLBACK").await.is_ok(),
            #[cfg(feature = "sqlite")]
            Some(Connection::Sqlite(c)) => c.batch_execute("ROLLBACK").await.is_ok(),
            #[cfg(feature = "mysql")]
            Some(Connection::Mysql(c)) => c.batch_execute("ROLLBACK").await.is_ok(),
            None => false,
        };
        if ok {
            // Back to the pool, outside any transaction.
            drop(self.0.take());
        }
    }
}

impl Drop for RollbackGuard {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.discard();
        }
    }
}

impl Drop for DieselSession {
    /// Rolls an unfinished transaction back: a task on the current tokio
    /// runtime sends `ROLLBACK` and returns the connection to the pool
    /// (keeping an in-memory SQLite database alive); without a runtime, or
    /// if that fails, the connection is closed, which rolls back as well.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let guard = RollbackGuard(Some(conn));
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(guard.rollback());
            }
            Err(_) => drop(guard),
        }
    }
}

impl alchemy_core::Session for DieselSession {
    fn state(&self) -> &SessionState {
        &self.state
    }

    fn state_mut(&mut self) -> &mut SessionState {
        &mut self.state
    }

    /// Sends `COMMIT`; the connection goes back to the pool.
    ///
    /// # Errors
    /// [`Error::Busy`] or [`Error::Backend`] when the commit fails; the
    /// connection is then closed (rolling the transaction back).
    async fn commit_transaction(self) -> Result<()> {
        self.finish("COMMIT").await
    }

    /// Sends `ROLLBACK`.
    ///
    /// # Errors
    /// [`Error::Backend`] when the connection failed; it is then closed,
    /// which rolls the transaction back as well.
    async fn rollback_transaction(self) -> Result<()> {
        self.finish("ROLLBACK").await
    }

    async fn execute_savepoint(&mut self, statement: &SavepointStatement) -> Result<()> {
        let result = match self.connection()? {
            #[cfg(feature = "postgres")]
            ConnectionMut::Postgres(c) => c.batch_execute(statement.sql()).await,
            #[cfg(feature = "sqlite")]
            ConnectionMut::Sqlite(c) => c.batch_execute(statement.sql()).await,
            #[cfg(feature = "mysql")]
            ConnectionMut::Mysql(c) => c.batch_execute(statement.sql()).await,
        };
        result.map_err(|e| error::from_diesel(e, self.dialect, None))
    }
}
