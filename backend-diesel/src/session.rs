//! The [`Session`]: one transaction on a pooled connection, the get-or-create
//! cache, the clock and a statement counter.

use std::fmt;

use alchemy_core::audit::{SharedClock, now_micros};
use alchemy_core::identity::Loaded;
use alchemy_core::schema::{Dialect, Table};
use alchemy_core::unique::UniqueCache;
use alchemy_core::{Error, Result};
use chrono::{DateTime, Utc};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

use crate::db::SqliteConn;
use crate::error;

/// A pooled connection of either database.
pub(crate) enum Connection {
    // Boxed: the PostgreSQL connection is several times larger.
    Postgres(Box<Object<AsyncPgConnection>>),
    Sqlite(Object<SqliteConn>),
}

impl Connection {
    /// Takes the connection out of its pool and closes it, so a transaction
    /// left open on it can never be reused: closing rolls it back.
    pub(crate) fn discard(self) {
        match self {
            Self::Postgres(c) => drop(Object::take(*c)),
            Self::Sqlite(c) => drop(Object::take(c)),
        }
    }

    fn as_mut(&mut self) -> ConnectionMut<'_> {
        match self {
            Self::Postgres(c) => ConnectionMut::Postgres(c),
            Self::Sqlite(c) => ConnectionMut::Sqlite(c),
        }
    }
}

/// The native diesel-async connection of a [`Session`], inside its open
/// transaction: the escape hatch for hand-written diesel queries.
///
/// Queries run through it are part of the session's transaction but are not
/// counted by [`alchemy_core::Session::statements`]. Do not commit or roll
/// back through it; use the session.
pub enum ConnectionMut<'a> {
    /// A PostgreSQL connection.
    Postgres(&'a mut AsyncPgConnection),
    /// A SQLite connection.
    Sqlite(&'a mut SqliteConn),
}

impl fmt::Debug for ConnectionMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Postgres(_) => "ConnectionMut::Postgres(..)",
            Self::Sqlite(_) => "ConnectionMut::Sqlite(..)",
        })
    }
}

/// A unit of work: a transaction on one pooled connection (begun by
/// [`alchemy_core::Database::begin`]), the get-or-create cache, the clock
/// and a counter of the statements sent through the library.
///
/// Dropping a session without [`commit`](alchemy_core::Session::commit)
/// rolls the transaction back: a background task sends `ROLLBACK` before
/// the connection goes back to the pool (or the connection is closed).
pub struct Session {
    conn: Option<Connection>,
    dialect: Dialect,
    clock: SharedClock,
    cache: UniqueCache,
    loaded: Loaded,
    statements: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("dialect", &self.dialect)
            .field("open", &self.conn.is_some())
            .field("statements", &self.statements)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(conn: Connection, dialect: Dialect, clock: SharedClock) -> Self {
        Self {
            conn: Some(conn),
            dialect,
            clock,
            cache: UniqueCache::new(),
            loaded: Loaded::new(),
            statements: 0,
        }
    }

    /// The database this session runs on.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The native connection, inside this session's transaction (the escape
    /// hatch for hand-written diesel queries).
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

    /// The clock's now, cut to microseconds: the stamp for audit columns.
    #[doc(hidden)]
    pub fn __now(&self) -> DateTime<Utc> {
        now_micros(self.clock.as_ref())
    }

    /// Counts one statement sent by the library and converts its error,
    /// raised by a statement on `table`.
    #[doc(hidden)]
    pub fn __sent<'t, T>(
        &mut self,
        table: impl Into<Option<&'t Table>>,
        result: diesel::QueryResult<T>,
    ) -> Result<T> {
        self.statements += 1;
        let table = table.into();
        result.map_err(|e| error::from_diesel(e, self.dialect, table))
    }

    /// Counts `sent` statements sent by the library and converts their error.
    #[doc(hidden)]
    pub fn __sent_many<'t, T>(
        &mut self,
        sent: u64,
        table: impl Into<Option<&'t Table>>,
        result: diesel::QueryResult<T>,
    ) -> Result<T> {
        self.statements += sent.saturating_sub(1);
        self.__sent(table, result)
    }

    /// Runs one statement of library-written SQL (savepoints) on the
    /// session's connection, counting it.
    #[doc(hidden)]
    pub async fn __execute(&mut self, sql: &str) -> Result<()> {
        let result = match self.connection()? {
            ConnectionMut::Postgres(c) => c.batch_execute(sql).await,
            ConnectionMut::Sqlite(c) => c.batch_execute(sql).await,
        };
        self.__sent(None, result)
    }

    /// Runs a statement that returns no rows, counting it; the number of
    /// rows it wrote.
    #[doc(hidden)]
    pub async fn __execute_sql(&mut self, table: &Table, sql: crate::sql::Sql) -> Result<usize> {
        let query = sql.query(());
        let result = match self.connection()? {
            ConnectionMut::Postgres(c) => diesel_async::RunQueryDsl::execute(query, c).await,
            ConnectionMut::Sqlite(c) => diesel_async::RunQueryDsl::execute(query, c).await,
        };
        self.__sent(table, result)
    }

    async fn finish(mut self, sql: &str) -> Result<()> {
        let dialect = self.dialect;
        let Some(mut conn) = self.conn.take() else {
            return Err(Error::backend("the session has no connection any more"));
        };
        self.cache.clear();
        self.loaded.clear();
        let result = match &mut conn {
            Connection::Postgres(c) => c.batch_execute(sql).await,
            Connection::Sqlite(c) => c.batch_execute(sql).await,
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
            Some(Connection::Postgres(c)) => c.batch_execute("ROLLBACK").await.is_ok(),
            Some(Connection::Sqlite(c)) => c.batch_execute("ROLLBACK").await.is_ok(),
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

impl Drop for Session {
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

impl alchemy_core::Session for Session {
    /// Sends `COMMIT`; the connection goes back to the pool.
    ///
    /// # Errors
    /// [`Error::Busy`] or [`Error::Backend`] when the commit fails; the
    /// connection is then closed (rolling the transaction back).
    async fn commit(self) -> Result<()> {
        self.finish("COMMIT").await
    }

    /// Sends `ROLLBACK` and forgets every cached row.
    ///
    /// # Errors
    /// [`Error::Backend`] when the connection failed; it is then closed,
    /// which rolls the transaction back as well.
    async fn rollback(self) -> Result<()> {
        self.finish("ROLLBACK").await
    }

    fn unique_cache(&mut self) -> &mut UniqueCache {
        &mut self.cache
    }

    fn loaded(&mut self) -> &mut Loaded {
        &mut self.loaded
    }

    fn clock(&self) -> &SharedClock {
        &self.clock
    }

    fn statements(&self) -> u64 {
        self.statements
    }
}
