//! The [`DieselDb`] handle: a connection pool on PostgreSQL, SQLite or
//! MariaDB.

use std::fmt;

use alchemy_core::audit::{SharedClock, system_clock};
use alchemy_core::schema::{Dialect, Table};
use alchemy_core::{Error, Result};
#[cfg(feature = "sqlite")]
use diesel::SqliteConnection;
#[cfg(any(feature = "sqlite", feature = "mysql"))]
use diesel_async::AsyncConnection;
#[cfg(feature = "mysql")]
use diesel_async::AsyncMysqlConnection;
#[cfg(feature = "postgres")]
use diesel_async::AsyncPgConnection;
use diesel_async::SimpleAsyncConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
#[cfg(feature = "sqlite")]
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
#[cfg(any(feature = "sqlite", feature = "mysql"))]
use futures::FutureExt;

use crate::error;
use crate::session::{Connection, DieselSession};

#[cfg(feature = "sqlite")]
/// The SQLite connection type: diesel's synchronous `SqliteConnection`, run
/// on tokio's blocking pool by diesel-async.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

#[cfg(feature = "sqlite")]
/// Statements run on every new SQLite connection: WAL journal, a 5 s busy
/// timeout (diesel's default is 0), and enforced foreign keys.
pub const SQLITE_SETUP: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;";

#[derive(Clone)]
pub(crate) enum Pools {
    #[cfg(feature = "postgres")]
    Postgres(Pool<AsyncPgConnection>),
    #[cfg(feature = "sqlite")]
    Sqlite(Pool<SqliteConn>),
    #[cfg(feature = "mysql")]
    Mysql(Pool<AsyncMysqlConnection>),
}

/// A pool of diesel-async connections to one database, and the clock its
/// sessions stamp audit columns with. Cheap to clone (the pool is shared).
///
/// ```no_run
/// # async fn run() -> alchemy_core::Result<()> {
/// use alchemy_core::Database;
/// let db = alchemy_diesel::DieselDb::connect("sqlite://blog.db?mode=rwc").await?;
/// let session = db.begin().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DieselDb {
    pools: Pools,
    clock: SharedClock,
}

impl fmt::Debug for DieselDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DieselDb")
            .field("dialect", &self.dialect_of())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// What [`DieselDb::connect`] understood a URL to be.
fn parse_url(url: &str) -> Result<(Dialect, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Dialect::Postgres, url.to_string()));
    }
    if url.starts_with("mysql://") {
        return Ok((Dialect::MariaDb, url.to_string()));
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(Error::invalid_input(format!(
            "unsupported database URL `{url}`: expected sqlite:..., postgres://... or mysql://..."
        )));
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    if rest.is_empty() || rest == ":memory:" || rest.starts_with(":memory:?") {
        return Ok((Dialect::Sqlite, ":memory:".to_string()));
    }
    // diesel opens SQLite with SQLITE_OPEN_URI: `file:` URIs keep `?mode=rwc`.
    Ok((Dialect::Sqlite, format!("file:{rest}")))
}

