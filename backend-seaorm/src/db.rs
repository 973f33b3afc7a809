//! The [`SeaDb`] handle: a SeaORM connection pool plus the clock that stamps
//! audit columns.

#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
use std::str::FromStr;
use std::time::Duration;

use alchemy_core::audit::{SharedClock, system_clock};
use alchemy_core::schema::{Dialect, Table};
use alchemy_core::{Error, Result};
#[cfg(feature = "mysql")]
use sea_orm::SqlxMySqlConnector;
#[cfg(feature = "postgres")]
use sea_orm::SqlxPostgresConnector;
#[cfg(feature = "sqlite")]
use sea_orm::SqlxSqliteConnector;
#[cfg(feature = "mysql")]
use sea_orm::sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
#[cfg(feature = "postgres")]
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::error::from_db;
use crate::session::SeaSession;

/// How long a SQLite connection waits for another writer before `SQLITE_BUSY`.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections a file-backed SQLite pool keeps at most.
#[cfg(feature = "sqlite")]
const SQLITE_MAX_CONNECTIONS: u32 = 8;

/// Connections a PostgreSQL pool keeps at most.
#[cfg(feature = "postgres")]
const POSTGRES_MAX_CONNECTIONS: u32 = 10;

/// Connections a MariaDB pool keeps at most.
#[cfg(feature = "mysql")]
const MARIADB_MAX_CONNECTIONS: u32 = 10;

/// A clone-able handle on a SeaORM connection pool (PostgreSQL, SQLite or
/// MariaDB).
///
/// Cloning is cheap: clones share the pool and the clock.
///
/// - SQLite connections use WAL journaling, a 5 s busy timeout and
///   `foreign_keys = ON`; [`Database::begin`](alchemy_core::Database::begin)
///   starts `BEGIN IMMEDIATE` transactions.
/// - MariaDB connections run in strict mode (`STRICT_ALL_TABLES`), with
///   sqlx's `utf8mb4` and UTC session time zone.
/// - Audit columns are stamped with the system clock unless
///   [`SeaDb::with_clock`] gives another one.
///
/// ```
/// use alchemy_core::{Database, Session};
/// use alchemy_seaorm::SeaDb;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> alchemy_core::Result<()> {
/// // `sqlite://notes.db?mode=rwc` for a file, `postgres://..` or `mysql://..`.
/// let db = SeaDb::connect("sqlite::memory:").await?;
/// let s = db.begin().await?;
/// s.commit().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SeaDb {
    conn: DatabaseConnection,
    clock: SharedClock,
    dialect: Dialect,
}

impl std::fmt::Debug for SeaDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeaDb")
            .field("dialect", &self.dialect)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl SeaDb {
    /// Connects to `url`: `sqlite://path?mode=rwc`, `sqlite::memory:`,
    /// `postgres://...` (`postgresql://` too) or, for MariaDB, `mysql://...`.
    ///
    /// An in-memory SQLite database lives in one connection, so its pool has
    /// exactly one connection and concurrent sessions wait for each other.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL of another scheme or one the driver
    /// cannot parse; [`Error::Backend`] when no connection can be made.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            return Self::connect_sqlite(url).await;
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Self::connect_postgres(url).await;
        }
        if url.starts_with("mysql://") {
            return Self::connect_mariadb(url).await;
        }
        Err(Error::invalid_input(format!(
            "unsupported database URL `{url}`: expected sqlite:, postgres:// or mysql://"
        )))
    }

    #[cfg(feature = "sqlite")]
    async fn connect_sqlite(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid_input(format!("SQLite URL `{url}`: {e}")))?
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true);
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(SQLITE_MAX_CONNECTIONS)
        }
        .connect_with(options)
        .await
        .map_err(Error::backend)?;
        Ok(Self {
            conn: SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
            clock: system_clock(),
            dialect: Dialect::Sqlite,
        })
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::invalid_input(format!("PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(Error::backend)?;
        Ok(Self {
            conn: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
            clock: system_clock(),
            dialect: Dialect::Postgres,
        })
    }

    #[cfg(feature = "mysql")]
    async fn connect_mariadb(url: &str) -> Result<Self> {
        // sqlx already sets `utf8mb4`, UTC as the session time zone and
        // `PIPES_AS_CONCAT`; strict mode is ours, on every connection.
        let options = MySqlConnectOptions::from_str(url)
            .map_err(|e| Error::invalid_input(format!("MariaDB URL: {e}")))?;
        let pool = MySqlPoolOptions::new()
            .max_connections(MARIADB_MAX_CONNECTIONS)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    match Dialect::MariaDb.rules().connection_setup() {
                        Some(setup) => sea_orm::sqlx::raw_sql(setup).execute(conn).await.map(drop),
                        None => Ok(()),
                    }
                })
            })
            .connect_with(options)
            .await
            .map_err(Error::backend)?;
        Ok(Self {
            conn: SqlxMySqlConnector::from_sqlx_mysql_pool(pool),
            clock: system_clock(),
            dialect: Dialect::MariaDb,
        })
    }

    /// Built without the database's feature: the URL names a database
    /// this build cannot reach.
    #[cfg(not(feature = "sqlite"))]
    async fn connect_sqlite(url: &str) -> Result<Self> {
        let _ = url;
        Err(without("sqlite"))
    }

    #[cfg(not(feature = "postgres"))]
    async fn connect_postgres(url: &str) -> Result<Self> {
        let _ = url;
        Err(without("postgres"))
    }

    #[cfg(not(feature = "mysql"))]
    async fn connect_mariadb(url: &str) -> Result<Self> {
        let _ = url;
        Err(without("mysql"))
    }

    /// Wraps a SeaORM connection made elsewhere. The caller is responsible
    /// for its settings (on SQLite: WAL, busy timeout, foreign keys; on
    /// MariaDB: strict mode, and a server that is MariaDB, not MySQL).
    ///
    /// # Errors
    /// [`Error::NotSupported`] for a backend other than PostgreSQL, SQLite
    /// or MariaDB.
    pub fn from_connection(conn: DatabaseConnection) -> Result<Self> {
        let dialect = match conn.get_database_backend() {
            DbBackend::Postgres => Dialect::Postgres,
            DbBackend::Sqlite => Dialect::Sqlite,
            DbBackend::MySql => Dialect::MariaDb,
            _ => {
                return Err(Error::NotSupported {
                    operation: "connecting",
                    backend: "alchemy-seaorm (only PostgreSQL, SQLite and MariaDB)",
                });
            }
        };
        Ok(Self {
            conn,
            clock: system_clock(),
            dialect,
        })
    }

    /// The same pool, stamping audit columns with `clock`.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The SeaORM connection pool: the escape hatch for queries outside a
    /// session (they are not counted by [`SeaSession::statements`](alchemy_core::Session::statements)).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The clock sessions of this handle stamp audit columns with.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
}

