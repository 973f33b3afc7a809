//! The database handle: a sqlx pool, the clock, and sessions.

use std::fmt;

use alchemy_core::audit::{SharedClock, system_clock};
use alchemy_core::schema::{Dialect, Table};
use alchemy_core::{Database, Result};
use sqlx::Pool;

use crate::backend::SqlxBackend;
use crate::error::convert;
use crate::session::SqlxSession;

/// A pool on PostgreSQL or SQLite, plus the clock that stamps audit columns.
///
/// Cheap to clone (the pool is shared). Use [`PgDb`] or [`SqliteDb`].
///
/// ```
/// use alchemy_core::{Database, Model, Repository, Session};
/// use alchemy_sqlx::{SqliteDb, SqliteRepository};
///
/// #[derive(Debug, Clone, sqlx::FromRow, Model)]
/// #[model(base = alchemy_core::base::BigIntBase)]
/// pub struct Note {
///     pub id: i64,
///     pub body: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> alchemy_core::Result<()> {
/// // `sqlite://notes.db?mode=rwc` for a file, `postgres://..` with `PgDb`.
/// let db = SqliteDb::connect("sqlite::memory:").await?;
/// db.create_tables(&[Note::table()]).await?;
/// let notes = SqliteRepository::<Note>::new();
/// let mut s = db.begin().await?;
/// notes.add(&mut s, Note { id: 0, body: "hello".into() }).await?;
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub struct SqlxDb<DB: SqlxBackend> {
    pool: Pool<DB>,
    clock: SharedClock,
}

/// A PostgreSQL handle.
#[cfg(feature = "postgres")]
pub type PgDb = SqlxDb<sqlx::Postgres>;
/// A SQLite handle.
#[cfg(feature = "sqlite")]
pub type SqliteDb = SqlxDb<sqlx::Sqlite>;
/// A MariaDB handle (sqlx's MySQL driver).
#[cfg(feature = "mysql")]
pub type MariaDb = SqlxDb<sqlx::MySql>;

impl<DB: SqlxBackend> Clone for SqlxDb<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            clock: self.clock.clone(),
        }
    }
}

impl<DB: SqlxBackend> fmt::Debug for SqlxDb<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlxDb")
            .field("dialect", &DB::DIALECT)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl<DB: SqlxBackend> SqlxDb<DB> {
    /// Connects to `url` (`postgres://..`, `sqlite://path`, `sqlite::memory:`).
    ///
    /// # Behavior
    /// - SQLite: the file is created if missing; every connection uses WAL, a
    ///   5 s busy timeout and enforced foreign keys. An in-memory database gets
    ///   a single connection (each connection would otherwise see its own database).
    /// - The clock is the system clock; see [`SqlxDb::with_clock`].
    ///
    /// # Errors
    /// [`Error::Backend`](alchemy_core::Error::Backend) for a bad URL or an unreachable server.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = DB::connect(url).await.map_err(convert)?;
        Ok(Self::from_pool(pool))
    }

    /// Wraps an existing pool. For SQLite, configure it as [`SqlxDb::connect`]
    /// does (WAL, busy timeout, foreign keys), or concurrent writers may fail.
    pub fn from_pool(pool: Pool<DB>) -> Self {
        Self {
            pool,
            clock: system_clock(),
        }
    }

    /// The same pool, stamping audit columns with `clock` (tests inject a
    /// [`ManualClock`](alchemy_core::audit::ManualClock)).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The sqlx pool, for hand-written queries.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }
}

impl<DB: SqlxBackend> Database for SqlxDb<DB> {
    type Session = SqlxSession<DB>;

    fn dialect(&self) -> Dialect {
        DB::DIALECT
    }

    async fn begin(&self) -> Result<SqlxSession<DB>> {
        let tx = DB::begin(&self.pool).await.map_err(convert)?;
        Ok(SqlxSession::new(tx, self.clock.clone()))
    }

    async fn create_tables(&self, tables: &[&Table]) -> Result<()> {
        for table in tables {
            for sql in table.create_sql(DB::DIALECT) {
                DB::execute_sql(&self.pool, sql).await.map_err(convert)?;
            }
        }
        Ok(())
    }
}