impl DieselDb {
    /// Connects to `url` with the system clock.
    ///
    /// - `postgres://user@host:port/db[?options=-csearch_path%3Dschema]`:
    ///   diesel-async's `AsyncPgConnection` (tokio-postgres, no TLS).
    /// - `sqlite://path[?mode=rwc]`, `sqlite:path`, `sqlite::memory:`: diesel's
    ///   `SqliteConnection`; every connection runs [`SQLITE_SETUP`]. An
    ///   in-memory database uses a pool of one connection (each connection
    ///   would otherwise see its own database), so a second session waits
    ///   until the first one ends.
    /// - `mysql://user[:password]@host:port/db`: MariaDB through
    ///   diesel-async's `AsyncMysqlConnection` (mysql_async); every
    ///   connection runs the dialect's setup (strict mode; see
    ///   [`SqlDialect::connection_setup`](alchemy_core::dialect::SqlDialect::connection_setup)).
    ///
    /// One connection is made at once, so a bad URL fails here.
    ///
    /// The pool holds at most deadpool's default number of connections
    /// (4 per CPU); see [`DieselDb::connect_with_pool_size`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL of another database;
    /// [`Error::Backend`] when no connection could be made.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_inner(url, None).await
    }

    /// As [`DieselDb::connect`], with a pool of at most `max_size` connections
    /// (each open session holds one; `begin` waits for a free one). An
    /// in-memory SQLite database always has one.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL of another database or a size of 0;
    /// [`Error::Backend`] when no connection could be made.
    pub async fn connect_with_pool_size(url: &str, max_size: usize) -> Result<Self> {
        if max_size == 0 {
            return Err(Error::invalid_input("a pool needs at least one connection"));
        }
        Self::connect_inner(url, Some(max_size)).await
    }

    async fn connect_inner(url: &str, max_size: Option<usize>) -> Result<Self> {
        let (dialect, url) = parse_url(url)?;
        let pools = match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => {
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(|url| {
                    let url = url.to_string();
                    async move {
                        let mut conn = SqliteConn::establish(&url).await?;
                        conn.batch_execute(SQLITE_SETUP)
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    }
                    .boxed()
                });
                let memory = url == ":memory:";
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                let mut builder = Pool::builder(manager);
                if memory {
                    builder = builder.max_size(1);
                } else if let Some(n) = max_size {
                    builder = builder.max_size(n);
                }
                Pools::Sqlite(builder.build().map_err(Error::backend)?)
            }
            #[cfg(feature = "mysql")]
            Dialect::MariaDb => {
                let mut config = ManagerConfig::<AsyncMysqlConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(|url| {
                    let url = url.to_string();
                    async move {
                        // After diesel-async's own UTC time zone and `utf8mb4`.
                        let mut conn = AsyncMysqlConnection::establish(&url).await?;
                        if let Some(setup) = Dialect::MariaDb.rules().connection_setup() {
                            conn.batch_execute(setup)
                                .await
                                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        }
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                let mut builder = Pool::builder(manager);
                if let Some(n) = max_size {
                    builder = builder.max_size(n);
                }
                Pools::Mysql(builder.build().map_err(Error::backend)?)
            }
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                let mut builder = Pool::builder(manager);
                if let Some(n) = max_size {
                    builder = builder.max_size(n);
                }
                Pools::Postgres(builder.build().map_err(Error::backend)?)
            }
            // A database this build leaves out (its feature is off).
            #[allow(unreachable_patterns)]
            _ => {
                return Err(Error::NotSupported {
                    operation: "connecting",
                    backend: "alchemy-diesel without this database's feature",
                });
            }
        };
        let db = Self {
            pools,
            clock: system_clock(),
        };
        // Fail early on a bad URL; the connection goes back to the pool.
        drop(db.connection().await?);
        Ok(db)
    }

    /// This handle with `clock` stamping audit columns in its sessions.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock sessions of this handle stamp audit columns with.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    fn dialect_of(&self) -> Dialect {
        match self.pools {
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "sqlite")]
            Pools::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "mysql")]
            Pools::Mysql(_) => Dialect::MariaDb,
        }
    }

    /// A pooled connection outside any session, for setup statements.
    async fn connection(&self) -> Result<Connection> {
        let dialect = self.dialect_of();
        Ok(match &self.pools {
            #[cfg(feature = "postgres")]
            Pools::Postgres(p) => Connection::Postgres(Box::new(
                p.get().await.map_err(|e| error::from_pool(e, dialect))?,
            )),
            #[cfg(feature = "sqlite")]
            Pools::Sqlite(p) => {
                Connection::Sqlite(p.get().await.map_err(|e| error::from_pool(e, dialect))?)
            }
            #[cfg(feature = "mysql")]
            Pools::Mysql(p) => Connection::Mysql(Box::new(
                p.get().await.map_err(|e| error::from_pool(e, dialect))?,
            )),
        })
    }

    /// Runs `sql` (one or more statements, no parameters) on a pooled
    /// connection outside any session: for DDL such as `CREATE SCHEMA`.
    ///
    /// # Errors
    /// [`Error::Backend`] (or [`Error::Busy`]) when a statement fails.
    pub async fn batch_execute(&self, sql: &str) -> Result<()> {
        let dialect = self.dialect_of();
        let result = match &mut self.connection().await? {
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => c.batch_execute(sql).await,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => c.batch_execute(sql).await,
            #[cfg(feature = "mysql")]
            Connection::Mysql(c) => c.batch_execute(sql).await,
        };
        result.map_err(|e| error::from_diesel(e, dialect, None))
    }
}

impl alchemy_core::Database for DieselDb {
    type Session = DieselSession;

    fn dialect(&self) -> Dialect {
        self.dialect_of()
    }

    /// Takes a pooled connection and starts a transaction on it: `BEGIN
    /// IMMEDIATE` on SQLite (waits up to the 5 s busy timeout for the write
    /// lock), `BEGIN` on PostgreSQL and MariaDB.
    ///
    /// # Errors
    /// [`Error::Busy`] when SQLite's write lock could not be had in time;
    /// [`Error::Backend`] when no connection could be made.
    async fn begin(&self) -> Result<DieselSession> {
        let dialect = self.dialect_of();
        // Pooled connections are not pinged on checkout (that would cost a
        // round trip per session); a connection that died while idle fails
        // its BEGIN, is closed, and the BEGIN is tried once more on another.
        let mut retried = false;
        loop {
            let mut conn = self.connection().await?;
            let result = match &mut conn {
                #[cfg(feature = "postgres")]
                Connection::Postgres(c) => c.batch_execute("BEGIN").await,
                #[cfg(feature = "sqlite")]
                Connection::Sqlite(c) => c.batch_execute("BEGIN IMMEDIATE").await,
                #[cfg(feature = "mysql")]
                Connection::Mysql(c) => c.batch_execute("BEGIN").await,
            };
            match result {
                Ok(()) => return Ok(DieselSession::new(conn, dialect, self.clock.clone())),
                Err(e) => {
                    // The connection's state is unknown: do not reuse it.
                    conn.discard();
                    let e = error::from_diesel(e, dialect, None);
                    if retried || e.is_retryable() {
                        return Err(e);
                    }
                    retried = true;
                }
            }
        }
    }

    /// Runs `table.create_sql(dialect)` for each table, in order, outside any session.
    ///
    /// # Errors
    /// [`Error::Backend`] when a statement fails.
    async fn create_tables(&self, tables: &[&Table]) -> Result<()> {
        let dialect = self.dialect_of();
        for table in tables {
            for sql in table.create_sql(dialect) {
                self.batch_execute(&sql).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("sqlite:///tmp/a.db?mode=rwc").unwrap(),
            (Dialect::Sqlite, "file:/tmp/a.db?mode=rwc".into())
        );
        assert_eq!(
            parse_url("sqlite:blog.db").unwrap(),
            (Dialect::Sqlite, "file:blog.db".into())
        );
        assert_eq!(
            parse_url("sqlite::memory:").unwrap(),
            (Dialect::Sqlite, ":memory:".into())
        );
        assert_eq!(parse_url("postgres://x/y").unwrap().0, Dialect::Postgres);
        assert_eq!(parse_url("mysql://x/y").unwrap().0, Dialect::MariaDb);
        assert!(parse_url("oracle://x").is_err());
    }
}