impl alchemy_core::Database for SeaDb {
    type Session = SeaSession;

    fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Starts a transaction; on SQLite `BEGIN IMMEDIATE`.
    ///
    /// # Errors
    /// [`Error::Busy`] when SQLite's write lock is not free within the busy
    /// timeout; [`Error::Backend`] when no connection can be had.
    async fn begin(&self) -> Result<SeaSession> {
        let options = TransactionOptions {
            sqlite_transaction_mode: match self.dialect {
                Dialect::Sqlite => Some(SqliteTransactionMode::Immediate),
                _ => None,
            },
            ..TransactionOptions::default()
        };
        let tx = self
            .conn
            .begin_with_options(options)
            .await
            .map_err(from_db)?;
        Ok(SeaSession::new(tx, self.clock.clone()))
    }

    /// Runs each table's `create_sql` for this dialect, in order, outside any session.
    ///
    /// # Errors
    /// [`Error::Backend`] when a statement fails.
    async fn create_tables(&self, tables: &[&Table]) -> Result<()> {
        for table in tables {
            for sql in table.create_sql(self.dialect) {
                self.conn.execute_unprepared(&sql).await.map_err(from_db)?;
            }
        }
        Ok(())
    }
}

/// The error for a URL whose database's `feature` this build lacks.
#[cfg(not(all(feature = "postgres", feature = "sqlite", feature = "mysql")))]
fn without(feature: &str) -> Error {
    Error::NotSupported {
        operation: "connecting",
        backend: match feature {
            "sqlite" => "alchemy-seaorm without its `sqlite` feature",
            "postgres" => "alchemy-seaorm without its `postgres` feature",
            _ => "alchemy-seaorm without its `mysql` feature",
        },
    }
}

#[cfg(all(test, feature = "mysql"))]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a failure should panic
    use alchemy_core::Database;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    use super::SeaDb;

    /// Every pooled MariaDB connection is strict, not only the first.
    /// Runs when `ALCHEMY_TEST_MARIADB_URL` names a server (under CI it
    /// must).
    #[tokio::test]
    async fn mariadb_connections_are_strict() {
        let Some(url) = crate::mariadb_test_url() else {
            return;
        };
        let db = SeaDb::connect(&url).await.unwrap();
        // Two open sessions hold two connections.
        let (a, b) = (db.begin().await.unwrap(), db.begin().await.unwrap());
        for s in [&a, &b] {
            let mode = Statement::from_string(DbBackend::MySql, "SELECT @@SESSION.sql_mode");
            let row = s.connection().query_one_raw(mode).await.unwrap().unwrap();
            let mode: String = row.try_get_by_index(0).unwrap();
            assert!(mode.contains("STRICT_ALL_TABLES"), "{mode}");
        }
    }
}
